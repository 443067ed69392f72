//! Client hints (`ch=Width,DPR,Save-Data`): the headers replace `w`, `dpr` and the quality for
//! URLs that opt in, rounded up to buckets so that unsigned headers cannot fan one URL out
//! into thousands of cache entries; the answer says what it varies on.

use crate::support::server::TestServer;

use super::pictures::root;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_width_hint_replaces_w_rounded_up_to_50_px() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let url = "/wide800.png?w=400&ch=Width";
    let reply = server.get_with(url, &[("sec-ch-width", "333")]).await;
    assert_eq!(reply.image("png").width(), 350);
    assert_eq!(reply.header("x-cache"), Some("MISS"));
    assert_eq!(reply.header("vary"), Some("Sec-CH-Width, Width"));
    assert_eq!(reply.header("accept-ch"), Some("Sec-CH-Width"));
    // Every width in the bucket, under either header name, is the same entry.
    for (name, width) in [("width", "333"), ("sec-ch-width", "301"), ("width", "350")] {
        let again = server.get_with(url, &[(name, width)]).await;
        assert_eq!(again.header("x-cache"), Some("HIT"), "{name}: {width}");
        assert_eq!(again.image("png").width(), 350);
    }
    // Without the header (or with one that cannot be read), the URL's `w`.
    for headers in [&[][..], &[("width", "wide")][..], &[("width", "-5")][..]] {
        let plain = server.get_with(url, headers).await;
        assert_eq!(plain.image("png").width(), 400, "{headers:?}");
        assert_eq!(plain.header("vary"), Some("Sec-CH-Width, Width"));
    }
    // A hinted width is in physical pixels: it replaces `dpr` too, and a DPR hint with it.
    let physical = server
        .get_with(
            "/wide800.png?w=100&dpr=2&ch=Width,DPR",
            &[("width", "200"), ("dpr", "3")],
        )
        .await;
    assert_eq!(physical.image("png").width(), 200);
    assert_eq!(
        physical.header("vary"),
        Some("Sec-CH-Width, Width, Sec-CH-DPR, DPR")
    );
    // A box keeps its shape.
    let boxed = server
        .get_with(
            "/wide800.png?w=400&h=200&fit=crop&ch=Width",
            &[("sec-ch-width", "600")],
        )
        .await;
    assert_eq!(boxed.image("png").dimensions(), (600, 300));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hints_are_bounded_and_only_read_when_asked_for() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // An absurd width is capped at the output limit, never an error; `fit=max` then keeps
    // the source's 800 px.
    let huge = server
        .get_with(
            "/wide800.png?w=100&fit=max&ch=Width",
            &[("width", "99999999")],
        )
        .await;
    assert_eq!(huge.image("png").width(), 800);
    // Without `ch`, the headers change nothing and nothing varies on them.
    let ignored = server
        .get_with(
            "/wide800.png?w=100",
            &[("width", "600"), ("save-data", "on")],
        )
        .await;
    assert_eq!(ignored.image("png").width(), 100);
    assert_eq!(ignored.header("vary"), None);
    assert_eq!(ignored.header("accept-ch"), None);
    // 60 different widths from 1001 to 1060 px: two buckets, two renders.
    let mut misses = 0;
    for width in 1001..=1060 {
        let reply = server
            .get_with(
                "/wide800.png?w=10&ch=Width",
                &[("width", &width.to_string())],
            )
            .await;
        misses += usize::from(reply.header("x-cache") == Some("MISS"));
        assert_eq!(
            reply.image("png").width(),
            if width <= 1050 { 1050 } else { 1100 }
        );
    }
    assert_eq!(misses, 2);
    let message = server
        .get("/wide800.png?w=10&ch=Viewport-Width")
        .await
        .assert_error(400, "bad_parameter");
    assert!(message.contains("`ch`"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dpr_hint_replaces_dpr_rounded_up_to_a_half() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let url = "/wide800.png?w=100&dpr=2&ch=DPR";
    for (dpr, width) in [("2.625", 300), ("1", 100), ("1.2", 150), ("9", 500)] {
        let reply = server.get_with(url, &[("sec-ch-dpr", dpr)]).await;
        assert_eq!(reply.image("png").width(), width, "DPR {dpr}");
        assert_eq!(reply.header("vary"), Some("Sec-CH-DPR, DPR"));
    }
    let fallback = server.get(url).await;
    assert_eq!(fallback.image("png").width(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_data_gives_the_compressed_quality() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let url = "/photo.jpg?w=200&fm=jpg&q=90&ch=Save-Data";
    let saving = server.get_with(url, &[("save-data", "on")]).await;
    saving.assert_image("jpeg");
    assert_eq!(saving.header("vary"), Some("Save-Data"));
    let compressed = server.get("/photo.jpg?w=200&fm=jpg&auto=compress").await;
    assert_eq!(saving.body, compressed.body, "q=45, as auto=compress");
    assert_eq!(saving.header("etag"), compressed.header("etag"));
    let full = server.get_with(url, &[("save-data", "off")]).await;
    assert_eq!(
        full.body,
        server.get("/photo.jpg?w=200&fm=jpg&q=90").await.body
    );
    assert!(full.body.len() > saving.body.len());
}
