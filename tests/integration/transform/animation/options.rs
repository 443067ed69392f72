//! imgix's animation parameters: `frame` (one frame, a still, or a range), `interval`, `skip`,
//! `reverse`, `fps` and `loop`, on GIF and WebP, with their values checked at the edge.

use crate::support::animations::{
    Timed, animated_webp, assert_solid, delays, gif_frames, gif_repeat, indexed_gif, solid_frames,
    webp_frames, webp_plays,
};
use crate::support::images::{BLUE, GREEN, RED, YELLOW, decode};
use crate::support::roots::Root;
use crate::support::server::TestServer;

/// A frame's colour and delay in milliseconds.
type Shown = ([u8; 4], u32);

/// Red for 100 ms, green 200, blue 300, yellow 400.
const COLOURS: [Shown; 4] = [(RED, 100), (GREEN, 200), (BLUE, 300), (YELLOW, 400)];

/// The same four-frame animation as a GIF (looping forever) and a WebP (likewise).
async fn four_frames() -> (Root, TestServer) {
    let root = Root::new();
    let palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 0];
    let frames: Vec<(u8, u16)> = (0..4u8)
        .map(|i| (i, u16::try_from(COLOURS[usize::from(i)].1 / 10).unwrap()))
        .collect();
    root.put(
        "four.gif",
        &indexed_gif(40, 20, &palette, gif::Repeat::Infinite, &frames),
    )
    .put(
        "four.webp",
        &animated_webp(&solid_frames(40, 20, &COLOURS), 0),
    );
    let server = TestServer::serving(&root).await;
    (root, server)
}

/// The frames of an animated reply, GIF or WebP.
fn frames_of(body: &[u8], kind: &str) -> Vec<Timed> {
    match kind {
        "gif" => gif_frames(body),
        _ => webp_frames(body),
    }
}

#[track_caller]
fn assert_colours(frames: &[Timed], want: &[Shown], case: &str) {
    assert_eq!(frames.len(), want.len(), "{case}: frame count");
    for (i, ((frame, _), (colour, _))) in frames.iter().zip(want).enumerate() {
        assert_solid(frame, *colour, &format!("{case}: frame {i}"));
    }
    let want_delays: Vec<u32> = want.iter().map(|w| w.1).collect();
    assert_eq!(delays(frames), want_delays, "{case}: delays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selections_keep_these_frames_in_this_order_with_their_delays() {
    let (_root, server) = four_frames().await;
    let [r, g, b, y] = COLOURS;
    let cases: &[(&str, &[Shown])] = &[
        ("frame=2-3", &[g, b]),
        ("frame=3-", &[b, y]),
        ("frame=-2", &[r, g]),
        ("interval=2", &[r, b]),
        ("interval=3", &[r, y]),
        ("skip=2", &[r, b]),
        ("skip=3", &[r, g, y]),
        ("reverse=1", &[y, b, g, r]),
        ("reverse=true&frame=2-", &[y, b, g]),
    ];
    for (file, kind) in [("four.gif", "gif"), ("four.webp", "webp")] {
        for (query, want) in cases {
            let reply = server.get(&format!("/{file}?w=20&{query}")).await;
            reply.assert_image(kind);
            assert_colours(
                &frames_of(&reply.body, kind),
                want,
                &format!("{file}?{query}"),
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_frame_is_a_still_of_that_frame() {
    let (_root, server) = four_frames().await;
    for (file, kind) in [("four.gif", "gif"), ("four.webp", "webp")] {
        // No `fm`: the source's format, one frame.
        let reply = server.get(&format!("/{file}?w=20&frame=3")).await;
        reply.assert_image(kind);
        if kind == "gif" {
            assert_eq!(gif_frames(&reply.body).len(), 1);
        }
        assert_solid(&decode(&reply.body), BLUE, file);
        // A still format: that frame too, and with `reverse` the last.
        let reply = server.get(&format!("/{file}?w=20&frame=2&fm=png")).await;
        assert_solid(&decode(&reply.body), GREEN, file);
        let reply = server.get(&format!("/{file}?w=20&reverse=1&fm=jpg")).await;
        assert_solid(&decode(&reply.body), YELLOW, file);
    }
    // A still source has one frame.
    let root = Root::new();
    root.put(
        "red.png",
        &crate::support::images::halves_png(8, 8, RED, RED),
    );
    let server = TestServer::serving(&root).await;
    server.get("/red.png?frame=1").await.assert_image("png");
    let reason = server
        .get("/red.png?frame=2")
        .await
        .assert_error(400, "bad_parameter");
    assert!(reason.contains("`frame`"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fps_sets_every_delay_and_loop_sets_the_repeats() {
    let (_root, server) = four_frames().await;
    // GIF holds hundredths: 1000/60 ms is 20 ms there and 17 ms in WebP.
    let cases = [
        ("fps=10", 100, 100),
        ("fps=60", 20, 17),
        ("fps=90", 20, 17),
        ("fps=0", 1000, 1000),
    ];
    for (query, gif_ms, webp_ms) in cases {
        let gif = server.get(&format!("/four.gif?w=20&{query}")).await;
        assert_eq!(
            delays(&gif_frames(&gif.body)),
            vec![gif_ms; 4],
            "gif {query}"
        );
        let webp = server.get(&format!("/four.webp?w=20&{query}")).await;
        assert_eq!(
            delays(&webp_frames(&webp.body)),
            vec![webp_ms; 4],
            "webp {query}"
        );
    }
    // `loop=N` plays N more times: GIF's count, one less than WebP's.
    for (query, repeat, plays) in [
        ("loop=2", gif::Repeat::Finite(2), 3),
        ("loop=0", gif::Repeat::Infinite, 0),
        ("loop=-4", gif::Repeat::Infinite, 0),
    ] {
        let gif = server.get(&format!("/four.gif?w=20&{query}")).await;
        assert_eq!(gif_repeat(&gif.body), repeat, "{query}");
        let webp = server.get(&format!("/four.webp?w=20&{query}")).await;
        assert_eq!(webp_plays(&webp.body), plays, "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_animation_values_are_refused_by_name() {
    let (_root, server) = four_frames().await;
    let cases = [
        ("frame=abc", "frame"),
        ("frame=4-2", "frame"),
        ("frame=1.5", "frame"),
        ("interval=0", "interval"),
        ("interval=x", "interval"),
        ("skip=0", "skip"),
        ("skip=1", "skip"),
        ("reverse=2", "reverse"),
        ("fps=1.5", "fps"),
        ("fps=", "fps"),
        ("loop=often", "loop"),
    ];
    for (query, name) in cases {
        let reason = server
            .get(&format!("/four.gif?{query}"))
            .await
            .assert_error(400, "bad_parameter");
        assert!(reason.contains(&format!("`{name}`")), "{query}: {reason}");
    }
    for query in ["frame=5", "frame=5-", "frame=5-9"] {
        let reason = server
            .get(&format!("/four.gif?{query}"))
            .await
            .assert_error(400, "bad_parameter");
        assert!(reason.contains("4 frames"), "{query}: {reason}");
    }
}
