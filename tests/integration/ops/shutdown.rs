//! Graceful shutdown: in-flight requests finish and new connections are refused; the binary
//! exits 0 on SIGTERM, having logged each request as one JSON line without its signature, and
//! at once (status 1) on a second SIGTERM during the drain.
use std::time::Duration;

use tokio::net::TcpStream;

use super::{SLOW, forest_root};
use crate::support::binary::{Daemon, TomlParts, strip_ansi};
use crate::support::reply::Reply;
use crate::support::roots::config;
use crate::support::signing::md5_url;
use crate::support::wait::eventually;
use crate::support::wire::raw_request;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_an_in_flight_request_finish_and_refuses_new_connections() {
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.server.shutdown_timeout = Duration::from_secs(300);
    config.limits.render_timeout = Duration::from_secs(300);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = pixgate::app::AppState::new(config, pixgate::app::system_clock()).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let signal = futures_util::stream::once(async {
        let _ = stopped.await;
    });
    let server = tokio::spawn(pixgate::http::run(listener, state.clone(), signal));

    let in_flight = tokio::spawn(async move {
        let reply = reqwest::get(format!("http://{addr}{SLOW}")).await.unwrap();
        (reply.status().as_u16(), reply.bytes().await.unwrap().len())
    });
    eventually("the slow render in flight", async || {
        let in_flight = state.pipeline.render_pool().in_flight();
        (in_flight > 0, in_flight)
    })
    .await;
    stop.send(()).unwrap();
    let finished = tokio::time::timeout(Duration::from_secs(300), server).await;
    let (status, len) = in_flight.await.unwrap();
    assert_eq!(status, 200);
    assert!(len > 0);
    assert!(
        matches!(finished, Ok(Ok(Ok(pixgate::http::Stopped::Drained)))),
        "{finished:?}"
    );
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
        (json["request_id"] == "trace-7").then_some(line)
    });
    let access: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let fields = &access;
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

/// A drain that would take minutes (a render in flight, `shutdown_timeout` of 300 s) ends at
/// once on a second SIGTERM: exit status 1, with a log line saying what was cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigterm_exits_at_once_saying_what_was_cut() {
    let root = forest_root();
    let dir = tempfile::tempdir().unwrap();
    let toml = TomlParts {
        server: "shutdown_timeout = \"300s\"",
        sections: "[limits]\nrender_timeout = \"300s\"",
        ..TomlParts::default()
    };
    let (mut daemon, addr) = Daemon::serve_root(dir.path(), root.path(), "demo", toml);
    let slow = tokio::spawn(async move { raw_request(addr, "GET", SLOW, &[]).await });
    // The render has begun once the metrics show a worker busy.
    eventually("the slow render in flight", async || {
        let metrics = raw_request(addr, "GET", "/_pixgate/metrics", &[]).await;
        let text = String::from_utf8_lossy(&metrics.body).into_owned();
        let busy = text
            .lines()
            .any(|l| l.starts_with("pixgate_renders_in_flight ") && !l.ends_with(" 0"));
        (busy, "no render in flight".to_string())
    })
    .await;
    daemon.signal("TERM");
    daemon.wait_for_lines(1, Duration::from_secs(30), |line| {
        line.contains("shutting down").then(|| line.to_string())
    });
    assert!(daemon.exited().is_none(), "exited before the drain");
    daemon.signal("TERM");
    let status = daemon.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(1), "{status:?}");
    let cut = daemon.wait_for_lines(1, Duration::from_secs(5), |line| {
        line.contains("second shutdown signal")
            .then(|| strip_ansi(line))
    });
    assert!(cut[0].contains("cut=1"), "{}", cut[0]);
    slow.abort();
}
