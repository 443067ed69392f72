//! A bucket source's side of an upload: a resumable upload's chunks kept in the bucket
//! (`bucket_chunks`) and committed once, and a complete file written to the bucket with its
//! File object (`bucket_records`).

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;

use super::staging::{self, Expected, Staged};
use super::{
    BodyError, FileRecord, Finish, Progress, UploadError, Uploads, bucket_chunks, bucket_records,
    file_object, session,
};
use crate::source::{RemoteStore, StorageKey};

impl Uploads {
    /// A bucket's complete resumable upload is written to the bucket here, outside the key's
    /// lock (it is async); its session is removed only after, so an instance that dies
    /// between the two commits it again on the next status query.
    pub(super) async fn settle(
        self: &Arc<Self>,
        finish: Finish,
        folder: PathBuf,
        key: &StorageKey,
        now: u64,
    ) -> Result<Progress, UploadError> {
        let (whole, store) = match finish {
            Finish::Done(progress) => return Ok(progress),
            Finish::ToBucket(whole, store) => (whole, store),
        };
        let record = self.commit_to_bucket(&store, key, whole, now).await?;
        let owned_key = key.clone();
        self.blocking(move |this| {
            let _locked = this.lock(&owned_key);
            session::remove(&folder)
        })
        .await?;
        Ok(Progress::Complete(record))
    }

    /// A chunk of a bucket source's upload: its state is in the bucket, so any instance may
    /// take any chunk.
    pub(super) async fn put_chunk_in_bucket<S>(
        self: &Arc<Self>,
        store: &Arc<RemoteStore>,
        key: &StorageKey,
        (start, end, total): (u64, u64, u64),
        body: S,
        now: u64,
    ) -> Result<Progress, UploadError>
    where
        S: Stream<Item = Result<Bytes, BodyError>>,
    {
        let upload = bucket_chunks::Upload::of(store, key)?;
        // A wrong total is refused before a byte of the body is read.
        let parts = upload.parts().await?;
        bucket_chunks::check_total(&parts, total)?;
        self.blocking(|this| this.prepare()).await?;
        let staged = Staged::new_in(&self.tmp, now)?;
        staging::receive(body, &staged, Expected::Exactly(end - start + 1)).await?;
        let chunk = bucket_chunks::Part { total, start, end };
        upload.restart_if_finished(&parts, total).await?;
        upload.add(&parts, &staged, chunk).await?;
        self.settle_in_bucket(store, &upload, key, total, now).await
    }

    /// Commits a bucket upload that has every byte, on the one instance that claims it.
    pub(super) async fn settle_in_bucket(
        self: &Arc<Self>,
        store: &Arc<RemoteStore>,
        upload: &bucket_chunks::Upload<'_>,
        key: &StorageKey,
        total: u64,
        now: u64,
    ) -> Result<Progress, UploadError> {
        if let Some(progress) = upload.progress(total).await? {
            return Ok(progress);
        }
        let whole = upload.assemble(&self.tmp, total, now).await?;
        let record = self.commit_to_bucket(store, key, whole, now).await?;
        upload.finish(total, &record).await?;
        Ok(Progress::Complete(record))
    }

    /// Inspects the staged file, writes it to the bucket, then records its File object there.
    pub(super) async fn commit_to_bucket(
        self: &Arc<Self>,
        store: &Arc<RemoteStore>,
        key: &StorageKey,
        staged: Staged,
        now: u64,
    ) -> Result<FileRecord, UploadError> {
        let path = staged.path().to_path_buf();
        let facts = self.blocking(move |_| file_object::inspect(&path)).await?;
        let record = bucket_records::commit(store, key, staged.path(), &facts, now).await?;
        drop(staged);
        Ok(record)
    }
}
