//! The respond stage: a cached derivative or an opened original becomes an HTTP response
//! with the headers a CDN can trust — validators, `Cache-Control`, `Vary`, `Range`, `HEAD`.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::cache::{Derivative, Lookup};
use crate::source::{Content, OpenedFile};

/// How a successful answer is delivered, decided by the route.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `Cache-Control: public, max-age=` this many seconds.
    pub max_age: u64,
    /// The format was negotiated from `Accept`.
    pub vary_accept: bool,
    /// `dl`: `Content-Disposition: attachment` with this name.
    pub download_name: Option<String>,
    /// `HEAD`: headers only.
    pub head: bool,
    /// `X-Cache` for derivatives; passthrough has none.
    pub lookup: Option<Lookup>,
}

/// The JSON envelope of contract §5 around every API, upload and error answer,
/// `{"meta": {"request_id"}, "data", "error", "links"}`, never cached.
pub fn envelope(
    status: StatusCode,
    request_id: &str,
    data: serde_json::Value,
    error: serde_json::Value,
    links: serde_json::Value,
) -> Response {
    let body = serde_json::json!({
        "meta": { "request_id": request_id },
        "data": data,
        "error": error,
        "links": links,
    });
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// Responds with a derivative from memory.
pub fn derivative(d: &Derivative, request: &HeaderMap, delivery: &Delivery) -> Response {
    let validators = Validators {
        etag: d.etag_text(),
        last_modified: d.last_modified,
    };
    let content_type = HeaderValue::from_static(d.content_type);
    let described = (d.etag.clone(), d.last_modified_header.clone());
    let base = headers(described, content_type, delivery);
    if let Some(not_modified) = conditional(request, &validators, &base) {
        return not_modified;
    }
    let len = d.bytes.len() as u64;
    match byte_range(request, &validators, len) {
        RangeAnswer::Full => build(
            StatusCode::OK,
            base,
            len,
            None,
            body_of(delivery, || d.bytes.clone()),
        ),
        RangeAnswer::Partial { start, end } => {
            let part = || d.bytes.slice(start as usize..=end as usize);
            build(
                StatusCode::PARTIAL_CONTENT,
                base,
                len,
                Some((start, end)),
                body_of(delivery, part),
            )
        }
        RangeAnswer::Unsatisfiable => unsatisfiable(base, len),
    }
}

/// Responds with an original, streamed from storage (passthrough).
pub async fn file(
    f: OpenedFile,
    request: &HeaderMap,
    delivery: &Delivery,
) -> std::io::Result<Response> {
    let etag = format!("\"{}\"", f.version.tag());
    let len = f.version.len;
    let validators = Validators {
        etag: &etag,
        last_modified: f.version.modified,
    };
    let content_type = HeaderValue::from_static(passthrough_type(&f.head));
    let described = (
        HeaderValue::from_str(&etag).ok(),
        f.version.modified.and_then(http_date),
    );
    let mut base = headers(described, content_type, delivery);
    // Stored bytes are anyone's upload: were a browser ever to treat one as a document, it
    // gets no script, no plugins, no origin of its own.
    base.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    if let Some(not_modified) = conditional(request, &validators, &base) {
        return Ok(not_modified);
    }
    let (status, span) = match byte_range(request, &validators, len) {
        RangeAnswer::Full => (StatusCode::OK, None),
        RangeAnswer::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, Some((start, end))),
        RangeAnswer::Unsatisfiable => return Ok(unsatisfiable(base, len)),
    };
    let body = if delivery.head {
        Body::empty()
    } else {
        let (start, end) = span.unwrap_or((0, len.saturating_sub(1)));
        let length = if len == 0 { 0 } else { end - start + 1 };
        match f.content {
            Content::File(mut file) => {
                file.seek(std::io::SeekFrom::Start(start)).await?;
                Body::from_stream(ReaderStream::new(file.take(length)))
            }
            Content::Memory(bytes) if length == 0 => Body::from(bytes.slice(0..0)),
            Content::Memory(bytes) => Body::from(bytes.slice(start as usize..=end as usize)),
        }
    };
    Ok(build(status, base, len, span, body))
}

/// The `Content-Type` of a stored file, sniffed from its first bytes and kept only when a
/// browser shown it cannot run anything: raster images, audio, video, fonts, PDF, archives.
/// Markup (HTML, SVG, XML), scripts and everything unknown go out as
/// `application/octet-stream`, so an uploaded page can never run on the image domain.
fn passthrough_type(head: &[u8]) -> &'static str {
    const OCTETS: &str = "application/octet-stream";
    let Some(kind) = infer::get(head) else {
        return OCTETS;
    };
    let mime = kind.mime_type();
    let inert = match kind.matcher_type() {
        infer::MatcherType::Image => mime != "image/svg+xml",
        infer::MatcherType::Audio | infer::MatcherType::Video | infer::MatcherType::Font => true,
        _ => matches!(
            mime,
            "application/pdf"
                | "application/zip"
                | "application/gzip"
                | "application/x-tar"
                | "application/x-7z-compressed"
                | "application/x-bzip2"
                | "application/x-xz"
                | "application/zstd"
        ),
    };
    if inert { mime } else { OCTETS }
}

struct Validators<'a> {
    etag: &'a str,
    last_modified: Option<SystemTime>,
}

fn body_of(delivery: &Delivery, bytes: impl FnOnce() -> Bytes) -> Body {
    if delivery.head {
        Body::empty()
    } else {
        Body::from(bytes())
    }
}

/// The headers of a successful answer; `(etag, last_modified)` as header values.
fn headers(
    (etag, last_modified): (Option<HeaderValue>, Option<HeaderValue>),
    content_type: HeaderValue,
    delivery: &Delivery,
) -> HeaderMap {
    // Room for every header below and the framing ones added later, so it never regrows.
    let mut h = HeaderMap::with_capacity(16);
    h.insert(header::CONTENT_TYPE, content_type);
    if let Some(etag) = etag {
        h.insert(header::ETAG, etag);
    }
    if let Some(date) = last_modified {
        h.insert(header::LAST_MODIFIED, date);
    }
    h.insert(header::CACHE_CONTROL, cache_control(delivery.max_age));
    if delivery.vary_accept {
        h.insert(header::VARY, HeaderValue::from_static("Accept"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(name) = &delivery.download_name
        && let Ok(value) = HeaderValue::from_str(&content_disposition(name))
    {
        h.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Some(lookup) = delivery.lookup {
        h.insert(X_CACHE, HeaderValue::from_static(lookup.header_value()));
    }
    h
}

/// `at` as an HTTP date header value (`Last-Modified`).
pub fn http_date(at: SystemTime) -> Option<HeaderValue> {
    HeaderValue::from_str(&httpdate::fmt_http_date(at)).ok()
}

/// `public, max-age=N`, with the year-long default (the most common answer) made once.
fn cache_control(max_age: u64) -> HeaderValue {
    const YEAR: u64 = 365 * 24 * 60 * 60;
    if max_age == YEAR {
        return HeaderValue::from_static("public, max-age=31536000");
    }
    let value = format!("public, max-age={max_age}");
    HeaderValue::try_from(value).unwrap_or(HeaderValue::from_static("public, max-age=0"))
}

/// Characters left alone in RFC 8187 `filename*` values (`attr-char`).
const ATTR_CHAR_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment` with an ASCII fallback name and the exact UTF-8 name in `filename*`.
fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact = utf8_percent_encode(name, ATTR_CHAR_ESCAPES);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}")
}

/// 304 when `If-None-Match` matches (weak comparison, RFC 9110 §13.1.2), or, without
/// `If-None-Match`, when `If-Modified-Since` is not older than the resource.
fn conditional(request: &HeaderMap, v: &Validators<'_>, headers: &HeaderMap) -> Option<Response> {
    let fresh = match request
        .get(header::IF_NONE_MATCH)
        .and_then(|h| h.to_str().ok())
    {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|tag| !tag.is_empty())
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == v.etag),
        None => {
            let since = request
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|h| h.to_str().ok())
                .and_then(|s| httpdate::parse_http_date(s).ok());
            match (since, v.last_modified) {
                (Some(since), Some(modified)) => truncate_to_seconds(modified) <= since,
                _ => false,
            }
        }
    };
    fresh.then(|| {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        let mut headers = headers.clone();
        headers.remove(header::CONTENT_TYPE);
        headers.remove(header::CONTENT_DISPOSITION);
        *response.headers_mut() = headers;
        response
    })
}

fn truncate_to_seconds(t: SystemTime) -> SystemTime {
    t.duration_since(UNIX_EPOCH)
        .map(|d| UNIX_EPOCH + std::time::Duration::from_secs(d.as_secs()))
        .unwrap_or(t)
}

enum RangeAnswer {
    Full,
    Partial { start: u64, end: u64 },
    Unsatisfiable,
}

/// One `bytes=` range (`a-b`, `a-`, `-n`). Multiple ranges, other units, a stale `If-Range`
/// or a syntax error fall back to the full body, as RFC 9110 allows.
fn byte_range(request: &HeaderMap, v: &Validators<'_>, len: u64) -> RangeAnswer {
    let Some(spec) = request.get(header::RANGE).and_then(|h| h.to_str().ok()) else {
        return RangeAnswer::Full;
    };
    if let Some(if_range) = request.get(header::IF_RANGE).and_then(|h| h.to_str().ok())
        && if_range.trim() != v.etag
    {
        return RangeAnswer::Full;
    }
    let Some(spec) = spec.trim().strip_prefix("bytes=") else {
        return RangeAnswer::Full;
    };
    if spec.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Full;
    };
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), number(first), number(last)) {
        (true, _, Some(0)) => RangeAnswer::Unsatisfiable,
        (true, _, Some(suffix)) if len > 0 => RangeAnswer::Partial {
            start: len.saturating_sub(suffix),
            end: len - 1,
        },
        (true, _, _) => RangeAnswer::Unsatisfiable,
        (false, Some(start), _) if start >= len => RangeAnswer::Unsatisfiable,
        (false, Some(start), None) if last.trim().is_empty() => RangeAnswer::Partial {
            start,
            end: len - 1,
        },
        (false, Some(start), Some(end)) if end >= start => RangeAnswer::Partial {
            start,
            end: end.min(len - 1),
        },
        _ => RangeAnswer::Full,
    }
}

fn unsatisfiable(mut headers: HeaderMap, len: u64) -> Response {
    headers.remove(header::CONTENT_DISPOSITION);
    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{len}")) {
        headers.insert(header::CONTENT_RANGE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.remove(header::CONTENT_TYPE);
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
    *response.headers_mut() = headers;
    response
}

fn build(
    status: StatusCode,
    mut headers: HeaderMap,
    len: u64,
    span: Option<(u64, u64)>,
    body: Body,
) -> Response {
    let length = match span {
        Some((start, end)) => {
            if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                headers.insert(header::CONTENT_RANGE, value);
            }
            end - start + 1
        }
        None => len,
    };
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(name: HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn byte_ranges_follow_rfc_9110() {
        let v = Validators {
            etag: "\"e\"",
            last_modified: None,
        };
        let cases = [
            ("bytes=0-9", Some((0, 9))),
            ("bytes=10-", Some((10, 99))),
            ("bytes=-10", Some((90, 99))),
            ("bytes=90-500", Some((90, 99))),
            ("bytes=-500", Some((0, 99))),
        ];
        for (spec, want) in cases {
            let got = match byte_range(&request_with(header::RANGE, spec), &v, 100) {
                RangeAnswer::Partial { start, end } => Some((start, end)),
                _ => None,
            };
            assert_eq!(got, want, "{spec}");
        }
        for spec in ["bytes=100-", "bytes=200-300", "bytes=-0"] {
            let got = byte_range(&request_with(header::RANGE, spec), &v, 100);
            assert!(matches!(got, RangeAnswer::Unsatisfiable), "{spec}");
        }
        for spec in ["bytes=0-1,5-6", "items=0-1", "bytes=5-2", "bytes=x-"] {
            let got = byte_range(&request_with(header::RANGE, spec), &v, 100);
            assert!(matches!(got, RangeAnswer::Full), "{spec}");
        }
    }

    #[test]
    fn download_names_are_quoted_safely() {
        assert_eq!(
            content_disposition("cat été.jpg"),
            "attachment; filename=\"cat _t_.jpg\"; filename*=UTF-8''cat%20%C3%A9t%C3%A9.jpg"
        );
        assert_eq!(
            content_disposition("a\"b.png"),
            "attachment; filename=\"a_b.png\"; filename*=UTF-8''a%22b.png"
        );
    }
}
