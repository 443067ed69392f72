//! The typed, validated configuration (`pixgate.toml`, contract §8) and the one way to build it:
//! parse the TOML, apply environment overrides, then validate everything at once, so the rest of
//! the crate only ever sees values that make sense.
//!
//! Every key can be overridden from the environment, so a config file can be committed without
//! its secrets and a deployment can change one value without a file of its own. The registry in
//! `keys.rs` lists every key; the table in docs/configuration.md is rendered from it
//! ([`reference_table`]).
//! - `PIXGATE_<SECTION>__<KEY>` (two underscores between section and key, both upper-cased)
//!   replaces `<section>.<key>`: `PIXGATE_CACHE__MAX_BYTES=1GiB`, `PIXGATE_LOG__FORMAT=json`.
//! - `PIXGATE_SOURCES__<NAME>__<KEY>` replaces `<key>` of the source the file declares with that
//!   name: `PIXGATE_SOURCES__MY_SHOP__HMAC_KEYS=k1,k2`. `<NAME>` is the source's `name` in ASCII
//!   uppercase with every other character turned into `_`. The environment changes declared
//!   sources only; it cannot add one, nor rename one.
//! - Values are read as the file reads them: sizes and durations as the same strings (a bare
//!   integer size is bytes), integers in decimal (`_` separators allowed), bools as `true` or
//!   `false`. Lists are comma-separated; items are trimmed and empty items dropped, and a list
//!   variable set to nothing empties the list.
//! - The older spellings `PIXGATE_SERVER_LISTEN`, `PIXGATE_SOURCES_<NAME>_MD5_TOKENS` and
//!   `PIXGATE_SOURCES_<NAME>_HMAC_KEYS` still work; when both spellings are set, the new wins.
//!
//! A value that does not parse is a [`Problem`] under its TOML key with the variable as its
//! `origin`, reported with all the others. A variable of the form `PIXGATE_…__…` that names no
//! key or no declared source is a problem too, so a typo fails like an unknown file key; other
//! `PIXGATE_*` variables are left alone.
//!
//! The environment is read only through the [`Env`] handed to [`Config::load`] /
//! [`Config::from_toml`]; `main` passes [`Env::from_process`].

mod addressing;
mod credentials;
mod env;
mod keys;
mod network;
mod raw;
mod reference;
mod root;
mod server;
mod sources;
mod units;
mod validate;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use addressing::host_name;
pub use credentials::{
    Container, ContainerAuthorization, CredentialSource, S3Credentials, WebIdentity,
};
pub use env::Env;
pub use network::Network;
pub use reference::reference_table;
pub use root::{HttpRoot, Root, S3Root};
pub use server::ServerConfig;
pub use units::{parse_duration, parse_size};

const MIB: u64 = 1024 * 1024;
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Everything pixgate reads at startup. Built by [`Config::load`] or [`Config::from_toml`], which
/// guarantee at least one source and every invariant documented on the fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    pub server: ServerConfig,
    pub cache: CacheConfig,
    pub limits: LimitsConfig,
    pub uploads: UploadsConfig,
    pub log: LogConfig,
    pub text: TextConfig,
    pub encoding: EncodingConfig,
    pub playground: PlaygroundConfig,
    /// Named transforms (`?preset=NAME`), each checked at load.
    pub presets: Vec<Preset>,
    /// In file order; never empty after loading (but empty in `Config::default()`).
    pub sources: Vec<SourceConfig>,
}

/// The derivative LRU's budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// Total bytes of cached derivatives. Default 512 MiB; 0 disables caching.
    pub max_bytes: u64,
    /// Larger derivatives are served but not cached. Default `max_bytes / 16`; never above
    /// `max_bytes`.
    pub max_entry_bytes: u64,
    /// Budget of the small cache of original (source) bytes, so that a srcset of several
    /// widths reads its original once. Default 64 MiB; 0 disables it.
    pub originals_max_bytes: u64,
    /// Budget of decoded pixels kept from large originals, so that a srcset's later widths
    /// skip the decode. Default 64 MiB; 0 disables it.
    pub mezzanine_max_bytes: u64,
    /// `[cache.disk]`, the second tier on local disk.
    pub disk: DiskCacheConfig,
    /// `[cache.shared]`, the third tier in a bucket every instance reads.
    pub shared: SharedCacheConfig,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedCacheConfig {
    /// The bucket and key prefix (`s3://bucket/prefix`) with the keys sources use to reach
    /// one; `None` (the default) shares nothing.
    pub bucket: Option<S3Root>,
    /// A read or write of the tier slower than this is given up (counted, the request goes
    /// on without it). Default 2 s; > 0.
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskCacheConfig {
    /// Where the records live (absolute after loading; created at start-up); never inside a
    /// source's folder, where passthrough could serve them. `None` (the default) keeps
    /// derivatives in memory only.
    pub dir: Option<PathBuf>,
    /// Bytes of records kept. Default 1 GiB; > 0.
    pub max_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitsConfig {
    /// Width × height above which a source image is refused before decoding. Default 50 000 000; > 0.
    pub max_source_pixels: u64,
    /// Largest source file that is transformed. Default 50 MiB; > 0.
    pub max_source_bytes: u64,
    /// Largest width or height of a derivative, in px. Default 8192; > 0.
    pub max_output_dimension: u32,
    /// Wall-clock budget of one render. Default 30 s; > 0.
    pub render_timeout: Duration,
    /// Most frames an animated output (GIF or WebP from an animated GIF or WebP) or a frame
    /// selection may have; more is a 413. All frames together must also stay within
    /// `max_source_pixels`. Default 256; > 0.
    pub max_animation_frames: u32,
    /// Renders at once (decode, resize, encode are CPU-bound). `0` in the file means one per
    /// core and is resolved at load time; always > 0 after loading.
    pub render_workers: usize,
    /// Renders that may wait for a worker; one more is refused at once with 503 and
    /// `Retry-After`. Default 32; 0 = never wait.
    pub render_queue: usize,
    /// Total time to read one original from its source. Default 10 s; > 0.
    pub source_timeout: Duration,
    /// Not read from the file. The program run as `<program> decode-av1` for each AV1 decode,
    /// so a decoder crash cannot take the server down (see `render::decode::av1_child`);
    /// `pixgate serve` sets its own binary. `None` decodes in-process.
    pub av1_decoder: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadsConfig {
    /// Largest accepted upload (the `TOTAL` of its `Content-Range`). Default 5 GiB; > 0.
    pub max_bytes: u64,
    /// Abandoned resumable uploads are removed after this. Default 24 h; > 0.
    pub session_ttl: Duration,
}

/// A named transform: `params` is a query string of transform parameters, which parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    pub name: String,
    pub params: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextConfig {
    /// The operator's fonts for `txt`, besides the shipped ones: an existing folder
    /// (absolute after loading). Default none.
    pub fonts_dir: Option<PathBuf>,
}

/// Encoder effort, and when `auto=format` gives up AVIF for its speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodingConfig {
    /// rav1e's speed preset for AVIF, 1 (slowest, smallest) to 10. Default 9.
    pub avif_speed: u8,
    /// `auto=format` serves WebP instead of AVIF when the AVIF encode is predicted to take
    /// longer than this (from the output's pixels and the encodes measured so far); zero never
    /// gives AVIF up. Default 200 ms.
    pub avif_budget: Duration,
    /// libwebp's `method` for WebP output, 0 (fastest) to 6 (smallest). Default 4.
    pub webp_method: u8,
    /// zlib's level for PNG output, 1 (fastest) to 9 (smallest). Default 6.
    pub png_level: u8,
}

impl Default for EncodingConfig {
    fn default() -> Self {
        EncodingConfig {
            avif_speed: 9,
            avif_budget: Duration::from_millis(200),
            webp_method: 4,
            png_level: 6,
        }
    }
}

/// `[playground]`: the page that builds and signs URLs in a browser (docs/playground.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlaygroundConfig {
    /// Serve `/_pixgate/playground` and its listings. Default off: the listing shows folder
    /// sources' file names to whoever can reach the server.
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogConfig {
    pub format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// One source (contract §1, §2). After loading, every field is normalised as documented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceConfig {
    /// Matches `[A-Za-z0-9_-]+`; unique, also after mapping to its environment-variable segment.
    pub name: String,
    /// Where its originals live: a local folder (absolute after loading: relative roots are
    /// joined to the config file's directory, or the base dir given, lexically; an existing
    /// directory at load time), an S3-compatible bucket or an HTTP origin.
    pub root: Root,
    /// Lowercased, any `:port` stripped. Empty = any host.
    pub hosts: Vec<String>,
    /// `""` or `/seg[/seg…]` without a trailing slash; segments use only characters that never
    /// need percent-encoding, so the prefix reads the same raw and decoded.
    pub prefix: String,
    /// Only signed requests are answered. Implies at least one secret.
    pub secure: bool,
    /// Storage-key prefixes (e.g. `private/`) that need a signature, kept verbatim: relative,
    /// non-empty, no `.`/`..` segments. Non-empty implies at least one secret.
    pub private_prefixes: Vec<String>,
    /// `s` scheme secrets: the first signs, all verify. None empty.
    pub md5_tokens: Vec<String>,
    /// `signature` scheme secrets: the first signs, all verify. None empty.
    pub hmac_keys: Vec<String>,
    /// `max-age` of responses. Default 365 days.
    pub default_ttl: Duration,
    /// Signed URLs must expire within this; `None` = no limit. Never zero.
    pub max_ttl: Option<Duration>,
    /// Grace after a URL's expiry. Default zero.
    pub clock_skew: Duration,
    /// Remote roots: how long a known version of an original is used before the origin is asked
    /// again (`If-None-Match`). Default 60 s; zero asks every time.
    pub revalidate_after: Duration,
    /// A watermark drawn on every unsigned derivative (and instead of every unsigned
    /// passthrough): mark parameters as a query string, checked at load.
    pub watermark: Option<String>,
    /// Unsigned requests may transform only with presets (`403 presets_only` otherwise).
    pub presets_only: bool,
    /// Sizes an unsigned request's `w`/`h` (times `dpr`) are rounded up to, ascending;
    /// empty (the default) takes any size.
    pub widths: Vec<u32>,
    /// A storage key (not private) served, transformed alike, in place of an original that
    /// is missing or undecodable.
    pub fallback: Option<String>,
    /// The status the fallback is answered with. Default 404; 200–299 or 400–499.
    pub fallback_status: u16,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig::with_max_bytes(512 * MIB)
    }
}

impl CacheConfig {
    /// A budget with the default per-entry limit for it (`max_bytes / 16`).
    fn with_max_bytes(max_bytes: u64) -> Self {
        CacheConfig {
            max_bytes,
            max_entry_bytes: max_bytes / 16,
            originals_max_bytes: 64 * MIB,
            mezzanine_max_bytes: 64 * MIB,
            disk: DiskCacheConfig {
                dir: None,
                max_bytes: 1024 * MIB,
            },
            shared: SharedCacheConfig {
                bucket: None,
                timeout: Duration::from_secs(2),
            },
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_source_pixels: 50_000_000,
            max_source_bytes: 50 * MIB,
            max_output_dimension: 8192,
            render_timeout: Duration::from_secs(30),
            max_animation_frames: 256,
            render_workers: cores(),
            render_queue: 32,
            source_timeout: Duration::from_secs(10),
            av1_decoder: None,
        }
    }
}

impl Default for UploadsConfig {
    fn default() -> Self {
        UploadsConfig {
            max_bytes: 5 * 1024 * MIB,
            session_ttl: DAY,
        }
    }
}

/// One render worker per core: the default of `limits.render_workers`.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl SourceConfig {
    /// A non-secure source serving all of `root` for any host, every other field defaulted.
    /// `root` is taken as given (no resolution, no checks).
    pub fn new(name: &str, root: impl Into<Root>) -> SourceConfig {
        SourceConfig {
            name: name.to_owned(),
            root: root.into(),
            hosts: Vec::new(),
            prefix: String::new(),
            secure: false,
            private_prefixes: Vec::new(),
            md5_tokens: Vec::new(),
            hmac_keys: Vec::new(),
            default_ttl: 365 * DAY,
            max_ttl: None,
            clock_skew: Duration::ZERO,
            revalidate_after: root::DEFAULT_REVALIDATE_AFTER,
            watermark: None,
            presets_only: false,
            widths: Vec::new(),
            fallback: None,
            fallback_status: 404,
        }
    }
}

impl Config {
    /// Reads and validates a file. Relative roots resolve against the file's directory.
    pub fn load(path: &Path, env: &Env) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base_dir = path.parent().unwrap_or(Path::new(""));
        Config::from_toml(&text, base_dir, env)
    }

    /// Parses and validates TOML text; `base_dir` resolves relative roots (a relative `base_dir`
    /// is taken from the current directory).
    pub fn from_toml(text: &str, base_dir: &Path, env: &Env) -> Result<Config, ConfigError> {
        let mut raw: raw::RawConfig = toml::from_str(text)
            .map_err(|e| ConfigError::Syntax(e.to_string().trim_end().to_owned()))?;
        let mut problems = validate::Problems::default();
        env::apply(&mut raw, env, &mut problems);
        validate::validate(raw, base_dir, env, problems).map_err(ConfigError::Invalid)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The TOML did not parse or did not fit the schema (wrong type, unknown key); toml's text
    /// names the line, the column and the key.
    #[error("{0}")]
    Syntax(String),
    /// Every problem found: the environment's first, then the file's in file order.
    #[error("invalid configuration:{}", problem_lines(.0))]
    Invalid(Vec<Problem>),
}

/// One thing wrong with a configuration value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where, as a TOML path: `cache.max_bytes`, `sources[1].max_ttl`, `sources[0].hosts[2]`;
    /// or a variable's name when the variable itself is wrong (names no key).
    pub key: String,
    /// The environment variable the value came from, when not from the file.
    pub origin: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Some(var) => write!(f, "{} (from {var}): {}", self.key, self.message),
            None => write!(f, "{}: {}", self.key, self.message),
        }
    }
}

fn problem_lines(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("\n  {p}")).collect()
}
