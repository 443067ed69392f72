//! The respond stage: what the pipeline gives — a derivative or a stored file — becomes an
//! HTTP response with the headers a CDN can trust: validators and 304, `Cache-Control`,
//! `Vary`, `Range`, `HEAD`, `Content-Disposition`. The JSON answers are in [`envelope`].

pub mod envelope;
mod validators;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

pub use envelope::{ErrorCode, SignatureRefused, envelope, error_response, json_response};

use super::body::{Body, Response};
use crate::app::Served;
use crate::app::{Derivative, Output};
use crate::source::{Content, OpenedFile};
use crate::transform::ClientHints;
use validators::{RangeAnswer, Validators, byte_range, is_fresh};

/// How a successful read is delivered, decided by the handler from the site and the query.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `Cache-Control: public, max-age=` this many seconds.
    pub max_age: u64,
    /// The format was negotiated from `Accept`.
    pub vary_accept: bool,
    /// `auto=format` chose AVIF: a still WebP in its place was the AVIF budget's choice.
    pub avif_negotiated: bool,
    /// The client hints `ch` let replace URL parameters: each is in `Vary` and `Accept-CH`.
    pub client_hints: ClientHints,
    /// `dl`: `Content-Disposition: attachment` with this name.
    pub download_name: Option<String>,
    /// `HEAD`: headers only.
    pub head: bool,
    /// `Content-Location`: the URL of what was rendered, where sizes were rounded to a
    /// source's `widths`.
    pub rendered_as: Option<String>,
}

const X_CACHE: HeaderName = HeaderName::from_static("x-cache");
const X_CACHE_TIER: HeaderName = HeaderName::from_static("x-cache-tier");
const ACCEPT_CH: HeaderName = HeaderName::from_static("accept-ch");
const X_AVIF_BUDGET: HeaderName = HeaderName::from_static("x-avif-budget");

/// `Vary`: `Accept` when the format was negotiated, and each client hint header that may
/// change the answer, under both its names.
fn vary(delivery: &Delivery) -> Option<HeaderValue> {
    let hints = delivery.client_hints;
    // The common cases without building a list (this runs on every hit).
    if !hints.any() {
        return delivery
            .vary_accept
            .then(|| HeaderValue::from_static("Accept"));
    }
    listed(&[
        (delivery.vary_accept, "Accept"),
        (hints.width, "Sec-CH-Width, Width"),
        (hints.dpr, "Sec-CH-DPR, DPR"),
        (hints.save_data, "Save-Data"),
    ])
}

/// `Accept-CH`: the hints this URL reads, so a browser that honours it on images sends them.
fn accept_ch(hints: ClientHints) -> Option<HeaderValue> {
    if !hints.any() {
        return None;
    }
    listed(&[
        (hints.width, "Sec-CH-Width"),
        (hints.dpr, "Sec-CH-DPR"),
        (hints.save_data, "Save-Data"),
    ])
}

/// The names switched on, as one comma-separated header value; `None` when none is.
fn listed(names: &[(bool, &str)]) -> Option<HeaderValue> {
    let list: Vec<&str> = names
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect();
    (!list.is_empty())
        .then(|| HeaderValue::from_str(&list.join(", ")).ok())
        .flatten()
}

/// The answer to a read.
pub async fn read(
    output: Output,
    request: &HeaderMap,
    delivery: &Delivery,
) -> std::io::Result<Response> {
    match output {
        Output::Derivative(d, served) => Ok(derivative(&d, served, request, delivery)),
        Output::File(f) => file(f, request, delivery).await,
    }
}

/// Responds with a derivative from memory. Its validators are shared buffers made when it was
/// rendered: a hit turns them into header values without copying.
fn derivative(
    d: &Derivative,
    served: Served,
    request: &HeaderMap,
    delivery: &Delivery,
) -> Response {
    let validators = Validators {
        etag: d.etag_text(),
        last_modified: d.modified,
    };
    let content_type = HeaderValue::from_static(d.content_type);
    let described = (
        HeaderValue::from_maybe_shared(d.etag.clone()).ok(),
        d.modified_text
            .clone()
            .and_then(|date| HeaderValue::from_maybe_shared(date).ok()),
    );
    let mut base = headers(described, content_type, delivery, Some(served));
    if delivery.avif_negotiated && is_still_webp(d) {
        base.insert(X_AVIF_BUDGET, HeaderValue::from_static("exceeded"));
    }
    if is_fresh(request, &validators) {
        return not_modified(base);
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
async fn file(
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
    let mut base = headers(described, content_type, delivery, None);
    // Stored bytes are anyone's upload: were a browser ever to treat one as a document, it
    // gets no script, no plugins, no origin of its own.
    base.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    if is_fresh(request, &validators) {
        return Ok(not_modified(base));
    }
    let (status, span) = match byte_range(request, &validators, len) {
        RangeAnswer::Full => (StatusCode::OK, None),
        RangeAnswer::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, Some((start, end))),
        RangeAnswer::Unsatisfiable => return Ok(unsatisfiable(base, len)),
    };
    let body = if delivery.head {
        Body::Empty
    } else {
        let (start, end) = span.unwrap_or((0, len.saturating_sub(1)));
        let length = if len == 0 { 0 } else { end - start + 1 };
        match f.content {
            Content::File(mut file) => {
                file.seek(std::io::SeekFrom::Start(start)).await?;
                Body::stream(ReaderStream::new(file.take(length)))
            }
            Content::Memory(_) if length == 0 => Body::Empty,
            Content::Memory(bytes) => Body::full(bytes.slice(start as usize..=end as usize)),
        }
    };
    Ok(build(status, base, len, span, body))
}

/// 304: the answer's headers without the ones that describe a body.
fn not_modified(mut headers: HeaderMap) -> Response {
    headers.remove(header::CONTENT_TYPE);
    headers.remove(header::CONTENT_DISPOSITION);
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    *response.headers_mut() = headers;
    response
}

/// `at` as an HTTP date header value (`Last-Modified`).
fn http_date(at: std::time::SystemTime) -> Option<HeaderValue> {
    HeaderValue::from_str(&httpdate::fmt_http_date(at)).ok()
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

fn body_of(delivery: &Delivery, bytes: impl FnOnce() -> Bytes) -> Body {
    if delivery.head {
        Body::Empty
    } else {
        Body::full(bytes())
    }
}

/// A WebP without the animation flag: read from the stored bytes, so a derivative from any
/// tier tells the same. An animation under `auto=format` is WebP by design, not by budget.
fn is_still_webp(d: &Derivative) -> bool {
    const ANIMATED: u8 = 0x02;
    let b = &d.bytes;
    d.content_type == "image/webp"
        && !(b.get(12..16) == Some(b"VP8X") && b.get(20).is_some_and(|flags| flags & ANIMATED != 0))
}

/// The headers of a successful answer; `(etag, last_modified)` as header values, and
/// `X-Cache` for a derivative (passthrough has none).
fn headers(
    (etag, last_modified): (Option<HeaderValue>, Option<HeaderValue>),
    content_type: HeaderValue,
    delivery: &Delivery,
    served: Option<Served>,
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
    if let Some(vary) = vary(delivery) {
        h.insert(header::VARY, vary);
    }
    if let Some(accept_ch) = accept_ch(delivery.client_hints) {
        h.insert(ACCEPT_CH, accept_ch);
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
    if let Some(location) = delivery
        .rendered_as
        .as_deref()
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        h.insert(header::CONTENT_LOCATION, location);
    }
    if let Some(served) = served {
        let tier = served.tier();
        let hit = if tier.is_some() { "HIT" } else { "MISS" };
        h.insert(X_CACHE, HeaderValue::from_static(hit));
        if let Some(tier) = tier {
            h.insert(X_CACHE_TIER, HeaderValue::from_static(tier));
        }
    }
    h
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

fn unsatisfiable(mut headers: HeaderMap, len: u64) -> Response {
    headers.remove(header::CONTENT_DISPOSITION);
    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{len}")) {
        headers.insert(header::CONTENT_RANGE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.remove(header::CONTENT_TYPE);
    let mut response = Response::new(Body::Empty);
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
