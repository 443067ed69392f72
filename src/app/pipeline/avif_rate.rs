//! The measured history behind `encoding.avif_budget`: how long AVIF encodes take per output
//! pixel on this machine. `auto=format` predicts an AVIF encode from it before rendering and
//! serves WebP when the prediction is over budget. The choice is made once per cache key, at
//! render time: the derivative stored under that key (in every tier) keeps it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Before any AVIF has been encoded here: rav1e at speed 9 without its assembly (the
/// default build has no nasm) took 0.7–1.1 µs per pixel for 400 px corpus photos, 2026-12-04
/// (since speed 9's cheaper settings; 1.8 µs before), on the 2-core CI-class VM. Rounded up,
/// so the first large requests fall back rather than stall; the first real encodes replace it.
const FIRST_GUESS_NANOS: u64 = 1_200;

/// An exponentially weighted mean of nanoseconds per pixel; each new encode counts 1/4.
#[derive(Debug)]
pub struct AvifRate {
    nanos_per_pixel: AtomicU64,
}

impl Default for AvifRate {
    fn default() -> Self {
        AvifRate {
            nanos_per_pixel: AtomicU64::new(FIRST_GUESS_NANOS),
        }
    }
}

impl AvifRate {
    pub fn nanos_per_pixel(&self) -> u64 {
        self.nanos_per_pixel.load(Ordering::Relaxed)
    }

    /// One AVIF encode of `pixels` that took `took`. Concurrent updates may lose one another's
    /// sample; the mean is an estimate either way.
    pub fn record(&self, took: Duration, pixels: u64) {
        if pixels == 0 {
            return;
        }
        let sample = u64::try_from(took.as_nanos() / u128::from(pixels)).unwrap_or(u64::MAX);
        let old = self.nanos_per_pixel();
        let mean = (old.saturating_mul(3) / 4)
            .saturating_add(sample / 4)
            .max(1);
        self.nanos_per_pixel.store(mean, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_pull_the_rate_toward_what_they_took() {
        let rate = AvifRate::default();
        for _ in 0..40 {
            // 100 ms for 100 000 pixels: 1 µs each.
            rate.record(Duration::from_millis(100), 100_000);
        }
        assert!(
            (990..=1010).contains(&rate.nanos_per_pixel()),
            "{}",
            rate.nanos_per_pixel()
        );
        rate.record(Duration::from_secs(1), 0);
        assert!((990..=1010).contains(&rate.nanos_per_pixel()));
    }
}
