//! S3-compatible sources, written: an upload is staged locally and committed as one object
//! only when complete, leaving nothing in staging and nothing in the bucket but the object and
//! its reserved File record; a refused or interrupted one changes nothing; keys with awkward
//! characters reach the right object with a valid signature.

use pixgate::config::{Root, SourceConfig};

use crate::support::images::{dimensions, noise};
use crate::support::remote::{S3Server, staged_files};
use crate::support::roots::{NOW, config, fixture};
use crate::support::server::TestServer;
use crate::uploads::{KEY, assert_pending, is_file_id, put, put_part, status};

/// `source` with the uploads' HMAC key, so `crate::uploads::put` can sign for it.
fn with_upload_key(mut source: SourceConfig) -> SourceConfig {
    source.hmac_keys = vec![KEY.into()];
    source
}

/// The staging folder of an S3 source.
fn staging_dir(source: &SourceConfig) -> std::path::PathBuf {
    match &source.root {
        Root::S3(root) => root.staging_dir.clone(),
        other => panic!("not an S3 source: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_put_writes_the_object_into_the_bucket_then_get_serves_it() {
    let s3 = S3Server::start().await;
    let source = with_upload_key(s3.source("s3", "originals/"));
    let staging = staging_dir(&source);
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let bytes = fixture("forest-800x500.jpg");

    let reply = put(&server, "/photos/2025/up.jpg", &bytes).await;
    reply.assert_status(201);
    let file = reply.json()["data"].clone();
    assert!(is_file_id(file["id"].as_str().unwrap_or("")), "{file}");
    assert_eq!(file["object"], "file", "{file}");
    assert_eq!(file["kind"], "image", "{file}");
    assert_eq!(file["type"], "image/jpeg", "{file}");
    assert_eq!(file["width"], 800, "{file}");
    assert_eq!(file["height"], 500, "{file}");
    assert_eq!(file["filesize"], bytes.len(), "{file}");
    assert_eq!(file["filename"], "up.jpg", "{file}");
    assert_eq!(file["folder"], "photos/2025", "{file}");
    assert_eq!(
        file["url"],
        format!("{}/photos/2025/up.jpg", server.base()),
        "{file}"
    );

    assert_eq!(
        s3.object("originals/photos/2025/up.jpg").as_deref(),
        Some(bytes.as_slice()),
        "the object in the bucket is the upload, byte for byte"
    );
    assert_eq!(staged_files(&staging), Vec::<String>::new(), "staging");

    let whole = server.get("/photos/2025/up.jpg").await;
    whole.assert_image("jpeg");
    assert_eq!(whole.body, bytes);
    let small = server.get("/photos/2025/up.jpg?w=200").await;
    small.assert_image("jpeg");
    assert_eq!(dimensions(&small.body), (200, 125));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumable_upload_is_committed_as_one_object_only_when_complete() {
    let s3 = S3Server::start().await;
    let source = with_upload_key(s3.source("s3", "originals/"));
    let staging = staging_dir(&source);
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let bytes = noise(3000, 7);
    let (path, key) = ("/films/clip.bin", "films/clip.bin");

    let reply = put_part(&server, path, &bytes, 2000, 2999).await;
    assert_pending(&reply, key, 3000, &[(2000, 2999)]);
    let reply = put_part(&server, path, &bytes, 0, 999).await;
    assert_pending(&reply, key, 3000, &[(0, 999), (2000, 2999)]);
    assert_pending(
        &status(&server, path, 3000).await,
        key,
        3000,
        &[(0, 999), (2000, 2999)],
    );
    assert_eq!(s3.object("originals/films/clip.bin"), None, "visible early");
    server.get(path).await.assert_error(404, "not_found");

    let reply = put_part(&server, path, &bytes, 1000, 1999).await;
    reply.assert_status(201);
    let file = reply.json()["data"].clone();
    assert_eq!(file["filesize"], 3000, "{file}");
    assert_eq!(file["kind"], "other", "{file}");
    assert_eq!(
        s3.object("originals/films/clip.bin").as_deref(),
        Some(bytes.as_slice())
    );
    assert_eq!(staged_files(&staging), Vec::<String>::new(), "staging");
    assert_eq!(server.get(path).await.body, bytes);
}

/// A refused upload (a chunk whose length does not match its range) leaves neither an object
/// nor staged data behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_chunk_changes_nothing_in_the_bucket_or_in_staging() {
    let s3 = S3Server::start().await;
    let source = with_upload_key(s3.source("s3", ""));
    let staging = staging_dir(&source);
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let bytes = noise(3000, 9);

    let reply =
        crate::uploads::put_range(&server, "/a.bin", "bytes 0-999/3000", &bytes[..500]).await;
    reply.assert_error(400, "length_mismatch");
    assert_eq!(s3.keys(), Vec::<String>::new(), "bucket");
    assert_eq!(staged_files(&staging), Vec::<String>::new(), "staging");
}

/// What the bucket holds after an upload: the object, and pixgate's File record under the
/// reserved `.pixgate/` prefix (so another instance can read it), nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_leaves_only_the_object_and_a_reserved_file_record_in_the_bucket() {
    let s3 = S3Server::start().await;
    let source = with_upload_key(s3.source("s3", "originals/"));
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let bytes = fixture("pixel-1x1.png");

    put(&server, "/p.png", &bytes).await.assert_status(201);
    let keys = s3.keys();
    let (records, others): (Vec<&String>, Vec<&String>) = keys
        .iter()
        .partition(|key| key.split('/').any(|segment| segment == ".pixgate"));
    assert_eq!(others, [&"originals/p.png".to_string()], "{keys:?}");
    assert!(
        !records.is_empty(),
        "no File record in the bucket: {keys:?}"
    );
    // The reserved keys cannot be read through pixgate.
    for record in &records {
        let inner = record.strip_prefix("originals/").unwrap_or(record);
        let reply = server.get(&format!("/{inner}")).await;
        assert_eq!(reply.status, 400, "{record}: {}", reply.text());
    }
}

/// SigV4 signs the canonical, encoded key: spaces, `+`, `~`, `&`, `%`, `=`, parentheses and
/// non-ASCII letters in a key must be encoded the way the service checks them, or it refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_characters_in_keys_reach_the_right_object_with_a_valid_signature() {
    let s3 = S3Server::start().await;
    let source = with_upload_key(s3.source("s3", "originals/"));
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let cases = [
        ("a b.bin", "/a%20b.bin"),
        ("a+b~c.bin", "/a+b~c.bin"),
        ("x&y=z(1)!'*.bin", "/x&y=z(1)!'*.bin"),
        ("100% off.bin", "/100%25%20off.bin"),
        ("ü/ñ é.bin", "/%C3%BC/%C3%B1%20%C3%A9.bin"),
        ("a?b#c;d,e:f@g$h.bin", "/a%3Fb%23c;d,e:f@g$h.bin"),
    ];
    for (seed, (key, target)) in (1..).zip(cases) {
        let bytes = noise(700, seed);
        s3.put(&format!("originals/{key}"), &bytes);
        let reply = server.get(target).await;
        reply.assert_status(200);
        assert_eq!(reply.body, bytes, "{key}");
    }
    // Uploads sign the same keys for PutObject.
    for (seed, (key, target)) in (100..).zip(cases) {
        let bytes = noise(900, seed);
        put(&server, target, &bytes).await.assert_status(201);
        assert_eq!(
            s3.object(&format!("originals/{key}")).as_deref(),
            Some(bytes.as_slice()),
            "{key}"
        );
    }
}

/// An upload over `uploads.max_bytes`, and one whose client goes away mid-body, leave the
/// object already at that key as it was and nothing in staging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_or_interrupted_upload_leaves_the_existing_object_alone() {
    let s3 = S3Server::start().await;
    let kept = fixture("forest-800x500.jpg");
    s3.put("originals/keep.jpg", &kept);
    let source = with_upload_key(s3.source("s3", "originals/"));
    let staging = staging_dir(&source);
    let mut config = config(vec![source]);
    config.uploads.max_bytes = 4096;
    let server = TestServer::start_at(config, NOW).await;

    put(&server, "/keep.jpg", &noise(5000, 1))
        .await
        .assert_error(413, "too_large");
    let target = crate::uploads::put_url("/keep.jpg");
    server
        .disconnect_mid_body(&target, &[], 4000, &noise(1500, 2))
        .await;
    // The handler is done with it: nothing it staged is left.
    assert_eq!(
        staged_files(&staging),
        Vec::<String>::new(),
        "staged data of the interrupted upload"
    );
    assert_eq!(s3.object("originals/keep.jpg").as_deref(), Some(&kept[..]));
    assert_eq!(server.get("/keep.jpg").await.body, kept);
    assert_eq!(
        s3.keys()
            .into_iter()
            .filter(|k| !k.split('/').any(|s| s == ".pixgate"))
            .collect::<Vec<_>>(),
        ["originals/keep.jpg"]
    );
}

/// A bucket's resumable upload keeps its chunks in the bucket: chunks alternating between two
/// instances (each with a staging folder of its own, as on two machines) complete the upload,
/// byte for byte, into one object with one File record, also when the last two chunks reach
/// both instances at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumable_upload_may_alternate_between_instances_and_commits_once() {
    let s3 = S3Server::start().await;
    let start = || async {
        let source = with_upload_key(s3.source("s3", "originals/"));
        TestServer::start_at(config(vec![source]), NOW).await
    };
    let (a, b) = (start().await, start().await);
    let bytes = noise(3000, 9);
    let (path, key) = ("/films/alternate.bin", "films/alternate.bin");
    assert_pending(
        &put_part(&a, path, &bytes, 0, 999).await,
        key,
        3000,
        &[(0, 999)],
    );
    assert_pending(
        &put_part(&b, path, &bytes, 1000, 1999).await,
        key,
        3000,
        &[(0, 1999)],
    );
    assert_pending(&status(&a, path, 3000).await, key, 3000, &[(0, 1999)]);
    // A chunk contradicting what the other instance stored is refused.
    let mut other = bytes.clone();
    other[1500] ^= 0xff;
    put_part(&a, path, &other, 1400, 1599)
        .await
        .assert_error(409, "range_conflict");
    let done = put_part(&a, path, &bytes, 2000, 2999).await;
    done.assert_status(201);
    assert_eq!(
        s3.object("originals/films/alternate.bin").as_deref(),
        Some(bytes.as_slice())
    );
    assert_eq!(b.get(path).await.body, bytes);
    let id = done.json()["data"]["id"].clone();
    let from_b = status(&b, path, 3000).await;
    from_b.assert_status(201);
    assert_eq!(from_b.json()["data"]["id"], id);

    // The last two chunks at once, one to each instance: one commit between them.
    let (path, key) = ("/films/race.bin", "films/race.bin");
    assert_pending(
        &put_part(&a, path, &bytes, 0, 1499).await,
        key,
        3000,
        &[(0, 1499)],
    );
    let (left, right) = tokio::join!(
        put_part(&a, path, &bytes, 1500, 2249),
        put_part(&b, path, &bytes, 2250, 2999)
    );
    let statuses = [left.status, right.status];
    assert!(statuses.contains(&201), "{statuses:?}");
    assert_eq!(
        s3.object("originals/films/race.bin").as_deref(),
        Some(bytes.as_slice())
    );
    let records: Vec<String> = s3
        .keys()
        .into_iter()
        .filter(|k| k.contains(".pixgate/files/"))
        .collect();
    assert_eq!(records.len(), 2, "one File record per path: {records:?}");
    let chunks_left: Vec<String> = s3
        .keys()
        .into_iter()
        .filter(|k| {
            k.contains(".pixgate/uploads/") && !k.ends_with(".done") && !k.ends_with(".commit")
        })
        .collect();
    assert_eq!(
        chunks_left,
        Vec::<String>::new(),
        "chunks are cleared after the commit"
    );
    // A new upload to the same path starts afresh.
    let again = noise(3000, 11);
    assert_pending(
        &put_part(&b, path, &again, 0, 2499).await,
        key,
        3000,
        &[(0, 2499)],
    );
    put_part(&a, path, &again, 2500, 2999)
        .await
        .assert_status(201);
    assert_eq!(
        s3.object("originals/films/race.bin").as_deref(),
        Some(again.as_slice())
    );
}
