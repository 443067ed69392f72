//! imgix's stylize effects on the resized pixels (8 bits per channel, alpha kept). The colour
//! ones — `monochrome`, `duotone`, `sepia`, in that order — run with the adjustments, before
//! `blur`/`sharp`; the texture ones — `htn`, then `px` — after them, so a blur softens colours
//! but never the halftone dots or the pixel blocks.

use image::{DynamicImage, Rgba, RgbaImage};

use super::adjustments::luma;
use crate::transform::{Colour, Stylize};

/// `monochrome`, `duotone` and `sepia`.
pub fn colour_effects(image: DynamicImage, s: &Stylize) -> DynamicImage {
    if s.monochrome.is_none() && s.duotone.is_none() && s.sepia.is_none() {
        return image;
    }
    map_pixels(image, |c| {
        let mut c = c;
        if let Some(tint) = s.monochrome {
            // Shades of the tint from black (luma 0) to the tint itself (luma 1); the tint's
            // alpha is how much of the original is replaced.
            let l = luma(c);
            let shade = [tint.r, tint.g, tint.b].map(|t| l * f32::from(t) / 255.0);
            c = mix(c, shade, f32::from(tint.a) / 255.0);
        }
        if let Some((dark, light, alpha)) = s.duotone {
            let l = luma(c);
            let tone = [0, 1, 2].map(|i| {
                let (d, h) = (channel(dark, i), channel(light, i));
                d + (h - d) * l
            });
            c = mix(c, tone, f32::from(alpha) / 100.0);
        }
        if let Some(amount) = s.sepia {
            let [r, g, b] = c;
            let tone = [
                0.393 * r + 0.769 * g + 0.189 * b,
                0.349 * r + 0.686 * g + 0.168 * b,
                0.272 * r + 0.534 * g + 0.131 * b,
            ];
            c = mix(c, tone, f32::from(amount) / 100.0);
        }
        c
    })
}

/// `htn`, then `px`.
pub fn texture_effects(image: DynamicImage, s: &Stylize) -> DynamicImage {
    if s.halftone.is_none() && s.pixelate.is_none() {
        return image;
    }
    let had_alpha = image.color().has_alpha();
    let mut rgba = image.into_rgba8();
    if let Some(v) = s.halftone {
        halftone(&mut rgba, 2 + u32::from(v) / 10);
    }
    if let Some(size) = s.pixelate {
        pixelate(&mut rgba, u32::from(size));
    }
    restore_layout(rgba, had_alpha)
}

/// Each `cell`×`cell` block (from the top-left corner) becomes a black dot on white whose area
/// is the block's darkness, the dot centred in the block: a black-and-white halftone screen.
fn halftone(image: &mut RgbaImage, cell: u32) {
    for (x0, y0, x1, y1) in blocks(image, cell) {
        let (mut sum, mut n) = (0.0, 0.0);
        for y in y0..y1 {
            for x in x0..x1 {
                let p = image.get_pixel(x, y).0;
                sum += luma([p[0], p[1], p[2]].map(|v| f32::from(v) / 255.0));
                n += 1.0;
            }
        }
        let darkness = 1.0 - sum / n;
        // The dot's area is `darkness` of the cell's: π r² = darkness × cell².
        let radius = cell as f32 * (darkness / std::f32::consts::PI).sqrt();
        let (cx, cy) = ((x0 + x1) as f32 / 2.0, (y0 + y1) as f32 / 2.0);
        for y in y0..y1 {
            for x in x0..x1 {
                let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
                let inside = dx * dx + dy * dy <= radius * radius;
                let level = if inside { 0 } else { 255 };
                let p = image.get_pixel_mut(x, y);
                *p = Rgba([level, level, level, p[3]]);
            }
        }
    }
}

/// Each `size`×`size` block (from the top-left corner; the last ones may be smaller) becomes
/// its mean colour and alpha.
pub(super) fn pixelate(image: &mut RgbaImage, size: u32) {
    for (x0, y0, x1, y1) in blocks(image, size) {
        let mut sum = [0u64; 4];
        for y in y0..y1 {
            for x in x0..x1 {
                for (s, v) in sum.iter_mut().zip(image.get_pixel(x, y).0) {
                    *s += u64::from(v);
                }
            }
        }
        let n = u64::from((x1 - x0) * (y1 - y0));
        let mean = Rgba(sum.map(|s| ((s + n / 2) / n) as u8));
        for y in y0..y1 {
            for x in x0..x1 {
                image.put_pixel(x, y, mean);
            }
        }
    }
}

/// The `size`×`size` blocks of `image` as `(x0, y0, x1, y1)`, edges clipped.
fn blocks(image: &RgbaImage, size: u32) -> Vec<(u32, u32, u32, u32)> {
    let (w, h) = image.dimensions();
    let size = size.max(1);
    let mut out = Vec::new();
    for y0 in (0..h).step_by(size as usize) {
        for x0 in (0..w).step_by(size as usize) {
            out.push((x0, y0, (x0 + size).min(w), (y0 + size).min(h)));
        }
    }
    out
}

/// Applies `f` to every pixel's colour (0–1 per channel), alpha kept.
fn map_pixels(image: DynamicImage, f: impl Fn([f32; 3]) -> [f32; 3]) -> DynamicImage {
    let had_alpha = image.color().has_alpha();
    let mut rgba = image.into_rgba8();
    for p in rgba.pixels_mut() {
        let c = f([p[0], p[1], p[2]].map(|v| f32::from(v) / 255.0));
        for (out, v) in p.0.iter_mut().zip(c) {
            *out = (v * 255.0).round().clamp(0.0, 255.0) as u8;
        }
    }
    restore_layout(rgba, had_alpha)
}

fn restore_layout(rgba: RgbaImage, had_alpha: bool) -> DynamicImage {
    let image = DynamicImage::ImageRgba8(rgba);
    if had_alpha {
        image
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    }
}

fn mix(from: [f32; 3], to: [f32; 3], amount: f32) -> [f32; 3] {
    [0, 1, 2].map(|i| from[i] + (to[i] - from[i]) * amount)
}

fn channel(c: Colour, i: usize) -> f32 {
    f32::from([c.r, c.g, c.b][i]) / 255.0
}

#[cfg(test)]
mod tests;
