//! The derivative cache (contract §4): keyed by the canonical request, so spellings of one
//! transform and every signed variant of it share one entry, while negotiated formats do not;
//! and it keeps to its byte budget.

use pixgate::config::CacheConfig;

use crate::support::images::{gradient_png, image_kind};
use crate::support::roots::{NOW, Root, config};
use crate::support::server::TestServer;
use crate::support::signing::{hmac_url, md5_url};

fn root() -> Root {
    let root = Root::new();
    root.put("small.png", &gradient_png(40, 20))
        .put("private/small.png", &gradient_png(40, 20));
    root
}

/// GETs `first` (a MISS) then `second`, and says whether the second was a HIT on the same one
/// entry.
async fn second_is_a_hit(server: &TestServer, first: &str, second: &str) -> bool {
    let reply = server.get(first).await;
    reply.assert_status(200);
    assert!(image_kind(&reply.body).is_some(), "{first}");
    assert_eq!(reply.header("x-cache"), Some("MISS"), "{first}");
    let reply = server.get(second).await;
    reply.assert_status(200);
    assert!(image_kind(&reply.body).is_some(), "{second}");
    reply.header("x-cache") == Some("HIT") && server.state.cache.len() == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_request_is_a_hit() {
    let root = root();
    let server = TestServer::start(config(vec![root.source("demo")])).await;
    assert!(server.state.cache.is_empty());
    assert!(second_is_a_hit(&server, "/small.png?w=20", "/small.png?w=20").await);
    assert!(server.state.cache.used_bytes() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spellings_of_one_transform_share_one_cache_entry() {
    let root = root();
    let cases = [
        ("/small.png?w=20&h=10", "/small.png?h=10&w=20"),
        ("/small.png?w=20", "/small.png?width=20"),
        ("/small.png?w=20", "/small.png?w=20&ixlib=x"),
        ("/small.png?w=20", "/small.png?w=20.0"),
        ("/small.png?w=20&fit=clip&dpr=1", "/small.png?w=20"),
        (
            "/small.png?w=20&h=20&fit=crop",
            "/small.png?h=20&w=20&mode=cover&crop=center",
        ),
        (
            "/small.png?w=20&fm=webp&q=60",
            "/small.png?quality=60&format=webp&width=20",
        ),
        ("/small.png?w=20&rot=0&blur=0&lossless=0", "/small.png?w=20"),
    ];
    for (first, second) in cases {
        // A fresh server per pair, so the count is this pair's alone.
        let server = TestServer::start(config(vec![root.source("demo")])).await;
        assert!(
            second_is_a_hit(&server, first, second).await,
            "{first} and {second} did not share one entry ({} entries)",
            server.state.cache.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_default_quality_shares_the_entry() {
    let root = root();
    let server = TestServer::start(config(vec![root.source("demo")])).await;
    assert!(
        second_is_a_hit(
            &server,
            "/small.png?w=20&fm=jpg&q=75",
            "/small.png?w=20&fm=jpg"
        )
        .await,
        "{} entries",
        server.state.cache.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differently_signed_urls_of_one_transform_share_one_entry() {
    let root = root();
    let mut source = root.source("demo");
    source.private_prefixes = vec!["private/".into()];
    source.md5_tokens = vec!["tok".into()];
    source.hmac_keys = vec!["key".into()];
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let path = "/private/small.png";
    let first = md5_url("tok", path, &format!("w=20&expires={}", NOW + 100));
    let seconds = [
        md5_url("tok", path, &format!("w=20&expires={}", NOW + 200)),
        md5_url("tok", path, "w=20"),
        hmac_url("key", path, &format!("w=20&expiry={}", NOW + 300)),
        hmac_url("key", path, "w=20&method=get"),
    ];
    assert!(second_is_a_hit(&server, &first, &seconds[0]).await);
    for url in &seconds[1..] {
        let reply = server.get(url).await;
        reply.assert_image("png");
        assert_eq!(reply.header("x-cache"), Some("HIT"), "{url}");
    }
    assert_eq!(server.state.cache.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiated_formats_get_entries_of_their_own() {
    let root = root();
    let server = TestServer::start(config(vec![root.source("demo")])).await;
    let target = "/small.png?w=16&auto=format";
    let webp = server.get_with(target, &[("accept", "image/webp")]).await;
    webp.assert_image("webp");
    let plain = server.get(target).await;
    plain.assert_image("png");
    assert_eq!(plain.header("x-cache"), Some("MISS"));
    let webp_again = server.get_with(target, &[("accept", "image/webp")]).await;
    webp_again.assert_image("webp");
    assert_eq!(webp_again.header("x-cache"), Some("HIT"));
    assert_eq!(server.state.cache.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_for_one_transform_end_in_one_entry() {
    let root = root();
    let server = TestServer::start(config(vec![root.source("demo")])).await;
    let replies =
        futures_util::future::join_all((0..8).map(|_| server.get("/small.png?w=24&fm=webp"))).await;
    for reply in &replies {
        reply.assert_image("webp");
        assert_eq!(reply.body, replies[0].body);
    }
    assert_eq!(server.state.cache.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_stays_within_its_byte_budget() {
    let root = root();
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
        assert!(server.state.cache.used_bytes() <= 8 * 1024);
    }
    assert!(server.state.cache.len() < 20, "nothing was evicted");
    assert!(!server.state.cache.is_empty());
}
