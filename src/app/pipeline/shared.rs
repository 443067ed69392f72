//! The derivative cache's shared tier: records in a bucket every instance reads, so a fleet
//! renders each derivative once. Objects are named by the cache key's hash: renders are
//! deterministic, so two instances writing one name write the same bytes, and a `PutObject`
//! is atomic; a record carries its key and a checksum, so nothing torn or foreign is served.
//! A bucket that is slow or down costs at most `timeout` per request and is counted, never
//! an error: the request renders locally.

use std::time::{Duration, Instant};

use crate::cache::disk::{self, Record};
use crate::cache::{CacheStats, TierCounts};
use crate::config::SharedCacheConfig;
use crate::source::remote::Bucket;
use crate::source::remote::client::{self, Reach};

/// Where the records live under the bucket's prefix.
const FOLDER: &str = "derivatives/";

pub struct SharedTier {
    bucket: Bucket,
    client: reqwest::Client,
    timeout: Duration,
    counts: TierCounts,
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
            counts: TierCounts::default(),
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
        let found = match answer {
            Ok(Some(bytes)) => {
                let record = disk::decode(&bytes, key);
                if record.is_none() {
                    self.counts.error();
                    tracing::warn!("shared tier: a record failed its checks and was ignored");
                }
                record
            }
            Ok(None) => None,
            Err(e) => {
                self.counts.error();
                tracing::warn!(error = %e, "shared tier: read failed; rendering locally");
                None
            }
        };
        self.counts.read(found.is_some(), started.elapsed());
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
            self.counts.error();
            tracing::warn!(error = %e, "shared tier: write failed");
        }
    }

    /// Whether the bucket answers a listing now, for readiness; the reason names no host.
    pub async fn reachable(&self) -> Result<(), &'static str> {
        let Ok(url) = self.bucket.probe_url().await else {
            return Err("the shared cache's credentials cannot be obtained");
        };
        let probe = self.client.get(url).timeout(self.timeout);
        match probe.send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(_) => Err("the shared cache's bucket answers with errors"),
            Err(_) => Err("the shared cache's bucket cannot be reached"),
        }
    }

    /// Hits and misses as the other tiers report them (its size is the bucket's business).
    pub fn stats(&self) -> CacheStats {
        self.counts.stats(0, 0)
    }

    /// Reads and writes that failed or timed out, records that failed their checks, and
    /// time spent reading.
    pub fn counts(&self) -> &TierCounts {
        &self.counts
    }
}

fn object_name(key: &str) -> String {
    format!("{FOLDER}{}", disk::name(key))
}
