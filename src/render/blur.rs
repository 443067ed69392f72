//! Gaussian blur for `blur` and `fill=blur`. Small sigmas get the exact separable Gaussian
//! (`image`'s `blur`, as cheap as the approximation there); larger ones three box blurs whose
//! widths add up to the Gaussian's variance (Wells; Kutskir), O(1) per pixel whatever the
//! radius. `image`'s own `fast_blur` rounds its box radii up to odd numbers, which widens a
//! σ 2 blur to σ 2.3 (image-rs/image#2858), so it is not used.

use image::DynamicImage;

/// Below this sigma the exact Gaussian is used: its kernel is still short, and three boxes
/// approximate small Gaussians coarsely.
const EXACT_BELOW: f32 = 7.0;

/// `image` blurred by a Gaussian of `sigma` px; edges extend the border pixels.
pub fn gaussian(image: DynamicImage, sigma: f32) -> DynamicImage {
    if sigma <= 0.0 {
        return image;
    }
    if sigma < EXACT_BELOW {
        return image.blur(sigma);
    }
    let radii = box_radii(sigma);
    match image {
        DynamicImage::ImageLuma8(mut img) => {
            let (w, h) = img.dimensions();
            boxes(img.as_mut(), w, h, 1, radii);
            DynamicImage::ImageLuma8(img)
        }
        DynamicImage::ImageRgb8(mut img) => {
            let (w, h) = img.dimensions();
            boxes(img.as_mut(), w, h, 3, radii);
            DynamicImage::ImageRgb8(img)
        }
        other => {
            let mut img = other.into_rgba8();
            let (w, h) = img.dimensions();
            boxes(img.as_mut(), w, h, 4, radii);
            DynamicImage::ImageRgba8(img)
        }
    }
}

/// The radii of three boxes whose variances add up to about sigma²: `m` boxes of the odd
/// width just below the ideal one, the rest two wider.
fn box_radii(sigma: f32) -> [usize; 3] {
    let n = 3.0f32;
    let variance = sigma * sigma;
    let ideal = (12.0 * variance / n + 1.0).sqrt();
    let mut lower = ideal.floor();
    if lower % 2.0 == 0.0 {
        lower -= 1.0;
    }
    let lower = lower.max(1.0);
    let m = ((12.0 * variance - n * lower * lower - 4.0 * n * lower - 3.0 * n)
        / (-4.0 * lower - 4.0))
        .round()
        .clamp(0.0, n) as usize;
    let radius = |width: f32| ((width - 1.0) / 2.0) as usize;
    let mut radii = [radius(lower + 2.0); 3];
    for r in radii.iter_mut().take(m) {
        *r = radius(lower);
    }
    radii
}

/// Three box blurs, each horizontal then vertical, over interleaved 8-bit samples.
fn boxes(samples: &mut [u8], width: u32, height: u32, channels: usize, radii: [usize; 3]) {
    let (w, h) = (width as usize, height as usize);
    let mut scratch = vec![0u8; samples.len()];
    for r in radii {
        box_pass(samples, &mut scratch, w, h, channels, r, Axis::Rows);
        box_pass(&scratch, samples, w, h, channels, r, Axis::Columns);
    }
}

#[derive(Clone, Copy)]
enum Axis {
    Rows,
    Columns,
}

/// One box of radius `r` along `axis`, from `src` into `dst`: a running sum over the window,
/// indices past an edge taking the edge pixel.
fn box_pass(src: &[u8], dst: &mut [u8], w: usize, h: usize, channels: usize, r: usize, axis: Axis) {
    // (lines, length of a line, step between neighbours, step between lines), in samples.
    let (lines, length, step, line_step) = match axis {
        Axis::Rows => (h, w, channels, w * channels),
        Axis::Columns => (w, h, w * channels, channels),
    };
    if length == 0 {
        return;
    }
    let window = (2 * r + 1) as u32;
    let last = length - 1;
    for line in 0..lines {
        for c in 0..channels {
            let base = line * line_step + c;
            let at = |i: usize| u32::from(src[base + i.min(last) * step]);
            // The window around 0, with the left edge repeated r times.
            let mut sum = at(0) * r as u32 + (0..=r).map(at).sum::<u32>();
            for i in 0..length {
                dst[base + i * step] = ((sum + window / 2) / window) as u8;
                let leaving = i.saturating_sub(r);
                sum = sum + at(i + r + 1) - at(leaving);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma};

    #[test]
    fn box_variances_add_up_to_sigma_squared() {
        for sigma in [7.0f32, 10.0, 25.0, 100.0] {
            let variance: f32 = box_radii(sigma)
                .iter()
                .map(|&r| {
                    let width = (2 * r + 1) as f32;
                    (width * width - 1.0) / 12.0
                })
                .sum();
            let error = (variance.sqrt() - sigma).abs() / sigma;
            assert!(
                error < 0.05,
                "sigma {sigma}: boxes give {}",
                variance.sqrt()
            );
        }
    }

    #[test]
    fn a_flat_image_stays_flat_and_an_impulse_spreads_symmetrically() {
        let flat = gaussian(
            DynamicImage::ImageLuma8(GrayImage::from_pixel(40, 30, Luma([90]))),
            10.0,
        );
        assert!(flat.to_luma8().pixels().all(|p| p.0[0] == 90));
        let mut impulse = GrayImage::new(81, 1);
        impulse.put_pixel(40, 0, Luma([255]));
        let blurred = gaussian(DynamicImage::ImageLuma8(impulse), 8.0).to_luma8();
        let row: Vec<u8> = blurred.pixels().map(|p| p.0[0]).collect();
        for d in 0..40 {
            assert_eq!(row[40 - d], row[40 + d], "symmetric at {d}");
        }
        assert!(row[40] > 0 && row[40] >= row[50] && row[50] >= row[60]);
    }
}
