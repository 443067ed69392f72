//! JPEG encoding through libjpeg directly: the `mozjpeg` crate's `Compress` keeps the
//! compressor to itself once started, and pixgate's kernels ([`fdct`](super::fdct),
//! [`colour`](super::colour)) go in after `jpeg_start_compress`. The settings are the ones
//! pixgate used through the crate, so the files are the same bytes (tests compare them).

#![allow(unsafe_code)]

use std::os::raw::{c_int, c_uint, c_ulong, c_void};

use mozjpeg_sys::{
    J_COLOR_SPACE, J_INT_PARAM, JINT_COMPRESS_PROFILE_VALUE, JPEG_LIB_VERSION, jpeg_CreateCompress,
    jpeg_c_set_int_param, jpeg_common_struct, jpeg_compress_struct, jpeg_destroy_compress,
    jpeg_error_mgr, jpeg_finish_compress, jpeg_mem_dest, jpeg_set_defaults, jpeg_set_quality,
    jpeg_simple_progression, jpeg_start_compress, jpeg_write_marker, jpeg_write_scanlines,
};

use super::{colour, fdct, huffman};

unsafe extern "C" {
    /// The C library's, which `jpeg_mem_dest` allocates the file with.
    fn free(ptr: *mut c_void);
}

/// What to encode: 8-bit grey or RGB rows, tightly packed.
pub struct Pixels<'a> {
    pub samples: &'a [u8],
    pub width: u32,
    pub height: u32,
    pub grey: bool,
}

/// How to encode it.
pub struct Settings<'a> {
    pub quality: u8,
    pub progressive: bool,
    /// Chroma's pixel size (1 full, 2 half) across and down; RGB only.
    pub chroma: (u8, u8),
    pub dpi: Option<u16>,
    /// APP13 payloads, written after the headers.
    pub app13: &'a [Vec<u8>],
}

/// The file. libjpeg's fatal errors unwind (through the error manager's `error_exit`); the
/// caller catches them.
pub fn compress(pixels: &Pixels<'_>, settings: &Settings<'_>) -> Vec<u8> {
    let mut c = Compressor::new();
    c.run(pixels, settings)
}

/// A compressor and what libjpeg keeps pointers to: boxed, so they stay at one address.
struct Compressor {
    cinfo: jpeg_compress_struct,
    err: jpeg_error_mgr,
    file: *mut u8,
    file_size: c_ulong,
    divisors: Option<Box<fdct::Divisors>>,
    /// Whether pixgate's Huffman coder runs ([`huffman`]).
    huffman: bool,
}

impl Compressor {
    fn new() -> Box<Compressor> {
        // SAFETY: all-zero is the state libjpeg expects before `jpeg_CreateCompress`
        // (null pointers, no callbacks), and `jpeg_std_error` fills the error manager.
        let mut c: Box<Compressor> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: `c` is boxed, so the pointers libjpeg keeps into it stay valid.
        unsafe {
            mozjpeg_sys::jpeg_std_error(&mut c.err);
            c.err.error_exit = Some(super::error_exit);
            c.err.emit_message = Some(ignore_message);
            c.cinfo.common.err = &mut c.err;
            jpeg_CreateCompress(
                &mut c.cinfo,
                JPEG_LIB_VERSION,
                size_of::<jpeg_compress_struct>(),
            );
        }
        c
    }

    fn run(&mut self, pixels: &Pixels<'_>, settings: &Settings<'_>) -> Vec<u8> {
        let components: usize = if pixels.grey { 1 } else { 3 };
        let cinfo = &mut self.cinfo;
        cinfo.in_color_space = if pixels.grey {
            J_COLOR_SPACE::JCS_GRAYSCALE
        } else {
            J_COLOR_SPACE::JCS_RGB
        };
        cinfo.input_components = components as c_int;
        // SAFETY: a created compressor; each call sets parameters before it starts.
        unsafe {
            // libjpeg-turbo's baseline defaults: several times faster than mozjpeg's trellis
            // search, and `pjpg` then opts into progressive scans explicitly.
            jpeg_c_set_int_param(
                cinfo,
                J_INT_PARAM::JINT_COMPRESS_PROFILE,
                JINT_COMPRESS_PROFILE_VALUE::JCP_FASTEST as c_int,
            );
            jpeg_set_defaults(cinfo);
            cinfo.image_width = pixels.width;
            cinfo.image_height = pixels.height;
            jpeg_set_quality(cinfo, c_int::from(settings.quality), 0);
            cinfo.optimize_coding = 1;
            if settings.progressive {
                jpeg_simple_progression(cinfo);
            }
        }
        if !pixels.grey {
            let (across, down) = settings.chroma;
            // SAFETY: `jpeg_set_defaults` made three components for RGB.
            let info = unsafe { std::slice::from_raw_parts_mut(cinfo.comp_info, 3) };
            info[0].h_samp_factor = c_int::from(across);
            info[0].v_samp_factor = c_int::from(down);
            for chroma in &mut info[1..] {
                chroma.h_samp_factor = 1;
                chroma.v_samp_factor = 1;
            }
        }
        if let Some(dpi) = settings.dpi {
            cinfo.density_unit = 1;
            cinfo.X_density = dpi;
            cinfo.Y_density = dpi;
        }
        // SAFETY: the file pointer and size live in the boxed `self`; libjpeg allocates and
        // grows the buffer and `Drop` frees it.
        unsafe {
            jpeg_mem_dest(&mut self.cinfo, &mut self.file, &mut self.file_size);
            jpeg_start_compress(&mut self.cinfo, 1);
            colour::replace_encoding(&mut self.cinfo);
            self.divisors = fdct::replace(&mut self.cinfo);
            self.huffman = huffman::replace(&mut self.cinfo);
        }
        for payload in settings.app13 {
            // A marker segment holds at most 65,533 bytes of payload; libjpeg stops at
            // larger ones, and the payload came from a marker segment.
            let length = c_uint::try_from(payload.len()).unwrap_or(c_uint::MAX);
            // SAFETY: `payload` outlives the call, which copies it into the file.
            unsafe { jpeg_write_marker(&mut self.cinfo, 0xED, payload.as_ptr(), length) };
        }
        let stride = pixels.width as usize * components;
        let rows: Vec<*const u8> = pixels
            .samples
            .chunks_exact(stride)
            .take(pixels.height as usize)
            .map(<[u8]>::as_ptr)
            .collect();
        while (self.cinfo.next_scanline as usize) < rows.len() {
            let next = self.cinfo.next_scanline as usize;
            let left = (rows.len() - next) as u32;
            // SAFETY: the rows are the caller's pixels, `stride` bytes each; libjpeg reads
            // at most `left` of them and advances `next_scanline` by what it took.
            unsafe { jpeg_write_scanlines(&mut self.cinfo, rows[next..].as_ptr(), left) };
        }
        // SAFETY: every row was written; this flushes the file into the memory buffer.
        unsafe { jpeg_finish_compress(&mut self.cinfo) };
        if self.file.is_null() {
            return Vec::new();
        }
        // SAFETY: libjpeg's buffer holds `file_size` bytes of the file.
        unsafe { std::slice::from_raw_parts(self.file, self.file_size as usize).to_vec() }
    }
}

impl Drop for Compressor {
    fn drop(&mut self) {
        // SAFETY: the compressor was created in `new`; destroying it also ends a
        // compression that unwound half-way. The buffer is libjpeg's `malloc`.
        unsafe {
            jpeg_destroy_compress(&mut self.cinfo);
            if !self.file.is_null() {
                free(self.file.cast());
            }
        }
    }
}

/// Warnings and traces: the encoder's input is pixgate's own pixels, so there is nothing
/// for a client to hear, and libjpeg's default would print to stderr.
unsafe extern "C-unwind" fn ignore_message(_cinfo: &mut jpeg_common_struct, _level: c_int) {}

#[cfg(test)]
mod tests;
