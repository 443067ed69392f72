//! Response headers a CDN relies on (contract §4): `Cache-Control` from the TTL or the URL's
//! remaining life, strong `ETag` with `If-None-Match` → 304, `Last-Modified`, `nosniff`, the
//! JSON error envelope with `no-store`, and `Allow` on a 405 for methods other than GET/HEAD.

use std::time::Duration;

use crate::support::images::gradient_png;
use crate::support::roots::{NOW, Root, config};
use crate::support::server::TestServer;
use crate::support::signing::md5_url;

const YEAR: u64 = 365 * 24 * 60 * 60;

fn root() -> Root {
    let root = Root::new();
    root.put("a.png", &gradient_png(40, 20))
        .put_fixture("doc.pdf", "files/manual.pdf");
    root
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_age_is_the_ttl_or_the_time_the_url_has_left() {
    let root = root();
    let server = TestServer::start_at(config(vec![root.source("demo")]), NOW).await;
    for target in ["/a.png?w=10", "/a.png", "/doc.pdf"] {
        let reply = server.get(target).await;
        reply.assert_status(200);
        assert_eq!(
            reply.header("cache-control"),
            Some(format!("public, max-age={YEAR}").as_str()),
            "{target}"
        );
    }
    for (target, max_age) in [
        (format!("/a.png?w=10&expires={}", NOW + 120), 120),
        (format!("/a.png?expires={}", NOW + 7), 7),
        (format!("/doc.pdf?expiry={}", NOW + 3600), 3600),
    ] {
        let reply = server.get(&target).await;
        reply.assert_status(200);
        assert_eq!(reply.max_age(), max_age, "{target}");
    }

    let mut short = root.source("demo");
    short.default_ttl = Duration::from_secs(3600);
    let server = TestServer::start_at(config(vec![short]), NOW).await;
    assert_eq!(server.get("/a.png?w=10").await.max_age(), 3600);
    let far = format!("/a.png?w=10&expires={}", NOW + 7200);
    assert_eq!(
        server.get(&far).await.max_age(),
        3600,
        "the smaller of the two"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strong_etags_answer_if_none_match_with_304() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for target in ["/a.png?w=10", "/a.png", "/doc.pdf"] {
        let reply = server.get(target).await;
        reply.assert_status(200);
        let etag = reply
            .header("etag")
            .unwrap_or_else(|| panic!("{target}: no ETag"));
        assert!(
            etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
            "{target}: ETag {etag} is not a quoted strong validator"
        );
        let modified = reply.header("last-modified").unwrap_or("");
        assert!(
            modified.ends_with(" GMT"),
            "{target}: Last-Modified {modified:?}"
        );

        let again = server.get(target).await;
        assert_eq!(
            again.header("etag"),
            Some(etag),
            "{target}: ETag is not stable"
        );

        // Raw, so the absence of a body is checked on the wire.
        let not_modified = server.raw("GET", target, &[("if-none-match", etag)]).await;
        not_modified.assert_status(304);
        assert!(not_modified.body.is_empty(), "{target}: 304 with a body");
        assert_eq!(not_modified.header("etag"), Some(etag));

        let listed = format!("\"other\", {etag}");
        server
            .raw("GET", target, &[("if-none-match", &listed)])
            .await
            .assert_status(304);
        let changed = server
            .get_with(target, &[("if-none-match", "\"not-the-etag\"")])
            .await;
        changed.assert_status(200);
        assert!(!changed.body.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_none_match_does_not_skip_the_signature_check() {
    let root = root();
    let mut source = root.source("demo");
    source.secure = true;
    source.md5_tokens = vec!["tok".into()];
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let valid = md5_url("tok", "/a.png", "w=10");
    let reply = server.get(&valid).await;
    reply.assert_image("png");
    let etag = reply.header("etag").unwrap().to_string();
    server
        .get_with(&valid, &[("if-none-match", &etag)])
        .await
        .assert_status(304);
    for target in ["/a.png?w=10", "/a.png"] {
        server
            .get_with(target, &[("if-none-match", &etag), ("if-none-match", "*")])
            .await
            .assert_error(403, "signature_required");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_and_errors_both_carry_nosniff() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for target in ["/a.png?w=10", "/a.png", "/doc.pdf"] {
        let reply = server.get(target).await;
        reply.assert_status(200);
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{target}"
        );
    }
    // assert_error checks nosniff, no-store and the envelope.
    server
        .get("/missing.png")
        .await
        .assert_error(404, "not_found");
    server
        .get("/a.png?w=abc")
        .await
        .assert_error(400, "bad_parameter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_use_the_json_envelope() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let reply = server.get("/missing.png").await;
    reply.assert_error(404, "not_found");
    let json = reply.json();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["data", "error", "links", "meta"], "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_other_than_get_and_head_are_405() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for method in ["DELETE", "POST", "PATCH"] {
        let reply = server
            .raw(method, "/a.png", &[("content-length", "0")])
            .await;
        reply.assert_error(405, "method_not_allowed");
        let allow = reply.header("allow").unwrap_or("");
        assert!(
            allow.contains("GET") && allow.contains("HEAD"),
            "Allow: {allow:?}"
        );
        let reply = server.request(method, "/a.png?w=10", &[]).await;
        reply.assert_error(405, "method_not_allowed");
    }
    assert!(root.path().join("a.png").exists());
}
