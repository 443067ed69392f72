//! Sources: where originals live and how they are read — a local folder, an S3-compatible
//! bucket or an HTTP origin ([`Store`]). Every read goes through a [`StorageKey`], so a request
//! cannot name a file outside a root. Writes belong to `upload`.

pub mod address_guard;
mod key;
mod listing;
mod local;
pub mod remote;

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

pub use key::{KeyError, RESERVED_SEGMENT_PREFIX, StorageKey};
pub use listing::ListBounds;
pub use local::LocalStore;
pub use remote::RemoteStore;

use crate::config::SourceConfig;

/// Why an original could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("no file at that path")]
    NotFound,
    /// A symlink (or a race) resolved outside the root.
    #[error("the path leads outside the source")]
    OutsideRoot,
    #[error("the original is {size} bytes, above the limit of {limit}")]
    TooLarge { size: u64, limit: u64 },
    #[error("storage failed: {0}")]
    Io(String),
    /// The read did not finish within `limits.source_timeout`.
    #[error("reading the original took longer than the configured limit")]
    TimedOut,
    /// A remote origin could not be connected to.
    #[error("the origin cannot be reached: {0}")]
    Unreachable(String),
    /// The SSRF guard refused the address an origin (or its redirect) leads to.
    #[error("the origin leads to an address this source may not reach: {0}")]
    Refused(String),
}

/// Bytes read up front from a passthrough file to sniff its type.
pub const SNIFF_BYTES: usize = 512;

/// Identifies one state of a stored file: size, modification time (nanoseconds) and an
/// identity. Any write through pixgate or on disk changes it, which is what invalidates
/// derivatives. For a local file the identity is its inode, which matters because an upload
/// replaces a file by renaming a new one over it: on a file system with coarse timestamps, a
/// same-size replacement within one tick would otherwise look unchanged. For a remote one it
/// is 64 bits of a hash of the origin's ETag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    pub len: u64,
    pub modified: Option<SystemTime>,
    pub identity: u64,
}

impl Version {
    /// A short token, e.g. `1b4f2-187a3c5e9d0f1200-8e2a1`, usable in cache keys and ETags.
    pub fn tag(&self) -> String {
        let mut tag = String::with_capacity(48);
        self.write_tag(&mut tag);
        tag
    }

    /// Appends [`tag`](Self::tag) to `out`.
    pub fn write_tag(&self, out: &mut String) {
        let nanos = self
            .modified
            .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let _ = write!(out, "{:x}-{nanos:x}-{:x}", self.len, self.identity);
    }
}

/// An original read into memory for rendering.
#[derive(Debug, Clone)]
pub struct Original {
    pub bytes: Bytes,
    pub version: Version,
}

/// An original opened for passthrough.
#[derive(Debug)]
pub struct OpenedFile {
    pub content: Content,
    pub version: Version,
    /// The first bytes, for sniffing the content type.
    pub head: Vec<u8>,
}

/// A remote original served from memory.
impl From<&Original> for OpenedFile {
    fn from(original: &Original) -> OpenedFile {
        let bytes = original.bytes.clone();
        let head = bytes[..bytes.len().min(SNIFF_BYTES)].to_vec();
        OpenedFile {
            content: Content::Memory(bytes),
            version: original.version,
            head,
        }
    }
}

/// The bytes of an opened original.
#[derive(Debug)]
pub enum Content {
    /// A local file, streamed: nothing is read until the body is sent.
    File(tokio::fs::File),
    /// A remote original, read whole (within `limits.max_source_bytes`).
    Memory(Bytes),
}

/// Storage back ends, dispatched by match.
#[derive(Debug)]
pub enum Store {
    Local(LocalStore),
    Remote(Arc<RemoteStore>),
}

impl Store {
    /// The store a source's root names: a local folder (canonicalised: fails if it cannot be
    /// resolved), a bucket or an HTTP origin. `timeout` bounds every request to a remote root
    /// (`limits.source_timeout`).
    pub fn open(config: &SourceConfig, timeout: Duration) -> std::io::Result<Store> {
        let remote = RemoteStore::new(config, timeout).map_err(std::io::Error::other)?;
        Ok(match remote {
            Some(remote) => Store::Remote(Arc::new(remote)),
            None => Store::Local(LocalStore::new(
                config.root.local().unwrap_or(Path::new("")),
            )?),
        })
    }

    /// Whether the store can be read now (for `/_pixgate/ready`): a local root is still a
    /// folder that can be listed, a remote one answers. The reason is safe to show: it names
    /// no path.
    pub async fn readiness(&self) -> Result<(), &'static str> {
        match self {
            Store::Local(store) => store.readiness().await,
            Store::Remote(store) => store.readiness().await,
        }
    }

    /// The current version of `key`'s file; `NotFound` if there is none.
    pub async fn version(&self, key: &StorageKey) -> Result<Version, SourceError> {
        match self {
            Store::Local(store) => store.version(key),
            Store::Remote(store) => store.version(key).await,
        }
    }

    pub async fn read(&self, key: &StorageKey, max_bytes: u64) -> Result<Original, SourceError> {
        match self {
            Store::Local(store) => store.read(key, max_bytes).await,
            Store::Remote(store) => store.read(key, max_bytes).await,
        }
    }
}
