//! The limits on what a source may hold before pixgate renders it (contract §4): more bytes
//! than `limits.max_source_bytes` or more pixels than `limits.max_source_pixels` are a 413,
//! each on its own; an output area beyond the pixel limit is a 400 before anything is read.
//! Passthrough streams a file of any size.

use pixgate::config::LimitsConfig;

use crate::support::images::gradient_png;
use crate::support::roots::{Root, config};
use crate::support::server::TestServer;

/// `a.png`, 40×20 in a few hundred bytes; `photo.jpg`, 400×250 in about 30 KB.
fn root() -> Root {
    let root = Root::new();
    root.put("a.png", &gradient_png(40, 20))
        .put_fixture("photo.jpg", "private/cups-400x250.jpg");
    root
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_over_the_limits_are_413() {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_source_pixels_are_413() {
    let root = root();
    let mut config = config(vec![root.source("demo")]);
    config.limits.max_source_pixels = 100;
    let server = TestServer::start(config).await;
    // a.png is 40×20 = 800 pixels.
    server
        .get("/a.png?w=10")
        .await
        .assert_error(413, "too_large");
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
