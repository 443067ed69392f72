use super::*;
use crate::transform::{AspectRatio, Dimension::*, FocalPoint, Gravity};

fn t(w: Option<u32>, h: Option<u32>, fit: Fit) -> Transform {
    Transform {
        width: w.map(Pixels),
        height: h.map(Pixels),
        fit,
        ..Transform::default()
    }
}

/// (resized, canvas) for a 1000x500 source.
fn sizes(tr: &Transform) -> ((u32, u32), (u32, u32)) {
    let p = plan((1000, 500), tr, 8192).unwrap();
    (p.resized, p.canvas)
}

#[test]
fn every_fit_mode_meets_the_box_as_documented() {
    use Fit::*;
    let cases = [
        // box smaller than the source
        (t(Some(200), Some(200), Clip), ((200, 100), (200, 100))),
        (t(Some(200), Some(200), Max), ((200, 100), (200, 100))),
        (t(Some(200), Some(200), Crop), ((200, 200), (200, 200))),
        (t(Some(200), Some(200), Min), ((200, 200), (200, 200))),
        (t(Some(200), Some(200), Fill), ((200, 100), (200, 200))),
        (t(Some(200), Some(200), Scale), ((200, 200), (200, 200))),
        // box larger than the source: max and min never enlarge
        (
            t(Some(3000), Some(3000), Clip),
            ((3000, 1500), (3000, 1500)),
        ),
        (t(Some(3000), Some(3000), Max), ((1000, 500), (1000, 500))),
        (
            t(Some(3000), Some(3000), Crop),
            ((3000, 3000), (3000, 3000)),
        ),
        (t(Some(3000), Some(3000), Min), ((500, 500), (500, 500))),
        (
            t(Some(3000), Some(3000), Fill),
            ((3000, 1500), (3000, 3000)),
        ),
        (
            t(Some(3000), Some(1000), Scale),
            ((3000, 1000), (3000, 1000)),
        ),
        // one side only keeps the aspect ratio in every mode
        (t(Some(100), None, Crop), ((100, 50), (100, 50))),
        (t(None, Some(100), Scale), ((200, 100), (200, 100))),
        (t(Some(2000), None, Max), ((1000, 500), (1000, 500))),
        (t(None, None, Crop), ((1000, 500), (1000, 500))),
    ];
    for (tr, want) in cases {
        assert_eq!(sizes(&tr), want, "{}", tr.canonical());
    }
}

#[test]
fn dpr_fractions_and_aspect_ratio_shape_the_box() {
    let mut tr = t(Some(100), None, Fit::Clip);
    tr.dpr = Some(2.0);
    assert_eq!(sizes(&tr).0, (200, 100));
    let half = Transform {
        width: Some(Fraction(0.5)),
        ..Transform::default()
    };
    assert_eq!(sizes(&half).0, (500, 250));
    let mut ar = t(Some(300), None, Fit::Crop);
    ar.aspect = Some(AspectRatio {
        width: 1.0,
        height: 1.0,
    });
    assert_eq!(sizes(&ar).0, (300, 300));
    let only_ar = Transform {
        aspect: Some(AspectRatio {
            width: 1.0,
            height: 1.0,
        }),
        fit: Fit::Crop,
        ..Transform::default()
    };
    assert_eq!(sizes(&only_ar).0, (500, 500));
}

#[test]
fn crop_gravity_moves_the_window() {
    let window = |crop: Crop| {
        let mut tr = t(Some(100), Some(100), Fit::Crop);
        tr.crop = crop;
        plan((1000, 500), &tr, 8192).unwrap().window
    };
    let edge = |h, v| Crop::Edges {
        horizontal: h,
        vertical: v,
    };
    assert_eq!(window(edge(Gravity::Start, Gravity::Center)).x, 0.0);
    assert_eq!(window(edge(Gravity::Center, Gravity::Center)).x, 250.0);
    assert_eq!(window(edge(Gravity::End, Gravity::Center)).x, 500.0);
    let fp = window(Crop::FocalPoint(FocalPoint {
        x: 0.9,
        ..FocalPoint::CENTRE
    }));
    assert_eq!((fp.x, fp.width), (500.0, 500.0));
    let fp = window(Crop::FocalPoint(FocalPoint {
        x: 0.4,
        ..FocalPoint::CENTRE
    }));
    assert!((fp.x - 150.0).abs() < 1e-3, "{}", fp.x);
}

#[test]
fn fill_places_the_image_by_gravity() {
    let mut tr = t(Some(200), Some(200), Fit::Fill);
    assert_eq!(plan((1000, 500), &tr, 8192).unwrap().offset, (0, 50));
    tr.crop = Crop::Edges {
        horizontal: Gravity::Center,
        vertical: Gravity::Start,
    };
    assert_eq!(plan((1000, 500), &tr, 8192).unwrap().offset, (0, 0));
}

#[test]
fn outputs_beyond_the_limit_name_the_side() {
    let err = plan((1000, 500), &t(Some(9000), None, Fit::Clip), 8192).unwrap_err();
    assert_eq!(err.name, "w");
    let err = plan((1000, 500), &t(None, Some(9000), Fit::Clip), 8192).unwrap_err();
    assert_eq!(err.name, "h");
}

#[test]
fn a_box_holds_the_frame_and_the_frame_is_named_when_it_does_not_fit() {
    use crate::transform::Frame;
    let framed = |w: Option<u32>, h: Option<u32>, pad: u32, dpr: Option<f32>| Transform {
        width: w.map(Pixels),
        height: h.map(Pixels),
        fit: Fit::Crop,
        dpr,
        frame: Frame {
            pad: [pad; 4],
            ..Frame::default()
        },
        ..Transform::default()
    };
    let p = plan((1000, 500), &framed(Some(300), Some(200), 10, None), 8192).unwrap();
    assert_eq!(
        (p.canvas, p.outer, p.frame),
        ((280, 180), (300, 200), [10; 4])
    );
    let p = plan((1000, 500), &framed(Some(300), None, 10, Some(2.0)), 8192).unwrap();
    assert_eq!(
        (p.canvas, p.outer),
        ((560, 280), (600, 320)),
        "dpr scales the frame"
    );
    let p = plan((1000, 500), &framed(None, None, 10, None), 8192).unwrap();
    assert_eq!(p.outer, (1020, 520), "unsized: the frame adds to the image");
    let err = plan((1000, 500), &framed(Some(300), Some(200), 100, None), 8192).unwrap_err();
    assert_eq!(err.name, "pad");
    let err = plan((1000, 500), &framed(None, None, 4000, None), 8192).unwrap_err();
    assert_eq!(err.name, "pad");
    let err = plan((1000, 500), &framed(Some(9000), None, 1, None), 8192).unwrap_err();
    assert_eq!(err.name, "w");
}

#[test]
fn crop_bounds_scale_the_box_and_focal_zoom_narrows_the_window() {
    use crate::transform::Bounds;
    let crop = |w, h, bounds| Transform {
        width: Some(Pixels(w)),
        height: Some(Pixels(h)),
        fit: Fit::Crop,
        bounds,
        ..Transform::default()
    };
    let max = Bounds {
        max_width: Some(100),
        ..Bounds::default()
    };
    assert_eq!(sizes(&crop(400, 200, max)), ((100, 50), (100, 50)));
    let min = Bounds {
        min_height: Some(100),
        ..Bounds::default()
    };
    assert_eq!(sizes(&crop(40, 20, min)), ((200, 100), (200, 100)));
    // A minimum that pushes the box past the limit is what the refusal names.
    for ((w, h), bounds, name) in [
        (
            (10, 20),
            Bounds {
                min_width: Some(8000),
                ..Bounds::default()
            },
            "min-w",
        ),
        (
            (20, 10),
            Bounds {
                min_height: Some(8000),
                ..Bounds::default()
            },
            "min-h",
        ),
        (
            (10, 9000),
            Bounds {
                min_width: Some(10),
                ..Bounds::default()
            },
            "h",
        ),
    ] {
        let boxed = crop(w, h, bounds);
        let err = plan((1000, 500), &boxed, 8192).unwrap_err();
        assert_eq!(err.name, name, "{bounds:?}");
    }
    let zoomed = Transform {
        width: Some(Pixels(100)),
        height: Some(Pixels(100)),
        fit: Fit::Crop,
        crop: Crop::FocalPoint(FocalPoint {
            zoom: 2.0,
            ..FocalPoint::CENTRE
        }),
        ..Transform::default()
    };
    let p = plan((1000, 500), &zoomed, 8192).unwrap();
    assert_eq!((p.window.width, p.window.height), (250.0, 250.0));
    assert_eq!((p.window.x, p.window.y), (375.0, 125.0));
}
