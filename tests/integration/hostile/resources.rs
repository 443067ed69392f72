//! What the soak (`scripts/soak.py`) found holding memory, kept from coming back. Every thread
//! of tokio's blocking pool keeps its own allocator pages, and the pool grows toward 512
//! threads while disk work is slow: 48 uploads at once once made 147 threads and ~400 MiB,
//! before `main.rs` capped the pool. (Derivatives keeping no spare capacity is
//! `cache/tests.rs`; redb's page cache, set in `upload/store.rs`, shows nowhere outside.)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::binary::{Daemon, TomlParts, proc_status};
use crate::support::images::noise;
use crate::support::roots::Root;
use crate::support::wire::{RawBody, raw_send};
use crate::uploads::{KEY, on_disk, put_url};

/// Threads the blocking pool may have per core (`BLOCKING_THREADS_PER_CORE` in `main.rs`).
const BLOCKING_PER_CORE: u64 = 8;

/// How long an idle blocking-pool thread lives (`thread_keep_alive` in `main.rs`): a thread
/// that ran a job is still there at least this long after it.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_at_once_keep_the_binary_within_its_thread_cap() {
    let root = Root::new();
    let source = format!("hmac_keys = [{KEY:?}]");
    let (served, addr) = Daemon::serve_root(
        root.path(),
        root.path(),
        "demo",
        TomlParts {
            source: &source,
            ..TomlParts::default()
        },
    );
    let at_rest = served.threads();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    // Two spare for a thread some other part may start on first use; without the cap the
    // pool reached 35-54 threads here.
    let cap = at_rest + BLOCKING_PER_CORE * cores + 2;

    // The threads busy at the peak outlive it by KEEP_ALIVE at least, so samples closer
    // together than that see every one of them; the sampler looks every 10 ms, once more after
    // the last upload, and reports the longest it went without looking.
    let (pid, done) = (served.pid(), Arc::new(AtomicBool::new(false)));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let (mut peak, mut gap, mut last) = (0, Duration::ZERO, Instant::now());
            loop {
                let finished = done.load(Ordering::SeqCst);
                peak = peak.max(proc_status(pid, "Threads"));
                gap = gap.max(last.elapsed());
                last = Instant::now();
                if finished {
                    return (peak, gap);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let body = noise(256 * 1024, 9);
    let uploads = (0..48).map(|i| {
        let (target, body) = (put_url(&format!("/up/{i}.bin")), &body);
        async move {
            let chunked = RawBody::Chunked {
                bytes: body,
                piece: 4096,
            };
            raw_send(addr, "PUT", &target, &[], chunked).await
        }
    });
    let replies = futures_util::future::join_all(uploads).await;
    done.store(true, Ordering::SeqCst);
    let (peak, gap) = sampler.join().unwrap();
    eprintln!("threads: {at_rest} at rest, {peak} at most under 48 uploads (cap {cap})");
    assert!(
        gap < KEEP_ALIVE / 2,
        "the sampler went {gap:?} without looking: it may have missed threads"
    );
    for reply in &replies {
        reply.assert_status(201);
    }
    assert_eq!(on_disk(&root, "up/47.bin"), Some(body.clone()));
    assert!(
        peak <= cap,
        "{peak} threads under 48 uploads; {at_rest} at rest + {BLOCKING_PER_CORE} per core \
         for blocking work (+2) allows {cap}"
    );
}
