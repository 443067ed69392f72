//! The one latency histogram: fixed buckets from a cache hit to a render near its timeout,
//! recorded with relaxed atomic adds (no lock), read as Prometheus's cumulative counts. It sits
//! below every layer so a stage (a remote source) can time itself without naming the metrics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, in seconds: from a cache hit (~50 µs) to a render near the
/// default timeout.
pub const BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0, 30.0,
];

/// Per-bucket counts (made cumulative when read), and the sum of what was observed.
#[derive(Debug, Default)]
pub struct Histogram {
    /// One more than `BUCKETS` for `+Inf`.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The cumulative count at each bound of `BUCKETS` and then at `+Inf` (the total count).
    pub fn cumulative(&self) -> [u64; BUCKETS.len() + 1] {
        let mut counts = [0; BUCKETS.len() + 1];
        let mut running = 0;
        for (count, bucket) in counts.iter_mut().zip(&self.buckets) {
            running += bucket.load(Ordering::Relaxed);
            *count = running;
        }
        counts
    }

    /// How many observations there were.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// The sum of the observations, in seconds.
    pub fn sum_seconds(&self) -> f64 {
        self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9
    }
}
