//! Whether the linked libjpeg-turbo runs its SIMD code. mozjpeg-sys assembles that code only
//! when `nasm` is on the build machine's `PATH` (x86; ARM needs no nasm); without it every
//! DCT, colour conversion and Huffman pass is plain C, JPEG work takes 1.3-2x as long, and
//! `pixgate bench` says so rather than leaving users to guess from how it was built.
//!
//! The one `unsafe` here is the declaration of libjpeg-turbo's own C check.
#![allow(unsafe_code)]

use std::os::raw::c_int;

unsafe extern "C" {
    /// libjpeg-turbo's check before it uses its SIMD inverse DCT: the SIMD build answers
    /// from CPUID (and the `JSIMD_FORCENONE` environment variable), the scalar build's
    /// `jsimd_none.c` always 0. No arguments; it touches only its own thread-local flags.
    safe fn jsimd_can_idct_islow() -> c_int;
}

/// True when libjpeg-turbo was built with its SIMD code and this CPU can run it.
pub fn has_simd() -> bool {
    jsimd_can_idct_islow() != 0
}
