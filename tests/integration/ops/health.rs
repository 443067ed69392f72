//! `pixgate health`, the container image's health check: exit 0 when the server answers
//! `/_pixgate/health` with 200, else exit 1 within its 2 s deadline with one line saying why,
//! for a closed port, a wrong answer and a peer that never answers.

use std::time::{Duration, Instant};

use crate::support::binary::run_pixgate;
use crate::support::roots::Root;
use crate::support::server::TestServer;

/// The probe's own deadline (2 s) plus a process start on a loaded machine.
const PROBE_BOUND: Duration = Duration::from_secs(5);

/// `pixgate health` with these arguments, off the async workers (the server under test runs
/// on them): (success, the stderr), failing past [`PROBE_BOUND`].
async fn health(args: Vec<String>) -> (bool, String) {
    let started = Instant::now();
    let (ok, _, stderr) = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_pixgate(&args, &[])
    })
    .await
    .unwrap();
    let took = started.elapsed();
    assert!(took < PROBE_BOUND, "pixgate health took {took:?}: {stderr}");
    (ok, stderr)
}

fn url_args(url: &str) -> Vec<String> {
    vec!["health".into(), "--url".into(), url.into()]
}

/// Fails unless the probe failed with exactly one line on stderr that contains `reason`.
#[track_caller]
fn assert_failed((ok, stderr): (bool, String), reason: &str) {
    assert!(!ok, "pixgate health succeeded: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.contains(reason), "{reason:?} in {stderr:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reads_the_listen_address_and_probes_an_unspecified_one_on_loopback() {
    let root = Root::new();
    let server = TestServer::serving(&root).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pixgate.toml");
    let toml = format!(
        "[server]\nlisten = \"0.0.0.0:{}\"\n\n[[sources]]\nname = \"demo\"\nroot = {:?}\n",
        server.addr().port(),
        root.path().display().to_string()
    );
    std::fs::write(&config, toml).unwrap();
    let args = vec![
        "health".into(),
        "--config".into(),
        config.display().to_string(),
    ];
    let (ok, stderr) = health(args).await;
    assert!(ok, "pixgate health: {stderr}");
    assert_eq!(stderr, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_fails_in_one_line_on_a_closed_port_and_on_a_wrong_answer() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/_pixgate/health", closed.local_addr().unwrap());
    drop(closed);
    assert_failed(health(url_args(&url)).await, &url);

    let root = Root::new();
    let server = TestServer::serving(&root).await;
    let url = format!("{}/_pixgate/healthy", server.base());
    assert_failed(health(url_args(&url)).await, "answered 404");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_gives_up_on_a_server_that_never_answers() {
    // Connections complete in the kernel's backlog; nobody accepts or answers them.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/_pixgate/health", silent.local_addr().unwrap());
    assert_failed(health(url_args(&url)).await, "no answer in time");
    drop(silent);
}
