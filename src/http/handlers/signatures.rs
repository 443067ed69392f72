//! `POST /_pixgate/signatures` (contract §6): for holders of a source's HMAC key, a signed URL
//! for a file, checked as the server will check it, in the shape ittybit's clients expect.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::api::{authorize, field};
use super::guarded;
use crate::app::{AppState, Error, RequestError, Site};
use crate::http::body::{Request, RequestBody, Response};
use crate::http::respond;
use crate::signature::{CONTROL_PARAMS, Method, Scheme};
use crate::signed_url::{self, UrlSpec};
use crate::source::StorageKey;
use crate::transform;

/// Largest `POST /_pixgate/signatures` body read.
const MAX_API_BODY_BYTES: usize = 64 * 1024;
/// Lifetime of a signed URL when the request names no `expiry`.
const DEFAULT_EXPIRY_SECS: u64 = 3600;

pub async fn serve(app: &AppState, request_id: &str, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    guarded(request_id, sign(app, &parts.headers, body, request_id)).await
}

/// The whole body, or `None` once it runs past `limit` bytes or breaks off.
async fn read_at_most(mut body: RequestBody, limit: usize) -> Option<Bytes> {
    let mut read = BytesMut::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.ok()?.into_data() {
            if read.len() + data.len() > limit {
                return None;
            }
            read.extend_from_slice(&data);
        }
    }
    Some(read.freeze())
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
    body: RequestBody,
    request_id: &str,
) -> Result<Response, Error> {
    let site = authorize(app, headers)?;
    super::plain_body(headers)?;
    let bytes = read_at_most(body, MAX_API_BODY_BYTES)
        .await
        .ok_or_else(|| field("body", "must be a JSON object of at most 64 KiB"))?;
    let request: SignatureRequest = serde_json::from_slice(&bytes)
        .map_err(|e| field("body", &format!("not the JSON this endpoint takes: {e}")))?;
    let key = storage_key(&request)?;
    let method = match request.method.as_deref() {
        None | Some("get") => Method::Get,
        Some("put") => Method::Put,
        Some(_) => return Err(field("method", "must be \"get\" or \"put\"")),
    };
    let now = app.now();
    let expiry = expiry(site, request.expiry, now)?;
    let params = params(request.params.as_ref())?;
    let spec = UrlSpec {
        key: key.as_str(),
        params: &params,
        scheme: Scheme::Hmac,
        expires_at: Some(expiry),
        method: Some(method),
    };
    let path_and_query = signed_url::signed_path_and_query(&site.config, &spec)
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
fn expiry(site: &Site, requested: Option<i64>, now: u64) -> Result<u64, Error> {
    let latest = site
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
