//! JPEG through libjpeg-turbo (the `mozjpeg` crate): header and EXIF orientation without
//! decoding, DCT-domain shrink-on-load, CMYK, embedded ICC profiles, and truncation
//! detection (libjpeg only warns about a premature end and fills the rest with grey).

use std::io::{BufRead, Read};

use image::{DynamicImage, GrayImage, RgbImage, metadata::Orientation};
use mozjpeg::{ColorSpace, Decompress, Marker};

use super::{corrupt, jpeg_dc};
use crate::render::{RenderError, colour, libjpeg};

/// APP1 holds EXIF, APP2 the ICC profile in chunks, APP14 Adobe's colour transform flag.
const MARKERS: &[Marker] = &[Marker::APP(1), Marker::APP(2), Marker::APP(14)];

/// libjpeg refuses larger frames outright (`JPEG_MAX_DIMENSION`).
const LIBJPEG_MAX_DIMENSION: u32 = 65_500;

pub fn header(bytes: &[u8]) -> Result<((u32, u32), Orientation), RenderError> {
    // A frame libjpeg would refuse as an error is reported by size instead, so the pixel limit
    // answers it as too large (413) rather than undecodable.
    if let Some(size) = frame_size(bytes)
        && size.0.max(size.1) > LIBJPEG_MAX_DIMENSION
    {
        return Ok((size, Orientation::NoTransforms));
    }
    let jpeg = Decompress::with_markers(&[Marker::APP(1)])
        .from_mem(bytes)
        .map_err(corrupt)?;
    let size = (jpeg.width() as u32, jpeg.height() as u32);
    let orientation = jpeg
        .markers()
        .filter_map(|m| m.data.strip_prefix(b"Exif\0\0"))
        .find_map(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    Ok((size, orientation))
}

/// The size in the start-of-frame segment, found by walking the marker segments; `None` when
/// the walk ends before one.
fn frame_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    loop {
        let segment = bytes.get(at..at + 4)?;
        if segment[0] != 0xFF {
            return None;
        }
        let marker = segment[1];
        let length = usize::from(u16::from_be_bytes([segment[2], segment[3]]));
        // SOF0–SOF15, except DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let sof = bytes.get(at + 5..at + 9)?;
            let height = u16::from_be_bytes([sof[0], sof[1]]);
            let width = u16::from_be_bytes([sof[2], sof[3]]);
            return Some((u32::from(width), u32::from(height)));
        }
        at += 2 + length;
    }
}

/// The marker segments before the first scan, as (marker, payload); the walk stops where the
/// bytes stop being segments.
pub fn segments(bytes: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    const SOS: u8 = 0xDA;
    let mut at = 2;
    std::iter::from_fn(move || {
        let segment = bytes.get(at..at + 4)?;
        if segment[0] != 0xFF || segment[1] == SOS {
            return None;
        }
        let length = usize::from(u16::from_be_bytes([segment[2], segment[3]]));
        let payload = bytes.get(at + 4..at + 2 + length.max(2))?;
        at += 2 + length;
        Some((segment[1], payload))
    })
}

/// The IPTC (APP13) segments' payloads, in file order, for `iptc=allow` and `fm=json`.
pub fn iptc_segments(bytes: &[u8]) -> Vec<Vec<u8>> {
    const APP13: u8 = 0xED;
    segments(bytes)
        .filter(|(marker, _)| *marker == APP13)
        .map(|(_, payload)| payload.to_vec())
        .collect()
}

/// What the frame header and JFIF segment say, for `fm=json`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Bits per sample.
    pub precision: u8,
    pub components: u8,
    pub progressive: bool,
    /// JFIF density in dots per inch, when it gives one.
    pub dpi: Option<(f64, f64)>,
}

/// The frame header's precision and components, and the JFIF density; `None` when there is
/// no frame header before the first scan.
pub fn frame(bytes: &[u8]) -> Option<Frame> {
    let mut dpi = None;
    for (marker, payload) in segments(bytes) {
        if marker == 0xE0
            && let Some(jfif) = payload.strip_prefix(b"JFIF\0")
            && let [_, _, unit, x1, x0, y1, y0, ..] = *jfif
        {
            let (x, y) = (
                f64::from(u16::from_be_bytes([x1, x0])),
                f64::from(u16::from_be_bytes([y1, y0])),
            );
            dpi = match unit {
                1 => Some((x, y)),
                2 => Some((x * 2.54, y * 2.54)),
                _ => None,
            };
        }
        // SOF0–SOF15 but DHT (C4), JPG (C8) and DAC (CC); SOF2, 6, 10 and 14 are progressive.
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let &[precision, _, _, _, _, components, ..] = payload else {
                return None;
            };
            return Some(Frame {
                precision,
                components,
                progressive: matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE),
                dpi,
            });
        }
    }
    None
}

/// The ICC profile from the APP2 chunks, joined in their sequence order.
pub fn icc_chunks(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut chunks: Vec<(u8, &[u8])> = segments(bytes)
        .filter(|(marker, _)| *marker == 0xE2)
        .filter_map(|(_, p)| p.strip_prefix(b"ICC_PROFILE\0"))
        .filter_map(|p| Some((*p.first()?, p.get(2..)?)))
        .collect();
    if chunks.is_empty() {
        return None;
    }
    chunks.sort_by_key(|(seq, _)| *seq);
    Some(
        chunks
            .into_iter()
            .flat_map(|(_, data)| data.iter().copied())
            .collect(),
    )
}

/// Decoded pixels and the ICC profile still to apply (CMYK is converted here, so it has
/// none left).
pub fn decode(bytes: &[u8], shrink: u32) -> Result<(DynamicImage, Option<Vec<u8>>), RenderError> {
    // libjpeg scales by n/8 in the DCT domain: 1/2, 1/4 and 1/8 skip most of the IDCT work.
    let numerator = match shrink {
        s if s >= 8 => 1,
        4..=7 => 2,
        2 | 3 => 4,
        _ => 8,
    };
    // At 1/8 only the DC coefficients count, and a progressive file has them apart.
    let dc_only = (numerator == 1)
        .then(|| jpeg_dc::without_ac_scans(bytes))
        .flatten();
    let mut jpeg = Decompress::with_markers(MARKERS)
        .with_err(libjpeg::decoder_errors())
        .from_reader(EndWatch::new(dc_only.as_deref().unwrap_or(bytes)))
        .map_err(corrupt)?;
    // With the AC scans missing, block smoothing would guess them from neighbouring DC
    // values and could move the DC itself: off, the pixels are the whole file's.
    jpeg.do_block_smoothing(false);
    let icc = icc_profile(&jpeg);
    let adobe = jpeg
        .markers()
        .any(|m| m.marker == Marker::APP(14) && m.data.starts_with(b"Adobe"));
    jpeg.scale(numerator);
    let space = jpeg.color_space();
    let cmyk = matches!(space, ColorSpace::JCS_CMYK | ColorSpace::JCS_YCCK);
    let grey = space == ColorSpace::JCS_GRAYSCALE;
    let out = if cmyk {
        ColorSpace::JCS_CMYK
    } else if grey {
        ColorSpace::JCS_GRAYSCALE
    } else {
        ColorSpace::JCS_RGB
    };
    let mut started = jpeg.to_colorspace(out).map_err(corrupt)?;
    let (w, h) = (started.width() as u32, started.height() as u32);
    let pixels: Vec<u8> = started.read_scanlines().map_err(corrupt)?;
    let reader = started.finish_into_inner().map_err(corrupt)?;
    if reader.hit_end {
        return Err(RenderError::Corrupt(
            "the JPEG data ends before its end-of-image marker".into(),
        ));
    }
    let short = || RenderError::Corrupt("short JPEG scanlines".into());
    Ok(if cmyk {
        // Photoshop (the Adobe marker) stores CMYK inverted, 0 meaning full ink.
        let rgb = colour::cmyk_to_srgb(pixels, adobe, icc.as_deref());
        let image = RgbImage::from_raw(w, h, rgb).ok_or_else(short)?;
        (DynamicImage::ImageRgb8(image), None)
    } else if grey {
        let image = GrayImage::from_raw(w, h, pixels).ok_or_else(short)?;
        (DynamicImage::ImageLuma8(image), icc)
    } else {
        let image = RgbImage::from_raw(w, h, pixels).ok_or_else(short)?;
        (DynamicImage::ImageRgb8(image), icc)
    })
}

/// An ICC profile larger than 64 KiB is split over APP2 segments numbered 1..=n; they are
/// joined in sequence order. Missing or duplicate chunks mean no usable profile.
fn icc_profile<R>(jpeg: &Decompress<R>) -> Option<Vec<u8>> {
    let mut chunks: Vec<(u8, u8, &[u8])> = jpeg
        .markers()
        .filter_map(|m| m.data.strip_prefix(b"ICC_PROFILE\0"))
        .filter_map(|d| Some((*d.first()?, *d.get(1)?, d.get(2..)?)))
        .collect();
    let total = chunks.first()?.1;
    chunks.sort_by_key(|c| c.0);
    let in_order = chunks
        .iter()
        .enumerate()
        .all(|(i, c)| usize::from(c.0) == i + 1 && c.1 == total);
    if !in_order || chunks.len() != usize::from(total) {
        return None;
    }
    Some(chunks.iter().flat_map(|c| c.2.iter().copied()).collect())
}

/// Reads a byte slice and remembers whether libjpeg asked for data past its end: its
/// source manager then fakes an end-of-image marker and carries on, so this flag is the
/// only sign that the file was cut short.
struct EndWatch<'a> {
    rest: &'a [u8],
    hit_end: bool,
}

impl<'a> EndWatch<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        EndWatch {
            rest: bytes,
            hit_end: false,
        }
    }
}

impl Read for EndWatch<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.rest.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.hit_end = true;
        }
        Ok(n)
    }
}

impl BufRead for EndWatch<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.rest.is_empty() {
            self.hit_end = true;
        }
        Ok(self.rest)
    }

    fn consume(&mut self, amount: usize) {
        self.rest = &self.rest[amount.min(self.rest.len())..];
    }
}
