//! What a signature refuses, and in what order: anything changed or appended after signing,
//! no signature where one is needed (whatever else is wrong with the request), a `put` URL
//! used to read, an ambiguous query; the check runs before the cache, so a cached transform is
//! no way around it, and before the parameters, so a signed bad value is a 400.

use super::{TOKEN, imgix_root};
use crate::support::images::gradient_png;
use crate::support::roots::{NOW, Root, config};
use crate::support::server::TestServer;
use crate::support::signing::md5_url;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anything_after_the_signature_is_refused_so_md5_cannot_be_extended() {
    let (_root, source) = imgix_root();
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let valid = md5_url(TOKEN, "/users/1.png", "w=40");
    server.get(&valid).await.assert_image("png");
    for suffix in ["&w=4000&expires=99999999999", "&w=4000", "&foo=bar", "&"] {
        let forged = format!("{valid}{suffix}");
        let reply = server.raw("GET", &forged, &[]).await;
        reply.assert_error(403, "signature_invalid");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_signatures_and_paths_are_signature_invalid() {
    let (_root, source) = imgix_root();
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let valid = md5_url(TOKEN, "/users/1.png", "w=20");
    server.get(&valid).await.assert_image("png");

    let last = valid.chars().last().unwrap();
    let flipped = if last == '0' { '1' } else { '0' };
    let tampered_signature = format!("{}{flipped}", &valid[..valid.len() - 1]);
    let tampered_path = valid.replacen("/users/1.png", "/users/2.png", 1);
    let tampered_param = valid.replacen("w=20", "w=21", 1);
    let other_token = md5_url("not-the-token", "/users/1.png", "w=20");
    let truncated = valid[..valid.len() - 2].to_string();
    let empty = "/users/1.png?w=20&s=".to_string();
    for url in [
        tampered_signature,
        tampered_path,
        tampered_param,
        other_token,
        truncated,
        empty,
    ] {
        server
            .get(&url)
            .await
            .assert_error(403, "signature_invalid");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_request_to_secure_source_is_403_whatever_else_is_wrong() {
    let (_root, source) = imgix_root();
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let targets = [
        "/users/1.png",
        "/users/missing.png",
        "/users/1.png?w=20",
        "/users/1.png?w=abc",
        "/users/missing.png?w=abc",
        "/users/1.png?fit=banana&fm=bmp&q=101",
        "/users/1.png?expires=1",
        "/..%2f..%2fetc/passwd",
        "/%2e%2e/x.png?w=abc",
    ];
    for target in targets {
        let reply = server.raw("GET", target, &[]).await;
        reply.assert_error(403, "signature_required");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_prefix_needs_a_signature_on_an_otherwise_public_source() {
    let root = Root::new();
    root.put("private/a.png", &gradient_png(20, 10))
        .put("public/a.png", &gradient_png(20, 10))
        .put("privateer.png", &gradient_png(20, 10));
    let mut source = root.source("demo");
    source.private_prefixes = vec!["private/".into()];
    source.md5_tokens = vec![TOKEN.into()];
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    server.get("/public/a.png?w=10").await.assert_image("png");
    server.get("/privateer.png?w=10").await.assert_image("png");
    // The prefix is judged on the decoded key, so encoding a letter of it changes nothing.
    for target in [
        "/private/a.png",
        "/private/a.png?w=10",
        "/private/missing.png",
        "/%70rivate/a.png",
        "/privat%65/a.png?w=10",
    ] {
        server
            .raw("GET", target, &[])
            .await
            .assert_error(403, "signature_required");
    }
    server
        .get(&md5_url(TOKEN, "/private/a.png", "w=10"))
        .await
        .assert_image("png");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_url_cannot_be_used_for_get_and_get_covers_head() {
    let (_root, source) = imgix_root();
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let put = md5_url(TOKEN, "/users/1.png", "method=put");
    server.get(&put).await.assert_error(403, "method_mismatch");

    let get = md5_url(TOKEN, "/users/1.png", "w=10&method=get");
    server.get(&get).await.assert_image("png");
    let reply = server.request("HEAD", &get, &[]).await;
    reply.assert_status(200);
    assert!(reply.body.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_or_malformed_queries_are_400() {
    let root = Root::new();
    root.put("pub.png", &gradient_png(20, 10));
    let server = TestServer::start_at(config(vec![root.source("demo")]), NOW).await;
    let later = NOW + 60;
    let cases = [
        (
            format!("/pub.png?w=10&expires={later}&expiry={}", later + 1),
            "bad_parameter",
        ),
        ("/pub.png?w=10&w=20".to_string(), "bad_parameter"),
        ("/pub.png?w=10&width=20".to_string(), "bad_parameter"),
        (
            format!("/pub.png?expires={later}&expires={later}"),
            "bad_parameter",
        ),
        ("/pub.png?w=10&expires=soon".to_string(), "bad_parameter"),
        ("/pub.png?w=10&method=delete".to_string(), "bad_parameter"),
        ("/pub.png?w=10%01".to_string(), "bad_query"),
        ("/pub.png?w=10&foo=%01".to_string(), "bad_query"),
        ("/pub.png?w=10&foo=%0a".to_string(), "bad_query"),
        ("/pub.png?w=%ff".to_string(), "bad_query"),
        ("/pub.png?w=10&foo=%c3%28".to_string(), "bad_query"),
        ("/pub%01.png?w=10".to_string(), "bad_path"),
        ("/pub%ff.png?w=10".to_string(), "bad_path"),
    ];
    for (target, code) in cases {
        let reply = server.raw("GET", &target, &[]).await;
        reply.assert_error(400, code);
    }
    // The same expiry under both names is not ambiguous.
    server
        .get(&format!("/pub.png?w=10&expires={later}&expiry={later}"))
        .await
        .assert_image("png");
}

/// A cached derivative is no way around the signature: the check runs before the cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_transform_is_still_refused_without_a_valid_signature() {
    let (_root, source) = imgix_root();
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let valid = md5_url(
        TOKEN,
        "/users/1.png",
        &format!("w=20&expires={}", NOW + 100),
    );
    let miss = server.get(&valid).await;
    miss.assert_image("png");
    assert_eq!(miss.header("x-cache"), Some("MISS"));
    let hit = server.get(&valid).await;
    hit.assert_image("png");
    assert_eq!(hit.header("x-cache"), Some("HIT"));
    assert_eq!(server.state.pipeline.derivatives().len(), 1);

    let expired = md5_url(TOKEN, "/users/1.png", &format!("w=20&expires={}", NOW - 1));
    server.get(&expired).await.assert_error(403, "expired");
    server
        .get("/users/1.png?w=20")
        .await
        .assert_error(403, "signature_required");
    let forged = format!(
        "/users/1.png?w=20&expires={}&s=00000000000000000000000000000000",
        NOW + 100
    );
    server
        .get(&forged)
        .await
        .assert_error(403, "signature_invalid");
    let other = md5_url(
        "guess",
        "/users/1.png",
        &format!("w=20&expires={}", NOW + 100),
    );
    server
        .get(&other)
        .await
        .assert_error(403, "signature_invalid");
    let put = md5_url(TOKEN, "/users/1.png", "w=20&method=put");
    server.get(&put).await.assert_error(403, "method_mismatch");

    // The very URL that primed the cache, once its time is up.
    server.set_now(NOW + 101);
    server.get(&valid).await.assert_error(403, "expired");
    assert_eq!(server.state.pipeline.derivatives().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_or_unsigned_url_is_refused_even_when_the_transform_is_cached() {
    let root = Root::new();
    root.put_fixture("private/cups.jpg", "cups-800x500.jpg");
    let mut source = root.source("demo");
    source.private_prefixes = vec!["private/".into()];
    source.md5_tokens = vec!["tok".into()];
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let valid = md5_url(
        "tok",
        "/private/cups.jpg",
        &format!("w=80&expires={}", NOW + 60),
    );
    assert_eq!(
        server
            .get(&valid)
            .await
            .assert_status(200)
            .header("x-cache"),
        Some("MISS")
    );
    assert_eq!(server.get(&valid).await.header("x-cache"), Some("HIT"));
    let expired = md5_url(
        "tok",
        "/private/cups.jpg",
        &format!("w=80&expires={}", NOW - 1),
    );
    for (url, code) in [
        (expired.as_str(), "expired"),
        ("/private/cups.jpg?w=80", "signature_required"),
        (
            "/private/cups.jpg?w=80&s=0123456789abcdef0123456789abcdef",
            "signature_invalid",
        ),
    ] {
        let reply = server.get(url).await;
        reply.assert_error(403, code);
        assert!(reply.header("x-cache").is_none());
    }
}

/// Parameters are judged after the signature: a validly signed bad value is a 400, not a 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_url_with_a_bad_parameter_is_400() {
    let (_root, source) = imgix_root();
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    for query in ["w=abc", "fit=banana", "w=10&w=20"] {
        let url = md5_url(TOKEN, "/users/1.png", query);
        server.get(&url).await.assert_error(400, "bad_parameter");
    }
    let missing = md5_url(TOKEN, "/users/missing.png", "w=10");
    server.get(&missing).await.assert_error(404, "not_found");
}
