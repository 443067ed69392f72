//! Pixel operations after the resize: blur, sharpen, padding, alpha flattening, and the
//! entropy search that positions `crop=entropy` windows.

use image::{DynamicImage, GenericImageView, GrayImage, Rgba, RgbaImage, imageops};

use super::geometry::Window;
use crate::transform::Colour;

/// imgix's blur scale runs to 2000; a Gaussian sigma of blur/20 px gives a comparable look
/// (blur=100 softens, blur=2000 leaves only colour fields).
const BLUR_PER_SIGMA: f32 = 20.0;

pub fn adjust(image: DynamicImage, blur: Option<u16>, sharpen: Option<u8>) -> DynamicImage {
    let mut image = image;
    if let Some(b) = blur {
        image = super::blur::gaussian(image, f32::from(b) / BLUR_PER_SIGMA);
    }
    if let Some(s) = sharpen {
        image = unsharp(image, f32::from(s) / 50.0, SHARPEN_SIGMA);
    }
    image
}

/// `sharp` is an unsharp mask of this Gaussian sigma, in px.
const SHARPEN_SIGMA: f32 = 1.0;

/// Unsharp mask: `out = in + amount × (in − gaussian(in, sigma))`; a negative `amount` softens.
/// Alpha is left alone.
pub fn unsharp(image: DynamicImage, amount: f32, sigma: f32) -> DynamicImage {
    let blurred = image.blur(sigma);
    let blurred = blurred.as_bytes();
    match image {
        DynamicImage::ImageLuma8(mut img) => {
            sharpen_channels(img.as_mut(), blurred, 1, amount);
            DynamicImage::ImageLuma8(img)
        }
        DynamicImage::ImageRgb8(mut img) => {
            sharpen_channels(img.as_mut(), blurred, 3, amount);
            DynamicImage::ImageRgb8(img)
        }
        DynamicImage::ImageRgba8(mut img) => {
            sharpen_channels(img.as_mut(), blurred, 4, amount);
            DynamicImage::ImageRgba8(img)
        }
        other => other,
    }
}

fn sharpen_channels(pixels: &mut [u8], blurred: &[u8], channels: usize, amount: f32) {
    for (i, (px, b)) in pixels.iter_mut().zip(blurred).enumerate() {
        if channels == 4 && i % 4 == 3 {
            continue;
        }
        let v = f32::from(*px) + amount * (f32::from(*px) - f32::from(*b));
        *px = v.round().clamp(0.0, 255.0) as u8;
    }
}

/// `fp-debug`: a red cross, one pixel wide across the whole image, through `at` (output
/// pixels; a point outside the image draws only the lines that cross it).
pub fn cross(image: DynamicImage, at: (f64, f64)) -> DynamicImage {
    let had_alpha = image.color().has_alpha();
    let mut rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    let red = Rgba([255, 0, 0, 255]);
    let (x, y) = (at.0.floor(), at.1.floor());
    if (0.0..f64::from(w)).contains(&x) {
        for row in 0..h {
            rgba.put_pixel(x as u32, row, red);
        }
    }
    if (0.0..f64::from(h)).contains(&y) {
        for column in 0..w {
            rgba.put_pixel(column, y as u32, red);
        }
    }
    let image = DynamicImage::ImageRgba8(rgba);
    if had_alpha {
        image
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    }
}

/// NeuQuant's sampling factor: 10 is the `gif` crate's balance of speed and quality.
const QUANTIZER_SPEED: i32 = 10;

/// `colorquant`: at most `colours` (2–256) distinct colours, chosen by NeuQuant over the
/// image's pixels (alpha included) and each pixel mapped to the nearest.
pub fn quantize(image: DynamicImage, colours: u16) -> DynamicImage {
    let had_alpha = image.color().has_alpha();
    let mut rgba = image.into_rgba8();
    let quantizer =
        color_quant::NeuQuant::new(QUANTIZER_SPEED, usize::from(colours), rgba.as_raw());
    let palette = quantizer.color_map_rgba();
    for p in rgba.pixels_mut() {
        let i = quantizer.index_of(&p.0) * 4;
        if let Some(entry) = palette.get(i..i + 4) {
            p.0.copy_from_slice(entry);
        }
    }
    let image = DynamicImage::ImageRgba8(rgba);
    if had_alpha {
        image
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    }
}

/// Places `image` at `offset` on a `canvas` filled with `fill`.
pub fn pad(
    image: DynamicImage,
    canvas: (u32, u32),
    offset: (u32, u32),
    fill: Colour,
) -> DynamicImage {
    let colour = Rgba([fill.r, fill.g, fill.b, fill.a]);
    let mut out = RgbaImage::from_pixel(canvas.0, canvas.1, colour);
    imageops::overlay(
        &mut out,
        &image.to_rgba8(),
        i64::from(offset.0),
        i64::from(offset.1),
    );
    if fill.a == 255 && !image.color().has_alpha() {
        DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(out).to_rgb8())
    } else {
        DynamicImage::ImageRgba8(out)
    }
}

/// Composites onto an opaque `bg` (its alpha is ignored: JPEG has no transparency).
pub fn flatten(image: DynamicImage, bg: Colour) -> DynamicImage {
    let rgba = image.to_rgba8();
    let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
    for (dst, src) in rgb.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(src[3]);
        let mix = |c: u8, b: u8| ((u32::from(c) * a + u32::from(b) * (255 - a) + 127) / 255) as u8;
        dst.0 = [mix(src[0], bg.r), mix(src[1], bg.g), mix(src[2], bg.b)];
    }
    DynamicImage::ImageRgb8(rgb)
}

/// How busy a part of the picture is.
#[derive(Debug, Clone, Copy)]
pub enum Busyness {
    /// The Shannon entropy of its luminance histogram (`crop=entropy`).
    Entropy,
    /// Its mean edge strength: absolute luminance differences to the right and below
    /// (`crop=edges`).
    Detail,
}

/// Slides `window` along the axis where it has room and returns the busiest position.
pub fn busiest_window(image: &DynamicImage, window: Window, busyness: Busyness) -> Window {
    const STEPS: u32 = 16;
    let grey = image.to_luma8();
    let spare_x = f64::from(grey.width()) - window.width;
    let spare_y = f64::from(grey.height()) - window.height;
    if spare_x < 1.0 && spare_y < 1.0 {
        return window;
    }
    let mut best = (f64::MIN, window);
    for step in 0..=STEPS {
        let share = f64::from(step) / f64::from(STEPS);
        let candidate = Window {
            x: if spare_x >= 1.0 {
                spare_x * share
            } else {
                window.x
            },
            y: if spare_y >= 1.0 {
                spare_y * share
            } else {
                window.y
            },
            ..window
        };
        let score = match busyness {
            Busyness::Entropy => entropy(&grey, &candidate),
            Busyness::Detail => detail(&grey, &candidate),
        };
        if score > best.0 {
            best = (score, candidate);
        }
    }
    best.1
}

fn detail(grey: &GrayImage, w: &Window) -> f64 {
    let (x0, y0) = (w.x as u32, w.y as u32);
    let x1 = (x0 + w.width as u32).min(grey.width());
    let y1 = (y0 + w.height as u32).min(grey.height());
    let (mut sum, mut n) = (0u64, 0u64);
    for y in y0..y1.saturating_sub(1) {
        for x in x0..x1.saturating_sub(1) {
            let here = i32::from(grey.get_pixel(x, y)[0]);
            let right = i32::from(grey.get_pixel(x + 1, y)[0]);
            let below = i32::from(grey.get_pixel(x, y + 1)[0]);
            sum += ((here - right).unsigned_abs() + (here - below).unsigned_abs()) as u64;
            n += 1;
        }
    }
    if n == 0 { 0.0 } else { sum as f64 / n as f64 }
}

fn entropy(grey: &GrayImage, w: &Window) -> f64 {
    let (x0, y0) = (w.x as u32, w.y as u32);
    let (ww, wh) = (w.width as u32, w.height as u32);
    let view = grey.view(
        x0,
        y0,
        ww.min(grey.width() - x0),
        wh.min(grey.height() - y0),
    );
    // Every pixel would be exact but slow on large sources; a stride of ~1/256 of the side
    // keeps the estimate stable.
    let stride = (view.width().max(view.height()) / 256).max(1) as usize;
    let mut histogram = [0u32; 256];
    let mut total = 0u32;
    for (x, y, px) in view.pixels() {
        if (x as usize).is_multiple_of(stride) && (y as usize).is_multiple_of(stride) {
            histogram[usize::from(px[0])] += 1;
            total += 1;
        }
    }
    let total = f64::from(total.max(1));
    histogram
        .iter()
        .filter(|c| **c > 0)
        .map(|&c| {
            let p = f64::from(c) / total;
            -p * p.log2()
        })
        .sum()
}
