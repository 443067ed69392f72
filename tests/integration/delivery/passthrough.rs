//! Passthrough (contract §3, §4): with no transform the stored bytes go out exactly, any file
//! type, typed from the bytes rather than the name, with ranges and HEAD.

use crate::support::images::gradient_png;
use crate::support::roots::{Root, fixture};
use crate::support::server::TestServer;

fn root() -> Root {
    let root = Root::new();
    root.put_fixture("photo.jpeg", "private/cups-400x250.jpg")
        .put_fixture("docs/manual.pdf", "files/manual.pdf")
        .put("photo.jpg", &gradient_png(20, 10))
        .put("x.png", b"plain text pretending to be a PNG\n");
    root
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passthrough_serves_the_exact_bytes_typed_from_the_content() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let cases = [
        ("/photo.jpeg", Some("image/jpeg")),
        ("/docs/manual.pdf", Some("application/pdf")),
        // PNG bytes behind a .jpg name are a PNG.
        ("/photo.jpg", Some("image/png")),
        // Text behind a .png name is not served as an image.
        ("/x.png", None),
    ];
    for (path, content_type) in cases {
        let stored = std::fs::read(root.path().join(&path[1..])).unwrap();
        for target in [path.to_string(), format!("{path}?ixlib=js-3.8.0")] {
            let reply = server.get(&target).await;
            reply.assert_status(200);
            assert_eq!(reply.body, stored, "{target}: bytes differ");
            assert_eq!(
                reply.header("content-length"),
                Some(stored.len().to_string().as_str()),
                "{target}"
            );
            assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
            let got = reply.header("content-type").unwrap_or("");
            match content_type {
                Some(want) => assert_eq!(got, want, "{target}"),
                None => assert!(!got.starts_with("image/"), "{target}: {got}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn byte_ranges_serve_parts_for_resumable_downloads() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let stored = fixture("private/cups-400x250.jpg");
    let len = stored.len();

    let reply = server
        .get_with("/photo.jpeg", &[("range", "bytes=0-9")])
        .await;
    reply.assert_status(206);
    assert_eq!(
        reply.header("content-range"),
        Some(format!("bytes 0-9/{len}").as_str())
    );
    assert_eq!(reply.header("content-length"), Some("10"));
    assert_eq!(reply.body, &stored[..10]);

    let reply = server
        .get_with("/photo.jpeg", &[("range", "bytes=-5")])
        .await;
    reply.assert_status(206);
    assert_eq!(
        reply.header("content-range"),
        Some(format!("bytes {}-{}/{len}", len - 5, len - 1).as_str())
    );
    assert_eq!(reply.body, &stored[len - 5..]);

    let reply = server
        .get_with("/photo.jpeg", &[("range", "bytes=100-")])
        .await;
    reply.assert_status(206);
    assert_eq!(reply.body, &stored[100..]);

    let reply = server
        .get_with("/photo.jpeg", &[("range", &format!("bytes={len}-"))])
        .await;
    reply.assert_status(416);
    assert_eq!(
        reply.header("content-range"),
        Some(format!("bytes */{len}").as_str())
    );
    assert!(reply.body.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_answers_like_get_without_a_body() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for path in ["/photo.jpeg", "/docs/manual.pdf", "/photo.jpeg?w=40"] {
        let get = server.get(path).await;
        get.assert_status(200);
        // Raw, so what is on the wire is what is checked: no body bytes at all.
        let head = server.raw("HEAD", path, &[]).await;
        head.assert_status(200);
        assert!(
            head.body.is_empty(),
            "{path}: HEAD sent {} bytes",
            head.body.len()
        );
        for name in [
            "content-type",
            "content-length",
            "etag",
            "last-modified",
            "cache-control",
            "x-content-type-options",
        ] {
            assert!(get.header(name).is_some(), "{path}: GET lacks {name}");
            assert_eq!(head.header(name), get.header(name), "{path}: {name}");
        }
        assert_eq!(
            head.header("content-length"),
            Some(get.body.len().to_string().as_str())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_files_are_404_not_found() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for target in [
        "/nope.jpg",
        "/no/such/folder/nope.jpg",
        "/docs",
        "/photo.jpeg/inside",
        "/nope.jpg?w=10",
    ] {
        server.get(target).await.assert_error(404, "not_found");
    }
}
