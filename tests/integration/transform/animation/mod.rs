//! Animations (contract §3): an animated GIF stays animated with its frames, delays and loop
//! count; still formats take the first frame; the frame cap and the frames × screen pixel
//! budget answer 413. Animated WebP, `auto=format` on animations, the animation parameters and
//! the transforms on every frame have a file each.

mod options;
mod per_frame;
mod webp;

use image::RgbaImage;
use image::imageops::FilterType;

use crate::support::animations::{
    assert_solid, delays, gif_frames, gif_repeat, indexed_gif, rgb_gif,
};
use crate::support::images::{BLUE, GREEN, RED, decode, dimensions, mean_abs_diff, mean_colour};
use crate::support::roots::{Root, config, fixture};
use crate::support::server::TestServer;

pub const KITE: &str = "kite-animated-480x300.gif";

// ---------------------------------------------------------------------------------------------
// Animation
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn animated_gif_keeps_every_frame_in_order_with_its_delay_and_loop() {
    let root = Root::new();
    root.put_fixture("kite.gif", KITE);
    let server = TestServer::serving(&root).await;
    let source = gif_frames(&fixture(KITE));
    assert_eq!(source.len(), 4, "the fixture's frame count");

    // GIF in, no `fm`: the default output is GIF, so both requests animate.
    for query in ["w=240&fm=gif", "w=240"] {
        let reply = server.get(&format!("/kite.gif?{query}")).await;
        reply.assert_image("gif");
        let out = gif_frames(&reply.body);
        assert_eq!(out.len(), source.len(), "{query}: frame count");
        assert_eq!(delays(&out), delays(&source), "{query}: delays");
        assert_eq!(gif_repeat(&reply.body), gif::Repeat::Infinite, "{query}");
        for (i, (frame, _)) in out.iter().enumerate() {
            assert_eq!(frame.dimensions(), (240, 150), "{query}: frame {i}");
            // Tolerances: GIF quantisation (NeuQuant, 256 colours) moves the mean colour by
            // under a level and leaves a mean absolute difference near 1.4 from the reference
            // downscale. The kite's frames share one mean colour, so that only catches blank
            // or discoloured frames; each is 26 or more from every other frame's reference,
            // which catches shuffled or repeated ones.
            let want = downscaled(&source[i].0, 240, 150);
            let (got, want_mean) = (mean_colour(frame), mean_colour(&want));
            for c in 0..3 {
                assert!(
                    (got[c] - want_mean[c]).abs() < 4.0,
                    "{query}: frame {i} mean {got:?}, source {want_mean:?}"
                );
            }
            let own = mean_abs_diff(frame, &want);
            assert!(own < 5.0, "{query}: frame {i} differs by {own:.1}");
            for (j, (other, _)) in source.iter().enumerate().filter(|(j, _)| *j != i) {
                let theirs = mean_abs_diff(frame, &downscaled(other, 240, 150));
                assert!(
                    own < theirs,
                    "{query}: frame {i} is nearer source frame {j} ({theirs:.1} ≤ {own:.1})"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_keep_their_order_delays_and_loop_count() {
    let cases = [
        (gif::Repeat::Finite(3), "loop count 3"),
        (gif::Repeat::Infinite, "loops forever"),
        (gif::Repeat::Finite(0), "plays once: no NETSCAPE2.0 block"),
    ];
    for (repeat, case) in cases {
        let root = Root::new();
        root.put("rgb.gif", &rgb_gif(repeat));
        let server = TestServer::serving(&root).await;
        let reply = server.get("/rgb.gif?w=20&fm=gif").await;
        reply.assert_image("gif");
        let frames = gif_frames(&reply.body);
        assert_eq!(frames.len(), 3, "{case}");
        assert_eq!(delays(&frames), vec![70, 230, 500], "{case}");
        for ((frame, _), want) in frames.iter().zip([RED, GREEN, BLUE]) {
            assert_eq!(frame.dimensions(), (20, 10), "{case}");
            assert_solid(frame, want, case);
        }
        assert_eq!(gif_repeat(&reply.body), repeat, "{case}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transparent_frames_leave_no_trail() {
    let root = Root::new();
    root.put("moving.gif", &moving_square_gif());
    let server = TestServer::serving(&root).await;
    let reply = server.get("/moving.gif?w=30&fm=gif").await;
    reply.assert_image("gif");
    let frames = gif_frames(&reply.body);
    assert_eq!(frames.len(), 3);
    // Each output frame, as a viewer composites it, shows the square in its own third only:
    // output frames are whole canvases, so each must be disposed to the background (GIF
    // disposal 2) before the next; under the default "keep", old squares show through.
    shows_its_own_third_each(frames.iter().map(|(frame, _)| frame));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn still_output_of_an_animation_is_its_first_frame() {
    let root = Root::new();
    root.put("rgb.gif", &rgb_gif(gif::Repeat::Infinite))
        .put_fixture("kite.gif", KITE);
    let server = TestServer::serving(&root).await;

    for (query, kind) in [("w=20&fm=png", "png"), ("w=20&fm=jpg", "jpeg")] {
        let reply = server.get(&format!("/rgb.gif?{query}")).await;
        reply.assert_image(kind);
        let image = decode(&reply.body);
        assert_eq!(image.dimensions(), (20, 10), "{query}");
        assert_solid(&image, RED, query);
    }
    // pixgate writes no animated AVIF: an explicit `fm=avif` is a still too.
    let reply = server.get("/rgb.gif?w=20&fm=avif").await;
    reply.assert_image("avif");
    assert_eq!(dimensions(&reply.body), (20, 10));

    let source = gif_frames(&fixture(KITE));
    let reply = server.get("/kite.gif?w=240&fm=png").await;
    reply.assert_image("png");
    let still = decode(&reply.body);
    assert_eq!(still.dimensions(), (240, 150));
    // Tolerance: the same Lanczos3 downscale of the same pixels lands within 0.2; the kite's
    // last frame is 30 away.
    let first = mean_abs_diff(&still, &downscaled(&source[0].0, 240, 150));
    let last = mean_abs_diff(&still, &downscaled(&source[3].0, 240, 150));
    assert!(first < 2.5, "differs from the first frame by {first:.2}");
    assert!(
        first < last,
        "nearer the last frame ({last:.2}) than the first"
    );
}

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_cap_refuses_animated_output_but_not_a_still() {
    let root = Root::new();
    root.put("rgb.gif", &rgb_gif(gif::Repeat::Infinite));

    let mut capped = config(vec![root.source("demo")]);
    capped.limits.max_animation_frames = 2;
    let server = TestServer::start(capped).await;
    for target in ["/rgb.gif?w=20&fm=gif", "/rgb.gif?w=20"] {
        server.get(target).await.assert_error(413, "too_large");
    }
    let reply = server.get("/rgb.gif?w=20&fm=png").await;
    reply.assert_image("png");
    assert_solid(&decode(&reply.body), RED, "first frame under the cap");

    let mut enough = config(vec![root.source("demo")]);
    enough.limits.max_animation_frames = 3;
    let server = TestServer::start(enough).await;
    let reply = server.get("/rgb.gif?w=20&fm=gif").await;
    reply.assert_image("gif");
    assert_eq!(gif_frames(&reply.body).len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_tiny_frames_are_refused_as_an_animation_only() {
    let root = Root::new();
    let many = tiny_frames_gif(3000);
    assert!(many.len() < 100_000, "{} bytes", many.len());
    root.put("many.gif", &many);
    let server = TestServer::serving(&root).await;
    server
        .get("/many.gif?fm=gif")
        .await
        .assert_error(413, "too_large");
    let reply = server.get("/many.gif?w=1&fm=png").await;
    reply.assert_image("png");
    assert_eq!(decode(&reply.body).dimensions(), (1, 1));
    // The first frame needs no count; any other frame is a selection, and counts them.
    let reply = server.get("/many.gif?frame=1").await;
    reply.assert_image("gif");
    assert_eq!(gif_frames(&reply.body).len(), 1);
    server
        .get("/many.gif?frame=2&fm=png")
        .await
        .assert_error(413, "too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_frame_counts_against_the_pixel_limit() {
    let root = Root::new();
    root.put("big.gif", &solid_frames_gif(100, 100, 3));
    // 3 frames × 100×100 = 30 000 pixels; one frame is 10 000.
    for (limit, animated) in [(25_000, false), (30_000, true)] {
        let mut config = config(vec![root.source("demo")]);
        config.limits.max_source_pixels = limit;
        let server = TestServer::start(config).await;
        let reply = server.get("/big.gif?w=50&fm=gif").await;
        if animated {
            reply.assert_image("gif");
            assert_eq!(gif_frames(&reply.body).len(), 3, "limit {limit}");
        } else {
            reply.assert_error(413, "too_large");
        }
        let reply = server.get("/big.gif?w=50&fm=png").await;
        reply.assert_image("png");
        assert_eq!(decode(&reply.body).dimensions(), (50, 50), "limit {limit}");
    }
}

// ---------------------------------------------------------------------------------------------
// GIFs made here
// ---------------------------------------------------------------------------------------------

/// A 60×20 GIF whose three frames show a red 20×20 square on a transparent background,
/// moving one third to the right each frame; every frame is cleared before the next.
fn moving_square_gif() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette = [0, 0, 0, 255, 0, 0];
        let mut encoder = gif::Encoder::new(&mut out, 60, 20, &palette).unwrap();
        encoder.set_repeat(gif::Repeat::Infinite).unwrap();
        for third in 0..3 {
            let pixels: Vec<u8> = (0..20 * 60)
                .map(|i| u8::from((i % 60) / 20 == third))
                .collect();
            let mut frame = gif::Frame::from_indexed_pixels(60, 20, pixels, Some(0));
            frame.delay = 10;
            frame.dispose = gif::DisposalMethod::Background;
            encoder.write_frame(&frame).unwrap();
        }
    }
    out
}

/// A 1×1 GIF of `count` frames, alternating black and white, looping forever.
fn tiny_frames_gif(count: usize) -> Vec<u8> {
    let frames: Vec<(u8, u16)> = (0..count).map(|i| ((i % 2) as u8, 2)).collect();
    indexed_gif(
        1,
        1,
        &[0, 0, 0, 255, 255, 255],
        gif::Repeat::Infinite,
        &frames,
    )
}

/// A `width`×`height` GIF of `count` solid grey frames.
fn solid_frames_gif(width: u16, height: u16, count: usize) -> Vec<u8> {
    let frames: Vec<(u8, u16)> = (0..count).map(|i| ((i % 2) as u8, 10)).collect();
    let palette = [64, 64, 64, 192, 192, 192];
    indexed_gif(width, height, &palette, gif::Repeat::Infinite, &frames)
}

// ---------------------------------------------------------------------------------------------
// Pixels
// ---------------------------------------------------------------------------------------------

/// `image` resized with `image`'s own Lanczos3, the reference for a frame.
pub fn downscaled(image: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    image::imageops::resize(image, width, height, FilterType::Lanczos3)
}

/// Frames of the 30x10 three-square animation, as a viewer composites them: each shows the
/// square in its own third only.
fn shows_its_own_third_each<'a>(frames: impl Iterator<Item = &'a RgbaImage>) {
    for (i, frame) in frames.enumerate() {
        assert_eq!(frame.dimensions(), (30, 10));
        for third in 0..3u32 {
            let alpha = frame.get_pixel(third * 10 + 5, 5).0[3];
            let want = if third as usize == i { 255 } else { 0 };
            assert_eq!(alpha, want, "frame {i}, third {third}: alpha {alpha}");
        }
    }
}
