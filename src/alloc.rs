//! Memory for the binary: mimalloc for Rust's allocations, glibc's malloc told to keep the
//! large buffers the C codecs ask it for.
//!
//! A cache hit allocates a few dozen small buffers (query pairs, key, headers); with glibc
//! behind them the hit path served 22-23k requests/s in `scripts/hit_vs_nginx.sh`, with
//! mimalloc 26-31k. But libjpeg, libwebp and the other C codecs still call glibc's malloc,
//! and glibc maps any block above its mmap threshold (128 KiB until a freed large block
//! raises it) fresh from the OS and unmaps it on free. With Rust's large buffers no longer
//! raising that threshold, every progressive JPEG faulted in its ~40 MB coefficient arrays
//! again: 2.3x the page faults and 20 % slower renders. Fixing the threshold keeps those
//! arrays in the heap for the next render, as glibc's own adaptive rule did before.
//!
//! `unsafe` only to call glibc's `mallopt`, which takes two integers and changes two of its
//! tunables.
#![allow(unsafe_code)]

/// Largest value glibc accepts for `M_MMAP_THRESHOLD` on 64-bit targets.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 32 << 20;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe extern "C" {
    /// glibc's `int mallopt(int param, int value)`: no pointers, no preconditions.
    safe fn mallopt(param: i32, value: i32) -> i32;
}

/// Sets glibc's malloc up for the codecs' large, short-lived buffers. Call once, first thing.
pub fn tune_c_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_THRESHOLD: i32 = -3;
        // Blocks below the threshold come from the heap and are reused; the top of the heap
        // is given back once more than twice that is free, glibc's own ratio.
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        mallopt(M_TRIM_THRESHOLD, MMAP_THRESHOLD * 2);
    }
}
