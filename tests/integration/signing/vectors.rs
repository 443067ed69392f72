//! The published vectors of both schemes: the suite's own signer reproduces them, the server
//! verifies them, and URLs from imgix's JavaScript client and ittybit's sample are accepted
//! (the latter until its expiry second).

use pixgate::signature::{self, Scheme};

use super::{TOKEN, imgix_root};
use crate::support::images::{decode, gradient_png};
use crate::support::roots::{NOW, Root, config};
use crate::support::server::TestServer;
use crate::support::signing::{hmac_signed, md5_signed, md5_url};

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
