use image::{Rgb, RgbImage};

use super::*;
use crate::render::geometry;
use crate::transform::{Dimension, Fit, Transform};

const RED: Colour = Colour {
    r: 255,
    g: 0,
    b: 0,
    a: 255,
};

/// A 40×20 blue image framed as `frame` asks, planned with `w`/`h` when given.
fn framed(frame: Frame, w: Option<u32>, h: Option<u32>, fill: Colour) -> RgbaImage {
    let t = Transform {
        width: w.map(Dimension::Pixels),
        height: h.map(Dimension::Pixels),
        fit: Fit::Crop,
        frame,
        ..Transform::default()
    };
    let plan = geometry::plan((40, 20), &t, 8192).unwrap();
    let image = DynamicImage::ImageRgb8(RgbImage::from_pixel(
        plan.canvas.0,
        plan.canvas.1,
        Rgb([0, 0, 255]),
    ));
    draw(image, &plan, &t.frame, 1.0, fill).into_rgba8()
}

#[test]
fn padding_grows_an_unsized_image_and_fits_inside_a_box() {
    let pad = Frame {
        pad: [5, 5, 5, 5],
        ..Frame::default()
    };
    let out = framed(pad, None, None, Colour::TRANSPARENT);
    assert_eq!(out.dimensions(), (50, 30));
    assert_eq!(out.get_pixel(2, 2)[3], 0, "the padding is see-through");
    assert_eq!(out.get_pixel(25, 15).0, [0, 0, 255, 255]);
    let boxed = framed(pad, Some(30), Some(30), Colour::WHITE);
    assert_eq!(
        boxed.dimensions(),
        (30, 30),
        "the box holds the padding too"
    );
    assert_eq!(boxed.get_pixel(2, 15).0, [255, 255, 255, 255]);
    assert_eq!(boxed.get_pixel(15, 15).0, [0, 0, 255, 255]);
}

#[test]
fn a_border_sits_outside_the_padding_with_its_own_widths() {
    let frame = Frame {
        pad: [2, 2, 2, 2],
        border: Some(([3, 0, 3, 1], RED)),
        ..Frame::default()
    };
    let out = framed(frame, None, None, Colour::WHITE);
    assert_eq!(out.dimensions(), (40 + 4 + 1, 20 + 4 + 6));
    assert_eq!(out.get_pixel(0, 15).0, [255, 0, 0, 255], "left border");
    assert_eq!(out.get_pixel(20, 1).0, [255, 0, 0, 255], "top border");
    assert_eq!(out.get_pixel(2, 15).0, [255, 255, 255, 255], "padding");
    assert_eq!(
        out.get_pixel(44, 15).0,
        [255, 255, 255, 255],
        "no right border"
    );
    assert_eq!(out.get_pixel(20, 15).0, [0, 0, 255, 255], "image");
}

#[test]
fn rounded_corners_are_see_through_outside_and_border_coloured_inside() {
    let frame = Frame {
        border: Some(([4; 4], RED)),
        radius: [10; 4],
        radius_inner: [6; 4],
        ..Frame::default()
    };
    let out = framed(frame, None, None, Colour::WHITE);
    assert_eq!(out.dimensions(), (48, 28));
    for (x, y) in [(0, 0), (47, 0), (47, 27), (0, 27)] {
        assert_eq!(out.get_pixel(x, y)[3], 0, "outer corner ({x}, {y})");
    }
    // Just inside the border at the inner corner, the rounding paints border colour over
    // where the image was.
    assert_eq!(out.get_pixel(4, 4).0, [255, 0, 0, 255]);
    assert_eq!(out.get_pixel(24, 14).0, [0, 0, 255, 255]);
    // Anti-aliased: some corner pixel is partly covered.
    assert!(out.pixels().any(|p| p[3] > 0 && p[3] < 255));
}
