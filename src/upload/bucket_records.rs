//! A bucket source's side of the commit: the file goes to the bucket, then its File object, so
//! that every instance serving the bucket can answer `GET /_pixgate/files/{id}`. Two service
//! objects under the reserved prefix (no storage key can name them):
//! `.pixgate/files/<id>.json` (the record) and `.pixgate/paths/<sha256 of key>` (the id of the
//! path's record, so a replaced file keeps its id and `created`). Writes are last-writer-wins,
//! as S3 itself is; an upload whose record write fails is reported as failed although its file
//! is in place, and the next upload to the path records it.

use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::UploadError;
use super::file_object::{Facts, FileRecord};
use super::store::new_id;
use crate::source::{RemoteStore, SourceError, StorageKey};

/// A service object is small; the bucket has this long to take or give one.
const RECORD_TIMEOUT: Duration = Duration::from_secs(30);
/// Writing the file itself: generous, since one `PutObject` may carry gigabytes.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

pub async fn commit(
    store: &RemoteStore,
    key: &StorageKey,
    path: &Path,
    facts: &Facts,
    now: u64,
) -> Result<FileRecord, UploadError> {
    let (bucket, client) = parts(store)?;
    bucket
        .put_file(client, key.as_str(), path, WRITE_TIMEOUT)
        .await
        .map_err(failed("writing the upload to the bucket"))?;
    store.forget(key.as_str());
    let path_object = format!(
        "paths/{}",
        crate::hex::lower(&Sha256::digest(key.as_str().as_bytes()))
    );
    let known = bucket
        .get_service_object(client, &path_object, RECORD_TIMEOUT)
        .await
        .map_err(failed("reading a file record"))?
        .and_then(|id| String::from_utf8(id.to_vec()).ok())
        .filter(|id| super::is_file_id(id));
    let earlier = match &known {
        Some(id) => get(store, id).await?,
        None => None,
    };
    let id = match known {
        Some(id) => id,
        None => new_id()?,
    };
    let record = FileRecord::of(id, key, facts, earlier.as_ref(), now);
    let json = serde_json::to_vec(&record).map_err(|e| UploadError::Io(e.to_string()))?;
    let record_object = format!("files/{}.json", record.id);
    bucket
        .put_service_object(client, &record_object, json, RECORD_TIMEOUT)
        .await
        .map_err(failed("writing a file record"))?;
    bucket
        .put_service_object(
            client,
            &path_object,
            record.id.clone().into_bytes(),
            RECORD_TIMEOUT,
        )
        .await
        .map_err(failed("writing a file record"))?;
    Ok(record)
}

/// The record stored under `id`, if any. `id` has been checked to be a record id.
pub async fn get(store: &RemoteStore, id: &str) -> Result<Option<FileRecord>, UploadError> {
    let (bucket, client) = parts(store)?;
    let Some(json) = bucket
        .get_service_object(client, &format!("files/{id}.json"), RECORD_TIMEOUT)
        .await
        .map_err(failed("reading a file record"))?
    else {
        return Ok(None);
    };
    serde_json::from_slice(&json)
        .map(Some)
        .map_err(|e| UploadError::Io(format!("a file record in the bucket: {e}")))
}

fn parts(
    store: &RemoteStore,
) -> Result<(&crate::source::remote::Bucket, &reqwest::Client), UploadError> {
    store
        .bucket()
        .map(|bucket| (bucket, store.client()))
        .ok_or_else(|| UploadError::Io("the source has no bucket".into()))
}

pub(super) fn failed(what: &'static str) -> impl Fn(SourceError) -> UploadError {
    move |e| UploadError::Io(format!("{what}: {e}"))
}
