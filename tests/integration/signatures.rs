//! Signed URLs through the server (contract §2): both schemes' published vectors, expiry,
//! method and TTL policy, key rotation, the defences against length extension, and the rule
//! that the signature is checked before anything else — the cache included. Clocks are fixed.

use pixgate::signature::{self, Scheme};

use crate::support::images::{decode, gradient_png};
use crate::support::roots::{NOW, Root, config};
use crate::support::server::TestServer;
use crate::support::signing::{hmac_signed, hmac_url, md5_signed, md5_url};

/// The contract's MD5 token (§2.1).
const TOKEN: &str = "FOO123bar";

/// A secure source holding `users/1.png` (40×30) and `users/2.png`, signing with [`TOKEN`].
fn imgix_root() -> (Root, pixgate::config::SourceConfig) {
    let root = Root::new();
    root.put("users/1.png", &gradient_png(40, 30))
        .put("users/2.png", &gradient_png(30, 40));
    let mut source = root.source("demo");
    source.secure = true;
    source.md5_tokens = vec![TOKEN.into()];
    (root, source)
}

#[test]
fn the_test_oracle_reproduces_the_contract_vectors() {
    let cases = [
        ("", "s=6797c24146142d5b40bde3141fd3600c"),
        (
            "w=400&h=300",
            "w=400&h=300&s=c7b86f666a832434dd38577e38cf86d1",
        ),
        (
            "h=300&w=400",
            "h=300&w=400&s=1a4e48641614d1109c6a7af51be23d18",
        ),
    ];
    for (query, want) in cases {
        assert_eq!(md5_signed(TOKEN, "/users/1.png", query), want);
        assert_eq!(
            signature::sign(Scheme::Md5, TOKEN, "/users/1.png", query),
            want
        );
    }
    let ittybit =
        "expiry=1765432100&method=get&signature=yvplJzlPuyfyjAJSclzSaXGfw56veTC9mEdaPuSHMrI";
    let query = "expiry=1765432100&method=get";
    assert_eq!(
        hmac_signed("demo-key", "/private/image.png", query),
        ittybit
    );
    assert_eq!(
        signature::sign(Scheme::Hmac, "demo-key", "/private/image.png", query),
        ittybit
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imgix_vectors_verify_through_the_server() {
    let (root, source) = imgix_root();
    let server = TestServer::start_at(config(vec![source]), NOW).await;

    let reply = server
        .get("/users/1.png?s=6797c24146142d5b40bde3141fd3600c")
        .await;
    reply.assert_status(200);
    assert_eq!(
        reply.body,
        std::fs::read(root.path().join("users/1.png")).unwrap()
    );

    let reply = server
        .get("/users/1.png?w=400&h=300&s=c7b86f666a832434dd38577e38cf86d1")
        .await;
    reply.assert_image("png");
    assert_eq!(decode(&reply.body).dimensions(), (400, 300));

    server
        .get("/users/1.png?h=300&w=400&s=1a4e48641614d1109c6a7af51be23d18")
        .await
        .assert_image("png");
    // Hex is compared case-insensitively.
    server
        .get("/users/1.png?w=400&h=300&s=C7B86F666A832434DD38577E38CF86D1")
        .await
        .assert_image("png");

    // The same parameters in another order are another URL.
    server
        .get("/users/1.png?h=300&w=400&s=c7b86f666a832434dd38577e38cf86d1")
        .await
        .assert_error(403, "signature_invalid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_from_the_imgix_js_client_is_accepted() {
    let (_root, source) = imgix_root();
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let url = md5_url(TOKEN, "/users/1.png", "ixlib=js-3.8.0&w=400");
    assert!(
        url.starts_with("/users/1.png?ixlib=js-3.8.0&w=400&s="),
        "{url}"
    );
    let reply = server.get(&url).await;
    reply.assert_image("png");
    assert_eq!(decode(&reply.body).width(), 400);
}

/// ittybit's documented sample (§2.2): valid up to and including its expiry second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ittybit_sample_url_works_until_its_expiry_second() {
    let root = Root::new();
    root.put("private/image.png", &gradient_png(20, 10));
    let mut source = root.source("demo");
    source.private_prefixes = vec!["private/".into()];
    source.hmac_keys = vec!["demo-key".into()];
    let server = TestServer::start_at(config(vec![source]), 1_765_432_000).await;
    let url = "/private/image.png?expiry=1765432100&method=get&signature=yvplJzlPuyfyjAJSclzSaXGfw56veTC9mEdaPuSHMrI";

    let reply = server.get(url).await;
    reply.assert_status(200);
    assert_eq!(reply.header("cache-control"), Some("public, max-age=100"));

    // Padded base64url is accepted too.
    server.get(&format!("{url}=")).await.assert_status(200);

    server.set_now(1_765_432_100);
    server.get(url).await.assert_status(200);

    server.set_now(1_765_432_101);
    server.get(url).await.assert_error(403, "expired");
}

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
async fn max_ttl_refuses_long_lived_and_unexpiring_urls() {
    let (_root, mut source) = imgix_root();
    source.max_ttl = Some(std::time::Duration::from_secs(5 * 60));
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let signed = |query: String| md5_url(TOKEN, "/users/1.png", &query);

    let hour = signed(format!("w=10&expires={}", NOW + 3600));
    server.get(&hour).await.assert_error(403, "ttl_too_long");
    let forever = signed("w=10".into());
    server.get(&forever).await.assert_error(403, "ttl_too_long");
    let just_over = signed(format!("w=10&expires={}", NOW + 301));
    server
        .get(&just_over)
        .await
        .assert_error(403, "ttl_too_long");

    let four_minutes = signed(format!("w=10&expires={}", NOW + 240));
    let reply = server.get(&four_minutes).await;
    reply.assert_image("png");
    assert_eq!(reply.max_age(), 240);
    let five_minutes = signed(format!("w=10&expires={}", NOW + 300));
    server.get(&five_minutes).await.assert_image("png");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_configured_secret_verifies_for_key_rotation() {
    let (_root, mut source) = imgix_root();
    source.md5_tokens = vec!["new-token".into(), "old-token".into()];
    source.hmac_keys = vec!["new-key".into(), "old-key".into()];
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    for url in [
        md5_url("new-token", "/users/1.png", "w=10"),
        md5_url("old-token", "/users/1.png", "w=10"),
        hmac_url("new-key", "/users/1.png", "w=10"),
        hmac_url("old-key", "/users/1.png", "w=10"),
    ] {
        server.get(&url).await.assert_image("png");
    }
    for url in [
        md5_url("retired-token", "/users/1.png", "w=10"),
        hmac_url("retired-key", "/users/1.png", "w=10"),
        // A secret of one scheme does not verify the other.
        md5_url("new-key", "/users/1.png", "w=10"),
        hmac_url("new-token", "/users/1.png", "w=10"),
    ] {
        server
            .get(&url)
            .await
            .assert_error(403, "signature_invalid");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_is_enforced_on_public_paths_too() {
    let root = Root::new();
    root.put("pub.png", &gradient_png(20, 10));
    let server = TestServer::start_at(config(vec![root.source("demo")]), NOW).await;
    let past = NOW - 1;
    let future = NOW + 60;
    for target in [
        format!("/pub.png?w=10&expires={past}"),
        format!("/pub.png?w=10&expiry={past}"),
        format!("/pub.png?expires={past}"),
    ] {
        server.get(&target).await.assert_error(403, "expired");
    }
    let reply = server.get(&format!("/pub.png?w=10&expires={future}")).await;
    reply.assert_image("png");
    assert_eq!(reply.max_age(), 60);
    server
        .get(&format!("/pub.png?w=10&expires={NOW}"))
        .await
        .assert_image("png");
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
    assert_eq!(server.state.cache.len(), 1);

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
    assert_eq!(server.state.cache.len(), 1);
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
