//! GET/HEAD of a storage path, one line per pipeline stage:
//! route → parse → verify → cache → source → render → respond.

use std::fmt::Write as _;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::Response;
use sha2::{Digest, Sha256};

use crate::cache::Derivative;
use crate::error::{Error, RequestError};
use crate::metrics::Stage;
use crate::render::{self, Limits, RenderError};
use crate::respond::{self, Delivery};
use crate::server::AppState;
use crate::signature;
use crate::source::{OpenedFile, Original, Source, SourceError, StorageKey, Store, Version};
use crate::transform::{self, OutputFormat, Request, Transform};

/// GET or HEAD of a storage path: a passthrough of the stored bytes or a rendered derivative.
pub async fn serve(
    app: &AppState,
    located: super::Located,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, Error> {
    let (raw_path, raw_query) = (uri.path(), uri.query());
    let pairs = decode_query(raw_query)?;
    let (source, key) = (&app.sources[located.source], located.key);
    let required = source.config.secure || key.as_ref().is_ok_and(|k| source.is_private(k));
    let now = app.now();
    let verifying = Instant::now();
    let access = signature::verify(
        raw_path,
        raw_query,
        signature::Method::Get,
        required,
        &source.policy(),
        now,
    );
    app.metrics.stage(Stage::Verify, verifying.elapsed());
    let access = access?;
    let key = key?;
    let request = transform::parse(&pairs)?;
    let delivery = Delivery {
        max_age: max_age(source, access.expires_at, now),
        vary_accept: request.auto_format && request.transform.format.is_none(),
        download_name: request.download_name.clone(),
        head: *method == Method::HEAD,
        lookup: None,
    };
    if request.is_passthrough() {
        let timeout = app.config.limits.source_timeout;
        let file = match &source.store {
            Store::Local(store) => within(timeout, store.open(&key)).await?,
            // A remote original is fetched whole anyway: the originals cache spares the
            // origin a download per request, as it does for renders.
            Store::Remote(_) => {
                let version = within(timeout, source.version(&key)).await?;
                OpenedFile::from(original(app, source, &key, &version).await?.as_ref())
            }
        };
        return respond::file(file, headers, &delivery)
            .await
            .map_err(|e| RequestError::Internal(format!("streaming: {e}")).into());
    }
    let negotiated = negotiate(&request, headers);
    let timeout = app.config.limits.source_timeout;
    let version = within(timeout, source.version(&key)).await?;
    let cache_key = cache_key(source, &key, &version, &request.transform, negotiated);
    let miss = || render_miss(app, source, &key, &version, &request.transform, negotiated);
    let (derivative, lookup) = app.cache.get_or_load(&cache_key, miss).await?;
    let delivery = Delivery {
        lookup: Some(lookup),
        ..delivery
    };
    Ok(respond::derivative(&derivative, headers, &delivery))
}

/// The query's pairs, decoded. Control characters and invalid UTF-8 anywhere in it are
/// refused before any stage looks at it.
fn decode_query(raw: Option<&str>) -> Result<Vec<(String, String)>, Error> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    // Decoding the whole string at once finds invalid UTF-8 in any pair, since pairs are cut
    // at ASCII `&` and `=` that cannot sit inside a multi-byte character.
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| RequestError::BadQuery)?;
    if decoded.chars().any(char::is_control) {
        return Err(RequestError::BadQuery.into());
    }
    serde_urlencoded::from_str(raw).map_err(|_| RequestError::BadQuery.into())
}

/// `auto=format` without an explicit `fm`: AVIF, then WebP, when `Accept` names them with a
/// non-zero weight. Wildcards do not count: `image/*` says nothing about AVIF support.
fn negotiate(request: &Request, headers: &HeaderMap) -> Option<OutputFormat> {
    if !request.auto_format || request.transform.format.is_some() {
        return None;
    }
    let accept = headers.get(header::ACCEPT).and_then(|h| h.to_str().ok())?;
    if accepts(accept, "image/avif") {
        Some(OutputFormat::Avif)
    } else if accepts(accept, "image/webp") {
        Some(OutputFormat::Webp)
    } else {
        None
    }
}

/// Whether `accept` lists `mime` with a weight above zero (RFC 9110 §12.5.1: media types and
/// parameter names are case-insensitive, `q` defaults to 1).
fn accepts(accept: &str, mime: &str) -> bool {
    accept.split(',').any(|item| {
        let mut parts = item.split(';');
        let named = parts
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case(mime));
        let weight = parts
            .filter_map(|p| p.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .map_or(1.0, |(_, q)| q.trim().parse::<f32>().unwrap_or(0.0));
        named && weight > 0.0
    })
}

/// Exactly what changes the bytes: source, storage key and the file's version, canonical
/// transform, negotiated format (one of three buckets: avif, webp, or `-` for the default).
/// Never the signature, expiry or unknown parameters. Built in one buffer: it is made on
/// every request, cache hits included.
fn cache_key(
    source: &Source,
    key: &StorageKey,
    version: &Version,
    t: &Transform,
    negotiated: Option<OutputFormat>,
) -> String {
    let mut out = original_key(source, key, version);
    out.push('\n');
    t.write_canonical(&mut out);
    out.push('\n');
    match negotiated {
        Some(format) => {
            let _ = write!(out, "{format}");
        }
        None => out.push('-'),
    }
    out
}

/// One stored file in one version.
fn original_key(source: &Source, key: &StorageKey, version: &Version) -> String {
    let mut out = String::with_capacity(128);
    push_file_prefix(&mut out, source, key);
    version.write_tag(&mut out);
    out
}

/// What every cache key of one stored file starts with, in every version: replacing the
/// file drops the entries under it.
pub fn file_prefix(source: &Source, key: &StorageKey) -> String {
    let mut out = String::new();
    push_file_prefix(&mut out, source, key);
    out
}

fn push_file_prefix(out: &mut String, source: &Source, key: &StorageKey) {
    out.push_str(&source.config.name);
    out.push('\n');
    out.push_str(key.as_str());
    out.push('\n');
}

/// `Cache-Control: max-age`: the source's TTL, or the time the URL has left if shorter.
fn max_age(source: &Source, expires_at: Option<u64>, now: u64) -> u64 {
    let ttl = source.config.default_ttl.as_secs();
    expires_at.map_or(ttl, |at| ttl.min(at.saturating_sub(now)))
}

/// A cache miss: wait for a render worker (or be refused at once when the queue is full),
/// fetch the original through the originals cache, render it on that worker's thread, and give
/// up waiting at `render_timeout`; the render itself stops at its next checkpoint and only
/// then frees the worker.
async fn render_miss(
    app: &AppState,
    source: &Source,
    key: &StorageKey,
    version: &Version,
    t: &Transform,
    negotiated: Option<OutputFormat>,
) -> Result<Derivative, Error> {
    let limits = &app.config.limits;
    let slot = app
        .render_pool
        .admit()
        .await
        .map_err(|_| RequestError::Overloaded)?;
    // Read inside the slot: memory held by originals is then bounded by the workers, not by
    // the queue.
    let original = original(app, source, key, version).await?;
    let mut render_limits = Limits::from_config(limits);
    let deadline = Instant::now() + limits.render_timeout;
    render_limits.deadline = Some(deadline);
    let (bytes, t) = (original.bytes.clone(), t.clone());
    // The worker stays taken while the CPU works, also past a waiter that gave up.
    let task = app.render_pool.run(slot, move || {
        render::render(&bytes, &t, negotiated, &render_limits)
    });
    let rendered = tokio::time::timeout_at(deadline.into(), task)
        .await
        // The waiter's side of the deadline: the same answer as a render that stops itself.
        .map_err(|_| RenderError::TimedOut)?
        .map_err(|e| RequestError::Internal(format!("render task: {}", e.0)))??;
    let stages = rendered.stages;
    app.metrics.stage(Stage::Decode, stages.decode);
    app.metrics.stage(Stage::Resize, stages.resize);
    app.metrics.stage(Stage::Encode, stages.encode);
    let digest = Sha256::digest(&rendered.bytes);
    let etag = format!("\"{}\"", crate::hex::lower(&digest[..16]));
    Ok(Derivative::new(
        rendered.bytes,
        rendered.format.mime(),
        etag,
        original.version.modified,
    ))
}

/// The bytes of one version of an original, through the originals cache (one read for a
/// srcset's several widths), bounded by `limits.source_timeout` and `max_source_bytes`.
async fn original(
    app: &AppState,
    source: &Source,
    key: &StorageKey,
    version: &Version,
) -> Result<Arc<Original>, Error> {
    let limits = &app.config.limits;
    let read = || async {
        let reading = Instant::now();
        let read = within(
            limits.source_timeout,
            source.read(key, limits.max_source_bytes),
        )
        .await;
        app.metrics.stage(Stage::SourceRead, reading.elapsed());
        Ok(read?)
    };
    let original_key = original_key(source, key, version);
    let (original, _) = app.originals.get_or_load(&original_key, read).await?;
    Ok(original)
}

/// A source operation bounded by `limits.source_timeout`.
async fn within<T>(
    timeout: Duration,
    operation: impl Future<Output = Result<T, SourceError>>,
) -> Result<T, SourceError> {
    tokio::time::timeout(timeout, operation)
        .await
        .unwrap_or(Err(SourceError::TimedOut))
}

#[cfg(test)]
mod tests {
    use super::accepts;

    #[test]
    fn accept_weights_and_case_follow_rfc_9110() {
        let cases = [
            ("image/avif,image/webp", true),
            ("IMAGE/AVIF", true),
            ("image/avif;q=0.5", true),
            ("image/avif ; Q=0.001", true),
            ("image/avif;q=0", false),
            ("image/avif;q=0.0, image/webp", false),
            ("image/avif; Q=0.000", false),
            ("image/avif;q=x", false),
            ("image/*", false),
            ("*/*", false),
            ("image/avifx", false),
        ];
        for (accept, want) in cases {
            assert_eq!(accepts(accept, "image/avif"), want, "{accept}");
        }
    }
}
