//! Animated WebP in and out, and `auto=format` on animations: an animation stays one (WebP
//! where `Accept` names WebP or AVIF, else GIF) unless one `frame` is asked for; every frame
//! keeps its delay and the loop count; the frame cap and the pixel budget hold as for GIF.

use super::{KITE, downscaled};
use crate::support::animations::{
    Timed, animated_webp, assert_solid, delays, gif_frames, gif_repeat, rgb_gif, solid_frames,
    webp_frame_codecs, webp_frames, webp_frames_by_libwebp, webp_plays,
};
use crate::support::images::{BLUE, GREEN, RED, YELLOW, decode, dimensions, mean_abs_diff};
use crate::support::reply::Reply;
use crate::support::roots::{Root, config, fixture};
use crate::support::server::TestServer;

const KITE_WEBP: &str = "inputs/kite-animated.webp";
const CHROME: &str = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

/// A 40×20 WebP of red for 70 ms, green for 230 ms and blue for 500 ms, played `plays` times.
fn rgb_webp(plays: u16) -> Vec<u8> {
    animated_webp(
        &solid_frames(40, 20, &[(RED, 70), (GREEN, 230), (BLUE, 500)]),
        plays,
    )
}

/// Each output frame nearer its own source frame (downscaled alike) than any other one, within
/// `tolerance` of it (mean absolute difference per channel).
#[track_caller]
fn assert_same_frames(out: &[Timed], source: &[Timed], tolerance: f64, case: &str) {
    assert_eq!(out.len(), source.len(), "{case}: frame count");
    for (i, (frame, _)) in out.iter().enumerate() {
        let (w, h) = frame.dimensions();
        let own = mean_abs_diff(frame, &downscaled(&source[i].0, w, h));
        assert!(own < tolerance, "{case}: frame {i} differs by {own:.1}");
        for (j, (other, _)) in source.iter().enumerate().filter(|(j, _)| *j != i) {
            let theirs = mean_abs_diff(frame, &downscaled(other, w, h));
            assert!(own < theirs, "{case}: frame {i} is nearer source frame {j}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_format_from_chrome_turns_an_animated_gif_into_an_animated_webp() {
    let root = Root::new();
    root.put_fixture("kite.gif", KITE);
    let server = TestServer::serving(&root).await;
    let source = gif_frames(&fixture(KITE));

    let reply = server
        .get_with("/kite.gif?w=240&auto=format", &[("accept", CHROME)])
        .await;
    reply.assert_image("webp");
    assert_eq!(reply.header("vary"), Some("Accept"));
    let out = webp_frames(&reply.body);
    assert_eq!(delays(&out), delays(&source), "delays");
    assert_eq!(webp_plays(&reply.body), 0, "loops forever, as the GIF");
    assert!(out.iter().all(|(f, _)| f.dimensions() == (240, 150)));
    // Tolerance: lossy WebP at q75 of the same downscale lands within 4; other frames are 26 or
    // more away.
    assert_same_frames(&out, &source, 6.0, "chrome");

    // An explicit `fm=webp` animates too; without WebP in `Accept` the animation is a GIF.
    let reply = server.get("/kite.gif?w=240&fm=webp").await;
    reply.assert_image("webp");
    assert_eq!(webp_frames(&reply.body).len(), 4);
    for accept in ["image/png,image/*;q=0.8,*/*;q=0.5", ""] {
        let reply = server
            .get_with("/kite.gif?w=240&auto=format", &[("accept", accept)])
            .await;
        reply.assert_image("gif");
        assert_eq!(gif_frames(&reply.body).len(), 4, "Accept: {accept}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_frame_is_a_still_in_the_negotiated_format() {
    let root = Root::new();
    root.put("rgb.gif", &rgb_gif(gif::Repeat::Infinite));
    let server = TestServer::serving(&root).await;
    let reply = server
        .get_with("/rgb.gif?w=20&frame=2&auto=format", &[("accept", CHROME)])
        .await;
    reply.assert_image("avif");
    assert_eq!(dimensions(&reply.body), (20, 10));
    let reply = server
        .get_with(
            "/rgb.gif?w=20&frame=2&auto=format",
            &[("accept", "image/webp")],
        )
        .await;
    reply.assert_image("webp");
    let still = decode(&reply.body);
    assert_solid(&still, GREEN, "frame 2 as a still WebP");
    assert!(
        webp_frame_codecs(&reply.body).is_empty(),
        "a still has no ANMF"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn animated_webp_keeps_every_frame_delay_and_loop_count_in_webp_and_gif() {
    let root = Root::new();
    root.put("rgb.webp", &rgb_webp(4))
        .put("forever.webp", &rgb_webp(0));
    let server = TestServer::serving(&root).await;

    // WebP in, no `fm`: WebP out. WebP counts every play, GIF the plays after the first.
    let reply = server.get("/rgb.webp?w=20").await;
    reply.assert_image("webp");
    let frames = webp_frames(&reply.body);
    assert_eq!(delays(&frames), vec![70, 230, 500]);
    for ((frame, _), want) in frames.iter().zip([RED, GREEN, BLUE]) {
        assert_eq!(frame.dimensions(), (20, 10));
        assert_solid(frame, want, "webp out");
    }
    assert_eq!(webp_plays(&reply.body), 4);

    let reply = server.get("/rgb.webp?w=20&fm=gif").await;
    reply.assert_image("gif");
    let frames = gif_frames(&reply.body);
    assert_eq!(delays(&frames), vec![70, 230, 500]);
    for ((frame, _), want) in frames.iter().zip([RED, GREEN, BLUE]) {
        assert_solid(frame, want, "gif out");
    }
    assert_eq!(gif_repeat(&reply.body), gif::Repeat::Finite(3));

    let reply = server.get("/forever.webp?w=20&fm=gif").await;
    assert_eq!(gif_repeat(&reply.body), gif::Repeat::Infinite);
    let reply = server.get("/forever.webp?w=20").await;
    assert_eq!(webp_plays(&reply.body), 0);

    // A GIF that plays three more times is a WebP that plays four times.
    root.put("rgb.gif", &rgb_gif(gif::Repeat::Finite(3)));
    let reply = server.get("/rgb.gif?w=20&fm=webp").await;
    assert_eq!(webp_plays(&reply.body), 4);
    assert_eq!(delays(&webp_frames(&reply.body)), vec![70, 230, 500]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kite_webp_fixture_animates_frame_for_frame_like_its_gif() {
    let root = Root::new();
    root.put_fixture("kite.webp", KITE_WEBP);
    let server = TestServer::serving(&root).await;
    let source = webp_frames(&fixture(KITE_WEBP));
    assert_eq!(source.len(), 4, "the fixture's frame count");
    for (query, kind) in [("w=240", "webp"), ("w=240&fm=gif", "gif")] {
        let reply = server.get(&format!("/kite.webp?{query}")).await;
        reply.assert_image(kind);
        let out = if kind == "webp" {
            webp_frames(&reply.body)
        } else {
            gif_frames(&reply.body)
        };
        assert_eq!(delays(&out), vec![200; 4], "{query}");
        // Tolerance: one more lossy generation (WebP q75, or GIF's 256 colours) of the
        // same downscale.
        assert_same_frames(&out, &source, 6.0, query);
    }
    // A still format takes the first frame.
    let reply = server.get("/kite.webp?w=240&fm=png").await;
    reply.assert_image("png");
    let still = decode(&reply.body);
    let first = mean_abs_diff(&still, &downscaled(&source[0].0, 240, 150));
    assert!(first < 2.5, "differs from the first frame by {first:.2}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transparent_frames_leave_no_trail_in_webp_either() {
    let root = Root::new();
    root.put("moving.gif", &super::moving_square_gif());
    let server = TestServer::serving(&root).await;
    let reply = server.get("/moving.gif?w=30&fm=webp").await;
    reply.assert_image("webp");
    // As a viewer composites them: each frame shows the square in its own third only.
    let frames = webp_frames_by_libwebp(&reply.body);
    assert_eq!(frames.len(), 3);
    super::shows_its_own_third_each(frames.iter());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lossless_and_quality_reach_the_animation_encoder() {
    let root = Root::new();
    let gradient = |shift: u8| {
        image::RgbaImage::from_fn(64, 64, |x, y| {
            image::Rgba([(x * 4) as u8, (y * 4) as u8, shift.wrapping_mul(60), 255])
        })
    };
    let frames: Vec<Timed> = (0..3).map(|i| (gradient(i), 100)).collect();
    root.put("gradient.webp", &animated_webp(&frames, 0));
    let server = TestServer::serving(&root).await;

    let reply = server.get("/gradient.webp?lossless=1").await;
    reply.assert_image("webp");
    assert!(webp_frame_codecs(&reply.body).iter().all(|c| c == b"VP8L"));
    let out = webp_frames_by_libwebp(&reply.body);
    assert_eq!(out.len(), 3);
    for (i, frame) in out.iter().enumerate() {
        assert_eq!(frame, &frames[i].0, "lossless frame {i} is exact");
    }
    assert_eq!(delays(&webp_frames(&reply.body)), vec![100; 3]);

    let small = server.get("/gradient.webp?q=10").await;
    let large = server.get("/gradient.webp?q=95").await;
    for reply in [&small, &large] {
        assert!(webp_frame_codecs(&reply.body).iter().all(|c| c == b"VP8 "));
    }
    assert!(
        small.body.len() < large.body.len(),
        "q=10: {} bytes, q=95: {}",
        small.body.len(),
        large.body.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Limits and bad files
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_webp_frames_are_refused_like_a_gifs() {
    let root = Root::new();
    root.put("rgb.webp", &rgb_webp(0));
    let mut capped = config(vec![root.source("demo")]);
    capped.limits.max_animation_frames = 2;
    let server = TestServer::start(capped).await;
    for target in ["/rgb.webp?w=20", "/rgb.webp?w=20&fm=gif"] {
        server.get(target).await.assert_error(413, "too_large");
    }
    let reply = server.get("/rgb.webp?w=20&fm=png").await;
    reply.assert_image("png");
    assert_solid(&decode(&reply.body), RED, "first frame under the cap");

    // 3 frames × 40×20 = 2 400 pixels; one frame is 800.
    for (limit, animated) in [(2_000, false), (2_400, true)] {
        let mut config = config(vec![root.source("demo")]);
        config.limits.max_source_pixels = limit;
        let server = TestServer::start(config).await;
        let reply = server.get("/rgb.webp?w=20").await;
        if animated {
            assert_eq!(webp_frames(&reply.body).len(), 3, "limit {limit}");
        } else {
            reply.assert_error(413, "too_large");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_animated_webps_are_422_not_a_crash() {
    let good = rgb_webp(0);
    // The last frame's bitstream cut short: the container still counts three frames.
    let cut = {
        let mut bytes = good[..good.len() - 6].to_vec();
        let size = u32::try_from(bytes.len() - 8).unwrap();
        bytes[4..8].copy_from_slice(&size.to_le_bytes());
        bytes
    };
    // The kite's second frame's bitstream overwritten, its chunks intact: libwebp's animation
    // decoder (the `webp` crate's `AnimDecoder`) spins forever on this one.
    let garbled = {
        let mut bytes = fixture(KITE_WEBP);
        let second = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| w == b"VP8 ")
            .nth(1)
            .map(|(at, _)| at)
            .unwrap();
        for b in &mut bytes[second + 100..second + 3000] {
            *b = 0x5a;
        }
        bytes
    };
    // The second frame placed past the canvas's right edge.
    let outside = {
        let frames = solid_frames(40, 20, &[(RED, 70), (YELLOW, 70)]);
        let mut bytes = animated_webp(&frames, 0);
        let second = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| w == b"ANMF")
            .nth(1)
            .map(|(at, _)| at)
            .unwrap();
        bytes[second + 8] = 10;
        bytes
    };
    let root = Root::new();
    root.put("cut.webp", &cut)
        .put("garbled.webp", &garbled)
        .put("outside.webp", &outside);
    let server = TestServer::serving(&root).await;
    for name in ["cut", "garbled", "outside"] {
        for query in ["w=20", "w=20&fm=gif"] {
            server
                .get(&format!("/{name}.webp?{query}"))
                .await
                .assert_error(422, "undecodable");
        }
    }
    // The server is still there.
    server
        .get("/cut.webp?w=20&fm=png")
        .await
        .assert_image("png");
}

// ---------------------------------------------------------------------------------------------
// The cache key
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_headers_share_entries_where_the_bytes_are_the_same() {
    let root = Root::new();
    root.put_fixture("kite.gif", KITE);
    let server = TestServer::serving(&root).await;
    let moving = "/kite.gif?w=120&auto=format";
    // Chrome and Firefox both name AVIF: the same animated WebP, one entry.
    get(&server, CHROME, moving).await.assert_image("webp");
    let firefox = get(&server, "image/avif,image/webp,*/*", moving).await;
    assert_eq!(firefox.header("x-cache"), Some("HIT"));
    // WebP alone, and neither, are entries of their own (a still would be WebP and the GIF).
    assert_eq!(
        get(&server, "image/webp", moving).await.header("x-cache"),
        Some("MISS")
    );
    let old = get(&server, "image/png", moving).await;
    old.assert_image("gif");
    assert_eq!(old.header("x-cache"), Some("MISS"));

    // One frame without a modern format is the source's format either way: one entry.
    let still = "/kite.gif?w=120&frame=1&auto=format";
    get(&server, "image/png", still).await.assert_image("gif");
    let plain = server.get("/kite.gif?w=120&frame=1").await;
    assert_eq!(plain.header("x-cache"), Some("HIT"));
}

async fn get(server: &TestServer, accept: &str, target: &str) -> Reply {
    server.get_with(target, &[("accept", accept)]).await
}
