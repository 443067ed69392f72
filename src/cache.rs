//! The derivative cache: a byte-bounded LRU of rendered images keyed by the canonical
//! request, plus single-flight so that concurrent misses for one key render once. Locks are
//! plain mutexes held for map operations only, never across an `.await`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use bytes::Bytes;
use lru::LruCache;
use tokio::sync::OnceCell;

/// Bookkeeping charged per entry on top of the bytes: the LRU node, the hash slot, the
/// `Arc<Derivative>` and its small strings. Measured roughly; errs on the high side.
pub const ENTRY_OVERHEAD_BYTES: u64 = 256;

/// A rendered image and what the response needs to describe it.
#[derive(Debug)]
pub struct Derivative {
    pub bytes: Bytes,
    pub content_type: &'static str,
    /// Strong validator: a hash of the bytes, quoted.
    pub etag: String,
    pub last_modified: Option<SystemTime>,
}

/// Whether the answer came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Hit,
    Miss,
}

impl Lookup {
    pub fn header_value(self) -> &'static str {
        match self {
            Lookup::Hit => "HIT",
            Lookup::Miss => "MISS",
        }
    }
}

type Flight<E> = Arc<OnceCell<Result<Arc<Derivative>, E>>>;

pub struct Cache<E> {
    entries: Mutex<Entries>,
    flights: Mutex<HashMap<String, Flight<E>>>,
    max_bytes: u64,
    max_entry_bytes: u64,
}

struct Entries {
    lru: LruCache<String, Arc<Derivative>>,
    used_bytes: u64,
}

fn cost(key: &str, d: &Derivative) -> u64 {
    d.bytes.len() as u64 + key.len() as u64 + d.etag.len() as u64 + ENTRY_OVERHEAD_BYTES
}

impl<E: Clone> Cache<E> {
    pub fn new(max_bytes: u64, max_entry_bytes: u64) -> Self {
        Cache {
            entries: Mutex::new(Entries {
                lru: LruCache::unbounded(),
                used_bytes: 0,
            }),
            flights: Mutex::new(HashMap::new()),
            max_bytes,
            max_entry_bytes,
        }
    }

    /// Returns the cached derivative for `key`, or renders it with `render` — once, however
    /// many callers miss at the same time; they all get the leader's result or error.
    /// Errors are not cached.
    pub async fn get_or_render<F>(
        &self,
        key: &str,
        render: F,
    ) -> Result<(Arc<Derivative>, Lookup), E>
    where
        F: Future<Output = Result<Derivative, E>>,
    {
        if let Some(hit) = self.get(key) {
            return Ok((hit, Lookup::Hit));
        }
        let flight = {
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            flights.entry(key.to_string()).or_default().clone()
        };
        let mut led = false;
        let result = flight
            .get_or_init(|| {
                led = true;
                async {
                    let rendered = render.await.map(Arc::new);
                    if let Ok(d) = &rendered {
                        self.insert(key, d.clone());
                    }
                    rendered
                }
            })
            .await
            .clone();
        if led {
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            flights.remove(key);
        }
        // Followers of a flight waited rather than rendered; to them it is a miss all the same.
        result.map(|d| (d, Lookup::Miss))
    }

    pub fn get(&self, key: &str) -> Option<Arc<Derivative>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.lru.get(key).cloned()
    }

    /// Bytes currently charged against the budget.
    pub fn used_bytes(&self) -> u64 {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .used_bytes
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

    fn insert(&self, key: &str, d: Arc<Derivative>) {
        let size = cost(key, &d);
        if size > self.max_entry_bytes || size > self.max_bytes {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = entries.lru.put(key.to_string(), d) {
            entries.used_bytes -= cost(key, &old);
        }
        entries.used_bytes += size;
        while entries.used_bytes > self.max_bytes {
            match entries.lru.pop_lru() {
                Some((k, old)) => entries.used_bytes -= cost(&k, &old),
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derivative(len: usize) -> Derivative {
        Derivative {
            bytes: Bytes::from(vec![0u8; len]),
            content_type: "image/png",
            etag: "\"x\"".into(),
            last_modified: None,
        }
    }

    #[tokio::test]
    async fn budget_is_never_exceeded_and_oldest_go_first() {
        let per_entry = cost("k00", &derivative(1000));
        let cache: Cache<String> = Cache::new(per_entry * 3, per_entry * 3);
        for i in 0..5 {
            let key = format!("k{i:02}");
            let (_, lookup) = cache
                .get_or_render(&key, async { Ok(derivative(1000)) })
                .await
                .unwrap();
            assert_eq!(lookup, Lookup::Miss);
            assert!(cache.used_bytes() <= per_entry * 3);
        }
        assert_eq!(cache.len(), 3);
        assert!(cache.get("k00").is_none() && cache.get("k01").is_none());
        assert!(cache.get("k04").is_some());
    }

    #[tokio::test]
    async fn oversized_entries_are_served_but_not_kept() {
        let cache: Cache<String> = Cache::new(1 << 20, 2000);
        let (d, _) = cache
            .get_or_render("big", async { Ok(derivative(5000)) })
            .await
            .unwrap();
        assert_eq!(d.bytes.len(), 5000);
        assert!(cache.is_empty());
    }

    #[tokio::test]
    async fn errors_are_not_cached() {
        let cache: Cache<String> = Cache::new(1 << 20, 1 << 20);
        let err = cache
            .get_or_render("k", async { Err("boom".to_string()) })
            .await;
        assert_eq!(err.err(), Some("boom".to_string()));
        let (_, lookup) = cache
            .get_or_render("k", async { Ok(derivative(1)) })
            .await
            .unwrap();
        assert_eq!(lookup, Lookup::Miss);
    }

    #[tokio::test]
    async fn concurrent_misses_render_once() {
        let cache: Arc<Cache<String>> = Arc::new(Cache::new(1 << 20, 1 << 20));
        let renders = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (release, wait) = tokio::sync::watch::channel(false);
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (cache, renders, mut wait) = (cache.clone(), renders.clone(), wait.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_render("k", async move {
                        renders.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let _ = wait.wait_for(|go| *go).await;
                        Ok(derivative(10))
                    })
                    .await
                    .map(|(d, _)| d.bytes.len())
            }));
        }
        tokio::task::yield_now().await;
        let _ = release.send(true);
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(10));
        }
        assert_eq!(renders.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
