//! Bounded waits: for effects the server applies after a client has gone or in the
//! background, every wait polls an observable (a counter, the disk, a process) and fails the
//! test with what it last saw once its deadline passes. Nothing here sleeps for a fixed time
//! and hopes.

use std::time::{Duration, Instant};

/// How long [`eventually`] waits: far past anything a loaded 2-core machine needs, so only a
/// real failure reaches it.
pub const EVENTUALLY: Duration = Duration::from_secs(30);

/// Polls `check` every 10 ms until it holds, failing after [`EVENTUALLY`] with `what` and the
/// last value seen.
pub async fn eventually<T: std::fmt::Debug>(what: &str, mut check: impl AsyncFnMut() -> (bool, T)) {
    let deadline = Instant::now() + EVENTUALLY;
    loop {
        let (done, seen) = check().await;
        if done {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: still {seen:?} after {EVENTUALLY:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Bounds a future that must finish within `limit`, failing the test instead of hanging.
pub async fn within<F: std::future::Future>(limit: Duration, what: &str, future: F) -> F::Output {
    tokio::time::timeout(limit, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: not done within {limit:?}"))
}
