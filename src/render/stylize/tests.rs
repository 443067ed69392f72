use image::{Rgb, RgbImage};

use super::*;

fn gradient(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 90])
    }))
}

fn stylize(f: impl FnOnce(&mut Stylize)) -> Stylize {
    let mut s = Stylize::default();
    f(&mut s);
    s
}

#[test]
fn monochrome_leaves_shades_of_the_tint_only() {
    let tint = Colour {
        r: 200,
        g: 100,
        b: 0,
        a: 255,
    };
    let s = stylize(|s| s.monochrome = Some(tint));
    let out = colour_effects(gradient(32, 32), &s).into_rgb8();
    for p in out.pixels() {
        // Every pixel is luma × tint: green half the red, no blue.
        assert_eq!(p[2], 0, "{p:?}");
        assert!((i32::from(p[0]) - 2 * i32::from(p[1])).abs() <= 2, "{p:?}");
    }
}

#[test]
fn duotone_maps_black_and_white_to_its_two_colours() {
    let dark = Colour {
        r: 0,
        g: 0,
        b: 128,
        a: 255,
    };
    let s = stylize(|s| s.duotone = Some((dark, Colour::WHITE, 100)));
    let image = DynamicImage::ImageRgb8(RgbImage::from_fn(2, 1, |x, _| Rgb([255 * x as u8; 3])));
    let out = colour_effects(image, &s).into_rgb8();
    assert_eq!(out.get_pixel(0, 0).0, [0, 0, 128]);
    assert_eq!(out.get_pixel(1, 0).0, [255, 255, 255]);
    let half = stylize(|s| s.duotone = Some((dark, Colour::WHITE, 50)));
    let black = DynamicImage::ImageRgb8(RgbImage::from_pixel(1, 1, Rgb([0; 3])));
    assert_eq!(
        colour_effects(black, &half).into_rgb8().get_pixel(0, 0).0,
        [0, 0, 64]
    );
}

#[test]
fn sepia_warms_grey_and_zero_changes_nothing() {
    let grey = DynamicImage::ImageRgb8(RgbImage::from_pixel(1, 1, Rgb([128; 3])));
    let s = stylize(|s| s.sepia = Some(100));
    let [r, g, b] = colour_effects(grey.clone(), &s)
        .into_rgb8()
        .get_pixel(0, 0)
        .0;
    assert!(r > g && g > b, "{r} {g} {b}");
    assert_eq!(colour_effects(grey.clone(), &Stylize::default()), grey);
}

#[test]
fn px_10_is_made_of_10_by_10_blocks() {
    let s = stylize(|s| s.pixelate = Some(10));
    let out = texture_effects(gradient(45, 30), &s).into_rgb8();
    assert_eq!(out.dimensions(), (45, 30));
    for (x, y, p) in out.enumerate_pixels() {
        let corner = out.get_pixel(x / 10 * 10, y / 10 * 10);
        assert_eq!(p, corner, "({x}, {y})");
    }
    // Neighbouring blocks of a gradient differ.
    assert_ne!(out.get_pixel(0, 0), out.get_pixel(10, 0));
}

#[test]
fn halftone_is_black_dots_on_white_growing_with_darkness() {
    let s = stylize(|s| s.halftone = Some(100));
    let ramp = DynamicImage::ImageRgb8(RgbImage::from_fn(96, 12, |x, _| {
        Rgb([(x * 255 / 96) as u8; 3])
    }));
    let out = texture_effects(ramp, &s).into_rgb8();
    assert!(out.pixels().all(|p| p.0 == [0; 3] || p.0 == [255; 3]));
    let ink = |x0: u32| {
        (x0..x0 + 12)
            .map(|x| (0..12).filter(|&y| out.get_pixel(x, y)[0] == 0).count())
            .sum::<usize>()
    };
    assert!(
        ink(0) > ink(48) && ink(48) > ink(84),
        "{} {} {}",
        ink(0),
        ink(48),
        ink(84)
    );
}
