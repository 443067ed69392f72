//! Upload bodies whose framing lies: a `Content-Length` longer than what arrives before the
//! client half-closes, shorter than what it sends, given twice or malformed, beside a
//! `Transfer-Encoding`; chunked bodies that stop or carry a bad chunk size; a refused upload
//! that asks `Expect: 100-continue`; bodies under a transfer or content coding. Each is a
//! documented 4xx (or exactly what HTTP framing says the body is) and leaves nothing behind
//! in the root or in `.pixgate/tmp`.
//! `uploads` covers clients that vanish mid-body and `Content-Range`s that do not add up.

use std::time::{Duration, Instant};

use crate::support::images::{gradient_png, image_kind, noise};
use crate::support::reply::parse_replies;
use crate::support::roots::{Root, config};
use crate::support::server::TestServer;
use crate::support::wait::eventually;
use crate::support::wire;
use crate::uploads::{assert_pending, on_disk, put_part, put_url, status, tree, up_source};

async fn server() -> (Root, TestServer) {
    let root = Root::new();
    root.put("ok.png", &gradient_png(32, 20));
    let server = TestServer::start(config(vec![up_source(&root)])).await;
    (root, server)
}

/// The head of a `PUT` to `path` through a signed URL, kept alive unless `close`.
fn put_head(path: &str, headers: &[(&str, &str)], close: bool) -> Vec<u8> {
    wire::head("PUT", put_url(path).as_bytes(), headers, close)
}

/// Waits until the root holds exactly what it held `before` (temp files are removed after the
/// answer, by the request's own task).
async fn unchanged(root: &Root, before: &std::collections::BTreeMap<String, u64>) {
    eventually("files left in the root or .pixgate", async || {
        let now = tree(root);
        (&now == before, now)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_length_longer_than_the_body_then_a_half_close_is_400_body_incomplete() {
    let (root, server) = server().await;
    root.put("keep.bin", &noise(500, 1));
    let before = tree(&root);
    for path in ["/new.bin", "/keep.bin", "/deep/er/new.bin"] {
        let mut wire_bytes = put_head(path, &[("content-length", "1000")], false);
        wire_bytes.extend_from_slice(&noise(300, 2));
        let answer = wire::exchange_within(server.addr(), &wire_bytes, true, super::HANG)
            .await
            .unwrap();
        let replies = parse_replies(&answer, &["PUT"]).unwrap();
        replies[0].error_shape(400, "body_incomplete").unwrap();
        assert_eq!(replies.len(), 1);
    }
    unchanged(&root, &before).await;
    assert_eq!(on_disk(&root, "keep.bin"), Some(noise(500, 1)));
    server.get("/new.bin").await.assert_error(404, "not_found");
}

/// A chunk of a resumable upload that stops short of its `Content-Length` and `Content-Range`
/// is not counted: the status query lists what it listed before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumable_chunk_cut_short_by_a_half_close_is_400_and_not_counted() {
    let (root, server) = server().await;
    let bytes = noise(3000, 3);
    let first = put_part(&server, "/film.bin", &bytes, 0, 999).await;
    assert_pending(&first, "film.bin", 3000, &[(0, 999)]);
    let before = tree(&root);
    let headers = [
        ("content-range", "bytes 1000-1999/3000"),
        ("content-length", "1000"),
    ];
    let mut wire_bytes = put_head("/film.bin", &headers, false);
    wire_bytes.extend_from_slice(&bytes[1000..1400]);
    let answer = wire::exchange_within(server.addr(), &wire_bytes, true, super::HANG)
        .await
        .unwrap();
    let replies = parse_replies(&answer, &["PUT"]).unwrap();
    replies[0].error_shape(400, "body_incomplete").unwrap();
    unchanged(&root, &before).await;
    let now = status(&server, "/film.bin", 3000).await;
    assert_pending(&now, "film.bin", 3000, &[(0, 999)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_bodies_that_stop_early_or_carry_a_bad_chunk_size_are_400_and_leave_nothing() {
    let (root, server) = server().await;
    let before = tree(&root);
    let chunked = [("transfer-encoding", "chunked")];
    let bodies: [(&str, &[u8], bool); 4] = [
        ("stops inside a chunk", b"64\r\nhello", true),
        ("stops between chunks", b"5\r\nhello\r\n", true),
        ("chunk size is not hex", b"zz\r\nhello\r\n0\r\n\r\n", false),
        (
            "chunk size overflows",
            b"ffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
            false,
        ),
    ];
    for (what, body, half_close) in bodies {
        let mut wire_bytes = put_head("/new.bin", &chunked, !half_close);
        wire_bytes.extend_from_slice(body);
        let answer = wire::exchange_within(server.addr(), &wire_bytes, half_close, super::HANG)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let replies = parse_replies(&answer, &["PUT"]).unwrap();
        replies[0]
            .error_shape(400, "body_incomplete")
            .unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    unchanged(&root, &before).await;
}

/// HTTP framing decides where a body ends: with `Content-Length: 5` the body is five bytes and
/// what follows on a kept-alive connection is the next request (answered, or refused as
/// garbage), never part of the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_length_shorter_than_the_body_stores_that_many_bytes_and_the_rest_is_a_new_request()
 {
    let (root, server) = server().await;
    let mut wire_bytes = put_head("/five.bin", &[("content-length", "5")], false);
    wire_bytes.extend_from_slice(b"hello");
    wire_bytes.extend(wire::head("GET", b"/ok.png?w=8&fm=png", &[], true));
    let answer = wire::exchange_within(server.addr(), &wire_bytes, false, super::HANG)
        .await
        .unwrap();
    let replies = parse_replies(&answer, &["PUT", "GET"]).unwrap();
    assert_eq!(replies.len(), 2, "{replies:?}");
    replies[0].assert_status(201);
    assert_eq!(replies[0].json()["data"]["filesize"], 5);
    assert_eq!(
        image_kind(&replies[1].body),
        Some("png"),
        "{}",
        replies[1].summary()
    );
    assert_eq!(on_disk(&root, "five.bin").as_deref(), Some(&b"hello"[..]));

    let mut wire_bytes = put_head("/three.bin", &[("content-length", "3")], false);
    wire_bytes.extend_from_slice(b"abcdefgh\r\n\r\n");
    let answer = wire::exchange_within(server.addr(), &wire_bytes, true, super::HANG)
        .await
        .unwrap();
    let replies = parse_replies(&answer, &["PUT", "GET"]).unwrap();
    replies[0].assert_status(201);
    assert_eq!(replies.get(1).map(|r| r.status), Some(400), "{replies:?}");
    assert_eq!(on_disk(&root, "three.bin").as_deref(), Some(&b"abc"[..]));
    server.get("/ok.png?w=9&fm=png").await.assert_image("png");
}

/// Both framings at once is how requests are smuggled past proxies (RFC 9112 §6.3): the server
/// may refuse or read the chunked body, and must close the connection after answering, so a
/// request hidden behind the body is never answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_length_beside_transfer_encoding_never_lets_a_hidden_request_through() {
    let (root, server) = server().await;
    let headers = [("content-length", "3"), ("transfer-encoding", "chunked")];
    let mut wire_bytes = put_head("/both.bin", &headers, false);
    wire_bytes.extend_from_slice(b"5\r\nhello\r\n0\r\n\r\n");
    wire_bytes.extend(wire::head("GET", b"/ok.png?w=8&fm=png", &[], true));
    let answer = wire::exchange_within(server.addr(), &wire_bytes, false, super::HANG)
        .await
        .unwrap();
    let replies = parse_replies(&answer, &["PUT", "GET"]).unwrap();
    assert_eq!(replies.len(), 1, "the hidden GET was answered: {replies:?}");
    match replies[0].status {
        400 => assert_eq!(on_disk(&root, "both.bin"), None),
        201 => assert_eq!(on_disk(&root, "both.bin").as_deref(), Some(&b"hello"[..])),
        other => panic!("{other}: {}", replies[0].summary()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_or_malformed_content_lengths_are_400_and_store_nothing() {
    let (root, server) = server().await;
    let before = tree(&root);
    let lengths: [&[(&str, &str)]; 5] = [
        &[("content-length", "3"), ("content-length", "5")],
        &[("content-length", "-5")],
        &[("content-length", "+5")],
        &[("content-length", "five")],
        &[("content-length", "99999999999999999999999")],
    ];
    for headers in lengths {
        let mut wire_bytes = put_head("/new.bin", headers, true);
        wire_bytes.extend_from_slice(b"hello");
        let answer = wire::exchange_within(server.addr(), &wire_bytes, false, super::HANG)
            .await
            .unwrap();
        let replies = parse_replies(&answer, &["PUT"]).unwrap();
        assert_eq!(
            replies[0].status,
            400,
            "{headers:?}: {}",
            replies[0].summary()
        );
    }
    unchanged(&root, &before).await;
    server.get("/ok.png?w=8&fm=png").await.assert_image("png");
}

/// hyper undoes `chunked` and nothing else: a body under another transfer coding, or under a
/// content coding, would be kept still compressed. Refused before a byte is stored: 501 for a
/// transfer coding (RFC 9112 §6.1), 415 for a content coding; `identity` is no coding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_under_a_coding_pixgate_does_not_undo_are_refused_and_store_nothing() {
    let (root, server) = server().await;
    let before = tree(&root);
    let chunked_body: &[u8] = b"5\r\nhello\r\n0\r\n\r\n";
    type Headers<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Headers, &[u8], u16, &str); 5] = [
        (
            &[("transfer-encoding", "gzip, chunked")],
            chunked_body,
            501,
            "unsupported_transfer_coding",
        ),
        (
            &[
                ("transfer-encoding", "gzip"),
                ("transfer-encoding", "chunked"),
            ],
            chunked_body,
            501,
            "unsupported_transfer_coding",
        ),
        (
            &[
                ("transfer-encoding", "chunked"),
                ("content-encoding", "gzip"),
            ],
            chunked_body,
            415,
            "unsupported_content_coding",
        ),
        (
            &[("content-length", "5"), ("content-encoding", "br")],
            b"hello",
            415,
            "unsupported_content_coding",
        ),
        (
            &[
                ("content-length", "5"),
                ("content-encoding", "identity, x-pack"),
            ],
            b"hello",
            415,
            "unsupported_content_coding",
        ),
    ];
    for (headers, body, status, code) in cases {
        let mut wire_bytes = put_head("/new.bin", headers, true);
        wire_bytes.extend_from_slice(body);
        let answer = wire::exchange_within(server.addr(), &wire_bytes, true, super::HANG)
            .await
            .unwrap_or_else(|e| panic!("{headers:?}: {e}"));
        let replies = parse_replies(&answer, &["PUT"]).unwrap();
        replies[0]
            .error_shape(status, code)
            .unwrap_or_else(|e| panic!("{headers:?}: {e}"));
    }
    unchanged(&root, &before).await;
    server.get("/ok.png?w=8&fm=png").await.assert_image("png");

    let headers = [("content-length", "5"), ("content-encoding", "Identity")];
    let mut wire_bytes = put_head("/plain.bin", &headers, true);
    wire_bytes.extend_from_slice(b"hello");
    let answer = wire::exchange_within(server.addr(), &wire_bytes, true, super::HANG)
        .await
        .unwrap();
    let replies = parse_replies(&answer, &["PUT"]).unwrap();
    replies[0].assert_status(201);
    assert_eq!(on_disk(&root, "plain.bin").as_deref(), Some(&b"hello"[..]));
}

/// A client announcing a large body with `Expect: 100-continue` to a URL it may not write to is
/// refused before it sends a byte of it: no wait for a body that never comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upload_that_expects_100_continue_is_answered_without_its_body() {
    let (root, server) = server().await;
    let before = tree(&root);
    let headers = [("content-length", "50000000"), ("expect", "100-continue")];
    let forged = "/new.bin?method=put&signature=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let started = Instant::now();
    let answer = wire::exchange_within(
        server.addr(),
        &wire::head("PUT", forged.as_bytes(), &headers, true),
        false,
        super::HANG,
    )
    .await
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    let replies = parse_replies(&answer, &["PUT"]).unwrap();
    let refusal = replies.last().unwrap();
    refusal.error_shape(403, "signature_invalid").unwrap();
    unchanged(&root, &before).await;
}
