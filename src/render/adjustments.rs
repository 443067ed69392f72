//! imgix's colour and tone adjustments on the resized pixels (8 bits per channel; alpha is
//! left alone), in this order: `exp`, `bri`, `con`, `gam` (one lookup table per channel value),
//! then `high`, `shad`, `sat`, `vib`, `hue` (per pixel, on Rec. 709 luma), then `invert`, then
//! `usm`. imgix applies its adjustments before sizing; for these point operations the result
//! differs only by the resampling, and on output pixels they cost a fraction.

use std::f32::consts::FRAC_PI_4;

use image::DynamicImage;

use super::effects;
use crate::transform::Adjustments;

/// `exp` at ±100 is this many stops.
const EXPOSURE_STOPS: f32 = 2.0;
/// Above this contrast factor every channel is black or white anyway.
const MAX_CONTRAST_FACTOR: f32 = 1000.0;

/// Applies every adjustment `a` asks for; the image unchanged when it asks none.
pub fn apply(image: DynamicImage, a: &Adjustments) -> DynamicImage {
    if a.is_none() {
        return image;
    }
    let mut image = if image.color().has_alpha() {
        let mut rgba = image.into_rgba8();
        adjust_pixels(&mut rgba, 4, a);
        DynamicImage::ImageRgba8(rgba)
    } else {
        let mut rgb = image.into_rgb8();
        adjust_pixels(&mut rgb, 3, a);
        DynamicImage::ImageRgb8(rgb)
    };
    // `out = in + amount × (in − gaussian(in, usmrad))`, amount −1 to 1.
    if let Some((amount, radius)) = a.unsharp {
        image = effects::unsharp(image, f32::from(amount) / 100.0, radius);
    }
    image
}

/// The point operations over interleaved pixels of `channels` (3 or 4, alpha last).
fn adjust_pixels(pixels: &mut [u8], channels: usize, a: &Adjustments) {
    let table = tone_table(a);
    let per_pixel = a.highlights.is_some()
        || a.shadows.is_some()
        || a.saturation.is_some()
        || a.vibrance.is_some()
        || a.hue.is_some();
    for px in pixels.chunks_exact_mut(channels) {
        let rgb = &mut px[..3];
        for c in rgb.iter_mut() {
            *c = table[usize::from(*c)];
        }
        if per_pixel {
            colour(rgb, a);
        }
        if a.invert {
            for c in rgb.iter_mut() {
                *c = 255 - *c;
            }
        }
    }
}

/// `exp`, `bri`, `con` and `gam` as one table from a channel value to its new value.
fn tone_table(a: &Adjustments) -> [u8; 256] {
    let exposure = a
        .exposure
        .map(|e| (f32::from(e) / 100.0 * EXPOSURE_STOPS).exp2());
    let brightness = a.brightness.map_or(0.0, |b| f32::from(b) / 100.0);
    // tan spans 0 (flat grey) at −100 through 1 at 0 to a vertical step at +100.
    let contrast = a.contrast.map_or(1.0, |c| {
        (((f32::from(c) / 100.0) + 1.0) * FRAC_PI_4)
            .tan()
            .min(MAX_CONTRAST_FACTOR)
    });
    let gamma = a.gamma.map_or(1.0, |g| (-f32::from(g) / 100.0).exp2());
    let mut table = [0u8; 256];
    for (i, out) in table.iter_mut().enumerate() {
        let mut v = i as f32 / 255.0;
        if let Some(factor) = exposure {
            v = linear_to_srgb(srgb_to_linear(v) * factor);
        }
        v += brightness;
        v = (v.clamp(0.0, 1.0) - 0.5) * contrast + 0.5;
        v = v.clamp(0.0, 1.0).powf(gamma);
        *out = (v * 255.0).round().clamp(0.0, 255.0) as u8;
    }
    table
}

/// `high`, `shad`, `sat`, `vib` and `hue` on one pixel.
fn colour(rgb: &mut [u8], a: &Adjustments) {
    let mut c = [0f32; 3];
    for (out, v) in c.iter_mut().zip(rgb.iter()) {
        *out = f32::from(*v) / 255.0;
    }
    let luma = luma(c);
    // Highlights come down toward mid-grey (white to 0.75 at −100), shadows up (black to
    // 0.25 at 100); the luma shift moves every channel alike, keeping the colour.
    let mut shift = 0.0;
    if let Some(h) = a.highlights
        && luma > 0.5
    {
        shift += f32::from(h) / 100.0 * 0.5 * (luma - 0.5);
    }
    if let Some(s) = a.shadows
        && luma < 0.5
    {
        shift += s / 100.0 * 0.5 * (0.5 - luma);
    }
    for v in &mut c {
        *v += shift;
    }
    let luma = luma + shift;
    let mut gain = 1.0 + a.saturation.map_or(0.0, |s| f32::from(s) / 100.0);
    if let Some(vib) = a.vibrance {
        // Dull colours gain the most, saturated ones hardly any.
        let (max, min) = (c[0].max(c[1]).max(c[2]), c[0].min(c[1]).min(c[2]));
        gain *= 1.0 + f32::from(vib) / 100.0 * (1.0 - (max - min).clamp(0.0, 1.0));
    }
    for v in &mut c {
        *v = luma + (*v - luma) * gain;
    }
    if let Some(degrees) = a.hue {
        c = rotate_hue(c, f32::from(degrees));
    }
    for (out, v) in rgb.iter_mut().zip(c) {
        *out = (v * 255.0).round().clamp(0.0, 255.0) as u8;
    }
}

/// Rec. 709 luma of gamma-encoded RGB in [0, 1].
pub(super) fn luma([r, g, b]: [f32; 3]) -> f32 {
    0.2126 * r + 0.7152 * g + 0.0722 * b
}

/// Turns the chroma about the grey axis by `degrees`, keeping luma (a rotation in the plane
/// of the two colour-difference signals).
fn rotate_hue(c: [f32; 3], degrees: f32) -> [f32; 3] {
    let y = luma(c);
    let (cb, cr) = (c[2] - y, c[0] - y);
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cb, cr) = (cb * cos - cr * sin, cb * sin + cr * cos);
    let (r, b) = (y + cr, y + cb);
    // Green follows from luma staying as it was.
    let g = (y - 0.2126 * r - 0.0722 * b) / 0.7152;
    [r, g, b]
}

pub(super) fn srgb_to_linear(v: f32) -> f32 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

pub(super) fn linear_to_srgb(v: f32) -> f32 {
    if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

#[cfg(test)]
mod tests;
