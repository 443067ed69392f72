//! Resumable uploads that go wrong: every refused chunk changes nothing (the status query and
//! the disk read the same before and after) and the upload can still complete; a client that
//! vanishes mid-chunk leaves nothing; abandoned uploads are swept after `uploads.session_ttl`.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{
    assert_file, assert_pending, pending_uploads, put_part, put_range, put_url, state_files,
    status, status_view, tree, up_source,
};
use crate::support::images::noise;
use crate::support::roots::{NOW, Root, config};
use crate::support::server::TestServer;
use crate::support::wire::{RawBody, raw_send};

/// The uploads here are 3000 bytes: three chunks of 1000.
const TOTAL: usize = 3000;

/// A server holding the first chunk of `/a.bin` (3000 bytes of `noise(3000, 1)`).
async fn one_chunk_in(
    config_for: impl FnOnce(&Root) -> pixgate::config::Config,
) -> (Root, TestServer, Vec<u8>) {
    let root = Root::new();
    let server = TestServer::start_at(config_for(&root), NOW).await;
    let bytes = noise(TOTAL, 1);
    let reply = put_part(&server, "/a.bin", &bytes, 0, 999).await;
    assert_pending(&reply, "a.bin", TOTAL, &[(0, 999)]);
    (root, server, bytes)
}

fn plain(root: &Root) -> pixgate::config::Config {
    config(vec![up_source(root)])
}

type State = (
    (u16, serde_json::Value, Option<String>),
    BTreeMap<String, u64>,
);

/// What a refused chunk must leave unchanged: the status query's answer and the disk.
async fn state(root: &Root, server: &TestServer) -> State {
    let view = status_view(&status(server, "/a.bin", TOTAL).await);
    (view, tree(root))
}

/// Sends the missing chunks of `/a.bin` and checks the finished file.
async fn complete(root: &Root, server: &TestServer, bytes: &[u8]) {
    put_part(server, "/a.bin", bytes, 1000, 1999)
        .await
        .assert_status(202);
    let reply = put_part(server, "/a.bin", bytes, 2000, 2999).await;
    assert_file(&reply, root, "a.bin", bytes);
    assert_eq!(state_files(root), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_match_its_range_is_length_mismatch() {
    let (root, server, bytes) = one_chunk_in(plain).await;
    let before = state(&root, &server).await;
    let range = format!("bytes 1000-1999/{TOTAL}");
    let headers = [("content-range", range.as_str())];
    let short = &bytes[1000..1999];
    let long = &bytes[1000..2001];

    for body in [short, long, &[]] {
        let reply = put_range(&server, "/a.bin", &range, body).await;
        reply.assert_error(400, "length_mismatch");
        let after = state(&root, &server).await;
        assert_eq!(after, before, "{} bytes with Content-Length", body.len());
    }
    // Without Content-Length the body is counted as it arrives.
    for body in [short, long] {
        let sent = RawBody::Chunked {
            bytes: body,
            piece: 256,
        };
        let reply = raw_send(server.addr(), "PUT", &put_url("/a.bin"), &headers, sent).await;
        reply.assert_error(400, "length_mismatch");
        let after = state(&root, &server).await;
        assert_eq!(after, before, "{} bytes chunked", body.len());
    }
    complete(&root, &server, &bytes).await;
}

/// The first chunk fixes TOTAL; later chunks must agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_with_another_total_is_total_mismatch() {
    let (root, server, bytes) = one_chunk_in(plain).await;
    let before = state(&root, &server).await;
    for range in [
        "bytes 1000-1999/4000",
        "bytes 1000-1999/2000",
        "bytes 0-999/1000",
    ] {
        let reply = put_range(&server, "/a.bin", range, &bytes[1000..2000]).await;
        reply.assert_error(400, "total_mismatch");
        let after = state(&root, &server).await;
        assert_eq!(after, before, "{range}");
    }
    complete(&root, &server, &bytes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_content_ranges_are_bad_content_range() {
    let (root, server, bytes) = one_chunk_in(plain).await;
    let before = state(&root, &server).await;
    // (Content-Range, body length): the body fits the range wherever the range can be read.
    let cases: &[(&str, usize)] = &[
        ("bytes 1000-1999", 1000),
        ("bytes 1000-1999/", 1000),
        ("bytes 1000-/3000", 1000),
        ("bytes -1999/3000", 1000),
        ("bytes a-b/3000", 10),
        ("bytes 1000-1999/abc", 1000),
        ("bytes 1999-1000/3000", 10),
        ("bytes 2000-3000/3000", 1001),
        ("bytes 0-0/0", 1),
        ("bytes */*", 0),
        ("bytes */0", 0),
        ("bytes */3000", 10),
        ("items 1000-1999/3000", 1000),
        ("1000-1999/3000", 1000),
        ("bytes 1000-1999/3000, bytes 2000-2999/3000", 1000),
        ("bytes 0-99999999999999999999999/3000", 10),
        ("bytes 1000-1999/99999999999999999999999", 1000),
    ];
    for &(range, len) in cases {
        let reply = put_range(&server, "/a.bin", range, &bytes[1000..1000 + len]).await;
        reply.assert_error(400, "bad_content_range");
        let after = state(&root, &server).await;
        assert_eq!(after, before, "{range}");
    }
    complete(&root, &server, &bytes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_total_above_max_bytes_is_413_and_stores_nothing() {
    let root = Root::new();
    let mut config = config(vec![up_source(&root)]);
    config.uploads.max_bytes = 10_000;
    let server = TestServer::start_at(config, NOW).await;
    let chunk = noise(1000, 1);
    for path in ["/big.bin", "/bigger.bin"] {
        let reply = put_range(&server, path, "bytes 0-999/10001", &chunk).await;
        reply.assert_error(413, "too_large");
    }
    assert!(tree(&root).is_empty(), "{:?}", tree(&root));
    // Exactly the limit is fine.
    let reply = put_range(&server, "/big.bin", "bytes 0-999/10000", &chunk).await;
    assert_pending(&reply, "big.bin", 10_000, &[(0, 999)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_mid_chunk_leaves_nothing_and_can_resume() {
    let (root, server, bytes) = one_chunk_in(plain).await;
    let before = tree(&root);
    let range = format!("bytes 1000-1999/{TOTAL}");
    let headers = [("content-range", range.as_str())];

    let sent = &bytes[1000..1400];
    server
        .disconnect_mid_body(&put_url("/a.bin"), &headers, 1000, sent)
        .await;
    // The handler is done with the chunk: whatever it staged is gone, not merely not yet there.
    assert_eq!(tree(&root), before, "files left by the interrupted chunk");
    let reply = status(&server, "/a.bin", TOTAL).await;
    assert_pending(&reply, "a.bin", TOTAL, &[(0, 999)]);
    server.get("/a.bin").await.assert_error(404, "not_found");
    complete(&root, &server, &bytes).await;
}

/// Sessions untouched for `session_ttl` go at the next upload request, by the server's clock;
/// younger ones stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_uploads_are_swept_after_session_ttl() {
    let with_ttl = |root: &Root| {
        let mut config = config(vec![up_source(root)]);
        config.uploads.session_ttl = Duration::from_secs(60);
        config
    };
    let (root, server, bytes) = one_chunk_in(with_ttl).await;
    let old = pending_uploads(&root);
    assert_eq!(old.len(), 1, "one pending upload: {old:?}");

    server.set_now(NOW + 30);
    let reply = put_part(&server, "/young.bin", &bytes, 0, 999).await;
    assert_pending(&reply, "young.bin", TOTAL, &[(0, 999)]);
    let young: Vec<String> = pending_uploads(&root)
        .into_iter()
        .filter(|name| !old.contains(name))
        .collect();
    assert_eq!(young.len(), 1, "{:?}", pending_uploads(&root));

    server.set_now(NOW + 61);
    let reply = status(&server, "/unrelated.bin", 100).await;
    assert_pending(&reply, "unrelated.bin", 100, &[]);
    assert_eq!(
        pending_uploads(&root),
        young,
        "the abandoned upload's folder"
    );

    let reply = status(&server, "/a.bin", TOTAL).await;
    assert_pending(&reply, "a.bin", TOTAL, &[]);
    let reply = status(&server, "/young.bin", TOTAL).await;
    assert_pending(&reply, "young.bin", TOTAL, &[(0, 999)]);
}
