//! Finding the border `trim` cuts: edge rows and columns are peeled off while they match the
//! mode's test, from each side in turn; `trim-pad` then widens (or narrows) what is left. An
//! image that is all border keeps its size.

use image::{DynamicImage, RgbaImage};

use crate::transform::{Colour, Rect, Trim, TrimMode};

/// The part of `image` (upright, full size) that `trim` keeps.
pub fn find(image: &DynamicImage, trim: &Trim) -> Rect {
    let has_alpha = image.color().has_alpha();
    let rgba = image.to_rgba8();
    let (w, h) = rgba.dimensions();
    let corner = rgba.get_pixel(0, 0).0;
    let colour = |colour: Option<Colour>, tolerance| Test::Colour {
        target: colour.map_or(corner, rgba_of),
        tolerance,
    };
    let test = match trim.mode {
        TrimMode::Auto {
            mean_difference,
            deviation,
        } => Test::Quiet {
            corner,
            mean_difference,
            deviation,
        },
        TrimMode::Colour {
            colour: c,
            tolerance,
        } => colour(c, tolerance),
        TrimMode::Alpha { threshold } => Test::Alpha { threshold },
        TrimMode::ColourUnlessAlpha { threshold, .. } if has_alpha => Test::Alpha { threshold },
        TrimMode::ColourUnlessAlpha {
            colour: c,
            tolerance,
            ..
        } => colour(c, tolerance),
    };
    let (mut top, mut bottom, mut left, mut right) = (0, h, 0, w);
    while top < bottom && test.passes(&row(&rgba, top, left, right)) {
        top += 1;
    }
    while bottom > top && test.passes(&row(&rgba, bottom - 1, left, right)) {
        bottom -= 1;
    }
    while left < right && test.passes(&column(&rgba, left, top, bottom)) {
        left += 1;
    }
    while right > left && test.passes(&column(&rgba, right - 1, top, bottom)) {
        right -= 1;
    }
    if top >= bottom || left >= right {
        return Rect {
            x: 0,
            y: 0,
            width: w,
            height: h,
        };
    }
    let pad = i64::from(trim.pad);
    let grow = |lo: u32, hi: u32, size: u32| {
        let lo = (i64::from(lo) - pad).clamp(0, i64::from(size) - 1);
        let hi = (i64::from(hi) + pad).clamp(lo + 1, i64::from(size));
        (lo as u32, hi as u32)
    };
    let (left, right) = grow(left, right, w);
    let (top, bottom) = grow(top, bottom, h);
    Rect {
        x: left,
        y: top,
        width: right - left,
        height: bottom - top,
    }
}

/// What an edge row or column must be to be cut.
enum Test {
    Quiet {
        corner: [u8; 4],
        mean_difference: f32,
        deviation: f32,
    },
    Colour {
        target: [u8; 4],
        tolerance: f32,
    },
    Alpha {
        threshold: f32,
    },
}

impl Test {
    fn passes(&self, line: &[[u8; 4]]) -> bool {
        match *self {
            Test::Quiet {
                corner,
                mean_difference,
                deviation,
            } => quiet(line, corner, mean_difference, deviation),
            Test::Colour { target, tolerance } => {
                line.iter().all(|p| within(*p, target, tolerance))
            }
            Test::Alpha { threshold } => line.iter().all(|p| f32::from(p[3]) <= threshold),
        }
    }
}

fn rgba_of(c: Colour) -> [u8; 4] {
    [c.r, c.g, c.b, c.a]
}

fn row(image: &RgbaImage, y: u32, x0: u32, x1: u32) -> Vec<[u8; 4]> {
    (x0..x1).map(|x| image.get_pixel(x, y).0).collect()
}

fn column(image: &RgbaImage, x: u32, y0: u32, y1: u32) -> Vec<[u8; 4]> {
    (y0..y1).map(|y| image.get_pixel(x, y).0).collect()
}

/// Every colour channel within `tolerance` levels of `target`'s.
fn within(p: [u8; 4], target: [u8; 4], tolerance: f32) -> bool {
    (0..3).all(|i| f32::from(p[i].abs_diff(target[i])) <= tolerance)
}

/// `trim=auto`'s test: the line differs from the corner colour by at most `md` levels on
/// average (largest channel difference per pixel) and its luma varies by at most `sd`.
fn quiet(line: &[[u8; 4]], corner: [u8; 4], md: f32, sd: f32) -> bool {
    let n = line.len().max(1) as f32;
    let difference: f32 = line
        .iter()
        .map(|p| (0..3).map(|i| p[i].abs_diff(corner[i])).max().unwrap_or(0) as f32)
        .sum::<f32>()
        / n;
    let lumas: Vec<f32> = line
        .iter()
        .map(|p| 0.2126 * f32::from(p[0]) + 0.7152 * f32::from(p[1]) + 0.0722 * f32::from(p[2]))
        .collect();
    let mean = lumas.iter().sum::<f32>() / n;
    let variance = lumas.iter().map(|l| (l - mean) * (l - mean)).sum::<f32>() / n;
    difference <= md && variance.sqrt() <= sd
}

#[cfg(test)]
mod tests {
    use image::{Rgba, RgbaImage};

    use super::*;

    /// A 60×40 white image with a 20×10 red block at (15, 12) and a dark pixel of noise in
    /// the white border at (2, 30).
    fn framed_block(noise: bool) -> DynamicImage {
        let mut image = RgbaImage::from_pixel(60, 40, Rgba([255, 255, 255, 255]));
        for y in 12..22 {
            for x in 15..35 {
                image.put_pixel(x, y, Rgba([200, 0, 0, 255]));
            }
        }
        if noise {
            image.put_pixel(2, 30, Rgba([240, 240, 240, 255]));
        }
        DynamicImage::ImageRgba8(image)
    }

    fn trim(mode: TrimMode, pad: i16) -> Trim {
        Trim { mode, pad }
    }

    fn colour(tolerance: f32) -> TrimMode {
        TrimMode::Colour {
            colour: None,
            tolerance,
        }
    }

    #[test]
    fn a_uniform_frame_is_cut_to_what_it_surrounds() {
        let block = Rect {
            x: 15,
            y: 12,
            width: 20,
            height: 10,
        };
        assert_eq!(find(&framed_block(false), &trim(colour(0.0), 0)), block);
        let auto = TrimMode::Auto {
            mean_difference: 11.0,
            deviation: 10.0,
        };
        assert_eq!(
            find(&framed_block(true), &trim(auto, 0)),
            block,
            "noise is tolerated"
        );
    }

    #[test]
    fn tolerance_and_padding_move_the_cut() {
        // Without tolerance the noise pixel stops the cut at its column and row.
        let strict = find(&framed_block(true), &trim(colour(0.0), 0));
        assert_eq!((strict.x, strict.y + strict.height), (2, 31));
        let tolerant = find(&framed_block(true), &trim(colour(20.0), 0));
        assert_eq!((tolerant.x, tolerant.width), (15, 20));
        let padded = find(&framed_block(false), &trim(colour(0.0), 5));
        assert_eq!(
            (padded.x, padded.y, padded.width, padded.height),
            (10, 7, 30, 20)
        );
        let narrowed = find(&framed_block(false), &trim(colour(0.0), -2));
        assert_eq!((narrowed.width, narrowed.height), (16, 6));
    }

    #[test]
    fn alpha_trims_transparency_and_an_all_border_image_stays_whole() {
        let mut image = RgbaImage::from_pixel(30, 30, Rgba([0, 0, 0, 0]));
        image.put_pixel(10, 20, Rgba([9, 9, 9, 255]));
        let found = find(
            &DynamicImage::ImageRgba8(image),
            &trim(TrimMode::Alpha { threshold: 0.0 }, 0),
        );
        assert_eq!(
            (found.x, found.y, found.width, found.height),
            (10, 20, 1, 1)
        );
        let blank = DynamicImage::ImageRgba8(RgbaImage::from_pixel(8, 8, Rgba([1, 2, 3, 255])));
        let whole = find(&blank, &trim(colour(0.0), 0));
        assert_eq!((whole.width, whole.height), (8, 8));
    }
}
