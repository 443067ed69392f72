//! Error hygiene: what an error tells a client is about the client's request, never about the
//! machine. Every error answer of the tables in this module's siblings is checked against the
//! root path and the system temp folder as it is produced (`run_table`); here a server with a
//! deep root, secrets of both schemes, an HTTP origin that fails with distinctive bodies and S3
//! buckets that refuse or are gone answers every failure it has, and no body or header names a
//! path, a secret, the upstream's words, a panic or an internal address. Refusals of access
//! carry the JSON error and never image bytes, whatever else the request asks for.

use std::time::{SystemTime, UNIX_EPOCH};

use pixgate::config::{
    CredentialSource, HttpRoot, Root as ConfigRoot, S3Credentials, SourceConfig,
};
use url::Url;

use super::Forbidden;
use super::upstream::{FailingOrigin, INTERNAL, UPSTREAM_MARKER};
use crate::support::forge::png_claiming;
use crate::support::images::{gradient_png, image_kind};
use crate::support::remote::{
    BUCKET, S3_ACCESS_KEY, S3_SECRET_KEY, S3Server, closed_port, networks,
};
use crate::support::reply::Reply;
use crate::support::roots::{Root, config, fixture};
use crate::support::server::TestServer;
use crate::support::signing::{hmac_url, md5_url};

const TOKEN: &str = "md5-token-SECRET-51aa";
const KEY: &str = "hmac-key-SECRET-62bb";
const WRONG_S3_SECRET: &str = "s3-secret-WRONG-73cc";
const OUTSIDE_SECRET: &str = "OUTSIDE-SECRET-3b9f";
/// The last segment of the deep root.
const ROOT_NAME: &str = "root-7c1e";

/// A root several folders down a temp folder, beside a folder it must never show.
struct DeepRoot {
    base: tempfile::TempDir,
    root: std::path::PathBuf,
}

impl DeepRoot {
    fn new() -> DeepRoot {
        let base = tempfile::tempdir().unwrap();
        let root = base.path().join("deep/er/and/deeper").join(ROOT_NAME);
        let outside = base.path().join("outside");
        std::fs::create_dir_all(root.join("private")).unwrap();
        std::fs::create_dir_all(root.join("album")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret.txt"), OUTSIDE_SECRET).unwrap();
        let put = |key: &str, bytes: &[u8]| std::fs::write(root.join(key), bytes).unwrap();
        put("ok.png", &gradient_png(32, 20));
        put("private/p.png", &gradient_png(32, 20));
        put("album/inside.png", &gradient_png(8, 8));
        put("notes.txt", b"plain text");
        put("bomb.png", &png_claiming(100_000, 100_000));
        let jpeg = fixture("forest-800x500.jpg");
        put("cut.jpg", &jpeg[..jpeg.len() / 2]);
        let link = |target: &std::path::Path, name: &str| {
            std::os::unix::fs::symlink(target, root.join(name)).unwrap();
        };
        link(&outside.join("secret.txt"), "escape.txt");
        link(&outside, "out");
        link(std::path::Path::new("b.jpg"), "a.jpg");
        link(std::path::Path::new("a.jpg"), "b.jpg");
        DeepRoot { base, root }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Everything the hygiene test needs alive: the deep root, the failing upstreams, the server.
struct Failing {
    deep: DeepRoot,
    origin: FailingOrigin,
    s3: S3Server,
    /// A port where nothing listens, behind an S3 source and an HTTP source.
    gone: std::net::SocketAddr,
    server: TestServer,
}

impl Failing {
    async fn start() -> Failing {
        let deep = DeepRoot::new();
        let origin = FailingOrigin::start().await;
        let s3 = S3Server::start().await;
        s3.put("a.jpg", &fixture("forest-800x500.jpg"));
        let gone = closed_port().await;

        let mut local = SourceConfig::new("local", deep.root.clone());
        local.md5_tokens = vec![TOKEN.into()];
        local.hmac_keys = vec![KEY.into()];
        local.private_prefixes = vec!["private/".into()];
        let mut web = origin.source("web", "/web");
        web.hmac_keys = vec![KEY.into()];
        let mut wrong_secret = s3.root(BUCKET, "");
        wrong_secret.credentials =
            CredentialSource::Static(S3Credentials::new(S3_ACCESS_KEY, WRONG_S3_SECRET));
        let mut down = s3.root(BUCKET, "");
        down.endpoint = Url::parse(&format!("http://{gone}/")).unwrap();
        let web_down = ConfigRoot::Http(HttpRoot {
            base: Url::parse(&format!("http://{gone}/")).unwrap(),
            allowed_networks: networks(&["127.0.0.1/32"]),
            max_redirects: 3,
        });
        let mut sources = vec![local, web];
        for (name, root) in [
            ("s3bad", ConfigRoot::S3(wrong_secret)),
            ("s3down", ConfigRoot::S3(down)),
            ("webdown", web_down),
        ] {
            let mut source = SourceConfig::new(name, root);
            source.prefix = format!("/{name}");
            sources.push(source);
        }
        let mut config = config(sources);
        config.uploads.max_bytes = 1000;
        let server = TestServer::start(config).await;
        Failing {
            deep,
            origin,
            s3,
            gone,
            server,
        }
    }

    /// What no answer of this server may contain.
    fn forbidden(&self) -> Forbidden {
        Forbidden::new([
            self.deep.base.path().display().to_string(),
            self.deep.root.display().to_string(),
            ROOT_NAME.into(),
            OUTSIDE_SECRET.into(),
            TOKEN.into(),
            KEY.into(),
            WRONG_S3_SECRET.into(),
            S3_SECRET_KEY.into(),
            S3_ACCESS_KEY.into(),
            UPSTREAM_MARKER.into(),
            INTERNAL.into(),
            "SignatureDoesNotMatch".into(),
            "AccessDenied".into(),
            "<Error>".into(),
            self.origin.addr.to_string(),
            self.s3.endpoint.authority().to_string(),
            self.gone.to_string(),
        ])
    }
}

/// GETs that fail in every way a read can: the file system, the decoders, the parameters,
/// the signature, the origin, the buckets, the service API.
fn failing_gets() -> Vec<(String, Option<String>)> {
    let private = "/private/p.png";
    let expired = md5_url(TOKEN, private, &format!("expires={}", unix_now() - 10));
    let mut gets: Vec<(String, Option<String>)> = [
        "/missing.png",
        "/missing.png?w=10",
        "/no/such/folder/missing.png?w=10",
        "/escape.txt",
        "/out/secret.txt?w=10",
        "/a.jpg",
        "/a.jpg?w=10",
        "/cut.jpg?w=10",
        "/bomb.png?w=10",
        "/notes.txt?w=10",
        "/ok.png?w=abc",
        "/ok.png?w=100000",
        "/ok.png?rect=900,0,10,10",
        "/..%2f..%2fetc/passwd",
        "/.pixgate/files.redb",
        "/ok.png?x=%ff",
        private,
        "/private/p.png?w=10&s=00000000000000000000000000000000",
        "/web/fail/a.jpg",
        "/web/fail/a.jpg?w=10",
        "/web/gone/a.jpg?w=10",
        "/web/deny/a.jpg",
        "/web/moved/a.jpg?w=10",
        "/web/html/a.jpg?w=10",
        "/web/huge/a.jpg?w=10",
        "/s3bad/a.jpg",
        "/s3bad/a.jpg?w=10",
        "/s3down/a.jpg?w=10",
        "/webdown/a.jpg?w=10",
        "/_pixgate/files/x",
        "/_pixgate/nothing-here",
    ]
    .into_iter()
    .map(|target| (target.to_string(), None))
    .collect();
    gets.push((expired, None));
    gets.push((hmac_url(KEY, private, "method=put"), None));
    let file = "/_pixgate/files/file_00000000000000000000";
    gets.push((file.into(), Some(format!("Bearer {KEY}"))));
    gets.push(("/_pixgate/files/x".into(), Some("Bearer not-a-key".into())));
    gets
}

/// Uploads refused for every reason an upload can be: (target, body, Content-Range).
fn failing_puts() -> Vec<(String, Vec<u8>, Option<&'static str>)> {
    let signed = |path: &str| hmac_url(KEY, path, "method=put");
    vec![
        (signed("/album"), b"x".to_vec(), None),
        (signed("/out/new.bin"), b"x".to_vec(), None),
        (signed("/big.bin"), vec![0; 2000], None),
        (signed("/r.bin"), b"x".to_vec(), Some("bytes 9-0/5")),
        (signed("/.pixgate/x"), b"x".to_vec(), None),
        (
            hmac_url("guess", "/new.bin", "method=put"),
            b"x".to_vec(),
            None,
        ),
        (signed("/web/new.bin"), b"x".to_vec(), None),
        ("/ok.png".into(), b"x".to_vec(), None),
    ]
}

/// Every failure of [`failing_gets`], [`failing_puts`], the signing API and a DELETE.
async fn every_failure(server: &TestServer) -> Vec<(String, Reply)> {
    let mut replies = Vec::new();
    for (target, bearer) in failing_gets() {
        let headers: Vec<(&str, &str)> = bearer
            .iter()
            .map(|b| ("authorization", b.as_str()))
            .collect();
        let reply = server.raw("GET", &target, &headers).await;
        replies.push((format!("GET {target}"), reply));
    }
    for (target, body, range) in failing_puts() {
        let headers: Vec<(&str, &str)> = range.iter().map(|r| ("content-range", *r)).collect();
        let reply = server.send("PUT", &target, &headers, body).await;
        replies.push((format!("PUT {target}"), reply));
    }
    let bearer = format!("Bearer {KEY}");
    for (body, auth) in [
        ("{\"filename\": 7}", Some(bearer.as_str())),
        ("not json at all", Some(bearer.as_str())),
        (
            "{\"filename\": \"a.png\", \"method\": \"delete\"}",
            Some(bearer.as_str()),
        ),
        (
            "{\"filename\": \"a.png\", \"params\": {\"w\": \"abc\"}}",
            Some(bearer.as_str()),
        ),
        ("{\"filename\": \"a.png\"}", None),
        ("{\"filename\": \"a.png\"}", Some("Bearer wrong-key")),
    ] {
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", *a)).collect();
        let body = body.as_bytes().to_vec();
        let reply = server
            .send("POST", "/_pixgate/signatures", &headers, body)
            .await;
        replies.push(("POST /_pixgate/signatures".into(), reply));
    }
    let reply = server
        .raw("DELETE", "/ok.png", &[("content-length", "0")])
        .await;
    replies.push(("DELETE /ok.png".into(), reply));
    replies
}

/// The error codes [`every_failure`] must reach, so the check below covers every kind.
const CODES: &[&str] = &[
    "not_found",
    "bad_path",
    "undecodable",
    "too_large",
    "not_an_image",
    "bad_parameter",
    "bad_query",
    "signature_required",
    "signature_invalid",
    "expired",
    "method_mismatch",
    "upstream_failed",
    "upstream_refused",
    "upstream_unreachable",
    "path_conflict",
    "bad_content_range",
    "read_only",
    "unauthorized",
    "forbidden",
    "method_not_allowed",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_error_names_a_path_a_secret_an_upstream_body_or_a_panic() {
    let failing = Failing::start().await;
    let forbidden = failing.forbidden();
    let mut failures = Vec::new();
    let mut codes = std::collections::BTreeSet::new();
    for (what, reply) in every_failure(&failing.server).await {
        if reply.status < 400 {
            failures.push(format!("{what}: not an error: {}", reply.summary()));
            continue;
        }
        if let Err(e) = forbidden.check(&reply) {
            failures.push(format!("{what}: {e}"));
        }
        let code = reply.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if let Err(e) = reply.error_shape(reply.status, &code) {
            failures.push(format!("{what}: {e}"));
        }
        codes.insert(code);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let missing: Vec<&&str> = CODES.iter().filter(|c| !codes.contains(**c)).collect();
    assert!(missing.is_empty(), "no {missing:?} among {codes:?}");
}

/// A refusal is the JSON error and nothing else, whatever the request asks for: a range, a
/// validator that matches, HEAD, a download name, a derivative already cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_of_access_carry_the_json_error_and_never_image_bytes() {
    let root = Root::new();
    root.put("private/p.png", &gradient_png(32, 20));
    let mut source = root.source("demo");
    source.md5_tokens = vec![TOKEN.into()];
    source.private_prefixes = vec!["private/".into()];
    let server = TestServer::start(config(vec![source])).await;
    let path = "/private/p.png";
    let later = unix_now() + 600;
    let good = md5_url(TOKEN, path, &format!("expires={later}"));
    let good_small = md5_url(TOKEN, path, &format!("w=10&expires={later}"));
    let whole = server.get(&good).await;
    whole.assert_status(200);
    let etag = whole.header("etag").unwrap().to_string();
    server.get(&good_small).await.assert_image("png");

    let past = unix_now() - 10;
    let refused = [
        (path.to_string(), "signature_required"),
        (format!("{path}?w=10"), "signature_required"),
        (format!("{path}?w=10&dl=x.png"), "signature_required"),
        (
            format!("{path}?w=10&s=00000000000000000000000000000000"),
            "signature_invalid",
        ),
        (md5_url(TOKEN, path, &format!("expires={past}")), "expired"),
        (
            md5_url(TOKEN, path, &format!("w=10&expires={past}")),
            "expired",
        ),
        (md5_url(TOKEN, path, "w=10&method=put"), "method_mismatch"),
    ];
    let asks: [&[(&str, &str)]; 4] = [
        &[],
        &[("range", "bytes=0-99")],
        &[("if-none-match", etag.as_str())],
        &[("accept", "image/avif,image/webp,*/*")],
    ];
    for (target, code) in &refused {
        for headers in asks {
            let reply = server.raw("GET", target, headers).await;
            let what = format!("GET {target} {headers:?}");
            reply
                .error_shape(403, code)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(image_kind(&reply.body), None, "{what}");
            assert!(!reply.body.windows(4).any(|w| w == b"IHDR"), "{what}");
            for name in [
                "content-range",
                "etag",
                "last-modified",
                "content-disposition",
                "x-cache",
            ] {
                assert_eq!(reply.header(name), None, "{what}: {name}");
            }
        }
        let head = server.raw("HEAD", target, &[]).await;
        head.assert_status(403);
        assert!(head.body.is_empty());
        assert!(
            head.header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "HEAD {target}: {:?}",
            head.header("content-type")
        );
    }
}
