//! The JSON answers: the envelope of contract §5 around every API, upload and error answer,
//! and an [`Error`] as that envelope with its status, code and headers. The cause of a 5xx or
//! 422 is logged here with the request id; clients see only the fixed message.

use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use crate::app::{Error, RequestError};
use crate::http::body::{Body, Response};
use crate::render::RenderError;

/// The error code of an error answer, for the access log.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

/// Set beside `ErrorCode` when the signature check refused the request (its code is the
/// reason), for `pixgate_signatures_rejected_total`: codes such as `bad_parameter` are shared
/// with other stages.
#[derive(Debug, Clone, Copy)]
pub struct SignatureRefused(pub &'static str);

/// `{"meta": {"request_id"}, "data", "error", "links"}`, never cached.
pub fn envelope(
    status: StatusCode,
    request_id: &str,
    data: Value,
    error: Value,
    links: Value,
) -> Response {
    let body = json!({
        "meta": { "request_id": request_id },
        "data": data,
        "error": error,
        "links": links,
    });
    let mut response = json_response(status, &body);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `body` as `application/json`.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::full(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The JSON error answer (`Cache-Control: no-store`), with the headers its status calls for.
pub fn error_response(error: Error, request_id: &str) -> Response {
    let d = error.describe();
    if d.status.is_server_error() || d.status == StatusCode::UNPROCESSABLE_ENTITY {
        tracing::warn!(request_id, code = d.code, cause = %error, "request failed");
    } else {
        tracing::debug!(request_id, code = d.code, cause = %error, "request refused");
    }
    let body = json!({ "code": d.code, "message": d.message });
    let mut response = envelope(d.status, request_id, Value::Null, body, json!({}));
    response.extensions_mut().insert(ErrorCode(d.code));
    if let Error::Signature(_) = error {
        response.extensions_mut().insert(SignatureRefused(d.code));
    }
    let headers = response.headers_mut();
    match error {
        Error::Request(RequestError::Overloaded) | Error::Render(RenderError::TimedOut) => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        Error::Request(RequestError::MethodNotAllowed { allow }) => {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        Error::Request(RequestError::ReadOnly) => {
            headers.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        Error::Request(RequestError::Unauthorized) => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        _ => {}
    }
    response
}
