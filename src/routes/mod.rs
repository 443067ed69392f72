//! Thin HTTP adapters: each turns a request into calls on the pipeline stages and the result
//! into a response. `image` serves GET/HEAD of storage paths, `upload` takes PUTs to them,
//! `api` is `/_pixgate/…`.

pub mod api;
pub mod image;
pub mod upload;

use std::future::Future;
use std::panic::AssertUnwindSafe;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::Response;
use futures_util::FutureExt;

use crate::access::RequestId;
use crate::error::{Error, RequestError};
use crate::routing;
use crate::server::AppState;
use crate::source::{KeyError, StorageKey};

/// Entry point for every path outside `/_pixgate/`: GET and HEAD read, PUT uploads.
pub async fn storage_path(
    State(app): State<AppState>,
    id: RequestId,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let served = async {
        let located = locate(&app, &uri, &headers)?;
        match method {
            Method::GET | Method::HEAD => {
                image::serve(&app, located, &method, &uri, &headers).await
            }
            Method::PUT => upload::serve(&app, located, &uri, &headers, body, id.as_str()).await,
            _ => Err(RequestError::MethodNotAllowed {
                allow: "GET, HEAD, PUT",
            }
            .into()),
        }
    };
    guarded(id.as_str(), served).await
}

/// Runs a handler's body: its error becomes the JSON error answer, and a panic anywhere below
/// becomes a 500, never a dropped connection.
pub async fn guarded(id: &str, served: impl Future<Output = Result<Response, Error>>) -> Response {
    match AssertUnwindSafe(served).catch_unwind().await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => e.into_response_for(id),
        Err(_) => {
            Error::Request(RequestError::Internal("handler panicked".into())).into_response_for(id)
        }
    }
}

/// A storage-path request after routing: the index of its source in `AppState::sources`, and
/// the storage key in it. The key is not yet judged: the signature is checked before anything
/// else, so a bad key must wait its turn.
pub struct Located {
    pub source: usize,
    pub key: Result<StorageKey, KeyError>,
}

/// The source serving this `Host` and path, and the storage key in it.
pub fn locate(app: &AppState, uri: &Uri, headers: &HeaderMap) -> Result<Located, Error> {
    let route = route(app, uri, headers).ok_or(RequestError::NoSource)?;
    Ok(Located {
        source: route.source,
        key: StorageKey::from_raw(route.raw_key),
    })
}

/// The route of a request to a storage path: its `Host` header (the URI's authority without
/// one) and its raw path.
pub fn route<'a>(app: &AppState, uri: &'a Uri, headers: &HeaderMap) -> Option<routing::Route<'a>> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.host());
    routing::route(app.sources.iter().map(|s| &s.config), host, uri.path())
}

/// Refuses a request body that would reach pixgate still encoded: a transfer coding other
/// than `chunked` (hyper undoes only that one) or any content coding but `identity`.
pub fn plain_body(headers: &HeaderMap) -> Result<(), RequestError> {
    let codings = |name| {
        headers
            .get_all(name)
            .into_iter()
            .flat_map(|v| v.as_bytes().split(|b| *b == b','))
            .map(<[u8]>::trim_ascii)
            .filter(|c| !c.is_empty())
    };
    if codings(header::TRANSFER_ENCODING).any(|c| !c.eq_ignore_ascii_case(b"chunked")) {
        return Err(RequestError::TransferCoding);
    }
    if codings(header::CONTENT_ENCODING).any(|c| !c.eq_ignore_ascii_case(b"identity")) {
        return Err(RequestError::ContentCoding);
    }
    Ok(())
}

/// `scheme://host[:port]` the client used, for URLs in answers: the `Host` header (the
/// listen address without one), `https` only when a proxy says so in `X-Forwarded-Proto`.
pub fn origin(app: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| is_authority(h))
        .map_or_else(|| app.config.server.listen.to_string(), str::to_string);
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    let scheme = if https { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// Host names, IPv4, bracketed IPv6 and a port: nothing that could end the authority early.
fn is_authority(host: &str) -> bool {
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b))
}
