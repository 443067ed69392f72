//! Large buffers on 2 MiB pages: mimalloc underneath, plus a hint to the kernel for each
//! allocation of 4 MiB or more (decoded images, resize intermediates) that the 2 MiB pages
//! wholly inside it may be transparent huge pages, taken back when it is freed.
//!
//! A 2560x1600 decode is 12 MB: about 3,000 page faults on 4 KiB pages each time mimalloc has
//! handed it back to the kernel (10 ms after it is free), six on 2 MiB pages. Huge pages for
//! every arena instead (mimalloc's default) cost memory: a touched 4 KiB page of small objects
//! holds 2 MiB (the soak peaked at 364 MiB, 1.43x its formula, against 261 MiB without). Here
//! the hint covers only a live large buffer, and it is cleared before mimalloc reuses the
//! memory, so small objects never land on a page the hint made huge (docs/operations.md).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};

use mimalloc::MiMalloc;

/// Allocations at least this long carry the hint: two huge pages, so that at least one lies
/// wholly inside whatever the alignment.
const LARGE: usize = 4 << 20;

/// The size of a transparent huge page on x86-64 and on arm64 with 4 KiB base pages.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// mimalloc, with large allocations hinted onto huge pages while they live.
pub struct LargeOnHugePages;

// SAFETY: every call goes to mimalloc with the same arguments; the hints around it change how
// the kernel backs memory, never its contents or which addresses are valid.
unsafe impl GlobalAlloc for LargeOnHugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let ptr = unsafe { MiMalloc.alloc(layout) };
        hint(ptr, layout.size(), Hint::Huge);
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // Fresh memory from the kernel stays untouched until the caller writes it, so the hint
        // still comes before its first fault.
        // SAFETY: the caller's contract, passed on.
        let ptr = unsafe { MiMalloc.alloc_zeroed(layout) };
        hint(ptr, layout.size(), Hint::Huge);
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        hint(ptr, layout.size(), Hint::Small);
        // SAFETY: the caller's contract, passed on.
        unsafe { MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        hint(ptr, layout.size(), Hint::Small);
        // SAFETY: the caller's contract, passed on.
        let new = unsafe { MiMalloc.realloc(ptr, layout, new_size) };
        if new.is_null() {
            // The old block is still the caller's, so it gets its hint back.
            hint(ptr, layout.size(), Hint::Huge);
        } else {
            hint(new, new_size, Hint::Huge);
        }
        new
    }
}

#[derive(Clone, Copy)]
enum Hint {
    /// `MADV_HUGEPAGE`: may be backed by huge pages.
    Huge,
    /// `MADV_NOHUGEPAGE`: base pages, as everywhere else in this process.
    Small,
}

/// Gives the hint for the huge pages wholly inside `len` bytes at `ptr`, if the block is
/// large. Failure (no THP in this kernel) changes nothing, so it is ignored.
#[cfg(target_os = "linux")]
fn hint(ptr: *mut u8, len: usize, hint: Hint) {
    if ptr.is_null() || len < LARGE {
        return;
    }
    let start = (ptr as usize).next_multiple_of(HUGE_PAGE);
    let end = (ptr as usize + len) / HUGE_PAGE * HUGE_PAGE;
    if end <= start {
        return;
    }
    let advice = match hint {
        Hint::Huge => libc::MADV_HUGEPAGE,
        Hint::Small => libc::MADV_NOHUGEPAGE,
    };
    // SAFETY: [start, end) lies inside a live block mimalloc mapped; these two advices change
    // only the page size the kernel may use there, never the contents.
    let _ = unsafe { libc::madvise(start as *mut libc::c_void, end - start, advice) };
}

#[cfg(not(target_os = "linux"))]
fn hint(_ptr: *mut u8, _len: usize, _hint: Hint) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The VmFlags line of the mapping in /proc/self/smaps that holds `addr`.
    #[cfg(target_os = "linux")]
    fn vm_flags(addr: usize) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((from, to)) = range.split_once('-')
                && let (Ok(from), Ok(to)) = (
                    usize::from_str_radix(from, 16),
                    usize::from_str_radix(to, 16),
                )
            {
                inside = (from..to).contains(&addr);
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return flags.to_owned();
            }
        }
        panic!("no mapping holds {addr:#x}");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_large_block_is_hinted_huge_while_it_lives_and_small_after() {
        if !std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists() {
            eprintln!("skipped: this kernel has no transparent huge pages to hint at");
            return;
        }
        let layout = Layout::from_size_align(12 << 20, 64).unwrap();
        let block = unsafe { LargeOnHugePages.alloc(layout) };
        assert!(!block.is_null());
        let inside = (block as usize).next_multiple_of(HUGE_PAGE);
        let flags = vm_flags(inside);
        assert!(flags.split_whitespace().any(|f| f == "hg"), "live: {flags}");
        unsafe { LargeOnHugePages.dealloc(block, layout) };
        let flags = vm_flags(inside);
        assert!(
            flags.split_whitespace().any(|f| f == "nh"),
            "freed: {flags}"
        );
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_small_block_gets_no_hint() {
        let layout = Layout::from_size_align(LARGE - 1, 64).unwrap();
        let block = unsafe { LargeOnHugePages.alloc(layout) };
        assert!(!block.is_null());
        let inside = (block as usize).next_multiple_of(HUGE_PAGE);
        if inside + HUGE_PAGE <= block as usize + layout.size() {
            let flags = vm_flags(inside);
            assert!(!flags.split_whitespace().any(|f| f == "hg"), "{flags}");
        }
        unsafe { LargeOnHugePages.dealloc(block, layout) };
    }

    #[test]
    fn growing_and_shrinking_across_the_threshold_keeps_the_bytes() {
        let mut bytes: Vec<u8> = (0..LARGE / 2).map(|i| (i % 251) as u8).collect();
        bytes.extend((0..LARGE).map(|i| (i % 241) as u8));
        bytes.truncate(1000);
        bytes.shrink_to_fit();
        let expected: Vec<u8> = (0..1000).map(|i| (i % 251) as u8).collect();
        assert_eq!(bytes, expected);

        let zeroed = vec![0u64; LARGE];
        assert!(zeroed.iter().all(|&x| x == 0));
    }
}
