//! The crate's only `unsafe`: one AV1 still picture decoded by rav1d, copied out into owned
//! planes. rav1d (dav1d ported to Rust) offers nothing but dav1d's C API, raw pointers and
//! `extern "C"` functions; this module keeps every call behind a safe function and frees every
//! context, buffer and picture on every path through `Drop` guards. It knows nothing of
//! containers or colour: AVIF boxes live in `avif`, YUV→RGB in `yuv`.
//!
//! A panic inside rav1d cannot unwind out of its `extern "C"` functions: Rust aborts the
//! process instead, so `guarded` cannot turn it into a 422 — and corrupt data does reach such
//! panics. The server therefore calls this in a child process (`av1_child`).
#![allow(unsafe_code)]

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use rav1d::include::dav1d::data::Dav1dData;
use rav1d::include::dav1d::dav1d::{Dav1dContext, Dav1dLogger, Dav1dSettings};
use rav1d::include::dav1d::headers::{
    DAV1D_PIXEL_LAYOUT_I400, DAV1D_PIXEL_LAYOUT_I420, DAV1D_PIXEL_LAYOUT_I422,
    DAV1D_PIXEL_LAYOUT_I444,
};
use rav1d::include::dav1d::picture::Dav1dPicture;
use rav1d::src::lib::{
    dav1d_close, dav1d_data_create, dav1d_data_unref, dav1d_default_settings, dav1d_get_picture,
    dav1d_open, dav1d_picture_unref, dav1d_send_data,
};

use crate::render::RenderError;

/// How the chroma planes are subsampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Luma only (4:0:0).
    Monochrome,
    /// Chroma halved both ways.
    Yuv420,
    /// Chroma halved horizontally.
    Yuv422,
    /// Full-resolution chroma.
    Yuv444,
}

impl Layout {
    /// log2 of the horizontal and vertical chroma subsampling.
    pub fn chroma_shift(self) -> (u32, u32) {
        match self {
            Layout::Yuv420 => (1, 1),
            Layout::Yuv422 => (1, 0),
            Layout::Monochrome | Layout::Yuv444 => (0, 0),
        }
    }
}

/// One plane of samples, row after row without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plane {
    pub width: u32,
    pub height: u32,
    /// `width * height` samples in `0..2^bit_depth`.
    pub samples: Vec<u16>,
}

/// A decoded picture with the colour description of its sequence header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Av1Picture {
    pub width: u32,
    pub height: u32,
    /// 8, 10 or 12.
    pub bit_depth: u8,
    pub layout: Layout,
    pub luma: Plane,
    /// Cb and Cr, each `ceil(width / 2^sx) x ceil(height / 2^sy)`; `None` when monochrome.
    pub chroma: Option<[Plane; 2]>,
    /// CICP matrix coefficients (ISO/IEC 23091-2), e.g. 1 = BT.709, 6 = BT.601.
    pub matrix: u8,
    /// Full-range (JPEG) rather than limited-range (studio swing) samples.
    pub full_range: bool,
}

/// Decodes the first picture of `obu` (an AV1 item's OBUs). A frame of more than `max_pixels`
/// is refused by the decoder itself before it allocates the frame. Any failure is `Corrupt`.
pub fn decode_av1(obu: &[u8], max_pixels: u64) -> Result<Av1Picture, RenderError> {
    if obu.is_empty() {
        return Err(RenderError::Corrupt("the AV1 item is empty".into()));
    }
    let decoder = Decoder::open(max_pixels)?;
    let mut data = Data::copy_of(obu)?;
    // SAFETY: the context is open (owned by `decoder`, closed only in its `Drop`) and
    // `data.0` is a live, initialised `Dav1dData` that the call may read and rewrite.
    let sent = unsafe { dav1d_send_data(Some(decoder.0), Some(NonNull::from(&mut data.0))) };
    if sent.0 != 0 {
        return Err(dav1d_error("decoding", sent.0));
    }
    let mut picture = Picture(Dav1dPicture::default());
    // SAFETY: as above for the context; `picture.0` is a valid `Dav1dPicture` to overwrite
    // (the default holds no references, so nothing leaks), released by `Picture::drop`.
    let got = unsafe { dav1d_get_picture(Some(decoder.0), Some(NonNull::from(&mut picture.0))) };
    if got.0 != 0 {
        return Err(dav1d_error("the AV1 data holds no picture", got.0));
    }
    picture.copy_out(max_pixels)
}

fn dav1d_error(what: &str, code: i32) -> RenderError {
    RenderError::Corrupt(format!("{what}: AV1 decoder error {code}"))
}

/// An open rav1d context, closed on drop.
struct Decoder(Dav1dContext);

impl Decoder {
    fn open(max_pixels: u64) -> Result<Decoder, RenderError> {
        let mut uninit = MaybeUninit::<Dav1dSettings>::uninit();
        // SAFETY: `dav1d_default_settings` writes a complete `Dav1dSettings` through the
        // pointer, which points at memory of the right size and alignment.
        let mut settings = unsafe {
            dav1d_default_settings(NonNull::from(&mut uninit).cast());
            uninit.assume_init()
        };
        // One picture, decoded on the calling (blocking-pool) thread: no worker threads and
        // no frame queue.
        settings.n_threads = 1;
        settings.max_frame_delay = 1;
        settings.apply_grain = 1;
        settings.operating_point = 0;
        settings.all_layers = 0;
        // 0 would mean "no limit" to rav1d.
        settings.frame_size_limit = u32::try_from(max_pixels.max(1)).unwrap_or(u32::MAX);
        // SAFETY: a logger without a callback is never called; rav1d then logs nothing.
        settings.logger = unsafe { Dav1dLogger::new(None, None) };
        let mut context: Option<Dav1dContext> = None;
        // SAFETY: both pointers are to live locals; `dav1d_open` reads the settings and
        // writes the new context (or `None`) into `context`.
        let opened = unsafe {
            dav1d_open(
                Some(NonNull::from(&mut context)),
                Some(NonNull::from(&mut settings)),
            )
        };
        match context {
            Some(context) if opened.0 == 0 => Ok(Decoder(context)),
            _ => Err(RenderError::Internal(format!(
                "the AV1 decoder did not open: error {}",
                opened.0
            ))),
        }
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        let mut context = Some(self.0);
        // SAFETY: the context came from `dav1d_open` and is closed exactly once, here; no
        // copy of it outlives `self`.
        unsafe { dav1d_close(Some(NonNull::from(&mut context))) };
    }
}

/// Input data owned by rav1d, released on drop.
struct Data(Dav1dData);

impl Data {
    fn copy_of(bytes: &[u8]) -> Result<Data, RenderError> {
        let mut data = Data(Dav1dData::default());
        // SAFETY: `data.0` is a valid `Dav1dData` to overwrite (the default owns nothing).
        let buffer = unsafe { dav1d_data_create(Some(NonNull::from(&mut data.0)), bytes.len()) };
        if buffer.is_null() {
            return Err(RenderError::Internal(
                "the AV1 decoder could not allocate its input".into(),
            ));
        }
        // SAFETY: on success `dav1d_data_create` returns a writable buffer of exactly
        // `bytes.len()` bytes owned by `data.0`, which cannot overlap `bytes`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buffer, bytes.len()) };
        Ok(data)
    }
}

impl Drop for Data {
    fn drop(&mut self) {
        // SAFETY: `self.0` is a valid `Dav1dData`: created by `dav1d_data_create` or emptied
        // by `dav1d_send_data`; unref of an empty one is a no-op.
        unsafe { dav1d_data_unref(Some(NonNull::from(&mut self.0))) };
    }
}

/// A picture returned by rav1d, unreferenced on drop.
struct Picture(Dav1dPicture);

impl Drop for Picture {
    fn drop(&mut self) {
        // SAFETY: `self.0` is a valid `Dav1dPicture` (default or from `dav1d_get_picture`),
        // released once; unref leaves it empty.
        unsafe { dav1d_picture_unref(Some(NonNull::from(&mut self.0))) };
    }
}

impl Picture {
    fn copy_out(&self, max_pixels: u64) -> Result<Av1Picture, RenderError> {
        let p = &self.0.p;
        let corrupt = |what: &str| RenderError::Corrupt(format!("AV1 picture: {what}"));
        let width = u32::try_from(p.w).ok().filter(|&w| w > 0);
        let height = u32::try_from(p.h).ok().filter(|&h| h > 0);
        let (Some(width), Some(height)) = (width, height) else {
            return Err(corrupt("no pixels"));
        };
        if u64::from(width) * u64::from(height) > max_pixels {
            return Err(corrupt("larger than the pixel limit"));
        }
        let bit_depth = match p.bpc {
            8 => 8,
            10 => 10,
            12 => 12,
            _ => return Err(corrupt("unsupported bit depth")),
        };
        let layout = match p.layout {
            DAV1D_PIXEL_LAYOUT_I400 => Layout::Monochrome,
            DAV1D_PIXEL_LAYOUT_I420 => Layout::Yuv420,
            DAV1D_PIXEL_LAYOUT_I422 => Layout::Yuv422,
            DAV1D_PIXEL_LAYOUT_I444 => Layout::Yuv444,
            _ => return Err(corrupt("unknown chroma layout")),
        };
        let Some(seq_hdr) = self.0.seq_hdr else {
            return Err(corrupt("no sequence header"));
        };
        // SAFETY: a picture from `dav1d_get_picture` keeps its sequence header alive (through
        // `seq_hdr_ref`) until it is unreferenced, which happens only in `Picture::drop`.
        let seq_hdr = unsafe { seq_hdr.as_ref() };
        let luma = self.plane(0, width, height, bit_depth)?;
        let chroma = if layout == Layout::Monochrome {
            None
        } else {
            let (sx, sy) = layout.chroma_shift();
            let (cw, ch) = (width.div_ceil(1 << sx), height.div_ceil(1 << sy));
            Some([
                self.plane(1, cw, ch, bit_depth)?,
                self.plane(2, cw, ch, bit_depth)?,
            ])
        };
        Ok(Av1Picture {
            width,
            height,
            bit_depth,
            layout,
            luma,
            chroma,
            matrix: u8::try_from(seq_hdr.mtrx).unwrap_or(u8::MAX),
            full_range: seq_hdr.color_range != 0,
        })
    }

    /// Copies plane `index` (0 = Y, 1 = U, 2 = V) of `width x height` samples.
    fn plane(
        &self,
        index: usize,
        width: u32,
        height: u32,
        bit_depth: u8,
    ) -> Result<Plane, RenderError> {
        let Some(base) = self.0.data[index] else {
            return Err(RenderError::Corrupt(format!(
                "AV1 picture: plane {index} missing"
            )));
        };
        let stride = self.0.stride[index.min(1)];
        let bytes_per_sample = if bit_depth > 8 { 2 } else { 1 };
        let row_bytes = width as usize * bytes_per_sample;
        let mut samples = Vec::with_capacity(width as usize * height as usize);
        for row in 0..height as usize {
            let offset = (row as isize).checked_mul(stride);
            let Some(offset) = offset else {
                return Err(RenderError::Corrupt("AV1 picture: bad stride".into()));
            };
            // SAFETY: dav1d allocates each plane as `height` rows `stride` bytes apart, each
            // holding at least `width` samples of `bytes_per_sample` bytes (the chroma size
            // for planes 1 and 2); the picture stays referenced while `self` lives.
            let line = unsafe {
                let start = base.as_ptr().cast::<u8>().offset(offset);
                std::slice::from_raw_parts(start, row_bytes)
            };
            if bytes_per_sample == 1 {
                samples.extend(line.iter().map(|&s| u16::from(s)));
            } else {
                samples.extend(
                    line.chunks_exact(2)
                        .map(|s| u16::from_ne_bytes([s[0], s[1]])),
                );
            }
        }
        Ok(Plane {
            width,
            height,
            samples,
        })
    }
}
