//! A source's fallback image: served, transformed alike, in place of a missing or
//! undecodable original, with the status the operator chose and a short `max-age`; never in
//! place of a refusal.

use image::{Rgba, RgbaImage};

use crate::support::images::png;
use crate::support::roots::{Root, config};
use crate::support::server::TestServer;

async fn server(status: u16) -> (Root, TestServer) {
    let root = Root::new();
    root.put(
        "photo.png",
        &png(&RgbaImage::from_pixel(40, 20, Rgba([0, 0, 255, 255]))),
    )
    .put(
        "errors/missing.png",
        &png(&RgbaImage::from_pixel(80, 80, Rgba([255, 0, 0, 255]))),
    )
    .put("broken.png", b"\x89PNG\r\n\x1a\n not really")
    .put("private/photo.png", b"secret");
    let mut source = root.source("demo");
    source.fallback = Some("errors/missing.png".into());
    source.fallback_status = status;
    source.private_prefixes = vec!["private/".into()];
    source.md5_tokens = vec!["fallback-token".into()];
    (root, TestServer::start(config(vec![source])).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_undecodable_original_is_answered_with_the_fallback() {
    let (_root, server) = server(404).await;
    for path in ["/nope.png?w=20&fm=png", "/broken.png?w=20&fm=png"] {
        let reply = server.get(path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.header("content-type"), Some("image/png"));
        assert_eq!(reply.header("cache-control"), Some("public, max-age=60"));
        let image = crate::support::images::decode(&reply.body);
        assert_eq!(image.dimensions(), (20, 20), "{path}: transformed alike");
        assert_eq!(image.get_pixel(10, 10).0, [255, 0, 0, 255]);
    }
    // Without a transform the fallback is passed through as it is stored.
    let plain = server.get("/nope.png").await;
    assert_eq!(plain.status, 404);
    assert_eq!(
        crate::support::images::decode(&plain.body).dimensions(),
        (80, 80)
    );
    // A present original is served as ever.
    let photo = server.get("/photo.png?w=20&fm=png").await;
    assert_eq!(photo.image("png").dimensions(), (20, 10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_never_replaced_and_the_status_is_the_operator_s() {
    let (_root, server) = server(200).await;
    server
        .get("/private/photo.png?w=20")
        .await
        .assert_error(403, "signature_required");
    server
        .get("/nope.png?w=banana")
        .await
        .assert_error(400, "bad_parameter");
    let replaced = server.get("/nope.png?w=20&fm=png").await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.header("cache-control"), Some("public, max-age=60"));
}
