//! `encoding.avif_budget`: `auto=format` serves WebP in place of an AVIF whose encode is
//! predicted to run over budget, says so in `X-Avif-Budget`, and keeps that choice for the
//! cache key; an explicit `fm=avif` is always AVIF.

use std::time::Duration;

use crate::support::roots::{Root, config};
use crate::support::server::TestServer;

const CHROME: &str = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

async fn server(budget: Duration) -> (Root, TestServer) {
    let root = Root::new();
    root.put_fixture("forest.jpg", "forest-800x500.jpg");
    let mut config = config(vec![root.source("demo")]);
    config.encoding.avif_budget = budget;
    let server = TestServer::start(config).await;
    (root, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_avif_predicted_over_budget_is_served_as_webp_and_stays_so() {
    // 1 µs cannot encode 400x250 pixels at any measured or guessed rate.
    let (_root, server) = server(Duration::from_micros(1)).await;
    let target = "/forest.jpg?w=400&auto=format";
    let first = server.get_with(target, &[("accept", CHROME)]).await;
    first.assert_image("webp");
    assert_eq!(first.header("x-avif-budget"), Some("exceeded"));
    assert_eq!(first.header("x-cache"), Some("MISS"));
    assert!(first.header("vary").is_some_and(|v| v.contains("Accept")));
    let again = server.get_with(target, &[("accept", CHROME)]).await;
    again.assert_image("webp");
    assert_eq!(again.header("x-cache"), Some("HIT"));
    assert_eq!(again.header("x-avif-budget"), Some("exceeded"));
    assert_eq!(again.body, first.body, "one choice per cache key");
    // Asked for by name, AVIF it is, whatever it costs; and WebP asked for is no fallback.
    let named = server
        .get_with("/forest.jpg?w=400&fm=avif", &[("accept", CHROME)])
        .await;
    named.assert_image("avif");
    assert_eq!(named.header("x-avif-budget"), None);
    let webp = server.get_with(target, &[("accept", "image/webp")]).await;
    webp.assert_image("webp");
    assert_eq!(webp.header("x-avif-budget"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn within_budget_or_without_one_auto_format_gives_avif() {
    for budget in [Duration::ZERO, Duration::from_secs(60)] {
        let (_root, server) = server(budget).await;
        let reply = server
            .get_with("/forest.jpg?w=400&auto=format", &[("accept", CHROME)])
            .await;
        reply.assert_image("avif");
        assert_eq!(reply.header("x-avif-budget"), None, "budget {budget:?}");
    }
}
