//! The golden suite's measuring instruments, written to be obviously correct rather than fast: a
//! separable Lanczos3 resampler in f64 (sRGB-space or linear-light, alpha premultiplied), SSIM
//! (Wang et al. 2004) on luma, and mean-colour shift. Depends on nothing of pixgate's.

use std::f64::consts::PI;

use image::{DynamicImage, RgbaImage};

/// Which values the resampler averages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    /// The gamma-encoded sRGB values themselves (what pixgate documents).
    Srgb,
    /// Linear light: decoded through the sRGB transfer function, averaged, re-encoded.
    Linear,
}

/// An RGBA picture of f64 samples in 0–1: sRGB-encoded colour, straight alpha, row-major.
#[derive(Debug, Clone)]
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<[f64; 4]>,
}

/// A source rectangle in pixels (fractional allowed): left, top, width, height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Picture {
    /// Every depth the decoder delivers (8 or 16 bits, grey or colour) at full precision.
    pub fn from_image(image: &DynamicImage) -> Picture {
        let rgba = image.to_rgba32f();
        let pixels = rgba
            .pixels()
            .map(|p| p.0.map(|v| f64::from(v).clamp(0.0, 1.0)))
            .collect();
        Picture {
            width: rgba.width() as usize,
            height: rgba.height() as usize,
            pixels,
        }
    }

    /// The whole picture as a window.
    pub fn whole(&self) -> Window {
        Window {
            x: 0.0,
            y: 0.0,
            width: self.width as f64,
            height: self.height as f64,
        }
    }

    /// Rounded to 8 bits per channel.
    pub fn to_rgba8(&self) -> RgbaImage {
        let raw = self
            .pixels
            .iter()
            .flat_map(|p| p.map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8))
            .collect();
        RgbaImage::from_raw(self.width as u32, self.height as u32, raw).expect("buffer size")
    }
}

/// `window` of `src` resampled to `size` with Lanczos3 (a = 3, support widened by the downscale
/// factor, weights normalised per output pixel, samples past the edge clamped to it), averaging
/// premultiplied values in `space`.
pub fn lanczos3(src: &Picture, window: Window, size: (usize, usize), space: Space) -> Picture {
    let premultiplied: Vec<[f64; 4]> = src
        .pixels
        .iter()
        .map(|&[r, g, b, a]| {
            let [r, g, b] = [r, g, b].map(|c| to_space(c, space) * a);
            [r, g, b, a]
        })
        .collect();
    let columns = taps(src.width, window.x, window.width, size.0);
    let rows = taps(src.height, window.y, window.height, size.1);

    let mut across = vec![[0.0; 4]; size.0 * src.height];
    for y in 0..src.height {
        for (x, weights) in columns.iter().enumerate() {
            across[y * size.0 + x] = weighted(
                weights
                    .iter()
                    .map(|&(i, w)| (premultiplied[y * src.width + i], w)),
            );
        }
    }
    let mut pixels = vec![[0.0; 4]; size.0 * size.1];
    for (y, weights) in rows.iter().enumerate() {
        for x in 0..size.0 {
            let [r, g, b, a] = weighted(weights.iter().map(|&(i, w)| (across[i * size.0 + x], w)));
            let a = a.clamp(0.0, 1.0);
            let straight = |c: f64| {
                if a > 0.0 {
                    from_space((c / a).clamp(0.0, 1.0), space)
                } else {
                    0.0
                }
            };
            pixels[y * size.0 + x] = [straight(r), straight(g), straight(b), a];
        }
    }
    Picture {
        width: size.0,
        height: size.1,
        pixels,
    }
}

fn weighted(samples: impl Iterator<Item = ([f64; 4], f64)>) -> [f64; 4] {
    let mut sum = [0.0; 4];
    for (pixel, w) in samples {
        for (s, v) in sum.iter_mut().zip(pixel) {
            *s += v * w;
        }
    }
    sum
}

/// For each of `out` output samples: the source indices (clamped into `0..len`) and normalised
/// weights covering the span `start..start + span` of a row or column.
fn taps(len: usize, start: f64, span: f64, out: usize) -> Vec<Vec<(usize, f64)>> {
    let scale = span / out as f64;
    let stretch = scale.max(1.0);
    let radius = 3.0 * stretch;
    (0..out)
        .map(|i| {
            let centre = start + (i as f64 + 0.5) * scale;
            let first = (centre - radius).floor() as i64;
            let last = (centre + radius).ceil() as i64;
            let mut weights: Vec<(usize, f64)> = (first..=last)
                .map(|j| {
                    let w = lanczos3_kernel((j as f64 + 0.5 - centre) / stretch);
                    (j.clamp(0, len as i64 - 1) as usize, w)
                })
                .filter(|&(_, w)| w != 0.0)
                .collect();
            let total: f64 = weights.iter().map(|&(_, w)| w).sum();
            for (_, w) in &mut weights {
                *w /= total;
            }
            weights
        })
        .collect()
}

/// sinc(t)·sinc(t/3) on |t| < 3, else 0.
fn lanczos3_kernel(t: f64) -> f64 {
    if t == 0.0 {
        1.0
    } else if t.abs() < 3.0 {
        let x = PI * t;
        3.0 * x.sin() * (x / 3.0).sin() / (x * x)
    } else {
        0.0
    }
}

fn to_space(encoded: f64, space: Space) -> f64 {
    match space {
        Space::Srgb => encoded,
        Space::Linear if encoded <= 0.04045 => encoded / 12.92,
        Space::Linear => ((encoded + 0.055) / 1.055).powf(2.4),
    }
}

fn from_space(value: f64, space: Space) -> f64 {
    match space {
        Space::Srgb => value,
        Space::Linear if value <= 0.003_130_8 => value * 12.92,
        Space::Linear => 1.055 * value.powf(1.0 / 2.4) - 0.055,
    }
}

/// `image` composited over the opaque colour `under` in sRGB values (as browsers do and as
/// JPEG flattening does).
pub fn over(image: &RgbaImage, under: [u8; 3]) -> RgbaImage {
    let mut out = image.clone();
    for p in out.pixels_mut() {
        let a = f64::from(p.0[3]) / 255.0;
        for (v, under) in p.0.iter_mut().zip(under) {
            *v = (f64::from(*v) * a + f64::from(under) * (1.0 - a)).round() as u8;
        }
        p.0[3] = 255;
    }
    out
}

/// BT.601 luma (0–255) of each pixel, alpha ignored: composite first with [`over`].
pub fn luma(image: &RgbaImage) -> Vec<f64> {
    image
        .pixels()
        .map(|p| {
            let [r, g, b, _] = p.0.map(f64::from);
            0.299 * r + 0.587 * g + 0.114 * b
        })
        .collect()
}

/// One channel (0 = red … 3 = alpha) as 0–255 values.
pub fn channel(image: &RgbaImage, c: usize) -> Vec<f64> {
    image.pixels().map(|p| f64::from(p.0[c])).collect()
}

/// Mean SSIM of the luma of two equally sized images.
pub fn ssim(a: &RgbaImage, b: &RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions(), "SSIM needs equal sizes");
    ssim_plane(&luma(a), &luma(b), a.width() as usize)
}

/// Mean SSIM of two planes of 0–255 values, `width` samples a row: Gaussian 11×11 window with
/// σ = 1.5 over every position where it fits, K1 = 0.01, K2 = 0.03, L = 255.
pub fn ssim_plane(a: &[f64], b: &[f64], width: usize) -> f64 {
    assert_eq!(a.len(), b.len());
    let height = a.len() / width;
    assert!(width >= 11 && height >= 11, "SSIM needs at least 11x11");
    let c1 = (0.01 * 255.0f64).powi(2);
    let c2 = (0.03 * 255.0f64).powi(2);
    let product = |f: &dyn Fn(f64, f64) -> f64| -> Vec<f64> {
        a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
    };
    let mean_a = blur(a, width);
    let mean_b = blur(b, width);
    let mean_aa = blur(&product(&|x, _| x * x), width);
    let mean_bb = blur(&product(&|_, y| y * y), width);
    let mean_ab = blur(&product(&|x, y| x * y), width);
    let mut total = 0.0;
    for i in 0..mean_a.len() {
        let (ma, mb) = (mean_a[i], mean_b[i]);
        let var_a = mean_aa[i] - ma * ma;
        let var_b = mean_bb[i] - mb * mb;
        let cov = mean_ab[i] - ma * mb;
        total += ((2.0 * ma * mb + c1) * (2.0 * cov + c2))
            / ((ma * ma + mb * mb + c1) * (var_a + var_b + c2));
    }
    total / mean_a.len() as f64
}

/// The plane filtered by the normalised 11-tap Gaussian (σ = 1.5) across and down, keeping only
/// positions where the window fits ("valid").
fn blur(plane: &[f64], width: usize) -> Vec<f64> {
    let kernel: Vec<f64> = (-5..=5i32)
        .map(|i| (-f64::from(i * i) / (2.0 * 1.5 * 1.5)).exp())
        .collect();
    let total: f64 = kernel.iter().sum();
    let kernel: Vec<f64> = kernel.iter().map(|k| k / total).collect();
    let height = plane.len() / width;
    let (out_w, out_h) = (width - 10, height - 10);
    let mut across = vec![0.0; out_w * height];
    for y in 0..height {
        for x in 0..out_w {
            across[y * out_w + x] = (0..11).map(|k| kernel[k] * plane[y * width + x + k]).sum();
        }
    }
    let mut out = vec![0.0; out_w * out_h];
    for y in 0..out_h {
        for x in 0..out_w {
            out[y * out_w + x] = (0..11)
                .map(|k| kernel[k] * across[(y + k) * out_w + x])
                .sum();
        }
    }
    out
}

/// The largest absolute difference of any channel of any pixel.
pub fn max_diff(a: &RgbaImage, b: &RgbaImage) -> u8 {
    assert_eq!(a.dimensions(), b.dimensions());
    a.as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0)
}

/// Mean and standard deviation of a plane.
pub fn mean_and_deviation(plane: &[f64]) -> (f64, f64) {
    let n = plane.len() as f64;
    let mean = plane.iter().sum::<f64>() / n;
    let variance = plane.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, variance.sqrt())
}
