//! What the derivative cache keys on (contract §4): exactly what changes the bytes. Spellings
//! of one transform and every signed variant of it share one entry; negotiated formats get
//! entries of their own, and no more of them than there are formats.

use super::{RENDERS, photo_root, small_root};
use crate::support::images::image_kind;
use crate::support::roots::{NOW, config};
use crate::support::server::TestServer;
use crate::support::signing::{hmac_url, md5_url};

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
    reply.header("x-cache") == Some("HIT") && server.state.pipeline.derivatives().len() == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_request_is_a_hit() {
    let root = small_root();
    let server = TestServer::serving(&root).await;
    assert!(server.state.pipeline.derivatives().is_empty());
    assert!(second_is_a_hit(&server, "/small.png?w=20", "/small.png?w=20").await);
    assert!(server.state.pipeline.derivatives().used_bytes() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spellings_of_one_transform_share_one_cache_entry() {
    let root = small_root();
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
        let server = TestServer::serving(&root).await;
        assert!(
            second_is_a_hit(&server, first, second).await,
            "{first} and {second} did not share one entry ({} entries)",
            server.state.pipeline.derivatives().len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_default_quality_shares_the_entry() {
    let root = small_root();
    let server = TestServer::serving(&root).await;
    assert!(
        second_is_a_hit(
            &server,
            "/small.png?w=20&fm=jpg&q=75",
            "/small.png?w=20&fm=jpg"
        )
        .await,
        "{} entries",
        server.state.pipeline.derivatives().len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differently_signed_urls_of_one_transform_share_one_entry() {
    let root = small_root();
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
    assert_eq!(server.state.pipeline.derivatives().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiated_formats_get_entries_of_their_own() {
    let root = small_root();
    let server = TestServer::serving(&root).await;
    let target = "/small.png?w=16&auto=format";
    let webp = server.get_with(target, &[("accept", "image/webp")]).await;
    webp.assert_image("webp");
    let plain = server.get(target).await;
    plain.assert_image("png");
    assert_eq!(plain.header("x-cache"), Some("MISS"));
    let webp_again = server.get_with(target, &[("accept", "image/webp")]).await;
    webp_again.assert_image("webp");
    assert_eq!(webp_again.header("x-cache"), Some("HIT"));
    assert_eq!(server.state.pipeline.derivatives().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_accept_headers_make_at_most_three_renders() {
    let root = photo_root();
    let server = TestServer::serving(&root).await;
    let accepts = [
        "image/avif,image/webp,*/*",
        "image/avif",
        "image/webp,image/apng,*/*;q=0.8",
        "image/webp",
        "*/*",
        "",
        "text/html",
        "image/png,image/*;q=0.8",
        "image/avif;q=0.9, image/webp",
        "image/jxl,image/avif,image/webp",
        "image/webp;q=1",
        "image/*",
        "application/json",
        "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
        "IMAGE/WEBP",
        "image/gif",
        "image/jpeg",
        "image/webp, */*",
        "video/mp4",
        "image/heic",
    ];
    for accept in accepts {
        let reply = server
            .get_with("/cups.jpg?w=60&auto=format", &[("accept", accept)])
            .await;
        reply.assert_status(200);
        assert_eq!(reply.header("vary"), Some("Accept"));
    }
    assert!(server.metrics().await.count(RENDERS) <= 3);
    assert!(server.state.pipeline.derivatives().len() <= 3);
}
