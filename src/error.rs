//! The one table from every failure to an HTTP status, a stable `code` and a message safe
//! for clients. Matches are exhaustive with no `_` arm: a new variant does not compile until
//! someone decides its status. Internal causes are logged, never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::render::RenderError;
use crate::signature::SignatureError;
use crate::source::{KeyError, SourceError};
use crate::transform::TransformError;

/// Every way a request can fail.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Transform(#[from] TransformError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Request(#[from] RequestError),
}

/// Problems with the request itself, found before any stage runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("the query contains control characters or invalid UTF-8")]
    BadQuery,
    #[error("no source serves this host and path")]
    NoSource,
    #[error("no such endpoint under /_pixgate/")]
    UnknownApi,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the server is too busy to render now; retry shortly")]
    Overloaded,
    #[error("rendering took longer than the configured limit")]
    RenderTimeout,
    #[error("internal error: {0}")]
    Internal(String),
}

/// Status, code and client-safe message.
pub struct Described {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl Error {
    pub fn describe(&self) -> Described {
        use StatusCode as S;
        let (status, code) = match self {
            Error::Signature(SignatureError::BadParameter { .. }) => {
                (S::BAD_REQUEST, "bad_parameter")
            }
            Error::Signature(SignatureError::Refused(r)) => (S::FORBIDDEN, r.code()),
            Error::Transform(_) => (S::BAD_REQUEST, "bad_parameter"),
            Error::Key(_) => (S::BAD_REQUEST, "bad_path"),
            Error::Source(e) => match e {
                SourceError::NotFound => (S::NOT_FOUND, "not_found"),
                SourceError::OutsideRoot => (S::BAD_REQUEST, "bad_path"),
                SourceError::TooLarge { .. } => (S::PAYLOAD_TOO_LARGE, "too_large"),
                SourceError::Io(_) => (S::BAD_GATEWAY, "upstream_failed"),
            },
            Error::Render(e) => match e {
                RenderError::NotAnImage => (S::UNSUPPORTED_MEDIA_TYPE, "not_an_image"),
                RenderError::Corrupt(_) => (S::UNPROCESSABLE_ENTITY, "undecodable"),
                RenderError::TooManyPixels { .. } | RenderError::TooManyFrames { .. } => {
                    (S::PAYLOAD_TOO_LARGE, "too_large")
                }
                RenderError::Parameter { .. } => (S::BAD_REQUEST, "bad_parameter"),
                RenderError::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal"),
            },
            Error::Request(e) => match e {
                RequestError::BadQuery => (S::BAD_REQUEST, "bad_query"),
                RequestError::NoSource | RequestError::UnknownApi => (S::NOT_FOUND, "not_found"),
                RequestError::MethodNotAllowed => (S::METHOD_NOT_ALLOWED, "method_not_allowed"),
                RequestError::Overloaded => (S::SERVICE_UNAVAILABLE, "overloaded"),
                RequestError::RenderTimeout => (S::SERVICE_UNAVAILABLE, "render_timeout"),
                RequestError::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal"),
            },
        };
        let message = match self {
            Error::Source(SourceError::Io(_)) => "the storage back end failed".to_string(),
            Error::Source(SourceError::NotFound) => "no file at that path".to_string(),
            Error::Render(RenderError::Corrupt(_)) => "the image could not be decoded".to_string(),
            Error::Render(RenderError::Internal(_)) | Error::Request(RequestError::Internal(_)) => {
                "internal error".to_string()
            }
            other => other.to_string(),
        };
        Described {
            status,
            code,
            message,
        }
    }

    /// The JSON error response (`Cache-Control: no-store`). Causes of 5xx and 422 are logged
    /// here with the request id; clients see only the fixed message.
    pub fn into_response_for(self, request_id: &str) -> Response {
        let d = self.describe();
        if d.status.is_server_error() || d.status == StatusCode::UNPROCESSABLE_ENTITY {
            tracing::warn!(request_id, code = d.code, cause = %self, "request failed");
        } else {
            tracing::debug!(request_id, code = d.code, cause = %self, "request refused");
        }
        let body = serde_json::json!({
            "meta": { "request_id": request_id },
            "data": null,
            "error": { "code": d.code, "message": d.message },
            "links": {},
        });
        let mut response = (d.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        match self {
            Error::Request(RequestError::Overloaded) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Error::Request(RequestError::MethodNotAllowed) => {
                headers.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            }
            _ => {}
        }
        response
    }
}
