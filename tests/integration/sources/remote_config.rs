//! Remote sources from `pixgate.toml` through the real binary: `s3://` and `http://`
//! roots with their own keys serve and accept uploads; S3 credentials may come from the
//! standard `AWS_*` variables; keys of another kind of root, bad buckets, networks and redirect
//! counts are refused by `check-config`, naming the key.

use crate::support::binary::{Daemon, run_pixgate};
use crate::support::remote::{Origin, S3_ACCESS_KEY, S3_SECRET_KEY, S3Server, staged_files};
use crate::support::roots::fixture;
use crate::support::signing::hmac_url;
use crate::support::wire::{RawBody, raw_request, raw_send};

/// The two remote sources of the served config: the bucket under `originals/` at `/s3` (with
/// uploads, credentials left to the environment when `credentials` is false) and the origin's
/// `/img/` at `/web`.
fn remote_toml(s3: &S3Server, origin: &Origin, credentials: bool) -> String {
    let keys = if credentials {
        format!("access_key_id = {S3_ACCESS_KEY:?}\nsecret_access_key = {S3_SECRET_KEY:?}\n")
    } else {
        String::new()
    };
    format!(
        r#"
[server]
listen = "127.0.0.1:0"

[limits]
source_timeout = "5s"

[[sources]]
name = "bucket"
root = "s3://images/originals"
prefix = "/s3"
endpoint = "{endpoint}"
region = "us-east-1"
path_style = true
staging_dir = "staging"
revalidate_after = "0s"
hmac_keys = ["bucket-key"]
{keys}
[[sources]]
name = "web"
root = "{base}img/"
prefix = "/web"
allowed_networks = ["127.0.0.1/32"]
max_redirects = 1
revalidate_after = "30s"
"#,
        endpoint = s3.endpoint,
        base = origin.base(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_and_http_roots_from_the_config_file_serve_and_take_uploads() {
    let s3 = S3Server::start().await;
    let origin = Origin::start().await;
    let forest = fixture("forest-800x500.jpg");
    s3.put("originals/a.jpg", &forest);
    origin.put("img/a.jpg", &forest);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pixgate.toml");
    std::fs::write(&config, remote_toml(&s3, &origin, true)).unwrap();
    let (_daemon, addr) = Daemon::serve(&config);

    let from_s3 = raw_request(addr, "GET", "/s3/a.jpg?w=120", &[]).await;
    from_s3.assert_image("jpeg");
    let from_web = raw_request(addr, "GET", "/web/a.jpg?w=120", &[]).await;
    from_web.assert_image("jpeg");
    assert_eq!(from_s3.body, from_web.body);
    assert_eq!(
        raw_request(addr, "GET", "/s3/a.jpg", &[]).await.body,
        forest
    );

    let bytes = fixture("pixel-1x1.png");
    let target = hmac_url("bucket-key", "/s3/up/p.png", "method=put");
    let reply = raw_send(addr, "PUT", &target, &[], RawBody::Sized(&bytes)).await;
    reply.assert_status(201);
    assert_eq!(s3.object("originals/up/p.png").as_deref(), Some(&bytes[..]));
    assert_eq!(
        raw_request(addr, "GET", "/s3/up/p.png", &[]).await.body,
        bytes
    );
    // `staging_dir` is relative to the config file, and empty once the upload is committed.
    assert!(dir.path().join("staging").is_dir(), "no staging folder");
    assert_eq!(
        staged_files(&dir.path().join("staging")),
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_credentials_may_come_from_the_aws_variables() {
    let s3 = S3Server::start().await;
    let origin = Origin::start().await;
    s3.put("originals/a.jpg", &fixture("forest-800x500.jpg"));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pixgate.toml");
    std::fs::write(&config, remote_toml(&s3, &origin, false)).unwrap();

    let env = [
        ("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY),
    ];
    let (_daemon, addr) = Daemon::serve_with_env(&config, &env);
    raw_request(addr, "GET", "/s3/a.jpg?w=50", &[])
        .await
        .assert_image("jpeg");
}

#[test]
fn check_config_refuses_bad_remote_keys_and_names_them() {
    let cases = [
        (
            "an S3 key on an HTTP root",
            "root = \"https://img.example.com/\"\nregion = \"eu-west-1\"",
            "sources[0].region",
        ),
        (
            "an HTTP key on an S3 root",
            "root = \"s3://images\"\nallowed_networks = [\"10.0.0.0/8\"]",
            "sources[0].allowed_networks",
        ),
        (
            "revalidate_after on a folder",
            "root = \"pics\"\nrevalidate_after = \"5s\"",
            "sources[0].revalidate_after",
        ),
        (
            "a bucket name S3 would refuse",
            "root = \"s3://Images_Bucket/x\"",
            "sources[0].root",
        ),
        (
            "a network that is not CIDR",
            "root = \"https://img.example.com/\"\nallowed_networks = [\"10.0.0.0/33\"]",
            "sources[0].allowed_networks[0]",
        ),
        (
            "too many redirects",
            "root = \"https://img.example.com/\"\nmax_redirects = 50",
            "sources[0].max_redirects",
        ),
        (
            "half a key pair",
            "root = \"s3://images\"\naccess_key_id = \"AKIA\"",
            "sources[0].secret_access_key",
        ),
        (
            "credentials in the origin URL",
            "root = \"https://user:pw@img.example.com/\"",
            "sources[0].root",
        ),
        (
            "a scheme that is not a source kind",
            "root = \"ftp://img.example.com/\"",
            "sources[0].root",
        ),
    ];
    for (what, keys, key) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pics")).unwrap();
        let toml = format!("[[sources]]\nname = \"demo\"\n{keys}\n");
        let path = dir.path().join("pixgate.toml");
        std::fs::write(&path, toml).unwrap();
        let path = path.display().to_string();
        let (ok, stdout, stderr) = run_pixgate(&["check-config", "--config", &path], &[]);
        assert!(!ok, "{what}: accepted\nstdout: {stdout}");
        assert!(
            stderr.contains(key),
            "{what}: stderr does not name {key}:\n{stderr}"
        );
    }
}
