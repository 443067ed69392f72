use super::*;
use ::png::{BitDepth, ColorType, Encoder, Filter as Filtering};
use image::{GenericImageView, ImageFormat};

const PLENTY: u64 = 1 << 30;

/// Photograph-like bytes: smooth gradients beside noise, so the adaptive encoder picks
/// different filters from row to row.
fn pixels(width: u32, height: u32, channels: usize, seed: u64) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    (0..w * h * channels)
        .map(|i| {
            let (x, y, c) = ((i / channels) % w, (i / channels) / w, i % channels);
            if (x / 8 + y / 4) % 2 == 0 {
                ((x * 3 + y * 5 + c * 60) % 256) as u8
            } else {
                let n = (i as u64 + seed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                (n >> 40) as u8
            }
        })
        .collect()
}

fn encode(width: u32, height: u32, colour: ColorType, filtering: Filtering, seed: u64) -> Vec<u8> {
    let channels = colour.samples();
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, width, height);
    encoder.set_color(colour);
    encoder.set_depth(BitDepth::Eight);
    encoder.set_filter(filtering);
    let mut writer = encoder.write_header().unwrap();
    writer
        .write_image_data(&pixels(width, height, channels, seed))
        .unwrap();
    writer.finish().unwrap();
    out
}

/// The same file with its image data cut into `IDAT` chunks of `size` bytes.
fn rechunked(png: &[u8], size: usize) -> Vec<u8> {
    let mut chunks = Vec::new();
    let mut data = Vec::new();
    let mut at = 8;
    while at < png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = png[at + 4..at + 8].try_into().unwrap();
        let body = png[at + 8..at + 8 + len].to_vec();
        if &kind == b"IDAT" {
            data.extend(body);
            if &png[at + 12 + len + 4..at + 12 + len + 8] != b"IDAT" {
                chunks.extend(data.chunks(size).map(|c| (*b"IDAT", c.to_vec())));
            }
        } else {
            chunks.push((kind, body));
        }
        at += 12 + len;
    }
    let mut out = png[..8].to_vec();
    for (kind, body) in chunks {
        out.extend((body.len() as u32).to_be_bytes());
        out.extend(kind);
        out.extend(&body);
        let mut typed = kind.to_vec();
        typed.extend(&body);
        out.extend(crc32fast::hash(&typed).to_be_bytes());
    }
    out
}

/// What `image` and the png crate make of `bytes`, the path this one must agree with.
fn reference(bytes: &[u8]) -> Option<DynamicImage> {
    image::load_from_memory_with_format(bytes, ImageFormat::Png).ok()
}

fn assert_same(ours: Option<DynamicImage>, bytes: &[u8], case: &str) {
    let ours = ours.unwrap_or_else(|| panic!("{case}: not decoded"));
    let theirs = reference(bytes).unwrap();
    assert_eq!(ours.color(), theirs.color(), "{case}");
    assert_eq!(ours.dimensions(), theirs.dimensions(), "{case}");
    assert!(
        ours.as_bytes() == theirs.as_bytes(),
        "{case}: pixels differ"
    );
}

#[test]
fn rgb_and_rgba_decode_as_the_png_crate_does_under_every_filter() {
    let filterings = [
        Filtering::NoFilter,
        Filtering::Sub,
        Filtering::Up,
        Filtering::Avg,
        Filtering::Paeth,
        Filtering::Adaptive,
    ];
    for colour in [ColorType::Rgb, ColorType::Rgba] {
        for filtering in filterings {
            for (width, height) in [(1, 1), (2, 3), (5, 9), (33, 17), (300, 11)] {
                let bytes = encode(width, height, colour, filtering, u64::from(width));
                let case = format!("{colour:?} {filtering:?} {width}x{height}");
                assert_same(decode(&bytes, PLENTY), &bytes, &case);
            }
        }
    }
}

/// Over a mebibyte of rows (the inflate buffer moves back to its start), its image data
/// in 1,000-byte chunks.
#[test]
fn large_images_in_many_chunks_decode_whole() {
    let bytes = rechunked(
        &encode(1100, 400, ColorType::Rgb, Filtering::Adaptive, 7),
        1000,
    );
    assert!(bytes.windows(4).filter(|w| w == b"IDAT").count() > 100);
    assert_same(
        decode(&bytes, PLENTY),
        &bytes,
        "1100x400 in 1,000-byte chunks",
    );
}

#[test]
fn the_repository_photos_decode_as_the_png_crate_does() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/inputs");
    for name in [
        "cups-rgb.png",
        "cups-alpha.png",
        "cups-p3.png",
        "badge-rsvg-800x500.png",
    ] {
        let bytes = std::fs::read(format!("{folder}/{name}")).unwrap();
        assert_same(decode(&bytes, PLENTY), &bytes, name);
    }
    // 16-bit, a palette, grey with alpha: the png crate's.
    for name in ["cups-16bit.png", "cups-palette.png", "grey-alpha.png"] {
        let bytes = std::fs::read(format!("{folder}/{name}")).unwrap();
        assert!(decode(&bytes, PLENTY).is_none(), "{name}");
    }
}

#[test]
fn other_layouts_are_left_to_the_png_crate() {
    for colour in [ColorType::Grayscale, ColorType::GrayscaleAlpha] {
        let bytes = encode(9, 5, colour, Filtering::Paeth, 1);
        assert!(decode(&bytes, PLENTY).is_none(), "{colour:?}");
    }
    let mut with_trns = Vec::new();
    let mut encoder = Encoder::new(&mut with_trns, 4, 4);
    encoder.set_color(ColorType::Rgb);
    encoder.set_trns(vec![0, 0, 0, 0, 0, 0]);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&pixels(4, 4, 3, 1)).unwrap();
    writer.finish().unwrap();
    assert!(decode(&with_trns, PLENTY).is_none(), "tRNS");
}

#[test]
fn pixels_beyond_the_allocation_limit_are_left_to_the_png_crate() {
    let bytes = encode(20, 10, ColorType::Rgb, Filtering::Paeth, 1);
    assert!(decode(&bytes, 20 * 10 * 3).is_some());
    assert!(decode(&bytes, 20 * 10 * 3 - 1).is_none());
}

/// Cut short anywhere, or a byte changed anywhere: this path gives the png crate's pixels or
/// nothing (the caller then asks the png crate, which names the damage).
#[test]
fn damaged_files_decode_as_the_png_crate_does_or_not_at_all() {
    let good = rechunked(
        &encode(40, 24, ColorType::Rgba, Filtering::Adaptive, 3),
        700,
    );
    let mut variants = Vec::new();
    for cut in (0..good.len()).step_by(7) {
        variants.push(good[..cut].to_vec());
    }
    for at in (8..good.len()).step_by(5) {
        let mut changed = good.clone();
        changed[at] ^= 0x5a;
        variants.push(changed);
    }
    let (mut decoded, mut refused) = (0, 0);
    for (n, bytes) in variants.iter().enumerate() {
        match decode(bytes, PLENTY) {
            Some(ours) => {
                decoded += 1;
                let theirs = reference(bytes)
                    .unwrap_or_else(|| panic!("variant {n}: decoded here, refused by png"));
                assert!(ours.as_bytes() == theirs.as_bytes(), "variant {n}");
            }
            None => refused += 1,
        }
    }
    // Changes to chunks after the image data (and to ancillary ones) leave it decodable.
    assert!(
        decoded > 0 && refused > 100,
        "{decoded} decoded, {refused} refused"
    );
}
