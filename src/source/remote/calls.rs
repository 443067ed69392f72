//! What a remote source counts of its own requests to the origin — how each version check and
//! read ended and how long it took — for the metrics to read. Counting here, where requests are
//! sent, means a version answered from memory or shared with a concurrent request is no call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::histogram::Histogram;
use crate::source::SourceError;

/// What was asked of the origin: the `op` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A `HEAD` (conditional when a version was known), or the one-byte `GET` standing in for
    /// it at origins that refuse `HEAD`.
    Version,
    /// A `GET` of the whole original, its body included.
    Read,
}

impl Op {
    pub const ALL: [Op; 2] = [Op::Version, Op::Read];

    pub fn label(self) -> &'static str {
        match self {
            Op::Version => "version",
            Op::Read => "read",
        }
    }
}

/// How a call ended: the `outcome` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx, or a 304 confirming the known version.
    Ok,
    /// 404 or 410.
    NotFound,
    /// Any other status, no connection, or an address the SSRF guard refused.
    Error,
    /// The call ran past `limits.source_timeout`.
    Timeout,
    /// The original was larger than `max_source_bytes`: the origin answered, pixgate stopped.
    TooLarge,
    /// The caller stopped waiting before the call ended: mostly the request's own deadline (the
    /// same `source_timeout`, started a little earlier), else a client that went away.
    Abandoned,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Ok,
        Outcome::NotFound,
        Outcome::Error,
        Outcome::Timeout,
        Outcome::TooLarge,
        Outcome::Abandoned,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NotFound => "not_found",
            Outcome::Error => "error",
            Outcome::Timeout => "timeout",
            Outcome::TooLarge => "too_large",
            Outcome::Abandoned => "abandoned",
        }
    }

    fn of<T>(result: &Result<T, SourceError>) -> Outcome {
        match result {
            Ok(_) => Outcome::Ok,
            Err(SourceError::NotFound) => Outcome::NotFound,
            Err(SourceError::TimedOut) => Outcome::Timeout,
            Err(SourceError::TooLarge { .. }) => Outcome::TooLarge,
            Err(
                SourceError::Io(_)
                | SourceError::Unreachable(_)
                | SourceError::Refused(_)
                | SourceError::OutsideRoot,
            ) => Outcome::Error,
        }
    }
}

/// Calls by op and outcome, and their durations by op.
#[derive(Debug, Default)]
pub struct Calls {
    counts: [[AtomicU64; Outcome::ALL.len()]; Op::ALL.len()],
    durations: [Histogram; Op::ALL.len()],
}

impl Calls {
    /// Starts timing one call; it is counted when [`Call::end`] is given its result, or as
    /// abandoned when it is dropped first.
    pub(super) fn start(&self, op: Op) -> Call<'_> {
        Call {
            calls: self,
            op,
            started: Instant::now(),
            ended: false,
        }
    }

    fn record(&self, op: Op, outcome: Outcome, took: Duration) {
        self.counts[op as usize][outcome as usize].fetch_add(1, Ordering::Relaxed);
        self.durations[op as usize].observe(took);
    }

    pub fn count(&self, op: Op, outcome: Outcome) -> u64 {
        self.counts[op as usize][outcome as usize].load(Ordering::Relaxed)
    }

    pub fn durations(&self, op: Op) -> &Histogram {
        &self.durations[op as usize]
    }
}

/// One call being timed.
pub(super) struct Call<'a> {
    calls: &'a Calls,
    op: Op,
    started: Instant,
    ended: bool,
}

impl Call<'_> {
    /// Counts the call as its result says, and gives the result back.
    pub fn end<T>(mut self, result: Result<T, SourceError>) -> Result<T, SourceError> {
        self.ended = true;
        let took = self.started.elapsed();
        self.calls.record(self.op, Outcome::of(&result), took);
        result
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if !self.ended {
            let took = self.started.elapsed();
            self.calls.record(self.op, Outcome::Abandoned, took);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_count_by_outcome_and_a_dropped_one_is_abandoned() {
        let calls = Calls::default();
        let _ = calls.start(Op::Read).end(Ok::<_, SourceError>(()));
        let _ = calls.start(Op::Read).end::<()>(Err(SourceError::NotFound));
        let _ = calls
            .start(Op::Version)
            .end::<()>(Err(SourceError::TimedOut));
        let _ = calls
            .start(Op::Version)
            .end::<()>(Err(SourceError::Io("500".into())));
        drop(calls.start(Op::Read));
        assert_eq!(calls.count(Op::Read, Outcome::Ok), 1);
        assert_eq!(calls.count(Op::Read, Outcome::NotFound), 1);
        assert_eq!(calls.count(Op::Read, Outcome::Abandoned), 1);
        assert_eq!(calls.count(Op::Version, Outcome::Timeout), 1);
        assert_eq!(calls.count(Op::Version, Outcome::Error), 1);
        assert_eq!(calls.durations(Op::Read).count(), 3);
        assert_eq!(calls.durations(Op::Version).count(), 2);
    }
}
