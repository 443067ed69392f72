//! Hostile and broken sources (issue 3, contract §4): sizes are checked from the header before
//! any pixel buffer exists, so decompression bombs are refused with a clean 413 and the
//! process's memory does not grow; truncated and corrupt files of every format are 422, never
//! 500 and never a dropped connection.

use crate::support::forge::{gif_of_frames, jpeg_claiming, png_claiming};
use crate::support::images::image_kind;
use crate::support::roots::{Root, config, file_name, fixture};
use crate::support::server::TomlParts;
use crate::support::server::{Daemon, TestServer};
use crate::support::wire::raw_request;

// ---------------------------------------------------------------------------------------------
// Bombs: tiny files whose headers claim enormous images
// ---------------------------------------------------------------------------------------------

/// Each bomb is refused from its header through the real binary, and the process's peak
/// memory stays where an idle server's is: nothing near the claimed sizes (a 100000² RGBA
/// buffer is 40 GB, 65535² RGB 12 GB) was ever allocated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decompression_bombs_are_refused_from_the_header_with_bounded_memory() {
    let root = Root::new();
    root.put("png-100000.png", &png_claiming(100_000, 100_000))
        .put("jpeg-65535.jpg", &jpeg_claiming(65_535, 65_535))
        .put("gif-screen.gif", &gif_of_frames((65_535, 65_535), 1))
        .put("gif-frames.gif", &gif_of_frames((2000, 2000), 3000))
        .put_fixture("forest.jpg", "forest-800x500.jpg");
    let (daemon, addr) = Daemon::serve_root(root.path(), root.path(), "demo", TomlParts::default());
    // A real render first, so the baseline includes the codecs' working memory.
    let reply = raw_request(addr, "GET", "/forest.jpg?w=100", &[]).await;
    reply.assert_image("jpeg");
    let baseline = daemon.peak_rss_kib();

    for target in [
        "/png-100000.png?w=100",
        "/png-100000.png?w=100&fm=webp",
        "/jpeg-65535.jpg?w=100",
        "/jpeg-65535.jpg?w=100&fm=png",
        "/gif-screen.gif?w=100",
        "/gif-screen.gif?w=100&fm=gif",
        // 3000 frames: more than `max_animation_frames` (256), counted without decoding.
        "/gif-frames.gif?w=100&fm=gif",
    ] {
        for _ in 0..3 {
            let message = raw_request(addr, "GET", target, &[])
                .await
                .assert_error(413, "too_large");
            assert!(!message.is_empty(), "{target}");
        }
    }
    // The many-frames GIF is fine as a still: only its first frame is decoded.
    raw_request(addr, "GET", "/gif-frames.gif?w=100&fm=png", &[])
        .await
        .assert_image("png");

    let peak = daemon.peak_rss_kib();
    eprintln!("peak RSS: {baseline} KiB after one render, {peak} KiB after the bombs");
    // The still GIF composites one 2000² RGBA screen (16 MB) plus its resize; the bombs add
    // nothing. 64 MB of headroom is far below any claimed size.
    assert!(
        peak < baseline + 64 * 1024,
        "peak RSS grew from {baseline} KiB to {peak} KiB"
    );
    // Still serving.
    raw_request(addr, "GET", "/forest.jpg?w=120", &[])
        .await
        .assert_image("jpeg");
}

// ---------------------------------------------------------------------------------------------
// Truncated and corrupt files of every format
// ---------------------------------------------------------------------------------------------

/// Every input kind the fixtures hold, with the output asked of it.
const KINDS: &[(&str, &str)] = &[
    ("forest-800x500.jpg", "w=100"),
    ("inputs/forest-progressive.jpg", "w=100"),
    ("inputs/grey.jpg", "w=100"),
    ("inputs/cups-cmyk.jpg", "w=100"),
    ("inputs/cups-rgb.png", "w=100"),
    ("inputs/cups-palette.png", "w=100"),
    ("inputs/cups-16bit.png", "w=100"),
    ("inputs/grey-alpha.png", "w=100"),
    ("inputs/forest-lossy.webp", "w=100"),
    ("inputs/kite-lossless.webp", "w=100"),
    ("inputs/cups-alpha.webp", "w=100"),
    ("inputs/forest-still.gif", "w=100"),
    ("kite-animated-480x300.gif", "w=100"),
    ("kite-animated-480x300.gif", "w=100&fm=gif"),
    ("inputs/forest.bmp", "w=100"),
    ("inputs/forest.tiff", "w=100"),
    ("inputs/cups-alpha.avif", "w=100&fm=png"),
];

/// Each file cut to 60% of its length: the header is intact, the pixel data is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_files_of_every_format_are_422() {
    let root = Root::new();
    for (path, _) in KINDS {
        let bytes = fixture(path);
        root.put(
            &format!("cut-{}", file_name(path)),
            &bytes[..bytes.len() * 6 / 10],
        );
        root.put(file_name(path), &bytes);
    }
    let server = TestServer::start(config(vec![root.source("demo")])).await;
    for (path, query) in KINDS {
        // The whole file renders, so the 422 below is about the cut and nothing else.
        let whole = server
            .raw("GET", &format!("/{}?{query}", file_name(path)), &[])
            .await;
        assert_eq!(whole.status, 200, "{path}?{query}: {}", whole.text());
        let target = format!("/cut-{}?{query}", file_name(path));
        let reply = server.raw("GET", &target, &[]).await;
        reply.assert_error(422, "undecodable");
    }
}

/// Each file with a run of its middle bytes overwritten. Decoders may conceal damage in
/// entropy-coded data (a JPEG shows grey blocks), so the answer is an image or a 422 (a 415 or
/// 413 when the damage hits the signature or a size field) — never a 5xx and never a dropped
/// connection; the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_files_of_every_format_are_an_image_or_a_4xx_never_5xx() {
    let root = Root::new();
    for (path, _) in KINDS {
        let mut bytes = fixture(path);
        let middle = bytes.len() / 2;
        for (i, byte) in bytes[middle..middle + 64].iter_mut().enumerate() {
            *byte = (i as u8).wrapping_mul(37) ^ 0xA5;
        }
        root.put(&format!("bad-{}", file_name(path)), &bytes);
        // Header damage: the bytes just past the signature.
        let mut bytes = fixture(path);
        for byte in &mut bytes[12..28] {
            *byte ^= 0xFF;
        }
        root.put(&format!("badhead-{}", file_name(path)), &bytes);
    }
    root.put_fixture("forest-800x500.jpg", "forest-800x500.jpg");
    let server = TestServer::start(config(vec![root.source("demo")])).await;
    for (path, query) in KINDS {
        for prefix in ["bad", "badhead"] {
            let target = format!("/{prefix}-{}?{query}", file_name(path));
            let reply = server.raw("GET", &target, &[]).await;
            eprintln!("{target}: {}", reply.status);
            match reply.status {
                200 => {
                    assert!(image_kind(&reply.body).is_some(), "{target}");
                }
                415 => {
                    // Header damage can leave bytes that are no known format at all.
                    assert_eq!(prefix, "badhead", "{target}");
                    reply.assert_error(415, "not_an_image");
                }
                413 => {
                    // Or a size field turned into billions of pixels: refused from the header.
                    assert_eq!(prefix, "badhead", "{target}");
                    reply.assert_error(413, "too_large");
                }
                _ => {
                    reply.assert_error(422, "undecodable");
                }
            }
        }
    }
    server
        .get("/forest-800x500.jpg?w=50")
        .await
        .assert_image("jpeg");
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
