//! The edge every request passes first and last: it gives the request its id, refuses heads
//! over the configured caps (414/431), puts a total deadline on the body, and afterwards
//! echoes the id in `X-Request-Id`, counts the request in the metrics and writes the one
//! access-log line. Handlers find the id in the request's `X-Request-Id` (`RequestId`).
//!
//! It sits between hyper and the router rather than inside the router as middleware: a cache
//! hit is a few microseconds of work, and router middleware cost a measurable share of it.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use tower_service::Service;

use crate::config::ServerConfig;
use crate::error::{Error, RequestError};
use crate::metrics::Route;
use crate::server::AppState;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// The id of the request being served: the caller's `X-Request-Id` when it is a plain token
/// (so a CDN's id links its logs to ours), otherwise one of ours. The edge leaves it in the
/// request's `X-Request-Id` header, where this extractor finds it.
#[derive(Debug, Clone)]
pub struct RequestId(HeaderValue);

impl RequestId {
    pub fn as_str(&self) -> &str {
        id_str(&self.0)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    /// Always succeeds: a router driven without the edge (benches) gets a fixed id.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestId(
            parts
                .headers
                .get(X_REQUEST_ID)
                .cloned()
                .unwrap_or(HeaderValue::from_static("req_unassigned")),
        ))
    }
}

/// The error code of an error answer, for the access log.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

/// Set beside `ErrorCode` when the signature check refused the request (its code is the
/// reason), for `pixgate_signatures_rejected_total`: codes such as `bad_parameter` are shared
/// with other stages.
#[derive(Debug, Clone, Copy)]
pub struct SignatureRefused(pub &'static str);

/// Every request enters here, from hyper, and leaves through here.
#[derive(Clone)]
pub struct Edge {
    app: AppState,
    router: Router,
}

impl Edge {
    pub fn new(app: AppState, router: Router) -> Edge {
        Edge { app, router }
    }

    /// Serves one request through the router, with the id, the caps, the body deadline, the
    /// metrics and the access log around it.
    pub async fn handle<B>(&self, request: axum::http::Request<B>) -> Response
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        let started = Instant::now();
        let app = &self.app;
        let mut request = request.map(Body::new);
        let id = request_id(app, request.headers());
        request.headers_mut().insert(X_REQUEST_ID, id.clone());
        let route = route_of(request.method(), request.uri().path());
        let method = request.method().clone();
        // What the log line needs from the request, taken only when there will be a line.
        let logged = log_enabled().then(|| Logged::of(app, request.uri(), request.headers()));
        let limits = &app.config.server;
        let response = match head_refusal(limits, request.uri(), request.headers()) {
            Some(refusal) => Error::Request(refusal).into_response_for(id_str(&id)),
            None => {
                let deadline = tokio::time::Instant::from_std(started + limits.body_timeout);
                let request = with_deadline(request, deadline);
                // The router is always ready and never fails: its error type is Infallible.
                match self.router.clone().call(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            }
        };
        let took = started.elapsed();
        let status = response.status();
        let bytes = body_bytes(&method, status, response.headers(), response.body());
        app.metrics.request(route, status.as_u16(), bytes, took);
        if let Some(SignatureRefused(reason)) = response.extensions().get() {
            app.metrics.signature_rejected(reason);
        }
        if let Some(logged) = logged {
            let code = response.extensions().get::<ErrorCode>().map(|c| c.0);
            logged.write(id_str(&id), &method, &response, bytes, took, code);
        }
        let mut response = response;
        response.headers_mut().insert(X_REQUEST_ID, id);
        response
    }
}

/// Ids are only ever made from checked ASCII, so the fallback never shows.
fn id_str(id: &HeaderValue) -> &str {
    id.to_str().unwrap_or("req_unknown")
}

/// Puts the deadline on the body; most requests have none and keep it as it is, untimed.
fn with_deadline(request: Request, deadline: tokio::time::Instant) -> Request {
    if request.body().is_end_stream() {
        return request;
    }
    request.map(|body| Body::new(Deadline::new(body, deadline)))
}

fn log_enabled() -> bool {
    tracing::enabled!(target: "pixgate::access", tracing::Level::INFO)
}

/// The request's side of the access-log line.
struct Logged<'a> {
    target: String,
    /// The source a storage path routes to (`-` for the service API or no source).
    source: &'a str,
}

impl<'a> Logged<'a> {
    fn of(app: &'a AppState, uri: &Uri, headers: &HeaderMap) -> Logged<'a> {
        let source = crate::routes::route(app, uri, headers)
            .filter(|_| !uri.path().starts_with("/_pixgate/"))
            .and_then(|route| app.sources.get(route.source))
            .map_or("-", |s| s.config.name.as_str());
        Logged {
            target: loggable_target(uri),
            source,
        }
    }

    fn write(
        self,
        id: &str,
        method: &Method,
        response: &Response,
        bytes: u64,
        took: Duration,
        code: Option<&str>,
    ) {
        let cache = response
            .headers()
            .get(X_CACHE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info!(
            target: "pixgate::access",
            request_id = id,
            method = %method,
            target = %self.target,
            status = response.status().as_u16(),
            source = self.source,
            cache,
            bytes,
            ms = duration_ms(took),
            code = code.unwrap_or("-"),
            "request"
        );
    }
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

fn duration_ms(took: Duration) -> f64 {
    (took.as_secs_f64() * 1e6).round() / 1e3
}

/// The metrics label of a request, from its method and path alone.
fn route_of(method: &Method, path: &str) -> Route {
    match path.strip_prefix("/_pixgate/") {
        Some("health") => Route::Health,
        Some("ready") => Route::Ready,
        Some("metrics") => Route::Metrics,
        Some(rest) if rest == "signatures" || rest.starts_with("files/") => Route::Api,
        Some(_) => Route::Other,
        None if *method == Method::GET || *method == Method::HEAD => Route::Image,
        None if *method == Method::PUT => Route::Upload,
        None => Route::Other,
    }
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

/// Path and query with the values of `s` and `signature` replaced: a signed URL is a bearer
/// credential until it expires, so it does not belong in logs.
fn loggable_target(uri: &Uri) -> String {
    let path = uri.path();
    let Some(query) = uri.query() else {
        return path.to_string();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name == "s" || name == "signature" => format!("{name}=[redacted]"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

/// A body that fails once its total deadline has passed, however steadily it trickles.
struct Deadline {
    inner: Body,
    deadline: tokio::time::Instant,
    /// Made the first time the body has to wait.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// The error a body past its deadline ends with (uploads answer 408).
#[derive(Debug, thiserror::Error)]
#[error("the request body took longer than the configured limit")]
pub struct BodyTimedOut;

impl Deadline {
    fn new(inner: Body, deadline: tokio::time::Instant) -> Deadline {
        Deadline {
            inner,
            deadline,
            timer: None,
        }
    }
}

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether a body error (however wrapped) is `BodyTimedOut`.
pub fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<BodyTimedOut>() {
            return true;
        }
        cause = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_redacted_from_logged_targets() {
        let uri: Uri = "/a.jpg?w=10&s=abc&expires=9&signature=def&x=s"
            .parse()
            .unwrap();
        assert_eq!(
            loggable_target(&uri),
            "/a.jpg?w=10&s=[redacted]&expires=9&signature=[redacted]&x=s"
        );
        let uri: Uri = "/a.jpg".parse().unwrap();
        assert_eq!(loggable_target(&uri), "/a.jpg");
    }

    #[test]
    fn routes_come_from_method_and_path() {
        let cases = [
            (Method::GET, "/a.jpg", Route::Image),
            (Method::HEAD, "/x/y.png", Route::Image),
            (Method::PUT, "/a.jpg", Route::Upload),
            (Method::DELETE, "/a.jpg", Route::Other),
            (Method::GET, "/_pixgate/health", Route::Health),
            (Method::GET, "/_pixgate/ready", Route::Ready),
            (Method::GET, "/_pixgate/metrics", Route::Metrics),
            (Method::POST, "/_pixgate/signatures", Route::Api),
            (Method::GET, "/_pixgate/files/file_1", Route::Api),
            (Method::GET, "/_pixgate/nope", Route::Other),
        ];
        for (method, path, want) in cases {
            assert_eq!(route_of(&method, path), want, "{method} {path}");
        }
    }

    #[test]
    fn body_timeouts_are_found_through_wrappers() {
        let wrapped = axum::Error::new(BodyTimedOut);
        assert!(is_body_timeout(&wrapped));
        let other = axum::Error::new(std::io::Error::other("reset"));
        assert!(!is_body_timeout(&other));
    }
}
