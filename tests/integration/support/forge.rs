//! Hostile files built byte by byte: headers that claim enormous images (decompression bombs),
//! files cut inside their header, and header fields no decoder accepts. Each builder names the
//! one field it lies in; everything else is well formed, so the lie is what gets judged. Used
//! through the server (`hostile`) and through the render fuzz target's check
//! (`ops::fuzz_regressions`).

use std::io::Cursor;

use crate::support::images::{is_jpeg_frame, jpeg_segments, png_chunk};
use crate::support::roots::fixture;

pub const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The 13 bytes of an IHDR: size, bit depth, colour type (6 = RGBA), no interlace.
fn ihdr(width: u32, height: u32, depth: u8) -> Vec<u8> {
    let mut data = width.to_be_bytes().to_vec();
    data.extend_from_slice(&height.to_be_bytes());
    data.extend_from_slice(&[depth, 6, 0, 0, 0]);
    data
}

/// A PNG whose IHDR (valid CRC) claims `width`×`height` RGBA, followed by 64 zero bytes of
/// image data and IEND.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    png_with_ihdr(&ihdr(width, height, 8))
}

/// A PNG with this IHDR payload (CRC recomputed), a little data and IEND.
pub fn png_with_ihdr(ihdr_data: &[u8]) -> Vec<u8> {
    let mut out = PNG_SIGNATURE.to_vec();
    out.extend(png_chunk(b"IHDR", ihdr_data));
    // zlib of 64 zero bytes.
    out.extend(png_chunk(
        b"IDAT",
        &[120, 156, 99, 96, 160, 12, 0, 0, 0, 64, 0, 1],
    ));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

/// An 8×8 PNG whose IHDR carries a wrong CRC.
pub fn png_with_bad_crc() -> Vec<u8> {
    let mut out = png_claiming(8, 8);
    // Signature (8), length (4), type (4), data (13): the CRC follows.
    out[29] ^= 0xFF;
    out
}

/// An 8×8 PNG whose IHDR asks for 3-bit samples, which PNG does not have.
pub fn png_with_bit_depth_3() -> Vec<u8> {
    png_with_ihdr(&ihdr(8, 8, 3))
}

/// The signature and a complete IHDR, then nothing: no image data, no IEND.
pub fn png_header_only() -> Vec<u8> {
    let mut out = PNG_SIGNATURE.to_vec();
    out.extend(png_chunk(b"IHDR", &ihdr(8, 8, 8)));
    out
}

/// A small real JPEG (8×8 grey, baseline) with its start-of-frame rewritten to `width`×`height`.
pub fn jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = small_jpeg();
    let (sof, _, _) = jpeg_segments(&jpeg)
        .into_iter()
        .find(|&(_, marker, _)| is_jpeg_frame(marker))
        .expect("a frame header");
    // FF Cn, length (2), precision (1), height (2), width (2).
    jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    jpeg
}

/// An 8×8 grey baseline JPEG.
pub fn small_jpeg() -> Vec<u8> {
    let pixels: Vec<u8> = (0..64u8).map(|i| i * 4).collect();
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new(&mut out)
        .encode(&pixels, 8, 8, image::ExtendedColorType::L8)
        .expect("encode JPEG");
    out.into_inner()
}

/// A small JPEG cut right after its frame header: the scan never starts.
pub fn jpeg_cut_after_frame_header() -> Vec<u8> {
    let jpeg = small_jpeg();
    let (sof, _, payload) = jpeg_segments(&jpeg)
        .into_iter()
        .find(|&(_, marker, _)| is_jpeg_frame(marker))
        .expect("a frame header");
    jpeg[..sof + 4 + payload.len()].to_vec()
}

/// A GIF89a with a `screen` logical screen, a two-colour global palette, and one `frame`-sized
/// image at (0, 0) holding a single LZW-coded pixel.
pub fn gif(screen: (u16, u16), frame: (u16, u16)) -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&screen.0.to_le_bytes());
    out.extend_from_slice(&screen.1.to_le_bytes());
    // Global colour table of 2 entries, background 0, no aspect ratio; black and white.
    out.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
    out.push(b',');
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&frame.0.to_le_bytes());
    out.extend_from_slice(&frame.1.to_le_bytes());
    out.push(0);
    // LZW minimum code size 2; codes clear (4), 0, end (5) in 3 bits each: 0x144.
    out.extend_from_slice(&[2, 2, 0x44, 0x01, 0]);
    out.push(b';');
    out
}

/// A GIF (through the `gif` encoder) with a `screen` logical screen holding `frames` 1×1
/// frames, alternating black and white, looping forever.
pub fn gif_of_frames(screen: (u16, u16), frames: usize) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette = [0u8, 0, 0, 255, 255, 255];
        let mut encoder = gif::Encoder::new(&mut out, screen.0, screen.1, &palette).unwrap();
        encoder.set_repeat(gif::Repeat::Infinite).unwrap();
        for i in 0..frames {
            let frame = gif::Frame {
                width: 1,
                height: 1,
                delay: 2,
                buffer: std::borrow::Cow::Owned(vec![(i % 2) as u8]),
                ..gif::Frame::default()
            };
            encoder.write_frame(&frame).unwrap();
        }
    }
    out
}

/// `RIFF` + size + `WEBP` around the given chunks.
fn riff(chunks: &[u8]) -> Vec<u8> {
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(4 + chunks.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(chunks);
    out
}

/// One RIFF chunk, padded to an even length.
fn riff_chunk(fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut out = fourcc.to_vec();
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    if payload.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// A VP8L bitstream header for `width`×`height` (each 1–16384), no alpha, version 0.
fn vp8l_header(width: u32, height: u32) -> Vec<u8> {
    let bits = (width - 1) | ((height - 1) << 14);
    let mut out = vec![0x2F];
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out
}

/// A lossless WebP whose VP8L header claims `width`×`height` (each 1–16384).
pub fn webp_lossless_claiming(width: u32, height: u32) -> Vec<u8> {
    riff(&riff_chunk(b"VP8L", &vp8l_header(width, height)))
}

/// A lossy WebP whose VP8 key-frame header claims `width`×`height` (each below 16384).
pub fn webp_lossy_claiming(width: u16, height: u16) -> Vec<u8> {
    // Frame tag: key frame, version 0, shown, first partition of 0x10 bytes.
    let mut frame = vec![0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A];
    frame.extend_from_slice(&width.to_le_bytes());
    frame.extend_from_slice(&height.to_le_bytes());
    frame.extend_from_slice(&[0; 20]);
    riff(&riff_chunk(b"VP8 ", &frame))
}

/// An extended WebP whose VP8X canvas claims `width`×`height` (each 1–2^24), holding a 1×1
/// lossless image.
pub fn webp_canvas_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut vp8x = vec![0, 0, 0, 0];
    vp8x.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    let mut chunks = riff_chunk(b"VP8X", &vp8x);
    chunks.extend(riff_chunk(b"VP8L", &vp8l_header(1, 1)));
    riff(&chunks)
}

/// A BMP (BITMAPINFOHEADER) claiming `width`×`height` (negative: top-down) at `bits` per
/// pixel, with 64 bytes of pixel data.
pub fn bmp_claiming(width: i32, height: i32, bits: u16) -> Vec<u8> {
    let data = [0u8; 64];
    let mut out = b"BM".to_vec();
    out.extend_from_slice(&(14 + 40 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(14u32 + 40).to_le_bytes());
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    // No compression, image size 0 (allowed uncompressed), 72 dpi, no palette.
    for field in [0u32, 0, 2835, 2835, 0, 0] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out.extend_from_slice(&data);
    out
}

/// A little-endian TIFF claiming `width`×`height` 8-bit grey in one uncompressed strip of 64
/// bytes.
pub fn tiff_claiming(width: u32, height: u32) -> Vec<u8> {
    // (tag, type: 3 = SHORT, 4 = LONG, value)
    let entries: [(u16, u16, u32); 9] = [
        (256, 4, width),
        (257, 4, height),
        (258, 3, 8),
        (259, 3, 1),
        (262, 3, 1),
        (273, 4, 8),
        (277, 3, 1),
        (278, 4, height),
        (279, 4, 64),
    ];
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&(8u32 + 64).to_le_bytes());
    out.extend_from_slice(&[0; 64]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        if kind == 3 {
            out.extend_from_slice(&(value as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out
}

/// A real 14 KB AVIF (12-bit monochrome) whose `ispe` boxes are rewritten to `width`×`height`.
pub fn avif_claiming(width: u32, height: u32) -> Vec<u8> {
    with_ispe(&fixture("inputs/grey-12bit.avif"), width, height)
}

/// A copy of the AVIF with every `ispe` property (the primary image's and any alpha's)
/// claiming `width`×`height`.
pub fn with_ispe(avif: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut avif = avif.to_vec();
    let mut from = 0;
    let mut patched = 0;
    while let Some(at) = avif[from..].windows(4).position(|w| w == b"ispe") {
        let at = from + at;
        // type (4), version and flags (4), width (4), height (4).
        avif[at + 8..at + 12].copy_from_slice(&width.to_be_bytes());
        avif[at + 12..at + 16].copy_from_slice(&height.to_be_bytes());
        patched += 1;
        from = at + 4;
    }
    assert!(patched > 0, "no ispe box in the AVIF");
    avif
}

/// A bare JPEG XL codestream whose size header claims `width`×`height` (each below 2^30),
/// with all-default metadata and no frame.
pub fn jxl_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bits = BitWriter::default();
    bits.put(0, 1); // div8: no
    bits.put(3, 2); // height: the 30-bit form
    bits.put(height - 1, 30);
    bits.put(0, 3); // ratio: none, so the width follows
    bits.put(3, 2);
    bits.put(width - 1, 30);
    bits.put(1, 1); // metadata: all default (sRGB, 8 bits, no alpha)
    bits.put(1, 1); // default transform data (`default_m`)
    let mut out = vec![0xFF, 0x0A];
    out.extend(bits.bytes);
    // A container and a codestream look alike in their first 12 bytes: give the parser more.
    out.extend([0; 32]);
    out
}

/// JPEG XL's bit order: least significant bit first, within bytes and within fields.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    used: u32,
}

impl BitWriter {
    fn put(&mut self, value: u32, count: u32) {
        for i in 0..count {
            if self.used.is_multiple_of(8) {
                self.bytes.push(0);
            }
            let bit = ((value >> i) & 1) as u8;
            *self.bytes.last_mut().unwrap() |= bit << (self.used % 8);
            self.used += 1;
        }
    }
}

/// Offset of the first byte after the `mdat` box header: where an AVIF's AV1 data starts.
pub fn mdat_payload(avif: &[u8]) -> usize {
    avif.windows(4).position(|w| w == b"mdat").unwrap() + 4
}

/// The first `len` bytes of a fixture.
pub fn fixture_head(name: &str, len: usize) -> Vec<u8> {
    let bytes = fixture(name);
    bytes[..len.min(bytes.len())].to_vec()
}

// ---------------------------------------------------------------------------------------------
// The corpora
// ---------------------------------------------------------------------------------------------

/// A bomb of every input format, by file name: each header claims far more pixels than any
/// limit allows (0.27–40 GB of pixel buffer), in under 16 KB.
pub fn bombs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("png-100000x100000.png", png_claiming(100_000, 100_000)),
        // The largest frame libjpeg itself accepts, so its own header reader runs.
        ("jpeg-65500x65500.jpg", jpeg_claiming(65_500, 65_500)),
        ("gif-screen-65535x65535.gif", gif((65_535, 65_535), (1, 1))),
        (
            "webp-vp8-16383x16383.webp",
            webp_lossy_claiming(16_383, 16_383),
        ),
        (
            "webp-vp8l-16383x16383.webp",
            webp_lossless_claiming(16_383, 16_383),
        ),
        (
            "webp-vp8x-10000x10000.webp",
            webp_canvas_claiming(10_000, 10_000),
        ),
        ("bmp-60000x60000.bmp", bmp_claiming(60_000, 60_000, 24)),
        (
            "bmp-top-down-60000x60000.bmp",
            bmp_claiming(60_000, -60_000, 24),
        ),
        ("tiff-100000x100000.tiff", tiff_claiming(100_000, 100_000)),
        ("avif-60000x60000.avif", avif_claiming(60_000, 60_000)),
        ("jxl-100000x100000.jxl", jxl_claiming(100_000, 100_000)),
    ]
}

/// Files of each input format cut inside their header, or with a header field that cannot be:
/// each is sniffed as its format (so it is an image kind) and then cannot be decoded: 422
/// (README, Errors: "a corrupt or truncated image").
pub fn broken_headers() -> Vec<(&'static str, Vec<u8>)> {
    let mut gif_screen_only = b"GIF89a".to_vec();
    gif_screen_only.extend_from_slice(&[8, 0, 8, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]);
    vec![
        ("jpeg-soi-only.jpg", vec![0xFF, 0xD8, 0xFF, 0xE0]),
        ("jpeg-no-scan.jpg", jpeg_cut_after_frame_header()),
        ("png-signature-only.png", PNG_SIGNATURE.to_vec()),
        ("png-ihdr-only.png", png_header_only()),
        ("png-bad-crc.png", png_with_bad_crc()),
        ("png-depth-3.png", png_with_bit_depth_3()),
        ("png-0x0.png", png_claiming(0, 0)),
        ("gif-magic-only.gif", b"GIF89a".to_vec()),
        ("gif-screen-only.gif", gif_screen_only),
        ("gif-0x0.gif", gif((0, 0), (1, 1))),
        ("webp-riff-only.webp", b"RIFF\x04\x00\x00\x00WEBP".to_vec()),
        (
            "webp-chunk-cut.webp",
            b"RIFF\x20\x00\x00\x00WEBPVP8L\x14\x00\x00\x00\x2f".to_vec(),
        ),
        ("bmp-magic-only.bmp", b"BM\0\0\0\0\0\0\0\0\0\0".to_vec()),
        ("bmp-7-bits.bmp", bmp_claiming(8, 8, 7)),
        ("bmp-0x0.bmp", bmp_claiming(0, 0, 24)),
        ("bmp-header-only.bmp", bmp_claiming(8, 8, 24)[..54].to_vec()),
        ("tiff-le-magic-only.tiff", b"II*\0\x08\0\0\0".to_vec()),
        ("tiff-be-magic-only.tiff", b"MM\0*\0\0\0\x08".to_vec()),
        ("tiff-0x8.tiff", tiff_claiming(0, 8)),
        (
            "avif-ftyp-only.avif",
            fixture_head("inputs/grey-12bit.avif", 32),
        ),
        (
            "avif-meta-cut.avif",
            fixture_head("inputs/grey-12bit.avif", 200),
        ),
        ("jxl-signature-only.jxl", vec![0xFF, 0x0A]),
        ("jxl-header-cut.jxl", fixture_head("inputs/grey.jxl", 6)),
        (
            "svg-unclosed.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg'><rect".to_vec(),
        ),
    ]
}
