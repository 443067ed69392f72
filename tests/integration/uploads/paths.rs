//! Where an upload may land: symlinks at the final name are replaced, never written through;
//! folder symlinks count only while they stay inside the root; a folder or file in the way is
//! a conflict. In every refused case the disk is as it was.

use std::os::unix::fs::symlink;

use super::{assert_file, put, tree, up_source};
use crate::support::images::noise;
use crate::support::roots::{NOW, Root, config};
use crate::support::server::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_replaces_a_symlink_instead_of_writing_through_it() {
    let root = Root::new();
    let outside = Root::new();
    outside.put("secret.txt", b"keep me");
    symlink(
        outside.path().join("secret.txt"),
        root.path().join("link.bin"),
    )
    .unwrap();
    let server = TestServer::start_at(config(vec![up_source(&root)]), NOW).await;

    let bytes = noise(300, 1);
    let reply = put(&server, "/link.bin", &bytes).await;
    assert_file(&reply, &root, "link.bin", &bytes);
    let meta = std::fs::symlink_metadata(root.path().join("link.bin")).unwrap();
    assert!(meta.file_type().is_file(), "still a symlink: {meta:?}");
    assert_eq!(
        std::fs::read(outside.path().join("secret.txt")).unwrap(),
        b"keep me"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_symlink_leading_out_of_the_root_is_refused() {
    let root = Root::new();
    let outside = Root::new();
    symlink(outside.path(), root.path().join("escape")).unwrap();
    let server = TestServer::start_at(config(vec![up_source(&root)]), NOW).await;
    let before = tree(&root);

    put(&server, "/escape/a.bin", &noise(100, 2))
        .await
        .assert_error(400, "bad_path");
    put(&server, "/escape/deeper/a.bin", &noise(100, 3))
        .await
        .assert_error(400, "bad_path");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert_eq!(tree(&root), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_symlink_inside_the_root_is_followed() {
    let root = Root::new();
    root.put("real/keep.txt", b"x");
    symlink(root.path().join("real"), root.path().join("alias")).unwrap();
    let server = TestServer::start_at(config(vec![up_source(&root)]), NOW).await;

    let bytes = noise(200, 4);
    put(&server, "/alias/new.bin", &bytes)
        .await
        .assert_status(201);
    assert_eq!(
        std::fs::read(root.path().join("real/new.bin")).unwrap(),
        bytes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_at_the_path_or_a_file_in_the_way_is_a_conflict() {
    let root = Root::new();
    root.put("photos/cat.png", b"not a folder");
    root.put("album/inside.txt", b"a folder");
    let server = TestServer::start_at(config(vec![up_source(&root)]), NOW).await;
    let before = tree(&root);

    put(&server, "/album", &noise(100, 5))
        .await
        .assert_error(409, "path_conflict");
    put(&server, "/photos/cat.png/x.bin", &noise(100, 6))
        .await
        .assert_error(409, "path_conflict");
    assert_eq!(tree(&root), before);
}
