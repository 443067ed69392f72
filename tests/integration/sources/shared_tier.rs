//! The derivative cache's shared tier (`[cache.shared]`): two instances on one bucket render
//! each derivative once between them; a replaced original renders anew; a bucket that stops
//! leaves both answering, degraded.

use std::time::Duration;

use crate::support::images::gradient_png;
use crate::support::remote::{BUCKET, S3Server};
use crate::support::roots::{Root, config};
use crate::support::server::TestServer;

const RENDERS: &str = "pixgate_renders_total";

async fn instance(root: &Root, s3: &S3Server) -> TestServer {
    let mut config = config(vec![root.source("demo")]);
    config.cache.shared.bucket = Some(s3.root(BUCKET, "cache/"));
    config.cache.shared.timeout = Duration::from_secs(2);
    TestServer::start(config).await
}

fn shared_records(s3: &S3Server) -> usize {
    s3.keys()
        .iter()
        .filter(|k| k.starts_with("cache/derivatives/"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_bucket_render_a_derivative_once() {
    let (root, s3) = (Root::new(), S3Server::start().await);
    root.put("small.png", &gradient_png(40, 20));
    let (a, b) = (instance(&root, &s3).await, instance(&root, &s3).await);
    let url = "/small.png?w=20&fm=png";
    let rendered = a.get(url).await;
    assert_eq!(rendered.header("x-cache"), Some("MISS"));
    crate::support::wait::eventually("the record in the bucket", async || {
        let n = shared_records(&s3);
        (n == 1, n)
    })
    .await;
    let from_bucket = b.get(url).await;
    assert_eq!(from_bucket.header("x-cache"), Some("HIT"));
    assert_eq!(from_bucket.header("x-cache-tier"), Some("shared"));
    assert_eq!(from_bucket.body, rendered.body);
    assert_eq!(from_bucket.header("etag"), rendered.header("etag"));
    assert_eq!(b.metric(RENDERS).await, Some(0.0), "B rendered nothing");
    assert_eq!(b.get(url).await.header("x-cache-tier"), Some("memory"));

    // A replaced original is a new version, so a new key on both.
    std::thread::sleep(Duration::from_millis(20));
    root.put("small.png", &gradient_png(60, 30));
    let new_a = a.get(url).await;
    let new_b = b.get(url).await;
    assert_ne!(new_a.body, rendered.body);
    assert_eq!(new_b.body, new_a.body);
    assert_eq!(
        a.metric(RENDERS).await.unwrap() + b.metric(RENDERS).await.unwrap(),
        2.0 + f64::from(new_b.header("x-cache") == Some("MISS")),
        "at most one more render each"
    );

    // The bucket stops: both still answer, rendering locally; readiness says degraded.
    s3.stop().await;
    for (server, width) in [(&a, 11), (&b, 12)] {
        let reply = server.get(&format!("/small.png?w={width}&fm=png")).await;
        assert_eq!(reply.image("png").width(), width);
        let ready = server.get("/_pixgate/ready").await;
        ready.assert_status(200);
        let body = ready.json();
        assert_eq!(body["status"], "degraded", "{body}");
        assert_eq!(body["shared_cache"]["reachable"], false);
        let errors = server
            .metric("pixgate_cache_errors_total{cache=\"shared\"}")
            .await;
        assert!(errors.is_some_and(|e| e >= 1.0), "{errors:?}");
    }
}
