//! Shape masks on the canvas (after `fit=fill` padding, before the frame): outside the ellipse
//! or the rounded corners the image becomes transparent, or `mask-bg` when given. Edges are
//! anti-aliased by sampling boundary pixels 4×4 times.

use image::{DynamicImage, RgbaImage};

use super::frame::round_outer;
use crate::transform::{Colour, Mask, MaskShape};

const SAMPLES: u32 = 4;

/// Cuts `image` to `mask`'s shape; corner radii × `dpr`.
pub fn apply(image: DynamicImage, mask: &Mask, dpr: f32) -> DynamicImage {
    let mut rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    match mask.shape {
        MaskShape::Ellipse => ellipse(&mut rgba),
        MaskShape::Corners(radii) => {
            let radii = match radii {
                Some(r) => r.map(|v| (v as f32 * dpr).round() as u32),
                None => [w.min(h) / 10; 4],
            };
            round_outer(&mut rgba, radii);
        }
    }
    if let Some(bg) = mask.background {
        over(&mut rgba, bg);
    }
    DynamicImage::ImageRgba8(rgba)
}

/// Scales each pixel's alpha by its share inside the inscribed ellipse.
fn ellipse(image: &mut RgbaImage) {
    let (w, h) = image.dimensions();
    let (a, b) = (w as f32 / 2.0, h as f32 / 2.0);
    // How far (in the ellipse's normalised radius) a pixel's corners can be from its centre.
    let margin = (1.0 / a).max(1.0 / b) * 1.5;
    let inside = |x: f32, y: f32| {
        let (dx, dy) = ((x - a) / a, (y - b) / b);
        dx * dx + dy * dy
    };
    for (x, y, p) in image.enumerate_pixels_mut() {
        let r = inside(x as f32 + 0.5, y as f32 + 0.5).sqrt();
        let share = if r < 1.0 - margin {
            continue;
        } else if r > 1.0 + margin {
            0.0
        } else {
            let mut hits = 0;
            for sy in 0..SAMPLES {
                for sx in 0..SAMPLES {
                    let px = x as f32 + (sx as f32 + 0.5) / SAMPLES as f32;
                    let py = y as f32 + (sy as f32 + 0.5) / SAMPLES as f32;
                    if inside(px, py) <= 1.0 {
                        hits += 1;
                    }
                }
            }
            hits as f32 / (SAMPLES * SAMPLES) as f32
        };
        p[3] = (f32::from(p[3]) * share).round() as u8;
    }
}

/// Composites every pixel over `bg` (the cut-away part takes its colour).
fn over(image: &mut RgbaImage, bg: Colour) {
    let back = [bg.r, bg.g, bg.b].map(f32::from);
    let back_alpha = f32::from(bg.a) / 255.0;
    for p in image.pixels_mut() {
        let a = f32::from(p[3]) / 255.0;
        let out_alpha = a + back_alpha * (1.0 - a);
        if out_alpha <= 0.0 {
            continue;
        }
        for i in 0..3 {
            let v = (f32::from(p[i]) * a + back[i] * back_alpha * (1.0 - a)) / out_alpha;
            p[i] = v.round().clamp(0.0, 255.0) as u8;
        }
        p[3] = (out_alpha * 255.0).round() as u8;
    }
}

#[cfg(test)]
mod tests {
    use image::{Rgba, RgbaImage};

    use super::*;

    fn blue(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgba8(RgbaImage::from_pixel(w, h, Rgba([0, 0, 255, 255])))
    }

    #[test]
    fn an_ellipse_leaves_the_corners_transparent_and_the_middle_whole() {
        let mask = Mask {
            shape: MaskShape::Ellipse,
            background: None,
        };
        let out = apply(blue(60, 40), &mask, 1.0).into_rgba8();
        for (x, y) in [(0, 0), (59, 0), (59, 39), (0, 39), (5, 5)] {
            assert_eq!(out.get_pixel(x, y)[3], 0, "({x}, {y})");
        }
        for (x, y) in [(30, 20), (2, 20), (30, 1)] {
            assert_eq!(out.get_pixel(x, y)[3], 255, "({x}, {y})");
        }
        assert!(out.pixels().any(|p| p[3] > 0 && p[3] < 255), "anti-aliased");
    }

    #[test]
    fn corners_round_by_the_radius_and_mask_bg_fills_what_is_cut() {
        let mask = Mask {
            shape: MaskShape::Corners(Some([8; 4])),
            background: Some(Colour::WHITE),
        };
        let out = apply(blue(40, 40), &mask, 1.0).into_rgba8();
        assert_eq!(out.get_pixel(0, 0).0, [255, 255, 255, 255]);
        assert_eq!(out.get_pixel(8, 0).0, [0, 0, 255, 255]);
        assert_eq!(out.get_pixel(20, 20).0, [0, 0, 255, 255]);
        let default = Mask {
            shape: MaskShape::Corners(None),
            background: None,
        };
        let out = apply(blue(100, 50), &default, 1.0).into_rgba8();
        assert_eq!(
            out.get_pixel(0, 0)[3],
            0,
            "a tenth of the shorter side: 5 px"
        );
        assert_eq!(out.get_pixel(5, 0)[3], 255);
    }
}
