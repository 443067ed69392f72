//! A PUT of a storage path below the handler, once verified and parsed: the whole file, one
//! chunk of a resumable upload, or a status query, handed to the site's uploads with the size
//! rules of `[uploads]`; a completed upload drops what the pipeline cached of the old file.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::error::{Error, RequestError};
use super::metrics::UploadOutcome;
use super::site::Site;
use super::state::AppState;
use crate::source::StorageKey;
use crate::upload::{BodyError, ContentRange, Progress, UploadError};

/// What a PUT carries, as its headers describe it.
pub struct Put<S> {
    /// `Content-Range` as parsed (none for a whole file). A malformed one is refused only
    /// once the site is known to take uploads: a read-only source says so first.
    pub range: Result<Option<ContentRange>, UploadError>,
    /// `Content-Length`, when declared.
    pub declared: Option<u64>,
    pub body: S,
}

impl AppState {
    /// Stores `put` at `key` in `site`; refuses sizes over `uploads.max_bytes` before reading
    /// the body where the headers already tell. A PUT carrying bytes is counted in the metrics
    /// by how it ended; a status query carries none and is not.
    pub async fn put<S>(
        &self,
        site: &Site,
        key: &StorageKey,
        put: Put<S>,
        now: u64,
    ) -> Result<Progress, Error>
    where
        S: Stream<Item = Result<Bytes, BodyError>>,
    {
        let chunk_bytes = match &put.range {
            Ok(Some(ContentRange::Status { .. })) => {
                return self.store(site, key, put, now).await;
            }
            Ok(Some(ContentRange::Chunk { start, end, .. })) => Some(end - start + 1),
            Ok(None) | Err(_) => None,
        };
        let stored = self.store(site, key, put, now).await;
        let (outcome, bytes) = match &stored {
            Ok(Progress::Complete(file)) => (
                UploadOutcome::Complete,
                chunk_bytes.unwrap_or(file.filesize),
            ),
            Ok(Progress::Partial { .. }) => (UploadOutcome::Partial, chunk_bytes.unwrap_or(0)),
            Err(e) if e.describe().status.is_server_error() => (UploadOutcome::Failed, 0),
            Err(_) => (UploadOutcome::Refused, 0),
        };
        self.metrics.upload(outcome, bytes);
        stored
    }

    async fn store<S>(
        &self,
        site: &Site,
        key: &StorageKey,
        put: Put<S>,
        now: u64,
    ) -> Result<Progress, Error>
    where
        S: Stream<Item = Result<Bytes, BodyError>>,
    {
        let uploads = site.uploads.as_ref().ok_or(RequestError::ReadOnly)?;
        let limits = &self.config.uploads;
        uploads.sweep_if_due(now, limits.session_ttl).await;
        let too_large = || {
            Error::from(UploadError::TooLarge {
                limit: limits.max_bytes,
            })
        };
        let Put {
            range,
            declared,
            body,
        } = put;
        let progress = match range? {
            None => {
                if declared.is_some_and(|n| n > limits.max_bytes) {
                    return Err(too_large());
                }
                Progress::Complete(uploads.put_whole(key, body, limits.max_bytes, now).await?)
            }
            Some(ContentRange::Status { total }) => {
                if declared.is_some_and(|n| n > 0) || !is_empty(body).await {
                    let reason = "a status query (`bytes */TOTAL`) has no body";
                    return Err(UploadError::BadContentRange(reason.into()).into());
                }
                uploads.status(key, total, now).await?
            }
            Some(ContentRange::Chunk { start, end, total }) => {
                if total > limits.max_bytes {
                    return Err(too_large());
                }
                let expected = end - start + 1;
                if let Some(received) = declared.filter(|n| *n != expected) {
                    return Err(UploadError::LengthMismatch { expected, received }.into());
                }
                uploads
                    .put_chunk(key, (start, end, total), body, now)
                    .await?
            }
        };
        if let Progress::Complete(_) = progress {
            self.pipeline.forget(site, key);
        }
        Ok(progress)
    }
}

/// Whether a body without a declared length is empty; reads at most one frame.
async fn is_empty(body: impl Stream<Item = Result<Bytes, BodyError>>) -> bool {
    let mut body = std::pin::pin!(body);
    loop {
        match body.next().await {
            None => return true,
            Some(Ok(frame)) if frame.is_empty() => continue,
            Some(_) => return false,
        }
    }
}
