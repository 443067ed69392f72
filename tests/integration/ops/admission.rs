//! Admission to the render workers: a full queue answers 503 with `Retry-After` at once (and
//! never delays a cache hit), bombs, animations past the frame cap and non-images are refused
//! before the queue even when it is full, a render past `render_timeout` is a 503 whose worker comes back,
//! and quick renders go on succeeding after one.

use std::time::Duration;

use super::{QUICK, SLOW, forest_root};
use crate::support::forge::{bombs, gif_of_frames};
use crate::support::roots::config;
use crate::support::server::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_render_queue_answers_503_with_retry_after_at_once() {
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.limits.render_workers = 1;
    config.limits.render_queue = 0;
    // A busy machine (the whole suite at once) must not turn the slow render into a timeout.
    config.limits.render_timeout = Duration::from_secs(300);
    let server = TestServer::start(config).await;
    // A cached derivative, to show hits are never queued behind renders.
    server.get(QUICK).await.assert_status(200);

    let slow = tokio::spawn({
        let url = format!("{}{SLOW}", server.base());
        async move { reqwest::get(url).await.unwrap().status().as_u16() }
    });
    server.await_metric("pixgate_renders_in_flight", 1.0).await;

    let refused = server.get("/forest.jpg?w=41&fm=jpg").await;
    refused.assert_error(503, "overloaded");
    assert_eq!(refused.header("retry-after"), Some("1"));
    let hit = server.get(QUICK).await;
    hit.assert_status(200);
    assert_eq!(hit.header("x-cache"), Some("HIT"));
    server.get("/forest.jpg").await.assert_status(200);
    // Both answers came while the slow render was still running.
    assert_eq!(server.metric("pixgate_renders_in_flight").await, Some(1.0));

    assert_eq!(slow.await.unwrap(), 200);
    server
        .get("/forest.jpg?w=41&fm=jpg")
        .await
        .assert_status(200);
    let refusals = "pixgate_requests_total{route=\"image\",status=\"503\"}";
    assert_eq!(server.metric(refusals).await, Some(1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_past_its_timeout_is_503_and_its_worker_comes_back() {
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.limits.render_workers = 1;
    config.limits.render_queue = 4;
    config.limits.render_timeout = Duration::from_millis(20);
    let server = TestServer::start(config).await;

    let late = server.get(SLOW).await;
    late.assert_error(503, "render_timeout");
    assert!(late.header("retry-after").is_some());
    // The abandoned render stops at its next checkpoint and frees the one worker.
    server.await_metric("pixgate_renders_in_flight", 0.0).await;
    assert_eq!(server.metric("pixgate_render_queue_depth").await, Some(0.0));
    // Nothing was cached.
    let derivatives = "pixgate_cache_entries{cache=\"derivatives\"}";
    assert_eq!(server.metric(derivatives).await, Some(0.0));
}

/// After a render past `render_timeout`, quick renders succeed: the abandoned render stops at
/// its next checkpoint and gives the one worker back. The deadline, not the machine, decides
/// which is which: the slow render is an animation checked between frames, 1000 frames each
/// blurred at 240×150 (minutes in a test build, seconds on any machine), the quick one a
/// thumbnail that takes a hundredth of the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_render_timeout_quick_renders_still_succeed() {
    const FRAMES: usize = 1000;
    let root = forest_root();
    root.put("frames.gif", &gif_of_frames((480, 300), FRAMES));
    let mut config = config(vec![root.source("demo")]);
    config.limits.render_workers = 1;
    config.limits.render_timeout = Duration::from_secs(2);
    config.limits.max_animation_frames = FRAMES as u32;
    config.limits.max_source_pixels = (FRAMES * 480 * 300) as u64;
    let server = TestServer::start(config).await;
    server
        .get("/frames.gif?w=240&fm=gif&blur=2000")
        .await
        .assert_error(503, "render_timeout");
    // Queued behind the abandoned render until it stops, then rendered well in time.
    server.get(QUICK).await.assert_image("jpeg");
}

/// With the one worker busy and no queue, a bomb of every format is still its 413, an
/// animation past the frame cap its 413 and a file that is no image its 415, at once: each is
/// settled from the file's head before the queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bombs_and_non_images_are_refused_before_a_full_queue() {
    let root = forest_root();
    for (name, bytes) in bombs() {
        root.put(name, &bytes);
    }
    root.put("notes.txt", b"not an image, just words");
    root.put("frames.gif", &gif_of_frames((4, 4), 40));
    let mut config = config(vec![root.source("demo")]);
    config.limits.render_workers = 1;
    config.limits.render_queue = 0;
    config.limits.render_timeout = Duration::from_secs(300);
    config.limits.max_animation_frames = 30;
    let server = TestServer::start(config).await;

    let slow = tokio::spawn({
        let url = format!("{}{SLOW}", server.base());
        async move { reqwest::get(url).await.unwrap().status().as_u16() }
    });
    server.await_metric("pixgate_renders_in_flight", 1.0).await;
    server
        .get("/forest.jpg?w=41&fm=jpg")
        .await
        .assert_error(503, "overloaded");
    for (name, _) in bombs() {
        server
            .get(&format!("/{name}?w=100"))
            .await
            .assert_error(413, "too_large");
    }
    server
        .get("/notes.txt?w=100")
        .await
        .assert_error(415, "not_an_image");
    // Too many frames for an animation; the same file asked for a still never counts them,
    // so that request needs a worker like any render.
    server
        .get("/frames.gif?w=2")
        .await
        .assert_error(413, "too_large");
    server
        .get("/frames.gif?w=2&fm=png")
        .await
        .assert_error(503, "overloaded");
    assert_eq!(server.metric("pixgate_renders_in_flight").await, Some(1.0));
    assert_eq!(slow.await.unwrap(), 200);
}
