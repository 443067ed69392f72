//! PUT of a storage path (contract §5): verify the `method=put` signature, then hand the body
//! to `upload/`, whole or as one chunk of a resumable upload, and answer 201 with the File
//! object or 202 with the bytes received so far.

use std::time::Instant;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::error::{Error, RequestError};
use crate::metrics::Stage;
use crate::respond;
use crate::server::AppState;
use crate::signature;
use crate::signed_url;
use crate::source::{Source, StorageKey};
use crate::upload::{ContentRange, FileRecord, Progress, RangeSet, UploadError};

pub async fn serve(
    app: &AppState,
    located: super::Located,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
    request_id: &str,
) -> Result<Response, Error> {
    let (source, key) = (&app.sources[located.source], located.key);
    let now = app.now();
    let policy = source.policy();
    let verifying = Instant::now();
    let verified = signature::verify(
        uri.path(),
        uri.query(),
        signature::Method::Put,
        true,
        &policy,
        now,
    );
    app.metrics.stage(Stage::Verify, verifying.elapsed());
    verified?;
    super::plain_body(headers)?;
    let key = key?;
    let uploads = source.uploads.as_ref().ok_or(RequestError::ReadOnly)?;
    let limits = &app.config.uploads;
    uploads.sweep_if_due(now, limits.session_ttl).await;
    let declared = declared_length(headers);
    let body = body.into_data_stream();
    let progress = match content_range(headers)? {
        None => {
            if declared.is_some_and(|n| n > limits.max_bytes) {
                return Err(too_large(limits.max_bytes));
            }
            Progress::Complete(uploads.put_whole(&key, body, limits.max_bytes, now).await?)
        }
        Some(ContentRange::Status { total }) => {
            if declared.is_some_and(|n| n > 0) || !is_empty(body).await {
                let reason = "a status query (`bytes */TOTAL`) has no body";
                return Err(UploadError::BadContentRange(reason.into()).into());
            }
            uploads.status(&key, total, now).await?
        }
        Some(ContentRange::Chunk { start, end, total }) => {
            if total > limits.max_bytes {
                return Err(too_large(limits.max_bytes));
            }
            let expected = end - start + 1;
            if let Some(received) = declared.filter(|n| *n != expected) {
                return Err(UploadError::LengthMismatch { expected, received }.into());
            }
            let range = (start, end, total);
            uploads.put_chunk(&key, range, body, now).await?
        }
    };
    Ok(match progress {
        Progress::Complete(record) => {
            // The new bytes have a new version anyway; this frees the old ones' memory now.
            let prefix = super::image::file_prefix(source, &key);
            app.cache.remove_prefix(&prefix);
            app.originals.remove_prefix(&prefix);
            created(app, source, headers, &record, request_id)
        }
        Progress::Partial { total, received } => accepted(&key, total, &received, request_id),
    })
}

/// 201 with the File object, `Location` its URL.
fn created(
    app: &AppState,
    source: &Source,
    headers: &HeaderMap,
    record: &FileRecord,
    request_id: &str,
) -> Response {
    let (file, url) = file_object(app, source, headers, record);
    let links = json!({ "self": format!("/_pixgate/files/{}", record.id) });
    let mut response = respond::envelope(StatusCode::CREATED, request_id, file, Value::Null, links);
    if let Ok(location) = HeaderValue::from_str(&url) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// The File object and its URL as this client should use it (signed when private).
pub fn file_object(
    app: &AppState,
    source: &Source,
    headers: &HeaderMap,
    record: &FileRecord,
) -> (Value, String) {
    let origin = super::origin(app, headers);
    let url = match StorageKey::from_decoded(&record.key) {
        Ok(key) => {
            let private = source.config.secure || source.is_private(&key);
            signed_url::file_url(&source.config, &key, &origin, private, app.now())
        }
        Err(_) => origin,
    };
    (record.to_json(&url), url)
}

/// 202 with the ranges received, also as a `Range` header for clients that read only that.
fn accepted(key: &StorageKey, total: u64, received: &RangeSet, request_id: &str) -> Response {
    let ranges: Vec<Value> = received
        .ranges()
        .iter()
        .map(|(start, end)| json!({ "start": start, "end": end }))
        .collect();
    let data = json!({
        "object": "upload",
        "filename": key.file_name(),
        "folder": key.folder(),
        "filesize": total,
        "received": received.len(),
        "ranges": ranges,
    });
    let mut response = respond::envelope(
        StatusCode::ACCEPTED,
        request_id,
        data,
        Value::Null,
        json!({}),
    );
    if let Some(value) = received
        .header_value()
        .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        response.headers_mut().insert(header::RANGE, value);
    }
    response
}

fn content_range(headers: &HeaderMap) -> Result<Option<ContentRange>, UploadError> {
    let Some(value) = headers.get(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| UploadError::BadContentRange("not ASCII".into()))?;
    ContentRange::parse(text).map(Some)
}

/// `Content-Length`, when declared (hyper has already refused malformed ones).
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Whether a body without a declared length is empty; reads at most one frame.
async fn is_empty(body: axum::body::BodyDataStream) -> bool {
    let mut body = std::pin::pin!(body);
    loop {
        match body.next().await {
            None => return true,
            Some(Ok(frame)) if frame.is_empty() => continue,
            Some(_) => return false,
        }
    }
}

fn too_large(limit: u64) -> Error {
    UploadError::TooLarge { limit }.into()
}
