//! libjpeg's sequential Huffman coding, visiting only the nonzero coefficients of each block
//! (`huffman.c`, in C because the coder's record is private to libjpeg's `jchuff.c`).
//! libjpeg's own pass walks all 63 AC coefficients with a branch each: its counting pass for
//! optimised tables and, in the build without nasm, its writing pass were 9 % and 6 % of a
//! 2560×1600 → 1200 px JPEG render (`perf`, docs/benchmarks.md). The symbols, codes and bit
//! buffer are libjpeg's, so the file is its bytes (the compress tests compare them).
//!
//! The counting pass is ours in both builds (libjpeg-turbo has no SIMD for it); the writing
//! pass only where libjpeg has no SIMD, since its SIMD build writes with its own SSE2 code.

#![allow(unsafe_code)]

use std::os::raw::c_int;

use mozjpeg_sys::jpeg_compress_struct;

unsafe extern "C" {
    fn pixgate_jpeg_replace_huffman(cinfo: *mut jpeg_compress_struct, writes: c_int) -> c_int;
}

/// Installs the coder for a sequential scan; false where libjpeg's stays (progressive,
/// arithmetic coding, restart intervals, or not x86-64).
///
/// # Safety
/// `cinfo` is a live compressor right after `jpeg_start_compress`, before any scanline.
pub(super) unsafe fn replace(cinfo: *mut jpeg_compress_struct) -> bool {
    let writes = c_int::from(!super::has_simd());
    // SAFETY: the caller's promise; the shim copies libjpeg's coder record into one from
    // the compressor's own pool and points the compressor at it.
    unsafe { pixgate_jpeg_replace_huffman(cinfo, writes) != 0 }
}
