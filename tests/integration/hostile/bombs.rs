//! Decompression bombs of every input format: a few bytes whose header claims billions of
//! pixels are refused from the header with `413 too_large` (README: "Limits, before any
//! allocation"), fast, and the server renders the next request. Through the real binary, the
//! process's peak memory shows that nothing near a claimed size was ever allocated.

use std::time::Duration;

use super::{Case, Forbidden, Want, run_table};
use crate::support::binary::{Daemon, TomlParts};
use crate::support::forge::{
    bmp_claiming, bombs, gif, gif_of_frames, jpeg_claiming, png_claiming, webp_canvas_claiming,
    webp_lossless_claiming,
};
use crate::support::images::{gradient_png, image_kind};
use crate::support::roots::Root;
use crate::support::server::TestServer;
use crate::support::wire::{self, raw_request};

/// A bomb must be refused about as fast as any header read.
const FAST: Duration = Duration::from_secs(3);

const TOO_LARGE: Want = Want::Error(413, "too_large");

fn root_with(files: &[(&str, Vec<u8>)]) -> Root {
    let root = Root::new();
    root.put("ok.png", &gradient_png(64, 40));
    for (name, bytes) in files {
        root.put(name, bytes);
    }
    root
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bomb_of_every_input_format_is_413_from_its_header_and_the_next_render_works() {
    let bombs = bombs();
    let root = root_with(&bombs);
    let server = TestServer::serving(&root).await;
    let mut cases = Vec::new();
    for (name, bytes) in &bombs {
        assert!(bytes.len() < 16 * 1024, "{name} is {} bytes", bytes.len());
        for query in ["w=100", "w=100&fm=webp", "h=50&fm=gif"] {
            cases.push(Case::get(*name, format!("/{name}?{query}"), TOO_LARGE));
        }
        cases.push(Case::head(*name, format!("/{name}?w=100"), TOO_LARGE));
    }
    let forbidden = Forbidden::new([root.path().display().to_string()]);
    run_table(&server, &cases, "/ok.png", &forbidden, FAST).await;
    // Untransformed, a bomb is only bytes: passthrough serves them as stored.
    for (name, bytes) in &bombs {
        let reply = server.get(&format!("/{name}")).await;
        reply.assert_status(200);
        assert_eq!(&reply.body, bytes, "{name}");
    }
}

/// Some headers claim more than a decoder will represent (the `image` crate's BMP reader stops
/// at 65535 px a side, image-webp at a 2^32-pixel canvas and misreads a 16384-px VP8L side as
/// 0, the PNG reader's own memory limit trips on 2^31 − 1 px a side). The README promises the
/// pixel limit for "BMP/TIFF headers", "WebP VP8/VP8L/VP8X" and "PNG IHDR", and jpeg.rs already
/// turns libjpeg's own size refusal into 413; these are too large, not corrupt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_beyond_a_decoders_own_size_cap_are_still_413_not_undecodable() {
    let bombs = vec![
        ("bmp-100000x100000.bmp", bmp_claiming(100_000, 100_000, 24)),
        (
            "webp-vp8x-65536x65536.webp",
            webp_canvas_claiming(65_536, 65_536),
        ),
        (
            "webp-vp8l-16384x16384.webp",
            webp_lossless_claiming(16_384, 16_384),
        ),
        (
            "png-2147483647x2147483647.png",
            png_claiming(i32::MAX as u32, i32::MAX as u32),
        ),
    ];
    let root = root_with(&bombs);
    let server = TestServer::serving(&root).await;
    let cases: Vec<Case> = bombs
        .iter()
        .map(|(name, _)| Case::get(*name, format!("/{name}?w=100"), TOO_LARGE))
        .collect();
    let forbidden = Forbidden::new([root.path().display().to_string()]);
    run_table(&server, &cases, "/ok.png", &forbidden, FAST).await;
}

/// A first frame far larger than its logical screen is malformed (the gif crate refuses the
/// frame descriptor): 422, at once, without allocating the frame.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gif_frame_far_larger_than_its_screen_is_422_at_once() {
    let bombs = vec![
        ("frame-in-1x1.gif", gif((1, 1), (65_535, 65_535))),
        ("frame-in-16x16.gif", gif((16, 16), (65_535, 65_535))),
    ];
    let root = root_with(&bombs);
    let server = TestServer::serving(&root).await;
    let mut cases = Vec::new();
    for (name, _) in &bombs {
        for query in ["w=10", "w=10&fm=gif"] {
            let want = Want::Error(422, "undecodable");
            cases.push(Case::get(*name, format!("/{name}?{query}"), want));
        }
    }
    let forbidden = Forbidden::new([root.path().display().to_string()]);
    run_table(&server, &cases, "/ok.png", &forbidden, FAST).await;
}

/// Through the real binary: WebP, BMP, TIFF and AVIF bombs, and the GIF frame bomb, leave the
/// process's peak memory where one ordinary render put it (the claimed sizes are 0.27–40 GB).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bombs_of_the_other_formats_leave_peak_memory_where_one_render_put_it() {
    let mut bombs = bombs();
    bombs.retain(|(name, _)| !name.starts_with("png") && !name.starts_with("jpeg"));
    bombs.push(("frame.gif", gif((1, 1), (65_535, 65_535))));
    let root = root_with(&bombs);
    root.put_fixture("forest.jpg", "forest-800x500.jpg");
    let (served, addr) = Daemon::serve_root(root.path(), root.path(), "demo", TomlParts::default());
    let get = move |target: String| async move {
        wire::one(addr, "GET", target.as_bytes(), &[], super::HANG)
            .await
            .unwrap()
    };
    let first = get("/forest.jpg?w=100".into()).await;
    assert_eq!(image_kind(&first.body), Some("jpeg"), "{}", first.text());
    let baseline = served.peak_rss_kib();
    for (name, _) in &bombs {
        for query in ["w=100", "w=100&fm=gif"] {
            let reply = get(format!("/{name}?{query}")).await;
            assert!(
                [413, 422].contains(&reply.status),
                "{name}?{query}: {}",
                reply.status
            );
        }
    }
    let peak = served.peak_rss_kib();
    eprintln!("peak RSS {baseline} KiB after one render, {peak} KiB after the bombs");
    assert!(
        peak < baseline + 32 * 1024,
        "peak RSS grew from {baseline} KiB to {peak} KiB"
    );
    let after = get("/forest.jpg?w=120".into()).await;
    assert_eq!(image_kind(&after.body), Some("jpeg"));
}

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
