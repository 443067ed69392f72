//! The frame around the finished image: padding (in `bg`, transparent or white by default),
//! then the border in its colour, with rounded outer corners (`border-radius`, transparent
//! outside) and rounded inner corners (`border-radius-inner`, the border's colour filling
//! them), then the stroke, a square ring around all of it. Edges of the rounding are
//! anti-aliased by sampling each pixel 4×4 times.

use image::{DynamicImage, Rgba, RgbaImage, imageops};

use super::geometry::Plan;
use crate::transform::{Colour, Corners, Frame};

/// Samples per pixel side for the coverage of a rounded corner.
const SAMPLES: u32 = 4;

/// Draws `frame` around `image` (the canvas of `plan`), sizes × `dpr`. `pad_fill` is the
/// padding's colour.
pub fn draw(
    image: DynamicImage,
    plan: &Plan,
    frame: &Frame,
    dpr: f32,
    pad_fill: Colour,
) -> DynamicImage {
    let scale = |v: u32| (v as f32 * dpr).round() as u32;
    // The plan's frame includes the stroke: the rest is drawn inside it.
    let stroke = frame.stroke.map_or(0, |(width, _)| scale(width));
    let [top, _, _, left] = plan.frame.map(|side| side.saturating_sub(stroke));
    let (width, height) = (
        plan.outer.0.saturating_sub(2 * stroke),
        plan.outer.1.saturating_sub(2 * stroke),
    );
    let (border, colour) = match frame.border {
        Some((sides, colour)) => (sides.map(scale), colour),
        None => ([0; 4], pad_fill),
    };
    let mut out = RgbaImage::from_pixel(width, height, rgba(colour));
    // The padding's area: everything inside the border.
    let inner = Rect {
        x: border[3],
        y: border[0],
        width: width.saturating_sub(border[1] + border[3]),
        height: height.saturating_sub(border[0] + border[2]),
    };
    fill(&mut out, inner, rgba(pad_fill));
    imageops::overlay(&mut out, &image.to_rgba8(), i64::from(left), i64::from(top));
    if frame.border.is_some() {
        round_inner(&mut out, inner, frame.radius_inner.map(scale), rgba(colour));
        round_outer(&mut out, frame.radius.map(scale));
    }
    if let Some((_, colour)) = frame.stroke {
        let mut ringed = RgbaImage::from_pixel(plan.outer.0, plan.outer.1, rgba(colour));
        imageops::replace(&mut ringed, &out, i64::from(stroke), i64::from(stroke));
        out = ringed;
    }
    if out.pixels().all(|p| p[3] == 255) {
        DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(out).into_rgb8())
    } else {
        DynamicImage::ImageRgba8(out)
    }
}

/// A rectangle of output pixels.
#[derive(Debug, Clone, Copy)]
struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

fn rgba(c: Colour) -> Rgba<u8> {
    Rgba([c.r, c.g, c.b, c.a])
}

fn fill(image: &mut RgbaImage, r: Rect, colour: Rgba<u8>) {
    for y in r.y..r.y + r.height {
        for x in r.x..r.x + r.width {
            image.put_pixel(x, y, colour);
        }
    }
}

/// The outer corners: outside each quarter circle becomes transparent.
pub(super) fn round_outer(image: &mut RgbaImage, radii: Corners) {
    let (w, h) = image.dimensions();
    let whole = Rect {
        x: 0,
        y: 0,
        width: w,
        height: h,
    };
    for_each_corner_pixel(whole, radii, |x, y, outside| {
        let p = image.get_pixel_mut(x, y);
        p[3] = (f32::from(p[3]) * (1.0 - outside)).round() as u8;
    });
}

/// The inner corners: outside each quarter circle of the padding's area takes the border's
/// colour.
fn round_inner(image: &mut RgbaImage, inner: Rect, radii: Corners, colour: Rgba<u8>) {
    for_each_corner_pixel(inner, radii, |x, y, outside| {
        let p = image.get_pixel_mut(x, y);
        for i in 0..4 {
            let v = f32::from(p[i]) + (f32::from(colour[i]) - f32::from(p[i])) * outside;
            p[i] = v.round() as u8;
        }
    });
}

/// Calls `f(x, y, share outside the rounding)` for every pixel of `r`'s corner squares that
/// lies at least partly outside its corner's quarter circle (top-left, top-right,
/// bottom-right, bottom-left radii; each at most half the shorter side).
fn for_each_corner_pixel(r: Rect, radii: Corners, mut f: impl FnMut(u32, u32, f32)) {
    let limit = r.width.min(r.height) / 2;
    for (corner, radius) in radii.into_iter().enumerate() {
        let radius = radius.min(limit);
        if radius == 0 {
            continue;
        }
        let right = corner == 1 || corner == 2;
        let lower = corner >= 2;
        let x0 = if right { r.x + r.width - radius } else { r.x };
        let y0 = if lower { r.y + r.height - radius } else { r.y };
        // The circle's centre, in pixel coordinates (edges at whole numbers).
        let cx = if right {
            x0 as f32
        } else {
            (x0 + radius) as f32
        };
        let cy = if lower {
            y0 as f32
        } else {
            (y0 + radius) as f32
        };
        let rr = radius as f32 * radius as f32;
        for y in y0..y0 + radius {
            for x in x0..x0 + radius {
                let mut outside = 0;
                for sy in 0..SAMPLES {
                    for sx in 0..SAMPLES {
                        let px = x as f32 + (sx as f32 + 0.5) / SAMPLES as f32;
                        let py = y as f32 + (sy as f32 + 0.5) / SAMPLES as f32;
                        let (dx, dy) = (px - cx, py - cy);
                        if dx * dx + dy * dy > rr {
                            outside += 1;
                        }
                    }
                }
                if outside > 0 {
                    f(x, y, outside as f32 / (SAMPLES * SAMPLES) as f32);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
