//! The limits on what a source may hold before pixgate renders it (contract §4): more bytes
//! than `limits.max_source_bytes` or more pixels than `limits.max_source_pixels` are a 413,
//! each on its own; an output area beyond the pixel limit is a 400 before anything is read.
//! Passthrough streams a file of any size.

use pixgate::config::LimitsConfig;

use crate::support::images::{gradient_png, png_chunk};
use crate::support::roots::{Root, config};
use crate::support::server::TestServer;

/// `a.png`, 40×20 in a few hundred bytes; `photo.jpg`, 400×250 in about 30 KB.
fn root() -> Root {
    let root = Root::new();
    root.put("a.png", &gradient_png(40, 20))
        .put_fixture("photo.jpg", "private/cups-400x250.jpg");
    root
}

/// `small.png` with a private ancillary chunk (`prVt`, which decoders skip) of `padding` bytes
/// after its IHDR: the same 40×20 picture in as many more bytes as wanted.
fn padded_png(small: &[u8], padding: usize) -> Vec<u8> {
    let after_ihdr = 8 + 12 + 13;
    assert_eq!(&small[12..16], b"IHDR");
    let mut out = small[..after_ihdr].to_vec();
    out.extend(png_chunk(b"prVt", &vec![0x5A; padding]));
    out.extend_from_slice(&small[after_ihdr..]);
    out
}

/// A file is refused for its bytes alone: 800 pixels (the pixel limit is left at its default,
/// far above) padded past `max_source_bytes`. The same file renders once the byte limit allows
/// it, so size is the only reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_over_max_source_bytes_alone_is_413() {
    const MAX_BYTES: u64 = 10_000;
    let root = Root::new();
    let small = gradient_png(40, 20);
    let padded = padded_png(&small, 2 * MAX_BYTES as usize);
    root.put("small.png", &small).put("padded.png", &padded);
    let limited = |max_source_bytes| {
        let mut config = config(vec![root.source("demo")]);
        config.limits.max_source_bytes = max_source_bytes;
        assert!(config.limits.max_source_pixels >= 800);
        config
    };

    let server = TestServer::start(limited(MAX_BYTES)).await;
    server
        .get("/padded.png?w=10")
        .await
        .assert_error(413, "too_large");
    server.get("/small.png?w=10").await.assert_image("png");
    // Passthrough streams any size.
    let whole = server.get("/padded.png").await;
    whole.assert_status(200);
    assert_eq!(whole.body, padded);

    let roomy = TestServer::start(limited(4 * MAX_BYTES)).await;
    let rendered = roomy.get("/padded.png?w=10").await.image("png");
    let reference = roomy.get("/small.png?w=10").await.image("png");
    assert!(rendered == reference, "the padding changed the picture");
}

/// A file is refused for its pixels alone: 800 of them against a limit of 100, in a few
/// hundred bytes (the byte limit is left at its default, far above). The same file renders
/// once the pixel limit allows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_over_max_source_pixels_alone_is_413() {
    let root = root();
    let bytes = std::fs::metadata(root.path().join("a.png")).unwrap().len();
    let limited = |max_source_pixels| {
        let mut config = config(vec![root.source("demo")]);
        config.limits.max_source_pixels = max_source_pixels;
        assert!(config.limits.max_source_bytes > 100 * bytes);
        config
    };
    // a.png is 40×20 = 800 pixels.
    let server = TestServer::start(limited(100)).await;
    server
        .get("/a.png?w=10")
        .await
        .assert_error(413, "too_large");
    let roomy = TestServer::start(limited(800)).await;
    roomy.get("/a.png?w=10").await.assert_image("png");
}

/// Over both limits at once: 413, and passthrough still streams the file whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_over_both_limits_is_413_and_still_passes_through() {
    let root = root();
    let mut config = config(vec![root.source("demo")]);
    config.limits = LimitsConfig {
        max_source_bytes: 1000,
        max_source_pixels: 50_000,
        ..LimitsConfig::default()
    };
    let server = TestServer::start(config).await;
    // 30 KB on disk, and 400×250 = 100 000 pixels.
    server
        .get("/photo.jpg?w=10")
        .await
        .assert_error(413, "too_large");
    // Passthrough streams any size.
    server.get("/photo.jpg").await.assert_status(200);
}

/// Each output side is capped by `max_output_dimension`, and the area by `max_source_pixels`:
/// a tall `ar` or a stretched box cannot ask a thumbnail for tens of megapixels.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_area_above_max_source_pixels_is_400_before_decoding() {
    let root = Root::new();
    root.put_fixture("forest-800x500.jpg", "forest-800x500.jpg");
    let mut config = config(vec![root.source("demo")]);
    config.limits.max_source_pixels = 4_000_000;
    let server = TestServer::start(config).await;
    for target in [
        "/forest-800x500.jpg?w=8192&ar=1:10000",
        "/forest-800x500.jpg?w=2100&h=2100&fit=scale",
        "/forest-800x500.jpg?h=4000&ar=2:1",
    ] {
        let message = server.get(target).await.assert_error(400, "bad_parameter");
        assert!(message.contains("pixels"), "{target}: {message}");
    }
    // Just inside the area is rendered.
    server
        .get("/forest-800x500.jpg?w=2000&h=2000&fit=scale&fm=jpg&q=10")
        .await
        .assert_image("jpeg");
    server
        .get("/forest-800x500.jpg?w=50")
        .await
        .assert_image("jpeg");
}
