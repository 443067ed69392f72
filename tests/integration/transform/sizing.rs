//! Sizing (contract §3): `w`, `h` and their long names, fractions of the source, `dpr` whole
//! and decimal, and the six fit modes against a box smaller and larger than the source.

use super::pictures::{RESAMPLED, root};
use crate::support::images::{BLUE, RED, assert_pixel};
use crate::support::server::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn width_height_and_dpr_size_the_output() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let cases = [
        ("w=100", (100, 50)),
        ("h=25", (50, 25)),
        ("w=100&dpr=2", (200, 100)),
        ("w=60&dpr=1.5", (90, 45)),
        ("w=0.5", (100, 50)),
        ("w=50&h=50", (50, 25)),
        ("width=100", (100, 50)),
        ("height=25", (50, 25)),
        ("w=400", (400, 200)),
    ];
    for (query, size) in cases {
        let reply = server.get(&format!("/rb.png?{query}")).await;
        assert_eq!(reply.image("png").dimensions(), size, "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fit_modes_meet_a_smaller_and_a_larger_box_as_documented() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // The source is 40×20; the boxes are 10×10 (inside it) and 80×80 (around it).
    let cases = [
        ("fit=clip", (10, 5), (80, 40)),
        ("fit=max", (10, 5), (40, 20)),
        ("fit=crop", (10, 10), (80, 80)),
        ("fit=fill", (10, 10), (80, 80)),
        ("fit=scale", (10, 10), (80, 80)),
        ("fit=min", (10, 10), (20, 20)),
        ("mode=contain", (10, 5), (80, 40)),
        ("mode=scale-down", (10, 5), (40, 20)),
        ("mode=cover", (10, 10), (80, 80)),
        ("mode=pad", (10, 10), (80, 80)),
        ("mode=stretch", (10, 10), (80, 80)),
        ("", (10, 5), (80, 40)),
    ];
    for (fit, small, large) in cases {
        for (size, want) in [(10, small), (80, large)] {
            let query = format!("w={size}&h={size}&{fit}");
            let reply = server.get(&format!("/small.png?{query}")).await;
            assert_eq!(reply.image("png").dimensions(), want, "{query}");
        }
    }
    // With one side given, max and min still never enlarge.
    for fit in ["max", "min"] {
        let reply = server.get(&format!("/small.png?w=80&fit={fit}")).await;
        assert_eq!(reply.image("png").dimensions(), (40, 20), "fit={fit}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fractional_w_and_h_are_shares_of_the_source() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // wide800.png: 800×200, red | blue.
    let cases = [
        ("w=0.5", (400, 100)),
        ("h=0.5", (400, 100)),
        ("w=0.25&h=0.5&fit=crop", (200, 100)),
        ("w=0.5&h=0.25&fit=scale", (400, 50)),
        ("w=0.5&dpr=2", (800, 200)),
        ("width=0.125", (100, 25)),
        // A share of the rectangle that is kept, and of the image as finally seen.
        ("rect=0,0,400,200&w=0.5", (200, 100)),
        ("rot=90&w=0.5", (100, 400)),
    ];
    for (query, size) in cases {
        let target = format!("/wide800.png?{query}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), size, "{target}");
    }
    let out = server.get("/wide800.png?w=0.5").await.image("png");
    assert_pixel(&out, (100, 50), RED, RESAMPLED, "w=0.5");
    assert_pixel(&out, (300, 50), BLUE, RESAMPLED, "w=0.5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decimal_dpr_multiplies_the_box() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // rb.png is 200×100.
    let cases = [
        ("w=40&dpr=2.5", (100, 50)),
        ("h=20&dpr=1.25", (50, 25)),
        ("w=30&dpr=1.333", (40, 20)),
        ("w=10&dpr=5", (50, 25)),
        ("w=10&dpr=5.0", (50, 25)),
        ("w=50&dpr=1.0", (50, 25)),
        ("w=20&h=20&fit=crop&dpr=1.5", (30, 30)),
        ("w=20&h=20&fit=fill&dpr=2.5", (50, 50)),
    ];
    for (query, size) in cases {
        let target = format!("/rb.png?{query}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), size, "{target}");
    }
}

/// imgix's `min-w`/`min-h` (with `fit=crop`) enlarge the box: one that would push the output
/// past `limits.max_output_dimension` or `max_source_pixels` is a `400` naming it, decided
/// from the header alone (the truncated file below is never decoded: decoding it is a `422`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minimum_sizes_past_the_limits_are_refused_by_name_before_decoding() {
    let root = root();
    let photo = crate::support::roots::fixture("cups-800x500.jpg");
    root.put("truncated.jpg", &photo[..photo.len() / 2]);
    let server = TestServer::serving(&root).await;
    for (query, name) in [
        ("w=10&h=20&fit=crop&min-w=8000", "min-w"),
        ("w=20&h=10&fit=crop&min-h=8000", "min-h"),
        ("w=10&h=10&fit=crop&min-w=8192", "min-w"),
        ("w=9000", "w"),
        ("pad=5000", "pad"),
    ] {
        let message = server
            .get(&format!("/truncated.jpg?{query}"))
            .await
            .assert_error(400, "bad_parameter");
        assert!(message.contains(&format!("`{name}`")), "{query}: {message}");
    }
    // The same bounds within the limits render; `fp-z` narrows the window, never the output.
    server
        .get("/truncated.jpg?w=100&h=100&fit=crop&min-w=200")
        .await
        .assert_error(422, "undecodable");
    let zoomed = server
        .get("/rb.png?w=50&h=50&fit=crop&crop=focalpoint&fp-z=100")
        .await
        .image("png");
    assert_eq!(zoomed.dimensions(), (50, 50));
}
