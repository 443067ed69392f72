//! The service's own API under `/_pixgate/` (contract §6): health, readiness, metrics and the
//! OpenAPI document, and what the key-holders' endpoints (`signatures`, `files`) share: the
//! bearer check.

use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::json;

use crate::app::metrics;
use crate::app::{AppState, Error, RequestError, Site};
use crate::http::body::{Body, Response};
use crate::http::respond::json_response;
use crate::signature;

/// Liveness: the process is up and answering.
pub fn health() -> Response {
    json_response(StatusCode::OK, &json!({ "status": "ok" }))
}

/// Readiness: every source can be read now. 503 names the sources that cannot, so a load
/// balancer takes the instance out and an operator sees why. A shared cache that cannot be
/// reached makes the instance `degraded`, still ready: it renders locally meanwhile.
pub async fn ready(app: &AppState) -> Response {
    let checked = app.readiness().await;
    let shared = match app.pipeline.shared() {
        Some(tier) => Some(tier.reachable().await),
        None => None,
    };
    let all_ready = checked.iter().all(|site| site.problem.is_none());
    let sites: Vec<_> = checked
        .iter()
        .map(|site| match site.problem {
            None => json!({ "name": site.name, "ready": true }),
            Some(reason) => json!({ "name": site.name, "ready": false, "reason": reason }),
        })
        .collect();
    let (status, word) = match (all_ready, shared) {
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        (true, Some(Err(_))) => (StatusCode::OK, "degraded"),
        (true, _) => (StatusCode::OK, "ready"),
    };
    let mut body = json!({ "status": word, "sources": sites });
    if let Some(shared) = shared {
        body["shared_cache"] = match shared {
            Ok(()) => json!({ "reachable": true }),
            Err(reason) => json!({ "reachable": false, "reason": reason }),
        };
    }
    let mut response = json_response(status, &body);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Prometheus text exposition of the counters, caches and render pool.
pub fn metrics(app: &AppState) -> Response {
    let mut response = Response::new(Body::full(metrics::exposition(app)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// `docs/openapi.json`, built in: the document describes this binary, so it ships inside it.
pub const OPENAPI: &str = include_str!("../../../docs/openapi.json");

/// The OpenAPI 3.1 document of every endpoint, the upload protocol and every error code.
pub fn openapi() -> Response {
    let mut response = Response::new(Body::full(OPENAPI));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The source whose HMAC key is the bearer token.
pub fn authorize<'a>(app: &'a AppState, headers: &HeaderMap) -> Result<&'a Site, Error> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or(RequestError::Unauthorized)?;
    app.sites
        .iter()
        .find(|s| signature::secret_matches(&s.config.hmac_keys, token))
        .ok_or_else(|| RequestError::UnknownKey.into())
}

pub fn field(name: &'static str, reason: &str) -> Error {
    RequestError::BadField {
        name,
        reason: reason.to_string(),
    }
    .into()
}
