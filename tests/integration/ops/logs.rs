//! The access log as log shippers read it: with `[log] format = "json"` one object per line
//! with every field at the top level (Loki's and Elasticsearch's JSON parsers read no nesting),
//! and the W3C trace id of each request — the caller's `traceparent`'s when it is valid, else
//! a fresh one — so pixgate's line joins the caller's trace.

use std::time::Duration;

use serde_json::Value;

use super::forest_root;
use crate::support::binary::{Daemon, TomlParts, strip_ansi};
use crate::support::wire::raw_request;

const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_carry_fields_at_the_top_level_and_a_trace_id_kept_or_created() {
    let root = forest_root();
    let dir = tempfile::tempdir().unwrap();
    let toml = TomlParts {
        sections: "[log]\nformat = \"json\"",
        ..TomlParts::default()
    };
    let (mut daemon, addr) = Daemon::serve_root(dir.path(), root.path(), "demo", toml);

    let valid = format!("00-{TRACE}-b7ad6b7169203331-01");
    let invalid = format!("00-{}-b7ad6b7169203331-01", "0".repeat(32));
    let sent: [(&str, Option<&str>); 3] = [
        ("kept", Some(&valid)),
        ("created", None),
        ("restarted", Some(&invalid)),
    ];
    for (id, traceparent) in sent {
        let mut headers = vec![("x-request-id", id)];
        headers.extend(traceparent.map(|t| ("traceparent", t)));
        raw_request(addr, "GET", "/forest.jpg?w=10", &headers)
            .await
            .assert_status(200);
    }
    let lines = daemon.wait_for_lines(3, Duration::from_secs(30), |line| {
        let json: Value = serde_json::from_str(&strip_ansi(line)).ok()?;
        let id = json["request_id"].as_str()?;
        ["kept", "created", "restarted"]
            .contains(&id)
            .then(|| line.to_string())
    });
    let by_id = |id: &str| -> Value {
        lines
            .iter()
            .map(|l| serde_json::from_str::<Value>(&strip_ansi(l)).unwrap())
            .find(|json| json["request_id"] == id)
            .unwrap()
    };

    let kept = by_id("kept");
    assert_eq!(kept["message"], "request", "{kept}");
    assert_eq!(kept["target"], "pixgate::access", "{kept}");
    assert_eq!(kept["level"], "INFO", "{kept}");
    assert_eq!(kept["uri"], "/forest.jpg?w=10", "{kept}");
    assert_eq!(kept["status"], 200, "{kept}");
    assert_eq!(kept["source"], "demo", "{kept}");
    assert!(kept["timestamp"].is_string(), "{kept}");
    assert!(kept.get("fields").is_none(), "{kept}");
    assert!(kept.get("span").is_none() && kept.get("spans").is_none());
    assert_eq!(kept["trace_id"], TRACE, "{kept}");

    let created = by_id("created")["trace_id"].as_str().unwrap().to_string();
    let restarted = by_id("restarted")["trace_id"].as_str().unwrap().to_string();
    for id in [&created, &restarted] {
        assert_eq!(id.len(), 32, "{id}");
        assert!(
            id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "{id}"
        );
        assert_ne!(id.as_str(), "0".repeat(32));
        assert_ne!(id, TRACE);
    }
    assert_ne!(created, restarted);
    daemon.terminate(Duration::from_secs(30));
}
