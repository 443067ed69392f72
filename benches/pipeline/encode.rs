//! The encode stage per output format, from the same resized 400x250 picture: pixgate's
//! `encode` beside the `image` crate's encoder for that format with its own defaults at the
//! same quality. The encoders differ in kind where pixgate chose another (libjpeg-turbo,
//! lossy libwebp) or other settings (PNG's zlib level against `image`'s fast default, GIF and
//! AVIF speed), so sizes differ too: each group prints the sizes once before it runs.

use std::hint::black_box;

use criterion::Criterion;
use image::codecs::avif::AvifEncoder;
use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ImageEncoder};
use pixgate::render::encode::{EncodeOptions, encode};
use pixgate::render::geometry::Window;
use pixgate::render::resize::resize;
use pixgate::transform::OutputFormat;

use crate::{read, stage_group};

/// pixgate's default quality (no `q`).
const QUALITY: u8 = 75;

/// The size every format is encoded at: a typical thumbnail.
const SIZE: (u32, u32) = (400, 250);

/// What each format's group measures: the format, whether it gets an RGBA case too, and the
/// peer's name.
const FORMATS: &[(OutputFormat, bool, &str)] = &[
    (OutputFormat::Jpeg, false, "peer: image JpegEncoder"),
    (
        OutputFormat::Webp,
        true,
        "peer: image WebPEncoder (lossless)",
    ),
    (
        OutputFormat::Png,
        true,
        "peer: image PngEncoder (defaults: fast)",
    ),
    (OutputFormat::Gif, false, "peer: image GifEncoder (speed 1)"),
    (
        OutputFormat::Avif,
        false,
        "peer: image AvifEncoder (speed 4)",
    ),
];

pub fn per_format(c: &mut Criterion) {
    let Some(rgb) = thumbnail("fixtures/cups-800x500.jpg", false) else {
        return;
    };
    let Some(rgba) = thumbnail("fixtures/cups-alpha-640x400.png", true) else {
        return;
    };
    let lossy = EncodeOptions {
        quality: QUALITY,
        ..EncodeOptions::default()
    };
    let lossless = EncodeOptions {
        lossless: true,
        ..lossy.clone()
    };
    for &(format, with_alpha, peer_name) in FORMATS {
        let images: &[(&str, &DynamicImage)] = if with_alpha {
            &[("rgb8", &rgb), ("rgba8", &rgba)]
        } else {
            &[("rgb8", &rgb)]
        };
        for &(layout, image) in images {
            let name = format!("encode/{format} {layout} {}x{}", SIZE.0, SIZE.1);
            // Sizes once, and only for groups the filter keeps: the closure runs only then.
            let mut first = true;
            let mut group = stage_group(c, &name);
            group.bench_function("pixgate", |b| {
                if std::mem::take(&mut first) {
                    print_sizes(&name, image, format);
                }
                b.iter(|| encode(black_box(image), format, &lossy))
            });
            if format == OutputFormat::Webp {
                // Like for like with the lossless peer: libwebp's lossless mode.
                group.bench_function("pixgate lossless", |b| {
                    b.iter(|| encode(black_box(image), format, &lossless))
                });
            }
            group.bench_function(peer_name, |b| b.iter(|| peer(black_box(image), format)));
            group.finish();
        }
    }
}

/// One line with the output sizes (a failed encode shows as its error).
fn print_sizes(name: &str, image: &DynamicImage, format: OutputFormat) {
    let size = |lossless| {
        let options = EncodeOptions {
            quality: QUALITY,
            lossless,
            ..EncodeOptions::default()
        };
        match encode(image, format, &options) {
            Ok(bytes) => format!("{} B", bytes.len()),
            Err(e) => format!("failed ({e})"),
        }
    };
    let ours = if format == OutputFormat::Webp {
        format!("{} (lossless {})", size(false), size(true))
    } else {
        size(false)
    };
    println!(
        "{name}: pixgate {ours}, peer {} B",
        peer(image, format).len()
    );
}

/// `path` decoded and resized by pixgate to `SIZE`, as RGB8 or RGBA8.
fn thumbnail(path: &str, alpha: bool) -> Option<DynamicImage> {
    let decoded = image::load_from_memory(&read(path)?).ok()?;
    let source = if alpha {
        DynamicImage::ImageRgba8(decoded.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(decoded.into_rgb8())
    };
    let window = Window {
        x: 0.0,
        y: 0.0,
        width: f64::from(source.width()),
        height: f64::from(source.height()),
    };
    resize(std::borrow::Cow::Owned(source), window, SIZE).ok()
}

/// `image`'s encoder for `format` with its defaults, at pixgate's quality where it has one;
/// empty when it fails (the size line shows it).
fn peer(image: &DynamicImage, format: OutputFormat) -> Vec<u8> {
    let mut out = Vec::new();
    let (w, h, colour) = (image.width(), image.height(), image.color().into());
    let pixels = image.as_bytes();
    let written = match format {
        OutputFormat::Jpeg | OutputFormat::Pjpeg => {
            JpegEncoder::new_with_quality(&mut out, QUALITY).write_image(pixels, w, h, colour)
        }
        OutputFormat::Webp => WebPEncoder::new_lossless(&mut out).write_image(pixels, w, h, colour),
        OutputFormat::Png => PngEncoder::new(&mut out).write_image(pixels, w, h, colour),
        OutputFormat::Gif => GifEncoder::new(&mut out).encode(pixels, w, h, colour),
        OutputFormat::Avif => AvifEncoder::new_with_speed_quality(&mut out, 4, QUALITY)
            .write_image(pixels, w, h, colour),
    };
    if written.is_err() {
        out.clear();
    }
    out
}
