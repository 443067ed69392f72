//! Sources whose originals live behind HTTP: S3-compatible buckets and HTTP origins. Both are
//! read the same way — `HEAD` for the version, `GET` for the bytes — and differ only in how a
//! storage key becomes a URL ([`Target`]) and in who they may connect to ([`client::Reach`]).
//!
//! Versions are remembered per key for the source's `revalidate_after`: a cache hit inside
//! that window costs no request to the origin. After it, pixgate asks again with
//! `If-None-Match` (or `If-Modified-Since` when the origin gave no ETag); a `304` keeps the
//! version, anything else replaces it. The version's identity comes from the origin's ETag,
//! so a changed object gets new cache keys and its old derivatives age out of the LRU.

mod calls;
pub(crate) mod client;
mod credentials;
mod flights;
mod origin;
pub mod s3;

use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use lru::LruCache;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use sha2::{Digest, Sha256};
use url::Url;

use super::{Original, SourceError, StorageKey, Version};
use crate::config::{Root, SourceConfig};
pub use calls::{Calls, Op, Outcome};
use client::Reach;
use flights::Flights;

pub use s3::Bucket;

/// Versions remembered per source; the least recently used key is forgotten first.
const KNOWN_KEYS: usize = 100_000;
/// `/_pixgate/ready` waits at most this long for an origin.
const READINESS_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a remote source's keys live.
#[derive(Debug)]
pub enum Target {
    S3(Box<Bucket>),
    Http(origin::Origin),
}

/// One remote source: its client, its target, and the versions it has seen.
pub struct RemoteStore {
    client: reqwest::Client,
    target: Target,
    known: Mutex<LruCache<String, Known>>,
    /// Version checks under way, shared by concurrent requests for one key.
    checks: Flights<Result<Version, SourceError>>,
    revalidate_after: Duration,
    /// Bounds each `HEAD` and `GET`, connecting and the whole body included, wherever it is
    /// called from (routes also bound their own waits).
    timeout: Duration,
    /// Requests to the origin, for the metrics.
    calls: Calls,
}

impl std::fmt::Debug for RemoteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteStore")
            .field("target", &self.target)
            .finish()
    }
}

/// A version and the validator to revalidate it with.
#[derive(Debug, Clone)]
struct Known {
    version: Version,
    /// `ETag` as the origin sent it, else its `Last-Modified`.
    validator: Option<Validator>,
    checked: Instant,
}

enum Remembered {
    /// Checked within `revalidate_after`.
    Fresh(Version),
    /// To revalidate before use.
    Stale(Known),
    Unknown,
}

#[derive(Debug, Clone)]
enum Validator {
    ETag(String),
    LastModified(String),
}

impl RemoteStore {
    /// `None` for a local root. Fails when the client cannot be built (no TLS roots) or the
    /// bucket's URL cannot be formed.
    pub fn new(config: &SourceConfig, timeout: Duration) -> Result<Option<RemoteStore>, String> {
        let (target, reach, redirects) = match &config.root {
            Root::Local(_) => return Ok(None),
            Root::S3(root) => (
                Target::S3(Box::new(Bucket::new(root)?)),
                Reach::Configured,
                0,
            ),
            Root::Http(root) => (
                Target::Http(origin::Origin::new(
                    root.base.clone(),
                    root.allowed_networks.clone(),
                )),
                Reach::Guarded(root.allowed_networks.clone().into()),
                root.max_redirects,
            ),
        };
        let client = client::build(&reach, redirects).map_err(|e| e.to_string())?;
        let capacity = NonZeroUsize::new(KNOWN_KEYS).unwrap_or(NonZeroUsize::MIN);
        Ok(Some(RemoteStore {
            client,
            target,
            known: Mutex::new(LruCache::new(capacity)),
            checks: Flights::default(),
            revalidate_after: config.revalidate_after,
            timeout,
            calls: Calls::default(),
        }))
    }

    pub fn bucket(&self) -> Option<&Bucket> {
        match &self.target {
            Target::S3(bucket) => Some(bucket.as_ref()),
            Target::Http(_) => None,
        }
    }

    /// How the requests to the origin ended, and how long they took.
    pub fn calls(&self) -> &Calls {
        &self.calls
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The URL to fetch `key` from. An origin's URL is checked by the SSRF guard here: an
    /// IP-literal host never reaches the guarded resolver, so this is where it is judged
    /// (redirect hops are judged by the client's redirect policy).
    async fn url(&self, method: reqwest::Method, key: &StorageKey) -> Result<Url, SourceError> {
        match &self.target {
            Target::S3(bucket) => bucket.object_url(method, key.as_str()).await,
            Target::Http(origin) => origin.checked(origin.url(key)),
        }
    }

    /// The origin answers (any HTTP status counts for an HTTP origin; a bucket must let us
    /// list it). The reason names no host or path.
    pub async fn readiness(&self) -> Result<(), &'static str> {
        let request = match &self.target {
            Target::S3(bucket) => match bucket.probe_url().await {
                Ok(url) => self.client.get(url),
                Err(_) => return Err("the bucket's credentials cannot be obtained"),
            },
            Target::Http(origin) => match origin.checked(origin.base().clone()) {
                Ok(base) => self.client.head(base),
                Err(_) => return Err("the origin's address is refused by the SSRF guard"),
            },
        };
        let timeout = READINESS_TIMEOUT.min(self.timeout);
        match request.timeout(timeout).send().await {
            Ok(response) => match (&self.target, response.status()) {
                (Target::Http(_), _) => Ok(()),
                (Target::S3(_), status) if status.is_success() => Ok(()),
                (Target::S3(_), StatusCode::NOT_FOUND) => Err("the bucket does not exist"),
                (Target::S3(_), StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED) => {
                    Err("the bucket refuses the source's credentials")
                }
                (Target::S3(_), _) => Err("the bucket answers with errors"),
            },
            Err(e) => Err(match client::classify(&e) {
                SourceError::Refused(_) => "the origin's address is refused by the SSRF guard",
                SourceError::TimedOut => "the origin did not answer in time",
                _ => "the origin cannot be reached",
            }),
        }
    }

    /// The version of `key`: remembered, or revalidated or asked for once however many
    /// requests want it at the same time.
    pub async fn version(&self, key: &StorageKey) -> Result<Version, SourceError> {
        if let Remembered::Fresh(version) = self.remembered(key.as_str()) {
            return Ok(version);
        }
        let check = || async {
            // Looked at again: the flight before this one may have just answered.
            match self.remembered(key.as_str()) {
                Remembered::Fresh(version) => Ok(version),
                Remembered::Stale(known) => {
                    let call = self.calls.start(Op::Version);
                    call.end(self.ask_version(key, Some(known)).await)
                }
                Remembered::Unknown => {
                    let call = self.calls.start(Op::Version);
                    call.end(self.ask_version(key, None).await)
                }
            }
        };
        self.checks.share(key.as_str(), check).await
    }

    /// A `HEAD` for the version of `key`, conditional when a version is known.
    async fn ask_version(
        &self,
        key: &StorageKey,
        known: Option<Known>,
    ) -> Result<Version, SourceError> {
        let mut request = self
            .client
            .head(self.url(reqwest::Method::HEAD, key).await?)
            .timeout(self.timeout);
        if let Some(known) = &known {
            request = match &known.validator {
                Some(Validator::ETag(etag)) => request.header(header::IF_NONE_MATCH, etag),
                Some(Validator::LastModified(at)) => request.header(header::IF_MODIFIED_SINCE, at),
                None => request,
            };
        }
        let response = request.send().await.map_err(|e| client::classify(&e))?;
        match (response.status(), known) {
            (StatusCode::NOT_MODIFIED, Some(known)) => {
                let version = known.version;
                self.remember(
                    key.as_str(),
                    Known {
                        checked: Instant::now(),
                        ..known
                    },
                );
                Ok(version)
            }
            (status, _) if status.is_success() => {
                let headers = response.headers();
                Ok(self.learn(key, headers, content_length(headers).unwrap_or(0)))
            }
            (StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED, _) => {
                self.version_by_get(key).await
            }
            (status, _) => {
                self.forget(key.as_str());
                Err(status_error(status))
            }
        }
    }

    /// The version from a `GET` of the first byte, for origins that refuse `HEAD` (405, 501).
    /// The length is the total in `Content-Range`; an origin that ignores `Range` sends the
    /// whole body, whose headers are read and whose bytes are dropped unread.
    async fn version_by_get(&self, key: &StorageKey) -> Result<Version, SourceError> {
        let response = self
            .client
            .get(self.url(reqwest::Method::GET, key).await?)
            .header(header::RANGE, "bytes=0-0")
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| client::classify(&e))?;
        let headers = response.headers();
        let len = match response.status() {
            // 416: an empty file has no first byte; its total is still in `Content-Range`.
            StatusCode::PARTIAL_CONTENT | StatusCode::RANGE_NOT_SATISFIABLE => range_total(headers),
            status if status.is_success() => content_length(headers),
            status => {
                self.forget(key.as_str());
                return Err(status_error(status));
            }
        };
        Ok(self.learn(key, headers, len.unwrap_or(0)))
    }

    /// The whole original, refused as soon as it is known to exceed `max_bytes`: from its
    /// `Content-Length`, or while the body streams in.
    pub async fn read(&self, key: &StorageKey, max_bytes: u64) -> Result<Original, SourceError> {
        let call = self.calls.start(Op::Read);
        let (bytes, version) = call.end(self.get(key, max_bytes).await)?;
        Ok(Original { bytes, version })
    }

    async fn get(&self, key: &StorageKey, max_bytes: u64) -> Result<(Bytes, Version), SourceError> {
        let url = self.url(reqwest::Method::GET, key).await?;
        let mut response = self
            .client
            .get(url)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| client::classify(&e))?;
        let status = response.status();
        if !status.is_success() {
            if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
                self.forget(key.as_str());
            }
            return Err(status_error(status));
        }
        let announced = content_length(response.headers());
        if let Some(size) = announced.filter(|size| *size > max_bytes) {
            return Err(SourceError::TooLarge {
                size,
                limit: max_bytes,
            });
        }
        let headers = response.headers().clone();
        let capacity = announced.unwrap_or(64 * 1024).min(max_bytes);
        let mut body = BytesMut::with_capacity(usize::try_from(capacity).unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(|e| client::classify(&e))? {
            if (body.len() + chunk.len()) as u64 > max_bytes {
                return Err(SourceError::TooLarge {
                    size: (body.len() + chunk.len()) as u64,
                    limit: max_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        let len = body.len() as u64;
        let version = self.learn(key, &headers, announced.unwrap_or(len));
        Ok((body.freeze(), version))
    }

    /// What is remembered of `key`. A fresh entry (the common case: every cache hit asks)
    /// gives out only its version; the validator is copied only when it is about to be used.
    fn remembered(&self, key: &str) -> Remembered {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        match known.get(key) {
            Some(k) if k.checked.elapsed() < self.revalidate_after => Remembered::Fresh(k.version),
            Some(k) => Remembered::Stale(k.clone()),
            None => Remembered::Unknown,
        }
    }

    /// Remembers the version `headers` describe for `key`, and gives it out.
    fn learn(&self, key: &StorageKey, headers: &HeaderMap, len: u64) -> Version {
        let known = known_from(headers, len);
        let version = known.version;
        self.remember(key.as_str(), known);
        version
    }

    fn remember(&self, key: &str, known: Known) {
        let mut map = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        map.put(key.to_string(), known);
    }

    /// Forgets what is known of `key`: after a miss, and after pixgate itself wrote it.
    pub fn forget(&self, key: &str) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        known.pop(key);
    }
}

/// A non-success status from the origin. 404 and 410 mean the file is not there; everything
/// else (403 included: a bucket that hides missing keys behind 403 is misconfigured, and
/// calling that a 404 would hide wrong credentials) is the origin failing.
fn status_error(status: StatusCode) -> SourceError {
    match status {
        StatusCode::NOT_FOUND | StatusCode::GONE => SourceError::NotFound,
        status => SourceError::Io(format!("the origin answered {status}")),
    }
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// `TOTAL` of `Content-Range: bytes 0-0/TOTAL` (or `bytes */TOTAL`).
fn range_total(headers: &HeaderMap) -> Option<u64> {
    let range = headers.get(header::CONTENT_RANGE)?.to_str().ok()?;
    range.rsplit_once('/')?.1.trim().parse().ok()
}

/// The version an origin's headers describe. The identity is 64 bits of the ETag's SHA-256
/// (or of `Last-Modified` when there is no ETag), so a replaced object has a new version even
/// at the same length and second.
fn known_from(headers: &HeaderMap, len: u64) -> Known {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let etag = text(header::ETAG);
    let last_modified = text(header::LAST_MODIFIED);
    let modified: Option<SystemTime> = last_modified
        .as_deref()
        .and_then(|at| httpdate::parse_http_date(at).ok());
    let validator = match (etag, last_modified) {
        (Some(etag), _) => Some(Validator::ETag(etag)),
        (None, Some(at)) => Some(Validator::LastModified(at)),
        (None, None) => None,
    };
    let identity = validator.as_ref().map_or(0, |v| {
        let text = match v {
            Validator::ETag(t) | Validator::LastModified(t) => t,
        };
        let digest = Sha256::digest(text.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first)
    });
    Known {
        version: Version {
            len,
            modified,
            identity,
        },
        validator,
        checked: Instant::now(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), HeaderValue::from_static(value)))
            .collect()
    }

    #[test]
    fn the_total_of_a_content_range_is_the_length() {
        let total = |value| range_total(&headers(&[(header::CONTENT_RANGE, value)]));
        assert_eq!(total("bytes 0-0/126532"), Some(126_532));
        assert_eq!(total("bytes */0"), Some(0));
        assert_eq!(total("bytes 0-0/*"), None);
        assert_eq!(total("nonsense"), None);
        assert_eq!(range_total(&HeaderMap::new()), None);
    }

    #[test]
    fn a_new_etag_is_a_new_version_at_the_same_length_and_time() {
        let at = "Tue, 24 Nov 2026 03:00:00 GMT";
        let one = known_from(
            &headers(&[(header::ETAG, "\"a\""), (header::LAST_MODIFIED, at)]),
            10,
        );
        let two = known_from(
            &headers(&[(header::ETAG, "\"b\""), (header::LAST_MODIFIED, at)]),
            10,
        );
        assert_ne!(one.version, two.version);
        assert_ne!(one.version.tag(), two.version.tag());
        assert!(one.version.modified.is_some());
        assert!(matches!(one.validator, Some(Validator::ETag(ref e)) if e == "\"a\""));
    }

    #[test]
    fn without_an_etag_last_modified_validates_and_identifies() {
        let earlier = known_from(
            &headers(&[(header::LAST_MODIFIED, "Tue, 24 Nov 2026 03:00:00 GMT")]),
            10,
        );
        let later = known_from(
            &headers(&[(header::LAST_MODIFIED, "Tue, 24 Nov 2026 03:00:01 GMT")]),
            10,
        );
        assert!(matches!(
            earlier.validator,
            Some(Validator::LastModified(_))
        ));
        assert_ne!(earlier.version, later.version);
        let bare = known_from(&HeaderMap::new(), 10);
        assert!(bare.validator.is_none());
        assert_eq!(bare.version.identity, 0);
    }

    #[test]
    fn only_404_and_410_mean_missing() {
        assert_eq!(status_error(StatusCode::NOT_FOUND), SourceError::NotFound);
        assert_eq!(status_error(StatusCode::GONE), SourceError::NotFound);
        for status in [
            StatusCode::FORBIDDEN,
            StatusCode::UNAUTHORIZED,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::NOT_MODIFIED,
        ] {
            assert!(
                matches!(status_error(status), SourceError::Io(_)),
                "{status}"
            );
        }
    }
}
