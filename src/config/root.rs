//! Where a source's originals live, from its `root`: a local folder, an S3-compatible bucket
//! (`s3://bucket/prefix`) or an HTTP origin (`https://host/base/`), with the keys each kind
//! needs. Keys that belong to another kind are refused rather than ignored, so a typo in a
//! deployment fails at start-up instead of silently talking to the wrong place.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use super::credentials::CredentialSource;
use super::env::Env;
use super::network::Network;
use super::raw::RawSource;
use super::validate::Problems;

/// A source's storage, parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// Absolute, made so lexically (symlinks are not resolved here); a folder at load time.
    Local(PathBuf),
    S3(S3Root),
    Http(HttpRoot),
}

impl From<PathBuf> for Root {
    fn from(path: PathBuf) -> Root {
        Root::Local(path)
    }
}

impl Root {
    /// The local folder, for the kinds that have one.
    pub fn local(&self) -> Option<&Path> {
        match self {
            Root::Local(path) => Some(path),
            Root::S3(_) | Root::Http(_) => None,
        }
    }
}

/// `s3://bucket/prefix` and how to reach it.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Root {
    pub bucket: String,
    /// `""` or a key prefix ending in `/`; storage keys are appended to it.
    pub prefix: String,
    /// The service's base URL: `endpoint`, or AWS's regional one
    /// (`https://s3.<region>.amazonaws.com`) when unset.
    pub endpoint: Url,
    /// Default `us-east-1` (what MinIO, Ceph and R2's `auto` accept as well).
    pub region: String,
    /// Requests go to `<endpoint>/<bucket>/<key>` instead of `<bucket>.<endpoint host>/<key>`.
    /// Default: on when `endpoint` is set (MinIO, Ceph and most self-hosted services need it),
    /// off for AWS.
    pub path_style: bool,
    /// Where the keys that sign requests come from.
    pub credentials: CredentialSource,
    /// Uploads are received into this local folder before they are written to the bucket.
    pub staging_dir: PathBuf,
}

/// The secret stays out of logs and `check-config` output.
impl std::fmt::Debug for S3Root {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Root")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint.as_str())
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("credentials", &self.credentials)
            .field("staging_dir", &self.staging_dir)
            .finish()
    }
}

/// An HTTP origin: storage keys are appended to `base`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoot {
    /// `http` or `https`, a host, a path ending in `/`; no user info, query or fragment.
    pub base: Url,
    /// Networks the origin (and every redirect) may connect to although the SSRF guard refuses
    /// them by default (loopback, private, link-local…). Empty by default.
    pub allowed_networks: Vec<Network>,
    /// Redirects followed per fetch, each one checked like the first request. Default 3.
    pub max_redirects: u32,
}

/// How long a remote original's version is trusted before pixgate asks the origin again
/// (with `If-None-Match`), unless configured. Local files are checked on every request.
pub const DEFAULT_REVALIDATE_AFTER: Duration = Duration::from_secs(60);
pub const DEFAULT_MAX_REDIRECTS: u32 = 3;
const DEFAULT_REGION: &str = "us-east-1";

/// Parses `root` and the kind-specific keys. Problems are reported under their TOML keys.
pub(super) fn root(
    problems: &mut Problems,
    at: &str,
    raw: &RawSource,
    base_dir: &Path,
    env: &Env,
) -> Root {
    let key = format!("{at}.root");
    let Some(text) = raw.root.as_deref().filter(|root| !root.is_empty()) else {
        problems.push(
            key,
            "is required: a folder (root = \"fixtures\"), a bucket (\"s3://bucket/prefix\") or \
             an origin (\"https://origin.example.com/images/\")",
        );
        return Root::Local(PathBuf::new());
    };
    let scheme = text.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    let root = match scheme.as_deref() {
        Some("s3") => s3(problems, at, text, raw, base_dir, env).map(Root::S3),
        Some("http" | "https") => http(problems, at, text, raw).map(Root::Http),
        Some(other) => {
            problems.push(
                key,
                format!("{other}:// is not a source kind: use a folder, s3:// or https://"),
            );
            None
        }
        None => Some(Root::Local(local_dir(problems, &key, text, base_dir))),
    };
    // Judged by the kind written, so a bucket whose endpoint is wrong is not also told that
    // its endpoint belongs to a bucket.
    let kind = match scheme.as_deref() {
        Some("s3") => Some(Kind::S3),
        Some("http" | "https") => Some(Kind::Http),
        Some(_) => None,
        None => Some(Kind::Local),
    };
    if let Some(kind) = kind {
        refuse_foreign_keys(problems, at, raw, kind);
    }
    root.unwrap_or(Root::Local(PathBuf::new()))
}

#[derive(Clone, Copy)]
enum Kind {
    Local,
    S3,
    Http,
}

/// `base_dir` joined with the root and made absolute without resolving symlinks, so a root that
/// is a deploy-time symlink (`current -> releases/42`) keeps following it.
pub(super) fn local_dir(
    problems: &mut Problems,
    key: &str,
    root: &str,
    base_dir: &Path,
) -> PathBuf {
    let joined = base_dir.join(root);
    let resolved = std::path::absolute(&joined).unwrap_or(joined);
    let shown = resolved.display();
    match std::fs::metadata(&resolved) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => problems.push(key, format!("{shown} is not a directory")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            problems.push(key, format!("{shown} does not exist"));
        }
        Err(e) => problems.push(key, format!("{shown} cannot be read: {e}")),
    }
    resolved
}

fn s3(
    problems: &mut Problems,
    at: &str,
    text: &str,
    raw: &RawSource,
    base_dir: &Path,
    env: &Env,
) -> Option<S3Root> {
    let key = format!("{at}.root");
    let rest = &text["s3://".len()..];
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if !valid_bucket(bucket) {
        problems.push(
            key,
            format!(
                "{bucket:?} is not a bucket name: 3 to 63 lowercase letters, digits, '.' and '-', \
                 e.g. \"s3://images/originals\""
            ),
        );
        return None;
    }
    let prefix = prefix.trim_matches('/');
    if prefix
        .split('/')
        .any(|s| s == "." || s == ".." || (s.is_empty() && !prefix.is_empty()))
        || prefix.chars().any(char::is_control)
    {
        problems.push(
            key,
            format!("the key prefix {prefix:?} has empty, '.' or '..' segments"),
        );
        return None;
    }
    let prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    let region = raw
        .region
        .clone()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| DEFAULT_REGION.to_string());
    let endpoint_text = raw.endpoint.as_deref().filter(|e| !e.is_empty());
    let endpoint = match endpoint_text {
        Some(text) => base_url(problems, &format!("{at}.endpoint"), text)?,
        None => Url::parse(&format!("https://s3.{region}.amazonaws.com/")).ok()?,
    };
    let credentials = super::credentials::credentials(problems, at, raw, &region, env);
    let staging_dir = match raw.staging_dir.as_deref().filter(|s| !s.is_empty()) {
        Some(dir) => {
            let joined = base_dir.join(dir);
            std::path::absolute(&joined).unwrap_or(joined)
        }
        None => std::env::temp_dir()
            .join("pixgate-staging")
            .join(raw.name.as_deref().unwrap_or("source")),
    };
    Some(S3Root {
        bucket: bucket.to_string(),
        prefix,
        path_style: raw.path_style.unwrap_or(endpoint_text.is_some()),
        endpoint,
        region,
        credentials,
        staging_dir,
    })
}

/// AWS's rules for new buckets (lowercase, 3–63 characters, starts and ends alphanumeric).
fn valid_bucket(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn http(problems: &mut Problems, at: &str, text: &str, raw: &RawSource) -> Option<HttpRoot> {
    let base = base_url(problems, &format!("{at}.root"), text)?;
    let mut allowed_networks = Vec::with_capacity(raw.allowed_networks.len());
    for (i, network) in raw.allowed_networks.iter().enumerate() {
        match network.parse::<Network>() {
            Ok(network) => allowed_networks.push(network),
            Err(e) => problems.push(format!("{at}.allowed_networks[{i}]"), e.to_string()),
        }
    }
    let max_redirects = match raw.max_redirects {
        None => DEFAULT_MAX_REDIRECTS,
        Some(n) => u32::try_from(n).unwrap_or_else(|_| {
            problems.push(
                format!("{at}.max_redirects"),
                format!("{n} is not a count of redirects (0 to 20)"),
            );
            DEFAULT_MAX_REDIRECTS
        }),
    };
    if max_redirects > 20 {
        problems.push(
            format!("{at}.max_redirects"),
            format!("{max_redirects} is more than 20 redirects"),
        );
    }
    Some(HttpRoot {
        base,
        allowed_networks,
        max_redirects,
    })
}

/// An `http(s)` URL usable as a base: a host, no user info, query or fragment; its path gets a
/// trailing `/` so that keys are appended below it, never beside it.
fn base_url(problems: &mut Problems, key: &str, text: &str) -> Option<Url> {
    let mut url = match Url::parse(text) {
        Ok(url) => url,
        Err(e) => {
            problems.push(key, format!("{text:?} is not a URL: {e}"));
            return None;
        }
    };
    let trouble = if !matches!(url.scheme(), "http" | "https") {
        Some("must be http:// or https://")
    } else if url.host_str().is_none_or(str::is_empty) {
        Some("must name a host")
    } else if !url.username().is_empty() || url.password().is_some() {
        Some("must not carry user info (credentials go in their own keys)")
    } else if url.query().is_some() || url.fragment().is_some() {
        Some("must not have a query or fragment")
    } else {
        None
    };
    if let Some(trouble) = trouble {
        problems.push(key, format!("{text:?} {trouble}"));
        return None;
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Some(url)
}

/// Keys that only mean something for another kind of root.
fn refuse_foreign_keys(problems: &mut Problems, at: &str, raw: &RawSource, kind: Kind) {
    let s3_keys = [
        ("endpoint", raw.endpoint.is_some()),
        ("region", raw.region.is_some()),
        ("access_key_id", raw.access_key_id.is_some()),
        ("secret_access_key", raw.secret_access_key.is_some()),
        ("session_token", raw.session_token.is_some()),
        ("anonymous", raw.anonymous.is_some()),
        ("path_style", raw.path_style.is_some()),
        ("staging_dir", raw.staging_dir.is_some()),
    ];
    let http_keys = [
        ("allowed_networks", !raw.allowed_networks.is_empty()),
        ("max_redirects", raw.max_redirects.is_some()),
    ];
    let remote_keys = [("revalidate_after", raw.revalidate_after.is_some())];
    let (s3, http) = match kind {
        Kind::Local => (false, false),
        Kind::S3 => (true, false),
        Kind::Http => (false, true),
    };
    let foreign = s3_keys
        .iter()
        .filter(|_| !s3)
        .chain(http_keys.iter().filter(|_| !http))
        .chain(remote_keys.iter().filter(|_| !s3 && !http));
    for (name, set) in foreign {
        if *set {
            let kind = match *name {
                "allowed_networks" | "max_redirects" => "an http(s):// root",
                "revalidate_after" => "an s3:// or http(s):// root",
                _ => "an s3:// root",
            };
            problems.push(format!("{at}.{name}"), format!("applies only to {kind}"));
        }
    }
}
