//! A source on the local file system. Paths are the canonical root joined with a
//! `StorageKey`, then resolved again so that a symlink pointing out of the root is refused.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use tokio::io::AsyncReadExt;

use super::{Content, OpenedFile, Original, SNIFF_BYTES, SourceError, StorageKey, Version};

#[derive(Debug, Clone)]
pub struct LocalStore {
    /// Canonical (symlink-free, absolute) root.
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: &Path) -> std::io::Result<LocalStore> {
        Ok(LocalStore {
            root: root.canonicalize()?,
        })
    }

    /// The canonical root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root is still a folder pixgate may list.
    pub async fn readiness(&self) -> Result<(), &'static str> {
        match tokio::fs::read_dir(&self.root).await {
            Ok(mut entries) => entries
                .next_entry()
                .await
                .map(drop)
                .map_err(|_| "the root folder cannot be listed"),
            Err(e) if e.kind() == ErrorKind::NotFound => Err("the root folder is missing"),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                Err("the root folder may not be read")
            }
            Err(_) => Err("the root folder cannot be opened"),
        }
    }

    /// The real path of `key`, proven to lie inside the root, and its metadata. Symlinks
    /// inside the root that stay inside are followed; ones that leave it are refused.
    ///
    /// The root is canonical, so when no segment of the key is a symlink the joined path is
    /// already the real one: one `lstat` per segment proves it, where `realpath` would
    /// `readlink` every component from `/` (most of a cache hit's cost). A symlink anywhere
    /// sends the path through `canonicalize`, which resolves where it leads.
    fn locate(&self, key: &StorageKey) -> Result<(PathBuf, std::fs::Metadata), SourceError> {
        let mut path = self.root.clone();
        let mut meta = None;
        for segment in key.as_str().split('/') {
            path.push(segment);
            let segment_meta = std::fs::symlink_metadata(&path).map_err(io_error)?;
            if segment_meta.file_type().is_symlink() {
                let joined = self.root.join(key.relative_path());
                path = self.inside(std::fs::canonicalize(&joined).map_err(io_error)?)?;
                meta = Some(std::fs::metadata(&path).map_err(io_error)?);
                break;
            }
            meta = Some(segment_meta);
        }
        match meta {
            Some(meta) if meta.is_file() => Ok((path, meta)),
            _ => Err(SourceError::NotFound),
        }
    }

    /// The one containment check: a resolved path must stay under the canonical root.
    fn inside(&self, real: PathBuf) -> Result<PathBuf, SourceError> {
        if real.starts_with(&self.root) {
            Ok(real)
        } else {
            Err(SourceError::OutsideRoot)
        }
    }

    /// The file's version. This runs on every transform request, cache hits included,
    /// because the version is part of the cache key, so it runs right here on the async
    /// worker: for a local file it is one `lstat` per key segment answered from the kernel's
    /// dentry and inode caches (a microsecond or two), while a trip to the blocking pool
    /// costs two thread wake-ups, several times more. (A root on a slow network file system
    /// would stall a worker here; such stores belong behind a remote source.)
    pub fn version(&self, key: &StorageKey) -> Result<Version, SourceError> {
        let (_, meta) = self.locate(key)?;
        Ok(version_of(&meta))
    }

    /// [`locate`](Self::locate) on the blocking pool, for the paths that go on to read.
    async fn resolve(&self, key: &StorageKey) -> Result<PathBuf, SourceError> {
        let (store, key) = (self.clone(), key.clone());
        tokio::task::spawn_blocking(move || store.locate(&key).map(|(path, _)| path))
            .await
            .map_err(|e| SourceError::Io(e.to_string()))?
    }

    /// Opens the located file and proves, on the open descriptor, that it is a regular file.
    /// Between `locate` and `open` the path may be swapped for something else: a FIFO would
    /// block `open` itself (and a blocking thread with it) until a writer came, hence
    /// `O_NONBLOCK`, which regular files ignore; a symlink put in its place is not followed
    /// (`O_NOFOLLOW`: ELOOP, so 404). Whatever was opened, `fstat` decides.
    async fn open_regular(
        &self,
        key: &StorageKey,
    ) -> Result<(tokio::fs::File, std::fs::Metadata), SourceError> {
        let path = self.resolve(key).await?;
        let mut options = tokio::fs::OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
        let file = options.open(&path).await.map_err(io_error)?;
        let meta = file.metadata().await.map_err(io_error)?;
        if !meta.is_file() {
            return Err(SourceError::NotFound);
        }
        Ok((file, meta))
    }

    pub async fn read(&self, key: &StorageKey, max_bytes: u64) -> Result<Original, SourceError> {
        let (mut file, meta) = self.open_regular(key).await?;
        if meta.len() > max_bytes {
            return Err(SourceError::TooLarge {
                size: meta.len(),
                limit: max_bytes,
            });
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        // `take` bounds the read even if the file grows after the size check.
        (&mut file)
            .take(max_bytes + 1)
            .read_to_end(&mut bytes)
            .await
            .map_err(io_error)?;
        if bytes.len() as u64 > max_bytes {
            return Err(SourceError::TooLarge {
                size: bytes.len() as u64,
                limit: max_bytes,
            });
        }
        Ok(Original {
            bytes: bytes.into(),
            version: version_of(&meta),
        })
    }

    /// The first `n` bytes of the file (fewer if it is shorter) and its whole length.
    pub async fn head(&self, key: &StorageKey, n: usize) -> Result<(Vec<u8>, u64), SourceError> {
        let (file, meta) = self.open_regular(key).await?;
        let mut head = Vec::with_capacity(n.min(meta.len() as usize));
        file.take(n as u64)
            .read_to_end(&mut head)
            .await
            .map_err(io_error)?;
        Ok((head, meta.len()))
    }

    pub async fn open(&self, key: &StorageKey) -> Result<OpenedFile, SourceError> {
        let (mut file, meta) = self.open_regular(key).await?;
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        (&mut file)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut head)
            .await
            .map_err(io_error)?;
        Ok(OpenedFile {
            content: Content::File(file),
            version: version_of(&meta),
            head,
        })
    }
}

fn version_of(meta: &std::fs::Metadata) -> Version {
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let inode = 0;
    Version {
        len: meta.len(),
        modified: meta.modified().ok(),
        identity: inode,
    }
}

fn io_error(e: std::io::Error) -> SourceError {
    match e.kind() {
        // A path through a regular file (`a.png/b`) is ENOTDIR: as absent as any other.
        ErrorKind::NotFound | ErrorKind::NotADirectory => SourceError::NotFound,
        // A symlink loop (ELOOP; its ErrorKind is not stable yet) leads to no file either.
        _ if is_symlink_loop(&e) => SourceError::NotFound,
        _ => SourceError::Io(e.to_string()),
    }
}

#[cfg(unix)]
fn is_symlink_loop(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

#[cfg(not(unix))]
fn is_symlink_loop(_: &std::io::Error) -> bool {
    false
}
