//! Connection floods: the caps on open connections in all and per client address, refused at
//! once with a `503` the client can read, and the idle deadline between requests kept apart
//! from the head deadline.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::ops::{QUICK, forest_root};
use crate::support::roots::config;
use crate::support::server::TestServer;
use crate::support::wait::eventually;

/// A connection from `local` (any address in 127.0.0.0/8 is this machine) to `server`.
async fn connect_from(local: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{local}:0").parse().unwrap()).unwrap();
    socket.connect(server).await.unwrap()
}

/// Everything the server sends until it closes, within 10 s.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&got).into_owned()
}

/// Whether a GET of a quick render on this connection is answered 200.
async fn served(stream: &mut TcpStream) -> bool {
    let request = format!("GET {QUICK} HTTP/1.1\r\nHost: x\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => return false,
        }
    }
    got.starts_with(b"HTTP/1.1 200")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_caps_are_refused_with_503_and_admitted_again_once_freed() {
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.server.max_connections = Some(3);
    config.server.max_connections_per_client = Some(2);
    let server = TestServer::start(config).await;
    let addr = server.addr();

    let mut first = connect_from("127.0.0.1", addr).await;
    let _second = connect_from("127.0.0.1", addr).await;
    // A third from the same address: refused by the per-client cap, readably.
    let mut third = connect_from("127.0.0.1", addr).await;
    let refused = read_to_close(&mut third).await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("\"too_many_connections\""), "{refused}");
    assert!(refused.contains("Retry-After: 1"), "{refused}");
    // Another address still gets in, up to the total cap.
    let mut other = connect_from("127.0.0.2", addr).await;
    assert!(served(&mut other).await, "a second client is served");
    let mut fourth = connect_from("127.0.0.3", addr).await;
    assert!(read_to_close(&mut fourth).await.starts_with("HTTP/1.1 503"));
    // The held connections are still served, and closing one frees its place.
    assert!(served(&mut first).await);
    drop(first);
    eventually("the closed connection's place to free", async || {
        let mut again = connect_from("127.0.0.1", addr).await;
        (served(&mut again).await, "still refused".to_string())
    })
    .await;
    // Asked on an admitted connection: a new one could meet the caps.
    other
        .write_all(b"GET /_pixgate/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let metrics = read_to_close(&mut other).await;
    for cap in ["max_connections", "max_connections_per_client"] {
        let series = format!("pixgate_connections_refused_total{{cap=\"{cap}\"}} ");
        let line = metrics.lines().find(|l| l.starts_with(&series));
        let count: u64 = line
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(count >= 1, "{series} in\n{metrics}");
    }
}

/// A kept-alive connection may sit silent for `idle_timeout`, longer than `header_timeout`,
/// and is closed after it; the head deadline still counts from the next request's first byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_lives_for_the_idle_timeout_not_the_head_deadline() {
    const HEAD: Duration = Duration::from_secs(1);
    const IDLE: Duration = Duration::from_secs(3);
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.server.header_timeout = HEAD;
    config.server.idle_timeout = IDLE;
    let server = TestServer::start(config).await;

    let mut kept = TcpStream::connect(server.addr()).await.unwrap();
    assert!(served(&mut kept).await);
    // Silent for twice the head deadline: still open, and served.
    tokio::time::sleep(HEAD * 2).await;
    assert!(served(&mut kept).await, "closed before the idle timeout");
    // Half a head, then nothing: cut at the head deadline, well before the idle one.
    kept.write_all(b"GET /forest.jpg HT").await.unwrap();
    let started = Instant::now();
    let got = read_to_close(&mut kept).await;
    assert!(!got.contains("200 OK"), "{got}");
    assert!(
        started.elapsed() < IDLE,
        "cut after {:?}",
        started.elapsed()
    );
    // Silent after an answer: closed once the idle timeout passes.
    let mut idle = TcpStream::connect(server.addr()).await.unwrap();
    assert!(served(&mut idle).await);
    let started = Instant::now();
    read_to_close(&mut idle).await;
    let lived = started.elapsed();
    assert!(
        lived >= IDLE - Duration::from_millis(200),
        "closed after {lived:?}"
    );
    // A new connection that sends nothing gets only the head deadline.
    let mut silent = TcpStream::connect(server.addr()).await.unwrap();
    let started = Instant::now();
    read_to_close(&mut silent).await;
    assert!(
        started.elapsed() < IDLE,
        "a silent new connection lived {:?}",
        started.elapsed()
    );
}
