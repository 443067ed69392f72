//! libjpeg's Huffman decoding made cheaper (`huffman_decode.c`, in C because the decoders'
//! records are private to libjpeg's `jdhuff.c` and `jdphuff.c`): sequential scans and
//! progressive AC first scans with one table lookup per coefficient, and progressive
//! refinement scans that visit only the coefficients already nonzero. Decoding the
//! entropy-coded data is most of a large JPEG's decode at 1/4 or 1/8 scale, in both builds:
//! libjpeg-turbo has no SIMD for it. The coefficients are libjpeg's; units it must see to
//! (markers, damaged data, the end of the scan in sight) are handed back to it whole.

#![allow(unsafe_code)]

use std::os::raw::c_int;

use mozjpeg_sys::jpeg_decompress_struct;

unsafe extern "C" {
    fn pixgate_jpeg_replace_huffman_decoder(cinfo: *mut jpeg_decompress_struct) -> c_int;
    fn pixgate_jpeg_wrap_progressive(cinfo: *mut jpeg_decompress_struct) -> c_int;
    #[cfg(test)]
    fn pixgate_jpeg_huffman_decoder_installed(cinfo: *mut jpeg_decompress_struct) -> c_int;
}

/// Installs the decoder for a single sequential scan; false where libjpeg's stays
/// (progressive or arithmetic coding, restart intervals, several scans, not x86-64).
///
/// # Safety
/// `cinfo` is a live decompressor at the start of an output pass (its modules set up).
pub(super) unsafe fn replace(cinfo: *mut jpeg_decompress_struct) -> bool {
    // SAFETY: the caller's promise; the shim copies libjpeg's decoder record into one from
    // the decompressor's own pool and points the decompressor at it.
    unsafe { pixgate_jpeg_replace_huffman_decoder(cinfo) != 0 }
}

/// Has a progressive decompressor start its AC scans with the decoder; false where
/// libjpeg's routines stay (not progressive, arithmetic coding, not x86-64, or not the moment:
/// only libjpeg's trace of a start-of-scan marker is).
///
/// # Safety
/// `cinfo` is a live decompressor, inside a call of its error manager's `emit_message`.
pub(super) unsafe fn wrap_progressive(cinfo: *mut jpeg_decompress_struct) -> bool {
    // SAFETY: the caller's promise; the shim reads the message code and, at a start of scan,
    // copies libjpeg's decoder record into one from the decompressor's own pool.
    unsafe { pixgate_jpeg_wrap_progressive(cinfo) != 0 }
}

/// Whether the decompressor decodes with pixgate's routines.
///
/// # Safety
/// `cinfo` is a live decompressor.
#[cfg(test)]
unsafe fn installed(cinfo: *mut jpeg_decompress_struct) -> bool {
    // SAFETY: the caller's promise; the shim reads one pointer.
    unsafe { pixgate_jpeg_huffman_decoder_installed(cinfo) != 0 }
}

#[cfg(test)]
mod tests;
