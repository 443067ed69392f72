//! Failures that must come back as clean JSON errors (contract §4): files that are not images,
//! corrupt images, sources over the limits, and methods the origin does not serve — never a
//! dropped connection.

use pixgate::config::LimitsConfig;

use crate::support::images::gradient_png;
use crate::support::roots::{Root, config, fixture};
use crate::support::server::TestServer;

fn root() -> Root {
    let root = Root::new();
    let jpeg = fixture("private/cups-400x250.jpg");
    let png = gradient_png(40, 20);
    root.put_fixture("files/notes.txt", "files/notes.txt")
        .put_fixture("files/manual.pdf", "files/manual.pdf")
        .put("empty.png", b"")
        .put("truncated.jpg", &jpeg[..300])
        .put("png-header-only.png", &png[..40])
        .put("a.png", &png)
        .put("photo.jpg", &jpeg);
    root
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_are_not_images_are_415_when_transformed() {
    let root = root();
    let server = TestServer::start(config(vec![root.source("demo")])).await;
    for target in [
        "/files/notes.txt?w=10",
        "/files/manual.pdf?w=10",
        "/empty.png?w=10",
        "/files/notes.txt?auto=format",
    ] {
        // Raw: a complete HTTP answer must come back, not a closed socket.
        let reply = server.raw("GET", target, &[]).await;
        reply.assert_error(415, "not_an_image");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_images_are_422_and_the_server_keeps_serving() {
    let root = root();
    let server = TestServer::start(config(vec![root.source("demo")])).await;
    for target in [
        "/truncated.jpg?w=10",
        "/truncated.jpg?w=10&fm=png",
        "/png-header-only.png?w=10",
    ] {
        let reply = server.raw("GET", target, &[]).await;
        reply.assert_error(422, "undecodable");
    }
    // Stored as is, the corrupt file is still just bytes to pass through.
    let reply = server.get("/truncated.jpg").await;
    reply.assert_status(200);
    assert_eq!(reply.body.len(), 300);
    server.get("/a.png?w=10").await.assert_image("png");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_over_the_limits_are_413() {
    let root = root();
    let mut config = config(vec![root.source("demo")]);
    config.limits = LimitsConfig {
        max_source_bytes: 1000,
        max_source_pixels: 50_000,
        ..LimitsConfig::default()
    };
    let server = TestServer::start(config).await;
    // 30 KB on disk, and 400×250 = 100 000 pixels.
    server
        .get("/photo.jpg?w=10")
        .await
        .assert_error(413, "too_large");
    // Passthrough streams any size.
    server.get("/photo.jpg").await.assert_status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_source_pixels_are_413() {
    let root = root();
    let mut config = config(vec![root.source("demo")]);
    config.limits.max_source_pixels = 100;
    let server = TestServer::start(config).await;
    // a.png is 40×20 = 800 pixels.
    server
        .get("/a.png?w=10")
        .await
        .assert_error(413, "too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_other_than_get_and_head_are_405() {
    let root = root();
    let server = TestServer::start(config(vec![root.source("demo")])).await;
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
