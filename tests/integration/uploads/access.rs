//! Who may upload where (contract §2.3, §5): a signed `method=put` URL and nothing else, and
//! never into pixgate's own `.pixgate` folder or out of the root. Every refusal leaves the disk
//! as it was. Files uploaded where reading needs a signature come back with a signed `url`.

use super::{KEY, TOKEN, assert_file, local, put, put_url, tree, up_source};
use crate::support::images::gradient_png;
use crate::support::roots::{NOW, Root, config, files_under};
use crate::support::server::TestServer;
use crate::support::signing::{hmac_url, md5_url};
use crate::support::wire::{RawBody, raw_send};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_unexpired_valid_method_put_signature_may_upload() {
    let root = Root::new();
    let kept = gradient_png(20, 10);
    root.put("a.png", &kept);
    let server = TestServer::start_at(config(vec![up_source(&root)]), NOW).await;
    let before = tree(&root);
    let body = gradient_png(64, 40);
    for path in ["/a.png", "/new.png"] {
        let past = NOW - 1;
        let cases = [
            (path.to_string(), "signature_required"),
            (format!("{path}?method=put"), "signature_required"),
            (
                hmac_url(KEY, "/other.png", "method=put").replacen("/other.png", path, 1),
                "signature_invalid",
            ),
            (
                hmac_url("not-the-key", path, "method=put"),
                "signature_invalid",
            ),
            (
                md5_url("not-the-token", path, "method=put"),
                "signature_invalid",
            ),
            (
                hmac_url(KEY, path, &format!("expiry={past}&method=put")),
                "expired",
            ),
            (
                md5_url(TOKEN, path, &format!("expires={past}&method=put")),
                "expired",
            ),
            // A URL without `method` is a GET URL.
            (hmac_url(KEY, path, ""), "method_mismatch"),
            (hmac_url(KEY, path, "method=get"), "method_mismatch"),
            (md5_url(TOKEN, path, "method=get"), "method_mismatch"),
        ];
        for (target, code) in cases {
            let reply = server.send("PUT", &target, &[], body.clone()).await;
            reply.assert_error(403, code);
        }
    }
    assert_eq!(tree(&root), before);
    assert_eq!(server.get("/a.png").await.body, kept);
    server.get("/new.png").await.assert_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_url_cannot_download() {
    let root = Root::new();
    root.put("a.png", &gradient_png(20, 10));
    let server = TestServer::start_at(config(vec![up_source(&root)]), NOW).await;
    for target in [
        put_url("/a.png"),
        md5_url(TOKEN, "/a.png", "method=put"),
        hmac_url(KEY, "/a.png", "w=10&method=put"),
    ] {
        server
            .get(&target)
            .await
            .assert_error(403, "method_mismatch");
    }
}

/// `<root>/.pixgate/` holds pixgate's state: no segment starting `.pixgate` is a storage key,
/// for reading or writing, even where such a file exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_pixgate_segments_are_bad_path_for_put_and_get() {
    let root = Root::new();
    root.put(".pixgate/secret.png", &gradient_png(20, 10))
        .put("photos/.pixgate/a.png", &gradient_png(20, 10))
        .put(".pixgate-old/a.png", &gradient_png(20, 10));
    let server = TestServer::start_at(config(vec![up_source(&root)]), NOW).await;
    let before = tree(&root);
    let body = gradient_png(64, 40);
    for path in [
        "/.pixgate/secret.png",
        "/.pixgate/files.redb",
        "/.pixgate/uploads/x.png",
        "/photos/.pixgate/a.png",
        "/.pixgate-old/a.png",
        "/.pixgateX.png",
        "/%2epixgate/secret.png",
    ] {
        let reply = server.raw("GET", path, &[]).await;
        reply.assert_error(400, "bad_path");
        let signed = hmac_url(KEY, path, "w=10");
        server
            .raw("GET", &signed, &[])
            .await
            .assert_error(400, "bad_path");
        let reply = raw_send(
            server.addr(),
            "PUT",
            &put_url(path),
            &[],
            RawBody::Sized(&body),
        )
        .await;
        reply.assert_error(400, "bad_path");
    }
    assert_eq!(tree(&root), before);
}

/// Signed over the raw path, so the signature is valid and the path is what is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_leaving_their_folder_are_bad_path_for_put() {
    let root = Root::new();
    let server = TestServer::start_at(config(vec![up_source(&root)]), NOW).await;
    let body = gradient_png(64, 40);
    for path in [
        "/a/../b.png",
        "/../b.png",
        "/a/%2e%2e/b.png",
        "/..%2fb.png",
        "/a/./b.png",
        "/a//b.png",
        "/a%5cb.png",
    ] {
        let reply = raw_send(
            server.addr(),
            "PUT",
            &put_url(path),
            &[],
            RawBody::Sized(&body),
        )
        .await;
        reply.assert_error(400, "bad_path");
    }
    let around = root.path().parent().expect("the root's own folder");
    assert!(files_under(around).is_empty(), "{:?}", files_under(around));
}

/// A file that needs a signature to read comes back with a signed GET `url` valid for an hour;
/// unsigned reads are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_need_a_signature_get_a_signed_url_valid_for_an_hour() {
    let private_root = Root::new();
    let mut private = up_source(&private_root);
    private.private_prefixes = vec!["private/".into()];
    let secure_root = Root::new();
    let mut secure = up_source(&secure_root);
    secure.secure = true;
    let cases = [
        (private_root, private, "private/a.png"),
        (secure_root, secure, "b.png"),
    ];
    for (root, source, key) in cases {
        let server = TestServer::start_at(config(vec![source]), NOW).await;
        let bytes = gradient_png(64, 40);
        let file = assert_file(
            &put(&server, &format!("/{key}"), &bytes).await,
            &root,
            key,
            &bytes,
        );
        let url = file["url"].as_str().unwrap();
        assert_ne!(url, format!("{}/{key}", server.base()), "an unsigned url");

        server
            .get(&format!("/{key}"))
            .await
            .assert_error(403, "signature_required");
        let target = local(&server, url);
        let got = server.get(&target).await;
        got.assert_status(200);
        assert_eq!(got.body, bytes, "{url}");

        server.set_now(NOW + 3600);
        server.get(&target).await.assert_status(200);
        server.set_now(NOW + 3601);
        server.get(&target).await.assert_error(403, "expired");
    }
}
