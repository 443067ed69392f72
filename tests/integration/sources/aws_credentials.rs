//! S3 credentials from the AWS chain, each link against a fake endpoint on loopback whose keys
//! the S3 service (signatures verified) accepts: a session token from the environment, web
//! identity through STS, the container endpoint, IMDSv2; refreshing before expiry, one fetch
//! for many requests, a failed refresh that keeps valid keys, and no keys at all. No secret
//! reaches a log line.

use std::time::Duration;

use pixgate::config::{Config, CredentialSource, Env, Root, SourceConfig};

use crate::support::binary::Daemon;
use crate::support::remote::{BUCKET, FakeAws, IMDS_TOKEN, Issue, ROLE, S3Server};
use crate::support::roots::{config, fixture};
use crate::support::server::TestServer;
use crate::support::wire::raw_request;

const TEMP_KEY: &str = "TEMPACCESSKEYFROMAWS";
const TEMP_SECRET: &str = "temp/secret/handed/out/by/the/fake";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/pixgate";

/// The credential source the chain picks from `env`, as `pixgate serve` would load it.
fn chain(env: &[(&str, &str)]) -> CredentialSource {
    let text = "[[sources]]\nname = \"s3\"\nroot = \"s3://images\"\n";
    let env: Env = env.iter().copied().collect();
    let loaded =
        Config::from_toml(text, std::path::Path::new("/"), &env).unwrap_or_else(|e| panic!("{e}"));
    let Root::S3(root) = &loaded.sources[0].root else {
        panic!("not a bucket");
    };
    root.credentials.clone()
}

/// The service's bucket as a source whose credentials come from `env`.
fn source(s3: &S3Server, env: &[(&str, &str)]) -> SourceConfig {
    let mut root = s3.root(BUCKET, "");
    root.credentials = chain(env);
    SourceConfig::new("s3", Root::S3(root))
}

/// An S3 service that accepts only the temporary key pair, holding `a.jpg`…`h.jpg`.
async fn bucket() -> S3Server {
    let s3 = S3Server::start_for(TEMP_KEY, TEMP_SECRET).await;
    for name in ["a", "b", "c", "d", "e", "f", "g", "h"] {
        s3.put(&format!("{name}.jpg"), &fixture("forest-800x500.jpg"));
    }
    s3
}

fn creds_url(aws: &FakeAws) -> String {
    format!("{}creds", aws.url())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_token_from_the_environment_signs_every_request() {
    let s3 = bucket().await;
    let env = [
        ("AWS_ACCESS_KEY_ID", TEMP_KEY),
        ("AWS_SECRET_ACCESS_KEY", TEMP_SECRET),
        ("AWS_SESSION_TOKEN", "env-session-token"),
    ];
    let server = TestServer::start(config(vec![source(&s3, &env)])).await;

    server.get("/a.jpg?w=100").await.assert_image("jpeg");
    let tokens = s3.tokens();
    assert!(!tokens.is_empty());
    // s3s verified each signature, which covers the token in the query.
    assert!(
        tokens
            .iter()
            .all(|t| t.as_deref() == Some("env-session-token")),
        "{tokens:?}"
    );
}

/// Through the real binary, so its whole log can be searched for the secrets afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_identity_trades_the_token_file_at_sts_for_keys_the_bucket_accepts() {
    let s3 = bucket().await;
    let aws = FakeAws::start(TEMP_KEY, TEMP_SECRET).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "web-identity-jwt-from-the-platform\n").unwrap();
    let config_file = dir.path().join("pixgate.toml");
    let toml = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n\n[[sources]]\nname = \"s3\"\n\
         root = \"s3://{BUCKET}\"\nendpoint = \"{}\"\nstaging_dir = \"staging\"\n",
        s3.endpoint
    );
    std::fs::write(&config_file, toml).unwrap();
    let sts = aws.url().to_string();
    let token_path = token_file.display().to_string();
    let env = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token_path.as_str()),
        ("AWS_ROLE_ARN", ROLE_ARN),
        ("AWS_ROLE_SESSION_NAME", "pixgate-test"),
        ("AWS_ENDPOINT_URL_STS", sts.as_str()),
    ];
    let (mut daemon, addr) = Daemon::serve_with_env(&config_file, &env);

    raw_request(addr, "GET", "/a.jpg?w=100", &[])
        .await
        .assert_image("jpeg");
    raw_request(addr, "GET", "/b.jpg?w=100", &[])
        .await
        .assert_image("jpeg");

    let asked = aws.asked();
    assert_eq!(asked.len(), 1, "one exchange for both requests: {asked:?}");
    let form: Vec<(String, String)> = serde_urlencoded::from_str(&asked[0].body).unwrap();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(asked[0].method, "POST");
    assert_eq!(field("Action"), Some("AssumeRoleWithWebIdentity"));
    assert_eq!(field("Version"), Some("2011-06-15"));
    assert_eq!(field("RoleArn"), Some(ROLE_ARN));
    assert_eq!(field("RoleSessionName"), Some("pixgate-test"));
    assert_eq!(
        field("WebIdentityToken"),
        Some("web-identity-jwt-from-the-platform")
    );
    let handed_out = aws.tokens();
    assert!(
        s3.tokens()
            .iter()
            .all(|t| t.as_ref() == Some(&handed_out[0])),
        "the bucket saw {:?}",
        s3.tokens()
    );

    let log = daemon.final_lines(Duration::from_secs(10)).join("\n");
    for secret in [TEMP_SECRET, handed_out[0].as_str(), "web-identity-jwt"] {
        assert!(!log.contains(secret), "the log shows {secret:?}:\n{log}");
    }
    assert!(log.contains("bucket credentials fetched"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_container_endpoint_is_asked_with_the_authorization_token() {
    let s3 = bucket().await;
    let aws = FakeAws::start(TEMP_KEY, TEMP_SECRET).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("eks-token");
    std::fs::write(&token_file, "pod-identity-token\n").unwrap();
    let url = creds_url(&aws);
    let token_path = token_file.display().to_string();
    let with_file = [
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url.as_str()),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            token_path.as_str(),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "ignored-when-a-file-is-set",
        ),
    ];
    let with_token = [
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url.as_str()),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "task-auth-token"),
    ];
    let mut on_file = source(&s3, &with_file);
    on_file.prefix = "/file".into();
    let server = TestServer::start(config(vec![source(&s3, &with_token), on_file])).await;

    server.get("/a.jpg?w=100").await.assert_image("jpeg");
    server.get("/file/b.jpg?w=100").await.assert_image("jpeg");

    let asked = aws.asked();
    let authorizations: Vec<_> = asked.iter().map(|a| a.authorization.as_deref()).collect();
    assert_eq!(
        authorizations,
        [Some("task-auth-token"), Some("pod-identity-token")],
        "{asked:?}"
    );
    assert!(
        asked
            .iter()
            .all(|a| a.method == "GET" && a.path == "/creds")
    );
    let handed_out = aws.tokens();
    let seen = s3.tokens();
    assert!(
        seen.iter()
            .all(|t| t.as_ref().is_some_and(|t| handed_out.contains(t))),
        "{seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_v2_takes_a_session_token_then_the_role_then_its_keys() {
    let s3 = bucket().await;
    let aws = FakeAws::start(TEMP_KEY, TEMP_SECRET).await;
    let endpoint = aws.url().to_string();
    let env = [("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.as_str())];
    assert!(matches!(
        chain(&env),
        CredentialSource::InstanceMetadata { .. }
    ));
    let server = TestServer::start(config(vec![source(&s3, &env)])).await;

    server.get("/a.jpg?w=100").await.assert_image("jpeg");

    let asked = aws.asked();
    let steps: Vec<(&str, &str)> = asked
        .iter()
        .map(|a| (a.method.as_str(), a.path.as_str()))
        .collect();
    let role_path = format!("/latest/meta-data/iam/security-credentials/{ROLE}");
    assert_eq!(
        steps,
        [
            ("PUT", "/latest/api/token"),
            ("GET", "/latest/meta-data/iam/security-credentials/"),
            ("GET", role_path.as_str()),
        ]
    );
    assert!(asked[0].imds_ttl.is_some());
    assert!(
        asked[1..]
            .iter()
            .all(|a| a.imds_token.as_deref() == Some(IMDS_TOKEN))
    );
    assert_eq!(s3.tokens()[0].as_ref(), aws.tokens().first());
}

/// Keys with less than the refresh margin (5 minutes) left are used while a new pair is
/// fetched; keys with an hour left are kept; many cold requests share one fetch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_near_expiry_are_refreshed_and_concurrent_requests_share_one_fetch() {
    let s3 = bucket().await;
    let aws = FakeAws::start(TEMP_KEY, TEMP_SECRET).await;
    let url = creds_url(&aws);
    let env = [("AWS_CONTAINER_CREDENTIALS_FULL_URI", url.as_str())];
    let server = TestServer::start(config(vec![source(&s3, &env)])).await;

    let cold = ["a", "b", "c", "d", "e", "f"].map(|name| {
        let target = format!("/{name}.jpg?w=60");
        let server = &server;
        async move { server.get(&target).await }
    });
    for reply in futures_util::future::join_all(cold).await {
        reply.assert_image("jpeg");
    }
    assert_eq!(aws.fetches(), 1, "six cold requests, one fetch");

    aws.issue(&[Issue::Keys(Duration::from_secs(60))]);
    server.get("/a.jpg?w=61").await.assert_image("jpeg");
    // The hour-long keys were still good: nothing fetched. Now let them go due.
    assert_eq!(aws.fetches(), 1);
    let short_lived = pixgate_with(&s3, &env).await;
    short_lived.get("/g.jpg?w=50").await.assert_image("jpeg");
    let after_first = aws.fetches();
    short_lived.get("/h.jpg?w=50").await.assert_image("jpeg");
    assert!(
        aws.fetches() > after_first,
        "keys with 60 s left were not refreshed"
    );
    let tokens: std::collections::BTreeSet<_> = s3.tokens().into_iter().flatten().collect();
    assert!(
        tokens.len() >= 3,
        "the bucket saw the new tokens: {tokens:?}"
    );
}

async fn pixgate_with(s3: &S3Server, env: &[(&str, &str)]) -> TestServer {
    TestServer::start(config(vec![source(s3, env)])).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refresh_keeps_valid_keys_and_no_keys_at_all_is_a_502_that_names_nothing() {
    let s3 = bucket().await;
    let aws = FakeAws::start(TEMP_KEY, TEMP_SECRET).await;
    aws.issue(&[Issue::Keys(Duration::from_secs(60)), Issue::Fail(500)]);
    let url = creds_url(&aws);
    let env = [("AWS_CONTAINER_CREDENTIALS_FULL_URI", url.as_str())];
    let server = pixgate_with(&s3, &env).await;

    server.get("/a.jpg?w=100").await.assert_image("jpeg");
    server.get("/b.jpg?w=100").await.assert_image("jpeg");
    // The HEAD fetched the keys; the GET found them due and its refresh failed; the next
    // request used them without asking again (a failing endpoint is retried after a pause).
    assert_eq!(aws.fetches(), 2, "{:?}", aws.asked());
    let tokens: Vec<_> = s3.tokens().into_iter().flatten().collect();
    assert!(tokens.iter().all(|t| t == "session-token-1"), "{tokens:?}");

    let refusing = FakeAws::start(TEMP_KEY, TEMP_SECRET).await;
    refusing.issue(&[Issue::Fail(403)]);
    let url = creds_url(&refusing);
    let env = [("AWS_CONTAINER_CREDENTIALS_FULL_URI", url.as_str())];
    let server = pixgate_with(&s3, &env).await;
    let reply = server.get("/a.jpg?w=100").await;
    let message = reply.assert_error(502, "upstream_failed");
    let text = reply.text();
    for internal in [refusing.addr.to_string(), "creds".into(), "403".into()] {
        assert!(
            !text.contains(&internal),
            "the answer shows {internal:?}: {text}"
        );
    }
    assert!(!message.is_empty());
    let ready = raw_request(server.addr(), "GET", "/_pixgate/ready", &[]).await;
    assert_eq!(ready.status, 503, "{}", ready.text());
}
