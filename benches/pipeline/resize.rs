//! The resize stage per pixel layout: pixgate's Lanczos3 (`fast_image_resize`, SIMD, alpha
//! premultiplied during the convolution) beside `image::imageops::resize` with Lanczos3
//! (scalar f32, alpha filtered as a plain channel) on the same pixels.

use std::borrow::Cow;
use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};
use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageBuffer, Pixel};
use pixgate::render::geometry::Window;
use pixgate::render::resize::resize;

use crate::{read, stage_group};

/// The corpus photos' size, of which the 16:10 fixtures are reductions.
const LARGE: (u32, u32) = (2560, 1600);

pub fn per_layout(c: &mut Criterion) {
    let rgb = read("fixtures/cups-800x500.jpg")
        .and_then(|bytes| image::load_from_memory(&bytes).ok())
        .map(|image| DynamicImage::ImageRgb8(image.into_rgb8()));
    let rgba = read("fixtures/cups-alpha-640x400.png")
        .and_then(|bytes| image::load_from_memory(&bytes).ok())
        .map(|image| DynamicImage::ImageRgba8(image.into_rgba8()));
    for (layout, small) in [("rgb8", rgb), ("rgba8", rgba)] {
        let Some(small) = small else {
            continue;
        };
        // Fixtures stay under 1 MP, so the large source is the fixture enlarged: a
        // convolution's cost depends on the sizes, not on the picture.
        let Ok(large) = resize(Cow::Borrowed(&small), whole(&small), LARGE) else {
            continue;
        };
        for (source, width) in [(large, 400), (small, 300)] {
            let (w, h) = (source.width(), source.height());
            let height = (u64::from(h) * u64::from(width) / u64::from(w)) as u32;
            let name = format!("resize/{layout} {w}x{h} to {width}x{height}");
            let mut group = stage_group(c, &name);
            let window = whole(&source);
            group.bench_function("pixgate", |b| {
                b.iter(|| resize(Cow::Borrowed(black_box(&source)), window, (width, height)))
            });
            match &source {
                DynamicImage::ImageRgb8(img) => peer(&mut group, img, (width, height)),
                DynamicImage::ImageRgba8(img) => peer(&mut group, img, (width, height)),
                _ => {}
            }
            group.finish();
        }
    }
}

fn peer<P: Pixel<Subpixel = u8> + 'static>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    image: &ImageBuffer<P, Vec<u8>>,
    size: (u32, u32),
) {
    group.bench_function("peer: image Lanczos3", |b| {
        b.iter(|| imageops::resize(black_box(image), size.0, size.1, FilterType::Lanczos3))
    });
}

/// The whole of `image` as a resize window.
fn whole(image: &DynamicImage) -> Window {
    Window {
        x: 0.0,
        y: 0.0,
        width: f64::from(image.width()),
        height: f64::from(image.height()),
    }
}
