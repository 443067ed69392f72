//! The one table from every failure to an HTTP status, a stable `code` and a message safe
//! for clients. Matches are exhaustive with no `_` arm: a new variant does not compile until
//! someone decides its status. Internal causes are logged, never sent (the HTTP layer writes
//! the answer and the log line from [`Described`]).

use http::StatusCode;

use crate::render::RenderError;
use crate::signature::SignatureError;
use crate::source::{KeyError, SourceError};
use crate::transform::TransformError;
use crate::upload::UploadError;

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
    Upload(#[from] UploadError),
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
    /// `allow` is the `Allow` header's value.
    #[error("method not allowed; use {allow}")]
    MethodNotAllowed { allow: &'static str },
    #[error("the server is too busy to render now; retry shortly")]
    Overloaded,
    /// An unsigned request to a `presets_only` source with its own transform parameters.
    #[error(
        "this source transforms unsigned requests with presets only (`preset=NAME`); sign the URL to use other parameters"
    )]
    PresetsOnly,
    /// An upload to a source that cannot be written (an HTTP origin).
    #[error("this source is read-only; use GET or HEAD")]
    ReadOnly,
    #[error("the request target is longer than {limit} bytes")]
    UrlTooLong { limit: usize },
    #[error("the request has more than {max_headers} header fields or {max_bytes} bytes of them")]
    HeadersTooLarge {
        max_headers: usize,
        max_bytes: usize,
    },
    /// The service API needs `Authorization: Bearer <key>`.
    #[error("this endpoint needs `Authorization: Bearer <a source's HMAC key>`")]
    Unauthorized,
    #[error("the bearer key belongs to no source")]
    UnknownKey,
    /// 400: a field of an API request body. `reason` is safe to show.
    #[error("invalid field `{name}`: {reason}")]
    BadField { name: &'static str, reason: String },
    #[error("no file with that id")]
    NoSuchFile,
    /// A body under a transfer coding other than `chunked`: hyper undoes only `chunked`, so
    /// the body would be taken still encoded (RFC 9112 §6.1 asks for 501).
    #[error("request bodies may only be sent plain or chunked (Transfer-Encoding: chunked)")]
    TransferCoding,
    /// A body under a content coding (`Content-Encoding: gzip`): pixgate decodes none, and
    /// would otherwise store or parse the compressed bytes (RFC 9110 §15.5.16).
    #[error("request bodies may not have a Content-Encoding; send them unencoded")]
    ContentCoding,
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
            Error::Transform(e) => match e {
                TransformError::BadValue { .. } => (S::BAD_REQUEST, "bad_parameter"),
                TransformError::Unsupported { .. } => (S::BAD_REQUEST, "unsupported_parameter"),
            },
            Error::Key(_) => (S::BAD_REQUEST, "bad_path"),
            Error::Source(e) => match e {
                SourceError::NotFound => (S::NOT_FOUND, "not_found"),
                SourceError::OutsideRoot => (S::BAD_REQUEST, "bad_path"),
                SourceError::TooLarge { .. } => (S::PAYLOAD_TOO_LARGE, "too_large"),
                SourceError::Io(_) => (S::BAD_GATEWAY, "upstream_failed"),
                SourceError::TimedOut => (S::GATEWAY_TIMEOUT, "upstream_timeout"),
                SourceError::Unreachable(_) => (S::BAD_GATEWAY, "upstream_unreachable"),
                SourceError::Refused(_) => (S::BAD_GATEWAY, "upstream_refused"),
            },
            Error::Render(e) => match e {
                RenderError::NotAnImage => (S::UNSUPPORTED_MEDIA_TYPE, "not_an_image"),
                RenderError::Corrupt(_) => (S::UNPROCESSABLE_ENTITY, "undecodable"),
                RenderError::Unrenderable(_) => (S::UNPROCESSABLE_ENTITY, "unrenderable"),
                RenderError::TooManyPixels { .. } | RenderError::TooManyFrames { .. } => {
                    (S::PAYLOAD_TOO_LARGE, "too_large")
                }
                RenderError::Parameter { .. } => (S::BAD_REQUEST, "bad_parameter"),
                RenderError::TimedOut => (S::SERVICE_UNAVAILABLE, "render_timeout"),
                RenderError::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal"),
            },
            Error::Upload(e) => match e {
                UploadError::BadContentRange(_) => (S::BAD_REQUEST, "bad_content_range"),
                UploadError::LengthMismatch { .. } => (S::BAD_REQUEST, "length_mismatch"),
                UploadError::TotalMismatch { .. } => (S::BAD_REQUEST, "total_mismatch"),
                UploadError::TooLarge { .. } => (S::PAYLOAD_TOO_LARGE, "too_large"),
                UploadError::RangeConflict => (S::CONFLICT, "range_conflict"),
                UploadError::PathConflict => (S::CONFLICT, "path_conflict"),
                UploadError::OutsideRoot => (S::BAD_REQUEST, "bad_path"),
                UploadError::BodyInterrupted(_) => (S::BAD_REQUEST, "body_incomplete"),
                UploadError::BodyTimeout => (S::REQUEST_TIMEOUT, "body_timeout"),
                UploadError::BodyTooSlow => (S::REQUEST_TIMEOUT, "body_too_slow"),
                UploadError::StoreUnavailable(_) => (S::SERVICE_UNAVAILABLE, "store_unavailable"),
                UploadError::Io(_) => (S::INTERNAL_SERVER_ERROR, "storage_failed"),
            },
            Error::Request(e) => match e {
                RequestError::BadQuery => (S::BAD_REQUEST, "bad_query"),
                RequestError::NoSource | RequestError::UnknownApi | RequestError::NoSuchFile => {
                    (S::NOT_FOUND, "not_found")
                }
                RequestError::Unauthorized => (S::UNAUTHORIZED, "unauthorized"),
                RequestError::UnknownKey => (S::FORBIDDEN, "forbidden"),
                RequestError::BadField { .. } => (S::BAD_REQUEST, "bad_parameter"),
                RequestError::MethodNotAllowed { .. } => {
                    (S::METHOD_NOT_ALLOWED, "method_not_allowed")
                }
                RequestError::Overloaded => (S::SERVICE_UNAVAILABLE, "overloaded"),
                RequestError::PresetsOnly => (S::FORBIDDEN, "presets_only"),
                RequestError::ReadOnly => (S::METHOD_NOT_ALLOWED, "read_only"),
                RequestError::UrlTooLong { .. } => (S::URI_TOO_LONG, "url_too_long"),
                RequestError::HeadersTooLarge { .. } => {
                    (S::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large")
                }
                RequestError::TransferCoding => (S::NOT_IMPLEMENTED, "unsupported_transfer_coding"),
                RequestError::ContentCoding => {
                    (S::UNSUPPORTED_MEDIA_TYPE, "unsupported_content_coding")
                }
                RequestError::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal"),
            },
        };
        let message = match self {
            Error::Source(SourceError::Io(_)) => "the storage back end failed".to_string(),
            Error::Source(SourceError::Unreachable(_)) => {
                "the storage back end cannot be reached".to_string()
            }
            Error::Source(SourceError::Refused(_)) => {
                "the origin leads to an address this source may not reach".to_string()
            }
            Error::Source(SourceError::NotFound) => "no file at that path".to_string(),
            Error::Render(RenderError::Corrupt(_)) => "the image could not be decoded".to_string(),
            Error::Render(RenderError::Internal(_)) | Error::Request(RequestError::Internal(_)) => {
                "internal error".to_string()
            }
            Error::Upload(UploadError::Io(_)) => "storing the upload failed".to_string(),
            Error::Upload(UploadError::StoreUnavailable(_)) => {
                "the file store is not available".to_string()
            }
            Error::Upload(UploadError::BodyInterrupted(_)) => {
                "the request body ended early".to_string()
            }
            other => other.to_string(),
        };
        Described {
            status,
            code,
            message,
        }
    }
}
