//! `face-blur` and `face-pixel`: every face found, with a margin, blurred or cut into blocks on
//! the resized image. Privacy first: the margin covers what the detector's tight box leaves
//! out (hair, ears, jaw), and the weakest blur still removes the features.

use image::{DynamicImage, GenericImage, GenericImageView};

use super::Window;
use crate::render::{blur, stylize};
use crate::transform::Faces;

/// What is hidden around a face box, on every side, as a share of the box's longer side.
pub const MARGIN: f64 = 0.25;
/// The blur's sigma at `face-blur=1` and `=100`, as a share of the face box's longer side:
/// even the weakest leaves no eye or mouth to see (they are about a tenth of a face across).
const SIGMA_AT_1: f64 = 0.08;
const SIGMA_AT_100: f64 = 0.25;

/// Hides each face of `boxes` (in `image`'s pixels) as `faces` asks: blur, then blocks.
pub fn hide(mut image: DynamicImage, boxes: &[Window], faces: &Faces) -> DynamicImage {
    if !faces.hides() {
        return image;
    }
    for b in boxes {
        let side = b.width.max(b.height);
        let Some(region) = padded(b, side * MARGIN, (image.width(), image.height())) else {
            continue;
        };
        if let Some(strength) = faces.blur {
            let share = SIGMA_AT_1 + (SIGMA_AT_100 - SIGMA_AT_1) * f64::from(strength - 1) / 99.0;
            let sigma = (side * share).max(1.0);
            blur_region(&mut image, region, sigma);
        }
        if let Some(size) = faces.pixel {
            pixelate_region(&mut image, region, u32::from(size));
        }
    }
    image
}

/// `b` grown by `margin` on every side and cut to the image, as whole pixels
/// `(x0, y0, x1, y1)` that cover it; `None` when nothing is left.
fn padded(b: &Window, margin: f64, (w, h): (u32, u32)) -> Option<(u32, u32, u32, u32)> {
    let clamp = |v: f64, max: u32| v.clamp(0.0, f64::from(max)) as u32;
    let x0 = clamp((b.x - margin).floor(), w);
    let y0 = clamp((b.y - margin).floor(), h);
    let x1 = clamp((b.x + b.width + margin).ceil(), w);
    let y1 = clamp((b.y + b.height + margin).ceil(), h);
    (x1 > x0 && y1 > y0).then_some((x0, y0, x1, y1))
}

/// Blurs the region, reading the pixels around it (3 sigma) so its edges blend, and writes
/// back only the region.
fn blur_region(image: &mut DynamicImage, (x0, y0, x1, y1): (u32, u32, u32, u32), sigma: f64) {
    let reach = (sigma * 3.0).ceil() as u32;
    let (cx0, cy0) = (x0.saturating_sub(reach), y0.saturating_sub(reach));
    let cx1 = x1.saturating_add(reach).min(image.width());
    let cy1 = y1.saturating_add(reach).min(image.height());
    let context = image.crop_imm(cx0, cy0, cx1 - cx0, cy1 - cy0);
    let blurred = blur::gaussian(context, sigma as f32);
    let inner = blurred
        .view(x0 - cx0, y0 - cy0, x1 - x0, y1 - y0)
        .to_image();
    copy_back(image, DynamicImage::ImageRgba8(inner), (x0, y0));
}

/// Cuts the region into `size`×`size` blocks of their mean colour, from its top-left corner.
fn pixelate_region(image: &mut DynamicImage, (x0, y0, x1, y1): (u32, u32, u32, u32), size: u32) {
    let mut part = image.crop_imm(x0, y0, x1 - x0, y1 - y0).into_rgba8();
    stylize::pixelate(&mut part, size);
    copy_back(image, DynamicImage::ImageRgba8(part), (x0, y0));
}

fn copy_back(image: &mut DynamicImage, part: DynamicImage, (x, y): (u32, u32)) {
    // The part is cut from the image, so it always fits; its pixel type follows the image's.
    let part = match image {
        DynamicImage::ImageRgb8(_) => DynamicImage::ImageRgb8(part.into_rgb8()),
        DynamicImage::ImageLuma8(_) => DynamicImage::ImageLuma8(part.into_luma8()),
        DynamicImage::ImageLumaA8(_) => DynamicImage::ImageLumaA8(part.into_luma_alpha8()),
        _ => part,
    };
    if image.copy_from(&part, x, y).is_err() {
        // Only reachable if the region left the image, which `padded` rules out.
        debug_assert!(false, "face region outside the image");
    }
}

#[cfg(test)]
mod tests {
    use image::{Rgb, RgbImage};

    use super::*;

    fn checker(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
            Rgb([if (x + y) % 2 == 0 { 0 } else { 255 }; 3])
        }))
    }

    /// Sum of absolute differences between horizontal neighbours inside a region.
    fn energy(image: &DynamicImage, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> u64 {
        let rgb = image.to_rgb8();
        let mut sum = 0;
        for y in y0..y1 {
            for x in x0 + 1..x1 {
                sum += u64::from(rgb.get_pixel(x, y)[0].abs_diff(rgb.get_pixel(x - 1, y)[0]));
            }
        }
        sum
    }

    const FACE: Window = Window {
        x: 40.0,
        y: 40.0,
        width: 40.0,
        height: 40.0,
    };

    #[test]
    fn blur_flattens_the_box_and_its_margin_and_nothing_else() {
        let faces = Faces {
            blur: Some(1),
            ..Faces::default()
        };
        let before = checker(200, 200);
        let after = hide(before.clone(), &[FACE], &faces);
        // The margin: 10 px on each side of the 40 px box.
        let covered = (30, 30, 90, 90);
        assert!(energy(&after, covered) * 20 < energy(&before, covered));
        let outside = (120, 0, 200, 200);
        assert_eq!(energy(&after, outside), energy(&before, outside));
        assert_eq!(
            after.to_rgb8().get_pixel(29, 29),
            before.to_rgb8().get_pixel(29, 29)
        );
    }

    #[test]
    fn pixel_makes_blocks_from_the_margin_corner() {
        let faces = Faces {
            pixel: Some(10),
            ..Faces::default()
        };
        let after = hide(checker(200, 200), &[FACE], &faces).to_rgb8();
        for y in 30..90 {
            for x in 30..90 {
                let corner = after.get_pixel(30 + (x - 30) / 10 * 10, 30 + (y - 30) / 10 * 10);
                assert_eq!(after.get_pixel(x, y), corner, "({x}, {y})");
            }
        }
    }

    #[test]
    fn a_box_past_the_edge_is_cut_to_the_image() {
        let faces = Faces {
            blur: Some(100),
            pixel: Some(5),
            ..Faces::default()
        };
        let edge = Window {
            x: 180.0,
            y: -10.0,
            width: 50.0,
            height: 30.0,
        };
        let after = hide(checker(200, 100), &[edge], &faces);
        assert_eq!(after.dimensions(), (200, 100));
    }
}
