//! Whether the linked libjpeg-turbo runs its SIMD code. mozjpeg-sys assembles that code only
//! when `nasm` is on the build machine's `PATH` (x86; ARM needs no nasm); without it every
//! DCT, colour conversion and Huffman pass is plain C, JPEG work takes 1.3-2x as long, and
//! `pixgate bench` says so rather than leaving users to guess from how it was built.
//!
//! Where libjpeg has no SIMD, an AVX2 CPU gets pixgate's kernels instead of its C ones:
//! inverse DCTs ([`idct`]) and colour conversion ([`colour`]) when decoding, wired in
//! through the error manager [`decoder_errors`] hands it; the forward DCT with quantisation
//! ([`fdct`]) and colour conversion when encoding, in [`compress`], which drives libjpeg
//! itself. Its sequential Huffman coding ([`huffman`]) is pixgate's on x86-64 in every build:
//! the counting pass always, the writing pass where libjpeg has no SIMD. So is its Huffman
//! decoding ([`huffman_decode`]) of sequential scans, installed by the same hook as the
//! IDCTs, and of progressive AC scans, installed from the error manager's message
//! for each start of scan.
//!
//! The `unsafe` here: the declaration of libjpeg-turbo's own C check, and the error manager's
//! callbacks.
#![allow(unsafe_code)]

mod colour;
mod compress;
mod fdct;
mod huffman;
mod huffman_decode;
mod idct;
#[cfg(target_arch = "x86_64")]
mod lanes;
#[cfg(test)]
mod test_pixels;

pub use compress::{Pixels, Settings, compress};

use std::os::raw::c_int;

use mozjpeg_sys::{jpeg_common_struct, jpeg_decompress_struct, jpeg_error_mgr};

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

/// True when JPEG work runs pixgate's kernels: libjpeg has no SIMD and this CPU has AVX2.
pub fn has_own_kernels() -> bool {
    !has_simd() && idct::available()
}

/// The error manager for a decode (`Decompress::with_err`): fatal errors unwind with
/// libjpeg's message, as the mozjpeg crate's own manager does; warnings and traces are
/// dropped (the caller checks truncation itself), but each installs the [`idct`] selector,
/// and the first comes while libjpeg reads the header: its start-of-image trace, emitted for
/// every file. The error manager is the one hook the mozjpeg crate gives into the
/// decompressor before decoding starts.
pub fn decoder_errors() -> jpeg_error_mgr {
    // SAFETY: `jpeg_std_error` fills in every field of the zeroed struct.
    let mut err: jpeg_error_mgr = unsafe {
        let mut err = std::mem::zeroed();
        mozjpeg_sys::jpeg_std_error(&mut err);
        err
    };
    err.error_exit = Some(error_exit);
    err.emit_message = Some(emit_message);
    err
}

unsafe extern "C-unwind" fn emit_message(cinfo: &mut jpeg_common_struct, _level: c_int) {
    if cinfo.is_decompressor != 0 {
        let cinfo = std::ptr::from_mut(cinfo).cast::<jpeg_decompress_struct>();
        // SAFETY: a decompressor's common fields head its struct, and libjpeg emits
        // messages only from a live object.
        unsafe {
            idct::install(cinfo);
            huffman_decode::wrap_progressive(cinfo);
        }
    }
}

unsafe extern "C-unwind" fn error_exit(cinfo: &mut jpeg_common_struct) {
    let mut buffer = [0u8; 80];
    // SAFETY: `err` is this manager; libjpeg's `format_message` writes at most 80 bytes,
    // NUL included (mozjpeg-sys declares the buffer shared by mistake, hence the cast).
    let message = unsafe {
        match (*cinfo.err).format_message {
            Some(format) => {
                let format: unsafe extern "C-unwind" fn(&mut jpeg_common_struct, *mut [u8; 80]) =
                    std::mem::transmute(format);
                format(cinfo, &mut buffer);
                let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
                String::from_utf8_lossy(&buffer[..end]).into_owned()
            }
            None => format!("code {}", (*cinfo.err).msg_code),
        }
    };
    // libjpeg must not get control back; `decode::guarded` catches this.
    std::panic::resume_unwind(Box::new(format!("libjpeg fatal error: {message}")));
}
