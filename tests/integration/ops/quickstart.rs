//! The project as a new user meets it (contract §7): the real binary starts, logs a public
//! transform URL and a signed private URL, and both answer with images.

use std::time::Duration;

use crate::support::binary::{Daemon, pixgate_command, strip_ansi};
use crate::support::images::{decode, image_kind};
use crate::support::roots::fixtures_dir;

/// Start-up is quick; this only bounds a broken build.
const STARTUP: Duration = Duration::from_secs(30);

/// The `example …: URL` log lines, as (`transform` | `signed`, URL), from text or JSON logs.
fn example_url(line: &str) -> Option<String> {
    let message = match serde_json::from_str::<serde_json::Value>(line) {
        Ok(json) => json["message"].as_str()?.to_string(),
        Err(_) => strip_ansi(line),
    };
    let at = message.find("example ")?;
    let message = &message[at..];
    let label = if message.starts_with("example transform") {
        "transform"
    } else if message.starts_with("example signed") {
        "signed"
    } else {
        return None;
    };
    let url = message[message.find("http://")?..]
        .split_whitespace()
        .next()?;
    Some(format!("{label} {url}"))
}

/// GETs both example URLs: the transform is a 300-px WebP, the signed one a 200-px JPEG.
async fn fetch_examples(lines: Vec<String>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut labels = Vec::new();
    for line in lines {
        let (label, url) = line.split_once(' ').unwrap();
        let response = client.get(url).send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = response.bytes().await.unwrap();
        assert_eq!(status, 200, "{url}: {}", String::from_utf8_lossy(&body));
        let (kind, width) = match label {
            "transform" => ("webp", 300),
            _ => ("jpeg", 200),
        };
        assert_eq!(image_kind(&body), Some(kind), "{url}");
        assert_eq!(content_type, format!("image/{kind}"), "{url}");
        assert_eq!(decode(&body).width(), width, "{url}");
        labels.push(label.to_string());
    }
    labels.sort();
    assert_eq!(labels, ["signed", "transform"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_clone_serve_logs_example_urls_that_work() {
    // Exactly the repo's own pixgate.toml, from the repo's directory, as in the README's
    // quickstart; only the port is moved out of the way through the environment.
    let mut command = pixgate_command(
        &["serve"],
        &[
            ("PIXGATE_SERVER_LISTEN", "127.0.0.1:0"),
            ("RUST_LOG", "info"),
        ],
    );
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    let mut daemon = Daemon::spawn(command);
    let lines = daemon.wait_for_lines(2, STARTUP, example_url);
    fetch_examples(lines).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_a_config_file_and_json_logs_gives_working_example_urls() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pixgate.toml");
    let toml = format!(
        r#"
[server]
listen = "127.0.0.1:0"

[log]
format = "json"

[[sources]]
name = "demo"
root = {root:?}
private_prefixes = ["private/"]
md5_tokens = ["a-test-token"]
hmac_keys = ["a-test-key"]
"#,
        root = fixtures_dir().display().to_string()
    );
    std::fs::write(&config, toml).unwrap();
    let config = config.display().to_string();
    let command = pixgate_command(&["serve", "--config", &config], &[("RUST_LOG", "info")]);
    let mut daemon = Daemon::spawn(command);
    let lines = daemon.wait_for_lines(2, STARTUP, example_url);
    fetch_examples(lines).await;
}
