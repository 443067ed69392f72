//! Thin HTTP adapters, one per endpoint: each reads the request, calls the app and responds.
//! `image` serves GET/HEAD of storage paths, `upload` takes PUTs to them; `api`, `signatures`,
//! `files` and `playground` are `/_pixgate/…`.

pub mod api;
pub mod files;
pub mod image;
pub mod playground;
pub mod signatures;
pub mod upload;

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use http::{HeaderMap, Method, Uri, header};

use super::body::{Request, Response};
use super::respond::error_response;
use crate::app::{AppState, Error, RequestError, Site};
use crate::routing;
use crate::source::{KeyError, StorageKey};

/// Every path outside `/_pixgate/`: routed to its source, then GET and HEAD read, PUT uploads.
/// Returns the index of the site it was routed to, for the access log.
pub async fn storage_path(
    app: &AppState,
    request_id: &str,
    request: Request,
) -> (Response, Option<usize>) {
    let (parts, body) = request.into_parts();
    let located = locate(app, &parts.uri, &parts.headers);
    let site = located.as_ref().ok().map(|l| l.site);
    let served = async {
        let located = located?;
        match parts.method {
            Method::GET | Method::HEAD => image::serve(app, located, &parts).await,
            Method::PUT => upload::serve(app, located, &parts, body, request_id).await,
            _ => Err(RequestError::MethodNotAllowed {
                allow: "GET, HEAD, PUT",
            }
            .into()),
        }
    };
    (guarded(request_id, served).await, site)
}

/// Runs a handler's body: its error becomes the JSON error answer, and a panic anywhere below
/// becomes a 500, never a dropped connection.
pub async fn guarded(
    request_id: &str,
    served: impl Future<Output = Result<Response, Error>>,
) -> Response {
    match AssertUnwindSafe(served).catch_unwind().await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => error_response(e, request_id),
        Err(_) => error_response(
            RequestError::Internal("handler panicked".into()).into(),
            request_id,
        ),
    }
}

/// A storage-path request after routing: the index of its site in `AppState::sites`, and the
/// storage key in it. The key is not yet judged: the signature is checked before anything
/// else, so a bad key must wait its turn.
pub struct Located {
    pub site: usize,
    pub key: Result<StorageKey, KeyError>,
}

impl Located {
    pub fn site<'a>(&self, app: &'a AppState) -> &'a Site {
        &app.sites[self.site]
    }
}

/// The source serving this request's `Host` header (the URI's authority without one) and raw
/// path, and the storage key in it.
fn locate(app: &AppState, uri: &Uri, headers: &HeaderMap) -> Result<Located, Error> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.host());
    let sources = app.sites.iter().map(|s| &s.config);
    let route = routing::route(sources, host, uri.path()).ok_or(RequestError::NoSource)?;
    Ok(Located {
        site: route.source,
        key: StorageKey::from_raw(route.raw_key),
    })
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
