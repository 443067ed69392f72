//! BlurHash (Wolt's specification): a few cosine components of the image in linear light,
//! quantised into base 83 text.

use image::RgbImage;

/// The shorter side's component count; the longer side's grows with the aspect ratio.
const SHORT_SIDE_COMPONENTS: f64 = 3.0;
/// The format's limit per axis.
const MAX_COMPONENTS: u32 = 9;

/// Component counts for an image of `width`×`height`: 3 along the shorter side, and the
/// longer side's share of 3 × its ratio (4×3 for 4:3, 5×3 for 16:9, 3×3 square), at most 9.
pub fn components(width: u32, height: u32) -> (u32, u32) {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let long =
        |ratio: f64| ((SHORT_SIDE_COMPONENTS * ratio).round() as u32).clamp(3, MAX_COMPONENTS);
    if w >= h {
        (long(w / h), 3)
    } else {
        (3, long(h / w))
    }
}

/// The BlurHash of `image` with `nx`×`ny` components (each 1–9). The pixels are first
/// averaged, in linear light, into at most `side`×`side` cells: a few cosine components
/// cannot tell more, and the cost grows with pixels × components.
pub fn encode(image: &RgbImage, nx: u32, ny: u32, side: u32) -> String {
    let (linear, width, height) = linear_cells(image, side);
    let mut factors = Vec::with_capacity((nx * ny) as usize);
    for j in 0..ny {
        for i in 0..nx {
            factors.push(component(&linear, width, height, i, j));
        }
    }
    let dc = factors[0];
    let ac = &factors[1..];
    let mut out = String::with_capacity(4 + 2 * factors.len());
    push_base83(&mut out, u64::from((nx - 1) + (ny - 1) * 9), 1);
    let maximum = if ac.is_empty() {
        push_base83(&mut out, 0, 1);
        1.0
    } else {
        let actual = ac
            .iter()
            .flat_map(|f| f.iter())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        let quantised = ((actual * 166.0 - 0.5).floor() as i64).clamp(0, 82);
        push_base83(&mut out, quantised as u64, 1);
        (quantised as f64 + 1.0) / 166.0
    };
    let dc_value = dc.map(|c| u64::from(linear_to_srgb(c)));
    push_base83(
        &mut out,
        (dc_value[0] << 16) | (dc_value[1] << 8) | dc_value[2],
        4,
    );
    for f in ac {
        let q = f.map(|c| {
            let scaled = sign_pow(c / maximum, 0.5) * 9.0 + 9.5;
            (scaled.floor() as i64).clamp(0, 18) as u64
        });
        push_base83(&mut out, q[0] * 19 * 19 + q[1] * 19 + q[2], 2);
    }
    out
}

/// The mean of the image against the cosine basis (i, j), normalised as the format says (the
/// DC term is the plain mean).
fn component(linear: &[[f64; 3]], width: usize, height: usize, i: u32, j: u32) -> [f64; 3] {
    let norm = if i == 0 && j == 0 { 1.0 } else { 2.0 };
    let (fi, fj) = (f64::from(i), f64::from(j));
    let column: Vec<f64> = (0..width)
        .map(|x| (std::f64::consts::PI * fi * x as f64 / width as f64).cos())
        .collect();
    let mut sum = [0.0; 3];
    for y in 0..height {
        let row = (std::f64::consts::PI * fj * y as f64 / height as f64).cos();
        for (x, basis) in column.iter().enumerate() {
            let b = basis * row;
            let p = linear[y * width + x];
            for c in 0..3 {
                sum[c] += b * p[c];
            }
        }
    }
    let scale = norm / (width * height) as f64;
    sum.map(|s| s * scale)
}

/// The image in linear light, box-averaged down to fit `side`×`side` when larger.
fn linear_cells(image: &RgbImage, side: u32) -> (Vec<[f64; 3]>, usize, usize) {
    let (w, h) = (image.width().max(1), image.height().max(1));
    let scale = f64::from(side) / f64::from(w.max(h));
    let (cw, ch) = if scale < 1.0 {
        let cells = |n: u32| ((f64::from(n) * scale).round() as u32).clamp(1, side);
        (cells(w), cells(h))
    } else {
        (w, h)
    };
    let (cw, ch) = (cw as usize, ch as usize);
    let mut sums = vec![[0.0f64; 3]; cw * ch];
    let mut counts = vec![0u32; cw * ch];
    for (x, y, p) in image.enumerate_pixels() {
        let cx = x as usize * cw / w as usize;
        let cy = y as usize * ch / h as usize;
        let cell = cy * cw + cx;
        for (sum, v) in sums[cell].iter_mut().zip(p.0) {
            *sum += srgb_to_linear(v);
        }
        counts[cell] += 1;
    }
    let cells = sums
        .into_iter()
        .zip(counts)
        .map(|(sum, n)| sum.map(|s| s / f64::from(n.max(1))))
        .collect();
    (cells, cw, ch)
}

fn srgb_to_linear(v: u8) -> f64 {
    let v = f64::from(v) / 255.0;
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn linear_to_srgb(v: f64) -> u8 {
    let v = v.clamp(0.0, 1.0);
    let encoded = if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    };
    (encoded * 255.0 + 0.5) as u8
}

fn sign_pow(v: f64, exp: f64) -> f64 {
    v.abs().powf(exp).copysign(v)
}

const BASE83: &[u8; 83] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

fn push_base83(out: &mut String, value: u64, digits: u32) {
    for d in (0..digits).rev() {
        let digit = (value / 83u64.pow(d)) % 83;
        out.push(char::from(BASE83[digit as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_follow_the_aspect_ratio() {
        assert_eq!(components(400, 300), (4, 3));
        assert_eq!(components(300, 300), (3, 3));
        assert_eq!(components(1600, 900), (5, 3));
        assert_eq!(components(100, 1000), (3, 9));
        assert_eq!(components(1, 0), (3, 3));
    }

    #[test]
    fn a_flat_image_is_its_colour_and_no_detail() {
        let image = RgbImage::from_pixel(8, 6, image::Rgb([255, 0, 0]));
        let hash = encode(&image, 4, 3, 64);
        assert_eq!(hash.len(), 4 + 2 * 12);
        // Size flag for 4×3, then the DC term: sRGB #ff0000 in four base-83 digits.
        let dc: u64 = hash[2..6]
            .bytes()
            .map(|b| BASE83.iter().position(|&c| c == b).unwrap() as u64)
            .fold(0, |acc, d| acc * 83 + d);
        assert_eq!(dc, 0xff0000);
    }
}
