//! Restarts (contract §5, §6): pending chunks and File objects live on disk, so an upload begun
//! before a restart — a clean one in-process, or `kill -9` of the real binary — finishes after
//! it, and `GET /_pixgate/files/{id}` still answers.

use std::net::SocketAddr;
use std::time::Duration;

use super::{
    KEY, assert_file, assert_pending, file_record, part, pending_uploads, put_part, put_url,
    up_source, without_url,
};
use crate::support::binary::{Daemon, TomlParts};
use crate::support::images::noise;
use crate::support::reply::Reply;
use crate::support::roots::{NOW, Root, config};
use crate::support::server::{TestServer, runtime};
use crate::support::wait::eventually;
use crate::support::wire::{RawBody, raw_request, raw_send};

/// The uploads here are 3000 bytes: three chunks of 1000.
const TOTAL: usize = 3000;

/// Server A runs on its own runtime, which is shut down (every task and handle of A dropped)
/// before server B starts over the same root.
#[test]
fn a_pending_upload_survives_a_restart_of_the_server() {
    let root = Root::new();
    let config = config(vec![up_source(&root)]);
    let bytes = noise(TOTAL, 1);

    runtime().block_on(async {
        let a = TestServer::start(config.clone()).await;
        put_part(&a, "/r/film.bin", &bytes, 0, 999)
            .await
            .assert_status(202);
        let reply = put_part(&a, "/r/film.bin", &bytes, 2000, 2999).await;
        assert_pending(&reply, "r/film.bin", TOTAL, &[(0, 999), (2000, 2999)]);
    });

    runtime().block_on(async {
        let b = TestServer::start(config).await;
        let reply = super::status(&b, "/r/film.bin", TOTAL).await;
        assert_pending(&reply, "r/film.bin", TOTAL, &[(0, 999), (2000, 2999)]);
        b.get("/r/film.bin").await.assert_error(404, "not_found");
        let reply = put_part(&b, "/r/film.bin", &bytes, 1000, 1999).await;
        assert_file(&reply, &root, "r/film.bin", &bytes);
        assert_eq!(b.get("/r/film.bin").await.body, bytes);
    });
}

/// Start-up sweeps too: a server started after `session_ttl` has passed removes the abandoned
/// upload without waiting for a request.
#[test]
fn an_abandoned_upload_is_swept_when_the_server_starts() {
    let root = Root::new();
    let mut config = config(vec![up_source(&root)]);
    config.uploads.session_ttl = Duration::from_secs(60);
    let bytes = noise(TOTAL, 1);

    runtime().block_on(async {
        let a = TestServer::start_at(config.clone(), NOW).await;
        put_part(&a, "/old.bin", &bytes, 0, 999)
            .await
            .assert_status(202);
    });
    assert_eq!(pending_uploads(&root).len(), 1);

    runtime().block_on(async {
        let _b = TestServer::start_at(config, NOW + 61).await;
        eventually("pending uploads after start-up", async || {
            let left = pending_uploads(&root);
            (left.is_empty(), left)
        })
        .await;
    });
}

/// Sends `bytes[start..=end]` of the upload of `bytes` to `path` on the binary at `addr`.
async fn send_part(addr: SocketAddr, path: &str, bytes: &[u8], start: usize, end: usize) -> Reply {
    let (range, body) = part(bytes, start, end);
    let headers = [("content-range", range.as_str())];
    raw_send(addr, "PUT", &put_url(path), &headers, RawBody::Sized(body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_upload_and_file_records_survive_kill_9_of_the_binary() {
    let root = Root::new();
    let config_dir = tempfile::tempdir().unwrap();
    let source = format!("hmac_keys = [{KEY:?}]");
    let toml = TomlParts {
        source: &source,
        ..TomlParts::default()
    };
    let serve = || Daemon::serve_root(config_dir.path(), root.path(), "up", toml);
    let bytes = noise(TOTAL, 1);

    let (first, addr) = serve();
    send_part(addr, "/r/film.bin", &bytes, 0, 999)
        .await
        .assert_status(202);
    let reply = send_part(addr, "/r/film.bin", &bytes, 2000, 2999).await;
    assert_pending(&reply, "r/film.bin", TOTAL, &[(0, 999), (2000, 2999)]);
    drop(first);

    let (second, addr) = serve();
    let status = [("content-range", "bytes */3000")];
    let reply = raw_send(
        addr,
        "PUT",
        &put_url("/r/film.bin"),
        &status,
        RawBody::Sized(&[]),
    )
    .await;
    assert_pending(&reply, "r/film.bin", TOTAL, &[(0, 999), (2000, 2999)]);
    let reply = send_part(addr, "/r/film.bin", &bytes, 1000, 1999).await;
    let file = assert_file(&reply, &root, "r/film.bin", &bytes);
    let got = raw_request(addr, "GET", "/r/film.bin", &[]).await;
    got.assert_status(200);
    assert_eq!(got.body, bytes);
    let id = file["id"].as_str().unwrap();
    let record = file_record(addr, id).await;
    record.assert_status(200);
    assert_eq!(record.json()["data"], file);
    drop(second);

    let (_third, addr) = serve();
    let record = file_record(addr, id).await;
    record.assert_status(200);
    let data = &record.json()["data"];
    assert_eq!(without_url(data), without_url(&file));
    assert_eq!(data["url"], format!("http://{addr}/r/film.bin"));
}

/// The state a crash between storing the last chunk and renaming the file into place leaves:
/// every part on disk, no file at the path. Planted by hand (a kill cannot be timed that
/// finely); the next status query commits it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_short_during_its_commit_is_committed_by_the_next_status_query() {
    let root = Root::new();
    let server = TestServer::start(config(vec![up_source(&root)])).await;
    let bytes = noise(TOTAL, 7);
    put_part(&server, "/c/cut.bin", &bytes, 0, 1999)
        .await
        .assert_status(202);
    let [session] = pending_uploads(&root).try_into().unwrap();
    let folder = root.path().join(".pixgate/uploads").join(session);
    std::fs::write(folder.join("part-2000-2999"), &bytes[2000..]).unwrap();
    server
        .get("/c/cut.bin")
        .await
        .assert_error(404, "not_found");

    let reply = super::status(&server, "/c/cut.bin", TOTAL).await;
    assert_file(&reply, &root, "c/cut.bin", &bytes);
    assert_eq!(pending_uploads(&root), Vec::<String>::new());
}
