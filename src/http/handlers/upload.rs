//! PUT of a storage path (contract §5): verify the `method=put` signature, then hand the body
//! to `upload/`, whole or as one chunk of a resumable upload, and answer 201 with the File
//! object or 202 with the bytes received so far.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};

use super::Located;
use super::files::file_object;
use crate::app::{AppState, Error, RequestError, Site, Target};
use crate::http::body::{RequestBody, Response};
use crate::http::edge::is_body_timeout;
use crate::http::respond;
use crate::signature;
use crate::source::StorageKey;
use crate::upload::{BodyError, ContentRange, FileRecord, Progress, RangeSet, UploadError};

pub async fn serve(
    app: &AppState,
    located: Located,
    request: &Parts,
    body: RequestBody,
    request_id: &str,
) -> Result<Response, Error> {
    let (uri, headers) = (&request.uri, &request.headers);
    let (site, key) = (located.site(app), located.key);
    let target = Target {
        raw_path: uri.path(),
        raw_query: uri.query(),
    };
    let now = app.now();
    app.pipeline
        .verify(site, target, signature::Method::Put, &key, now)?;
    super::plain_body(headers)?;
    let key = key?;
    let uploads = site.uploads.as_ref().ok_or(RequestError::ReadOnly)?;
    let limits = &app.config.uploads;
    uploads.sweep_if_due(now, limits.session_ttl).await;
    let declared = declared_length(headers);
    let body = body_stream(body);
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
            app.pipeline.forget(site, &key);
            created(app, site, headers, &record, request_id)
        }
        Progress::Partial { total, received } => accepted(&key, total, &received, request_id),
    })
}

/// 201 with the File object, `Location` its URL.
fn created(
    app: &AppState,
    site: &Site,
    headers: &HeaderMap,
    record: &FileRecord,
    request_id: &str,
) -> Response {
    let (file, url) = file_object(app, site, headers, record);
    let links = json!({ "self": format!("/_pixgate/files/{}", record.id) });
    let mut response = respond::envelope(StatusCode::CREATED, request_id, file, Value::Null, links);
    if let Ok(location) = HeaderValue::from_str(&url) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
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

/// The body's bytes as the upload stage takes them, its errors told apart: the edge's
/// deadline passed, or the client stopped sending.
fn body_stream(body: RequestBody) -> impl Stream<Item = Result<Bytes, BodyError>> {
    body.into_data_stream().map(|chunk| {
        chunk.map_err(|e| {
            if is_body_timeout(e.as_ref()) {
                BodyError::TimedOut
            } else {
                BodyError::Interrupted(e.to_string())
            }
        })
    })
}

/// Whether a body without a declared length is empty; reads at most one frame.
async fn is_empty(body: impl Stream<Item = Result<Bytes, BodyError>>) -> bool {
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
