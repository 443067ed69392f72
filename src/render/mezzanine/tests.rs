use image::{DynamicImage, GrayImage, Rgb, RgbImage};

use super::*;
use crate::render::encode::{self, EncodeOptions};
use crate::render::tests::LIMITS;
use crate::render::{Limits, Rendered, render_with};
use crate::transform::{Dimension, OutputFormat, Trim, TrimMode};

const MIB: u64 = 1 << 20;

fn limits(mezzanine_bytes: u64) -> Limits {
    Limits {
        mezzanine_bytes,
        ..LIMITS
    }
}

/// A JPEG with detail at every scale: rings whose spacing shrinks outwards, over a ramp.
fn photo(w: u32, h: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (
            f64::from(x) - f64::from(w) / 2.0,
            f64::from(y) - f64::from(h) / 2.0,
        );
        let r = (dx * dx + dy * dy).sqrt();
        let ring = (128.0 + 100.0 * (r * r / 4000.0).sin()) as u8;
        Rgb([ring, (x * 255 / w) as u8, (y * 255 / h) as u8])
    });
    encode::encode(
        &DynamicImage::ImageRgb8(image),
        OutputFormat::Jpeg,
        &EncodeOptions::default(),
    )
    .unwrap()
}

fn wide(w: u32) -> Transform {
    Transform {
        width: Some(Dimension::Pixels(w)),
        format: Some(OutputFormat::Png),
        ..Transform::default()
    }
}

fn render(source: &[u8], w: u32, offered: Option<&Mezzanine>, budget: u64) -> Rendered {
    let layers = crate::render::Layers {
        mezzanine: offered,
        ..Default::default()
    };
    render_with(source, &wide(w), None, &limits(budget), layers).unwrap()
}

fn luma(rendered: &Rendered) -> GrayImage {
    image::load_from_memory(&rendered.bytes).unwrap().to_luma8()
}

/// Mean absolute difference of two same-sized grey images, in levels.
fn mean_difference(a: &GrayImage, b: &GrayImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .pixels()
        .zip(b.pixels())
        .map(|(p, q)| u64::from(p[0].abs_diff(q[0])))
        .sum();
    sum as f64 / f64::from(a.width() * a.height())
}

#[test]
fn a_large_source_offers_its_decode_at_the_scale_it_was_decoded_at() {
    let source = photo(2048, 1280);
    let small = render(&source, 200, None, 64 * MIB);
    let kept = small.kept.expect("a 2.6 MP source's decode is kept");
    // 10.24 times smaller: a DCT shrink of 4 leaves Lanczos3 its factor of two.
    assert_eq!((kept.width(), kept.height()), (512, 320));
}

#[test]
fn nothing_is_kept_from_a_small_source_or_beyond_the_budget() {
    assert!(
        render(&photo(1024, 640), 200, None, 64 * MIB)
            .kept
            .is_none()
    );
    assert!(render(&photo(2048, 1280), 200, None, 0).kept.is_none());
    // The 512x320 decode weighs 480 KiB.
    assert!(
        render(&photo(2048, 1280), 200, None, 400 << 10)
            .kept
            .is_none()
    );
}

#[test]
fn a_larger_width_than_the_kept_decode_covers_decodes_at_full_size_and_keeps_that() {
    let source = photo(2048, 1280);
    let first = render(&source, 200, None, 64 * MIB).kept.unwrap();
    let second = render(&source, 600, Some(&first), 64 * MIB);
    let kept = second.kept.expect("the full-size decode is offered");
    assert_eq!((kept.width(), kept.height()), (2048, 1280));
    // Without room for the full size, the decode stays at the scale the width needs.
    let budget = 2048 * 1280 * 3 - 1;
    let narrow = render(&source, 400, Some(&first), budget).kept.unwrap();
    assert_eq!((narrow.width(), narrow.height()), (1024, 640));
}

#[test]
fn a_width_the_kept_decode_covers_is_drawn_from_it_and_looks_like_a_fresh_render() {
    let source = photo(2048, 1280);
    let full = render(&source, 1000, None, 64 * MIB).kept.unwrap();
    for w in [150, 300, 640] {
        let fresh = render(&source, w, None, 64 * MIB);
        let derived = render(&source, w, Some(&full), 64 * MIB);
        assert!(derived.kept.is_none(), "nothing new to keep at {w}");
        assert_eq!((derived.width, derived.height), (fresh.width, fresh.height));
        let difference = mean_difference(&luma(&fresh), &luma(&derived));
        // The fresh render shrank in the DCT first; the derived one resized more pixels.
        assert!(difference < 2.0, "{w} px: {difference:.2} levels apart");
    }
}

#[test]
fn the_kept_decode_stands_in_only_for_the_source_as_decoded() {
    let source = photo(2048, 1280);
    // A kept decode of other pixels shows whether it was used.
    let black = Mezzanine {
        image: DynamicImage::ImageRgb8(RgbImage::new(2048, 1280)),
        icc: None,
    };
    let used = render(&source, 300, Some(&black), 64 * MIB);
    assert!(luma(&used).pixels().all(|p| p[0] == 0));
    let mut trimmed = wide(300);
    trimmed.trim = Some(Trim {
        mode: TrimMode::Auto {
            mean_difference: 11.0,
            deviation: 10.0,
        },
        pad: 0,
    });
    let mut oriented = wide(300);
    oriented.orientation = Some(1);
    for t in [trimmed, oriented] {
        let layers = crate::render::Layers {
            mezzanine: Some(&black),
            ..Default::default()
        };
        let out = render_with(&source, &t, None, &limits(64 * MIB), layers).unwrap();
        let image = image::load_from_memory(&out.bytes).unwrap().to_luma8();
        assert!(
            image.pixels().any(|p| p[0] > 0),
            "{t:?} drew the kept pixels"
        );
        assert!(out.kept.is_none(), "{t:?} offered its decode");
    }
}
