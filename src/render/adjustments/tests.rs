use image::{Rgb, RgbImage, Rgba, RgbaImage};

use super::*;

/// Every RGB colour on a coarse grid, and greys: what the point operations must get right.
fn swatches() -> RgbImage {
    let steps = [0u8, 60, 128, 200, 255];
    let mut colours = Vec::new();
    for r in steps {
        for g in steps {
            for b in steps {
                colours.push([r, g, b]);
            }
        }
    }
    RgbImage::from_fn(colours.len() as u32, 1, |x, _| Rgb(colours[x as usize]))
}

fn adjusted(a: &Adjustments) -> RgbImage {
    apply(DynamicImage::ImageRgb8(swatches()), a).into_rgb8()
}

fn pairs(a: &Adjustments) -> Vec<([u8; 3], [u8; 3])> {
    swatches()
        .pixels()
        .zip(adjusted(a).pixels())
        .map(|(before, after)| (before.0, after.0))
        .collect()
}

fn luma8(c: [u8; 3]) -> f32 {
    luma([c[0], c[1], c[2]].map(|v| f32::from(v) / 255.0)) * 255.0
}

fn chroma(c: [u8; 3]) -> u8 {
    c.iter().max().unwrap() - c.iter().min().unwrap()
}

#[test]
fn nothing_asked_is_the_same_image() {
    assert_eq!(adjusted(&Adjustments::default()), swatches());
}

#[test]
fn sat_minus_100_leaves_no_chroma() {
    let a = Adjustments {
        saturation: Some(-100),
        ..Adjustments::default()
    };
    for (before, after) in pairs(&a) {
        assert_eq!(chroma(after), 0, "{before:?} → {after:?}");
        assert!(
            (f32::from(after[0]) - luma8(before)).abs() <= 1.0,
            "{before:?}"
        );
    }
}

#[test]
fn invert_is_255_minus_each_channel() {
    let a = Adjustments {
        invert: true,
        ..Adjustments::default()
    };
    for (before, after) in pairs(&a) {
        assert_eq!(after, before.map(|c| 255 - c));
    }
}

#[test]
fn brightness_and_contrast_reach_their_ends() {
    let cases = [
        (Some(100), None, [255, 255, 255]),
        (Some(-100), None, [0, 0, 0]),
        (None, Some(-100), [128, 128, 128]),
    ];
    for (brightness, contrast, want) in cases {
        let a = Adjustments {
            brightness,
            contrast,
            ..Adjustments::default()
        };
        for (before, after) in pairs(&a) {
            assert_eq!(after, want, "{brightness:?} {contrast:?}: {before:?}");
        }
    }
    // Full contrast leaves black and white only.
    let a = Adjustments {
        contrast: Some(100),
        ..Adjustments::default()
    };
    for (_, after) in pairs(&a) {
        assert!(after.iter().all(|c| *c == 0 || *c == 255), "{after:?}");
    }
}

#[test]
fn exposure_and_gamma_move_midtones_and_keep_black_and_white() {
    let brighter = [
        Adjustments {
            exposure: Some(50),
            ..Adjustments::default()
        },
        Adjustments {
            gamma: Some(50),
            ..Adjustments::default()
        },
    ];
    for a in brighter {
        for (before, after) in pairs(&a) {
            for (b, c) in before.iter().zip(after) {
                match b {
                    0 => assert_eq!(c, 0, "{a:?}"),
                    255 => assert_eq!(c, 255, "{a:?}"),
                    _ => assert!(c > *b, "{a:?}: {b} → {c}"),
                }
            }
        }
    }
}

#[test]
fn highlights_come_down_and_shadows_go_up_and_the_other_end_stays() {
    let high = Adjustments {
        highlights: Some(-100),
        ..Adjustments::default()
    };
    let shad = Adjustments {
        shadows: Some(100.0),
        ..Adjustments::default()
    };
    for ((before, down), (_, up)) in pairs(&high).into_iter().zip(pairs(&shad)) {
        let l = luma8(before);
        if l > 140.0 {
            assert!(luma8(down) < l - 1.0, "high: {before:?} → {down:?}");
            assert_eq!(up, before, "shad: {before:?}");
        }
        if l < 110.0 {
            assert!(luma8(up) > l + 1.0, "shad: {before:?} → {up:?}");
            assert_eq!(down, before, "high: {before:?}");
        }
    }
    let white = pairs(&high)
        .into_iter()
        .find(|(b, _)| *b == [255; 3])
        .unwrap();
    assert_eq!(white.1, [191; 3]);
}

#[test]
fn vibrance_lifts_dull_colours_more_than_vivid_ones() {
    let a = Adjustments {
        vibrance: Some(100),
        ..Adjustments::default()
    };
    let image = RgbImage::from_fn(2, 1, |x, _| {
        if x == 0 {
            Rgb([140, 120, 110])
        } else {
            Rgb([230, 40, 20])
        }
    });
    let out = apply(DynamicImage::ImageRgb8(image.clone()), &a).into_rgb8();
    let gain = |x: u32| {
        f32::from(chroma(out.get_pixel(x, 0).0)) / f32::from(chroma(image.get_pixel(x, 0).0))
    };
    assert!(gain(0) > 1.8, "dull: {}", gain(0));
    assert!(gain(1) < 1.25, "vivid: {}", gain(1));
}

#[test]
fn hue_turns_red_toward_green_and_keeps_greys_and_luma() {
    let a = Adjustments {
        hue: Some(120),
        ..Adjustments::default()
    };
    let red = RgbImage::from_pixel(1, 1, Rgb([200, 40, 40]));
    let turned = apply(DynamicImage::ImageRgb8(red), &a)
        .into_rgb8()
        .get_pixel(0, 0)
        .0;
    assert!(turned[1] > turned[0] && turned[1] > turned[2], "{turned:?}");
    for (before, after) in pairs(&a) {
        if chroma(before) == 0 {
            assert_eq!(after, before);
        }
    }
}

#[test]
fn unsharp_mask_steepens_an_edge_and_negative_softens_it() {
    let edge = RgbImage::from_fn(
        40,
        4,
        |x, _| if x < 20 { Rgb([60; 3]) } else { Rgb([190; 3]) },
    );
    let run = |amount: i8| {
        let a = Adjustments {
            unsharp: Some((amount, 2.5)),
            ..Adjustments::default()
        };
        apply(DynamicImage::ImageRgb8(edge.clone()), &a).into_rgb8()
    };
    let sharp = run(100);
    assert!(sharp.get_pixel(18, 0)[0] < 60 && sharp.get_pixel(21, 0)[0] > 190);
    let soft = run(-100);
    assert!(soft.get_pixel(19, 0)[0] > 60 && soft.get_pixel(20, 0)[0] < 190);
}

#[test]
fn alpha_is_kept() {
    let image = RgbaImage::from_fn(4, 1, |x, _| Rgba([200, 100, 50, (x * 80) as u8]));
    let a = Adjustments {
        invert: true,
        saturation: Some(-50),
        ..Adjustments::default()
    };
    let out = apply(DynamicImage::ImageRgba8(image), &a).into_rgba8();
    let alphas: Vec<u8> = out.pixels().map(|p| p[3]).collect();
    assert_eq!(alphas, [0, 80, 160, 240]);
}
