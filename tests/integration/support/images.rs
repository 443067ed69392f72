//! Images made and read by the tests, independently of pixgate: builders for PNG and its
//! chunks, a decoder for each kind pixgate writes, readers for JPEG segments, and the few
//! measures the tests compare pictures by. Also the one deterministic generator behind every
//! "random" byte or choice in the suite.

use std::io::Cursor;

use image::{ImageFormat, RgbaImage};

pub const RED: [u8; 4] = [255, 0, 0, 255];
pub const BLUE: [u8; 4] = [0, 0, 255, 255];
pub const GREEN: [u8; 4] = [0, 255, 0, 255];
pub const YELLOW: [u8; 4] = [255, 255, 0, 255];

/// PNG bytes of `image`.
pub fn png(image: &RgbaImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, ImageFormat::Png)
        .expect("encode PNG");
    out.into_inner()
}

/// A `width`×`height` PNG whose left half is `left` and right half `right`.
pub fn halves_png(width: u32, height: u32, left: [u8; 4], right: [u8; 4]) -> Vec<u8> {
    png(&RgbaImage::from_fn(width, height, |x, _| {
        image::Rgba(if x < width / 2 { left } else { right })
    }))
}

/// A `width`×`height` PNG whose top half is `top` and bottom half `bottom`.
pub fn stacked_png(width: u32, height: u32, top: [u8; 4], bottom: [u8; 4]) -> Vec<u8> {
    png(&RgbaImage::from_fn(width, height, |_, y| {
        image::Rgba(if y < height / 2 { top } else { bottom })
    }))
}

/// A smooth opaque gradient, so lossy encoders have something to do.
pub fn gradient_png(width: u32, height: u32) -> Vec<u8> {
    png(&RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            ((x + y) * 127 / (width + height).max(1)) as u8,
            255,
        ])
    }))
}

/// A PNG chunk: length, type, data, CRC-32 of type and data.
pub fn png_chunk(name: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(name);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&out[4..]).to_be_bytes());
    out
}

/// CRC-32 (IEEE, reflected, as PNG uses it), bit by bit.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The chunk types of a PNG, in order.
pub fn png_chunks(bytes: &[u8]) -> Vec<[u8; 4]> {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let mut chunks = Vec::new();
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let length = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        chunks.push(bytes[at + 4..at + 8].try_into().unwrap());
        at += 12 + length;
    }
    chunks
}

/// Four-character codes (PNG chunk types, RIFF chunks) as text, for failure messages.
pub fn fourccs(codes: &[[u8; 4]]) -> Vec<String> {
    codes
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

/// An EXIF payload (a big-endian TIFF header and one IFD) holding only Orientation (0x0112,
/// SHORT, one value): `orientation` 1–8.
pub fn exif_orientation(orientation: u8) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    tiff.extend_from_slice(&[0, orientation, 0, 0, 0, 0, 0, 0]);
    tiff
}

/// The kind of image the bytes are, from their magic numbers.
pub fn image_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("webp")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("gif")
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" && &bytes[8..12] == b"avif" {
        Some("avif")
    } else {
        None
    }
}

/// Decoded pixels of a JPEG, PNG, WebP or GIF (first frame), as RGBA.
pub fn decode(bytes: &[u8]) -> RgbaImage {
    match image_kind(bytes) {
        Some("jpeg") => decode_jpeg(bytes),
        Some("png" | "webp" | "gif") => image::load_from_memory(bytes)
            .expect("decodable image")
            .to_rgba8(),
        other => panic!("cannot decode {other:?}"),
    }
}

/// JPEG through libjpeg (the `image` crate here has no JPEG decoder).
fn decode_jpeg(bytes: &[u8]) -> RgbaImage {
    let mut started = mozjpeg::Decompress::new_mem(bytes)
        .expect("JPEG header")
        .rgb()
        .expect("JPEG start");
    let (width, height) = (started.width() as u32, started.height() as u32);
    let rgb: Vec<u8> = started.read_scanlines().expect("JPEG scanlines");
    started.finish().expect("JPEG end");
    let rgb = image::RgbImage::from_raw(width, height, rgb).expect("JPEG buffer size");
    image::DynamicImage::ImageRgb8(rgb).to_rgba8()
}

/// Width and height of any image kind pixgate writes (AVIF from its `ispe` box).
pub fn dimensions(bytes: &[u8]) -> (u32, u32) {
    match image_kind(bytes) {
        Some("avif") => avif_dimensions(bytes).expect("AVIF ispe box"),
        _ => decode(bytes).dimensions(),
    }
}

/// The image spatial extents property of an AVIF (HEIF `ispe`: version/flags, width, height).
fn avif_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let at = bytes.windows(4).position(|w| w == b"ispe")?;
    let field = |offset: usize| -> Option<u32> {
        let b = bytes.get(at + offset..at + offset + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    Some((field(8)?, field(12)?))
}

/// A JPEG's marker segments up to and including the first scan header: (offset of the
/// marker, marker, payload after the length field).
pub fn jpeg_segments(bytes: &[u8]) -> Vec<(usize, u8, &[u8])> {
    assert_eq!(&bytes[..2], [0xFF, 0xD8], "SOI");
    let mut segments = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() {
        assert_eq!(bytes[at], 0xFF, "JPEG segment at {at}");
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        segments.push((at, marker, &bytes[at + 4..at + 2 + length]));
        if marker == 0xDA {
            break;
        }
        at += 2 + length;
    }
    segments
}

/// Whether `marker` starts a frame header: `0xC0`…`0xCF` minus DHT, JPG and DAC.
pub fn is_jpeg_frame(marker: u8) -> bool {
    (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker)
}

/// The start-of-frame markers of a JPEG.
pub fn jpeg_frame_markers(bytes: &[u8]) -> Vec<u8> {
    jpeg_segments(bytes)
        .into_iter()
        .map(|(_, marker, _)| marker)
        .filter(|&marker| is_jpeg_frame(marker))
        .collect()
}

/// `(H, V)` sampling factors of each component (Y, Cb, Cr) in a JPEG's start-of-frame header.
pub fn jpeg_sampling_factors(bytes: &[u8]) -> Vec<(u8, u8)> {
    let (_, _, frame) = jpeg_segments(bytes)
        .into_iter()
        .find(|&(_, marker, _)| is_jpeg_frame(marker))
        .expect("a JPEG frame header");
    // P (1), Y (2), X (2), Nf (1), then Nf × (C, H<<4 | V, Tq).
    let count = usize::from(frame[5]);
    (0..count)
        .map(|i| {
            let hv = frame[6 + 3 * i + 1];
            (hv >> 4, hv & 0x0F)
        })
        .collect()
}

/// Every channel (alpha included) within `tolerance` of `want`.
pub fn near(got: [u8; 4], want: [u8; 4], tolerance: u8) -> bool {
    got.iter()
        .zip(want)
        .all(|(g, w)| g.abs_diff(w) <= tolerance)
}

/// Fails unless pixel `(x, y)` of `image` is [`near`] `want`.
#[track_caller]
pub fn assert_pixel(
    image: &RgbaImage,
    (x, y): (u32, u32),
    want: [u8; 4],
    tolerance: u8,
    what: &str,
) {
    let got = image.get_pixel(x, y).0;
    assert!(
        near(got, want, tolerance),
        "{what}: pixel ({x},{y}) is {got:?}, wanted {want:?} ±{tolerance}"
    );
}

/// Mean absolute difference of the RGB channels, 0–255.
pub fn mean_abs_diff(a: &RgbaImage, b: &RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let mut total = 0u64;
    for (p, q) in a.pixels().zip(b.pixels()) {
        for c in 0..3 {
            total += u64::from(p.0[c].abs_diff(q.0[c]));
        }
    }
    total as f64 / (f64::from(a.width()) * f64::from(a.height()) * 3.0)
}

/// Mean RGBA of the whole image.
pub fn mean_colour(image: &RgbaImage) -> [f64; 4] {
    let mut sum = [0f64; 4];
    for p in image.pixels() {
        for (c, total) in sum.iter_mut().enumerate() {
            *total += f64::from(p.0[c]);
        }
    }
    let n = f64::from(image.width()) * f64::from(image.height());
    sum.map(|total| total / n)
}

/// The largest difference of the per-channel means of R, G and B (0–255): what SSIM on luma
/// misses, a cast or a swapped channel.
pub fn mean_shift(a: &RgbaImage, b: &RgbaImage) -> f64 {
    let (a, b) = (mean_colour(a), mean_colour(b));
    (0..3).map(|c| (a[c] - b[c]).abs()).fold(0.0, f64::max)
}

/// A tiny deterministic generator (xorshift64): the same seed gives the same bytes, pixels
/// and choices on every run and machine.
pub struct Xorshift(pub u64);

impl Xorshift {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn next_byte(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// `len` bytes no sniffer recognises (they start with `noise `), different for each `seed`,
/// incompressible after that.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut random = Xorshift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = b"noise ".to_vec();
    while out.len() < len {
        out.extend_from_slice(&random.next_u64().to_le_bytes());
    }
    out.truncate(len);
    out
}
