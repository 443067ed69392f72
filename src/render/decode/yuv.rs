//! YUV → 8-bit RGB for decoded AV1 pictures: the CICP matrices AVIF files use, limited or full
//! range, 8/10/12-bit samples, and bilinear chroma upsampling with centred chroma (libavif's
//! default: each chroma sample sits in the middle of the luma samples it covers, weights
//! 9/3/3/1). Pure arithmetic: no colour management, which `colour` does on the result.

use super::av1::{Av1Picture, Layout, Plane};
use crate::render::RenderError;

/// How luma and chroma combine into R, G and B.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Matrix {
    /// CICP 0: the planes are G, B, R (4:4:4 only).
    Identity,
    /// CICP 8.
    YCgCo,
    /// Y = kr·R + (1 − kr − kb)·G + kb·B, with Cb and Cr scaled to ±0.5.
    Luma { kr: f32, kb: f32 },
}

impl Matrix {
    pub const BT601: Matrix = Matrix::Luma {
        kr: 0.299,
        kb: 0.114,
    };

    /// The matrix of a CICP `matrix_coefficients` code; `None` for ones not implemented
    /// (BT.2020 constant luminance, SMPTE 2085, chromaticity-derived, ICtCp).
    /// 2 (unspecified) is read as BT.601, as libavif does.
    pub fn from_cicp(code: u8) -> Option<Matrix> {
        let luma = |kr, kb| Some(Matrix::Luma { kr, kb });
        match code {
            0 => Some(Matrix::Identity),
            1 => luma(0.2126, 0.0722),
            2 | 5 | 6 => Some(Matrix::BT601),
            4 => luma(0.30, 0.11),
            7 => luma(0.212, 0.087),
            8 => Some(Matrix::YCgCo),
            9 => luma(0.2627, 0.0593),
            _ => None,
        }
    }
}

/// Maps samples of one bit depth and range onto luma in [0, 1] and chroma in [−0.5, 0.5].
#[derive(Debug, Clone, Copy)]
struct Range {
    luma_offset: f32,
    luma_scale: f32,
    chroma_offset: f32,
    chroma_scale: f32,
}

impl Range {
    fn new(bit_depth: u8, full_range: bool) -> Range {
        let max = f32::from((1u16 << bit_depth) - 1);
        let half = f32::from(1u16 << (bit_depth - 1));
        if full_range {
            Range {
                luma_offset: 0.0,
                luma_scale: 1.0 / max,
                chroma_offset: half,
                chroma_scale: 1.0 / max,
            }
        } else {
            let unit = f32::from(1u16 << (bit_depth - 8));
            Range {
                luma_offset: 16.0 * unit,
                luma_scale: 1.0 / (219.0 * unit),
                chroma_offset: 128.0 * unit,
                chroma_scale: 1.0 / (224.0 * unit),
            }
        }
    }

    fn luma(&self, sample: f32) -> f32 {
        (sample - self.luma_offset) * self.luma_scale
    }

    fn chroma(&self, sample: f32) -> f32 {
        (sample - self.chroma_offset) * self.chroma_scale
    }
}

/// Writes the picture's colours as 8-bit R, G, B into the first three bytes of every
/// `channels`-byte pixel of `out` (`width * height * channels` bytes, `channels` 3 or 4).
/// A monochrome picture becomes grey.
pub fn write_rgb(
    picture: &Av1Picture,
    matrix: Matrix,
    full_range: bool,
    out: &mut [u8],
    channels: usize,
) -> Result<(), RenderError> {
    let (w, h) = (picture.width as usize, picture.height as usize);
    if channels < 3 || out.len() != w * h * channels || picture.luma.samples.len() != w * h {
        return Err(RenderError::Internal("YUV conversion: buffer sizes".into()));
    }
    let range = Range::new(picture.bit_depth, full_range);
    let Some([cb, cr]) = &picture.chroma else {
        for (pixel, &y) in out.chunks_exact_mut(channels).zip(&picture.luma.samples) {
            pixel[..3].fill(to_u8(range.luma(f32::from(y))));
        }
        return Ok(());
    };
    if matrix == Matrix::Identity && picture.layout != Layout::Yuv444 {
        return Err(RenderError::Corrupt(
            "identity matrix with subsampled chroma".into(),
        ));
    }
    let (sx, sy) = picture.layout.chroma_shift();
    let chroma_size = (
        picture.width.div_ceil(1 << sx),
        picture.height.div_ceil(1 << sy),
    );
    for plane in [cb, cr] {
        let (cw, ch) = (plane.width as usize, plane.height as usize);
        if (plane.width, plane.height) != chroma_size || plane.samples.len() != cw * ch {
            return Err(RenderError::Internal(
                "YUV conversion: chroma plane size".into(),
            ));
        }
    }
    let columns: Vec<(usize, usize)> = (0..w).map(|x| taps(x, sx, cb.width)).collect();
    for (y, row) in out.chunks_exact_mut(w * channels).enumerate() {
        let (near, far) = taps(y, sy, cb.height);
        let luma = &picture.luma.samples[y * w..(y + 1) * w];
        let chroma = |plane: &Plane, x: usize| {
            let (xn, xf) = columns[x];
            let at = |r: usize, c: usize| u32::from(plane.samples[r * plane.width as usize + c]);
            let sum = 3 * (3 * at(near, xn) + at(near, xf)) + (3 * at(far, xn) + at(far, xf));
            sum as f32 / 16.0
        };
        for (x, pixel) in row.chunks_exact_mut(channels).enumerate() {
            let rgb = combine(
                matrix,
                &range,
                f32::from(luma[x]),
                chroma(cb, x),
                chroma(cr, x),
            );
            for (out, value) in pixel.iter_mut().zip(rgb) {
                *out = to_u8(value);
            }
        }
    }
    Ok(())
}

/// The near and far chroma sample for luma position `i` along an axis subsampled by
/// `2^shift`, with `n` chroma samples; equal when the axis is not subsampled.
fn taps(i: usize, shift: u32, n: u32) -> (usize, usize) {
    let last = n as usize - 1;
    if shift == 0 {
        let i = i.min(last);
        return (i, i);
    }
    let near = (i >> 1).min(last);
    let far = if i & 1 == 1 {
        (near + 1).min(last)
    } else {
        near.saturating_sub(1)
    };
    (near, far)
}

/// R, G, B in [0, 1] (before clamping) from one luma and two (upsampled) chroma samples.
fn combine(matrix: Matrix, range: &Range, y: f32, cb: f32, cr: f32) -> [f32; 3] {
    match matrix {
        // The three planes carry G, B and R, all at luma range.
        Matrix::Identity => [range.luma(cr), range.luma(y), range.luma(cb)],
        Matrix::YCgCo => {
            let (y, cg, co) = (range.luma(y), range.chroma(cb), range.chroma(cr));
            let t = y - cg;
            [t + co, y + cg, t - co]
        }
        Matrix::Luma { kr, kb } => {
            let (y, cb, cr) = (range.luma(y), range.chroma(cb), range.chroma(cr));
            let kg = 1.0 - kr - kb;
            let r = y + 2.0 * (1.0 - kr) * cr;
            let b = y + 2.0 * (1.0 - kb) * cb;
            let g = y - (2.0 * kr * (1.0 - kr) * cr + 2.0 * kb * (1.0 - kb) * cb) / kg;
            [r, g, b]
        }
    }
}

fn to_u8(value: f32) -> u8 {
    (value.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

/// Writes the alpha plane (the luma of an auxiliary picture) as 8 bits into the last byte of
/// every 4-byte pixel of `out`. Alpha is full range unless the picture says otherwise.
pub fn write_alpha(
    alpha: &Av1Picture,
    full_range: bool,
    out: &mut [u8],
) -> Result<(), RenderError> {
    if out.len() != alpha.luma.samples.len() * 4 {
        return Err(RenderError::Internal(
            "alpha conversion: buffer sizes".into(),
        ));
    }
    let range = Range::new(alpha.bit_depth, full_range);
    for (pixel, &a) in out.chunks_exact_mut(4).zip(&alpha.luma.samples) {
        pixel[3] = to_u8(range.luma(f32::from(a)));
    }
    Ok(())
}

/// Undoes premultiplied alpha in RGBA pixels (colour = colour · 255 / alpha, rounded).
pub fn unpremultiply(rgba: &mut [u8]) {
    for pixel in rgba.chunks_exact_mut(4) {
        let a = u32::from(pixel[3]);
        if a == 0 || a == 255 {
            continue;
        }
        for c in &mut pixel[..3] {
            *c = ((u32::from(*c) * 255 + a / 2) / a).min(255) as u8;
        }
    }
}

/// The grey levels of a monochrome picture (or the luma of any picture), 8 bits.
pub fn grey(picture: &Av1Picture, full_range: bool) -> Vec<u8> {
    let range = Range::new(picture.bit_depth, full_range);
    picture
        .luma
        .samples
        .iter()
        .map(|&y| to_u8(range.luma(f32::from(y))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(width: u32, height: u32, samples: Vec<u16>) -> Plane {
        Plane {
            width,
            height,
            samples,
        }
    }

    /// A 2×2 picture: the given luma, one chroma sample (4:2:0) of value `cb`, `cr`.
    fn picture_420(bit_depth: u8, luma: [u16; 4], cb: u16, cr: u16) -> Av1Picture {
        Av1Picture {
            width: 2,
            height: 2,
            bit_depth,
            layout: Layout::Yuv420,
            luma: plane(2, 2, luma.to_vec()),
            chroma: Some([plane(1, 1, vec![cb]), plane(1, 1, vec![cr])]),
            matrix: 6,
            full_range: false,
        }
    }

    fn rgb(picture: &Av1Picture, matrix: Matrix, full_range: bool) -> Vec<u8> {
        let mut out = vec![0; (picture.width * picture.height * 3) as usize];
        write_rgb(picture, matrix, full_range, &mut out, 3).unwrap();
        out
    }

    #[test]
    fn limited_range_black_and_white_reach_0_and_255() {
        let p = picture_420(8, [16, 235, 16, 235], 128, 128);
        assert_eq!(
            rgb(&p, Matrix::BT601, false),
            [0, 0, 0, 255, 255, 255].repeat(2)
        );
    }

    #[test]
    fn neutral_chroma_stays_grey_for_every_matrix_and_depth() {
        for code in [1, 2, 5, 6, 9] {
            let matrix = Matrix::from_cicp(code).unwrap();
            for (depth, y, mid) in [(8, 128, 128), (10, 512, 512), (12, 2048, 2048)] {
                let p = picture_420(depth, [y; 4], mid, mid);
                let out = rgb(&p, matrix, true);
                assert!(
                    out.chunks(3).all(|px| px[0] == px[1] && px[1] == px[2]),
                    "matrix {code}, depth {depth}: {out:?}"
                );
                assert_eq!(out[0], 128, "matrix {code}, depth {depth}");
            }
        }
    }

    #[test]
    fn ten_and_twelve_bit_full_scale_is_255() {
        for depth in [10, 12] {
            let max = (1u16 << depth) - 1;
            let mid = 1u16 << (depth - 1);
            let p = picture_420(depth, [max, 0, max, 0], mid, mid);
            assert_eq!(
                rgb(&p, Matrix::BT601, true),
                [255, 255, 255, 0, 0, 0].repeat(2)
            );
        }
    }

    #[test]
    fn bt601_full_range_red_is_red() {
        // Pure red through BT.601 full range: Y = 0.299, Cb = −0.1687, Cr = 0.5.
        let y = (0.299f32 * 255.0).round() as u16;
        let cb = (128.0 - 0.168_736f32 * 255.0).round() as u16;
        let p = picture_420(8, [y; 4], cb, 255);
        for px in rgb(&p, Matrix::BT601, true).chunks(3) {
            assert!(px[0] >= 253 && px[1] <= 2 && px[2] <= 2, "{px:?}");
        }
    }

    #[test]
    fn identity_matrix_reads_planes_as_gbr() {
        let p = Av1Picture {
            width: 1,
            height: 1,
            bit_depth: 8,
            layout: Layout::Yuv444,
            luma: plane(1, 1, vec![10]),
            chroma: Some([plane(1, 1, vec![20]), plane(1, 1, vec![30])]),
            matrix: 0,
            full_range: true,
        };
        assert_eq!(rgb(&p, Matrix::Identity, true), [30, 10, 20]);
    }

    #[test]
    fn chroma_is_upsampled_bilinearly_with_centred_siting() {
        // 4 luma columns, 2 chroma columns: Cr 128 then 228. Inner luma columns blend 3:1.
        let p = Av1Picture {
            width: 4,
            height: 1,
            bit_depth: 8,
            layout: Layout::Yuv422,
            luma: plane(4, 1, vec![128; 4]),
            chroma: Some([plane(2, 1, vec![128, 128]), plane(2, 1, vec![128, 228])]),
            matrix: 6,
            full_range: true,
        };
        let reds: Vec<u8> = rgb(&p, Matrix::BT601, true)
            .chunks(3)
            .map(|px| px[0])
            .collect();
        assert_eq!(reds[0], 128);
        assert!(
            reds[0] < reds[1] && reds[1] < reds[2] && reds[2] < reds[3],
            "{reds:?}"
        );
        assert_eq!(reds[3], 255);
    }

    #[test]
    fn monochrome_is_grey() {
        let p = Av1Picture {
            width: 2,
            height: 1,
            bit_depth: 10,
            layout: Layout::Monochrome,
            luma: plane(2, 1, vec![64, 940]),
            chroma: None,
            matrix: 2,
            full_range: false,
        };
        assert_eq!(grey(&p, false), [0, 255]);
        assert_eq!(rgb(&p, Matrix::BT601, false), [0, 0, 0, 255, 255, 255]);
    }

    #[test]
    fn limited_range_alpha_and_unpremultiply() {
        let alpha = Av1Picture {
            width: 2,
            height: 1,
            bit_depth: 8,
            layout: Layout::Monochrome,
            luma: plane(2, 1, vec![16, 235]),
            chroma: None,
            matrix: 2,
            full_range: false,
        };
        let mut rgba = [9, 9, 9, 0, 9, 9, 9, 0];
        write_alpha(&alpha, false, &mut rgba).unwrap();
        assert_eq!(rgba, [9, 9, 9, 0, 9, 9, 9, 255]);
        let mut premultiplied = [50, 100, 0, 128, 0, 0, 0, 0, 7, 8, 9, 255];
        unpremultiply(&mut premultiplied);
        assert_eq!(premultiplied, [100, 199, 0, 128, 0, 0, 0, 0, 7, 8, 9, 255]);
    }

    #[test]
    fn unsupported_matrices_are_refused() {
        for code in [3, 10, 11, 12, 13, 14, 15, 255] {
            assert_eq!(Matrix::from_cicp(code), None, "{code}");
        }
    }
}
