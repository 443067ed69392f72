//! Signed uploads (contract §5): a whole file in one `PUT`, or resumable chunks with
//! `Content-Range`, committed atomically into a local source root or an S3 bucket, with a File
//! object recorded per path. Owns every write to a root; knows nothing of HTTP beyond a stream
//! of body bytes.
//!
//! Layout for a local root, all inside the root so that the final rename never crosses file
//! systems: `<root>/.pixgate/tmp/` (bodies being received), `<root>/.pixgate/uploads/<hash>/`
//! (pending resumable uploads), `<root>/.pixgate/files.redb` (File objects). Storage keys
//! cannot name `.pixgate…`, so none of it is reachable by URL.
//!
//! A bucket's uploads are received the same way into the source's local `staging_dir`, and a
//! complete file is then written to the bucket with one `PutObject`, its File object beside
//! it in the bucket (`remote::s3`). A resumable upload's chunks are kept in the bucket itself
//! (`bucket_chunks`), so they may reach any instance. They do not map onto S3 multipart
//! uploads: multipart parts must be at least 5 MiB (all but the last) and arrive with their
//! part numbers, while our chunks have any size and may overlap or repeat; the whole file is
//! assembled and checked before it becomes visible, and a bucket never holds half an upload.

mod bucket_chunks;
mod bucket_records;
pub mod content_range;
mod file_object;
mod publish;
pub mod ranges;
mod session;
mod staging;
mod store;
mod to_bucket;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;

pub use content_range::ContentRange;
pub use file_object::{FileRecord, Kind};
pub use ranges::RangeSet;
pub use store::is_file_id;

use staging::{Expected, Staged};
use store::FileStore;

use crate::source::{RESERVED_SEGMENT_PREFIX, RemoteStore, StorageKey};

/// Stripes of the per-key lock: uploads to different keys rarely share one.
const LOCK_STRIPES: usize = 64;
/// Sweeps run at most this often, however many uploads arrive.
const MAX_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// Why an upload was refused or failed. Statuses are chosen in `app::error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("invalid Content-Range: {0}")]
    BadContentRange(String),
    #[error("the body has {received} bytes where its range says {expected}")]
    LengthMismatch { expected: u64, received: u64 },
    #[error("this upload is {pending} bytes long, not {given}")]
    TotalMismatch { pending: u64, given: u64 },
    #[error("uploads are limited to {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the chunk overlaps bytes already received with different content")]
    RangeConflict,
    #[error("a folder or file is in the way of that path")]
    PathConflict,
    #[error("the path leads outside the source")]
    OutsideRoot,
    /// The client stopped sending; nothing was kept.
    #[error("the request body ended early: {0}")]
    BodyInterrupted(String),
    /// The body was still arriving at `server.body_timeout`; nothing was kept.
    #[error("the request body took longer than the configured limit")]
    BodyTimeout,
    /// The body came slower than `server.min_body_rate`; nothing was kept.
    #[error("the request body arrived slower than the configured minimum rate")]
    BodyTooSlow,
    #[error("the file store cannot be opened: {0}")]
    StoreUnavailable(String),
    #[error("storage failed: {0}")]
    Io(String),
}

/// Why a request body stopped before its end, as the HTTP layer tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Still arriving at `server.body_timeout`.
    TimedOut,
    /// Slower than `server.min_body_rate`.
    TooSlow,
    /// The client stopped sending, or the connection broke.
    Interrupted(String),
}

impl From<BodyError> for UploadError {
    fn from(e: BodyError) -> UploadError {
        match e {
            BodyError::TimedOut => UploadError::BodyTimeout,
            BodyError::TooSlow => UploadError::BodyTooSlow,
            BodyError::Interrupted(cause) => UploadError::BodyInterrupted(cause),
        }
    }
}

/// Where a resumable upload stands.
#[derive(Debug, Clone)]
pub enum Progress {
    /// Still missing bytes: `received` of `total`.
    Partial { total: u64, received: RangeSet },
    /// Every byte arrived and the file is in place.
    Complete(FileRecord),
}

/// Where a complete upload goes.
enum Destination {
    /// A local source root (canonical).
    Folder,
    Bucket(Arc<RemoteStore>),
}

/// The upload side of one source root.
pub struct Uploads {
    /// Canonical root of a local source; a bucket source's staging folder.
    root: PathBuf,
    destination: Destination,
    state: PathBuf,
    tmp: PathBuf,
    pending: PathBuf,
    locks: Vec<Mutex<()>>,
    /// Opened on first use, so a read-only deployment never touches it.
    files: Mutex<Option<Arc<FileStore>>>,
    last_sweep: AtomicU64,
}

impl std::fmt::Debug for Uploads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploads").field("root", &self.root).finish()
    }
}

impl Uploads {
    /// Nothing is created until the first upload. `root` must be canonical.
    pub fn new(root: &Path) -> Uploads {
        let state = root.join(RESERVED_SEGMENT_PREFIX);
        Uploads {
            root: root.to_path_buf(),
            destination: Destination::Folder,
            tmp: state.join("tmp"),
            pending: state.join("uploads"),
            state,
            locks: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            files: Mutex::new(None),
            last_sweep: AtomicU64::new(0),
        }
    }

    /// Uploads received in `staging` and committed to `store`'s bucket.
    pub fn to_bucket(staging: &Path, store: Arc<RemoteStore>) -> Uploads {
        let mut uploads = Uploads::new(staging);
        uploads.destination = Destination::Bucket(store);
        uploads
    }

    /// Stores `body` (at most `max_bytes`) as the whole file at `key`.
    pub async fn put_whole<S>(
        self: &Arc<Self>,
        key: &StorageKey,
        body: S,
        max_bytes: u64,
        now: u64,
    ) -> Result<FileRecord, UploadError>
    where
        S: Stream<Item = Result<Bytes, BodyError>>,
    {
        self.blocking(|this| this.prepare()).await?;
        let staged = Staged::new_in(&self.tmp, now)?;
        staging::receive(body, &staged, Expected::AtMost(max_bytes)).await?;
        if let Destination::Bucket(store) = &self.destination {
            return self.commit_to_bucket(store, key, staged, now).await;
        }
        let key = key.clone();
        self.blocking(move |this| {
            let _locked = this.lock(&key);
            this.commit(&key, staged, now)
        })
        .await
    }

    /// Adds one chunk (`start..=end` of `total`) to `key`'s upload; commits it when complete.
    pub async fn put_chunk<S>(
        self: &Arc<Self>,
        key: &StorageKey,
        (start, end, total): (u64, u64, u64),
        body: S,
        now: u64,
    ) -> Result<Progress, UploadError>
    where
        S: Stream<Item = Result<Bytes, BodyError>>,
    {
        if let Destination::Bucket(store) = &self.destination {
            let store = Arc::clone(store);
            return self
                .put_chunk_in_bucket(&store, key, (start, end, total), body, now)
                .await;
        }
        let folder = session::folder(&self.pending, key);
        let check = folder.clone();
        // A wrong total is refused before a byte of the body is read.
        self.blocking(move |this| {
            this.prepare()?;
            session::check_total(session::read(&check)?.as_ref(), total)
        })
        .await?;
        let staged = Staged::new_in(&self.tmp, now)?;
        staging::receive(body, &staged, Expected::Exactly(end - start + 1)).await?;
        let (owned_key, owned_folder) = (key.clone(), folder.clone());
        let finish = self
            .blocking(move |this| {
                let _locked = this.lock(&owned_key);
                session::open_or_create(&owned_folder, &this.tmp, &owned_key, total, now)?;
                session::add_part(&owned_folder, staged, start, end)?;
                this.finish_if_complete(&owned_folder, &owned_key, total, now)
            })
            .await?;
        self.settle(finish, folder, key, now).await
    }

    /// The bytes of `key`'s upload received so far (none if there is no such upload). An
    /// upload that has every byte but was cut short during its commit (the process died) is
    /// committed now.
    pub async fn status(
        self: &Arc<Self>,
        key: &StorageKey,
        total: u64,
        now: u64,
    ) -> Result<Progress, UploadError> {
        if let Destination::Bucket(store) = &self.destination {
            let store = Arc::clone(store);
            let upload = bucket_chunks::Upload::of(&store, key)?;
            bucket_chunks::check_total(&upload.parts().await?, total)?;
            return self
                .settle_in_bucket(&store, &upload, key, total, now)
                .await;
        }
        let folder = session::folder(&self.pending, key);
        let (owned_key, owned_folder) = (key.clone(), folder.clone());
        let finish = self
            .blocking(move |this| {
                let _locked = this.lock(&owned_key);
                session::check_total(session::read(&owned_folder)?.as_ref(), total)?;
                session::touch(&owned_folder, &this.tmp, now)?;
                this.finish_if_complete(&owned_folder, &owned_key, total, now)
            })
            .await?;
        self.settle(finish, folder, key, now).await
    }

    /// The File object recorded under `id`.
    pub async fn file(self: &Arc<Self>, id: &str) -> Result<Option<FileRecord>, UploadError> {
        if let Destination::Bucket(store) = &self.destination {
            return bucket_records::get(store, id).await;
        }
        let id = id.to_string();
        self.blocking(move |this| {
            if !this.state.join(store::FILE_NAME).exists() {
                return Ok(None);
            }
            this.store()?.get(&id)
        })
        .await
    }

    /// Removes uploads untouched for `ttl` and stale temp files, at most once a minute (or
    /// once per `ttl`, if shorter) however often it is called.
    pub async fn sweep_if_due(self: &Arc<Self>, now: u64, ttl: Duration) {
        let every = ttl.min(MAX_SWEEP_INTERVAL).as_secs().max(1);
        let last = self.last_sweep.load(Ordering::Relaxed);
        if last != 0 && now < last.saturating_add(every) {
            return;
        }
        self.last_sweep.store(now, Ordering::Relaxed);
        let swept = self
            .blocking(move |this| Ok(this.sweep(now, ttl.as_secs())))
            .await;
        if let Ok(removed) = swept
            && removed > 0
        {
            tracing::info!(root = %self.root.display(), removed, "swept abandoned uploads");
        }
    }

    /// Sync: the sweep itself. Returns how many uploads and temp files it removed.
    fn sweep(&self, now: u64, ttl: u64) -> usize {
        let stale = |at: u64| at.saturating_add(ttl) < now;
        let mut removed = 0;
        for folder in list(&self.pending) {
            let Ok(Some(record)) = session::read(&folder) else {
                continue;
            };
            let Ok(key) = StorageKey::from_decoded(&record.key) else {
                continue;
            };
            if !stale(record.touched) {
                continue;
            }
            let _locked = self.lock(&key);
            // Re-read under the lock: a chunk may have arrived since.
            if let Ok(Some(record)) = session::read(&folder)
                && stale(record.touched)
                && session::remove(&folder).is_ok()
            {
                removed += 1;
            }
        }
        for path in list(&self.tmp) {
            let made = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(staging::staged_at);
            if made.is_some_and(stale) {
                let gone = std::fs::remove_file(&path).or_else(|_| std::fs::remove_dir_all(&path));
                removed += usize::from(gone.is_ok());
            }
        }
        removed
    }

    /// Sync, with the key's lock held: commits the upload in `folder` to a local root if every
    /// byte is there; for a bucket, hands the assembled file back to be written.
    fn finish_if_complete(
        &self,
        folder: &Path,
        key: &StorageKey,
        total: u64,
        now: u64,
    ) -> Result<Finish, UploadError> {
        let received = session::received(folder)?;
        if !received.covers(total) {
            return Ok(Finish::Done(Progress::Partial { total, received }));
        }
        let whole = session::assemble(folder, &self.tmp, total, now)?;
        if let Destination::Bucket(store) = &self.destination {
            return Ok(Finish::ToBucket(whole, Arc::clone(store)));
        }
        let record = self.commit(key, whole, now)?;
        session::remove(folder)?;
        Ok(Finish::Done(Progress::Complete(record)))
    }

    /// Sync: inspect, publish, record. Called with the key's lock held.
    fn commit(
        &self,
        key: &StorageKey,
        staged: Staged,
        now: u64,
    ) -> Result<FileRecord, UploadError> {
        let store = self.store()?;
        let facts = file_object::inspect(staged.path())?;
        publish::publish(&self.root, key, staged, now)?;
        store.record(key, &facts, now)
    }

    fn prepare(&self) -> Result<(), UploadError> {
        for dir in [&self.tmp, &self.pending] {
            std::fs::create_dir_all(dir)
                .map_err(|e| UploadError::Io(format!("creating {}: {e}", dir.display())))?;
        }
        Ok(())
    }

    fn store(&self) -> Result<Arc<FileStore>, UploadError> {
        let mut slot = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = slot.as_ref() {
            return Ok(store.clone());
        }
        std::fs::create_dir_all(&self.state)
            .map_err(|e| UploadError::StoreUnavailable(e.to_string()))?;
        let store = Arc::new(FileStore::open(&self.state.join(store::FILE_NAME))?);
        *slot = Some(store.clone());
        Ok(store)
    }

    /// Serialises everything that changes one key's upload or file. Taken on the blocking
    /// pool only, never across an `.await`.
    fn lock(&self, key: &StorageKey) -> MutexGuard<'_, ()> {
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        let stripe = (hasher.finish() % LOCK_STRIPES as u64) as usize;
        self.locks[stripe]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs sync file-system work on the blocking pool.
    async fn blocking<T, F>(self: &Arc<Self>, work: F) -> Result<T, UploadError>
    where
        F: FnOnce(&Uploads) -> Result<T, UploadError> + Send + 'static,
        T: Send + 'static,
    {
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || work(&this))
            .await
            .map_err(|e| UploadError::Io(format!("upload task: {e}")))?
    }
}

/// What a chunk or status query leaves to do.
enum Finish {
    Done(Progress),
    /// Every byte is there: this assembled file goes to this bucket.
    ToBucket(Staged, Arc<RemoteStore>),
}

/// The entries of `dir`, none if it cannot be read.
fn list(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

/// An I/O error with what was being done.
fn io_error(what: &'static str) -> impl Fn(std::io::Error) -> UploadError {
    move |e| UploadError::Io(format!("{what}: {e}"))
}
