//! The derivative cache's shared tier: records in a bucket every instance reads, so a fleet
//! renders each derivative once. Objects are named by the cache key's hash: renders are
//! deterministic, so two instances writing one name write the same bytes, and a `PutObject`
//! is atomic; a record carries its key and a checksum, so nothing torn or foreign is served.
//! A bucket that is slow or down costs at most `timeout` per request and is counted, never
//! an error: the request renders locally.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::cache::CacheStats;
use crate::cache::disk::{self, Record};
use crate::config::SharedCacheConfig;
use crate::source::remote::Bucket;
use crate::source::remote::client::{self, Reach};

/// Where the records live under the bucket's prefix.
const FOLDER: &str = "derivatives/";

pub struct SharedTier {
    bucket: Bucket,
    client: reqwest::Client,
    timeout: Duration,
    hits: AtomicU64,
    misses: AtomicU64,
    errors: AtomicU64,
    read_nanos: AtomicU64,
}

impl SharedTier {
    /// `None` when no bucket is configured.
    pub fn new(config: &SharedCacheConfig) -> Result<Option<SharedTier>, String> {
        let Some(root) = &config.bucket else {
            return Ok(None);
        };
        Ok(Some(SharedTier {
            bucket: Bucket::new(root)?,
            client: client::build(&Reach::Configured, 0).map_err(|e| e.to_string())?,
            timeout: config.timeout,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            read_nanos: AtomicU64::new(0),
        }))
    }

    /// The record under `key`, if the bucket has a whole one and answers in time.
    pub async fn get(&self, key: &str) -> Option<Record> {
        let started = Instant::now();
        let name = object_name(key);
        let answer = self
            .bucket
            .get_bytes(&self.client, &name, self.timeout)
            .await;
        let elapsed = started.elapsed().as_nanos() as u64;
        self.read_nanos.fetch_add(elapsed, Ordering::Relaxed);
        let found = match answer {
            Ok(Some(bytes)) => {
                let record = disk::decode(&bytes, key);
                if record.is_none() {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!("shared tier: a record failed its checks and was ignored");
                }
                record
            }
            Ok(None) => None,
            Err(e) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "shared tier: read failed; rendering locally");
                None
            }
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Writes `record` under `key`; a failure is logged and counted.
    pub async fn put(&self, key: &str, record: &Record) {
        let bytes = disk::encode(key, record);
        let name = object_name(key);
        if let Err(e) = self
            .bucket
            .put_bytes(&self.client, &name, bytes, self.timeout)
            .await
        {
            self.errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, "shared tier: write failed");
        }
    }

    /// Whether the bucket answers a listing now, for readiness; the reason names no host.
    pub async fn reachable(&self) -> Result<(), &'static str> {
        let probe = self
            .client
            .get(self.bucket.probe_url())
            .timeout(self.timeout);
        match probe.send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(_) => Err("the shared cache's bucket answers with errors"),
            Err(_) => Err("the shared cache's bucket cannot be reached"),
        }
    }

    /// Hits and misses as the other tiers report them (its size is the bucket's business).
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            ..CacheStats::default()
        }
    }

    /// Reads and writes that failed, timed out, or found a record that fails its checks.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    pub fn read_seconds(&self) -> f64 {
        self.read_nanos.load(Ordering::Relaxed) as f64 / 1e9
    }
}

fn object_name(key: &str) -> String {
    format!("{FOLDER}{}", disk::name(key))
}
