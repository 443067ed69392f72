//! The derivative cache under load, proven by the counters in `/_pixgate/metrics`: concurrent
//! misses render once (single flight) and share the bytes, a failed render is never cached,
//! the byte budget holds with least-recently-used eviction, the originals cache serves a
//! srcset from one read, and a file changed on disk is never served stale.

use pixgate::config::CacheConfig;

use super::{RENDERS, photo_root, small_root};
use crate::support::images::{decode, gradient_png, halves_png};
use crate::support::reply::Reply;
use crate::support::roots::{Root, config, fixture};
use crate::support::server::TestServer;

const DERIVATIVE_BYTES: &str = "pixgate_cache_bytes{cache=\"derivatives\"}";

/// `n` concurrent GETs of one URL, their replies.
async fn concurrently(server: &TestServer, n: usize, path: &str) -> Vec<Reply> {
    futures_util::future::join_all((0..n).map(|_| server.get(path))).await
}

/// Concurrent misses for one transform render it once: the render counter, not the one
/// entry they end in (which one render or eight would leave alike), is what shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_for_one_transform_render_once_into_one_entry() {
    let root = small_root();
    let server = TestServer::serving(&root).await;
    let replies = concurrently(&server, 8, "/small.png?w=24&fm=webp").await;
    for reply in &replies {
        reply.assert_image("webp");
        assert_eq!(reply.body, replies[0].body);
    }
    let text = server.metrics().await;
    assert_eq!(text.count(RENDERS), 1, "renders for 8 concurrent misses");
    assert_eq!(server.state.pipeline.derivatives().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_misses_render_once_and_share_the_bytes() {
    let root = photo_root();
    let server = TestServer::serving(&root).await;
    let replies = concurrently(&server, 50, "/cups.jpg?w=123&fm=webp").await;
    for reply in &replies {
        reply.assert_status(200).assert_image("webp");
        assert_eq!(
            reply.body, replies[0].body,
            "every caller gets the same bytes"
        );
    }
    let text = server.metrics().await;
    assert_eq!(text.count(RENDERS), 1, "exactly one render for 50 requests");
    let led = text.count("pixgate_cache_misses_total{cache=\"derivatives\"}");
    let waited = text.count("pixgate_cache_coalesced_total{cache=\"derivatives\"}");
    let hits = text.count("pixgate_cache_hits_total{cache=\"derivatives\"}");
    assert_eq!((led, led + waited + hits), (1, 50));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_of_a_failed_render_get_the_same_clean_error_and_it_is_not_cached() {
    let root = Root::new();
    root.put("broken.jpg", &fixture("cups-800x500.jpg")[..400]);
    let server = TestServer::serving(&root).await;
    for reply in concurrently(&server, 20, "/broken.jpg?w=50").await {
        reply.assert_error(422, "undecodable");
    }
    let before = server.metrics().await.count(RENDERS);
    server
        .get("/broken.jpg?w=50")
        .await
        .assert_error(422, "undecodable");
    let after = server.metrics().await.count(RENDERS);
    assert_eq!(
        after,
        before + 1,
        "an error is rendered again, never served from the cache"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_stays_within_its_byte_budget() {
    let root = small_root();
    let mut config = config(vec![root.source("demo")]);
    config.cache = CacheConfig {
        max_bytes: 8 * 1024,
        max_entry_bytes: 8 * 1024,
        ..CacheConfig::default()
    };
    let server = TestServer::start(config).await;
    for w in 10..30 {
        server
            .get(&format!("/small.png?w={w}"))
            .await
            .assert_image("png");
        assert!(server.state.pipeline.derivatives().used_bytes() <= 8 * 1024);
    }
    assert!(
        server.state.pipeline.derivatives().len() < 20,
        "nothing was evicted"
    );
    assert!(!server.state.pipeline.derivatives().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_cache_stays_within_budget_and_evicts_the_least_recently_used() {
    const BUDGET: u64 = 6 * 1024;
    let root = Root::new();
    root.put("g.png", &gradient_png(64, 64));
    let mut config = config(vec![root.source("demo")]);
    config.cache.max_bytes = BUDGET;
    config.cache.max_entry_bytes = BUDGET;
    let server = TestServer::start(config).await;
    for w in 20..60 {
        server
            .get(&format!("/g.png?w={w}"))
            .await
            .assert_status(200);
        let text = server.metrics().await;
        assert!(
            text.count(DERIVATIVE_BYTES) <= BUDGET,
            "over budget after w={w}"
        );
    }
    let text = server.metrics().await;
    assert!(text.count("pixgate_cache_evictions_total{cache=\"derivatives\"}") > 0);
    // The newest widths survived, the oldest went first.
    let entries = server.state.pipeline.derivatives().len();
    assert!((2..40).contains(&entries), "{entries} entries");
    let newest = server.get("/g.png?w=59").await;
    assert_eq!(newest.header("x-cache"), Some("HIT"));
    let oldest = server.get("/g.png?w=20").await;
    assert_eq!(oldest.header("x-cache"), Some("MISS"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_derivative_above_the_entry_limit_is_served_but_not_kept() {
    let root = photo_root();
    let mut config = config(vec![root.source("demo")]);
    config.cache.max_entry_bytes = 1024;
    let server = TestServer::start(config).await;
    for _ in 0..2 {
        let reply = server.get("/cups.jpg?w=400&fm=png").await;
        reply.assert_status(200).assert_image("png");
        assert!(reply.body.len() > 1024);
        assert_eq!(reply.header("x-cache"), Some("MISS"));
    }
    assert_eq!(server.state.pipeline.derivatives().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_srcset_of_five_widths_reads_the_original_once() {
    let root = photo_root();
    let server = TestServer::serving(&root).await;
    for w in [100, 200, 300, 400, 500] {
        server
            .get(&format!("/cups.jpg?w={w}"))
            .await
            .assert_image("jpeg");
    }
    let text = server.metrics().await;
    assert_eq!(
        text.count("pixgate_cache_misses_total{cache=\"originals\"}"),
        1
    );
    assert_eq!(
        text.count("pixgate_cache_hits_total{cache=\"originals\"}"),
        4
    );
    assert_eq!(text.count(RENDERS), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_on_disk_is_never_served_stale() {
    let root = Root::new();
    root.put(
        "pic.png",
        &halves_png(40, 20, [255, 0, 0, 255], [255, 0, 0, 255]),
    );
    let server = TestServer::serving(&root).await;
    let first = server.get("/pic.png?w=20").await;
    assert_eq!(first.header("x-cache"), Some("MISS"));
    assert_eq!(
        server.get("/pic.png?w=20").await.header("x-cache"),
        Some("HIT")
    );
    assert_eq!(decode(&first.body).get_pixel(5, 5).0, [255, 0, 0, 255]);

    root.put(
        "pic.png",
        &halves_png(40, 30, [0, 0, 255, 255], [0, 0, 255, 255]),
    );
    let changed = server.get("/pic.png?w=20").await;
    assert_eq!(changed.header("x-cache"), Some("MISS"));
    let pixels = decode(&changed.body);
    assert_eq!((pixels.width(), pixels.height()), (20, 15));
    assert_eq!(pixels.get_pixel(5, 5).0, [0, 0, 255, 255]);
    assert_ne!(changed.header("etag"), first.header("etag"));

    std::fs::remove_file(root.path().join("pic.png")).unwrap();
    server
        .get("/pic.png?w=20")
        .await
        .assert_error(404, "not_found");
}
