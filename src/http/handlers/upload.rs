//! PUT of a storage path (contract §5): verify the `method=put` signature, read the framing
//! headers, hand the body to the app (whole, one chunk of a resumable upload, or a status
//! query), and answer 201 with the File object or 202 with the bytes received so far.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};

use super::Located;
use super::files::file_object;
use crate::app::{AppState, Error, Put, Site, Target};
use crate::http::body::{RequestBody, Response};
use crate::http::edge::{BodyLate, body_late};
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
    let put = Put {
        range: content_range(headers),
        declared: declared_length(headers),
        body: body_stream(body),
    };
    let progress = app.put(site, &key, put, now).await?;
    Ok(match progress {
        Progress::Complete(record) => created(app, site, headers, &record, request_id),
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

/// The body's bytes as the upload stage takes them, its errors told apart: one of the edge's
/// deadlines passed, or the client stopped sending.
fn body_stream(body: RequestBody) -> impl Stream<Item = Result<Bytes, BodyError>> {
    body.into_data_stream().map(|chunk| {
        chunk.map_err(|e| match body_late(e.as_ref()) {
            Some(BodyLate::TimedOut) => BodyError::TimedOut,
            Some(BodyLate::TooSlow) => BodyError::TooSlow,
            None => BodyError::Interrupted(e.to_string()),
        })
    })
}
