use image::metadata::Orientation;

use super::*;
use crate::transform::{Faces, Flip, Rect, Rotation};

fn w(x: f64, y: f64, width: f64, height: f64) -> Window {
    Window {
        x,
        y,
        width,
        height,
    }
}

const ALL: [Orientation; 8] = [
    Orientation::NoTransforms,
    Orientation::Rotate90,
    Orientation::Rotate180,
    Orientation::Rotate270,
    Orientation::FlipHorizontal,
    Orientation::FlipVertical,
    Orientation::Rotate90FlipH,
    Orientation::Rotate270FlipH,
];

#[test]
fn orienting_a_box_moves_it_as_the_pixels_move() {
    // A 1x1 box at (0, 0) of a 4x2 image: where `image` puts that pixel.
    let corner = w(0.0, 0.0, 1.0, 1.0);
    let cases = [
        (Orientation::NoTransforms, (0.0, 0.0)),
        (Orientation::Rotate90, (1.0, 0.0)),
        (Orientation::Rotate180, (3.0, 1.0)),
        (Orientation::Rotate270, (0.0, 3.0)),
        (Orientation::FlipHorizontal, (3.0, 0.0)),
        (Orientation::FlipVertical, (0.0, 1.0)),
        (Orientation::Rotate90FlipH, (0.0, 0.0)),
        (Orientation::Rotate270FlipH, (1.0, 3.0)),
    ];
    for (o, at) in cases {
        let b = orient(corner, (4.0, 2.0), o);
        assert_eq!(
            (b.x, b.y, b.width, b.height),
            (at.0, at.1, 1.0, 1.0),
            "{o:?}"
        );
        // Checked against `image` itself: the pixel lands there.
        let mut img = image::DynamicImage::ImageLuma8(image::GrayImage::from_fn(4, 2, |x, y| {
            image::Luma([if (x, y) == (0, 0) { 255 } else { 0 }])
        }));
        img.apply_orientation(o);
        let luma = img.to_luma8();
        assert_eq!(luma.get_pixel(at.0 as u32, at.1 as u32)[0], 255, "{o:?}");
    }
}

#[test]
fn unorient_undoes_orient() {
    let b = w(1.0, 0.5, 2.0, 1.0);
    for o in ALL {
        let there = orient(b, (5.0, 3.0), o);
        assert_eq!(unorient(there, (5.0, 3.0), o), b, "{o:?}");
    }
}

#[test]
fn logical_boxes_follow_rect_rotation_and_flip() {
    let found = Found {
        stored: (100, 50),
        boxes: vec![w(10.0, 10.0, 20.0, 10.0), w(90.0, 40.0, 5.0, 5.0)],
    };
    let arrangement = Arrangement {
        orientation: Orientation::NoTransforms,
        trimmed: None,
        cropped: Rect {
            x: 5,
            y: 5,
            width: 60,
            height: 40,
        },
        rotation: Rotation::None,
        flip: Flip::default(),
    };
    // The second face is outside the rect: dropped.
    assert_eq!(found.logical(&arrangement), vec![w(5.0, 5.0, 20.0, 10.0)]);
    let turned = Arrangement {
        rotation: Rotation::Quarter,
        flip: Flip {
            horizontal: true,
            vertical: false,
        },
        ..arrangement
    };
    // Turned clockwise in the 60x40 rect: (40 - 15, 5) 10x20; then mirrored in 40 wide.
    assert_eq!(found.logical(&turned), vec![w(5.0, 5.0, 10.0, 20.0)]);
}

#[test]
fn face_area_pads_takes_the_shape_and_stays_inside() {
    let boxes = [w(100.0, 100.0, 40.0, 40.0), w(300.0, 50.0, 20.0, 20.0)];
    let all = Faces::default();
    // Both faces' union, at its own shape.
    assert_eq!(
        face_area(&boxes, &all, None, (400, 300)),
        Some(w(100.0, 50.0, 220.0, 90.0))
    );
    let second = Faces {
        index: Some(2),
        pad: 2.0,
        ..Faces::default()
    };
    // 40x40 around the second face's centre (310, 60), widened to 2:1, kept inside.
    assert_eq!(
        face_area(&boxes, &second, Some(2.0), (400, 300)),
        Some(w(270.0, 40.0, 80.0, 40.0))
    );
    let missing = Faces {
        index: Some(3),
        ..Faces::default()
    };
    assert_eq!(face_area(&boxes, &missing, None, (400, 300)), None);
    assert_eq!(face_area(&[], &all, None, (400, 300)), None);
    // Larger than the image: shrunk to fit, shape kept.
    let huge = Faces {
        pad: 10.0,
        ..Faces::default()
    };
    let area = face_area(&boxes[..1], &huge, Some(1.0), (400, 300)).unwrap();
    assert_eq!(
        (area.x, area.y, area.width, area.height),
        (0.0, 0.0, 300.0, 300.0)
    );
}
