//! What `/_pixgate/metrics` reports of a derivative cache tier below memory (disk, shared):
//! lookups, evictions, failures and time spent reading.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::CacheStats;

#[derive(Debug, Default)]
pub struct TierCounts {
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
    errors: AtomicU64,
    read_nanos: AtomicU64,
}

impl TierCounts {
    /// One lookup: whether it found a whole record, and how long it took.
    pub fn read(&self, found: bool, took: Duration) {
        let counter = if found { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.read_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// A read or write that failed, or a record that failed its checks.
    pub fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn evicted(&self) {
        self.evictions.fetch_add(1, Ordering::Relaxed);
    }

    /// As the memory tiers report theirs; `bytes` and `entries` are the tier's own to say.
    pub fn stats(&self, bytes: u64, entries: u64) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            coalesced: 0,
            evictions: self.evictions.load(Ordering::Relaxed),
            bytes,
            entries,
        }
    }

    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    pub fn read_seconds(&self) -> f64 {
        self.read_nanos.load(Ordering::Relaxed) as f64 / 1e9
    }
}
