//! Signed uploads (contract §5, §6): whole files in one `PUT`, resumable chunks with
//! `Content-Range`, what is refused and that a refusal, a failure or a disconnect never changes
//! what is stored, garbage collection of abandoned uploads, and restarts. This file holds what
//! the submodules share: the source they upload to, request builders and the checks of the two
//! answers (201 File, 202 upload status); the service API that hands out upload URLs and reads
//! back File objects is `service_api`, its OpenAPI document `openapi`.

mod access;
mod openapi;
mod paths;
mod restart;
mod resumable;
mod resumable_errors;
mod service_api;
mod single;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use pixgate::config::SourceConfig;
use serde_json::Value;

use crate::support::reply::Reply;
use crate::support::roots::{Root, files_under};
use crate::support::server::TestServer;
use crate::support::signing::hmac_url;
use crate::support::wire::raw_request;

/// The HMAC key of the `up` source; it signs every upload URL unless a test says otherwise.
pub const KEY: &str = "up-key";
/// The MD5 token of the `up` source.
pub const TOKEN: &str = "up-token";
/// [`crate::support::NOW`] in RFC 3339.
pub const NOW_RFC3339: &str = "2025-12-10T11:33:20Z";

/// A non-secure source named `up` over `root` holding both secrets.
pub fn up_source(root: &Root) -> SourceConfig {
    let mut source = root.source("up");
    source.hmac_keys = vec![KEY.into()];
    source.md5_tokens = vec![TOKEN.into()];
    source
}

/// `path` signed with [`KEY`] for `method=put`.
pub fn put_url(path: &str) -> String {
    hmac_url(KEY, path, "method=put")
}

/// A whole-file `PUT` of `body` to `path` through a `method=put` URL.
pub async fn put(server: &TestServer, path: &str, body: &[u8]) -> Reply {
    server.send("PUT", &put_url(path), &[], body.to_vec()).await
}

/// One chunk: `PUT` of `body` to `path` with `Content-Range: content_range`.
pub async fn put_range(server: &TestServer, path: &str, content_range: &str, body: &[u8]) -> Reply {
    let headers = [("content-range", content_range)];
    server
        .send("PUT", &put_url(path), &headers, body.to_vec())
        .await
}

/// The status query: `Content-Range: bytes */total` with an empty body.
pub async fn status(server: &TestServer, path: &str, total: usize) -> Reply {
    put_range(server, path, &format!("bytes */{total}"), &[]).await
}

/// `bytes START-END/TOTAL` (END inclusive) for `bytes[start..=end]`, and that slice.
pub fn part(bytes: &[u8], start: usize, end: usize) -> (String, &[u8]) {
    let range = format!("bytes {start}-{end}/{}", bytes.len());
    (range, &bytes[start..=end])
}

/// Sends `bytes[start..=end]` of the upload of `bytes` to `path`.
pub async fn put_part(
    server: &TestServer,
    path: &str,
    bytes: &[u8],
    start: usize,
    end: usize,
) -> Reply {
    let (range, body) = part(bytes, start, end);
    put_range(server, path, &range, body).await
}

/// `url` as a path and query on `server`, failing unless it points there.
#[track_caller]
pub fn local(server: &TestServer, url: &str) -> String {
    url.strip_prefix(&server.base())
        .unwrap_or_else(|| panic!("{url} does not point at {}", server.base()))
        .to_string()
}

/// Checks a 201 answer to a complete upload of `bytes` at `key` (no leading slash): the
/// envelope, `Location`, the File fields that follow from the key and the bytes, the id's
/// format; and that the file on disk is exactly `bytes`. Returns `data`; kind, type and size are
/// the caller's to check.
#[track_caller]
pub fn assert_file(reply: &Reply, root: &Root, key: &str, bytes: &[u8]) -> Value {
    reply.assert_status(201);
    let json = reply.json();
    assert!(
        json["meta"]["request_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("req_")),
        "{json}"
    );
    assert_eq!(json["error"], Value::Null, "{json}");
    let data = json["data"].clone();
    let id = data["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {json}"));
    assert!(is_file_id(id), "id {id:?}");
    assert_eq!(
        json["links"]["self"],
        format!("/_pixgate/files/{id}"),
        "{json}"
    );
    assert_eq!(data["object"], "file", "{json}");
    assert_eq!(data["filesize"], bytes.len(), "{json}");
    let (folder, filename) = key.rsplit_once('/').unwrap_or(("", key));
    assert_eq!(data["filename"], filename, "{json}");
    assert_eq!(data["folder"], folder, "{json}");
    let url = data["url"]
        .as_str()
        .unwrap_or_else(|| panic!("no url: {json}"));
    assert_eq!(reply.header("location"), Some(url), "Location");
    for field in ["created", "updated"] {
        let time = data[field].as_str().unwrap_or("");
        assert!(is_rfc3339_utc(time), "{field} {time:?}");
    }
    assert_eq!(on_disk(root, key).as_deref(), Some(bytes), "{key} on disk");
    data
}

/// Checks a 202 answer for the upload of `total` bytes at `key`: the upload object, its
/// merged `ranges` (END inclusive), `received`, and the `Range` header (absent when empty).
#[track_caller]
pub fn assert_pending(reply: &Reply, key: &str, total: usize, ranges: &[(u64, u64)]) {
    reply.assert_status(202);
    let json = reply.json();
    assert_eq!(json["error"], Value::Null, "{json}");
    let data = &json["data"];
    assert_eq!(data["object"], "upload", "{json}");
    let (folder, filename) = key.rsplit_once('/').unwrap_or(("", key));
    assert_eq!(data["filename"], filename, "{json}");
    assert_eq!(data["folder"], folder, "{json}");
    assert_eq!(data["filesize"], total, "{json}");
    let want: Vec<Value> = ranges
        .iter()
        .map(|(start, end)| serde_json::json!({"start": start, "end": end}))
        .collect();
    assert_eq!(data["ranges"], Value::Array(want), "{json}");
    let received: u64 = ranges.iter().map(|(start, end)| end - start + 1).sum();
    assert_eq!(data["received"], received, "{json}");
    let header = (!ranges.is_empty()).then(|| {
        let list: Vec<String> = ranges.iter().map(|(s, e)| format!("{s}-{e}")).collect();
        format!("bytes={}", list.join(","))
    });
    assert_eq!(reply.header("range").map(str::to_string), header, "Range");
}

/// What a status answer says, for before/after comparisons: status, `data`, `Range`.
pub fn status_view(reply: &Reply) -> (u16, Value, Option<String>) {
    (
        reply.status,
        reply.json()["data"].clone(),
        reply.header("range").map(str::to_string),
    )
}

/// `file_` and 20 of `[0-9a-z]`.
pub fn is_file_id(id: &str) -> bool {
    id.strip_prefix("file_").is_some_and(|rest| {
        rest.len() == 20
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`.
pub fn is_rfc3339_utc(text: &str) -> bool {
    let Some(body) = text.strip_suffix('Z') else {
        return false;
    };
    let (seconds, fraction) = body.split_once('.').unwrap_or((body, "0"));
    let shape = "dddd-dd-ddTdd:dd:dd";
    seconds.len() == shape.len()
        && seconds.bytes().zip(shape.bytes()).all(|(b, s)| match s {
            b'd' => b.is_ascii_digit(),
            other => b == other,
        })
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// The file at `key` under `root`, if there is one.
pub fn on_disk(root: &Root, key: &str) -> Option<Vec<u8>> {
    std::fs::read(root.path().join(key)).ok()
}

/// Every file under `root` (relative path → length), pixgate's File store excepted: what an
/// upload that changes nothing must leave as it found. Files under `.pixgate/` count by name
/// only (length 0): how pending data is laid out is pixgate's business, a leftover temp file is
/// not.
pub fn tree(root: &Root) -> BTreeMap<String, u64> {
    let mut files = files_under(root.path());
    files.remove(".pixgate/files.redb");
    for (path, len) in &mut files {
        if path.starts_with(".pixgate/") {
            *len = 0;
        }
    }
    files
}

/// The files [`tree`] finds under `<root>/.pixgate/`: temp and pending upload data.
pub fn state_files(root: &Root) -> Vec<String> {
    tree(root)
        .into_keys()
        .filter(|path| path.starts_with(".pixgate/"))
        .collect()
}

/// The entries of `<root>/.pixgate/uploads/`, one per pending upload.
pub fn pending_uploads(root: &Root) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root.path().join(".pixgate/uploads")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `GET /_pixgate/files/{id}` with the `up` source's key, on a fresh connection to `addr` (a
/// `TestServer` or the binary).
pub async fn file_record(addr: SocketAddr, id: &str) -> Reply {
    let bearer = format!("Bearer {KEY}");
    let target = format!("/_pixgate/files/{id}");
    raw_request(addr, "GET", &target, &[("authorization", &bearer)]).await
}

/// The File without `url`, which follows the `Host` of each request: each instance, and each
/// run of the binary, has its own.
pub fn without_url(file: &Value) -> Value {
    let mut file = file.clone();
    file.as_object_mut().unwrap().remove("url");
    file
}
