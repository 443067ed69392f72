//! What paints the padding `fit=fill`/`fillmax` create: one colour, a blurred enlargement of
//! the image, or a linear or radial gradient interpolated in sRGB, linear light or OKLab.

use image::{DynamicImage, Rgba, RgbaImage, imageops};

use super::adjustments::{linear_to_srgb, srgb_to_linear};
use super::effects;
use super::geometry::Plan;
use crate::transform::{Colour, Edge, Fill, GradientSpace, Length};

/// The blur of `fill=blur` is this share of the canvas' longer side (a Gaussian sigma): a
/// backdrop of colours, no detail.
const BLUR_SHARE: f32 = 1.0 / 40.0;

/// `image` (the resized picture) placed on its canvas, the rest painted as `fill` asks.
pub fn paint(image: DynamicImage, plan: &Plan, fill: &Fill, dpr: f32) -> DynamicImage {
    let (w, h) = plan.canvas;
    let backdrop = match *fill {
        Fill::Solid(colour) => return effects::pad(image, plan.canvas, plan.offset, colour),
        Fill::Blur => blurred_cover(&image, (w, h)),
        Fill::Linear {
            colours,
            from,
            space,
        } => RgbaImage::from_fn(w, h, |x, y| {
            let t = match from {
                Edge::Top => share(y, h),
                Edge::Bottom => 1.0 - share(y, h),
                Edge::Left => share(x, w),
                Edge::Right => 1.0 - share(x, w),
            };
            mix(colours, t, space)
        }),
        Fill::Radial {
            colours,
            radii,
            centre,
            space,
        } => {
            let shorter = w.min(h) as f32;
            let along = |l: Length, size: f32| match l {
                Length::Pixels(px) => px as f32 * dpr,
                Length::Share(s) => s * size,
            };
            let (cx, cy) = (along(centre.0, w as f32), along(centre.1, h as f32));
            let (inner, outer) = (along(radii.0, shorter), along(radii.1, shorter));
            RgbaImage::from_fn(w, h, |x, y| {
                let d = (x as f32 + 0.5 - cx).hypot(y as f32 + 0.5 - cy);
                let t = if outer > inner {
                    ((d - inner) / (outer - inner)).clamp(0.0, 1.0)
                } else if d <= inner {
                    0.0
                } else {
                    1.0
                };
                mix(colours, t, space)
            })
        }
    };
    let mut out = backdrop;
    let (x, y) = plan.offset;
    imageops::overlay(&mut out, &image.to_rgba8(), i64::from(x), i64::from(y));
    DynamicImage::ImageRgba8(out)
}

/// Position along `size` pixels as a share from the first pixel's centre to the last's.
fn share(at: u32, size: u32) -> f32 {
    if size <= 1 {
        0.0
    } else {
        at as f32 / (size - 1) as f32
    }
}

/// The image enlarged to cover `size` (centred) and blurred.
fn blurred_cover(image: &DynamicImage, (w, h): (u32, u32)) -> RgbaImage {
    let scale = (w as f32 / image.width() as f32).max(h as f32 / image.height() as f32);
    let cover = (
        ((image.width() as f32 * scale).ceil() as u32).max(w),
        ((image.height() as f32 * scale).ceil() as u32).max(h),
    );
    let enlarged = image.resize_exact(cover.0, cover.1, imageops::FilterType::Triangle);
    let (x, y) = ((cover.0 - w) / 2, (cover.1 - h) / 2);
    let cropped = enlarged.crop_imm(x, y, w, h);
    super::blur::gaussian(cropped, w.max(h) as f32 * BLUR_SHARE).into_rgba8()
}

/// The colour `t` of the way from the first colour to the second, in `space`.
fn mix((a, b): (Colour, Colour), t: f32, space: GradientSpace) -> Rgba<u8> {
    let channels = |c: Colour| [c.r, c.g, c.b].map(|v| f32::from(v) / 255.0);
    let (ca, cb) = (channels(a), channels(b));
    let lerp = |x: f32, y: f32| x + (y - x) * t;
    let rgb = match space {
        GradientSpace::Srgb => [0, 1, 2].map(|i| lerp(ca[i], cb[i])),
        GradientSpace::Linear => {
            [0, 1, 2].map(|i| linear_to_srgb(lerp(srgb_to_linear(ca[i]), srgb_to_linear(cb[i]))))
        }
        GradientSpace::Oklab => {
            let (la, lb) = (oklab(ca), oklab(cb));
            from_oklab([0, 1, 2].map(|i| lerp(la[i], lb[i])))
        }
    };
    let alpha = lerp(f32::from(a.a), f32::from(b.a));
    let [r, g, b] = rgb.map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8);
    Rgba([r, g, b, alpha.round().clamp(0.0, 255.0) as u8])
}

/// Gamma-encoded sRGB in [0, 1] to OKLab (Björn Ottosson, 2020).
fn oklab(c: [f32; 3]) -> [f32; 3] {
    let [r, g, b] = c.map(srgb_to_linear);
    let l = (0.412_221_46 * r + 0.536_332_55 * g + 0.051_445_995 * b).cbrt();
    let m = (0.211_903_5 * r + 0.680_699_5 * g + 0.107_396_96 * b).cbrt();
    let s = (0.088_302_46 * r + 0.281_718_85 * g + 0.629_978_7 * b).cbrt();
    [
        0.210_454_26 * l + 0.793_617_8 * m - 0.004_072_047 * s,
        1.977_998_5 * l - 2.428_592_2 * m + 0.450_593_7 * s,
        0.025_904_037 * l + 0.782_771_77 * m - 0.808_675_77 * s,
    ]
}

/// OKLab back to gamma-encoded sRGB in [0, 1].
fn from_oklab([l, a, b]: [f32; 3]) -> [f32; 3] {
    let l_ = (l + 0.396_337_78 * a + 0.215_803_76 * b).powi(3);
    let m_ = (l - 0.105_561_346 * a - 0.063_854_17 * b).powi(3);
    let s_ = (l - 0.089_484_18 * a - 1.291_485_5 * b).powi(3);
    [
        4.076_741_7 * l_ - 3.307_711_6 * m_ + 0.230_969_94 * s_,
        -1.268_438 * l_ + 2.609_757_4 * m_ - 0.341_319_38 * s_,
        -0.004_196_086_3 * l_ - 0.703_418_6 * m_ + 1.707_614_7 * s_,
    ]
    .map(|v| linear_to_srgb(v.clamp(0.0, 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLACK: Colour = Colour {
        r: 0,
        g: 0,
        b: 0,
        a: 255,
    };

    #[test]
    fn gradients_end_on_their_colours_and_spaces_differ_in_between() {
        for space in [
            GradientSpace::Srgb,
            GradientSpace::Linear,
            GradientSpace::Oklab,
        ] {
            assert_eq!(
                mix((BLACK, Colour::WHITE), 0.0, space).0,
                [0, 0, 0, 255],
                "{space:?}"
            );
            assert_eq!(
                mix((BLACK, Colour::WHITE), 1.0, space).0,
                [255; 4],
                "{space:?}"
            );
        }
        let mid = |space| mix((BLACK, Colour::WHITE), 0.5, space).0[0];
        assert_eq!(mid(GradientSpace::Srgb), 128);
        assert!(
            mid(GradientSpace::Linear) > 180,
            "linear light: {}",
            mid(GradientSpace::Linear)
        );
        // OKLab's lightness is perceptual: its middle is the grey that looks halfway, darker
        // than sRGB's numeric middle.
        let oklab_mid = mid(GradientSpace::Oklab);
        assert!(oklab_mid > 90 && oklab_mid < 110, "oklab: {oklab_mid}");
    }

    #[test]
    fn oklab_round_trips() {
        for c in [[0.2, 0.5, 0.9], [1.0, 0.0, 0.0], [0.5, 0.5, 0.5]] {
            let back = from_oklab(oklab(c));
            for (x, y) in c.iter().zip(back) {
                assert!((x - y).abs() < 0.002, "{c:?} → {back:?}");
            }
        }
    }
}
