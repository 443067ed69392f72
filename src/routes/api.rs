//! The service's own API under `/_pixgate/` (contract §6): health, metrics, and for holders of
//! a source's HMAC key (`Authorization: Bearer`), signed URLs and File objects.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::guarded;
use crate::access::RequestId;
use crate::error::{Error, RequestError};
use crate::respond;
use crate::server::AppState;
use crate::signature::{self, CONTROL_PARAMS, Method, Scheme};
use crate::signed_url::{self, UrlSpec};
use crate::source::{Source, StorageKey};
use crate::transform;

/// Largest `POST /_pixgate/signatures` body read.
const MAX_API_BODY_BYTES: usize = 64 * 1024;
/// Lifetime of a signed URL when the request names no `expiry`.
const DEFAULT_EXPIRY_SECS: u64 = 3600;

/// Liveness: the process is up and answering.
pub async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: every source can be read now. 503 names the sources that cannot, so a load
/// balancer takes the instance out and an operator sees why.
pub async fn ready(State(app): State<AppState>) -> Response {
    let timeout = app.config.limits.source_timeout;
    let mut sources = Vec::with_capacity(app.sources.len());
    let mut all_ready = true;
    for source in &app.sources {
        let checked = tokio::time::timeout(timeout, source.readiness())
            .await
            .unwrap_or(Err("the check timed out"));
        all_ready &= checked.is_ok();
        sources.push(match checked {
            Ok(()) => json!({ "name": source.config.name, "ready": true }),
            Err(reason) => json!({ "name": source.config.name, "ready": false, "reason": reason }),
        });
    }
    let (status, word) = if all_ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    let mut response = (
        status,
        axum::Json(json!({ "status": word, "sources": sources })),
    )
        .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// Prometheus text exposition of the caches and the renderer.
pub async fn metrics(State(app): State<AppState>) -> Response {
    let body = crate::metrics::render(&app);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// The reserved prefix is never an image path: anything not defined here is a 404.
pub async fn unknown(id: RequestId) -> Response {
    Error::Request(RequestError::UnknownApi).into_response_for(id.as_str())
}

/// `POST /_pixgate/signatures`.
pub async fn signatures(
    State(app): State<AppState>,
    id: RequestId,
    headers: HeaderMap,
    body: Body,
) -> Response {
    guarded(id.as_str(), sign(&app, &headers, body, id.as_str())).await
}

/// `GET /_pixgate/files/{id}`.
pub async fn file(
    State(app): State<AppState>,
    id: RequestId,
    Path(file_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    guarded(
        id.as_str(),
        read_file(&app, &headers, &file_id, id.as_str()),
    )
    .await
}

/// A known endpoint asked with the wrong method.
pub async fn post_only(id: RequestId) -> Response {
    let refusal = RequestError::MethodNotAllowed { allow: "POST" };
    Error::Request(refusal).into_response_for(id.as_str())
}

/// A known endpoint asked with the wrong method.
pub async fn get_only(id: RequestId) -> Response {
    let refusal = RequestError::MethodNotAllowed { allow: "GET, HEAD" };
    Error::Request(refusal).into_response_for(id.as_str())
}

/// The body of `POST /_pixgate/signatures`, as ittybit's clients send it.
#[derive(Debug, Deserialize)]
struct SignatureRequest {
    filename: String,
    #[serde(default)]
    folder: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    expiry: Option<i64>,
    #[serde(default)]
    params: Option<Map<String, Value>>,
}

async fn sign(
    app: &AppState,
    headers: &HeaderMap,
    body: Body,
    request_id: &str,
) -> Result<Response, Error> {
    let source = authorize(app, headers)?;
    super::plain_body(headers)?;
    let bytes = axum::body::to_bytes(body, MAX_API_BODY_BYTES)
        .await
        .map_err(|_| field("body", "must be a JSON object of at most 64 KiB"))?;
    let request: SignatureRequest = serde_json::from_slice(&bytes)
        .map_err(|e| field("body", &format!("not the JSON this endpoint takes: {e}")))?;
    let key = storage_key(&request)?;
    let method = match request.method.as_deref() {
        None | Some("get") => Method::Get,
        Some("put") => Method::Put,
        Some(_) => return Err(field("method", "must be \"get\" or \"put\"")),
    };
    let now = app.now();
    let expiry = expiry(source, request.expiry, now)?;
    let params = params(request.params.as_ref())?;
    let spec = UrlSpec {
        key: key.as_str(),
        params: &params,
        scheme: Scheme::Hmac,
        expires_at: Some(expiry),
        method: Some(method),
    };
    let path_and_query = signed_url::signed_path_and_query(&source.config, &spec)
        .map_err(|e| RequestError::Internal(format!("signing: {e}")))?;
    let signature = path_and_query
        .rsplit_once("signature=")
        .map_or("", |(_, s)| s)
        .to_string();
    let origin = super::origin(app, headers);
    let domain = origin.split_once("://").map_or(origin.as_str(), |(_, d)| d);
    let data = json!({
        "domain": domain,
        "filename": key.file_name(),
        "folder": key.folder(),
        "expiry": expiry,
        "method": if method == Method::Put { "put" } else { "get" },
        "signature": signature,
        "url": format!("{origin}{path_and_query}"),
    });
    Ok(respond::envelope(
        StatusCode::CREATED,
        request_id,
        data,
        Value::Null,
        json!({}),
    ))
}

async fn read_file(
    app: &AppState,
    headers: &HeaderMap,
    file_id: &str,
    request_id: &str,
) -> Result<Response, Error> {
    let source = authorize(app, headers)?;
    if !crate::upload::is_file_id(file_id) {
        return Err(RequestError::NoSuchFile.into());
    }
    let uploads = source.uploads.as_ref().ok_or(RequestError::NoSuchFile)?;
    let record = uploads
        .file(file_id)
        .await?
        .ok_or(RequestError::NoSuchFile)?;
    // Deleted outside pixgate since: the record describes nothing any more.
    let key = StorageKey::from_decoded(&record.key).map_err(|_| RequestError::NoSuchFile)?;
    source
        .version(&key)
        .await
        .map_err(|_| RequestError::NoSuchFile)?;
    let (data, _) = super::upload::file_object(app, source, headers, &record);
    let links = json!({ "self": format!("/_pixgate/files/{}", record.id) });
    Ok(respond::envelope(
        StatusCode::OK,
        request_id,
        data,
        Value::Null,
        links,
    ))
}

/// The source whose HMAC key is the bearer token.
fn authorize<'a>(app: &'a AppState, headers: &HeaderMap) -> Result<&'a Source, Error> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or(RequestError::Unauthorized)?;
    app.sources
        .iter()
        .find(|s| signature::secret_matches(&s.config.hmac_keys, token))
        .ok_or_else(|| RequestError::UnknownKey.into())
}

/// `folder/filename` as a storage key; a `/` belongs in `folder`, never in `filename`.
fn storage_key(request: &SignatureRequest) -> Result<StorageKey, Error> {
    let filename = request.filename.as_str();
    if filename.contains('/') {
        return Err(field(
            "filename",
            "must not contain `/`; put folders in `folder`",
        ));
    }
    let alone =
        StorageKey::from_decoded(filename).map_err(|e| field("filename", &e.to_string()))?;
    let folder = request.folder.as_deref().unwrap_or("").trim_matches('/');
    if folder.is_empty() {
        return Ok(alone);
    }
    StorageKey::from_decoded(&format!("{folder}/{filename}"))
        .map_err(|e| field("folder", &e.to_string()))
}

/// The requested expiry, or one hour from now; never in the past nor beyond `max_ttl`.
fn expiry(source: &Source, requested: Option<i64>, now: u64) -> Result<u64, Error> {
    let latest = source
        .config
        .max_ttl
        .map(|ttl| now.saturating_add(ttl.as_secs()));
    let Some(requested) = requested else {
        let default = now.saturating_add(DEFAULT_EXPIRY_SECS);
        return Ok(latest.map_or(default, |latest| default.min(latest)));
    };
    let expiry = u64::try_from(requested).unwrap_or(0);
    if expiry <= now {
        return Err(field("expiry", "must be a unix time in the future"));
    }
    if latest.is_some_and(|latest| expiry > latest) {
        return Err(field(
            "expiry",
            "lies further ahead than this source's max_ttl",
        ));
    }
    Ok(expiry)
}

/// Transform parameters for the URL, checked as a GET would check them.
fn params(requested: Option<&Map<String, Value>>) -> Result<Vec<(String, String)>, Error> {
    let mut pairs = Vec::new();
    for (name, value) in requested.into_iter().flatten() {
        if CONTROL_PARAMS.contains(&name.as_str()) {
            return Err(field("params", &format!("`{name}` is set by the server")));
        }
        let value = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => u8::from(*b).to_string(),
            _ => {
                return Err(field(
                    "params",
                    &format!("`{name}` must be a string or number"),
                ));
            }
        };
        pairs.push((name.clone(), value));
    }
    transform::parse(&pairs).map_err(|e| field("params", &e.to_string()))?;
    Ok(pairs)
}

fn field(name: &'static str, reason: &str) -> Error {
    RequestError::BadField {
        name,
        reason: reason.to_string(),
    }
    .into()
}
