//! AVIF input (contract §3): still AVIF decodes at 8, 10 and 12 bits, 4:2:0, 4:2:2, 4:4:4 and
//! monochrome, with alpha kept, flattened or un-premultiplied, and HEIF rotation and mirroring
//! applied. Each AVIF is judged against the same server's render of its lossless original, so
//! only the decoder differs. The pixel limit is checked against `ispe` before any AV1 data is
//! decoded; broken files are a JSON 422, never a crash.

use std::time::{Duration, Instant};

use image::RgbaImage;

use crate::support::forge::{mdat_payload, with_ispe};
use crate::support::images::{mean_abs_diff, mean_colour};
use crate::support::roots::{Root, fixture};
use crate::support::server::TestServer;

/// The AVIF fixtures and their originals.
fn root() -> Root {
    let root = Root::new();
    for (key, fixture) in [
        ("alpha.avif", "inputs/cups-alpha.avif"),
        ("alpha.png", "inputs/cups-alpha.png"),
        ("premultiplied.avif", "inputs/cups-alpha-premultiplied.avif"),
        ("ten-bit.avif", "inputs/cups-10bit-444.avif"),
        ("cups.png", "inputs/cups-rgb.png"),
        ("grey.avif", "inputs/grey-12bit.avif"),
        ("grey.jpg", "inputs/grey.jpg"),
        ("rotated.avif", "inputs/forest-irot1-imir0.avif"),
        ("forest.jpg", "inputs/forest-orient1.jpg"),
    ] {
        root.put_fixture(key, fixture);
    }
    root
}

/// Renders `avif` and `original` with the same query and returns both images.
async fn both(server: &TestServer, avif: &str, original: &str, query: &str) -> [RgbaImage; 2] {
    let kind = match query.split("fm=").nth(1) {
        Some(fm) if fm.starts_with("jpg") => "jpeg",
        Some(fm) => &fm[..fm.find('&').unwrap_or(fm.len())],
        None => panic!("give fm= in {query}"),
    };
    let a = server.get(&format!("/{avif}?{query}")).await.image(kind);
    let b = server
        .get(&format!("/{original}?{query}"))
        .await
        .image(kind);
    assert_eq!(a.dimensions(), b.dimensions(), "{avif}?{query}");
    [a, b]
}

/// Mean absolute difference of alpha, 0–255.
fn alpha_diff(a: &RgbaImage, b: &RgbaImage) -> f64 {
    let total: u64 = a
        .pixels()
        .zip(b.pixels())
        .map(|(p, q)| u64::from(p.0[3].abs_diff(q.0[3])))
        .sum();
    total as f64 / f64::from(a.width() * a.height())
}

/// Mean colour difference weighted by the original's alpha, 0–255: invisible pixels may
/// carry any colour.
fn visible_diff(avif: &RgbaImage, original: &RgbaImage) -> f64 {
    let (mut total, mut weight) = (0.0, 0.0);
    for (p, q) in avif.pixels().zip(original.pixels()) {
        let a = f64::from(q.0[3]) / 255.0;
        for c in 0..3 {
            total += a * f64::from(p.0[c].abs_diff(q.0[c]));
        }
        weight += 3.0 * a;
    }
    total / weight
}

#[tokio::test]
async fn alpha_is_kept_in_png_and_webp_output() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for query in ["w=160&fm=png", "w=160&fm=webp&lossless=1"] {
        let [avif, png] = both(&server, "alpha.avif", "alpha.png", query).await;
        assert_eq!(avif.dimensions(), (160, 100));
        let (colour, alpha) = (visible_diff(&avif, &png), alpha_diff(&avif, &png));
        assert!(colour < 3.0, "{query}: colour differs by {colour:.2}");
        assert!(alpha < 1.0, "{query}: alpha differs by {alpha:.2}");
        assert!(
            avif.get_pixel(0, 0).0[3] < 8,
            "{query}: the corner is transparent"
        );
        assert!(
            avif.get_pixel(80, 50).0[3] > 240,
            "{query}: the centre is opaque"
        );
    }
}

#[tokio::test]
async fn jpeg_output_flattens_alpha_onto_white() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let [avif, png] = both(&server, "alpha.avif", "alpha.png", "w=160&fm=jpg").await;
    let diff = mean_abs_diff(&avif, &png);
    assert!(diff < 3.0, "flattened colours differ by {diff:.2}");
    let corner = avif.get_pixel(0, 0).0;
    assert!(
        corner[..3].iter().all(|&c| c >= 250),
        "corner {corner:?} is not white"
    );
    let [mean_avif, mean_png] = [mean_colour(&avif), mean_colour(&png)];
    for c in 0..3 {
        assert!(
            (mean_avif[c] - mean_png[c]).abs() < 2.0,
            "{mean_avif:?} vs {mean_png:?}"
        );
    }
}

#[tokio::test]
async fn premultiplied_alpha_is_undone() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let [avif, png] = both(&server, "premultiplied.avif", "alpha.png", "w=160&fm=png").await;
    let (colour, alpha) = (visible_diff(&avif, &png), alpha_diff(&avif, &png));
    // Without un-premultiplying, the half-transparent rim comes out much darker.
    assert!(colour < 4.0, "colour differs by {colour:.2}");
    assert!(alpha < 1.5, "alpha differs by {alpha:.2}");
}

#[tokio::test]
async fn deep_and_monochrome_avif_match_their_originals() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // 10-bit 4:4:4, limited range, BT.709 matrix; 12-bit monochrome, full range.
    for (avif, original) in [("ten-bit.avif", "cups.png"), ("grey.avif", "grey.jpg")] {
        let [a, b] = both(&server, avif, original, "w=160&fm=png").await;
        let diff = mean_abs_diff(&a, &b);
        assert!(diff < 2.5, "{avif}: differs from {original} by {diff:.2}");
        assert!(a.pixels().all(|p| p.0[3] == 255), "{avif} has no alpha");
    }
}

#[tokio::test]
async fn irot_and_imir_come_out_upright() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // Stored 200x320, turned a quarter anticlockwise and mirrored top to bottom on display.
    let [avif, jpeg] = both(&server, "rotated.avif", "forest.jpg", "w=160&fm=png").await;
    assert_eq!(avif.dimensions(), (160, 100));
    let diff = mean_abs_diff(&avif, &jpeg);
    assert!(diff < 4.0, "differs from the upright original by {diff:.2}");
}

#[tokio::test]
async fn avif_stays_avif_by_default_and_names_avif_among_compatible_brands() {
    let root = root();
    let mut bytes = fixture("inputs/cups-alpha.avif");
    bytes[8..12].copy_from_slice(b"mif1");
    root.put("mif1.avif", &bytes);
    let server = TestServer::serving(&root).await;
    server.get("/alpha.avif?w=40").await.assert_image("avif");
    let image = server.get("/mif1.avif?w=40&fm=png").await.image("png");
    assert_eq!(image.dimensions(), (40, 25));
}

#[tokio::test]
async fn animated_avif_renders_its_still_primary_image() {
    let root = root();
    root.put_fixture("animated.avif", "inputs/cups-animated.avif");
    let server = TestServer::serving(&root).await;
    // Frame 1 is the cups at 64x40, frame 2 their mirror image.
    let still = server.get("/animated.avif?fm=png").await.image("png");
    let cups = server.get("/cups.png?w=64&fm=png").await.image("png");
    let mirrored = server
        .get("/cups.png?w=64&fm=png&flip=h")
        .await
        .image("png");
    let (same, other) = (
        mean_abs_diff(&still, &cups),
        mean_abs_diff(&still, &mirrored),
    );
    assert!(same < 6.0, "differs from frame 1 by {same:.2}");
    assert!(same * 4.0 < other, "frame 1 {same:.2}, mirrored {other:.2}");
}

#[tokio::test]
async fn broken_avif_is_a_422() {
    let root = root();
    let bytes = fixture("inputs/cups-alpha.avif");
    root.put("truncated.avif", &bytes[..bytes.len() / 2]);
    let mut garbage = bytes[..32].to_vec();
    garbage.extend((0..2000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8));
    root.put("garbage.avif", &garbage);
    let mut noisy = bytes.clone();
    let mdat = mdat_payload(&noisy);
    for (i, b) in noisy[mdat..].iter_mut().enumerate() {
        *b ^= (i as u8).wrapping_mul(151) | 1;
    }
    root.put("noisy.avif", &noisy);
    root.put("smaller.avif", &with_ispe(&bytes, 100, 50));
    let server = TestServer::serving(&root).await;
    for key in ["truncated", "garbage", "noisy", "smaller"] {
        let reply = server.get(&format!("/{key}.avif?w=100&fm=png")).await;
        reply.assert_error(422, "undecodable");
    }
}

/// rav1d panics on this file's AV1 data (an `unwrap` on its error path), and a panic cannot
/// unwind out of rav1d's `extern "C"` API: in-process it would abort the server. Decoded in a
/// child process, it is one 422, and the server goes on.
#[tokio::test]
async fn an_av1_decoder_crash_is_a_422_and_the_server_goes_on() {
    let root = root();
    root.put_fixture("crash.avif", "inputs/av1-decoder-panic.avif");
    let server = TestServer::serving(&root).await;
    for _ in 0..2 {
        let reply = server.raw("GET", "/crash.avif?w=100&fm=png", &[]).await;
        reply.assert_error(422, "undecodable");
        let reply = server.get("/alpha.avif?w=100&fm=png").await;
        reply.assert_image("png");
    }
}

#[tokio::test]
async fn ispe_beyond_the_pixel_limit_is_refused_before_decoding() {
    let root = root();
    let mut huge = with_ispe(&fixture("inputs/cups-alpha.avif"), 100_000, 100_000);
    root.put("huge.avif", &huge);
    // The same claim over AV1 data that is noise: still 413, so nothing was decoded.
    let mdat = mdat_payload(&huge);
    huge[mdat..].fill(0xA5);
    root.put("huge-noise.avif", &huge);
    let server = TestServer::serving(&root).await;
    for key in ["huge", "huge-noise"] {
        let started = Instant::now();
        let reply = server.get(&format!("/{key}.avif?w=100&fm=png")).await;
        reply.assert_error(413, "too_large");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{key}: {:?}",
            started.elapsed()
        );
    }
}
