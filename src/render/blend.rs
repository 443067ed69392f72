//! `blend`: a colour over the whole image, or another image sized and placed like a mark,
//! mixed with the render by one of the sixteen modes of W3C Compositing and Blending Level 1
//! (the separable ones per channel; hue, saturation, color and luminosity on the spec's
//! luminosity 0.3/0.59/0.11), at `blend-alpha` of the layer's own opacity, then composited
//! source-over. Values are sRGB-encoded, as in browsers' `mix-blend-mode`.

use image::{DynamicImage, RgbaImage};

use super::RenderError;
use super::mark::{Sizing, as_base, place, size};
use crate::transform::{Blend, BlendLayer, BlendMode};

/// `base` with `blend` mixed in; `pixels` are the decoded image layer, when it is one.
pub fn apply(
    base: DynamicImage,
    blend: &Blend,
    pixels: Option<&RgbaImage>,
    dpr: f32,
) -> Result<DynamicImage, RenderError> {
    let opaque = !base.color().has_alpha();
    let mut canvas = base.into_rgba8();
    let (bw, bh) = canvas.dimensions();
    let opacity = f32::from(blend.alpha) / 100.0;
    match (&blend.layer, pixels) {
        (BlendLayer::Colour(c), _) => {
            let layer = [c.r, c.g, c.b, c.a];
            for p in canvas.pixels_mut() {
                p.0 = mix(p.0, layer, blend.mode, opacity);
            }
        }
        (BlendLayer::Image(_), Some(pixels)) => {
            let px = |v: u32| (v as f32 * dpr).round() as u32;
            let inherit = blend.inherit && blend.width.is_none() && blend.height.is_none();
            let sizing = Sizing {
                scale: None,
                // `blend-size=inherit`: the image's own size, met by `blend-fit`.
                width: if inherit {
                    Some(crate::transform::Dimension::Fraction(1.0))
                } else {
                    blend.width
                },
                height: if inherit {
                    Some(crate::transform::Dimension::Fraction(1.0))
                } else {
                    blend.height
                },
                fit: blend.fit,
                gravity: blend.crop,
            };
            let layer = size(pixels, &sizing, (bw, bh), dpr)?;
            let (lw, lh) = layer.dimensions();
            let pad = px(blend.pad);
            let x0 = place(blend.x.map(px), blend.align.1, pad, bw, lw);
            let y0 = place(blend.y.map(px), blend.align.0, pad, bh, lh);
            for (x, y, l) in layer.enumerate_pixels() {
                let (x, y) = (x0 + i64::from(x), y0 + i64::from(y));
                if x < 0 || y < 0 || x >= i64::from(bw) || y >= i64::from(bh) {
                    continue;
                }
                let p = canvas.get_pixel_mut(x as u32, y as u32);
                p.0 = mix(p.0, l.0, blend.mode, opacity);
            }
        }
        (BlendLayer::Image(_), None) => {
            return Err(RenderError::Internal(
                "a blend image was rendered without its bytes".into(),
            ));
        }
    }
    Ok(as_base(canvas, opaque))
}

/// One backdrop pixel `b` with the layer pixel `s` mixed in by `mode` at `opacity`.
pub fn mix(b: [u8; 4], s: [u8; 4], mode: BlendMode, opacity: f32) -> [u8; 4] {
    let unit = |v: u8| f32::from(v) / 255.0;
    let (ab, as_) = (unit(b[3]), unit(s[3]) * opacity);
    if as_ <= 0.0 {
        return b;
    }
    let cb = [unit(b[0]), unit(b[1]), unit(b[2])];
    let cs = [unit(s[0]), unit(s[1]), unit(s[2])];
    let mixed = blended(cb, cs, mode);
    let ao = as_ + ab * (1.0 - as_);
    let mut out = [0u8; 4];
    for c in 0..3 {
        // W3C: the source takes the blend where the backdrop is, then source-over.
        let source = (1.0 - ab) * cs[c] + ab * mixed[c];
        let premultiplied = as_ * source + (1.0 - as_) * ab * cb[c];
        out[c] = to_byte(premultiplied / ao);
    }
    out[3] = to_byte(ao);
    out
}

fn to_byte(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// B(cb, cs) for each mode.
fn blended(cb: [f32; 3], cs: [f32; 3], mode: BlendMode) -> [f32; 3] {
    let each = |f: fn(f32, f32) -> f32| [f(cb[0], cs[0]), f(cb[1], cs[1]), f(cb[2], cs[2])];
    match mode {
        BlendMode::Normal => cs,
        BlendMode::Multiply => each(|b, s| b * s),
        BlendMode::Screen => each(screen),
        BlendMode::Overlay => each(|b, s| hard_light(s, b)),
        BlendMode::Darken => each(f32::min),
        BlendMode::Lighten => each(f32::max),
        BlendMode::Dodge => each(|b, s| {
            if b == 0.0 {
                0.0
            } else if s >= 1.0 {
                1.0
            } else {
                (b / (1.0 - s)).min(1.0)
            }
        }),
        BlendMode::Burn => each(|b, s| {
            if b >= 1.0 {
                1.0
            } else if s <= 0.0 {
                0.0
            } else {
                1.0 - ((1.0 - b) / s).min(1.0)
            }
        }),
        BlendMode::HardLight => each(hard_light),
        BlendMode::SoftLight => each(soft_light),
        BlendMode::Difference => each(|b, s| (b - s).abs()),
        BlendMode::Exclusion => each(|b, s| b + s - 2.0 * b * s),
        BlendMode::Hue => set_lum(set_sat(cs, sat(cb)), lum(cb)),
        BlendMode::Saturation => set_lum(set_sat(cb, sat(cs)), lum(cb)),
        BlendMode::Color => set_lum(cs, lum(cb)),
        BlendMode::Luminosity => set_lum(cb, lum(cs)),
    }
}

fn screen(b: f32, s: f32) -> f32 {
    b + s - b * s
}

fn hard_light(b: f32, s: f32) -> f32 {
    if s <= 0.5 {
        b * 2.0 * s
    } else {
        screen(b, 2.0 * s - 1.0)
    }
}

fn soft_light(b: f32, s: f32) -> f32 {
    if s <= 0.5 {
        b - (1.0 - 2.0 * s) * b * (1.0 - b)
    } else {
        let d = if b <= 0.25 {
            ((16.0 * b - 12.0) * b + 4.0) * b
        } else {
            b.sqrt()
        };
        b + (2.0 * s - 1.0) * (d - b)
    }
}

fn lum(c: [f32; 3]) -> f32 {
    0.3 * c[0] + 0.59 * c[1] + 0.11 * c[2]
}

fn clip_colour(c: [f32; 3]) -> [f32; 3] {
    let l = lum(c);
    let n = c[0].min(c[1]).min(c[2]);
    let x = c[0].max(c[1]).max(c[2]);
    c.map(|v| {
        let mut v = v;
        if n < 0.0 {
            v = l + (v - l) * l / (l - n);
        }
        if x > 1.0 {
            v = l + (v - l) * (1.0 - l) / (x - l);
        }
        v
    })
}

fn set_lum(c: [f32; 3], l: f32) -> [f32; 3] {
    let d = l - lum(c);
    clip_colour(c.map(|v| v + d))
}

fn sat(c: [f32; 3]) -> f32 {
    c[0].max(c[1]).max(c[2]) - c[0].min(c[1]).min(c[2])
}

/// The spec's SetSat: the largest channel becomes `s`, the smallest 0, the middle in
/// proportion.
fn set_sat(c: [f32; 3], s: f32) -> [f32; 3] {
    let mut order = [0usize, 1, 2];
    order.sort_by(|a, b| c[*a].total_cmp(&c[*b]));
    let [min, mid, max] = order;
    let mut out = [0.0; 3];
    if c[max] > c[min] {
        out[mid] = (c[mid] - c[min]) * s / (c[max] - c[min]);
        out[max] = s;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_at_full_opacity_is_the_layer_and_at_zero_the_backdrop() {
        let b = [10, 20, 30, 255];
        let s = [200, 100, 50, 255];
        assert_eq!(mix(b, s, BlendMode::Normal, 1.0), s);
        assert_eq!(mix(b, s, BlendMode::Multiply, 0.0), b);
    }

    #[test]
    fn modes_meet_their_textbook_values() {
        let grey = [128, 128, 128, 255];
        let white = [255, 255, 255, 255];
        let black = [0, 0, 0, 255];
        assert_eq!(mix(grey, white, BlendMode::Multiply, 1.0), grey);
        assert_eq!(mix(grey, black, BlendMode::Screen, 1.0), grey);
        assert_eq!(mix(grey, grey, BlendMode::Difference, 1.0), black);
        assert_eq!(mix(white, grey, BlendMode::Exclusion, 1.0)[0], 127);
        // Luminosity of a grey on a colour keeps the colour's hue at the grey's lightness.
        let red = [255, 0, 0, 255];
        let out = mix(red, grey, BlendMode::Luminosity, 1.0);
        assert!(out[0] > out[1] && out[1] == out[2], "{out:?}");
        // Color of red on grey: red hue, the grey's luminosity.
        let out = mix(grey, red, BlendMode::Color, 1.0);
        let l =
            |p: [u8; 4]| 0.3 * f32::from(p[0]) + 0.59 * f32::from(p[1]) + 0.11 * f32::from(p[2]);
        assert!((l(out) - 128.0).abs() < 1.5, "{out:?}");
    }
}
