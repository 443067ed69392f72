//! HTTP-origin sources: originals fetched from base + key with every segment
//! percent-encoded, the origin's failures as 404/502/504/413, none of the origin's headers
//! passed on, revalidation with `If-None-Match` after `revalidate_after`, one version check
//! and one download for many concurrent cold requests, and no uploads.

use std::time::{Duration, Instant};

use pixgate::config::{Config, Root, SourceConfig};

use crate::support::images::{
    BLUE, GREEN, RED, decode, dimensions, halves_png, mean_colour, noise, png,
};
use crate::support::remote::{HUGE_BYTES, Origin, Seen};
use crate::support::reply::Reply;
use crate::support::roots::{config, fixture};
use crate::support::server::TestServer;
use crate::support::wait::within;
use crate::uploads::{KEY, put, put_range};

/// A server with one source, `web`, on `origin` (loopback allowed), changed by `tune`.
async fn serve(origin: &Origin, tune: impl FnOnce(&mut SourceConfig, &mut Config)) -> TestServer {
    let mut source = origin.source("web");
    let mut config = config(Vec::new());
    tune(&mut source, &mut config);
    config.sources = vec![source];
    TestServer::start(config).await
}

/// The requests `origin` received after the first `from`.
fn since(origin: &Origin, from: usize) -> Vec<Seen> {
    origin.seen().split_off(from)
}

#[track_caller]
fn assert_no_origin_headers(reply: &Reply, what: &str) {
    for name in ["set-cookie", "x-origin-secret"] {
        assert_eq!(
            reply.header(name),
            None,
            "{what}: the origin's {name} reached the client"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transforms_and_passthrough_come_from_base_plus_key() {
    let origin = Origin::start().await;
    let forest = fixture("forest-800x500.jpg");
    origin.put("photos/forest.jpg", &forest);
    let server = serve(&origin, |_, _| {}).await;

    let whole = server.get("/photos/forest.jpg").await;
    whole.assert_image("jpeg");
    assert_eq!(whole.body, forest);
    let small = server.get("/photos/forest.jpg?w=300&fm=webp").await;
    small.assert_image("webp");
    assert_eq!(dimensions(&small.body).0, 300);
    let part = server
        .get_with("/photos/forest.jpg", &[("range", "bytes=0-99")])
        .await;
    part.assert_status(206);
    assert_eq!(part.body, &forest[..100]);
    assert!(
        origin
            .seen()
            .iter()
            .all(|s| s.target == "/photos/forest.jpg"),
        "{:?}",
        origin.targets()
    );
}

/// An origin stampede: 30 concurrent cold requests for one image (each its own connection)
/// share one version check and one download, and all get the image.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_cold_requests_cost_the_origin_at_most_two_requests() {
    let origin = Origin::start().await;
    origin.put("photos/forest.jpg", &fixture("forest-800x500.jpg"));
    let server = std::sync::Arc::new(serve(&origin, |_, _| {}).await);
    for reply in server
        .get_at_once("/photos/forest.jpg?w=120&fm=png", 30)
        .await
    {
        reply.assert_image("png");
        assert_eq!(dimensions(&reply.body).0, 120);
    }
    let seen = origin.seen();
    let methods: Vec<&str> = seen.iter().map(|s| s.method.as_str()).collect();
    assert!(seen.len() <= 2, "the origin saw {methods:?}");
}

/// Below a base path: the key is appended to it, never beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_appended_below_the_base_path() {
    let origin = Origin::start().await;
    origin.put("images/v1/a.png", &halves_png(40, 20, RED, BLUE));
    origin.put("a.png", &halves_png(40, 20, GREEN, GREEN));
    let mut root = origin.root(&["127.0.0.1/32"]);
    root.base = root.base.join("images/v1/").unwrap();
    let server = TestServer::start(config(vec![SourceConfig::new("web", Root::Http(root))])).await;

    let reply = server.get("/a.png?w=20").await;
    reply.assert_image("png");
    let [r, g, b, _] = mean_colour(&decode(&reply.body));
    assert!(r > 100.0 && b > 100.0 && g < 20.0, "{r} {g} {b}");
    let targets = origin.targets();
    assert!(
        !targets.is_empty() && targets.iter().all(|t| t == "/images/v1/a.png"),
        "{targets:?}"
    );
}

/// Each segment is percent-encoded: a space, `?`, `#`, `%` or a non-ASCII letter in a key
/// reaches the origin as part of the path, naming the right file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_characters_in_keys_are_percent_encoded_per_segment() {
    let origin = Origin::start().await;
    let cases = [
        ("a b.bin", "/a%20b.bin"),
        ("a?b.bin", "/a%3Fb.bin"),
        ("a#b.bin", "/a%23b.bin"),
        ("100% off.bin", "/100%25%20off.bin"),
        ("ü/ñ.bin", "/%C3%BC/%C3%B1.bin"),
        ("sub dir/x;y=z.bin", "/sub%20dir/x%3By%3Dz.bin"),
    ];
    for (seed, (key, _)) in (1..).zip(cases) {
        origin.put(key, &noise(500, seed));
    }
    let server = serve(&origin, |_, _| {}).await;

    for (seed, (key, request)) in (1..).zip(cases) {
        let before = origin.seen().len();
        let reply = server.get(request).await;
        reply.assert_status(200);
        assert_eq!(
            reply.body,
            noise(500, seed),
            "{key}: another file came back"
        );
        for seen in since(&origin, before) {
            assert!(
                !seen.target.contains(['?', '#', ' ']),
                "{key}: the origin was asked for {:?}",
                seen.target
            );
            let decoded = percent_encoding::percent_decode_str(&seen.target)
                .decode_utf8()
                .unwrap();
            assert_eq!(decoded, format!("/{key}"), "{key}");
        }
    }
}

/// A key that looks like a URL or an authority stays a path on the configured origin: the
/// other loopback host (allowed by the source, so only the encoding stops it) is never asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_can_never_change_the_host() {
    let origin = Origin::start().await;
    let elsewhere = Origin::start_on("127.0.0.2".parse().unwrap()).await;
    elsewhere.put("x.png", &halves_png(8, 8, RED, RED));
    let port = elsewhere.addr.port();
    let mut root = origin.root(&["127.0.0.0/8"]);
    root.max_redirects = 0;
    let server = TestServer::start(config(vec![SourceConfig::new("web", Root::Http(root))])).await;

    let keys = [
        format!("/https:127.0.0.2:{port}/x.png"),
        format!("/http:127.0.0.2:{port}/x.png"),
        format!("/ftp:127.0.0.2:{port}/x.png"),
        format!("/@127.0.0.2:{port}/x.png"),
        format!("/127.0.0.2:{port}/x.png"),
        format!("/user@127.0.0.2:{port}/x.png"),
    ];
    for key in &keys {
        for target in [key.clone(), format!("{key}?w=4")] {
            server.get(&target).await.assert_error(404, "not_found");
        }
    }
    assert_eq!(elsewhere.connections(), 0, "{:?}", elsewhere.targets());
    let host = origin.addr.to_string();
    for seen in origin.seen() {
        assert_eq!(seen.host.as_deref(), Some(host.as_str()), "{seen:?}");
    }
    assert!(
        origin.seen().len() >= keys.len(),
        "the configured origin was asked: {:?}",
        origin.targets()
    );
}

/// Some origins refuse `HEAD`. The version then comes from a `GET` of the first byte (this
/// origin ignores `Range` and starts the whole body, which pixgate drops unread), and the
/// image is served as from any origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_that_refuses_head_is_read_with_get() {
    let origin = Origin::start().await;
    let forest = fixture("forest-800x500.jpg");
    origin.put("no-head/forest.jpg", &forest);
    let server = serve(&origin, |_, _| {}).await;

    let from = origin.seen().len();
    let small = server.get("/no-head/forest.jpg?w=120&fm=png").await;
    small.assert_image("png");
    assert_eq!(dimensions(&small.body).0, 120);
    let methods: Vec<String> = since(&origin, from).into_iter().map(|s| s.method).collect();
    assert_eq!(
        methods,
        ["HEAD", "GET", "GET"],
        "refused HEAD, ranged GET, the body"
    );
    let again = server.get("/no-head/forest.jpg?w=120&fm=png").await;
    assert_eq!(again.header("x-cache"), Some("HIT"));
    let whole = server.get("/no-head/forest.jpg").await;
    assert_eq!(whole.body, forest);
    server
        .get("/no-head/missing.jpg?w=10")
        .await
        .assert_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_file_is_404_not_found() {
    let origin = Origin::start().await;
    let server = serve(&origin, |_, _| {}).await;
    for target in ["/nothing.jpg", "/nothing.jpg?w=10", "/dir/nothing.png"] {
        let reply = server.get(target).await;
        reply.assert_error(404, "not_found");
        assert_no_origin_headers(&reply, target);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_5xx_is_502_upstream_failed() {
    let origin = Origin::start().await;
    let server = serve(&origin, |_, _| {}).await;
    for target in ["/error", "/error/a.jpg?w=100"] {
        let reply = server.get(target).await;
        reply.assert_error(502, "upstream_failed");
        assert_no_origin_headers(&reply, target);
    }
}

/// An origin that sends nothing, or stops sending mid-body, costs one `source_timeout`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_origin_is_504_upstream_timeout_after_source_timeout() {
    let origin = Origin::start().await;
    let server = serve(&origin, |_, config| {
        config.limits.source_timeout = Duration::from_secs(1);
    })
    .await;
    for target in ["/slow/a.jpg?w=100", "/slow/a.jpg", "/stall/a.jpg?w=100"] {
        let started = Instant::now();
        let reply = within(Duration::from_secs(15), target, server.get(target)).await;
        let took = started.elapsed();
        reply.assert_error(504, "upstream_timeout");
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(5),
            "{target}: answered after {took:?} with a 1 s source_timeout"
        );
    }
}

/// `max_source_bytes` holds against an honest `Content-Length` and against a chunked body
/// that never says how long it is; pixgate stops reading long before the origin is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_max_source_bytes_is_413_too_large_with_or_without_a_length() {
    let origin = Origin::start().await;
    origin.put("small.png", &halves_png(40, 20, RED, BLUE));
    let server = serve(&origin, |_, config| {
        config.limits.max_source_bytes = 1024 * 1024;
    })
    .await;

    for target in ["/huge-sized?w=100", "/huge-sized", "/huge?w=100", "/huge"] {
        let reply = within(Duration::from_secs(20), target, server.get(target)).await;
        reply.assert_error(413, "too_large");
        assert_no_origin_headers(&reply, target);
    }
    assert!(
        origin.huge_sent() < 4 * HUGE_BYTES / 10,
        "pixgate read {} of the 4 x {HUGE_BYTES} bytes offered",
        origin.huge_sent()
    );
    // Smaller originals from the same origin are still fine.
    server.get("/small.png?w=20").await.assert_image("png");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_origins_cookies_and_headers_never_reach_the_client() {
    let origin = Origin::start().await;
    origin.put("a.png", &halves_png(40, 20, RED, BLUE));
    let server = serve(&origin, |_, _| {}).await;

    for target in ["/a.png", "/a.png?w=20", "/a.png?w=20", "/a.png?fm=webp"] {
        let reply = server.get(target).await;
        reply.assert_status(200);
        assert_no_origin_headers(&reply, target);
    }
    let head = server.request("HEAD", "/a.png", &[]).await;
    head.assert_status(200);
    assert_no_origin_headers(&head, "HEAD");
    // The type comes from the bytes, not from the origin's `application/octet-stream`.
    assert_eq!(head.header("content-type"), Some("image/png"));
}

/// `revalidate_after = 0`: every request asks the origin with the ETag it gave; a 304 keeps
/// the cached derivative, a new ETag brings the new rendering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_revalidate_after_zero_a_304_keeps_the_derivative_and_a_change_replaces_it() {
    let origin = Origin::start().await;
    let first = halves_png(64, 40, RED, BLUE);
    origin.put("a.png", &first);
    let server = serve(&origin, |source, _| {
        source.revalidate_after = Duration::ZERO;
    })
    .await;

    let one = server.get("/a.png?w=32").await;
    one.assert_image("png");
    assert_eq!(one.header("x-cache"), Some("MISS"));

    let before = origin.seen().len();
    let two = server.get("/a.png?w=32").await;
    two.assert_image("png");
    assert_eq!(two.header("x-cache"), Some("HIT"));
    assert_eq!(two.body, one.body);
    let asked = since(&origin, before);
    assert!(!asked.is_empty(), "the origin was not asked again");
    let etag = Origin::etag_of(&first);
    for seen in &asked {
        assert_eq!(
            seen.if_none_match.as_deref(),
            Some(etag.as_str()),
            "{seen:?}"
        );
    }

    let second = png(&image::RgbaImage::from_pixel(64, 40, image::Rgba(GREEN)));
    origin.put("a.png", &second);
    let before = origin.seen().len();
    let three = server.get("/a.png?w=32").await;
    three.assert_image("png");
    assert_ne!(three.body, one.body, "the old rendering after a change");
    let [r, g, b, _] = mean_colour(&decode(&three.body));
    assert!(g > 200.0 && r < 20.0 && b < 20.0, "{r} {g} {b}");
    assert!(
        since(&origin, before)
            .iter()
            .any(|s| s.if_none_match.as_deref() == Some(etag.as_str())),
        "revalidated with the old ETag"
    );
    // The passthrough is the new file too.
    assert_eq!(server.get("/a.png").await.body, second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn within_revalidate_after_a_cached_derivative_does_not_reach_the_origin() {
    let origin = Origin::start().await;
    origin.put("a.png", &halves_png(64, 40, RED, BLUE));
    let server = serve(&origin, |source, _| {
        source.revalidate_after = Duration::from_secs(60);
    })
    .await;

    let one = server.get("/a.png?w=32").await;
    one.assert_image("png");
    let before = origin.seen().len();
    assert!(before >= 1);
    let two = server.get("/a.png?w=32").await;
    two.assert_image("png");
    assert_eq!(two.header("x-cache"), Some("HIT"));
    assert_eq!(two.body, one.body);
    assert_eq!(
        origin.seen().len(),
        before,
        "asked again: {:?}",
        origin.targets()
    );
}

/// An HTTP origin is read-only: single and resumable uploads are 405 and the origin is not
/// written to (or asked anything).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_to_an_http_source_are_405_read_only() {
    let origin = Origin::start().await;
    let server = serve(&origin, |source, _| {
        source.hmac_keys = vec![KEY.into()];
    })
    .await;

    let bytes = halves_png(8, 8, RED, BLUE);
    put(&server, "/a.png", &bytes)
        .await
        .assert_error(405, "read_only");
    put_range(&server, "/b.bin", "bytes 0-99/300", &noise(100, 1))
        .await
        .assert_error(405, "read_only");
    assert!(
        origin
            .seen()
            .iter()
            .all(|s| s.method == "GET" || s.method == "HEAD"),
        "{:?}",
        origin.seen()
    );
    server.get("/a.png").await.assert_error(404, "not_found");
}
