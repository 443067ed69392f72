//! Resampling quality on synthetic patterns, against the reference Lanczos3 computed here:
//! no aliasing of detail finer than the output can hold, no more ringing than Lanczos3's own,
//! and the documented choice of averaging sRGB values rather than linear light.

use image::{DynamicImage, RgbaImage};

use super::quality::{self, Picture, Space};
use crate::support::images::png;
use crate::support::roots::{Root, fixture};
use crate::support::server::TestServer;

/// Std-dev (0–255 luma) allowed in the interior of 1-px stripes shrunk 4×. The ideal is 0;
/// point sampling or a filter whose support is not widened by the scale gives ~50–128.
/// 2.0 leaves room for fixed-point weights.
const MAX_STRIPE_DEVIATION: f64 = 2.0;

/// Output pixels within Lanczos3's reach (3 output pixels) of an edge see a clamped,
/// renormalised kernel and differ from the interior in every resizer, the reference included
/// (its whole-image std-dev is 3–4 from those rows alone); the aliasing check skips them.
const EDGE: u32 = 3;

fn interior(image: &RgbaImage) -> RgbaImage {
    let (w, h) = image.dimensions();
    image::imageops::crop_imm(image, EDGE, EDGE, w - 2 * EDGE, h - 2 * EDGE).to_image()
}

/// Overshoot (0–255) pixgate may add to the reference's on a step edge: 8-bit rounding and
/// fixed-point weights, nothing more.
const RINGING_MARGIN: f64 = 2.0;

/// 320×200 of 1-px black and white stripes, vertical (`across`) or horizontal.
fn stripes(across: bool) -> RgbaImage {
    RgbaImage::from_fn(320, 200, |x, y| {
        let v = if (if across { x } else { y }) % 2 == 0 {
            0
        } else {
            255
        };
        image::Rgba([v, v, v, 255])
    })
}

/// 320×200 grey with a vertical step from 64 to 192 at x = 163, off the 4-px output grid.
fn step() -> RgbaImage {
    RgbaImage::from_fn(320, 200, |x, _| {
        let v = if x < 163 { 64 } else { 192 };
        image::Rgba([v, v, v, 255])
    })
}

/// `image` shrunk to 80×50 by the reference resampler in `space`.
fn reference(image: &RgbaImage, space: Space) -> RgbaImage {
    let picture = Picture::from_image(&DynamicImage::ImageRgba8(image.clone()));
    quality::lanczos3(&picture, picture.whole(), (80, 50), space).to_rgba8()
}

/// pixgate's `w=80&fm=png` of each named image.
async fn shrunk_by_pixgate(images: &[(&str, &RgbaImage)]) -> Vec<RgbaImage> {
    let root = Root::new();
    for (name, image) in images {
        root.put(name, &png(image));
    }
    let server = TestServer::serving(&root).await;
    let mut out = Vec::new();
    for (name, _) in images {
        let reply = server.get(&format!("/{name}?w=80&fm=png")).await;
        reply.assert_image("png");
        let image = image::load_from_memory(&reply.body).unwrap().to_rgba8();
        assert_eq!(image.dimensions(), (80, 50), "{name}");
        out.push(image);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_pixel_stripes_shrunk_four_times_come_out_flat() {
    let (across, down) = (stripes(true), stripes(false));
    let out = shrunk_by_pixgate(&[("across.png", &across), ("down.png", &down)]).await;
    for ((name, source), got) in [("across", &across), ("down", &down)].iter().zip(&out) {
        let (mean, deviation) = quality::mean_and_deviation(&quality::luma(&interior(got)));
        let (_, ideal) =
            quality::mean_and_deviation(&quality::luma(&interior(&reference(source, Space::Srgb))));
        eprintln!(
            "stripes {name}: pixgate mean {mean:.2} std-dev {deviation:.3}; reference std-dev {ideal:.3}"
        );
        assert!(
            deviation <= MAX_STRIPE_DEVIATION,
            "stripes {name}: std-dev {deviation:.3} > {MAX_STRIPE_DEVIATION} (reference {ideal:.3}): aliasing"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_edge_rings_no_more_than_reference_lanczos3() {
    let source = step();
    let got = shrunk_by_pixgate(&[("step.png", &source)]).await.remove(0);
    let want = reference(&source, Space::Srgb);
    let ringing = |image: &RgbaImage| {
        let row = quality::luma(image);
        let max = row.iter().copied().fold(f64::MIN, f64::max);
        let min = row.iter().copied().fold(f64::MAX, f64::min);
        (max - 192.0, 64.0 - min)
    };
    let (over, under) = ringing(&got);
    let (ref_over, ref_under) = ringing(&want);
    eprintln!(
        "step: pixgate overshoot {over} undershoot {under}; reference {ref_over} {ref_under}"
    );
    assert!(
        over <= ref_over + RINGING_MARGIN && under <= ref_under + RINGING_MARGIN,
        "overshoot {over}/undershoot {under}, reference Lanczos3 {ref_over}/{ref_under}"
    );
    assert!(
        quality::ssim(&got, &want) > 0.99,
        "the edge is not where Lanczos3 puts it"
    );
}

/// docs/url-api.md, "Resampling and gamma": resizing averages sRGB-encoded values. On
/// black/white stripes the two choices differ most: averaging sRGB values gives ≈ 128,
/// averaging light gives ≈ 188.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resizing_averages_srgb_values_not_linear_light() {
    let source = stripes(true);
    let got = shrunk_by_pixgate(&[("stripes.png", &source)])
        .await
        .remove(0);
    let mean = |image: &RgbaImage| quality::mean_and_deviation(&quality::luma(image)).0;
    let (got, srgb, linear) = (
        mean(&got),
        mean(&reference(&source, Space::Srgb)),
        mean(&reference(&source, Space::Linear)),
    );
    eprintln!("stripes mean: pixgate {got:.2}, sRGB-space {srgb:.2}, linear-light {linear:.2}");
    assert!(
        (got - srgb).abs() <= 2.0 && (got - srgb).abs() < (got - linear).abs(),
        "pixgate {got:.2}, sRGB-space reference {srgb:.2}, linear-light {linear:.2}"
    );
}

/// The measurement behind the gamma paragraph of docs/url-api.md ("Resampling and gamma"):
/// each corpus photo in `fixtures/` shrunk 4× by the reference Lanczos3 both ways. Measured:
/// SSIM between the two 0.968–0.997, and linear light brighter by 0.1–8.6 levels, most where
/// fine light-on-dark texture is averaged away. That page quotes these numbers; this test
/// keeps them honest.
#[test]
fn srgb_space_and_linear_light_measured_on_the_corpus_photos() {
    // (fixture, lowest SSIM between the two, largest mean luma difference) as docs/url-api.md
    // says.
    let photos = [
        ("forest-800x500.jpg", 0.975, 2.5),
        ("cups-800x500.jpg", 0.975, 1.5),
        ("inputs/kite-lossless.webp", 0.99, 0.5),
        ("inputs/grey.jpg", 0.96, 10.0),
    ];
    for (name, min_ssim, max_brightening) in photos {
        let decoded = image::load_from_memory(&fixture(name)).unwrap();
        let picture = Picture::from_image(&decoded);
        let size = (picture.width / 4, picture.height / 4);
        let srgb = quality::lanczos3(&picture, picture.whole(), size, Space::Srgb).to_rgba8();
        let linear = quality::lanczos3(&picture, picture.whole(), size, Space::Linear).to_rgba8();
        let mean = |image: &RgbaImage| quality::mean_and_deviation(&quality::luma(image)).0;
        let (ssim, brightening) = (quality::ssim(&srgb, &linear), mean(&linear) - mean(&srgb));
        eprintln!(
            "gamma {name}: SSIM(sRGB-space, linear) {ssim:.4}, linear brighter by {brightening:.2}"
        );
        assert!(
            ssim >= min_ssim && (0.0..=max_brightening).contains(&brightening),
            "{name}: SSIM {ssim:.4} (docs: >= {min_ssim}), linear brighter by {brightening:.2} \
             (docs: 0 to {max_brightening}); update the gamma paragraph of docs/url-api.md"
        );
    }
}
