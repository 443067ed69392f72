//! Expiry and TTL policy and key rotation: `max_ttl` refuses long-lived and unexpiring URLs,
//! an expiry is enforced on public paths too (and bounds `max-age`), and every configured
//! secret of a scheme verifies, none of the other scheme's.

use super::{TOKEN, imgix_root};
use crate::support::images::gradient_png;
use crate::support::roots::{NOW, Root, config};
use crate::support::server::TestServer;
use crate::support::signing::{hmac_url, md5_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_ttl_refuses_long_lived_and_unexpiring_urls() {
    let (_root, mut source) = imgix_root();
    source.max_ttl = Some(std::time::Duration::from_secs(5 * 60));
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    let signed = |query: String| md5_url(TOKEN, "/users/1.png", &query);

    let hour = signed(format!("w=10&expires={}", NOW + 3600));
    server.get(&hour).await.assert_error(403, "ttl_too_long");
    let forever = signed("w=10".into());
    server.get(&forever).await.assert_error(403, "ttl_too_long");
    let just_over = signed(format!("w=10&expires={}", NOW + 301));
    server
        .get(&just_over)
        .await
        .assert_error(403, "ttl_too_long");

    let four_minutes = signed(format!("w=10&expires={}", NOW + 240));
    let reply = server.get(&four_minutes).await;
    reply.assert_image("png");
    assert_eq!(reply.max_age(), 240);
    let five_minutes = signed(format!("w=10&expires={}", NOW + 300));
    server.get(&five_minutes).await.assert_image("png");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_configured_secret_verifies_for_key_rotation() {
    let (_root, mut source) = imgix_root();
    source.md5_tokens = vec!["new-token".into(), "old-token".into()];
    source.hmac_keys = vec!["new-key".into(), "old-key".into()];
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    for url in [
        md5_url("new-token", "/users/1.png", "w=10"),
        md5_url("old-token", "/users/1.png", "w=10"),
        hmac_url("new-key", "/users/1.png", "w=10"),
        hmac_url("old-key", "/users/1.png", "w=10"),
    ] {
        server.get(&url).await.assert_image("png");
    }
    for url in [
        md5_url("retired-token", "/users/1.png", "w=10"),
        hmac_url("retired-key", "/users/1.png", "w=10"),
        // A secret of one scheme does not verify the other.
        md5_url("new-key", "/users/1.png", "w=10"),
        hmac_url("new-token", "/users/1.png", "w=10"),
    ] {
        server
            .get(&url)
            .await
            .assert_error(403, "signature_invalid");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_is_enforced_on_public_paths_too() {
    let root = Root::new();
    root.put("pub.png", &gradient_png(20, 10));
    let server = TestServer::start_at(config(vec![root.source("demo")]), NOW).await;
    let past = NOW - 1;
    let future = NOW + 60;
    for target in [
        format!("/pub.png?w=10&expires={past}"),
        format!("/pub.png?w=10&expiry={past}"),
        format!("/pub.png?expires={past}"),
    ] {
        server.get(&target).await.assert_error(403, "expired");
    }
    let reply = server.get(&format!("/pub.png?w=10&expires={future}")).await;
    reply.assert_image("png");
    assert_eq!(reply.max_age(), 60);
    server
        .get(&format!("/pub.png?w=10&expires={NOW}"))
        .await
        .assert_image("png");
}
