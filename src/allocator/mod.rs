//! The binary's allocator, mimalloc, told to hand memory back to the kernel 10 ms after it is
//! free, with its large blocks on huge pages ([`huge_pages`]) and nothing else. Its defaults
//! keep freed pages for a second and back all its arenas with 2 MiB transparent huge pages, so
//! a touched 4 KiB page holds 2 MiB. Under `scripts/soak.py` (48 clients, 60 s, 136 MiB of
//! live data allowed by the budgets) peak RSS was 388 MiB with the defaults, 266 MiB purging
//! at once, 243 MiB without huge pages and 161 MiB with both (2026-11-24). It is built with
//! its `no_thp` feature (Cargo.toml), so it never asks for huge pages itself.
//!
//! Purging at once made every render fault its buffers in afresh: the next render's decode
//! could not reuse the pages the last one freed. Kept 10 ms (2026-12-04, `pixgate bench`, one
//! core, renders back to back as a busy worker runs them): a 14.7 MP PNG to 400 px 115 → 94 ms,
//! a 2560x1600 JPEG to 1200 px 70 → 60 ms; 50 and 250 ms gained no more. The soak's peak
//! rose 202/194 → 216/223 MiB (two runs each); docs/operations.md counts it. An operator's own
//! `MIMALLOC_PURGE_DELAY` or `MIMALLOC_ALLOW_THP` still wins.
//!
//! mimalloc also replaces `malloc` for the C codecs (the crate's `override` feature). Under
//! glibc's malloc, libjpeg's coefficient arrays for a progressive JPEG (44 MB for 14.7 MP) were
//! mapped and faulted in afresh every render; from mimalloc's pages kept 10 ms the next render
//! reuses them: the 14.7 MP progressive JPEG to 400 px 248–258 → 195 ms, the 2560x1600 JPEG to
//! 1200 px 66–69 → 61–63 ms (2026-12-04, same bench). The soak's peak rose 216/223 → 251/251
//! MiB (libwebp's encoder buffers are kept 10 ms too); docs/operations.md counts it. One
//! sequence got slower in the nasm build: a srcset of five widths drawn from a kept 14.7 MP
//! decode, 335 → 397 ms (docs/benchmarks.md).
//!
//! The one other place besides the AV1 and libjpeg bindings that may use `unsafe`: two C calls
//! made once, before any other thread exists, and the hints of [`huge_pages`].
#![allow(unsafe_code)]

mod huge_pages;

/// mimalloc: cheaper than glibc's malloc for the small, short-lived buffers of a cache hit
/// (scripts/hit_vs_nginx.sh: 26-31k requests/s against glibc's 22-23k), and, as `malloc`
/// itself, for the C codecs' large ones.
#[global_allocator]
static ALLOCATOR: huge_pages::LargeOnHugePages = huge_pages::LargeOnHugePages;

/// `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (15 in v2 and v3: options are only
/// ever appended).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed pages stay mapped, in milliseconds: long enough for a busy render worker's
/// next render, short enough that an idle server gives its memory back at once.
const PURGE_DELAY_MS: std::ffi::c_long = 10;

/// Applies the settings above unless the environment chose its own. Call first thing in `main`.
pub fn release_memory_eagerly() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets an integer option in mimalloc's option table; valid at any time.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        huge_pages_only_where_hinted();
    }
}

/// `PR_THP_DISABLE_EXCEPT_ADVISED` (Linux 6.18's uapi prctl.h; libc does not have it yet).
#[cfg(target_os = "linux")]
const PR_THP_DISABLE_EXCEPT_ADVISED: libc::c_ulong = 1 << 1;

/// Huge pages for this process from now on only where [`huge_pages`] hints, also where the
/// system enables them for everyone ("always"). A kernel older than 6.18 refuses that flag:
/// under "always" it then gets no huge pages at all (what `MIMALLOC_ALLOW_THP=0` does), under
/// "madvise" nothing is needed, since only the hinted blocks ask.
#[cfg(target_os = "linux")]
fn huge_pages_only_where_hinted() {
    // The kernel reads every argument as an unsigned long, so they are passed as such.
    let (on, none): (libc::c_ulong, libc::c_ulong) = (1, 0);
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no memory of ours.
    let except_hinted = unsafe {
        libc::prctl(
            libc::PR_SET_THP_DISABLE,
            on,
            PR_THP_DISABLE_EXCEPT_ADVISED,
            none,
            none,
        )
    };
    if except_hinted == 0 {
        return;
    }
    let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled");
    if mode.is_ok_and(|mode| mode.contains("[always]")) {
        // SAFETY: as above. Failure (a kernel before 3.15) leaves huge pages on; nothing else
        // changes.
        let _ = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, on, none, none, none) };
    }
}
