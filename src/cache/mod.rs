//! A byte-bounded LRU with single-flight, generic over what it holds: the pipeline keeps its
//! derivatives and its originals in two of them. Concurrent misses for one key run the loader
//! once. Locks are plain mutexes held for map operations only, never across an `.await`. Knows
//! nothing of HTTP or images: a value says what it weighs, a key is a string.

pub mod disk;
mod tier_counts;

pub use tier_counts::TierCounts;

use lru::LruCache;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::OnceCell;

/// Bookkeeping charged per entry on top of the payload and the key: the LRU node and hash
/// slot (~100 B), the `Arc` header, the value struct and its small strings. Errs high.
pub const ENTRY_OVERHEAD_BYTES: u64 = 256;

/// Something whose memory the cache can charge.
pub trait Weighed {
    /// Heap bytes held by the value (payload and owned strings).
    fn weight(&self) -> u64;
}

/// Whether the answer came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Hit,
    Miss,
}

/// Counters and gauges for `/_pixgate/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Misses that waited for another request's load instead of loading again.
    pub coalesced: u64,
    pub evictions: u64,
    /// Bytes charged against the budget (payload + key + overhead).
    pub bytes: u64,
    pub entries: u64,
}

type Flight<V, E> = Arc<OnceCell<Result<Arc<V>, E>>>;

pub struct Cache<V, E> {
    entries: Mutex<Entries<V>>,
    flights: Mutex<HashMap<String, Flight<V, E>>>,
    max_bytes: u64,
    max_entry_bytes: u64,
    hits: AtomicU64,
    misses: AtomicU64,
    coalesced: AtomicU64,
    evictions: AtomicU64,
}

struct Entries<V> {
    lru: LruCache<String, Arc<V>>,
    used_bytes: u64,
}

fn cost<V: Weighed>(key: &str, value: &V) -> u64 {
    value.weight() + key.len() as u64 + ENTRY_OVERHEAD_BYTES
}

impl<V: Weighed, E: Clone> Cache<V, E> {
    /// `max_bytes` bounds the total charged size; a single entry above `max_entry_bytes` is
    /// returned to its callers but not kept.
    pub fn new(max_bytes: u64, max_entry_bytes: u64) -> Self {
        Cache {
            entries: Mutex::new(Entries {
                lru: LruCache::unbounded(),
                used_bytes: 0,
            }),
            flights: Mutex::new(HashMap::new()),
            max_bytes,
            max_entry_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            coalesced: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    /// Returns the cached value for `key`, or loads it with `load()` — once, however many
    /// callers miss at the same time; they all get the leader's value or error. Errors are
    /// not cached. If the leader is cancelled (its client went away), a waiter takes over.
    ///
    /// `load` is a closure so that a hit never builds the loader's future: a render's state
    /// machine is kilobytes, and the miss path is boxed so the hit path does not carry it.
    pub async fn get_or_load<L, F>(&self, key: &str, load: L) -> Result<(Arc<V>, Lookup), E>
    where
        L: FnOnce() -> F,
        F: Future<Output = Result<V, E>>,
    {
        if let Some(hit) = self.get(key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok((hit, Lookup::Hit));
        }
        Box::pin(self.load_once(key, load)).await
    }

    async fn load_once<L, F>(&self, key: &str, load: L) -> Result<(Arc<V>, Lookup), E>
    where
        L: FnOnce() -> F,
        F: Future<Output = Result<V, E>>,
    {
        let flight = {
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            flights.entry(key.to_string()).or_default().clone()
        };
        let mut led = false;
        let result = flight
            .get_or_init(|| {
                led = true;
                async {
                    let loaded = load().await.map(Arc::new);
                    if let Ok(value) = &loaded {
                        self.insert(key, value.clone());
                    }
                    loaded
                }
            })
            .await
            .clone();
        if led {
            self.misses.fetch_add(1, Ordering::Relaxed);
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            flights.remove(key);
        } else {
            self.coalesced.fetch_add(1, Ordering::Relaxed);
        }
        // Followers waited rather than loaded; to them it is a miss all the same.
        result.map(|value| (value, Lookup::Miss))
    }

    /// A lookup that counts as a hit or a miss, for a cache filled with [`Cache::put`]
    /// rather than by a loader.
    pub fn lookup(&self, key: &str) -> Option<Arc<V>> {
        let found = self.get(key);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps `value` under `key` (replacing what was there), within the budgets as a load is.
    pub fn put(&self, key: &str, value: V) {
        self.insert(key, Arc::new(value));
    }

    /// A lookup that refreshes recency but counts in no statistic.
    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.lru.get(key).cloned()
    }

    pub fn stats(&self) -> CacheStats {
        let (bytes, entries) = {
            let e = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            (e.used_bytes, e.lru.len() as u64)
        };
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            coalesced: self.coalesced.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            bytes,
            entries,
        }
    }

    /// Bytes currently charged against the budget.
    pub fn used_bytes(&self) -> u64 {
        self.stats().bytes
    }

    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .lru
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry whose key starts with `prefix` (all derivatives of one original when
    /// it is replaced); returns how many. A scan: meant for writes, which are rare.
    pub fn remove_prefix(&self, prefix: &str) -> usize {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let doomed: Vec<String> = entries
            .lru
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for key in &doomed {
            if let Some(old) = entries.lru.pop(key) {
                entries.used_bytes -= cost(key, old.as_ref());
            }
        }
        doomed.len()
    }

    /// Keys from least to most recently used (for tests and diagnostics).
    pub fn keys_by_age(&self) -> Vec<String> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.lru.iter().rev().map(|(k, _)| k.clone()).collect()
    }

    fn insert(&self, key: &str, value: Arc<V>) {
        let size = cost(key, value.as_ref());
        if size > self.max_entry_bytes || size > self.max_bytes {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = entries.lru.put(key.to_string(), value) {
            entries.used_bytes -= cost(key, old.as_ref());
        }
        entries.used_bytes += size;
        while entries.used_bytes > self.max_bytes {
            match entries.lru.pop_lru() {
                Some((k, old)) => {
                    entries.used_bytes -= cost(&k, old.as_ref());
                    self.evictions.fetch_add(1, Ordering::Relaxed);
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests;
