//! What an operator sees: `/_pixgate/ready` naming the source that failed, the series of
//! `/_pixgate/metrics` (the process's own, latency by route, remote sources, uploads) in a
//! valid exposition, and the request id every answer carries and every error repeats.

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{QUICK, forest_root};
use crate::support::images::gradient_png;
use crate::support::remote::Origin;
use crate::support::roots::{NOW, Root, config, fixture};
use crate::support::server::{Metrics, TestServer};
use crate::uploads::{put, put_range, up_source};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_series_and_build_info_describe_the_running_server() {
    let root = forest_root();
    let server = TestServer::serving(&root).await;
    server.get(QUICK).await.assert_status(200);

    let text = server.metrics().await;
    let rss = text.count("process_resident_memory_bytes");
    assert!(rss > 1024 * 1024, "{rss} bytes resident");
    assert!(text.count("process_virtual_memory_bytes") >= rss);
    let open = text.count("process_open_fds");
    assert!(open >= 3, "{open} fds");
    assert!(text.count("process_max_fds") >= open);
    let cpu = text.value("process_cpu_seconds_total").unwrap();
    assert!(cpu > 0.0, "{cpu} CPU seconds after a render");
    // The tests' process started (it is the server here) within the last hour, not after now.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let started = text.value("process_start_time_seconds").unwrap();
    let age = now.as_secs_f64() - started;
    assert!((-1.0..3600.0).contains(&age), "started {age} s ago");
    for line in [
        "# TYPE process_cpu_seconds_total counter",
        "# TYPE process_start_time_seconds gauge",
        "# TYPE pixgate_build_info gauge",
    ] {
        assert!(text.has_line(line), "no `{line}` in\n{}", text.0);
    }
    let version = env!("CARGO_PKG_VERSION");
    let build = text
        .0
        .lines()
        .find(|l| l.starts_with("pixgate_build_info{"))
        .unwrap_or_else(|| panic!("no pixgate_build_info in\n{}", text.0));
    assert!(build.starts_with(&format!(
        "pixgate_build_info{{version=\"{version}\",rustc=\""
    )));
    assert!(build.ends_with(",nasm=\"false\"} 1"), "{build}");
    assert_valid_exposition(&text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_latency_is_counted_by_route_and_status_class() {
    let root = forest_root();
    let server = TestServer::serving(&root).await;
    server.get(QUICK).await.assert_status(200);
    server.get(QUICK).await.assert_status(200);
    server.get("/forest.jpg").await.assert_status(200);
    server
        .get("/nope.jpg?w=10")
        .await
        .assert_error(404, "not_found");
    server.get("/_pixgate/health").await.assert_status(200);

    let text = server.metrics().await;
    let name = "pixgate_http_request_duration_seconds";
    for (labels, count) in [
        ("route=\"transform\",status_class=\"2xx\"", 2),
        ("route=\"transform\",status_class=\"4xx\"", 1),
        ("route=\"passthrough\",status_class=\"2xx\"", 1),
        ("route=\"health\",status_class=\"2xx\"", 1),
    ] {
        assert_eq!(
            text.count(&format!("{name}_count{{{labels}}}")),
            count,
            "{labels}"
        );
        let inf = format!("{name}_bucket{{{labels},le=\"+Inf\"}}");
        assert_eq!(text.count(&inf), count, "{labels}");
        let sum = text.value(&format!("{name}_sum{{{labels}}}")).unwrap();
        assert!(sum > 0.0 && sum < 60.0, "{labels}: {sum} s");
    }
    // Nothing else happened, so nothing else is exposed; the scrape counts once it is answered.
    assert!(!text.0.contains("status_class=\"5xx\""), "{}", text.0);
    let again = server.metrics().await;
    let scrape = format!("{name}_count{{route=\"metrics\",status_class=\"2xx\"}}");
    assert_eq!(again.count(&scrape), 1);
    assert_valid_exposition(&again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_requests_are_counted_per_source_by_op_and_outcome() {
    let origin = Origin::start().await;
    origin.put("forest.jpg", &fixture("forest-800x500.jpg"));
    let local = forest_root();
    let mut kept = local.source("kept");
    kept.prefix = "/local".into();
    let server = TestServer::start(config(vec![kept, origin.source("web")])).await;
    server.get("/forest.jpg?w=40").await.assert_status(200);
    server
        .get("/missing.jpg?w=40")
        .await
        .assert_error(404, "not_found");

    let text = server.metrics().await;
    let series = |op: &str, outcome: &str| {
        let labels = format!("source=\"web\",op=\"{op}\",outcome=\"{outcome}\"");
        text.count(&format!("pixgate_upstream_requests_total{{{labels}}}"))
    };
    assert!(series("read", "ok") >= 1, "{}", text.0);
    assert_eq!(
        series("read", "ok") + series("version", "ok"),
        2,
        "{}",
        text.0
    );
    assert_eq!(
        series("read", "not_found") + series("version", "not_found"),
        1,
        "{}",
        text.0
    );
    assert_eq!(series("read", "error") + series("version", "timeout"), 0);
    let reads = text.count("pixgate_upstream_duration_seconds_count{source=\"web\",op=\"read\"}");
    let versions =
        text.count("pixgate_upstream_duration_seconds_count{source=\"web\",op=\"version\"}");
    assert_eq!(reads + versions, 3, "{}", text.0);
    // A local folder makes no upstream requests and has no series.
    assert!(!text.0.contains("source=\"kept\""), "{}", text.0);
    assert_valid_exposition(&text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_counted_by_outcome_with_the_bytes_stored() {
    let root = Root::new();
    let server = TestServer::start_at(config(vec![up_source(&root)]), NOW).await;
    let whole = gradient_png(16, 8);
    put(&server, "/whole.png", &whole).await.assert_status(201);
    let first = put_range(&server, "/chunked.bin", "bytes 0-4/10", b"01234").await;
    assert!(first.status < 300, "{}", first.status);
    let last = put_range(&server, "/chunked.bin", "bytes 5-9/10", b"56789").await;
    last.assert_status(201);
    let bad = put_range(&server, "/bad.bin", "bytes 9-2/10", b"x").await;
    bad.assert_status(400);
    // A status query carries no bytes and is not an upload.
    put_range(&server, "/chunked.bin", "bytes */10", b"").await;

    let text = server.metrics().await;
    for (outcome, n) in [
        ("complete", 2),
        ("partial", 1),
        ("refused", 1),
        ("failed", 0),
    ] {
        let series = format!("pixgate_uploads_total{{outcome=\"{outcome}\"}}");
        assert_eq!(text.count(&series), n, "{series}");
    }
    let bytes = text.count("pixgate_upload_bytes_total");
    assert_eq!(bytes, whole.len() as u64 + 10);
    assert_valid_exposition(&text);
}

/// Every sample belongs to a family announced by one `# HELP` and one `# TYPE` line before it,
/// no family is announced twice, and every value is a number.
#[track_caller]
fn assert_valid_exposition(text: &Metrics) {
    let (mut helped, mut typed) = (BTreeSet::new(), BTreeSet::new());
    let mut types = std::collections::BTreeMap::new();
    for line in text.0.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap();
            assert!(helped.insert(name.to_string()), "HELP {name} twice");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(typed.insert(name.to_string()), "TYPE {name} twice");
            types.insert(name.to_string(), kind.to_string());
        } else {
            let (series, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
            let name = series.split('{').next().unwrap();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| {
                    let base = name.strip_suffix(suffix)?;
                    (types.get(base).map(String::as_str) == Some("histogram")).then_some(base)
                })
                .unwrap_or(name);
            assert!(typed.contains(family), "{line}: no TYPE before it");
            assert!(helped.contains(family), "{line}: no HELP before it");
        }
    }
}
