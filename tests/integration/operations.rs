//! Running in production (issue 7): the bounded render queue (503 + `Retry-After` at once),
//! the head, body and render deadlines, URL and header caps, readiness, metrics, the request
//! id, the access log, and graceful shutdown — against the real server and the real binary.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::images::noise;
use crate::support::roots::{Root, config};
use crate::support::server::{Daemon, TestServer, TomlParts, strip_ansi};
use crate::support::signing::md5_url;
use crate::support::wire::{RawBody, Reply, raw_request, raw_send};
use crate::uploads::{TOKEN, state_files, up_source};

/// A render that keeps a worker busy for a second or so in the test build (much less in a
/// release build, still far longer than the few quick requests made meanwhile): AVIF.
const SLOW: &str = "/forest.jpg?w=400&fm=avif";
/// A quick render.
const QUICK: &str = "/forest.jpg?w=40&fm=jpg";

fn forest_root() -> Root {
    let root = Root::new();
    root.put_fixture("forest.jpg", "forest-800x500.jpg");
    root
}

// ---------------------------------------------------------------------------------------------
// Admission and the render deadline
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_render_queue_answers_503_with_retry_after_at_once() {
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.limits.render_workers = 1;
    config.limits.render_queue = 0;
    // A busy machine (the whole suite at once) must not turn the slow render into a timeout.
    config.limits.render_timeout = Duration::from_secs(300);
    let server = TestServer::start(config).await;
    // A cached derivative, to show hits are never queued behind renders.
    server.get(QUICK).await.assert_status(200);

    let slow = tokio::spawn({
        let url = format!("{}{SLOW}", server.base());
        async move { reqwest::get(url).await.unwrap().status().as_u16() }
    });
    server.await_metric("pixgate_renders_in_flight", 1.0).await;

    let refused = server.get("/forest.jpg?w=41&fm=jpg").await;
    refused.assert_error(503, "overloaded");
    assert_eq!(refused.header("retry-after"), Some("1"));
    let hit = server.get(QUICK).await;
    hit.assert_status(200);
    assert_eq!(hit.header("x-cache"), Some("HIT"));
    server.get("/forest.jpg").await.assert_status(200);
    // Both answers came while the slow render was still running.
    assert_eq!(server.metric("pixgate_renders_in_flight").await, Some(1.0));

    assert_eq!(slow.await.unwrap(), 200);
    server
        .get("/forest.jpg?w=41&fm=jpg")
        .await
        .assert_status(200);
    let refusals = "pixgate_requests_total{route=\"image\",status=\"503\"}";
    assert_eq!(server.metric(refusals).await, Some(1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_past_its_timeout_is_503_and_its_worker_comes_back() {
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.limits.render_workers = 1;
    config.limits.render_queue = 4;
    config.limits.render_timeout = Duration::from_millis(20);
    let server = TestServer::start(config).await;

    let late = server.get(SLOW).await;
    late.assert_error(503, "render_timeout");
    assert!(late.header("retry-after").is_some());
    // The abandoned render stops at its next checkpoint and frees the one worker.
    server.await_metric("pixgate_renders_in_flight", 0.0).await;
    assert_eq!(server.metric("pixgate_render_queue_depth").await, Some(0.0));
    // Nothing was cached.
    let derivatives = "pixgate_cache_entries{cache=\"derivatives\"}";
    assert_eq!(server.metric(derivatives).await, Some(0.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_render_timeout_quick_renders_still_succeed() {
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.limits.render_workers = 1;
    config.limits.render_timeout = Duration::from_millis(300);
    let server = TestServer::start(config).await;
    server.get(SLOW).await.assert_error(503, "render_timeout");
    // Queued behind the abandoned render until it stops, then rendered in time.
    server.get(QUICK).await.assert_image("jpeg");
}

// ---------------------------------------------------------------------------------------------
// Deadlines and caps on what clients send
// ---------------------------------------------------------------------------------------------

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

/// The head deadline is total: a byte every 200 ms keeps the connection busy, not alive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trickling_its_head_is_disconnected_at_the_deadline() {
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.server.header_timeout = Duration::from_secs(1);
    let server = TestServer::start(config).await;

    let stream = TcpStream::connect(server.addr()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        let head = b"GET /forest.jpg HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        for byte in head {
            if writer.write_all(&[*byte]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    });
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), reader.read_to_end(&mut got)).await;
    assert!(
        read.is_ok(),
        "the server kept the trickling connection open"
    );
    assert!(!String::from_utf8_lossy(&got).contains("200 OK"));
    trickle.abort();
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

// ---------------------------------------------------------------------------------------------
// Health, readiness, metrics, request ids
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_turns_503_naming_the_source_whose_root_disappeared() {
    let (kept, doomed) = (forest_root(), Root::new());
    let mut gone = doomed.source("gone");
    gone.prefix = "/gone".into();
    let server = TestServer::start(config(vec![kept.source("kept"), gone])).await;

    let ready = server.get("/_pixgate/ready").await;
    ready.assert_status(200);
    assert_eq!(ready.json()["status"], "ready");

    std::fs::remove_dir_all(doomed.path()).unwrap();
    let ready = server.get("/_pixgate/ready").await;
    ready.assert_status(503);
    let json = ready.json();
    assert_eq!(json["status"], "unavailable");
    let sources = json["sources"].as_array().unwrap();
    let failing: Vec<&str> = sources
        .iter()
        .filter(|s| s["ready"] == false)
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(failing, ["gone"]);
    // The reason names no path.
    let text = ready.text();
    assert!(
        !text.contains(&doomed.path().display().to_string()),
        "{text}"
    );
    // Liveness is about the process, not the sources.
    server.get("/_pixgate/health").await.assert_status(200);
    server.get(QUICK).await.assert_status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_carry_the_named_series() {
    let root = forest_root();
    let mut source = root.source("demo");
    source.md5_tokens = vec!["t".into()];
    source.private_prefixes = vec!["private/".into()];
    root.put_fixture("private/p.jpg", "forest-800x500.jpg");
    let server = TestServer::start(config(vec![source])).await;
    server.get(QUICK).await.assert_status(200);
    let hit = server.get(QUICK).await;
    hit.assert_status(200);
    let body_bytes = hit.body.len();
    server
        .get("/private/p.jpg?w=10&s=00000000000000000000000000000000")
        .await
        .assert_error(403, "signature_invalid");
    server
        .get("/private/p.jpg?w=10")
        .await
        .assert_error(403, "signature_required");
    // A bad transform parameter shares the `bad_parameter` code but is no signature refusal.
    server
        .get("/forest.jpg?w=-5")
        .await
        .assert_error(400, "bad_parameter");

    let text = server.metrics().await;
    for series in [
        "pixgate_requests_total{route=\"image\",status=\"200\"} 2",
        "pixgate_requests_total{route=\"image\",status=\"403\"} 2",
        "pixgate_signatures_rejected_total{reason=\"signature_invalid\"} 1",
        "pixgate_signatures_rejected_total{reason=\"signature_required\"} 1",
        "pixgate_signatures_rejected_total{reason=\"bad_parameter\"} 0",
        "pixgate_requests_total{route=\"image\",status=\"400\"} 1",
        "pixgate_render_queue_depth 0",
        "pixgate_renders_in_flight 0",
        "pixgate_renders_total 1",
        "pixgate_cache_hits_total{cache=\"derivatives\"} 1",
        "# TYPE pixgate_stage_seconds histogram",
        "pixgate_stage_seconds_count{stage=\"decode\"} 1",
        "pixgate_stage_seconds_count{stage=\"resize\"} 1",
        "pixgate_stage_seconds_count{stage=\"encode\"} 1",
        "pixgate_stage_seconds_count{stage=\"source_read\"} 1",
        "pixgate_stage_seconds_count{stage=\"verify\"} 5",
        "pixgate_stage_seconds_count{stage=\"total\"} 5",
        "# TYPE pixgate_served_bytes_total counter",
    ] {
        assert!(text.has_line(series), "no `{series}` in\n{}", text.0);
    }
    let served = text.count("pixgate_served_bytes_total") as usize;
    assert!(served >= 2 * body_bytes, "{served} bytes served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_its_request_id_and_errors_repeat_it() {
    let root = forest_root();
    let server = TestServer::start(config(vec![root.source("demo")])).await;

    let ok = server.get(QUICK).await;
    let id = ok.header("x-request-id").unwrap().to_string();
    assert!(id.starts_with("req_"), "{id}");
    let other = server.get(QUICK).await;
    assert_ne!(other.header("x-request-id"), Some(id.as_str()));

    let missing = server.get("/nope.jpg?w=10").await;
    missing.assert_error(404, "not_found");
    let id = missing.header("x-request-id").unwrap();
    assert_eq!(missing.json()["meta"]["request_id"], id);

    // A CDN's id is kept when it is a plain token, replaced when it is not.
    let given = server
        .get_with("/nope.jpg", &[("x-request-id", "cdn-42.abc:1")])
        .await;
    assert_eq!(given.header("x-request-id"), Some("cdn-42.abc:1"));
    assert_eq!(given.json()["meta"]["request_id"], "cdn-42.abc:1");
    let forged = server
        .get_with("/nope.jpg", &[("x-request-id", "a b\"c")])
        .await;
    assert!(forged.header("x-request-id").unwrap().starts_with("req_"));
    // API answers too.
    let health = server.get("/_pixgate/health").await;
    assert!(health.header("x-request-id").is_some());
}

// ---------------------------------------------------------------------------------------------
// Graceful shutdown
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_an_in_flight_request_finish_and_refuses_new_connections() {
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.server.shutdown_timeout = Duration::from_secs(300);
    config.limits.render_timeout = Duration::from_secs(300);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = pixgate::server::AppState::new(config, pixgate::server::system_clock()).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(pixgate::server::run(listener, state.clone(), async {
        let _ = stopped.await;
    }));

    let in_flight = tokio::spawn(async move {
        let reply = reqwest::get(format!("http://{addr}{SLOW}")).await.unwrap();
        (reply.status().as_u16(), reply.bytes().await.unwrap().len())
    });
    while state.render_pool.in_flight() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.send(()).unwrap();
    let finished = tokio::time::timeout(Duration::from_secs(300), server).await;
    let (status, len) = in_flight.await.unwrap();
    assert_eq!(status, 200);
    assert!(len > 0);
    assert!(matches!(finished, Ok(Ok(Ok(())))), "{finished:?}");
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_exits_0_on_sigterm_and_logs_requests_as_json_without_signatures() {
    let root = forest_root();
    let dir = tempfile::tempdir().unwrap();
    let toml = TomlParts {
        sections: "[log]\nformat = \"json\"",
        source: "md5_tokens = [\"t\"]",
        ..TomlParts::default()
    };
    let (mut daemon, addr) = Daemon::serve_root(dir.path(), root.path(), "demo", toml);

    let signed = md5_url("t", "/forest.jpg", "w=12");
    let signature = signed.rsplit_once("s=").unwrap().1.to_string();
    let reply: Reply = raw_request(addr, "GET", &signed, &[("x-request-id", "trace-7")]).await;
    reply.assert_status(200);
    let lines = daemon.wait_for_lines(1, Duration::from_secs(30), |line| {
        let line = strip_ansi(line);
        let json: serde_json::Value = serde_json::from_str(&line).ok()?;
        (json["fields"]["request_id"] == "trace-7").then_some(line)
    });
    let access: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let fields = &access["fields"];
    assert_eq!(fields["status"], 200, "{access}");
    assert_eq!(fields["source"], "demo", "{access}");
    assert_eq!(fields["cache"], "MISS", "{access}");
    assert_eq!(fields["method"], "GET", "{access}");
    assert!(fields["bytes"].as_u64().unwrap() > 0, "{access}");
    assert!(fields["ms"].as_f64().is_some(), "{access}");
    assert!(!lines[0].contains(&signature), "{}", lines[0]);

    let status = daemon.terminate(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// A client that requests a large file and never reads it is disconnected once the answer has
/// made no progress for `server.send_timeout`; one that reads, however slowly, is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_cut_at_the_send_deadline() {
    const SIZE: usize = 32 * 1024 * 1024;
    let root = Root::new();
    // Incompressible, so no layer in between can make it small.
    root.put("big.bin", &noise(SIZE, 1));
    let mut config = config(vec![root.source("demo")]);
    config.server.send_timeout = Duration::from_secs(1);
    let server = TestServer::start(config).await;

    let mut stalled = TcpStream::connect(server.addr()).await.unwrap();
    stalled
        .write_all(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // Socket buffers fill within moments; the deadline runs from there.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut received = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match stalled.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the connection was still open");
    assert!(
        received.len() < SIZE,
        "all {} bytes arrived: the answer was never cut",
        received.len()
    );

    // A reader taking the same answer steadily gets all of it.
    let whole = server.get("/big.bin").await;
    whole.assert_status(200);
    assert_eq!(whole.body.len(), SIZE);
}
