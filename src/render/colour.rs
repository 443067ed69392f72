//! Colour management. Embedded ICC profiles are converted to sRGB with `moxcms` (pure Rust,
//! already inside `image`), so a Display P3 or Adobe RGB photo keeps its colours instead of
//! looking washed out; CMYK becomes RGB through its profile when it has one.
//!
//! A profile that cannot be parsed, or does not fit the pixels, is ignored and the pixels
//! are taken as sRGB — what browsers do with broken profiles.

use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{DynamicImage, RgbImage, RgbaImage};
use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

/// Converts RGB(A) pixels described by `icc` to sRGB. Grey images are left alone: a grey
/// profile only changes the tone curve slightly, and sRGB grey is what every viewer assumes.
pub fn to_srgb(image: DynamicImage, icc: &[u8]) -> DynamicImage {
    let converted = catch_unwind(AssertUnwindSafe(|| match &image {
        DynamicImage::ImageRgb8(rgb) => transform(icc, Layout::Rgb, rgb.as_raw(), Layout::Rgb)
            .and_then(|px| RgbImage::from_raw(rgb.width(), rgb.height(), px))
            .map(DynamicImage::ImageRgb8),
        DynamicImage::ImageRgba8(rgba) => transform(icc, Layout::Rgba, rgba.as_raw(), Layout::Rgba)
            .and_then(|px| RgbaImage::from_raw(rgba.width(), rgba.height(), px))
            .map(DynamicImage::ImageRgba8),
        _ => None,
    }));
    match converted {
        Ok(Some(converted)) => converted,
        _ => image,
    }
}

/// CMYK samples (4 per pixel) to sRGB (3 per pixel). `inverted` is Adobe's convention of
/// 0 meaning full ink. With a CMYK profile the conversion is colour-managed; without one it
/// is the textbook `(1 − C)(1 − K)`, which keeps the colours recognisable but not exact.
pub fn cmyk_to_srgb(mut cmyk: Vec<u8>, inverted: bool, icc: Option<&[u8]>) -> Vec<u8> {
    if inverted {
        // ICC profiles count ink: 0 is none.
        cmyk.iter_mut().for_each(|v| *v = 255 - *v);
    }
    let managed = icc.and_then(|icc| {
        catch_unwind(AssertUnwindSafe(|| {
            transform(icc, Layout::Rgba, &cmyk, Layout::Rgb)
        }))
        .ok()
        .flatten()
    });
    managed.unwrap_or_else(|| naive_cmyk(&cmyk))
}

fn naive_cmyk(cmyk: &[u8]) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for px in cmyk.chunks_exact(4) {
        let k = 255 - u16::from(px[3]);
        for &ink in &px[..3] {
            rgb.push((((255 - u16::from(ink)) * k + 127) / 255) as u8);
        }
    }
    rgb
}

/// Runs `pixels` (laid out as `from`) through the profile to sRGB (laid out as `to`).
/// `None` when the profile is unusable for these pixels.
fn transform(icc: &[u8], from: Layout, pixels: &[u8], to: Layout) -> Option<Vec<u8>> {
    let source = ColorProfile::new_from_slice(icc).ok()?;
    let expected = if from == Layout::Rgba && to == Layout::Rgb {
        DataColorSpace::Cmyk
    } else {
        DataColorSpace::Rgb
    };
    if source.color_space != expected {
        return None;
    }
    let srgb = ColorProfile::new_srgb();
    let executor = source
        .create_transform_8bit(from, &srgb, to, TransformOptions::default())
        .ok()?;
    let count = pixels.len() / from.channels();
    let mut out = vec![0u8; count * to.channels()];
    executor.transform(pixels, &mut out).ok()?;
    Some(out)
}
