//! The SSRF guard on HTTP origins: internal addresses are refused unless the source
//! allows their network, judged after DNS resolution and again at every redirect; refused
//! hosts are never connected to. Redirects within the allowed networks are followed up to
//! `max_redirects`.

use pixgate::config::{HttpRoot, Root, SourceConfig};
use url::Url;

use crate::support::images::{BLUE, RED, halves_png};
use crate::support::remote::{Origin, networks};
use crate::support::roots::{config, fixture};
use crate::support::server::TestServer;

fn http_source(name: &str, prefix: &str, root: HttpRoot) -> SourceConfig {
    let mut source = SourceConfig::new(name, Root::Http(root));
    source.prefix = prefix.into();
    source
}

/// The same origin twice: with no allowed networks it is refused before any connection; with
/// `127.0.0.1/32` allowed it serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_origin_is_refused_unless_its_network_is_allowed() {
    let origin = Origin::start().await;
    origin.put("a.png", &halves_png(40, 20, RED, BLUE));
    let guarded = http_source("guarded", "/guarded", origin.root(&[]));
    let allowed = http_source("allowed", "/allowed", origin.root(&["127.0.0.1/32"]));
    let server = TestServer::start(config(vec![guarded, allowed])).await;

    for target in [
        "/guarded/a.png",
        "/guarded/a.png?w=20",
        "/guarded/nothing.png",
    ] {
        server
            .get(target)
            .await
            .assert_error(502, "upstream_refused");
    }
    assert_eq!(origin.connections(), 0, "{:?}", origin.targets());

    server.get("/allowed/a.png?w=20").await.assert_image("png");
    assert!(origin.connections() >= 1);
}

/// A name is judged by the address it resolves to: `localhost` is loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_resolves_to_loopback_is_refused_after_resolution() {
    let origin = Origin::start().await;
    origin.put("a.png", &halves_png(40, 20, RED, BLUE));
    let base = Url::parse(&format!("http://localhost:{}/", origin.addr.port())).unwrap();
    let root = HttpRoot {
        base,
        allowed_networks: Vec::new(),
        max_redirects: 3,
    };
    let server = TestServer::start(config(vec![http_source("web", "", root)])).await;

    for target in ["/a.png", "/a.png?w=20"] {
        server
            .get(target)
            .await
            .assert_error(502, "upstream_refused");
    }
    assert_eq!(origin.connections(), 0, "{:?}", origin.targets());
}

/// An allowed origin redirecting to another loopback address (`127.0.0.2`, not allowed) is
/// refused at the redirect; the other host is never contacted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_an_address_outside_the_allowed_networks_is_refused() {
    let origin = Origin::start().await;
    let elsewhere = Origin::start_on("127.0.0.2".parse().unwrap()).await;
    elsewhere.put("x.png", &halves_png(8, 8, RED, RED));
    origin.redirect("/away.png", &elsewhere.url("x.png"));
    // Refused at the second hop: the first stays on the allowed origin.
    let query = serde_urlencoded::to_string([("to", elsewhere.url("x.png"))]).unwrap();
    origin.redirect("/twice.png", &origin.url(&format!("redirect?{query}")));
    let server = TestServer::start(config(vec![origin.source("web")])).await;

    for target in ["/away.png", "/away.png?w=4", "/twice.png"] {
        server
            .get(target)
            .await
            .assert_error(502, "upstream_refused");
    }
    assert_eq!(elsewhere.connections(), 0, "{:?}", elsewhere.targets());
    assert!(
        origin
            .targets()
            .iter()
            .any(|t| t.starts_with("/redirect?to=")),
        "the first hop of /twice.png was not followed: {:?}",
        origin.targets()
    );
}

/// Redirects that stay inside the allowed networks are followed, absolute or relative.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_within_the_allowed_origin_is_followed() {
    let origin = Origin::start().await;
    let forest = fixture("forest-800x500.jpg");
    origin.put("new/forest.jpg", &forest);
    origin.redirect("/old/forest.jpg", &origin.url("new/forest.jpg"));
    let server = TestServer::start(config(vec![origin.source("web")])).await;

    let whole = server.get("/old/forest.jpg").await;
    whole.assert_image("jpeg");
    assert_eq!(whole.body, forest);
    server
        .get("/old/forest.jpg?w=100")
        .await
        .assert_image("jpeg");
    // `/hop/1/…` answers with a relative Location.
    let hopped = server.get("/hop/1/new/forest.jpg").await;
    hopped.assert_image("jpeg");
    assert_eq!(hopped.body, forest);
    let targets = origin.targets();
    for target in [
        "/old/forest.jpg",
        "/new/forest.jpg",
        "/hop/1/new/forest.jpg",
    ] {
        assert!(targets.iter().any(|t| t == target), "{targets:?}");
    }
}

/// `max_redirects = 2`: two hops are followed, a third is `upstream_failed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_redirects_than_max_redirects_is_502_upstream_failed() {
    let origin = Origin::start().await;
    let forest = fixture("forest-800x500.jpg");
    origin.put("a.jpg", &forest);
    let root = HttpRoot {
        base: origin.base(),
        allowed_networks: networks(&["127.0.0.1/32"]),
        max_redirects: 2,
    };
    let server = TestServer::start(config(vec![http_source("web", "", root)])).await;

    let two = server.get("/hop/2/a.jpg").await;
    two.assert_image("jpeg");
    assert_eq!(two.body, forest);
    for target in ["/hop/3/a.jpg", "/hop/3/a.jpg?w=50", "/hop/9/a.jpg"] {
        server
            .get(target)
            .await
            .assert_error(502, "upstream_failed");
    }
    // One fetch asks for /hop/9, /hop/8 and /hop/7, and stops at the third redirect.
    let targets = origin.targets();
    let followed: Vec<&String> = targets
        .iter()
        .filter(|t| {
            ["/hop/9/", "/hop/8/", "/hop/7/", "/hop/6/"]
                .iter()
                .any(|p| t.starts_with(p))
        })
        .collect();
    assert_eq!(
        followed,
        ["/hop/9/a.jpg", "/hop/8/a.jpg", "/hop/7/a.jpg"],
        "{targets:?}"
    );
}
