//! The playground (`[playground] enabled`): off by default, where its paths are the usual 404
//! of unknown API paths; on, a page under a strict Content-Security-Policy and the listings it
//! reads. The page itself is driven in headless Chromium by scripts/playground-e2e.sh.

use serde_json::json;

use crate::support::roots::{Root, config};
use crate::support::server::TestServer;

const PATHS: [&str; 3] = [
    "/_pixgate/playground",
    "/_pixgate/playground/sources",
    "/_pixgate/playground/images?source=demo",
];

/// `demo` (a folder with two images, a text file and pixgate's own `.pixgate/` state) and
/// `shop` (under `/shop`, with an HMAC key); the playground on or off.
async fn server(enabled: bool) -> ([Root; 2], TestServer) {
    let root = Root::new();
    root.put_fixture("cups.png", "cups-alpha-640x400.png")
        .put_fixture("albums/forest.jpg", "forest-800x500.jpg")
        .put("notes.txt", b"not an image")
        .put(".pixgate/files/kept.png", b"state");
    let shop_root = Root::new();
    let mut shop = shop_root.source("shop");
    shop.prefix = "/shop".into();
    shop.hmac_keys = vec!["shop-key".into()];
    let mut config = config(vec![root.source("demo"), shop]);
    config.playground.enabled = enabled;
    ([root, shop_root], TestServer::start(config).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playground_is_an_unknown_api_path_unless_enabled() {
    let (_roots, server) = server(false).await;
    for path in PATHS {
        for method in ["GET", "HEAD", "POST"] {
            let reply = server.send(method, path, &[], Vec::new()).await;
            if method == "HEAD" {
                reply.head_error_shape(404).unwrap();
            } else {
                reply.assert_error(404, "not_found");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enabled_playground_is_one_page_under_a_strict_policy() {
    let (_roots, server) = server(true).await;
    let reply = server.get("/_pixgate/playground").await;
    reply.assert_status(200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let policy = reply.header("content-security-policy").unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'sha256-",
        "style-src 'sha256-",
        "img-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    let page = reply.text();
    assert!(page.contains("<title>pixgate playground</title>"));
    // Self-contained: nothing is loaded from elsewhere, not even from this server.
    assert!(
        !page.contains("src=\"http") && !page.contains("<link"),
        "{page}"
    );

    let refused = server
        .send("POST", "/_pixgate/playground", &[], Vec::new())
        .await;
    refused.assert_error(405, "method_not_allowed");
    assert_eq!(refused.header("allow"), Some("GET, HEAD"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_name_their_routing_and_never_their_keys() {
    let (_roots, server) = server(true).await;
    let reply = server.get("/_pixgate/playground/sources").await;
    reply.assert_status(200);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let want = json!({ "sources": [
        { "name": "demo", "kind": "folder", "prefix": "", "hosts": [],
          "signable": false, "secure": false },
        { "name": "shop", "kind": "folder", "prefix": "/shop", "hosts": [],
          "signable": true, "secure": false },
    ]});
    assert_eq!(reply.json(), want);
    assert!(!reply.text().contains("shop-key"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_of_a_folder_source_are_its_image_files_sorted() {
    let (_roots, server) = server(true).await;
    let reply = server.get("/_pixgate/playground/images?source=demo").await;
    reply.assert_status(200);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let want = json!({
        "source": "demo",
        "images": ["albums/forest.jpg", "cups.png"],
        "note": null,
    });
    assert_eq!(reply.json(), want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_of_an_unknown_or_missing_source_are_refused_naming_it() {
    let (_roots, server) = server(true).await;
    let message = server
        .get("/_pixgate/playground/images?source=nope")
        .await
        .assert_error(400, "bad_parameter");
    assert!(message.contains("\"nope\""), "{message}");
    let message = server
        .get("/_pixgate/playground/images")
        .await
        .assert_error(400, "bad_parameter");
    assert!(message.contains("source"), "{message}");
}
