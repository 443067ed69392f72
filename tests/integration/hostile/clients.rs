//! Slow and broken clients: requests pipelined in one write, a client that half-closes after
//! its request, many clients stalled in their heads at once, one that never reads its
//! download, and downloads abandoned mid-body. The server answers everyone else meanwhile and
//! holds nothing for the clients that left. `ops::deadlines` covers one stalled or
//! trickling head and a stalled upload body.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::binary::{Daemon, TomlParts};
use crate::support::images::{gradient_png, image_kind, noise};
use crate::support::reply::parse_replies;
use crate::support::roots::{Root, config, fixture};
use crate::support::server::TestServer;
use crate::support::wait::within;
use crate::support::wire;

fn root() -> Root {
    let root = Root::new();
    root.put("ok.png", &gradient_png(64, 40))
        .put("notes.txt", b"plain text\n")
        .put_fixture("forest.jpg", "forest-800x500.jpg");
    root
}

/// Several GETs and a HEAD written in one go on one kept-alive connection: every one answered,
/// in order, each with its own body (HTTP/1.1 pipelining, RFC 9112 §9.3.2), an error among them
/// included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_in_one_write_are_all_answered_in_order() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let requests: [(&str, &[u8]); 6] = [
        ("GET", b"/notes.txt"),
        ("GET", b"/ok.png?w=16&fm=png"),
        ("HEAD", b"/forest.jpg"),
        ("GET", b"/ok.png?w=abc"),
        ("GET", b"/missing.jpg"),
        ("GET", b"/forest.jpg?w=20"),
    ];
    let mut wire_bytes = Vec::new();
    for (i, (method, target)) in requests.iter().enumerate() {
        wire_bytes.extend(wire::head(method, target, &[], i == requests.len() - 1));
    }
    let answer = wire::exchange_within(server.addr(), &wire_bytes, false, super::HANG)
        .await
        .unwrap();
    let methods: Vec<&str> = requests.iter().map(|(m, _)| *m).collect();
    let replies = parse_replies(&answer, &methods).unwrap();
    assert_eq!(replies.len(), requests.len(), "{replies:?}");
    assert_eq!(replies[0].status, 200);
    assert_eq!(replies[0].body, b"plain text\n");
    assert_eq!(image_kind(&replies[1].body), Some("png"));
    assert_eq!(replies[2].status, 200);
    assert!(replies[2].body.is_empty());
    let forest_len = fixture("forest-800x500.jpg").len().to_string();
    assert_eq!(
        replies[2].header("content-length"),
        Some(forest_len.as_str())
    );
    replies[3].assert_error(400, "bad_parameter");
    replies[4].assert_error(404, "not_found");
    assert_eq!(
        image_kind(&replies[5].body),
        Some("jpeg"),
        "{}",
        replies[5].summary()
    );
}

/// A client may shut down its sending side once its request is out (`shutdown(SHUT_WR)`, what
/// `nc -N` and some health checkers do) and still read the answer: the request is complete,
/// so it is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_half_closes_after_its_request_still_gets_the_answer() {
    /// What a request must get besides its status.
    enum Want<'a> {
        Bytes(&'a [u8]),
        Error(&'static str),
        Image(&'static str),
    }
    impl std::fmt::Debug for Want<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                Want::Bytes(bytes) => write!(f, "{} exact bytes", bytes.len()),
                Want::Error(code) => write!(f, "error {code}"),
                Want::Image(kind) => write!(f, "{kind} image"),
            }
        }
    }
    let root = root();
    let server = TestServer::serving(&root).await;
    let forest = fixture("forest-800x500.jpg");
    let mut failures = Vec::new();
    let cases = [
        ("/notes.txt", 200, Want::Bytes(b"plain text\n")),
        ("/missing.jpg", 404, Want::Error("not_found")),
        ("/ok.png?w=12&fm=png", 200, Want::Image("png")),
        ("/ok.png?w=13&fm=webp", 200, Want::Image("webp")),
        ("/forest.jpg?w=100", 200, Want::Image("jpeg")),
        ("/forest.jpg", 200, Want::Bytes(&forest)),
    ];
    for (target, status, want) in cases {
        let request = wire::head("GET", target.as_bytes(), &[], false);
        let answer = wire::exchange_within(server.addr(), &request, true, super::HANG)
            .await
            .unwrap();
        let reply = match parse_replies(&answer, &["GET"]) {
            Ok(mut replies) if replies.len() == 1 => replies.remove(0),
            Ok(replies) => {
                failures.push(format!(
                    "{target}: {} answers to one request",
                    replies.len()
                ));
                continue;
            }
            Err(e) => {
                failures.push(format!("{target}: {e}"));
                continue;
            }
        };
        let right = reply.status == status
            && match want {
                Want::Bytes(bytes) => reply.body == bytes,
                Want::Error(code) => reply.error_shape(status, code).is_ok(),
                Want::Image(kind) => image_kind(&reply.body) == Some(kind),
            };
        if !right {
            failures.push(format!(
                "{target}: wanted {status} {want:?}; {}",
                reply.summary()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Sixty-four clients stalled inside their request heads hold no worker: a normal request is
/// answered while every one of them is still held open (so it did not wait for any to be cut),
/// and the stalled ones are cut off at `server.header_timeout` afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_stalled_in_their_heads_do_not_delay_anyone_else() {
    /// Long enough that the normal request is surely answered first on a loaded machine.
    const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
    let root = root();
    let mut config = config(vec![root.source("demo")]);
    config.server.header_timeout = HEAD_TIMEOUT;
    let server = TestServer::start(config).await;
    let mut stalled = Vec::new();
    for i in 0..64 {
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        let part = format!("GET /ok.png?w={i} HTTP/1.1\r\nHost: x\r\nX-Slow: ");
        stream.write_all(part.as_bytes()).await.unwrap();
        stalled.push(stream);
    }
    let reply = wire::one(server.addr(), "GET", b"/notes.txt", &[], super::HANG)
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"plain text\n");
    // Asked of the socket itself: nothing to read yet, not even an end.
    let mut held = Vec::new();
    for (i, stream) in stalled.into_iter().enumerate() {
        let stream = stream.into_std().unwrap();
        let mut byte = [0u8; 1];
        match stream.peek(&mut byte) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!(
                "stalled head {i} was answered or cut ({other:?}) before the normal request \
                 was answered: it waited for the stalled heads"
            ),
        }
        held.push(TcpStream::from_std(stream).unwrap());
    }
    let cut = async {
        for stream in &mut held {
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest).await;
            assert!(!String::from_utf8_lossy(&rest).contains(" 200 "));
        }
    };
    within(
        HEAD_TIMEOUT + super::HANG,
        "stalled heads cut at header_timeout",
        cut,
    )
    .await;
}

/// A client that requests a large file and never reads it fills its socket buffers and stops
/// there: it holds its own connection, not the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_its_download_holds_up_no_one_else() {
    let root = root();
    root.put("big.bin", &noise(8 * 1024 * 1024, 7));
    let server = TestServer::serving(&root).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        stream
            .write_all(&wire::head("GET", b"/big.bin", &[], false))
            .await
            .unwrap();
        idle.push(stream);
    }
    for i in 0..5 {
        let target = format!("/ok.png?w={}&fm=png", 10 + i);
        let started = Instant::now();
        let reply = wire::one(server.addr(), "GET", target.as_bytes(), &[], super::HANG)
            .await
            .unwrap();
        assert_eq!(image_kind(&reply.body), Some("png"));
        assert!(started.elapsed() < Duration::from_secs(3));
    }
    drop(idle);
    let whole = server.get("/big.bin").await;
    assert_eq!(whole.body.len(), 8 * 1024 * 1024);
}

/// Downloads dropped after a few bytes (a passthrough of 8 MiB, a rendered derivative) leave no
/// file or socket open in the process: its descriptor count comes back to what it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_abandoned_mid_body_leave_no_descriptor_open() {
    let root = root();
    root.put("big.bin", &noise(8 * 1024 * 1024, 8));
    let (served, addr) = Daemon::serve_root(root.path(), root.path(), "demo", TomlParts::default());
    // Warm up: the first requests open what stays open (the runtime, the render pool).
    for target in ["/big.bin", "/forest.jpg?w=199&fm=png"] {
        let reply = wire::one(addr, "GET", target.as_bytes(), &[], super::HANG)
            .await
            .unwrap();
        assert_eq!(reply.status, 200);
    }
    let baseline = served.open_fds();
    for i in 0..20 {
        let target = if i % 2 == 0 {
            "/big.bin".to_string()
        } else {
            format!("/forest.jpg?w={}&fm=png", 200 + i)
        };
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(&wire::head("GET", target.as_bytes(), &[], false))
            .await
            .unwrap();
        let mut first = [0u8; 64];
        let read = tokio::time::timeout(super::HANG, stream.read(&mut first)).await;
        assert!(
            matches!(read, Ok(Ok(n)) if n > 0),
            "{target}: no answer started"
        );
        drop(stream);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = served.open_fds();
        if now <= baseline {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{now} descriptors open, {baseline} before 20 abandoned downloads"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let reply = wire::one(addr, "GET", b"/ok.png?w=30&fm=png", &[], super::HANG)
        .await
        .unwrap();
    assert_eq!(image_kind(&reply.body), Some("png"));
}
