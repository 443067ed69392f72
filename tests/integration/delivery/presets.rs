//! Presets (`preset=NAME`), a source that lets unsigned requests use presets only, and a
//! source whose unsigned sizes are rounded up to its `widths`.

use pixgate::config::Preset;

use super::{RENDERS, small_root};
use crate::support::roots::config;
use crate::support::server::TestServer;
use crate::support::signing::md5_url;

const TOKEN: &str = "presets-token";

async fn server(presets_only: bool, widths: &[u32]) -> (crate::support::roots::Root, TestServer) {
    let root = small_root();
    let mut source = root.source("demo");
    source.presets_only = presets_only;
    source.widths = widths.to_vec();
    source.md5_tokens = vec![TOKEN.into()];
    let mut config = config(vec![source]);
    config.presets = vec![Preset {
        name: "thumb".into(),
        params: "w=20&h=20&fit=crop&fm=png".into(),
    }];
    (root, TestServer::start(config).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preset_is_its_parameters_and_the_url_refines_it() {
    let (_root, server) = server(false, &[]).await;
    let preset = server.get("/small.png?preset=thumb").await;
    assert_eq!(preset.image("png").dimensions(), (20, 20));
    let spelled = server.get("/small.png?w=20&h=20&fit=crop&fm=png").await;
    assert_eq!(spelled.header("x-cache"), Some("HIT"), "one cache entry");
    assert_eq!(spelled.body, preset.body);
    let refined = server.get("/small.png?preset=thumb&h=10").await;
    assert_eq!(refined.image("png").dimensions(), (20, 10));
    let message = server
        .get("/small.png?preset=huge")
        .await
        .assert_error(400, "bad_parameter");
    assert!(
        message.contains("`preset`") && message.contains("huge"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presets_only_refuses_unsigned_free_transforms_and_lets_signed_ones_through() {
    let (_root, server) = server(true, &[]).await;
    server
        .get("/small.png?preset=thumb")
        .await
        .assert_image("png");
    for own in ["w=10", "preset=thumb&h=10", "auto=format"] {
        let message = server
            .get(&format!("/small.png?{own}"))
            .await
            .assert_error(403, "presets_only");
        assert!(message.contains("preset"), "{own}: {message}");
    }
    // The original itself is no transform.
    server.get("/small.png").await.assert_status(200);
    let signed = server
        .get(&md5_url(TOKEN, "/small.png", "w=10&fm=png"))
        .await;
    assert_eq!(signed.image("png").dimensions(), (10, 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_sizes_round_up_to_the_source_s_widths() {
    let (_root, server) = server(false, &[16, 32]).await;
    let first = server.get("/small.png?w=17&fm=png").await;
    assert_eq!(first.image("png").dimensions(), (32, 16));
    assert_eq!(
        first.header("content-location"),
        Some("/small.png?w=32&fm=png")
    );
    let second = server.get("/small.png?w=25&fm=png").await;
    assert_eq!(
        second.header("x-cache"),
        Some("HIT"),
        "17 and 25 share one entry"
    );
    assert_eq!(second.body, first.body);
    let doubled = server.get("/small.png?w=8&dpr=2&fm=png").await;
    assert_eq!(
        doubled.header("content-location"),
        Some("/small.png?w=16&fm=png")
    );
    assert_eq!(server.metric(RENDERS).await, Some(2.0));
    // Signed URLs take any size; a share of the image cannot be rounded and is refused.
    let signed = server
        .get(&md5_url(TOKEN, "/small.png", "w=17&fm=png"))
        .await;
    assert_eq!(signed.image("png").dimensions(), (17, 9));
    assert_eq!(signed.header("content-location"), None);
    let message = server
        .get("/small.png?w=0.5")
        .await
        .assert_error(400, "bad_parameter");
    assert!(message.contains("`w`"), "{message}");
}
