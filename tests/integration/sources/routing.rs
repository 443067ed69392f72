//! Routing and storage keys (contract §1): sources are picked by `Host` and the longest prefix
//! on a segment boundary, and no path — however encoded, and no symlink — reads outside a root.

use proptest::prelude::*;

use crate::support::binary::run_pixgate;
use crate::support::images::{RED, halves_png, image_kind};
use crate::support::reply::Reply;
use crate::support::roots::{Jail, Root, SENTINEL, config};
use crate::support::server::{TestServer, runner, runtime};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_are_chosen_by_host_and_longest_prefix() {
    let default = Root::new();
    default
        .put("who.txt", b"default")
        .put("photos2/who.txt", b"default photos2")
        .put("photos../who.txt", b"default photos..");
    let shop = Root::new();
    shop.put("who.txt", b"shop");
    let photos = Root::new();
    photos.put("who.txt", b"photos");
    let thumbs = Root::new();
    thumbs.put("who.txt", b"thumbs");

    let mut shop_source = shop.source("shop");
    shop_source.hosts = vec!["img.shop.test".into()];
    let mut photos_source = photos.source("photos");
    photos_source.prefix = "/photos".into();
    let mut thumbs_source = thumbs.source("thumbs");
    thumbs_source.prefix = "/photos/thumbs".into();
    let server = TestServer::start(config(vec![
        default.source("default"),
        shop_source,
        photos_source,
        thumbs_source,
    ]))
    .await;

    let cases = [
        (None, "/who.txt", "default"),
        (Some("img.shop.test"), "/who.txt", "shop"),
        (Some("IMG.Shop.Test:8443"), "/who.txt", "shop"),
        (Some("other.test"), "/who.txt", "default"),
        (None, "/photos/who.txt", "photos"),
        (Some("img.shop.test"), "/photos/who.txt", "photos"),
        (None, "/photos/thumbs/who.txt", "thumbs"),
        (None, "/photos2/who.txt", "default photos2"),
        (None, "/photos../who.txt", "default photos.."),
    ];
    for (host, path, want) in cases {
        let headers: Vec<(&str, &str)> = host.iter().map(|h| ("host", *h)).collect();
        // Raw, so that `/photos../` reaches the server exactly as written.
        let reply = server.raw("GET", path, &headers).await;
        reply.assert_status(200);
        assert_eq!(reply.text(), want, "{host:?} {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prefix_matches_whole_segments_only() {
    let photos = Root::new();
    photos.put("x.txt", b"photos");
    let mut source = photos.source("photos");
    source.prefix = "/photos".into();
    // No default source: what the prefix does not match has no source at all.
    let server = TestServer::start(config(vec![source])).await;
    server
        .raw("GET", "/photos/x.txt", &[])
        .await
        .assert_status(200);
    for path in ["/photos2/x.txt", "/photos../x.txt", "/photosx.txt"] {
        server
            .raw("GET", path, &[])
            .await
            .assert_error(404, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reserved_prefix_is_never_an_image_path() {
    let root = Root::new();
    root.put("_pixgate/secret.png", &halves_png(8, 8, RED, RED))
        .put("_pixgate/health", b"a file, not the API");
    let server = TestServer::serving(&root).await;
    let health = server.get("/_pixgate/health").await;
    health.assert_status(200);
    assert_ne!(health.text(), "a file, not the API");
    for target in ["/_pixgate/secret.png", "/_pixgate/secret.png?w=4"] {
        let reply = server.get(target).await;
        assert_eq!(image_kind(&reply.body), None, "{target} served an image");
        reply.assert_error(404, "not_found");
    }
}

#[test]
fn check_config_accepts_a_host_source_beside_the_default_source() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("pics")).unwrap();
    let path = dir.path().join("pixgate.toml");
    std::fs::write(
        &path,
        r#"
[[sources]]
name = "shop"
root = "pics"
hosts = ["img.shop.test"]

[[sources]]
name = "default"
root = "pics"
"#,
    )
    .unwrap();
    let (ok, stdout, stderr) = run_pixgate(
        &["check-config", "--config", &path.display().to_string()],
        &[],
    );
    assert!(ok, "stdout: {stdout}\nstderr: {stderr}");
}

/// Nothing of the outside folder (or the machine's /etc) is in the answer.
#[track_caller]
fn assert_no_leak(reply: &Reply, target: &str) {
    let text = String::from_utf8_lossy(&reply.body);
    assert!(!text.contains(SENTINEL), "{target} leaked the secret");
    assert!(!text.contains("root:"), "{target} leaked /etc/passwd");
    assert_eq!(image_kind(&reply.body), None, "{target} served image bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_paths_are_400_bad_path_and_never_read_outside_the_root() {
    let jail = Jail::new();
    assert!(jail.outside.join("sentinel.txt").exists());
    let server = TestServer::start(config(vec![jail.source("demo")])).await;
    let targets = [
        "/..%2f..%2fetc/passwd",
        "/..%2Foutside%2Fsentinel.txt",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2e%2e/outside/sentinel.txt",
        "/%2E%2E/outside/sentinel.txt",
        "/a/%2e%2e/%2e%2e/outside/sentinel.txt",
        "/a/%252e%252e/x",
        "/%252e%252e/outside/sentinel.txt",
        "/a%00.png",
        "/inside.txt%00.png",
        "/..%5c..%5cetc",
        "/..%5coutside%5csentinel.txt",
        "//etc/passwd",
        "//outside/sentinel.txt",
        "/a/../../etc/passwd",
        "/../outside/sentinel.txt",
        "/a/../inside.txt",
        "/./inside.txt",
        "/a//x",
        "/a%2Fx",
        "/a%2fx",
        "/%2Fetc%2Fpasswd",
        "/..%2f..%2fetc/passwd?w=10",
        "/%2e%2e/outside/sentinel.png?w=4",
    ];
    for target in targets {
        let reply = server.raw("GET", target, &[]).await;
        assert_no_leak(&reply, target);
        reply.assert_error(400, "bad_path");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symlinks_leaving_the_root_are_400_and_symlinks_inside_work() {
    let jail = Jail::new();
    let server = TestServer::start(config(vec![jail.source("demo")])).await;
    for target in [
        "/link-out.txt",
        "/relative-out.txt",
        "/outdir/sentinel.txt",
        "/link-out.png",
        "/link-out.png?w=4",
        "/outdir/sentinel.png?w=4&fm=png",
    ] {
        let reply = server.raw("GET", target, &[]).await;
        assert_no_leak(&reply, target);
        reply.assert_error(400, "bad_path");
    }

    let original = std::fs::read(jail.root.join("pub.png")).unwrap();
    let reply = server.get("/link-in.png").await;
    reply.assert_status(200);
    assert_eq!(reply.body, original);
    server.get("/link-in.png?w=8").await.assert_image("png");
    let reply = server.get("/relative-in.txt").await;
    reply.assert_status(200);
    assert_eq!(reply.text(), "inside");
}

/// Paths assembled from traversal fragments, encoded every which way: whatever the server
/// makes of them, it never answers 5xx and never serves the secret.
#[test]
fn fuzzed_traversal_paths_never_leave_the_root() {
    let runtime = runtime();
    let jail = Jail::new();
    let server = runtime.block_on(TestServer::start(config(vec![jail.source("demo")])));
    let fragments = [
        "..",
        "%2e%2e",
        "%2E%2e",
        ".",
        "%2e",
        "%252e%252e",
        "..%2f",
        "%2f",
        "%5c",
        "%5C..",
        "",
        "%00",
        "%c0%ae%c0%ae",
        "outside",
        "sentinel.txt",
        "link-out.txt",
        "outdir",
        "inside.txt",
        "etc",
        "passwd",
        "a",
    ];
    let strategy = proptest::collection::vec(proptest::sample::select(fragments.to_vec()), 1..7);
    runner(96)
        .run(&strategy, |segments| {
            let target = format!("/{}", segments.join("/"));
            let reply = runtime.block_on(server.raw("GET", &target, &[]));
            prop_assert!(reply.status < 500, "{target}: {}", reply.status);
            let text = String::from_utf8_lossy(&reply.body);
            prop_assert!(!text.contains(SENTINEL), "{target} leaked the secret");
            Ok(())
        })
        .unwrap();
}
