//! File metadata in an embedded store (redb: pure Rust, transactional, fsynced on commit), one
//! database per source root at `<root>/.pixgate/files.redb`, so `GET /_pixgate/files/{id}`
//! answers after a restart. Two tables: id → record (JSON), storage key → id.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::UploadError;
use super::file_object::{Facts, FileRecord};
use crate::source::StorageKey;

/// The database's file name inside `<root>/.pixgate/`.
pub const FILE_NAME: &str = "files.redb";
const FILES: TableDefinition<&str, &[u8]> = TableDefinition::new("files");
const PATHS: TableDefinition<&str, &str> = TableDefinition::new("paths");
const ID_ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const ID_CHARS: usize = 20;
/// Memory redb may use for caching pages of one root's database.
const CACHE_BYTES: usize = 4 * 1024 * 1024;

pub struct FileStore {
    db: Database,
}

impl FileStore {
    /// Opens or creates the database. Fails if another process holds it.
    pub fn open(path: &Path) -> Result<FileStore, UploadError> {
        // redb caches up to 1 GiB by default and grows toward it under a stream of commits;
        // File records are small and read one at a time, so a few MiB is plenty.
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(unavailable)?;
        let txn = db.begin_write().map_err(unavailable)?;
        txn.open_table(FILES).map_err(unavailable)?;
        txn.open_table(PATHS).map_err(unavailable)?;
        txn.commit().map_err(unavailable)?;
        Ok(FileStore { db })
    }

    pub fn get(&self, id: &str) -> Result<Option<FileRecord>, UploadError> {
        let txn = self.db.begin_read().map_err(failed)?;
        let files = txn.open_table(FILES).map_err(failed)?;
        let Some(json) = files.get(id).map_err(failed)? else {
            return Ok(None);
        };
        serde_json::from_slice(json.value())
            .map(Some)
            .map_err(failed)
    }

    /// Records that `key` now holds a file with these facts: a new id for a new path, the same
    /// id and `created` for a replaced one. Durable when it returns.
    pub fn record(
        &self,
        key: &StorageKey,
        facts: &Facts,
        now: u64,
    ) -> Result<FileRecord, UploadError> {
        let txn = self.db.begin_write().map_err(failed)?;
        let record = {
            let mut files = txn.open_table(FILES).map_err(failed)?;
            let mut paths = txn.open_table(PATHS).map_err(failed)?;
            let known = paths
                .get(key.as_str())
                .map_err(failed)?
                .map(|id| id.value().to_string());
            let earlier = match &known {
                Some(id) => files
                    .get(id.as_str())
                    .map_err(failed)?
                    .and_then(|json| serde_json::from_slice::<FileRecord>(json.value()).ok()),
                None => None,
            };
            let id = match known {
                Some(id) => id,
                None => new_id()?,
            };
            let record = FileRecord::of(id, key, facts, earlier.as_ref(), now);
            let json = serde_json::to_vec(&record).map_err(failed)?;
            files
                .insert(record.id.as_str(), json.as_slice())
                .map_err(failed)?;
            paths
                .insert(key.as_str(), record.id.as_str())
                .map_err(failed)?;
            record
        };
        txn.commit().map_err(failed)?;
        Ok(record)
    }
}

/// `file_` and 20 of `[0-9a-z]`: anything else cannot be an id, so no store is asked.
pub fn is_file_id(id: &str) -> bool {
    id.strip_prefix("file_").is_some_and(|rest| {
        rest.len() == ID_CHARS
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    })
}

/// `file_` and 20 random characters of `[0-9a-z]` (about 103 bits).
pub(super) fn new_id() -> Result<String, UploadError> {
    let mut random = [0u8; ID_CHARS];
    getrandom::fill(&mut random).map_err(|e| UploadError::Io(format!("random: {e}")))?;
    let chars: String = random
        .iter()
        .map(|b| char::from(ID_ALPHABET[usize::from(*b) % ID_ALPHABET.len()]))
        .collect();
    Ok(format!("file_{chars}"))
}

fn unavailable(e: impl std::fmt::Display) -> UploadError {
    UploadError::StoreUnavailable(e.to_string())
}

fn failed(e: impl std::fmt::Display) -> UploadError {
    UploadError::Io(format!("file store: {e}"))
}
