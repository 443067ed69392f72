//! The decode stage per source format: pixgate's `header` + `decode` (the render's first step)
//! beside `image::load_from_memory_with_format` on the same bytes. For JPEG (libjpeg-turbo
//! against `image`'s zune-jpeg) and WebP stills (libwebp against image-webp) the two lines are
//! different decoders, and only libjpeg-turbo can shrink in the DCT (the `shrink 8` line);
//! for PNG, GIF, BMP and TIFF both lines run `image`'s decoder, so the ratio is pixgate's own
//! cost around it (limits, conversion to 8-bit working pixels, orientation).

use std::hint::black_box;

use criterion::Criterion;
use image::ImageFormat;
use pixgate::render::decode;

use crate::{LIMITS, read, stage_group};

/// One decode group: a fixture, so it runs on a fresh clone, or the optional corpus photo.
struct Case {
    name: &'static str,
    path: &'static str,
    format: ImageFormat,
}

const CASES: &[Case] = &[
    Case {
        name: "jpeg baseline 800x500",
        path: "fixtures/forest-800x500.jpg",
        format: ImageFormat::Jpeg,
    },
    Case {
        name: "jpeg progressive 320x200",
        path: "fixtures/inputs/forest-progressive.jpg",
        format: ImageFormat::Jpeg,
    },
    Case {
        name: "jpeg progressive 5120x2880",
        path: "../shared/corpus/beach-5120x2880.jpg",
        format: ImageFormat::Jpeg,
    },
    Case {
        name: "png rgba 640x400",
        path: "fixtures/cups-alpha-640x400.png",
        format: ImageFormat::Png,
    },
    Case {
        name: "webp lossy 640x400",
        path: "fixtures/forest-640x400.webp",
        format: ImageFormat::WebP,
    },
    Case {
        name: "webp lossless 320x200",
        path: "fixtures/inputs/kite-lossless.webp",
        format: ImageFormat::WebP,
    },
    Case {
        name: "gif 320x200",
        path: "fixtures/inputs/forest-still.gif",
        format: ImageFormat::Gif,
    },
    Case {
        name: "bmp 320x200",
        path: "fixtures/inputs/forest.bmp",
        format: ImageFormat::Bmp,
    },
    Case {
        name: "tiff lzw 320x200",
        path: "fixtures/inputs/forest.tiff",
        format: ImageFormat::Tiff,
    },
];

/// pixgate's decode as the render runs it: header (with the pixel limit), then pixels.
fn pixgate_decode(
    bytes: &[u8],
    shrink: u32,
) -> Result<decode::Decoded, pixgate::render::RenderError> {
    let header = decode::header(bytes, LIMITS.max_source_pixels)?;
    let max_alloc = LIMITS.max_source_pixels.saturating_mul(8);
    let scale = decode::Scale {
        shrink,
        vector: 1.0 / f64::from(shrink),
    };
    decode::decode(bytes, &header, scale, max_alloc, &LIMITS.av1)
}

pub fn per_format(c: &mut Criterion) {
    for case in CASES {
        if case.path.starts_with("../") && !crate::repo_path(case.path).exists() {
            continue;
        }
        let Some(bytes) = read(case.path) else {
            continue;
        };
        if let Err(e) = pixgate_decode(&bytes, 1) {
            eprintln!("skipping decode/{}: {e}", case.name);
            continue;
        }
        let mut group = stage_group(c, &format!("decode/{}", case.name));
        group.bench_function("pixgate", |b| {
            b.iter(|| pixgate_decode(black_box(&bytes), 1))
        });
        if case.format == ImageFormat::Jpeg {
            group.bench_function("pixgate shrink 8", |b| {
                b.iter(|| pixgate_decode(black_box(&bytes), 8))
            });
        }
        group.bench_function("peer: image", |b| {
            b.iter(|| image::load_from_memory_with_format(black_box(&bytes), case.format))
        });
        group.finish();
    }
    avif(c);
}

/// `image` is built without an AVIF decoder (`avif-native` would need dav1d), so AVIF has no
/// peer decoding the same bytes. The in-run reference is instead the same RGBA pixels as PNG
/// (`cups-alpha.avif` was encoded from `cups-alpha.png`) through `image`: the ratio says what
/// AVIF costs over PNG for one picture, not how pixgate compares with another AVIF decoder.
fn avif(c: &mut Criterion) {
    let (Some(avif), Some(png)) = (
        read("fixtures/inputs/cups-alpha.avif"),
        read("fixtures/inputs/cups-alpha.png"),
    ) else {
        return;
    };
    if let Err(e) = pixgate_decode(&avif, 1) {
        eprintln!("skipping decode/avif: {e}");
        return;
    }
    let mut group = stage_group(c, "decode/avif rgba 320x200");
    group.bench_function("pixgate", |b| {
        b.iter(|| pixgate_decode(black_box(&avif), 1))
    });
    group.bench_function("reference: image, same pixels as png", |b| {
        b.iter(|| image::load_from_memory_with_format(black_box(&png), ImageFormat::Png))
    });
    group.finish();
}
