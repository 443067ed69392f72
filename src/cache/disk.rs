//! The derivative cache's second tier: records on local disk, kept across restarts, bounded by
//! bytes with least-recently-used eviction. Crash-safe: a record is written to a temporary
//! name, synced and renamed into place, so a reader sees a whole record or none; a record
//! that is torn or corrupt anyway (a bad disk, a hand edit) fails its checksum and is
//! dropped. Blocking I/O: callers run it off the async threads. Knows nothing of HTTP or
//! images: a record is a key, a content type, a time and bytes.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use lru::LruCache;
use sha2::{Digest, Sha256};

use super::{CacheStats, TierCounts};

/// The first bytes of every record (the format's version is its last digit).
const MAGIC: &[u8; 8] = b"PXGDISK1";
const RECORD: &str = "pxd";
const TEMP: &str = "tmp";

/// What the disk tier keeps of a derivative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub content_type: String,
    pub modified: Option<SystemTime>,
    pub bytes: Bytes,
}

pub struct DiskTier {
    dir: PathBuf,
    max_bytes: u64,
    /// Record file name (the key's hash) → its size, least recently used first.
    index: Mutex<Index>,
    counts: TierCounts,
}

struct Index {
    lru: LruCache<String, u64>,
    used_bytes: u64,
}

impl DiskTier {
    /// Opens (creating) `dir`: temporary files a crash left are removed, and the records
    /// found are indexed by their modification time, the recency they had.
    pub fn open(dir: &Path, max_bytes: u64) -> io::Result<DiskTier> {
        fs::create_dir_all(dir)?;
        let mut found = Vec::new();
        for shard in fs::read_dir(dir)? {
            let shard = shard?.path();
            if !shard.is_dir() {
                continue;
            }
            for entry in fs::read_dir(&shard)? {
                let path = entry?.path();
                match path.extension().and_then(|e| e.to_str()) {
                    Some(TEMP) => {
                        let _ = fs::remove_file(&path);
                    }
                    Some(RECORD) => {
                        let meta = fs::metadata(&path)?;
                        let used = meta.modified().unwrap_or(UNIX_EPOCH);
                        let name = path.file_stem().and_then(|s| s.to_str());
                        if let Some(name) = name {
                            found.push((used, name.to_string(), meta.len()));
                        }
                    }
                    _ => {}
                }
            }
        }
        found.sort();
        let mut index = Index {
            lru: LruCache::unbounded(),
            used_bytes: 0,
        };
        for (_, name, size) in found {
            index.used_bytes += size;
            index.lru.put(name, size);
        }
        let tier = DiskTier {
            dir: dir.to_path_buf(),
            max_bytes,
            index: Mutex::new(index),
            counts: TierCounts::default(),
        };
        tier.evict();
        Ok(tier)
    }

    /// The record for `key`, if one is kept and whole. A record that fails its checks is
    /// removed and counts as absent.
    pub fn get(&self, key: &str) -> Option<Record> {
        let started = Instant::now();
        let found = self.read(key);
        self.counts.read(found.is_some(), started.elapsed());
        found
    }

    fn read(&self, key: &str) -> Option<Record> {
        let name = name(key);
        let path = self.path(&name);
        let mut file = File::open(&path).ok()?;
        let mut raw = Vec::new();
        if file.read_to_end(&mut raw).is_err() {
            return None;
        }
        match decode(&raw, key) {
            Some(record) => {
                self.lock().lru.get(&name);
                // The recency survives a restart in the file's time; failing that costs only
                // the order of eviction.
                let _ = file.set_modified(SystemTime::now());
                Some(record)
            }
            None => {
                self.counts.error();
                self.drop_record(&name);
                None
            }
        }
    }

    /// Keeps `record` under `key`, replacing any; then evicts the least recently used
    /// records past the budget. A record above the whole budget is not kept.
    pub fn put(&self, key: &str, record: &Record) -> io::Result<()> {
        let encoded = encode(key, record);
        let size = encoded.len() as u64;
        if size > self.max_bytes {
            return Ok(());
        }
        let name = name(key);
        let path = self.path(&name);
        if let Some(shard) = path.parent() {
            fs::create_dir_all(shard)?;
        }
        let temp = path.with_extension(format!("{}.{TEMP}", unique()));
        let written = (|| {
            let mut file = File::create(&temp)?;
            file.write_all(&encoded)?;
            file.sync_all()?;
            fs::rename(&temp, &path)
        })();
        if let Err(e) = written {
            self.counts.error();
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        {
            let mut index = self.lock();
            if let Some(old) = index.lru.put(name, size) {
                index.used_bytes -= old;
            }
            index.used_bytes += size;
        }
        self.evict();
        Ok(())
    }

    /// Bytes of the records kept, and how many there are.
    pub fn usage(&self) -> (u64, usize) {
        let index = self.lock();
        (index.used_bytes, index.lru.len())
    }

    /// Hits, misses, evictions and usage, as the memory tiers report theirs.
    pub fn stats(&self) -> CacheStats {
        let (bytes, entries) = self.usage();
        self.counts.stats(bytes, entries as u64)
    }

    /// Records dropped for failing their checks, failed writes, and time spent reading.
    pub fn counts(&self) -> &TierCounts {
        &self.counts
    }

    fn evict(&self) {
        loop {
            let doomed = {
                let mut index = self.lock();
                if index.used_bytes <= self.max_bytes {
                    return;
                }
                match index.lru.pop_lru() {
                    Some((name, size)) => {
                        index.used_bytes -= size;
                        name
                    }
                    None => return,
                }
            };
            self.counts.evicted();
            let _ = fs::remove_file(self.path(&doomed));
        }
    }

    fn drop_record(&self, name: &str) {
        let _ = fs::remove_file(self.path(name));
        let mut index = self.lock();
        if let Some(size) = index.lru.pop(name) {
            index.used_bytes -= size;
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        // 256 folders of records, so no folder grows past what file systems list quickly.
        self.dir.join(&name[..2]).join(format!("{name}.{RECORD}"))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A record's file name: the key's SHA-256, so any key makes a safe, fixed-length name.
pub fn name(key: &str) -> String {
    crate::hex::lower(&Sha256::digest(key.as_bytes()))
}

/// Distinct per write, so two writers of one key never share a temporary file.
fn unique() -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    crate::hex::lower(&bytes)
}

/// `MAGIC`, then length-prefixed key, content type and body, the modification time in
/// nanoseconds (0 for none), and a CRC-32 of everything before it.
pub fn encode(key: &str, record: &Record) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + key.len() + record.bytes.len());
    out.extend_from_slice(MAGIC);
    for part in [
        key.as_bytes(),
        record.content_type.as_bytes(),
        &record.bytes,
    ] {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
        out.extend_from_slice(part);
    }
    let nanos = record
        .modified
        .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    out.extend_from_slice(&nanos.to_le_bytes());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The record in `raw` if it is whole, checks out and is `key`'s (not a hash collision's).
pub fn decode(raw: &[u8], key: &str) -> Option<Record> {
    let (body, crc) = raw.split_at_checked(raw.len().checked_sub(4)?)?;
    if crc32fast::hash(body).to_le_bytes() != crc[..] {
        return None;
    }
    let mut rest = body.strip_prefix(MAGIC.as_slice())?;
    let mut part = || -> Option<&[u8]> {
        let (len, tail) = rest.split_at_checked(8)?;
        let len = usize::try_from(u64::from_le_bytes(len.try_into().ok()?)).ok()?;
        let (part, tail) = tail.split_at_checked(len)?;
        rest = tail;
        Some(part)
    };
    let (stored_key, content_type, bytes) = (part()?, part()?, part()?);
    if stored_key != key.as_bytes() {
        return None;
    }
    let nanos = u64::from_le_bytes(rest.try_into().ok()?);
    Some(Record {
        content_type: String::from_utf8(content_type.to_vec()).ok()?,
        modified: (nanos > 0).then(|| UNIX_EPOCH + Duration::from_nanos(nanos)),
        bytes: Bytes::copy_from_slice(bytes),
    })
}

#[cfg(test)]
mod tests;
