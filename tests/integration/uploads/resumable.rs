//! Resumable uploads that go right: chunks with `Content-Range` in any order, in parallel and
//! retried, 202 with the ranges received until the last byte, then 201 and the file — never
//! visible before.

use futures_util::future::join_all;

use super::{
    NOW_RFC3339, assert_file, assert_pending, pending_uploads, put_part, put_range, state_files,
    status, status_view, tree, up_source,
};
use crate::support::images::noise;
use crate::support::roots::{NOW, Root, config};
use crate::support::server::TestServer;

/// The uploads here are 3000 bytes: three chunks of 1000.
const TOTAL: usize = 3000;

async fn server() -> (Root, TestServer) {
    let root = Root::new();
    let server = TestServer::start_at(config(vec![up_source(&root)]), NOW).await;
    (root, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_out_of_order_complete_into_the_exact_file_invisible_until_then() {
    let (root, server) = server().await;
    let bytes = noise(TOTAL, 1);
    let (path, key) = ("/films/clip.bin", "films/clip.bin");

    let reply = put_part(&server, path, &bytes, 2000, 2999).await;
    assert_pending(&reply, key, TOTAL, &[(2000, 2999)]);
    server.get(path).await.assert_error(404, "not_found");

    let reply = put_part(&server, path, &bytes, 0, 999).await;
    assert_pending(&reply, key, TOTAL, &[(0, 999), (2000, 2999)]);
    server.get(path).await.assert_error(404, "not_found");
    assert!(!root.path().join(key).exists(), "visible before completion");

    let reply = put_part(&server, path, &bytes, 1000, 1999).await;
    let file = assert_file(&reply, &root, key, &bytes);
    assert_eq!(file["kind"], "other");
    assert_eq!(file["created"], NOW_RFC3339);
    assert_eq!(server.get(path).await.body, bytes);
    // A completed upload leaves no pending data behind.
    assert_eq!(pending_uploads(&root), Vec::<String>::new());
    assert_eq!(state_files(&root), Vec::<String>::new());
}

/// RFC 9110's `bytes START-END/TOTAL` and ittybit's `bytes=START-END/TOTAL`, even mixed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_content_range_spellings_are_accepted() {
    let (root, server) = server().await;
    const RFC: &str = "bytes ";
    const ITTYBIT: &str = "bytes=";
    let cases = [
        ("rfc.bin", [RFC, RFC, RFC]),
        ("ittybit.bin", [ITTYBIT, ITTYBIT, ITTYBIT]),
        ("mixed.bin", [ITTYBIT, RFC, ITTYBIT]),
    ];
    for (seed, (key, units)) in (1..).zip(cases) {
        let bytes = noise(TOTAL, seed);
        let path = format!("/{key}");
        for (i, unit) in units.into_iter().enumerate() {
            let (start, end) = (i * 1000, i * 1000 + 999);
            let range = format!("{unit}{start}-{end}/{TOTAL}");
            let reply = put_range(&server, &path, &range, &bytes[start..=end]).await;
            if end + 1 < TOTAL {
                assert_pending(&reply, key, TOTAL, &[(0, end as u64)]);
            } else {
                assert_file(&reply, &root, key, &bytes);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_query_lists_the_ranges_received_and_changes_nothing() {
    let (root, server) = server().await;
    let bytes = noise(TOTAL, 1);
    let before = tree(&root);

    assert_pending(&status(&server, "/a.bin", TOTAL).await, "a.bin", TOTAL, &[]);
    assert_eq!(tree(&root), before, "a status query stored something");

    put_part(&server, "/a.bin", &bytes, 1000, 1999)
        .await
        .assert_status(202);
    put_part(&server, "/a.bin", &bytes, 2500, 2999)
        .await
        .assert_status(202);
    let first = status(&server, "/a.bin", TOTAL).await;
    assert_pending(&first, "a.bin", TOTAL, &[(1000, 1999), (2500, 2999)]);
    let after = tree(&root);
    let second = status(&server, "/a.bin", TOTAL).await;
    assert_eq!(status_view(&second), status_view(&first));
    assert_eq!(tree(&root), after);
    server.get("/a.bin").await.assert_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_sent_in_parallel_complete_the_file_once() {
    let (root, server) = server().await;
    let bytes = noise(TOTAL, 1);
    let sends = (0..6).map(|i| put_part(&server, "/p.bin", &bytes, i * 500, i * 500 + 499));
    let replies = join_all(sends).await;

    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 202).count(),
        5,
        "{statuses:?}"
    );
    let done = replies.iter().find(|reply| reply.status == 201).unwrap();
    assert_file(done, &root, "p.bin", &bytes);
    assert_eq!(server.get("/p.bin").await.body, bytes);
}

/// Sending bytes again that the server already has is harmless, also when the chunk reaches
/// past them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_chunk_with_the_same_bytes_is_accepted() {
    let (root, server) = server().await;
    let bytes = noise(TOTAL, 1);
    for _ in 0..2 {
        let reply = put_part(&server, "/r.bin", &bytes, 0, 999).await;
        assert_pending(&reply, "r.bin", TOTAL, &[(0, 999)]);
    }
    let reply = put_part(&server, "/r.bin", &bytes, 500, 1499).await;
    assert_pending(&reply, "r.bin", TOTAL, &[(0, 1499)]);
    let reply = put_part(&server, "/r.bin", &bytes, 1000, 2999).await;
    assert_file(&reply, &root, "r.bin", &bytes);
}

/// A chunk that contradicts bytes already received is refused whole: the pending data stays
/// as it was, and the upload still completes with the right bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_contradicting_received_bytes_is_409_and_changes_nothing() {
    let (root, server) = server().await;
    let bytes = noise(TOTAL, 1);
    put_part(&server, "/c.bin", &bytes, 0, 999)
        .await
        .assert_status(202);
    let status_before = status_view(&status(&server, "/c.bin", TOTAL).await);
    let tree_before = tree(&root);

    let other = noise(TOTAL, 2);
    let mut one_byte_off = bytes.clone();
    one_byte_off[950] ^= 0x01;
    let cases = [
        ("other bytes, same range", &other, 0, 999),
        ("overlapping the end", &other, 500, 1499),
        ("one byte differs", &one_byte_off, 900, 1099),
    ];
    for (what, source, start, end) in cases {
        let reply = put_part(&server, "/c.bin", source, start, end).await;
        reply.assert_error(409, "range_conflict");
        let now = status_view(&status(&server, "/c.bin", TOTAL).await);
        assert_eq!(now, status_before, "{what}");
        assert_eq!(tree(&root), tree_before, "{what}");
    }

    put_part(&server, "/c.bin", &bytes, 2000, 2999)
        .await
        .assert_status(202);
    let reply = put_part(&server, "/c.bin", &bytes, 1000, 1999).await;
    assert_file(&reply, &root, "c.bin", &bytes);
}

/// Until the last chunk, the old file is what is served; then the new one, as the same File.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumable_upload_over_an_existing_file_serves_the_old_one_until_complete() {
    let (root, server) = server().await;
    let old = noise(500, 9);
    let first = assert_file(
        &super::put(&server, "/f.bin", &old).await,
        &root,
        "f.bin",
        &old,
    );
    let bytes = noise(TOTAL, 1);
    put_part(&server, "/f.bin", &bytes, 0, 999)
        .await
        .assert_status(202);
    put_part(&server, "/f.bin", &bytes, 2000, 2999)
        .await
        .assert_status(202);
    assert_eq!(server.get("/f.bin").await.body, old);
    assert_eq!(super::on_disk(&root, "f.bin"), Some(old));

    let reply = put_part(&server, "/f.bin", &bytes, 1000, 1999).await;
    let file = assert_file(&reply, &root, "f.bin", &bytes);
    assert_eq!(file["id"], first["id"]);
    assert_eq!(server.get("/f.bin").await.body, bytes);
}
