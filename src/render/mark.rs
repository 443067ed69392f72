//! The watermark: another image, sized by `mark-w`/`mark-h` (with `mark-fit`) or
//! `mark-scale`, faded by `mark-alpha`, turned by `mark-rot`, and laid over the rendered image
//! where `mark-align` (or `mark-x`/`mark-y`) puts it, `mark-pad` from the edges, or repeated
//! over all of it (`mark-tile=grid`). Sizes in px are multiplied by `dpr`, like every other
//! size.

use std::borrow::Cow;

use image::{DynamicImage, RgbaImage, imageops};

use super::geometry::Window;
use super::{Limits, RenderError, decode, resize};
use crate::transform::{Dimension, Mark, MarkAlign, MarkFit};

/// A layer's pixels (the mark's, a blended image's), decoded once per render (every frame
/// of an animation reuses them). Its errors name the parameter.
pub fn decode_layer(
    bytes: &[u8],
    name: &'static str,
    limits: &Limits,
) -> Result<RgbaImage, RenderError> {
    let named = |e: RenderError| RenderError::Parameter {
        name,
        reason: format!("the {name}: {e}"),
    };
    let header = decode::header(bytes, limits.max_source_pixels).map_err(named)?;
    let max_alloc = limits.max_source_pixels.saturating_mul(8);
    let decoded = decode::decode(bytes, &header, decode::Scale::FULL, max_alloc, &limits.av1)
        .map_err(named)?;
    Ok(decoded.image.into_rgba8())
}

/// `base` with `mark` (its decoded pixels `pixels`) drawn over it.
pub fn draw(
    base: DynamicImage,
    pixels: &RgbaImage,
    mark: &Mark,
    dpr: f32,
) -> Result<DynamicImage, RenderError> {
    let (bw, bh) = (base.width(), base.height());
    let px = |v: u32| (v as f32 * dpr).round() as u32;
    let too_small =
        mark.min_width.is_some_and(|w| bw < px(w)) || mark.min_height.is_some_and(|h| bh < px(h));
    if too_small || pixels.width() == 0 || pixels.height() == 0 {
        return Ok(base);
    }
    let sizing = Sizing {
        scale: mark.scale,
        width: mark.width,
        height: mark.height,
        fit: mark.fit,
        gravity: (MarkAlign::Middle, MarkAlign::Middle),
    };
    let mut sized = size(pixels, &sizing, (bw, bh), dpr)?;
    if mark.alpha < 100 {
        let share = f32::from(mark.alpha) / 100.0;
        for p in sized.pixels_mut() {
            p[3] = (f32::from(p[3]) * share).round() as u8;
        }
    }
    if let Some(degrees) = mark.rotation {
        sized = rotate(&sized, degrees);
    }
    let (mw, mh) = sized.dimensions();
    let opaque = !base.color().has_alpha();
    let mut canvas = base.into_rgba8();
    if mark.tiled {
        // A grid from the top-left corner, `mark-pad` around and between the copies.
        let pad = px(mark.pad);
        let (step_x, step_y) = ((mw + pad).max(1) as usize, (mh + pad).max(1) as usize);
        for y in (pad..bh).step_by(step_y) {
            for x in (pad..bw).step_by(step_x) {
                imageops::overlay(&mut canvas, &sized, i64::from(x), i64::from(y));
            }
        }
    } else {
        let pad = px(mark.pad);
        let x = place(mark.x.map(px), mark.horizontal, pad, bw, mw);
        let y = place(mark.y.map(px), mark.vertical, pad, bh, mh);
        imageops::overlay(&mut canvas, &sized, x, y);
    }
    Ok(as_base(canvas, opaque))
}

/// Where a layer `size` long starts on a side `base` long: at `given` px, else aligned
/// `pad` px from the edge it is aligned to (centred ignores the padding).
pub(super) fn place(given: Option<u32>, align: MarkAlign, pad: u32, base: u32, size: u32) -> i64 {
    let room = i64::from(base) - i64::from(size);
    match (given, align) {
        (Some(at), _) => i64::from(at),
        (None, MarkAlign::Start) => i64::from(pad),
        (None, MarkAlign::Middle) => room / 2,
        (None, MarkAlign::End) => room - i64::from(pad),
    }
}

/// A layered canvas back in the base's layout: RGB when the base had no alpha (the layers
/// over an opaque image leave it opaque).
pub(super) fn as_base(canvas: RgbaImage, opaque: bool) -> DynamicImage {
    if opaque {
        DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(canvas).into_rgb8())
    } else {
        DynamicImage::ImageRgba8(canvas)
    }
}

/// How a layer (a mark, a blended image) is sized against the image it goes on.
pub(super) struct Sizing {
    /// Its width as a percentage of the image's.
    pub scale: Option<u8>,
    pub width: Option<Dimension>,
    pub height: Option<Dimension>,
    pub fit: MarkFit,
    /// What `crop` keeps: (vertical, horizontal).
    pub gravity: (MarkAlign, MarkAlign),
}

/// A layer at its drawn size: `scale` of the base's width, else the `width`×`height` box met
/// by `fit`, else its own size (× `dpr`).
pub(super) fn size(
    pixels: &RgbaImage,
    mark: &Sizing,
    (bw, bh): (u32, u32),
    dpr: f32,
) -> Result<RgbaImage, RenderError> {
    let (nw, nh) = (f64::from(pixels.width()), f64::from(pixels.height()));
    let side = |d: Dimension, base: u32| match d {
        Dimension::Pixels(p) => f64::from(p) * f64::from(dpr),
        Dimension::Fraction(f) => f64::from(f) * f64::from(base),
    };
    let whole = Window {
        x: 0.0,
        y: 0.0,
        width: nw,
        height: nh,
    };
    let (window, out, canvas) = if let Some(scale) = mark.scale {
        let w = f64::from(bw) * f64::from(scale) / 100.0;
        (whole, (w, w * nh / nw), None)
    } else {
        match (
            mark.width.map(|w| side(w, bw)),
            mark.height.map(|h| side(h, bh)),
        ) {
            (None, None) => (whole, (nw * f64::from(dpr), nh * f64::from(dpr)), None),
            (Some(w), None) => (whole, (w, w * nh / nw), None),
            (None, Some(h)) => (whole, (h * nw / nh, h), None),
            (Some(w), Some(h)) => fitted(whole, (w, h), mark.fit, mark.gravity),
        }
    };
    let round = |v: f64| (v.round().max(1.0).min(f64::from(u32::MAX))) as u32;
    let size = (round(out.0), round(out.1));
    let resized = resize::resize(
        Cow::Owned(DynamicImage::ImageRgba8(pixels.clone())),
        window,
        size,
    )?
    .into_rgba8();
    Ok(match canvas {
        // `fill`: the fitted mark centred on a see-through box.
        Some((cw, ch)) => {
            let mut boxed = RgbaImage::new(round(cw), round(ch));
            let x = (i64::from(boxed.width()) - i64::from(size.0)) / 2;
            let y = (i64::from(boxed.height()) - i64::from(size.1)) / 2;
            imageops::replace(&mut boxed, &resized, x, y);
            boxed
        }
        None => resized,
    })
}

/// `image` turned `degrees` clockwise about its centre, on a see-through canvas just large
/// enough, sampled bilinearly with alpha weighting (no dark fringes).
fn rotate(image: &RgbaImage, degrees: f32) -> RgbaImage {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let (sin, cos) = degrees.to_radians().sin_cos();
    // The slack keeps a quarter turn's float error from adding a column.
    let side = |v: f32| ((v - 1e-3).ceil().max(1.0)) as u32;
    let (ow, oh) = (
        side(w * cos.abs() + h * sin.abs()),
        side(w * sin.abs() + h * cos.abs()),
    );
    let (cx, cy) = (ow as f32 / 2.0, oh as f32 / 2.0);
    RgbaImage::from_fn(ow, oh, |x, y| {
        let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
        // The inverse turn, back into the source's pixel-centre coordinates.
        let sx = dx * cos + dy * sin + w / 2.0 - 0.5;
        let sy = -dx * sin + dy * cos + h / 2.0 - 0.5;
        bilinear(image, sx, sy)
    })
}

/// The source sampled at (x, y) between pixel centres; outside it is transparent.
fn bilinear(image: &RgbaImage, x: f32, y: f32) -> image::Rgba<u8> {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let mut sum = [0f32; 4];
    for (ox, oy, weight) in [
        (0, 0, (1.0 - fx) * (1.0 - fy)),
        (1, 0, fx * (1.0 - fy)),
        (0, 1, (1.0 - fx) * fy),
        (1, 1, fx * fy),
    ] {
        let (px, py) = (x0 as i64 + ox, y0 as i64 + oy);
        if px < 0 || py < 0 || px >= i64::from(image.width()) || py >= i64::from(image.height()) {
            continue;
        }
        let p = image.get_pixel(px as u32, py as u32).0;
        let alpha = f32::from(p[3]) * weight;
        for c in 0..3 {
            sum[c] += f32::from(p[c]) * alpha;
        }
        sum[3] += alpha;
    }
    if sum[3] <= 0.0 {
        return image::Rgba([0, 0, 0, 0]);
    }
    let colour = |c: usize| (sum[c] / sum[3]).round().clamp(0.0, 255.0) as u8;
    image::Rgba([
        colour(0),
        colour(1),
        colour(2),
        sum[3].round().clamp(0.0, 255.0) as u8,
    ])
}

/// A `w`×`h` box met by `fit`: the part of the mark kept, its drawn size, and for `fill` the
/// box it is centred in.
fn fitted(
    whole: Window,
    (w, h): (f64, f64),
    fit: MarkFit,
    gravity: (MarkAlign, MarkAlign),
) -> (Window, (f64, f64), Option<(f64, f64)>) {
    let (nw, nh) = (whole.width, whole.height);
    let inside = (w / nw).min(h / nh);
    match fit {
        MarkFit::Clip => (whole, (nw * inside, nh * inside), None),
        MarkFit::Max => {
            let k = inside.min(1.0);
            (whole, (nw * k, nh * k), None)
        }
        MarkFit::Scale => (whole, (w, h), None),
        MarkFit::Fill => (whole, (nw * inside, nh * inside), Some((w, h))),
        MarkFit::Crop => {
            let cover = (w / nw).max(h / nh);
            let (cw, ch) = (w / cover, h / cover);
            let share = |a: MarkAlign| match a {
                MarkAlign::Start => 0.0,
                MarkAlign::Middle => 0.5,
                MarkAlign::End => 1.0,
            };
            let window = Window {
                x: (nw - cw) * share(gravity.1),
                y: (nh - ch) * share(gravity.0),
                width: cw,
                height: ch,
            };
            (window, (w, h), None)
        }
    }
}
