//! S3-compatible sources, read: originals come from a real S3 service (s3s over s3s-fs,
//! signatures verified) under the source's key prefix, each source with its own account;
//! the upstream's failures are 404/502/504/413; readiness follows the bucket.

use std::time::{Duration, Instant};

use pixgate::config::{CredentialSource, Root, S3Credentials, SourceConfig};

use crate::support::images::{dimensions, noise};
use crate::support::remote::{BUCKET, BlackHole, S3Server, closed_port};
use crate::support::roots::{config, fixture};
use crate::support::server::TestServer;
use crate::support::wait::within;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transforms_and_passthrough_read_the_object_under_the_sources_key_prefix() {
    let s3 = S3Server::start().await;
    let forest = fixture("forest-800x500.jpg");
    s3.put("originals/photos/forest.jpg", &forest);
    // The same key outside the prefix is another object, never served by this source.
    s3.put("photos/forest.jpg", &fixture("cups-800x500.jpg"));
    let server = TestServer::start(config(vec![s3.source("s3", "originals/")])).await;

    let whole = server.get("/photos/forest.jpg").await;
    whole.assert_image("jpeg");
    assert_eq!(whole.body, forest, "passthrough is the object's bytes");
    assert_eq!(
        whole.header("content-length"),
        Some(forest.len().to_string().as_str())
    );
    assert!(whole.header("etag").is_some(), "a strong ETag");

    let small = server.get("/photos/forest.jpg?w=300&fm=webp").await;
    small.assert_image("webp");
    assert_eq!(dimensions(&small.body).0, 300);

    let png = server
        .get("/photos/forest.jpg?w=200&h=200&fit=crop&fm=png")
        .await;
    png.assert_image("png");
    assert_eq!(dimensions(&png.body), (200, 200));

    // Range requests work on an S3 passthrough as on a local one.
    let part = server
        .get_with("/photos/forest.jpg", &[("range", "bytes=100-199")])
        .await;
    part.assert_status(206);
    assert_eq!(part.body, &forest[100..200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_with_no_object_is_404_not_found_for_transforms_and_passthrough() {
    let s3 = S3Server::start().await;
    s3.put("originals/here.jpg", &fixture("forest-800x500.jpg"));
    let server = TestServer::start(config(vec![s3.source("s3", "originals/")])).await;

    for target in ["/missing.jpg", "/missing.jpg?w=100", "/sub/here.jpg"] {
        server.get(target).await.assert_error(404, "not_found");
    }
    // The object at the bucket's top is outside the prefix.
    s3.put("top.jpg", &fixture("forest-800x500.jpg"));
    server.get("/top.jpg").await.assert_error(404, "not_found");
    server.get("/here.jpg").await.assert_image("jpeg");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_where_nothing_listens_is_502_upstream_unreachable() {
    let s3 = S3Server::start().await;
    let mut root = s3.root(BUCKET, "");
    root.endpoint = url::Url::parse(&format!("http://{}/", closed_port().await)).unwrap();
    let server = TestServer::start(config(vec![SourceConfig::new("s3", Root::S3(root))])).await;

    for target in ["/a.jpg", "/a.jpg?w=100"] {
        let reply = within(Duration::from_secs(15), target, server.get(target)).await;
        reply.assert_error(502, "upstream_unreachable");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_never_answers_is_504_upstream_timeout_after_source_timeout() {
    let hole = BlackHole::start().await;
    let s3 = S3Server::start().await;
    let mut root = s3.root(BUCKET, "");
    root.endpoint = hole.url();
    let mut config = config(vec![SourceConfig::new("s3", Root::S3(root))]);
    config.limits.source_timeout = Duration::from_secs(1);
    let server = TestServer::start(config).await;

    let started = Instant::now();
    let reply = within(
        Duration::from_secs(15),
        "black hole",
        server.get("/a.jpg?w=100"),
    )
    .await;
    let took = started.elapsed();
    reply.assert_error(504, "upstream_timeout");
    assert!(hole.connections() >= 1, "pixgate never tried the endpoint");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "answered after {took:?} with a 1 s source_timeout"
    );
}

/// The service checks every signature: a wrong secret is refused by the bucket, and pixgate
/// answers an upstream failure, not the image and not a 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused_by_the_bucket_and_answered_502() {
    let s3 = S3Server::start().await;
    s3.put("a.jpg", &fixture("forest-800x500.jpg"));
    let mut root = s3.root(BUCKET, "");
    root.credentials = CredentialSource::Static(S3Credentials::new(
        crate::support::remote::S3_ACCESS_KEY,
        "not-the-secret",
    ));
    let good = s3.source("good", "");
    let mut bad = SourceConfig::new("bad", Root::S3(root));
    bad.prefix = "/bad".into();
    let server = TestServer::start(config(vec![good, bad])).await;

    server.get("/a.jpg?w=100").await.assert_image("jpeg");
    for target in ["/bad/a.jpg", "/bad/a.jpg?w=100"] {
        server
            .get(target)
            .await
            .assert_error(502, "upstream_failed");
    }
}

/// Credentials belong to each source: two services that each accept only their own key pair
/// (two accounts) serve through one pixgate, and one account's keys open nothing of the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sources_read_two_accounts_each_with_its_own_credentials() {
    let shop = S3Server::start_for("SHOPACCESSKEY", "shop-secret").await;
    let blog = S3Server::start_for("BLOGACCESSKEY", "blog-secret").await;
    shop.put("a.jpg", &fixture("forest-800x500.jpg"));
    blog.put("a.jpg", &fixture("cups-800x500.jpg"));
    let mut shop_source = shop.source("shop", "");
    shop_source.prefix = "/shop".into();
    let mut blog_source = blog.source("blog", "");
    blog_source.prefix = "/blog".into();
    // The blog's bucket with the shop's keys.
    let mut crossed = blog.root(BUCKET, "");
    crossed.credentials = CredentialSource::Static(shop.credentials.clone());
    let mut crossed_source = SourceConfig::new("crossed", Root::S3(crossed));
    crossed_source.prefix = "/crossed".into();
    let server = TestServer::start(config(vec![shop_source, blog_source, crossed_source])).await;

    let from_shop = server.get("/shop/a.jpg").await;
    from_shop.assert_status(200);
    assert_eq!(from_shop.body, fixture("forest-800x500.jpg"));
    let from_blog = server.get("/blog/a.jpg").await;
    from_blog.assert_status(200);
    assert_eq!(from_blog.body, fixture("cups-800x500.jpg"));
    server.get("/blog/a.jpg?w=100").await.assert_image("jpeg");
    server
        .get("/crossed/a.jpg")
        .await
        .assert_error(502, "upstream_failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_follows_the_bucket_200_while_reachable_503_once_it_is_down() {
    let s3 = S3Server::start().await;
    let server = TestServer::start(config(vec![s3.source("s3", "")])).await;

    let ready = server.get("/_pixgate/ready").await;
    ready.assert_status(200);
    assert_eq!(ready.json()["status"], "ready", "{}", ready.text());

    s3.stop().await;
    let ready = within(
        Duration::from_secs(15),
        "ready",
        server.get("/_pixgate/ready"),
    )
    .await;
    ready.assert_status(503);
    let json = ready.json();
    assert_eq!(json["status"], "unavailable", "{json}");
    let failing: Vec<&str> = json["sources"]
        .as_array()
        .unwrap_or_else(|| panic!("no sources: {json}"))
        .iter()
        .filter(|s| s["ready"] == false)
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(failing, ["s3"], "{json}");
    // The answer names neither the endpoint nor the credentials.
    let text = ready.text();
    assert!(
        !text.contains(crate::support::remote::S3_SECRET_KEY),
        "{text}"
    );
    server.get("/_pixgate/health").await.assert_status(200);
}

/// An object over `max_source_bytes` is refused like a local file would be.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_over_max_source_bytes_is_413_too_large() {
    let s3 = S3Server::start().await;
    s3.put("big.bin", &noise(3 * 1024 * 1024, 1));
    s3.put("small.png", &fixture("pixel-1x1.png"));
    let mut config = config(vec![s3.source("s3", "")]);
    config.limits.max_source_bytes = 1024 * 1024;
    let server = TestServer::start(config).await;

    for target in ["/big.bin", "/big.bin?w=10"] {
        server.get(target).await.assert_error(413, "too_large");
    }
    server.get("/small.png?w=1").await.assert_image("png");
}

/// A bucket stampede: 30 concurrent cold requests for one object share one version check and
/// one download, as for an HTTP origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_cold_requests_cost_the_bucket_at_most_two_requests() {
    let s3 = S3Server::start().await;
    s3.put("photos/forest.jpg", &fixture("forest-800x500.jpg"));
    let server = std::sync::Arc::new(TestServer::start(config(vec![s3.source("s3", "")])).await);
    for reply in server
        .get_at_once("/photos/forest.jpg?w=120&fm=png", 30)
        .await
    {
        reply.assert_image("png");
        assert_eq!(dimensions(&reply.body).0, 120);
    }
    let seen = s3.requests();
    assert!(!seen.is_empty(), "the bucket was asked");
    assert!(seen.len() <= 2, "the bucket saw {seen:?}");
}
