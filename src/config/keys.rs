//! The one list of every configuration key: where it sits in the file, which environment
//! variable overrides it, what kind of value it takes, its default and what it means. The
//! environment overrides and the table in docs/configuration.md are both driven from here, so
//! neither can forget a key; tests check the list against the raw structs field by field.

use super::env::{env_segment, source_var};
use super::raw::{RawConfig, RawDuration, RawSize, RawSource};

/// Where a key's value lives in the raw config, typed by the kind of value it takes. `R` is
/// [`RawConfig`] for section keys and [`RawSource`] for the keys of one source.
pub(super) enum Access<R: 'static> {
    Text(fn(&mut R) -> &mut Option<String>),
    /// Text that must be an IP and a port; the difference is only for the reader.
    Address(fn(&mut R) -> &mut Option<String>),
    Integer(fn(&mut R) -> &mut Option<i64>),
    Bool(fn(&mut R) -> &mut Option<bool>),
    Size(fn(&mut R) -> &mut Option<RawSize>),
    Duration(fn(&mut R) -> &mut Option<RawDuration>),
    List(fn(&mut R) -> &mut Vec<String>),
}

impl<R> Access<R> {
    /// The kind as docs/configuration.md names it.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Access::Text(_) => "string",
            Access::Address(_) => "socket address",
            Access::Integer(_) => "integer",
            Access::Bool(_) => "bool",
            Access::Size(_) => "size",
            Access::Duration(_) => "duration",
            Access::List(_) => "list of strings",
        }
    }
}

/// A key's default as documented.
pub(super) enum KeyDefault {
    /// Written as the environment would take it (`""` for an empty list or no value), so a
    /// test can set it and see the default come out.
    Value(&'static str),
    /// The key has no default: every source must have it.
    Required,
    /// The default is computed from other keys; the text says how.
    Rule(&'static str),
}

pub(super) struct Key<R: 'static> {
    /// The `[section]` (`sources` for the keys of each `[[sources]]` entry).
    pub section: &'static str,
    pub name: &'static str,
    pub access: Access<R>,
    pub default: KeyDefault,
    /// One line, no `|`: it becomes a Markdown table cell.
    pub about: &'static str,
    /// A spelling from before the `SECTION__KEY` scheme, still read; `<NAME>` stands for the
    /// source's name segment. The new spelling wins when both are set.
    pub legacy: Option<&'static str>,
}

impl<R> Key<R> {
    /// `server.listen`, or `sources[].root` for a key of each source.
    pub(super) fn toml_key(&self) -> String {
        if self.section == "sources" {
            format!("sources[].{}", self.name)
        } else {
            format!("{}.{}", self.section, self.name)
        }
    }
}

impl Key<RawConfig> {
    /// `PIXGATE_SECTION__KEY`.
    pub(super) fn var(&self) -> String {
        // A nested table (`cache.disk`) is one more `__` level.
        format!(
            "PIXGATE_{}__{}",
            self.section.to_ascii_uppercase().replace('.', "__"),
            self.name.to_ascii_uppercase()
        )
    }
}

impl Key<RawSource> {
    /// `PIXGATE_SOURCES__<NAME>__KEY`, with `<NAME>` the source's [`env_segment`]; `None` for
    /// `name`, which is how the environment finds a source and so cannot come from it.
    pub(super) fn var(&self, source_name: &str) -> Option<String> {
        (self.name != NAME).then(|| source_var(source_name, self.name))
    }

    /// The old spelling for this source, if the key had one.
    pub(super) fn legacy_var(&self, source_name: &str) -> Option<String> {
        self.legacy
            .map(|pattern| pattern.replace("<NAME>", &env_segment(source_name)))
    }
}

/// The source key the environment cannot set.
pub(super) const NAME: &str = "name";

/// Every key of the sections (`[server]`, `[cache]`, … `[playground]`), in file order.
pub(super) const SECTION_KEYS: &[Key<RawConfig>] = &[
    Key {
        section: "server",
        name: "listen",
        access: Access::Address(|r| &mut r.server.listen),
        default: KeyDefault::Value("127.0.0.1:8080"),
        about: "Address and port to listen on, e.g. `[::]:8080`.",
        legacy: Some("PIXGATE_SERVER_LISTEN"),
    },
    Key {
        section: "server",
        name: "header_timeout",
        access: Access::Duration(|r| &mut r.server.header_timeout),
        default: KeyDefault::Value("15s"),
        about: "Time to send a request head, from accept or from the first byte of the next request.",
        legacy: None,
    },
    Key {
        section: "server",
        name: "idle_timeout",
        access: Access::Duration(|r| &mut r.server.idle_timeout),
        default: KeyDefault::Value("60s"),
        about: "How long a kept-alive connection may wait, sending nothing, for its next request.",
        legacy: None,
    },
    Key {
        section: "server",
        name: "send_timeout",
        access: Access::Duration(|r| &mut r.server.send_timeout),
        default: KeyDefault::Value("60s"),
        about: "A client that takes none of its answer for this long is disconnected.",
        legacy: None,
    },
    Key {
        section: "server",
        name: "body_timeout",
        access: Access::Duration(|r| &mut r.server.body_timeout),
        default: KeyDefault::Value("10m"),
        about: "Time to send a request body (an upload or one chunk).",
        legacy: None,
    },
    Key {
        section: "server",
        name: "min_body_rate",
        access: Access::Size(|r| &mut r.server.min_body_rate),
        default: KeyDefault::Value("1KiB"),
        about: "Bytes per second a request body must bring once past its grace; slower → 408. 0 turns it off.",
        legacy: None,
    },
    Key {
        section: "server",
        name: "body_rate_window",
        access: Access::Duration(|r| &mut r.server.body_rate_window),
        default: KeyDefault::Value("10s"),
        about: "What `min_body_rate` is averaged over.",
        legacy: None,
    },
    Key {
        section: "server",
        name: "body_rate_grace",
        access: Access::Duration(|r| &mut r.server.body_rate_grace),
        default: KeyDefault::Value("10s"),
        about: "How long a body may take to get going before `min_body_rate` counts.",
        legacy: None,
    },
    Key {
        section: "server",
        name: "shutdown_timeout",
        access: Access::Duration(|r| &mut r.server.shutdown_timeout),
        default: KeyDefault::Value("30s"),
        about: "On SIGTERM/SIGINT, how long in-flight requests get to finish.",
        legacy: None,
    },
    Key {
        section: "server",
        name: "max_connections",
        access: Access::Integer(|r| &mut r.server.max_connections),
        default: KeyDefault::Rule("three quarters of the open-file limit"),
        about: "Open connections at most; more are answered 503 and closed at once.",
        legacy: None,
    },
    Key {
        section: "server",
        name: "max_connections_per_client",
        access: Access::Integer(|r| &mut r.server.max_connections_per_client),
        default: KeyDefault::Rule("a quarter of `max_connections`"),
        about: "Open connections from one client address at most; more are answered 503 and closed.",
        legacy: None,
    },
    Key {
        section: "server",
        name: "http2",
        access: Access::Bool(|r| &mut r.server.http2),
        default: KeyDefault::Value("false"),
        about: "Speak HTTP/2 without TLS (h2c, prior knowledge) too. Off: CDNs reach origins over HTTP/1.1.",
        legacy: None,
    },
    Key {
        section: "server",
        name: "max_url_bytes",
        access: Access::Size(|r| &mut r.server.max_url_bytes),
        default: KeyDefault::Value("8KiB"),
        about: "Longest request target (path and query); longer → 414. At most 65534 bytes.",
        legacy: None,
    },
    Key {
        section: "server",
        name: "max_header_bytes",
        access: Access::Size(|r| &mut r.server.max_header_bytes),
        default: KeyDefault::Value("16KiB"),
        about: "Most bytes of header names and values in a request; more → 431. At most 1MiB.",
        legacy: None,
    },
    Key {
        section: "server",
        name: "max_headers",
        access: Access::Integer(|r| &mut r.server.max_headers),
        default: KeyDefault::Value("100"),
        about: "Most header fields in a request; more → 431.",
        legacy: None,
    },
    Key {
        section: "cache",
        name: "max_bytes",
        access: Access::Size(|r| &mut r.cache.max_bytes),
        default: KeyDefault::Value("512MiB"),
        about: "Budget of the derivative cache; 0 disables it.",
        legacy: None,
    },
    Key {
        section: "cache",
        name: "max_entry_bytes",
        access: Access::Size(|r| &mut r.cache.max_entry_bytes),
        default: KeyDefault::Rule("`max_bytes` / 16"),
        about: "Larger derivatives are served but not cached; at most `max_bytes`.",
        legacy: None,
    },
    Key {
        section: "cache",
        name: "originals_max_bytes",
        access: Access::Size(|r| &mut r.cache.originals_max_bytes),
        default: KeyDefault::Value("64MiB"),
        about: "Budget of the cache of original bytes (a srcset reads its original once); 0 disables it.",
        legacy: None,
    },
    Key {
        section: "cache",
        name: "mezzanine_max_bytes",
        access: Access::Size(|r| &mut r.cache.mezzanine_max_bytes),
        default: KeyDefault::Value("64MiB"),
        about: "Budget of decoded pixels kept from large originals (2 MP and up) so that later sizes of one image skip the decode; one entry may take all of it; 0 disables it.",
        legacy: None,
    },
    Key {
        section: "cache.disk",
        name: "dir",
        access: Access::Text(|r| &mut r.cache.disk.dir),
        default: KeyDefault::Value(""),
        about: "Folder of the derivative cache's disk tier (relative to the config file's; created at start-up; never inside a source's folder); unset keeps derivatives in memory only.",
        legacy: None,
    },
    Key {
        section: "cache.disk",
        name: "max_bytes",
        access: Access::Size(|r| &mut r.cache.disk.max_bytes),
        default: KeyDefault::Value("1GiB"),
        about: "Budget of the disk tier's records; least recently used beyond it are deleted.",
        legacy: None,
    },
    Key {
        section: "cache.shared",
        name: "root",
        access: Access::Text(|r| &mut r.cache.shared.root),
        default: KeyDefault::Value(""),
        about: "`s3://bucket/prefix` of the tier every instance shares; unset shares nothing.",
        legacy: None,
    },
    Key {
        section: "cache.shared",
        name: "endpoint",
        access: Access::Text(|r| &mut r.cache.shared.endpoint),
        default: KeyDefault::Rule("AWS's regional endpoint"),
        about: "As a source's `endpoint` (MinIO, R2, Ceph…).",
        legacy: None,
    },
    Key {
        section: "cache.shared",
        name: "region",
        access: Access::Text(|r| &mut r.cache.shared.region),
        default: KeyDefault::Value("us-east-1"),
        about: "As a source's `region`.",
        legacy: None,
    },
    Key {
        section: "cache.shared",
        name: "access_key_id",
        access: Access::Text(|r| &mut r.cache.shared.access_key_id),
        default: KeyDefault::Rule("the AWS credential chain"),
        about: "As a source's `access_key_id`.",
        legacy: None,
    },
    Key {
        section: "cache.shared",
        name: "secret_access_key",
        access: Access::Text(|r| &mut r.cache.shared.secret_access_key),
        default: KeyDefault::Rule("the AWS credential chain"),
        about: "As a source's `secret_access_key`.",
        legacy: None,
    },
    Key {
        section: "cache.shared",
        name: "session_token",
        access: Access::Text(|r| &mut r.cache.shared.session_token),
        default: KeyDefault::Value(""),
        about: "As a source's `session_token`.",
        legacy: None,
    },
    Key {
        section: "cache.shared",
        name: "anonymous",
        access: Access::Bool(|r| &mut r.cache.shared.anonymous),
        default: KeyDefault::Value("false"),
        about: "As a source's `anonymous`.",
        legacy: None,
    },
    Key {
        section: "cache.shared",
        name: "path_style",
        access: Access::Bool(|r| &mut r.cache.shared.path_style),
        default: KeyDefault::Rule("true with an `endpoint`, else false"),
        about: "As a source's `path_style`.",
        legacy: None,
    },
    Key {
        section: "cache.shared",
        name: "timeout",
        access: Access::Duration(|r| &mut r.cache.shared.timeout),
        default: KeyDefault::Value("2s"),
        about: "A read or write of the shared tier slower than this is given up; the request goes on without it.",
        legacy: None,
    },
    Key {
        section: "limits",
        name: "max_source_pixels",
        access: Access::Integer(|r| &mut r.limits.max_source_pixels),
        default: KeyDefault::Value("50_000_000"),
        about: "Sources with more pixels (width × height) are refused before decoding.",
        legacy: None,
    },
    Key {
        section: "limits",
        name: "max_source_bytes",
        access: Access::Size(|r| &mut r.limits.max_source_bytes),
        default: KeyDefault::Value("50MiB"),
        about: "Largest source file that is transformed.",
        legacy: None,
    },
    Key {
        section: "limits",
        name: "max_output_dimension",
        access: Access::Integer(|r| &mut r.limits.max_output_dimension),
        default: KeyDefault::Value("8192"),
        about: "Caps w×dpr and h×dpr in px; beyond it → 400.",
        legacy: None,
    },
    Key {
        section: "limits",
        name: "render_timeout",
        access: Access::Duration(|r| &mut r.limits.render_timeout),
        default: KeyDefault::Value("30s"),
        about: "Wall-clock budget of one render.",
        legacy: None,
    },
    Key {
        section: "limits",
        name: "max_animation_frames",
        access: Access::Integer(|r| &mut r.limits.max_animation_frames),
        default: KeyDefault::Value("256"),
        about: "Most frames of an animated output; more → 413.",
        legacy: None,
    },
    Key {
        section: "limits",
        name: "render_workers",
        access: Access::Integer(|r| &mut r.limits.render_workers),
        default: KeyDefault::Value("0"),
        about: "Renders at once; 0 = one per core.",
        legacy: None,
    },
    Key {
        section: "limits",
        name: "render_queue",
        access: Access::Integer(|r| &mut r.limits.render_queue),
        default: KeyDefault::Value("32"),
        about: "Renders that may wait for a worker; one more → 503 with `Retry-After`. 0 = never wait.",
        legacy: None,
    },
    Key {
        section: "limits",
        name: "source_timeout",
        access: Access::Duration(|r| &mut r.limits.source_timeout),
        default: KeyDefault::Value("10s"),
        about: "Time to read one original from its source.",
        legacy: None,
    },
    Key {
        section: "uploads",
        name: "max_bytes",
        access: Access::Size(|r| &mut r.uploads.max_bytes),
        default: KeyDefault::Value("5GiB"),
        about: "Largest upload (whole body, or a resumable upload's total).",
        legacy: None,
    },
    Key {
        section: "uploads",
        name: "session_ttl",
        access: Access::Duration(|r| &mut r.uploads.session_ttl),
        default: KeyDefault::Value("24h"),
        about: "Resumable uploads untouched this long are deleted.",
        legacy: None,
    },
    Key {
        section: "log",
        name: "format",
        access: Access::Text(|r| &mut r.log.format),
        default: KeyDefault::Value("text"),
        about: "`text` or `json`; the level comes from `RUST_LOG` (default info).",
        legacy: None,
    },
    Key {
        section: "text",
        name: "fonts_dir",
        access: Access::Text(|r| &mut r.text.fonts_dir),
        default: KeyDefault::Value(""),
        about: "A folder of the operator's fonts for `txt` (`.ttf`, `.otf`, `.ttc`, `.otc`), relative to the config file's; read at start-up.",
        legacy: None,
    },
    Key {
        section: "encoding",
        name: "avif_speed",
        access: Access::Integer(|r| &mut r.encoding.avif_speed),
        default: KeyDefault::Value("9"),
        about: "rav1e's speed preset for AVIF output, 1 (slowest, smallest files) to 10 (fastest); 9 and 10 search 8×8 blocks with pixgate's cheaper settings, unlike rav1e's own presets ([url-api](url-api.md#images-formats-colour-quality-limits)).",
        legacy: None,
    },
    Key {
        section: "encoding",
        name: "avif_budget",
        access: Access::Duration(|r| &mut r.encoding.avif_budget),
        default: KeyDefault::Value("200ms"),
        about: "`auto=format` serves WebP instead of AVIF when the AVIF encode is predicted to take longer (`0s`: never).",
        legacy: None,
    },
    Key {
        section: "encoding",
        name: "webp_method",
        access: Access::Integer(|r| &mut r.encoding.webp_method),
        default: KeyDefault::Value("4"),
        about: "libwebp's effort for WebP output (stills and animations, lossy and lossless), 0 (fastest) to 6 (smallest files).",
        legacy: None,
    },
    Key {
        section: "encoding",
        name: "png_level",
        access: Access::Integer(|r| &mut r.encoding.png_level),
        default: KeyDefault::Value("6"),
        about: "zlib's compression level for PNG output, 1 (fastest) to 9 (smallest files).",
        legacy: None,
    },
    Key {
        section: "playground",
        name: "enabled",
        access: Access::Bool(|r| &mut r.playground.enabled),
        default: KeyDefault::Value("false"),
        about: "Serve the playground page at `/_pixgate/playground`; it lists folder sources' file names to anyone who reaches it (docs/playground.md).",
        legacy: None,
    },
];

/// Every key of one `[[sources]]` entry, in file order.
pub(super) const SOURCE_KEYS: &[Key<RawSource>] = &[
    Key {
        section: "sources",
        name: NAME,
        access: Access::Text(|s| &mut s.name),
        default: KeyDefault::Required,
        about: "Letters, digits, `_`, `-`; unique. Gives `<NAME>` in the source's variables.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "root",
        access: Access::Text(|s| &mut s.root),
        default: KeyDefault::Required,
        about: "A folder (relative to the config file's), `s3://bucket/prefix` or `https://origin/base/`.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "hosts",
        access: Access::List(|s| &mut s.hosts),
        default: KeyDefault::Value(""),
        about: "`Host` header values this source answers (port ignored); empty = any host.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "prefix",
        access: Access::Text(|s| &mut s.prefix),
        default: KeyDefault::Value(""),
        about: "Path prefix this source answers under, e.g. `/shop`.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "secure",
        access: Access::Bool(|s| &mut s.secure),
        default: KeyDefault::Value("false"),
        about: "Answer signed requests only; needs a secret.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "private_prefixes",
        access: Access::List(|s| &mut s.private_prefixes),
        default: KeyDefault::Value(""),
        about: "Storage-key prefixes (e.g. `private/`) that need a signature; needs a secret.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "md5_tokens",
        access: Access::List(|s| &mut s.md5_tokens),
        default: KeyDefault::Value(""),
        about: "`s` scheme secrets: the first signs, all verify.",
        legacy: Some("PIXGATE_SOURCES_<NAME>_MD5_TOKENS"),
    },
    Key {
        section: "sources",
        name: "hmac_keys",
        access: Access::List(|s| &mut s.hmac_keys),
        default: KeyDefault::Value(""),
        about: "`signature` scheme secrets: the first signs, all verify.",
        legacy: Some("PIXGATE_SOURCES_<NAME>_HMAC_KEYS"),
    },
    Key {
        section: "sources",
        name: "default_ttl",
        access: Access::Duration(|s| &mut s.default_ttl),
        default: KeyDefault::Value("365d"),
        about: "`max-age` of responses.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "max_ttl",
        access: Access::Duration(|s| &mut s.max_ttl),
        default: KeyDefault::Value(""),
        about: "Signed URLs must expire within this; empty = no limit.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "clock_skew",
        access: Access::Duration(|s| &mut s.clock_skew),
        default: KeyDefault::Value("0s"),
        about: "Grace after a signed URL's expiry.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "endpoint",
        access: Access::Text(|s| &mut s.endpoint),
        default: KeyDefault::Rule("AWS's, from `region`"),
        about: "`s3://` roots: the S3-compatible service's URL, e.g. `http://minio:9000`.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "region",
        access: Access::Text(|s| &mut s.region),
        default: KeyDefault::Value("us-east-1"),
        about: "`s3://` roots: the region requests are signed for.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "access_key_id",
        access: Access::Text(|s| &mut s.access_key_id),
        default: KeyDefault::Rule(
            "the AWS credential chain ([sources.md](sources.md#credentials))",
        ),
        about: "`s3://` roots: this source's own access key.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "secret_access_key",
        access: Access::Text(|s| &mut s.secret_access_key),
        default: KeyDefault::Rule("the AWS credential chain"),
        about: "`s3://` roots: the secret of `access_key_id`.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "session_token",
        access: Access::Text(|s| &mut s.session_token),
        default: KeyDefault::Value(""),
        about: "`s3://` roots: the session token of temporary `access_key_id`/`secret_access_key`.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "anonymous",
        access: Access::Bool(|s| &mut s.anonymous),
        default: KeyDefault::Value("false"),
        about: "`s3://` roots: requests are not signed (a public bucket); no credentials are looked for.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "path_style",
        access: Access::Bool(|s| &mut s.path_style),
        default: KeyDefault::Rule("`true` when `endpoint` is set, else `false`"),
        about: "`s3://` roots: `endpoint/bucket/key` URLs instead of `bucket.endpoint/key`.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "staging_dir",
        access: Access::Text(|s| &mut s.staging_dir),
        default: KeyDefault::Rule("`pixgate-staging/<name>` in the system temp folder"),
        about: "`s3://` roots: local folder uploads are received in before they go to the bucket.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "allowed_networks",
        access: Access::List(|s| &mut s.allowed_networks),
        default: KeyDefault::Value(""),
        about: "`http(s)://` roots: internal networks (CIDR) the origin may be reached in.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "max_redirects",
        access: Access::Integer(|s| &mut s.max_redirects),
        default: KeyDefault::Value("3"),
        about: "`http(s)://` roots: redirects followed per fetch, each checked anew.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "revalidate_after",
        access: Access::Duration(|s| &mut s.revalidate_after),
        default: KeyDefault::Value("60s"),
        about: "Remote roots: how long an original's version is trusted before asking again.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "watermark",
        access: Access::Text(|s| &mut s.watermark),
        default: KeyDefault::Value(""),
        about: "Mark parameters (`mark=/logo.png&mark-alpha=40`) drawn on every unsigned image.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "presets_only",
        access: Access::Bool(|s| &mut s.presets_only),
        default: KeyDefault::Value("false"),
        about: "Unsigned requests may transform with `preset=` only (other parameters: `403 presets_only`).",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "widths",
        access: Access::List(|s| &mut s.widths),
        default: KeyDefault::Value(""),
        about: "Sizes (px, ascending) an unsigned request's `w`/`h` times `dpr` are rounded up to; empty takes any.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "fallback",
        access: Access::Text(|s| &mut s.fallback),
        default: KeyDefault::Value(""),
        about: "A storage key served, transformed alike, when the original is missing or undecodable; not under a private prefix.",
        legacy: None,
    },
    Key {
        section: "sources",
        name: "fallback_status",
        access: Access::Integer(|s| &mut s.fallback_status),
        default: KeyDefault::Value("404"),
        about: "Status of a fallback answer: 200–299 or 400–499.",
        legacy: None,
    },
];
