//! What a source folder may hold besides good images: files cut inside their header, header
//! fields no decoder accepts, empty files, bytes whose name lies about them, markup a browser
//! would run, and things that are not regular files at all (FIFOs, sockets, device nodes,
//! symlink loops). Each answers a documented 4xx or its bytes at once; none hangs a worker.

use std::path::Path;
use std::time::Duration;

use super::{Case, Forbidden, Want, run_table};
use crate::support::forge::{broken_headers, small_jpeg};
use crate::support::images::gradient_png;
use crate::support::roots::{Root, config};
use crate::support::server::TestServer;
use crate::support::wire;

const UNDECODABLE: Want = Want::Error(422, "undecodable");
const NOT_AN_IMAGE: Want = Want::Error(415, "not_an_image");
const NOT_FOUND: Want = Want::Error(404, "not_found");
/// Refusals are at once: nothing here reads more than a header.
const FAST: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_broken_inside_their_header_are_422_for_every_format() {
    let files = broken_headers();
    let root = Root::new();
    root.put("ok.png", &gradient_png(64, 40));
    for (name, bytes) in &files {
        root.put(name, bytes);
    }
    let server = TestServer::serving(&root).await;
    let mut cases = Vec::new();
    for (name, _) in &files {
        cases.push(Case::get(*name, format!("/{name}?w=10"), UNDECODABLE));
        cases.push(Case::get(
            *name,
            format!("/{name}?w=10&fm=gif"),
            UNDECODABLE,
        ));
    }
    let forbidden = Forbidden::new([root.path().display().to_string()]);
    run_table(&server, &cases, "/ok.png", &forbidden, FAST).await;
}

/// An empty file: nothing to transform (415, as `sources::broken` shows for `.png`), and its zero
/// bytes exactly when passed through, with ranges unsatisfiable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_file_is_415_when_transformed_and_zero_bytes_when_passed_through() {
    let root = Root::new();
    root.put("ok.png", &gradient_png(64, 40));
    for name in ["empty.jpg", "empty.gif", "empty.avif", "empty.bin"] {
        root.put(name, b"");
    }
    let server = TestServer::serving(&root).await;
    let mut cases = Vec::new();
    for name in ["empty.jpg", "empty.gif", "empty.avif", "empty.bin"] {
        for query in ["w=10", "fm=webp", "auto=format", "rot=90"] {
            cases.push(Case::get(name, format!("/{name}?{query}"), NOT_AN_IMAGE));
        }
    }
    let forbidden = Forbidden::new([root.path().display().to_string()]);
    run_table(&server, &cases, "/ok.png", &forbidden, FAST).await;

    let whole = server.raw("GET", "/empty.jpg", &[]).await;
    whole.assert_status(200);
    assert!(whole.body.is_empty());
    assert_eq!(whole.header("content-length"), Some("0"));
    assert_eq!(
        whole.header("content-type"),
        Some("application/octet-stream")
    );
    let head = server.raw("HEAD", "/empty.jpg", &[]).await;
    head.assert_status(200);
    assert_eq!(head.header("content-length"), Some("0"));
    let range = server
        .raw("GET", "/empty.jpg", &[("range", "bytes=0-0")])
        .await;
    range.assert_status(416);
    assert!(range.body.is_empty());
}

/// The format is sniffed from the bytes (README, Passthrough; contract §4): a PNG named `.jpg`
/// renders as the PNG it is (its default output is its own format), a JPEG named `.png` as a
/// JPEG, an SVG named `.png` as the SVG it is (rasterised to PNG); other markup, scripts and
/// documents behind image names are not images (415), whatever the name says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bytes_not_the_name_decide_what_a_file_is() {
    let root = Root::new();
    root.put("ok.png", &gradient_png(64, 40))
        .put("png-named.jpg", &gradient_png(32, 20))
        .put("jpeg-named.png", &small_jpeg())
        .put("html-named.jpg", ACTIVE[0].1)
        .put("svg-named.png", ACTIVE[3].1)
        .put("script-named.gif", ACTIVE[6].1)
        .put_fixture("pdf-named.webp", "files/manual.pdf");
    let server = TestServer::serving(&root).await;
    let cases = [
        Case::get("PNG named .jpg", "/png-named.jpg?w=10", Want::Image("png")),
        Case::get(
            "JPEG named .png",
            "/jpeg-named.png?w=4",
            Want::Image("jpeg"),
        ),
        Case::get("HTML named .jpg", "/html-named.jpg?w=10", NOT_AN_IMAGE),
        Case::get("HTML, as WebP", "/html-named.jpg?fm=webp", NOT_AN_IMAGE),
        // SVG is an input format: rasterised, its script is gone.
        Case::get("SVG named .png", "/svg-named.png?w=10", Want::Image("png")),
        Case::get("script named .gif", "/script-named.gif?w=10", NOT_AN_IMAGE),
        Case::get("PDF named .webp", "/pdf-named.webp?w=10", NOT_AN_IMAGE),
    ];
    let forbidden = Forbidden::new([root.path().display().to_string()]);
    run_table(&server, &cases, "/ok.png", &forbidden, FAST).await;
}

/// Markup and script a browser would run if told it is HTML, SVG or XML.
const ACTIVE: &[(&str, &[u8])] = &[
    (
        "page.jpg",
        b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
    ),
    ("page.html", b"<html><body onload=alert(1)>hi"),
    ("spaced.gif", b"   <HTML><script>alert(1)</script>"),
    (
        "drawing.png",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><script>alert(2)</script></svg>",
    ),
    (
        "drawing.svg",
        b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
    ),
    (
        "page.xml",
        b"<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></html>",
    ),
    ("script.js", b"alert(document.cookie)"),
];

/// Content types a browser renders as a document and runs scripts in.
const EXECUTABLE_TYPES: &[&str] = &[
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
    "application/x-shockwave-flash",
];

/// Anyone who may upload can store markup under an image name; the image origin must not then
/// serve it as a document that runs in the origin's name (stored XSS). Passthrough types from
/// the bytes (README), and `nosniff` stops browsers guessing, but a sniffed `text/html` or
/// `text/xml` is itself the executable label: such bytes must go out as inert data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passthrough_never_labels_stored_markup_as_a_document_a_browser_would_run() {
    let root = Root::new();
    for (name, bytes) in ACTIVE {
        root.put(name, bytes);
    }
    let server = TestServer::serving(&root).await;
    let mut failures = Vec::new();
    for (name, bytes) in ACTIVE {
        for method in ["GET", "HEAD"] {
            let reply = server.raw(method, &format!("/{name}"), &[]).await;
            reply.assert_status(200);
            if method == "GET" {
                assert_eq!(&reply.body, bytes, "{name}: passthrough changed the bytes");
            }
            assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
            let content_type = reply.header("content-type").unwrap_or("").to_lowercase();
            if EXECUTABLE_TYPES.iter().any(|t| content_type.starts_with(t)) {
                failures.push(format!("{method} /{name}: Content-Type {content_type}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "markup served as a document:\n{}",
        failures.join("\n")
    );
}

/// Adds a FIFO, a Unix socket, a folder with an image's name, and links to them; a device
/// node too when this process may make one (root may).
fn plant_special_files(root: &Path) -> Vec<&'static str> {
    let mut planted = vec![
        "fifo.jpg",
        "socket.png",
        "folder.jpg",
        "to-fifo.jpg",
        "dangling.jpg",
    ];
    let status = std::process::Command::new("mkfifo")
        .arg(root.join("fifo.jpg"))
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo");
    let socket = std::os::unix::net::UnixListener::bind(root.join("socket.png")).unwrap();
    drop(socket);
    std::fs::create_dir(root.join("folder.jpg")).unwrap();
    std::os::unix::fs::symlink("fifo.jpg", root.join("to-fifo.jpg")).unwrap();
    std::os::unix::fs::symlink("nowhere.jpg", root.join("dangling.jpg")).unwrap();
    let device = std::process::Command::new("mknod")
        .arg(root.join("zero.jpg"))
        .args(["c", "1", "5"])
        .stderr(std::process::Stdio::null())
        .status();
    if device.is_ok_and(|s| s.success()) {
        std::os::unix::fs::symlink("zero.jpg", root.join("to-zero.jpg")).unwrap();
        planted.extend(["zero.jpg", "to-zero.jpg"]);
    } else {
        eprintln!("no device node: mknod is not allowed here");
    }
    planted
}

/// Only regular files are served. A FIFO would block an `open` forever and a device node
/// would stream without end; both, sockets, folders and links to them are simply no file:
/// 404 at once, for passthrough, transforms and HEAD.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifos_sockets_devices_and_folders_in_the_root_are_404_at_once() {
    let root = Root::new();
    root.put("ok.png", &gradient_png(64, 40));
    let planted = plant_special_files(root.path());
    let server = TestServer::serving(&root).await;
    let mut cases = Vec::new();
    for name in planted {
        cases.push(Case::get(name, format!("/{name}"), NOT_FOUND));
        cases.push(Case::get(name, format!("/{name}?w=10"), NOT_FOUND));
        cases.push(Case::head(name, format!("/{name}"), NOT_FOUND));
    }
    // A link to a device outside the root leaves the root (`sources::routing`: symlinks out are 400).
    std::os::unix::fs::symlink("/dev/zero", root.path().join("dev-zero.jpg")).unwrap();
    std::os::unix::fs::symlink("/dev/urandom", root.path().join("dev-random.png")).unwrap();
    for name in ["dev-zero.jpg", "dev-random.png"] {
        for query in ["", "?w=10"] {
            let want = Want::Error(400, "bad_path");
            cases.push(Case::get(name, format!("/{name}{query}"), want));
        }
    }
    let forbidden = Forbidden::new([root.path().display().to_string()]);
    run_table(&server, &cases, "/ok.png", &forbidden, FAST).await;
}

/// A symlink loop leads nowhere, like a dangling link: no file (404) or a path the source
/// refuses (400 bad_path). It is not the storage failing (502 says the back end is broken and
/// sends operators looking for an outage), and it answers at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symlink_loops_in_the_root_are_a_clean_4xx_not_a_storage_failure() {
    let root = Root::new();
    root.put("ok.png", &gradient_png(64, 40));
    let link = |target: &str, name: &str| {
        std::os::unix::fs::symlink(target, root.path().join(name)).unwrap();
    };
    link("b.jpg", "a.jpg");
    link("a.jpg", "b.jpg");
    link("self.png", "self.png");
    link("loop", "loop");
    let server = TestServer::serving(&root).await;
    const NOWHERE: Want = Want::OneOf(&[(404, "not_found"), (400, "bad_path")]);
    let mut cases = Vec::new();
    for target in ["/a.jpg", "/self.png", "/loop/x.jpg"] {
        cases.push(Case::get("a symlink loop", target, NOWHERE));
        cases.push(Case::get(
            "a symlink loop",
            format!("{target}?w=10"),
            NOWHERE,
        ));
        cases.push(Case::head("a symlink loop", target, NOWHERE));
    }
    let forbidden = Forbidden::new([root.path().display().to_string()]);
    run_table(&server, &cases, "/ok.png", &forbidden, FAST).await;
    // Nothing was left waiting on the loops.
    let reply = wire::one(server.addr(), "GET", b"/ok.png", &[], super::HANG)
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
}

/// The file found by the path walk may be swapped for a FIFO before it is opened: that open
/// must not wait for a writer (it would hold a blocking thread, and the request would end in
/// 504 after `source_timeout`). Here a file flips between a PNG and a FIFO as fast as it can
/// while clients read and transform it: every answer is the image or 404, never a timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_swapped_for_a_fifo_while_it_is_read_is_200_or_404_never_a_hang() {
    use std::os::unix::fs::OpenOptionsExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    let root = Root::new();
    root.put("ok.png", &gradient_png(64, 40));
    root.put("swap.png", &gradient_png(32, 20));
    let dir = root.path().to_path_buf();
    std::fs::create_dir(dir.join("spare")).unwrap();
    std::fs::write(dir.join("spare/png"), gradient_png(32, 20)).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(dir.join("spare/fifo"))
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo");
    let mut settings = config(vec![root.source("demo")]);
    settings.limits.source_timeout = Duration::from_secs(2);
    let server = TestServer::start(settings).await;

    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let swapper = {
        let (stop, dir) = (stop.clone(), dir.clone());
        std::thread::spawn(move || {
            let mut swaps = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for spare in ["spare/png", "spare/fifo"] {
                    let _ = std::fs::remove_file(dir.join("spare/next"));
                    std::fs::hard_link(dir.join(spare), dir.join("spare/next")).unwrap();
                    std::fs::rename(dir.join("spare/next"), dir.join("swap.png")).unwrap();
                    swaps += 1;
                }
            }
            swaps
        })
    };
    let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
    let mut wrong = Vec::new();
    for round in 0..150 {
        // A new width each time: a cached derivative would not open the file.
        let target = match round % 2 {
            0 => "/swap.png".to_string(),
            _ => format!("/swap.png?w={}&fm=png", 4 + round),
        };
        let reply = wire::one(server.addr(), "GET", target.as_bytes(), &[], super::HANG)
            .await
            .unwrap();
        *statuses.entry(reply.status).or_default() += 1;
        if ![200, 404].contains(&reply.status) {
            wrong.push(format!("{target}: {}", reply.summary()));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    // A reader stuck in `open` would keep this test's runtime from ever shutting down: a
    // writer releases it, so a regression fails here rather than hanging.
    for _ in 0..16 {
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(dir.join("spare/fifo"));
    }
    assert!(wrong.is_empty(), "{statuses:?}: {wrong:#?}");
    assert!(swaps > 150, "the file flipped only {swaps} times");
    let reply = wire::one(server.addr(), "GET", b"/ok.png", &[], super::HANG)
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
}
