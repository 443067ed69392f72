//! What an operator sees: `/_pixgate/ready` naming the source that failed, the series of
//! `/_pixgate/metrics`, and the request id every answer carries and every error repeats.

use super::{QUICK, forest_root};
use crate::support::roots::{Root, config};
use crate::support::server::TestServer;

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
    let server = TestServer::serving(&root).await;

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
