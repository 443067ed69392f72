//! Whole-file uploads: one signed `PUT`, no `Content-Range`. The File object, replacement,
//! races, and size limits that leave the disk as it was.

use image::RgbaImage;

use super::{
    KEY, NOW_RFC3339, TOKEN, assert_file, local, on_disk, put, put_url, state_files, tree,
    up_source,
};
use crate::support::images::{
    BLUE, GREEN, RED, decode, gradient_png, halves_png, mean_colour, noise, png,
};
use crate::support::roots::{NOW, Root, config};
use crate::support::server::TestServer;
use crate::support::signing::md5_url;
use crate::support::wait::eventually;
use crate::support::wire::{RawBody, raw_send};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hmac_signed_put_stores_the_file_and_answers_201_with_its_file_object() {
    let root = Root::new();
    let server = TestServer::start_at(config(vec![up_source(&root)]), NOW).await;
    let bytes = gradient_png(64, 40);

    let reply = put(&server, "/photos/2024/cat.png", &bytes).await;
    let file = assert_file(&reply, &root, "photos/2024/cat.png", &bytes);
    assert_eq!(file["kind"], "image");
    assert_eq!(file["type"], "image/png");
    assert_eq!(file["width"], 64);
    assert_eq!(file["height"], 40);
    assert_eq!(file["created"], NOW_RFC3339);
    assert_eq!(file["updated"], NOW_RFC3339);
    let url = file["url"].as_str().unwrap();
    assert_eq!(url, format!("{}/photos/2024/cat.png", server.base()));

    let got = server.get(&local(&server, url)).await;
    got.assert_status(200);
    assert_eq!(got.body, bytes);
    // Nothing of the upload is left behind in pixgate's own folder.
    assert_eq!(state_files(&root), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_md5_signed_put_is_accepted_and_the_url_follows_x_forwarded_proto() {
    let root = Root::new();
    let server = TestServer::start_at(config(vec![up_source(&root)]), NOW).await;
    let bytes = gradient_png(30, 20);

    let target = md5_url(TOKEN, "/top.png", "method=put");
    let headers = [("x-forwarded-proto", "https")];
    let reply = server.send("PUT", &target, &headers, bytes.clone()).await;
    let file = assert_file(&reply, &root, "top.png", &bytes);
    assert_eq!(file["folder"], "");
    assert_eq!(file["width"], 30);
    let plain = format!("{}/top.png", server.base());
    assert_eq!(file["url"], plain.replacen("http://", "https://", 1));
}

/// Any file type is stored as sent, typed from its bytes; only images have dimensions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_images_are_stored_exactly_with_their_kind_and_no_dimensions() {
    let root = Root::new();
    let server = TestServer::start_at(config(vec![up_source(&root)]), NOW).await;
    let mut mp4 = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2".to_vec();
    mp4.extend(noise(2000, 1));
    let mut mp3 = b"ID3\x03\0\0\0\0\0\0".to_vec();
    mp3.extend(noise(2000, 2));
    let cases = [
        (
            "files/blob.bin",
            noise(3000, 3),
            "other",
            "application/octet-stream",
        ),
        ("films/clip.mp4", mp4, "video", "video/mp4"),
        ("music/song.mp3", mp3, "audio", "audio/mpeg"),
    ];
    for (key, bytes, kind, mime) in cases {
        let reply = put(&server, &format!("/{key}"), &bytes).await;
        let file = assert_file(&reply, &root, key, &bytes);
        assert_eq!(file["kind"], kind, "{key}");
        assert_eq!(file["type"], mime, "{key}");
        assert_eq!(file["width"], serde_json::Value::Null, "{key}");
        assert_eq!(file["height"], serde_json::Value::Null, "{key}");
        let got = server.get(&format!("/{key}")).await;
        got.assert_status(200);
        assert_eq!(got.body, bytes, "{key}: passthrough bytes");
    }
}

/// The second upload to a path is the same File, updated; cached derivatives of the old
/// image are not served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploading_to_a_path_again_replaces_the_file_and_keeps_its_id() {
    let root = Root::new();
    let server = TestServer::start_at(config(vec![up_source(&root)]), NOW).await;
    let first = halves_png(64, 40, RED, BLUE);
    let second = png(&RgbaImage::from_pixel(32, 32, image::Rgba(GREEN)));

    let one = assert_file(
        &put(&server, "/a.png", &first).await,
        &root,
        "a.png",
        &first,
    );
    for _ in 0..2 {
        let small = server.get("/a.png?w=20").await;
        small.assert_image("png");
        let [r, g, b, _] = mean_colour(&decode(&small.body));
        assert!(
            r > 100.0 && b > 100.0 && g < 20.0,
            "red and blue: {r} {g} {b}"
        );
    }

    server.set_now(NOW + 100);
    let two = assert_file(
        &put(&server, "/a.png", &second).await,
        &root,
        "a.png",
        &second,
    );
    assert_eq!(two["id"], one["id"]);
    assert_eq!(two["created"], NOW_RFC3339);
    assert_eq!(two["updated"], "2025-12-10T11:35:00Z");
    assert_eq!(
        (two["width"].clone(), two["height"].clone()),
        (32.into(), 32.into())
    );

    let small = server.get("/a.png?w=20").await;
    small.assert_image("png");
    let image = decode(&small.body);
    assert_eq!(image.dimensions(), (20, 20));
    let [r, g, b, _] = mean_colour(&image);
    assert!(g > 250.0 && r < 5.0 && b < 5.0, "green: {r} {g} {b}");
    assert_eq!(server.get("/a.png").await.body, second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_uploads_to_one_path_leave_one_body_whole() {
    let root = Root::new();
    let server = TestServer::start(config(vec![up_source(&root)])).await;
    let (a, b) = (noise(40_000, 1), noise(60_000, 2));

    let (reply_a, reply_b) =
        tokio::join!(put(&server, "/race.bin", &a), put(&server, "/race.bin", &b));
    reply_a.assert_status(201);
    reply_b.assert_status(201);
    let (file_a, file_b) = (
        reply_a.json()["data"].clone(),
        reply_b.json()["data"].clone(),
    );
    assert_eq!(file_a["id"], file_b["id"], "one path, one File");

    let stored = on_disk(&root, "race.bin").unwrap();
    assert!(
        stored == a || stored == b,
        "a mix of both bodies ({} bytes)",
        stored.len()
    );
    assert_eq!(server.get("/race.bin").await.body, stored);
    // The recorded File describes the body that won.
    let id = file_a["id"].as_str().unwrap();
    let bearer = format!("Bearer {KEY}");
    let record = server
        .get_with(
            &format!("/_pixgate/files/{id}"),
            &[("authorization", &bearer)],
        )
        .await;
    record.assert_status(200);
    assert_eq!(record.json()["data"]["filesize"], stored.len());
    assert_eq!(state_files(&root), Vec::<String>::new());
}

/// `uploads.max_bytes` is 1000 here; `keep.bin` is an existing file every refusal must spare.
async fn small_limit_server() -> (Root, TestServer, Vec<u8>) {
    let root = Root::new();
    let kept = noise(500, 9);
    root.put("keep.bin", &kept);
    let mut config = config(vec![up_source(&root)]);
    config.uploads.max_bytes = 1000;
    (root, TestServer::start(config).await, kept)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_length_above_max_bytes_is_413_and_stores_nothing() {
    let (root, server, kept) = small_limit_server().await;
    let before = tree(&root);
    for key in ["new.bin", "keep.bin"] {
        put(&server, &format!("/{key}"), &noise(1001, 1))
            .await
            .assert_error(413, "too_large");
    }
    // Refused from the header: the server answers without waiting for a body that never comes.
    let huge = [("content-length", "10000000000")];
    let reply = server.raw("PUT", &put_url("/new.bin"), &huge).await;
    reply.assert_error(413, "too_large");
    assert_eq!(tree(&root), before);
    assert_eq!(on_disk(&root, "keep.bin"), Some(kept));
    server.get("/new.bin").await.assert_error(404, "not_found");
    // Exactly the limit is fine.
    let bytes = noise(1000, 2);
    assert_file(
        &put(&server, "/new.bin", &bytes).await,
        &root,
        "new.bin",
        &bytes,
    );
}

/// Without `Content-Length` the body is counted as it streams and cut off past the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_past_max_bytes_is_413_and_stores_nothing() {
    let (root, server, kept) = small_limit_server().await;
    let before = tree(&root);
    let big = noise(5000, 1);
    for key in ["new.bin", "keep.bin"] {
        let body = RawBody::Chunked {
            bytes: &big,
            piece: 400,
        };
        let reply = raw_send(
            server.addr(),
            "PUT",
            &put_url(&format!("/{key}")),
            &[],
            body,
        )
        .await;
        reply.assert_error(413, "too_large");
    }
    eventually("state left by the refused bodies", async || {
        let now = tree(&root);
        (now == before, now)
    })
    .await;
    assert_eq!(on_disk(&root, "keep.bin"), Some(kept));

    let small = noise(800, 2);
    let body = RawBody::Chunked {
        bytes: &small,
        piece: 300,
    };
    let reply = raw_send(server.addr(), "PUT", &put_url("/new.bin"), &[], body).await;
    assert_file(&reply, &root, "new.bin", &small);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_mid_body_stores_nothing_and_spares_the_old_file() {
    let root = Root::new();
    let kept = noise(3000, 9);
    root.put("keep.bin", &kept);
    let server = TestServer::start(config(vec![up_source(&root)])).await;
    let before = tree(&root);

    let body = noise(5000, 1);
    for key in ["keep.bin", "new.bin"] {
        let target = put_url(&format!("/{key}"));
        server
            .disconnect_mid_body(&target, &[], 5000, &body[..2000])
            .await;
    }
    // The handlers are done with both: whatever they staged is gone, not merely not yet there.
    assert_eq!(tree(&root), before, "files left by the interrupted uploads");
    assert_eq!(on_disk(&root, "keep.bin"), Some(kept.clone()));
    assert_eq!(server.get("/keep.bin").await.body, kept);
    server.get("/new.bin").await.assert_error(404, "not_found");
    // The path still takes a complete upload.
    assert_file(
        &put(&server, "/new.bin", &body).await,
        &root,
        "new.bin",
        &body,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_methods_on_image_paths_are_405_and_change_nothing() {
    let root = Root::new();
    root.put("a.png", &gradient_png(20, 10));
    let server = TestServer::start(config(vec![up_source(&root)])).await;
    let before = tree(&root);
    for method in ["POST", "DELETE", "PATCH"] {
        for target in ["/a.png".to_string(), put_url("/a.png")] {
            let reply = server.send(method, &target, &[], b"x".to_vec()).await;
            reply.assert_error(405, "method_not_allowed");
            assert_eq!(reply.header("allow"), Some("GET, HEAD, PUT"), "{method}");
        }
    }
    assert_eq!(tree(&root), before);
}

/// The key is the path percent-decoded once; the File's `url` leads back to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percent_encoded_paths_are_stored_under_their_decoded_key() {
    let root = Root::new();
    let server = TestServer::start(config(vec![up_source(&root)])).await;
    let bytes = gradient_png(20, 10);
    let reply = put(&server, "/my%20photos/caf%C3%A9.png", &bytes).await;
    let file = assert_file(&reply, &root, "my photos/café.png", &bytes);
    assert_eq!(file["filename"], "café.png");
    assert_eq!(file["folder"], "my photos");
    let got = server
        .get(&local(&server, file["url"].as_str().unwrap()))
        .await;
    got.assert_status(200);
    assert_eq!(got.body, bytes);
}
