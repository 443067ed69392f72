//! The edge every request passes first and last: it gives the request its id, finds its
//! endpoint (once), refuses heads over the configured caps (414/431) and puts a total deadline
//! on the body; afterwards it echoes the id in `X-Request-Id`, counts the request in the
//! metrics, writes the one access-log line (with the W3C trace id, `trace`) and drops the body
//! of an answer to `HEAD`.
//!
//! It sits between hyper and the handlers rather than as middleware around a router: a cache
//! hit is a few microseconds of work, and router middleware cost a measurable share of it.

mod deadline;
mod log;
mod trace;

use std::future::Future;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use http_body::Body as HttpBody;
use http_body_util::BodyExt;

pub use deadline::{BodyLate, body_late};

use super::body::{Body, BoxError, RequestBody, Response};
use super::endpoints::{self, Endpoint};
use super::handlers::image::Passthrough;
use super::respond::{ErrorCode, SignatureRefused, error_response};
use crate::app::{AppState, Error, RequestError};
use crate::config::ServerConfig;
use deadline::Deadline;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every request enters here, from hyper, and leaves through here.
#[derive(Clone)]
pub struct Edge {
    app: AppState,
}

impl Edge {
    pub fn new(app: AppState) -> Edge {
        Edge { app }
    }

    /// Serves one request through its endpoint's handler, with the id, the caps, the body
    /// deadline, the metrics and the access log around it. The body is boxed here, before the
    /// future starts: the future itself is then the same for every body type.
    pub fn handle<B>(&self, request: http::Request<B>) -> impl Future<Output = Response> + Send
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let started = Instant::now();
        let request = request.map(|body| body.map_err(|e| -> BoxError { e.into() }).boxed_unsync());
        let edge = self.clone();
        async move { edge.serve(request, started).await }
    }

    async fn serve(&self, request: http::Request<RequestBody>, started: Instant) -> Response {
        let app = &self.app;
        let id = request_id(app, request.headers());
        let (parts, body) = request.into_parts();
        let endpoint = Endpoint::of(parts.uri.path());
        let method = parts.method.clone();
        // What the log line needs from the request, taken only when there will be a line.
        let logged = log::enabled().then(|| {
            let trace_id = trace::trace_id(app, &parts.headers);
            (log::loggable_target(&parts.uri), trace_id)
        });
        let limits = &app.config.server;
        let (response, site) = match head_refusal(limits, &parts.uri, &parts.headers) {
            Some(refusal) => (error_response(Error::Request(refusal), id_str(&id)), None),
            None => {
                let started = tokio::time::Instant::from_std(started);
                let body = with_deadline(body, started, limits);
                let request = http::Request::from_parts(parts, body);
                endpoints::serve(app, endpoint, id_str(&id), request).await
            }
        };
        let took = started.elapsed();
        let status = response.status();
        let bytes = body_bytes(&method, status, response.headers(), response.body());
        let kind = endpoint.kind(&method);
        let passthrough = response.extensions().get::<Passthrough>().is_some();
        app.metrics
            .request(kind, passthrough, status.as_u16(), bytes, took);
        if let Some(SignatureRefused(reason)) = response.extensions().get() {
            app.metrics.signature_rejected(reason);
        }
        if let Some((target, trace_id)) = logged {
            let line = log::Line {
                id: id_str(&id),
                trace_id: &trace_id,
                method: &method,
                target: &target,
                source: site
                    .and_then(|i| app.sites.get(i))
                    .map_or("-", |s| s.name()),
                bytes,
                took,
            };
            line.write(
                &response,
                response.extensions().get::<ErrorCode>().map(|c| c.0),
            );
        }
        let mut response = if method == Method::HEAD {
            without_body(response)
        } else {
            response
        };
        response.headers_mut().insert(X_REQUEST_ID, id);
        response
    }
}

/// Ids are only ever made from checked ASCII, so the fallback never shows.
fn id_str(id: &HeaderValue) -> &str {
    id.to_str().unwrap_or("req_unknown")
}

/// The body with the deadline on it; most requests have none and keep it as it is, untimed.
fn with_deadline(
    body: RequestBody,
    started: tokio::time::Instant,
    limits: &ServerConfig,
) -> RequestBody {
    if body.is_end_stream() {
        return body;
    }
    Deadline::new(body, started, limits).boxed_unsync()
}

/// An answer to `HEAD`: its headers, with the `Content-Length` the body would have had.
fn without_body(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    if !parts.headers.contains_key(header::CONTENT_LENGTH)
        && let Some(length) = body.size_hint().exact()
    {
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    Response::from_parts(parts, Body::Empty)
}

/// Body bytes the response carries: none for `HEAD`, 1xx, 204 and 304.
fn body_bytes(method: &Method, status: StatusCode, headers: &HeaderMap, body: &Body) -> u64 {
    if *method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return 0;
    }
    // hyper adds `Content-Length` from the body later; streamed files set it themselves.
    body.size_hint().exact().unwrap_or_else(|| {
        headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    })
}

/// The caller's id when it is 1–128 characters of `[A-Za-z0-9._:-]` (nothing that could forge
/// a log line or a header), else `req_` + this process's random tag + a counter.
fn request_id(app: &AppState, headers: &HeaderMap) -> HeaderValue {
    let given = headers.get(X_REQUEST_ID).filter(|id| {
        let id = id.as_bytes();
        (1..=128).contains(&id.len())
            && id
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b))
    });
    match given {
        Some(id) => id.clone(),
        None => HeaderValue::from_bytes(&app.next_request_id())
            .unwrap_or(HeaderValue::from_static("req_unknown")),
    }
}

/// 414 for a request target over `max_url_bytes`, 431 for more than `max_headers` fields or
/// `max_header_bytes` of names and values. hyper refuses heads beyond the sum of both caps
/// itself (also 431), before any of this runs.
fn head_refusal(limits: &ServerConfig, uri: &Uri, headers: &HeaderMap) -> Option<RequestError> {
    let target = uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > limits.max_url_bytes {
        return Some(RequestError::UrlTooLong {
            limit: limits.max_url_bytes,
        });
    }
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > limits.max_headers || bytes > limits.max_header_bytes {
        return Some(RequestError::HeadersTooLarge {
            max_headers: limits.max_headers,
            max_bytes: limits.max_header_bytes,
        });
    }
    None
}
