//! `GET /_pixgate/files/{id}` (contract §6): a File object for holders of its source's HMAC
//! key, and the File object as every answer about a stored file carries it.

use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::api::authorize;
use super::guarded;
use crate::app::{AppState, Error, RequestError, Site};
use crate::http::body::Response;
use crate::http::respond;
use crate::signed_url;
use crate::source::StorageKey;
use crate::upload::FileRecord;

/// `file_id` is the decoded id segment of the path.
pub async fn serve(
    app: &AppState,
    request_id: &str,
    file_id: &str,
    headers: &HeaderMap,
) -> Response {
    guarded(request_id, read_file(app, headers, file_id, request_id)).await
}

async fn read_file(
    app: &AppState,
    headers: &HeaderMap,
    file_id: &str,
    request_id: &str,
) -> Result<Response, Error> {
    let site = authorize(app, headers)?;
    if !crate::upload::is_file_id(file_id) {
        return Err(RequestError::NoSuchFile.into());
    }
    let uploads = site.uploads.as_ref().ok_or(RequestError::NoSuchFile)?;
    let record = uploads
        .file(file_id)
        .await?
        .ok_or(RequestError::NoSuchFile)?;
    // Deleted outside pixgate since: the record describes nothing any more.
    let key = StorageKey::from_decoded(&record.key).map_err(|_| RequestError::NoSuchFile)?;
    site.store
        .version(&key)
        .await
        .map_err(|_| RequestError::NoSuchFile)?;
    let (data, _) = file_object(app, site, headers, &record);
    let links = json!({ "self": format!("/_pixgate/files/{}", record.id) });
    Ok(respond::envelope(
        StatusCode::OK,
        request_id,
        data,
        Value::Null,
        links,
    ))
}

/// The File object and its URL as this client should use it (signed when private).
pub fn file_object(
    app: &AppState,
    site: &Site,
    headers: &HeaderMap,
    record: &FileRecord,
) -> (Value, String) {
    let origin = super::origin(app, headers);
    let url = match StorageKey::from_decoded(&record.key) {
        Ok(key) => {
            let private = site.config.secure || site.is_private(&key);
            signed_url::file_url(&site.config, &key, &origin, private, app.now())
        }
        Err(_) => origin,
    };
    (record.to_json(&url), url)
}
