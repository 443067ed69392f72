//! Turns the raw file into a [`Config`], collecting every problem (not just the first) in file
//! order: the sections as §8 lists them, then each source. A bad value is recorded and replaced
//! by its default so the checks after it still run.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::env::Env;
use super::raw::{
    RawCache, RawConfig, RawDiskCache, RawDuration, RawEncoding, RawLimits, RawLog, RawPreset,
    RawServer, RawSharedCache, RawSize, RawUploads,
};
use super::{
    CacheConfig, Config, DiskCacheConfig, EncodingConfig, LimitsConfig, LogConfig, LogFormat,
    PlaygroundConfig, Preset, Problem, ServerConfig, SharedCacheConfig, SourceConfig, TextConfig,
    UploadsConfig, sources, units,
};

/// Problems found so far, in the order they were found, and which keys took their value from
/// the environment, so that a problem with such a key names the variable to fix.
#[derive(Debug, Default)]
pub(super) struct Problems {
    found: Vec<Problem>,
    /// TOML key (`sources[0].hmac_keys`) → variable it was read from.
    origins: HashMap<String, String>,
}

impl Problems {
    pub(super) fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        let key = key.into();
        // `sources[0].hosts[2]` came from wherever `sources[0].hosts` came from.
        let field = key
            .strip_suffix(']')
            .and_then(|k| k.rsplit_once('['))
            .map_or(key.as_str(), |(field, _)| field);
        let origin = self.origins.get(field).cloned();
        self.found.push(Problem {
            key,
            origin,
            message: message.into(),
        });
    }

    /// Notes that `key`'s value came from the variable `var`.
    pub(super) fn record_origin(&mut self, key: &str, var: &str) {
        self.origins.insert(key.to_owned(), var.to_owned());
    }

    /// The parsed duration, or `default` after recording why it did not parse.
    pub(super) fn duration(
        &mut self,
        key: &str,
        raw: Option<&RawDuration>,
        default: Duration,
    ) -> Duration {
        match raw.map(|RawDuration(text)| units::parse_duration(text)) {
            None => default,
            Some(Ok(duration)) => duration,
            Some(Err(message)) => {
                self.push(key, message);
                default
            }
        }
    }

    fn size(&mut self, key: &str, raw: Option<&RawSize>, default: u64) -> u64 {
        let parsed = match raw {
            None => return default,
            Some(RawSize::Text(text)) => units::parse_size(text),
            Some(RawSize::Bytes(n)) => u64::try_from(*n).map_err(|_| {
                format!("{n} is not a size; sizes cannot be negative, e.g. \"512MiB\"")
            }),
        };
        parsed.unwrap_or_else(|message| {
            self.push(key, message);
            default
        })
    }

    /// A whole number from `min` to `max`, or `default` after recording why not.
    fn count(
        &mut self,
        key: &str,
        raw: Option<i64>,
        default: usize,
        min: usize,
        max: usize,
    ) -> usize {
        match raw.map(usize::try_from) {
            None => default,
            Some(Ok(n)) if (min..=max).contains(&n) => n,
            Some(_) => {
                self.push(key, format!("must be a whole number from {min} to {max}"));
                default
            }
        }
    }

    /// A size that must fit in memory as a `usize` and be positive.
    fn positive_size(&mut self, key: &str, raw: Option<&RawSize>, default: usize) -> usize {
        let bytes = self.size(key, raw, default as u64);
        self.positive(key, &bytes, "0 bytes");
        usize::try_from(bytes).unwrap_or(usize::MAX)
    }

    /// Records a problem when `value` is zero.
    fn positive<T: PartialEq + Default>(&mut self, key: &str, value: &T, what: &str) {
        if *value == T::default() {
            self.push(key, format!("must be greater than {what}"));
        }
    }
}

/// `problems` holds what the environment overrides found; these come first.
pub(super) fn validate(
    raw: RawConfig,
    base_dir: &Path,
    env: &Env,
    mut problems: Problems,
) -> Result<Config, Vec<Problem>> {
    let server = server(&mut problems, &raw.server);
    let cache = cache(&mut problems, &raw.cache);
    let limits = limits(&mut problems, &raw.limits);
    let uploads = uploads(&mut problems, &raw.uploads);
    let log = log(&mut problems, &raw.log);
    let text = TextConfig {
        fonts_dir: raw
            .text
            .fonts_dir
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(|dir| super::root::local_dir(&mut problems, "text.fonts_dir", dir, base_dir)),
    };
    let encoding = encoding(&mut problems, &raw.encoding);
    let playground = PlaygroundConfig {
        enabled: raw.playground.enabled.unwrap_or(false),
    };
    if raw.sources.is_empty() {
        problems.push("sources", "at least one [[sources]] entry is required");
    }
    let sources = sources::sources(&mut problems, &raw.sources, base_dir, env);
    let mut cache = cache;
    cache.disk = disk_cache(&mut problems, &raw.cache.disk, base_dir, &sources);
    cache.shared = shared_cache(&mut problems, &raw.cache.shared, base_dir, env);
    let presets = presets(&mut problems, &raw.presets);
    if problems.found.is_empty() {
        Ok(Config {
            server,
            cache,
            limits,
            uploads,
            log,
            text,
            encoding,
            playground,
            presets,
            sources,
        })
    } else {
        Err(problems.found)
    }
}

fn server(problems: &mut Problems, raw: &RawServer) -> ServerConfig {
    let default = ServerConfig::default();
    let listen = raw
        .listen
        .as_deref()
        .map_or(default.listen, |text| listen(problems, text));
    let key = "server.header_timeout";
    let header_timeout =
        problems.duration(key, raw.header_timeout.as_ref(), default.header_timeout);
    problems.positive(key, &header_timeout, "0s, e.g. \"15s\"");
    let key = "server.idle_timeout";
    let idle_timeout = problems.duration(key, raw.idle_timeout.as_ref(), default.idle_timeout);
    problems.positive(key, &idle_timeout, "0s, e.g. \"60s\"");
    let key = "server.send_timeout";
    let send_timeout = problems.duration(key, raw.send_timeout.as_ref(), default.send_timeout);
    problems.positive(key, &send_timeout, "0s, e.g. \"60s\"");
    let key = "server.body_timeout";
    let body_timeout = problems.duration(key, raw.body_timeout.as_ref(), default.body_timeout);
    problems.positive(key, &body_timeout, "0s, e.g. \"10m\"");
    let min_body_rate = problems.size(
        "server.min_body_rate",
        raw.min_body_rate.as_ref(),
        default.min_body_rate,
    );
    let key = "server.body_rate_window";
    let body_rate_window =
        problems.duration(key, raw.body_rate_window.as_ref(), default.body_rate_window);
    problems.positive(key, &body_rate_window, "0s, e.g. \"10s\"");
    let body_rate_grace = problems.duration(
        "server.body_rate_grace",
        raw.body_rate_grace.as_ref(),
        default.body_rate_grace,
    );
    let shutdown_timeout = problems.duration(
        "server.shutdown_timeout",
        raw.shutdown_timeout.as_ref(),
        default.shutdown_timeout,
    );
    // hyper's head buffer holds the request line and the headers; 1 MiB each is far beyond
    // any real client and keeps that buffer bounded.
    const MAX_HEAD_PART: usize = 1024 * 1024;
    let key = "server.max_url_bytes";
    let max_url_bytes =
        problems.positive_size(key, raw.max_url_bytes.as_ref(), default.max_url_bytes);
    // hyper answers a longer target with its own bare 414 whatever we allow.
    const MAX_TARGET: usize = 65_534;
    if max_url_bytes > MAX_TARGET {
        problems.push(
            key,
            "must be at most 65534 bytes (the HTTP server's own limit for a request target)",
        );
    }
    let key = "server.max_header_bytes";
    let max_header_bytes =
        problems.positive_size(key, raw.max_header_bytes.as_ref(), default.max_header_bytes);
    if max_header_bytes > MAX_HEAD_PART {
        problems.push(key, "must be at most 1MiB");
    }
    let max_headers = problems.count(
        "server.max_headers",
        raw.max_headers,
        default.max_headers,
        1,
        10_000,
    );
    // A million connections is beyond any one process's file limit; the cap is a sanity bound.
    const MAX_CONNECTIONS: usize = 1 << 20;
    let max_connections = raw
        .max_connections
        .map(|n| problems.count("server.max_connections", Some(n), 1, 1, MAX_CONNECTIONS));
    let max_connections_per_client = raw.max_connections_per_client.map(|n| {
        let key = "server.max_connections_per_client";
        problems.count(key, Some(n), 1, 1, MAX_CONNECTIONS)
    });
    ServerConfig {
        listen,
        header_timeout,
        idle_timeout,
        send_timeout,
        body_timeout,
        min_body_rate,
        body_rate_window,
        body_rate_grace,
        shutdown_timeout,
        max_connections,
        max_connections_per_client,
        http2: raw.http2.unwrap_or(default.http2),
        max_url_bytes: max_url_bytes.min(MAX_TARGET),
        max_header_bytes: max_header_bytes.min(MAX_HEAD_PART),
        max_headers,
    }
}

fn listen(problems: &mut Problems, text: &str) -> SocketAddr {
    text.parse::<SocketAddr>().unwrap_or_else(|_| {
        problems.push(
            "server.listen",
            format!(
                "{text:?} is not a socket address; write an IP and a port, e.g. \"127.0.0.1:8080\" or \"[::]:8080\""
            ),
        );
        ServerConfig::default().listen
    })
}

fn cache(problems: &mut Problems, raw: &RawCache) -> CacheConfig {
    let default = CacheConfig::default();
    let max_bytes = problems.size("cache.max_bytes", raw.max_bytes.as_ref(), default.max_bytes);
    let mut cache = CacheConfig::with_max_bytes(max_bytes);
    let key = "cache.max_entry_bytes";
    cache.max_entry_bytes = problems.size(key, raw.max_entry_bytes.as_ref(), cache.max_entry_bytes);
    cache.originals_max_bytes = problems.size(
        "cache.originals_max_bytes",
        raw.originals_max_bytes.as_ref(),
        cache.originals_max_bytes,
    );
    cache.mezzanine_max_bytes = problems.size(
        "cache.mezzanine_max_bytes",
        raw.mezzanine_max_bytes.as_ref(),
        cache.mezzanine_max_bytes,
    );
    if cache.max_entry_bytes > cache.max_bytes {
        problems.push(
            key,
            format!(
                "{} bytes is more than cache.max_bytes ({} bytes); an entry cannot exceed the whole cache",
                cache.max_entry_bytes, cache.max_bytes
            ),
        );
    }
    cache
}

/// `[[presets]]`: each named once (letters, digits, `-`, `_`), its `params` a query of
/// transform parameters that parses, as in a URL.
fn presets(problems: &mut Problems, raw: &[RawPreset]) -> Vec<Preset> {
    let mut presets: Vec<Preset> = Vec::with_capacity(raw.len());
    for (i, preset) in raw.iter().enumerate() {
        let at = format!("presets[{i}]");
        let name = preset.name.as_deref().unwrap_or_default();
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            problems.push(
                format!("{at}.name"),
                format!("{name:?} is not a name of 1–64 letters, digits, `-` or `_`"),
            );
        } else if presets.iter().any(|p| p.name == name) {
            problems.push(format!("{at}.name"), format!("`{name}` is defined twice"));
        }
        let params = preset.params.as_deref().unwrap_or_default();
        if let Err(problem) = preset_params(params) {
            problems.push(format!("{at}.params"), problem);
        }
        presets.push(Preset {
            name: name.to_string(),
            params: params.to_string(),
        });
    }
    presets
}

fn preset_params(params: &str) -> Result<(), String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(params).map_err(|_| format!("{params:?} is not a query"))?;
    if pairs.is_empty() {
        return Err("names no parameter, e.g. \"w=400&fm=webp\"".into());
    }
    if pairs.iter().any(|(name, _)| name == "preset") {
        return Err("a preset cannot name another preset".into());
    }
    let parsed = crate::transform::parse(&pairs).map_err(|e| e.to_string())?;
    if parsed.is_passthrough() {
        return Err(format!("{params:?} names no transform parameter"));
    }
    Ok(())
}

/// `[cache.shared]`: on when `root` is set, a bucket read with the same keys as a source's.
fn shared_cache(
    problems: &mut Problems,
    raw: &RawSharedCache,
    base_dir: &Path,
    env: &Env,
) -> SharedCacheConfig {
    let default = CacheConfig::default().shared;
    let key = "cache.shared.timeout";
    let timeout = problems.duration(key, raw.timeout.as_ref(), default.timeout);
    problems.positive(key, &timeout, "0s, e.g. \"2s\"");
    let bucket = raw
        .root
        .as_deref()
        .filter(|r| !r.is_empty())
        .and_then(|root| {
            if !root.to_ascii_lowercase().starts_with("s3://") {
                problems.push("cache.shared.root", "must be a bucket: s3://bucket/prefix");
                return None;
            }
            // A source's bucket keys, read the way a source reads them.
            let as_source = super::raw::RawSource {
                root: Some(root.to_string()),
                endpoint: raw.endpoint.clone(),
                region: raw.region.clone(),
                access_key_id: raw.access_key_id.clone(),
                secret_access_key: raw.secret_access_key.clone(),
                session_token: raw.session_token.clone(),
                anonymous: raw.anonymous,
                path_style: raw.path_style,
                ..Default::default()
            };
            match super::root::root(problems, "cache.shared", &as_source, base_dir, env) {
                super::root::Root::S3(bucket) => Some(bucket),
                _ => None,
            }
        });
    SharedCacheConfig { bucket, timeout }
}

/// `[cache.disk]`: on when `dir` is set. A folder inside a source's would be served by
/// passthrough, records and all.
fn disk_cache(
    problems: &mut Problems,
    raw: &RawDiskCache,
    base_dir: &Path,
    sources: &[SourceConfig],
) -> DiskCacheConfig {
    let default = CacheConfig::default().disk;
    let key = "cache.disk.max_bytes";
    let max_bytes = problems.size(key, raw.max_bytes.as_ref(), default.max_bytes);
    problems.positive(key, &max_bytes, "0 bytes, e.g. \"1GiB\"");
    let dir = raw.dir.as_deref().filter(|d| !d.is_empty()).map(|dir| {
        let joined = base_dir.join(dir);
        std::path::absolute(&joined).unwrap_or(joined)
    });
    let inside = |dir: &Path| {
        sources
            .iter()
            .find(|s| s.root.local().is_some_and(|root| dir.starts_with(root)))
    };
    if let Some((dir, source)) = dir.as_deref().and_then(|d| Some((d, inside(d)?))) {
        problems.push(
            "cache.disk.dir",
            format!(
                "{} is inside the folder of source `{}`, which would serve the records",
                dir.display(),
                source.name
            ),
        );
    }
    DiskCacheConfig { dir, max_bytes }
}

fn limits(problems: &mut Problems, raw: &RawLimits) -> LimitsConfig {
    let default = LimitsConfig::default();
    let key = "limits.max_source_pixels";
    let max_source_pixels = match raw.max_source_pixels.map(u64::try_from) {
        None => default.max_source_pixels,
        Some(Ok(pixels)) => pixels,
        Some(Err(_)) => {
            problems.push(key, "must not be negative, e.g. 50_000_000");
            default.max_source_pixels
        }
    };
    problems.positive(key, &max_source_pixels, "0, e.g. 50_000_000");

    let key = "limits.max_source_bytes";
    let max_source_bytes =
        problems.size(key, raw.max_source_bytes.as_ref(), default.max_source_bytes);
    problems.positive(key, &max_source_bytes, "0 bytes, e.g. \"50MiB\"");

    let key = "limits.max_output_dimension";
    let max_output_dimension = match raw.max_output_dimension.map(u32::try_from) {
        None => default.max_output_dimension,
        Some(Ok(px)) => px,
        Some(Err(_)) => {
            problems.push(
                key,
                format!("must be between 1 and {} px, e.g. 8192", u32::MAX),
            );
            default.max_output_dimension
        }
    };
    problems.positive(key, &max_output_dimension, "0 px, e.g. 8192");

    let key = "limits.render_timeout";
    let render_timeout =
        problems.duration(key, raw.render_timeout.as_ref(), default.render_timeout);
    problems.positive(key, &render_timeout, "0s, e.g. \"30s\"");

    let key = "limits.max_animation_frames";
    let max_animation_frames = match raw.max_animation_frames.map(u32::try_from) {
        None => default.max_animation_frames,
        Some(Ok(frames)) => frames,
        Some(Err(_)) => {
            problems.push(key, format!("must be between 1 and {}, e.g. 256", u32::MAX));
            default.max_animation_frames
        }
    };
    problems.positive(key, &max_animation_frames, "0, e.g. 256");

    // 0 asks for one worker per core, the default.
    let render_workers =
        match problems.count("limits.render_workers", raw.render_workers, 0, 0, 4096) {
            0 => default.render_workers,
            n => n,
        };
    let render_queue = problems.count(
        "limits.render_queue",
        raw.render_queue,
        default.render_queue,
        0,
        1_000_000,
    );
    let key = "limits.source_timeout";
    let source_timeout =
        problems.duration(key, raw.source_timeout.as_ref(), default.source_timeout);
    problems.positive(key, &source_timeout, "0s, e.g. \"10s\"");

    LimitsConfig {
        max_source_pixels,
        max_source_bytes,
        max_output_dimension,
        render_timeout,
        max_animation_frames,
        render_workers,
        render_queue,
        source_timeout,
        av1_decoder: None,
    }
}

fn encoding(problems: &mut Problems, raw: &RawEncoding) -> EncodingConfig {
    let default = EncodingConfig::default();
    let speed = usize::from(default.avif_speed);
    let avif_speed = problems.count("encoding.avif_speed", raw.avif_speed, speed, 1, 10);
    let method = usize::from(default.webp_method);
    let webp_method = problems.count("encoding.webp_method", raw.webp_method, method, 0, 6);
    let level = usize::from(default.png_level);
    let png_level = problems.count("encoding.png_level", raw.png_level, level, 1, 9);
    EncodingConfig {
        avif_speed: u8::try_from(avif_speed).unwrap_or(default.avif_speed),
        webp_method: u8::try_from(webp_method).unwrap_or(default.webp_method),
        png_level: u8::try_from(png_level).unwrap_or(default.png_level),
        avif_budget: problems.duration(
            "encoding.avif_budget",
            raw.avif_budget.as_ref(),
            default.avif_budget,
        ),
    }
}

fn uploads(problems: &mut Problems, raw: &RawUploads) -> UploadsConfig {
    let default = UploadsConfig::default();
    let key = "uploads.max_bytes";
    let max_bytes = problems.size(key, raw.max_bytes.as_ref(), default.max_bytes);
    problems.positive(key, &max_bytes, "0 bytes, e.g. \"5GiB\"");
    let key = "uploads.session_ttl";
    let session_ttl = problems.duration(key, raw.session_ttl.as_ref(), default.session_ttl);
    // Zero would collect every partial upload at once, breaking resumable uploads.
    problems.positive(key, &session_ttl, "0s, e.g. \"24h\"");
    UploadsConfig {
        max_bytes,
        session_ttl,
    }
}

fn log(problems: &mut Problems, raw: &RawLog) -> LogConfig {
    let format = match raw.format.as_deref() {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => {
            problems.push(
                "log.format",
                format!("must be \"text\" or \"json\", not {other:?}"),
            );
            LogFormat::default()
        }
    };
    LogConfig { format }
}
