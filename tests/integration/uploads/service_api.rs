//! The service API (contract §6) for uploads: `POST /_pixgate/signatures` hands out signed URLs
//! to holders of a source's HMAC key, and `GET /_pixgate/files/{id}` reads back File objects,
//! each source seeing only its own. Signatures are checked with the suite's own HMAC.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::images::{decode, gradient_png};
use crate::support::reply::Reply;
use crate::support::roots::{NOW, Root, config};
use crate::support::server::TestServer;
use crate::support::signing::hmac_signed;
use crate::uploads::{KEY, assert_file, local, put, up_source};

/// The second source: prefix `/shop`, its own key, URLs living at most two hours.
const SHOP_KEY: &str = "shop-key";

/// `up` (no prefix, [`KEY`]) and `shop` (`/shop`, [`SHOP_KEY`]), clock at [`NOW`].
async fn server() -> (Root, Root, TestServer) {
    let (up_root, shop_root) = (Root::new(), Root::new());
    let mut shop = shop_root.source("shop");
    shop.prefix = "/shop".into();
    shop.hmac_keys = vec![SHOP_KEY.into()];
    shop.max_ttl = Some(Duration::from_secs(2 * 3600));
    let server = TestServer::start_at(config(vec![up_source(&up_root), shop]), NOW).await;
    (up_root, shop_root, server)
}

/// `POST /_pixgate/signatures` with `body` and, if given, `Authorization: <authorization>`.
async fn sign(server: &TestServer, authorization: Option<&str>, body: &str) -> Reply {
    let mut headers = vec![("content-type", "application/json")];
    headers.extend(authorization.map(|value| ("authorization", value)));
    let body = body.as_bytes().to_vec();
    server
        .send("POST", "/_pixgate/signatures", &headers, body)
        .await
}

/// `data` of a 201 from the signatures endpoint, after checking that its `url` is
/// `http://<domain><path>?<query>&signature=<signature>` with the signature this suite computes
/// for `key`.
#[track_caller]
fn signed(reply: &Reply, server: &TestServer, key: &str, path: &str) -> Value {
    reply.assert_status(201);
    let json = reply.json();
    assert_eq!(json["error"], Value::Null, "{json}");
    let data = json["data"].clone();
    let domain = server.base().replace("http://", "");
    assert_eq!(data["domain"], domain, "{json}");
    let url = data["url"].as_str().unwrap();
    let target = local(server, url);
    let (url_path, query) = target.split_once('?').unwrap();
    assert_eq!(url_path, path, "{json}");
    let (unsigned, signature) = query.rsplit_once("&signature=").unwrap();
    assert_eq!(data["signature"], signature, "{json}");
    assert_eq!(hmac_signed(key, path, unsigned), query, "{json}");
    let tail = format!(
        "expiry={}&method={}",
        data["expiry"],
        data["method"].as_str().unwrap()
    );
    assert!(unsigned.ends_with(&tail), "{url} does not end with {tail}");
    data
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_needs_a_bearer_key_that_some_source_holds() {
    let (_up, _shop, server) = server().await;
    let body = r#"{"filename": "a.png"}"#;
    let file = "/_pixgate/files/file_00000000000000000000";
    for authorization in [
        None,
        Some("Basic dXA6a2V5"),
        Some("Bearer"),
        Some("Bearer "),
        Some(KEY),
    ] {
        let replies = [
            sign(&server, authorization, body).await,
            server
                .get_with(file, authorization.map(|a| ("authorization", a)).as_slice())
                .await,
        ];
        for reply in replies {
            reply.assert_error(401, "unauthorized");
            let challenge = reply.header("www-authenticate").unwrap_or("");
            assert!(
                challenge.starts_with("Bearer"),
                "{authorization:?}: {challenge:?}"
            );
        }
    }
    // An MD5 token is not an API key.
    for key in ["not-a-key", "up-token"] {
        let authorization = bearer(key);
        sign(&server, Some(&authorization), body)
            .await
            .assert_error(403, "forbidden");
        server
            .get_with(file, &[("authorization", &authorization)])
            .await
            .assert_error(403, "forbidden");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_signature_uploads_to_its_folder_and_filename() {
    let (up_root, _shop, server) = server().await;
    let body = r#"{"filename": "cat.png", "folder": "photos/2024", "method": "put"}"#;
    let reply = sign(&server, Some(&bearer(KEY)), body).await;
    let data = signed(&reply, &server, KEY, "/photos/2024/cat.png");
    assert_eq!(data["filename"], "cat.png");
    assert_eq!(data["folder"], "photos/2024");
    assert_eq!(data["method"], "put");
    assert_eq!(data["expiry"], NOW + 3600);

    let bytes = gradient_png(64, 40);
    let target = local(&server, data["url"].as_str().unwrap());
    let reply = server.send("PUT", &target, &[], bytes.clone()).await;
    let file = assert_file(&reply, &up_root, "photos/2024/cat.png", &bytes);
    assert_eq!(file["width"], 64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_signature_is_the_default_and_downloads_until_its_expiry() {
    let (up_root, _shop, server) = server().await;
    let bytes = gradient_png(64, 40);
    assert_file(
        &put(&server, "/photos/cat.png", &bytes).await,
        &up_root,
        "photos/cat.png",
        &bytes,
    );

    let reply = sign(
        &server,
        Some(&bearer(KEY)),
        r#"{"filename": "cat.png", "folder": "photos"}"#,
    )
    .await;
    let data = signed(&reply, &server, KEY, "/photos/cat.png");
    assert_eq!(data["method"], "get");
    assert_eq!(data["expiry"], NOW + 3600);
    let got = server
        .get(&local(&server, data["url"].as_str().unwrap()))
        .await;
    got.assert_status(200);
    assert_eq!(got.body, bytes);

    let body = json!({"filename": "cat.png", "folder": "photos", "expiry": NOW + 60}).to_string();
    let data = signed(
        &sign(&server, Some(&bearer(KEY)), &body).await,
        &server,
        KEY,
        "/photos/cat.png",
    );
    assert_eq!(data["expiry"], NOW + 60);
    let target = local(&server, data["url"].as_str().unwrap());
    server.get(&target).await.assert_status(200);
    server.set_now(NOW + 61);
    server.get(&target).await.assert_error(403, "expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn params_are_signed_into_the_url_and_take_effect() {
    let (up_root, _shop, server) = server().await;
    up_root.put("cat.png", &gradient_png(64, 40));
    let cases = [
        (json!({"w": 20}), "png"),
        (json!({"w": 20, "fm": "webp"}), "webp"),
    ];
    for (params, kind) in cases {
        let body = json!({"filename": "cat.png", "params": params}).to_string();
        let data = signed(
            &sign(&server, Some(&bearer(KEY)), &body).await,
            &server,
            KEY,
            "/cat.png",
        );
        let url = data["url"].as_str().unwrap();
        for (name, value) in params.as_object().unwrap() {
            let pair = format!(
                "{name}={}",
                value.as_str().map_or(value.to_string(), str::to_string)
            );
            let query = url.split_once('?').unwrap().1;
            assert!(query.split('&').any(|p| p == pair), "{url} lacks {pair}");
        }
        let reply = server.get(&local(&server, url)).await;
        reply.assert_image(kind);
        assert_eq!(decode(&reply.body).width(), 20, "{url}");
    }
}

/// The folder sits between the source's prefix and the filename; none means the top level.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_url_path_is_prefix_folder_and_filename() {
    let (_up, shop_root, server) = server().await;
    let cases = [
        (KEY, json!({"filename": "a.png"}), "", "/a.png"),
        (
            KEY,
            json!({"filename": "a.png", "folder": "x"}),
            "x",
            "/x/a.png",
        ),
        (
            KEY,
            json!({"filename": "a.png", "folder": "x/y"}),
            "x/y",
            "/x/y/a.png",
        ),
        (SHOP_KEY, json!({"filename": "a.png"}), "", "/shop/a.png"),
        (
            SHOP_KEY,
            json!({"filename": "a.png", "folder": "x"}),
            "x",
            "/shop/x/a.png",
        ),
    ];
    for (key, body, folder, path) in cases {
        let reply = sign(&server, Some(&bearer(key)), &body.to_string()).await;
        let data = signed(&reply, &server, key, path);
        assert_eq!(data["folder"], folder, "{body}");
        assert_eq!(data["filename"], "a.png", "{body}");
    }
    // A shop URL uploads into the shop's root.
    let body = json!({"filename": "a.png", "folder": "x", "method": "put"}).to_string();
    let data = signed(
        &sign(&server, Some(&bearer(SHOP_KEY)), &body).await,
        &server,
        SHOP_KEY,
        "/shop/x/a.png",
    );
    let bytes = gradient_png(20, 10);
    let target = local(&server, data["url"].as_str().unwrap());
    let reply = server.send("PUT", &target, &[], bytes.clone()).await;
    assert_file(&reply, &shop_root, "x/a.png", &bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_signature_requests_are_bad_parameter() {
    let (_up, _shop, server) = server().await;
    let past = NOW - 1;
    let cases = [
        (KEY, "{".to_string()),
        (KEY, String::new()),
        (KEY, "[]".to_string()),
        (KEY, "{}".to_string()),
        (KEY, r#"{"filename": 5}"#.to_string()),
        (KEY, r#"{"filename": ""}"#.to_string()),
        (KEY, r#"{"filename": "a/b.png"}"#.to_string()),
        (KEY, r#"{"filename": ".."}"#.to_string()),
        (KEY, r#"{"filename": ".pixgate"}"#.to_string()),
        (
            KEY,
            r#"{"filename": "a.png", "folder": "../x"}"#.to_string(),
        ),
        (
            KEY,
            r#"{"filename": "a.png", "folder": "x/../y"}"#.to_string(),
        ),
        (
            KEY,
            r#"{"filename": "a.png", "folder": ".pixgate/uploads"}"#.to_string(),
        ),
        (
            KEY,
            r#"{"filename": "a.png", "method": "delete"}"#.to_string(),
        ),
        (
            KEY,
            r#"{"filename": "a.png", "expiry": "soon"}"#.to_string(),
        ),
        (KEY, format!(r#"{{"filename": "a.png", "expiry": {past}}}"#)),
        // Beyond the shop's max_ttl of two hours.
        (
            SHOP_KEY,
            format!(r#"{{"filename": "a.png", "expiry": {}}}"#, NOW + 7201),
        ),
    ];
    for (key, body) in cases {
        let reply = sign(&server, Some(&bearer(key)), &body).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text());
        reply.assert_error(400, "bad_parameter");
    }
    // Within the shop's max_ttl is fine.
    let body = json!({"filename": "a.png", "expiry": NOW + 7200}).to_string();
    sign(&server, Some(&bearer(SHOP_KEY)), &body)
        .await
        .assert_status(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_record_is_read_with_its_own_sources_key_only() {
    let (up_root, _shop, server) = server().await;
    let bytes = gradient_png(64, 40);
    let file = assert_file(
        &put(&server, "/p/cat.png", &bytes).await,
        &up_root,
        "p/cat.png",
        &bytes,
    );
    let id = file["id"].as_str().unwrap();
    let target = format!("/_pixgate/files/{id}");

    let reply = server
        .get_with(&target, &[("authorization", &bearer(KEY))])
        .await;
    reply.assert_status(200);
    let json = reply.json();
    assert_eq!(json["data"], file);
    assert_eq!(json["error"], Value::Null);
    assert_eq!(json["links"]["self"], target);

    server.get(&target).await.assert_error(401, "unauthorized");
    server
        .get_with(&target, &[("authorization", &bearer("wrong"))])
        .await
        .assert_error(403, "forbidden");
    // Another source's key does not learn that the file exists.
    server
        .get_with(&target, &[("authorization", &bearer(SHOP_KEY))])
        .await
        .assert_error(404, "not_found");
    for unknown in ["file_00000000000000000000", "nonsense", "file_"] {
        server
            .get_with(
                &format!("/_pixgate/files/{unknown}"),
                &[("authorization", &bearer(KEY))],
            )
            .await
            .assert_error(404, "not_found");
    }
}
