//! Deadlines and caps on what clients send and read: a head that stalls or trickles is cut at
//! `server.header_timeout`, a body at `server.body_timeout` or below `server.min_body_rate`
//! (408, nothing kept), a download
//! that makes no progress at `server.send_timeout`; URLs and heads over their caps are 414
//! and 431.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{QUICK, forest_root};
use crate::support::binary::{Daemon, TomlParts};
use crate::support::images::noise;
use crate::support::roots::{Root, config};
use crate::support::server::TestServer;
use crate::support::signing::md5_url;
use crate::support::wait::{eventually, within};
use crate::support::wire::{REQUEST_TIMEOUT, RawBody, raw_request, raw_send};
use crate::uploads::{TOKEN, state_files, up_source};

/// Reads until the server closes the connection; the bytes it sent meanwhile.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the server kept the connection open");
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stalls_in_the_head_is_disconnected_at_the_deadline() {
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.server.header_timeout = Duration::from_secs(1);
    let server = TestServer::start(config).await;

    let mut stalled = TcpStream::connect(server.addr()).await.unwrap();
    stalled.write_all(b"GET /forest.jpg?w=10 HT").await.unwrap();
    let started = Instant::now();
    let got = read_until_closed(&mut stalled).await;
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(!String::from_utf8_lossy(&got).contains("200 OK"));
    // Everyone else is still served.
    server.get(QUICK).await.assert_status(200);
}

/// The head deadline is total: a byte every 100 ms keeps the connection busy, not alive. The
/// server cuts it at `server.header_timeout` while the client is still sending, not when the
/// client gives up (this head would take 30 s) nor at hyper's own 30 s default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trickling_its_head_is_disconnected_at_the_deadline() {
    const DEADLINE: Duration = Duration::from_secs(1);
    /// How late the cut may come: generous for a loaded machine, far short of the trickle.
    const GRACE: Duration = Duration::from_secs(10);
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.server.header_timeout = DEADLINE;
    let server = TestServer::start(config).await;

    let mut head = b"GET /forest.jpg HTTP/1.1\r\nHost: x\r\nX-Slow: ".to_vec();
    head.resize(300, b'a');
    let stream = TcpStream::connect(server.addr()).await.unwrap();
    let started = Instant::now();
    let (mut reader, mut writer) = stream.into_split();
    let length = head.len();
    // Bytes written before a write failed; all of them if none did.
    let trickle = tokio::spawn(async move {
        for (sent, byte) in head.iter().enumerate() {
            if writer.write_all(&[*byte]).await.is_err() {
                return sent;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        head.len()
    });
    let mut got = Vec::new();
    let read = tokio::time::timeout(DEADLINE + GRACE, reader.read_to_end(&mut got)).await;
    let cut = started.elapsed();
    assert!(
        read.is_ok(),
        "still open {cut:?} after connecting, the client still trickling its head: no deadline"
    );
    assert!(
        cut >= DEADLINE - Duration::from_millis(100),
        "cut after {cut:?}, before the {DEADLINE:?} deadline"
    );
    assert!(!String::from_utf8_lossy(&got).contains("200 OK"));
    // The cut is what stopped the client: its next writes failed, well short of its head.
    let sent = within(GRACE, "the trickle's writes to fail", trickle)
        .await
        .unwrap();
    assert!(sent < length, "all {length} bytes of the head were taken");
    server.get(QUICK).await.assert_status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlong_urls_are_414_and_oversized_headers_431() {
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.server.max_url_bytes = 1024;
    config.server.max_header_bytes = 2048;
    config.server.max_headers = 20;
    let server = TestServer::start(config).await;
    let addr = server.addr();

    let long = format!("/forest.jpg?w=10&x={}", "a".repeat(1100));
    raw_request(addr, "GET", &long, &[])
        .await
        .assert_error(414, "url_too_long");
    let big = "b".repeat(2100);
    raw_request(addr, "GET", QUICK, &[("x-big", &big)])
        .await
        .assert_error(431, "headers_too_large");
    let names: Vec<String> = (0..25).map(|i| format!("x-h{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    raw_request(addr, "GET", QUICK, &many)
        .await
        .assert_error(431, "headers_too_large");
    // Far beyond both caps, hyper refuses the head itself, before pixgate sees it.
    let huge = "c".repeat(64 * 1024);
    let reply = raw_request(addr, "GET", QUICK, &[("x-huge", &huge)]).await;
    reply.assert_status(431);
    // Just under the caps is fine, and the server answers the next request.
    let fits = format!("/forest.jpg?w=10&x={}", "a".repeat(900));
    raw_request(addr, "GET", &fits, &[("x-fits", &"d".repeat(1500))])
        .await
        .assert_status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_body_past_its_deadline_is_408_and_nothing_is_kept() {
    let root = Root::new();
    let mut config = config(vec![up_source(&root)]);
    config.server.body_timeout = Duration::from_secs(1);
    let server = TestServer::start(config).await;
    let target = md5_url(TOKEN, "/slow.bin", "method=put");

    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let head = format!(
        "PUT {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 1000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[7u8; 10]).await.unwrap();
    let got = read_until_closed(&mut stream).await;
    let answer = String::from_utf8_lossy(&got);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"body_timeout\""), "{answer}");

    assert!(!root.path().join("slow.bin").exists());
    assert_eq!(state_files(&root), Vec::<String>::new());
    // A prompt upload still works.
    let quick = raw_send(server.addr(), "PUT", &target, &[], RawBody::Sized(b"hello")).await;
    quick.assert_status(201);
}

/// A body slower than `server.min_body_rate` is cut with 408 once a window after the grace
/// falls short, long before `body_timeout`, and nothing is kept; an upload four times faster
/// than the floor completes. (The floor is raised and the windows shortened so the test takes
/// seconds; the defaults are 1 KiB/s over 10 s after 10 s.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_slower_than_the_minimum_rate_is_408_and_an_honest_slow_one_completes() {
    const WINDOW: Duration = Duration::from_millis(500);
    let root = Root::new();
    let mut config = config(vec![up_source(&root)]);
    config.server.min_body_rate = 16 * 1024;
    config.server.body_rate_window = WINDOW;
    config.server.body_rate_grace = WINDOW;
    let server = TestServer::start(config).await;

    let target = md5_url(TOKEN, "/trickle.bin", "method=put");
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let head = format!(
        "PUT {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 100000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let (mut reader, mut writer) = stream.into_split();
    // 100 bytes every 100 ms: 1 KB/s, a sixteenth of the floor.
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            if writer.write_all(&[7u8; 100]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), reader.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the trickle was never cut");
    let cut = started.elapsed();
    let answer = String::from_utf8_lossy(&got);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"body_too_slow\""), "{answer}");
    assert!(cut < Duration::from_secs(5), "cut only after {cut:?}");
    trickle.abort();
    assert!(!root.path().join("trickle.bin").exists());
    eventually("the trickle's upload state to go", async || {
        let left = state_files(&root);
        (left.is_empty(), format!("{left:?}"))
    })
    .await;

    // 64 KiB/s: 96 KiB in 4 KiB pieces every 62.5 ms, a second and a half in all.
    let target = md5_url(TOKEN, "/honest.bin", "method=put");
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let head = format!(
        "PUT {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        96 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..24 {
        stream.write_all(&[9u8; 4096]).await.unwrap();
        tokio::time::sleep(Duration::from_micros(62_500)).await;
    }
    let got = read_until_closed(&mut stream).await;
    let answer = String::from_utf8_lossy(&got);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let kept = std::fs::read(root.path().join("honest.bin")).unwrap();
    assert_eq!(kept, vec![9u8; 96 * 1024]);
}

/// A client that requests a large file and never reads it is disconnected once the answer has
/// made no progress for `server.send_timeout`; one that reads, however slowly, is not. The cut
/// is seen in the binary's descriptors (the connection's socket and the file it streams are
/// let go), so the stalled client never reads a byte before it happens: reading is progress.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_cut_at_the_send_deadline() {
    const SIZE: usize = 32 * 1024 * 1024;
    let root = Root::new();
    // Incompressible, so no layer in between can make it small.
    root.put("big.bin", &noise(SIZE, 1));
    let dir = tempfile::tempdir().unwrap();
    let toml = TomlParts {
        server: "send_timeout = \"1s\"",
        ..TomlParts::default()
    };
    let (daemon, addr) = Daemon::serve_root(dir.path(), root.path(), "demo", toml);

    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // The answer has begun (peeking takes nothing off the socket): the file is open.
    let mut first = [0u8; 1];
    within(
        REQUEST_TIMEOUT,
        "the answer to begin",
        stalled.peek(&mut first),
    )
    .await
    .unwrap();
    let held = daemon.open_fds();
    eventually("the stalled answer's socket and file let go", async || {
        let now = daemon.open_fds();
        (
            now + 2 <= held,
            format!("{now} descriptors open, {held} while streaming"),
        )
    })
    .await;
    let mut received = Vec::new();
    within(
        Duration::from_secs(10),
        "the cut connection to end",
        async {
            let mut buf = vec![0u8; 1 << 20];
            loop {
                match stalled.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => received.extend_from_slice(&buf[..n]),
                }
            }
        },
    )
    .await;
    assert!(
        received.len() < SIZE,
        "all {} bytes arrived: the answer was never cut",
        received.len()
    );

    // A reader taking the same answer steadily gets all of it.
    let whole = raw_request(addr, "GET", "/big.bin", &[]).await;
    whole.assert_status(200);
    assert_eq!(whole.body.len(), SIZE);
}
