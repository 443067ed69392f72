//! `GET /_pixgate/openapi.json`: the built-in copy of `docs/openapi.json`, served as JSON, an
//! OpenAPI 3.1 document whose error codes are exactly docs/errors.md's table, status by
//! status. That the routes are its paths is a unit test beside the endpoint table
//! (`src/http/endpoints.rs`); that the server answers as it says is `scripts/schemathesis.sh`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::support::roots::Root;
use crate::support::server::TestServer;

fn repo_file(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn document() -> Value {
    serde_json::from_str(&repo_file("docs/openapi.json")).expect("docs/openapi.json is JSON")
}

/// docs/errors.md's table: status → the codes of its rows, in order.
fn error_table() -> BTreeMap<String, Vec<String>> {
    let mut table: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in repo_file("docs/errors.md").lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, status, codes, ..] = cells.as_slice() else {
            continue;
        };
        if status.len() != 3 || !status.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let quoted = codes.split('`').skip(1).step_by(2).map(str::to_string);
        table.entry(status.to_string()).or_default().extend(quoted);
    }
    table
}

fn strings(list: &Value) -> Vec<String> {
    let items = list
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"));
    items
        .iter()
        .map(|item| item.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_serves_docs_openapi_json_as_json() {
    let root = Root::new();
    let server = TestServer::serving(&root).await;
    let reply = server.get("/_pixgate/openapi.json").await;
    reply.assert_status(200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.body, repo_file("docs/openapi.json").as_bytes());
    let served: Value = serde_json::from_slice(&reply.body).unwrap();
    let version = served["openapi"].as_str().unwrap_or("");
    assert!(version.starts_with("3.1."), "openapi {version:?}");

    let head = server.request("HEAD", "/_pixgate/openapi.json", &[]).await;
    head.assert_status(200);
    assert!(head.body.is_empty());
    let post = server
        .send("POST", "/_pixgate/openapi.json", &[], Vec::new())
        .await;
    post.assert_error(405, "method_not_allowed");
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
}

#[test]
fn the_error_codes_are_those_of_docs_errors_md_status_by_status() {
    let table = error_table();
    let spec = document();
    let schemas = &spec["components"]["schemas"];
    let documented: BTreeSet<String> = table.values().flatten().cloned().collect();
    assert!(documented.len() > 30, "errors.md's table was not read");
    let listed = strings(&schemas["ErrorCode"]["enum"]);
    let in_enum: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(in_enum.len(), listed.len(), "a code listed twice");
    assert_eq!(in_enum, documented, "ErrorCode against docs/errors.md");

    // Each status's error schema narrows `code` to that status's rows of the table.
    let paths = spec["paths"].to_string();
    for (status, codes) in &table {
        let schema = &schemas[format!("Error{status}")];
        let narrowed =
            strings(&schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"]);
        assert_eq!(&narrowed, codes, "Error{status}");
        assert_eq!(schema["allOf"][0]["$ref"], "#/components/schemas/Error");
        // … and some operation answers it.
        let answered = [
            format!("\"#/components/responses/Error{status}\""),
            format!("\"#/components/schemas/Error{status}\""),
        ];
        assert!(
            answered.iter().any(|r| paths.contains(r.as_str())),
            "no operation answers Error{status}"
        );
    }
    let per_status = schemas
        .as_object()
        .unwrap()
        .keys()
        .filter(|name| name.len() == 8 && name.starts_with("Error"))
        .count();
    assert_eq!(
        per_status,
        table.len(),
        "an Error schema of a status errors.md lacks"
    );
}
