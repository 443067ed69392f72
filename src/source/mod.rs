//! Sources: where originals live. The only file-system I/O besides the socket happens here,
//! and only through a [`StorageKey`], so a request cannot name a file outside a root.

mod key;
mod local;

use std::time::SystemTime;

use bytes::Bytes;

pub use key::{KeyError, StorageKey};
pub use local::LocalStore;

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
}

/// An original read into memory for rendering.
#[derive(Debug, Clone)]
pub struct Original {
    pub bytes: Bytes,
    pub modified: Option<SystemTime>,
}

/// An original opened for streaming (passthrough): nothing is read until the body is sent.
#[derive(Debug)]
pub struct OpenedFile {
    pub file: tokio::fs::File,
    pub len: u64,
    pub modified: Option<SystemTime>,
    /// The first bytes, for sniffing the content type.
    pub head: Vec<u8>,
}

/// A configured source: its policy (from config) and where its files live.
#[derive(Debug)]
pub struct Source {
    pub config: SourceConfig,
    pub store: Store,
}

/// Storage back ends, dispatched by match.
#[derive(Debug)]
pub enum Store {
    Local(LocalStore),
}

impl Source {
    /// Builds the store; fails if the root cannot be resolved.
    pub fn new(config: SourceConfig) -> std::io::Result<Source> {
        let store = Store::Local(LocalStore::new(&config.root)?);
        Ok(Source { config, store })
    }

    /// Whether requests for `key` must be signed even where the source is public.
    pub fn is_private(&self, key: &StorageKey) -> bool {
        self.config.private_prefixes.iter().any(|p| key.is_under(p))
    }

    pub async fn read(&self, key: &StorageKey, max_bytes: u64) -> Result<Original, SourceError> {
        match &self.store {
            Store::Local(store) => store.read(key, max_bytes).await,
        }
    }

    pub async fn open(&self, key: &StorageKey) -> Result<OpenedFile, SourceError> {
        match &self.store {
            Store::Local(store) => store.open(key).await,
        }
    }
}
