//! The shipped nginx config as the CDN in front of a real pixgate: a derivative is rendered
//! once and then served by nginx, an expiring URL is kept only for the time it has left,
//! negotiated formats are kept apart by `Accept`, and refusals and errors always reach pixgate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::delivery::{RENDERS, photo_root, small_root};
use crate::support::cdn::{Cdn, cdn_cache};
use crate::support::roots::config;
use crate::support::server::TestServer;
use crate::support::signing::md5_url;

const TOKEN: &str = "cdn-token";

/// A pixgate serving `root` for `img.shop.test` only (so nginx must pass `Host`), with
/// `private/` signed by [`TOKEN`] and AVIF never traded for speed, and nginx in front.
async fn origin_behind_cdn(root: &crate::support::roots::Root) -> Option<(TestServer, Cdn)> {
    let mut source = root.source("shop");
    source.hosts = vec!["img.shop.test".into()];
    source.private_prefixes = vec!["private/".into()];
    source.md5_tokens = vec![TOKEN.into()];
    let mut config = config(vec![source]);
    config.encoding.avif_budget = Duration::ZERO;
    let server = TestServer::start(config).await;
    let cdn = Cdn::front(server.addr())?;
    Some((server, cdn))
}

const HOST: (&str, &str) = ("host", "img.shop.test");

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_derivative_is_rendered_once_then_served_by_the_cdn() {
    let root = photo_root();
    let Some((server, cdn)) = origin_behind_cdn(&root).await else {
        return;
    };
    let target = "/cups.jpg?w=120&fm=webp";

    // Cold, at once: nginx's cache lock lets one request through, the others wait for it.
    let cold = futures_util::future::join_all((0..4).map(|_| cdn.get_with(target, &[HOST]))).await;
    for reply in &cold {
        reply.assert_image("webp");
        assert_eq!(reply.body, cold[0].body, "one derivative");
    }
    let misses = cold.iter().filter(|r| cdn_cache(r) == "MISS").count();
    assert_eq!(
        misses,
        1,
        "{:?}",
        cold.iter().map(cdn_cache).collect::<Vec<_>>()
    );
    let metrics = server.metrics().await;
    assert_eq!(metrics.count(RENDERS), 1);
    assert_eq!(
        metrics.requests("image"),
        1,
        "requests that reached pixgate"
    );

    let warm = cdn.get_with(target, &[HOST]).await;
    warm.assert_image("webp");
    assert_eq!(cdn_cache(&warm), "HIT");
    assert_eq!(warm.body, cold[0].body);
    assert_eq!(warm.header("etag"), cold[0].header("etag"));
    let metrics = server.metrics().await;
    assert_eq!(metrics.count(RENDERS), 1, "a hit renders nothing");
    assert_eq!(metrics.requests("image"), 1, "a hit never reaches pixgate");

    let mut ids: Vec<&str> = cold
        .iter()
        .chain([&warm])
        .filter_map(|r| r.header("x-request-id"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5, "each answer has its own request id, hits too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiring_url_is_kept_only_for_the_time_it_has_left() {
    let root = small_root();
    let Some((server, cdn)) = origin_behind_cdn(&root).await else {
        return;
    };
    let expires = unix_now() + 2;
    let target = md5_url(
        TOKEN,
        "/private/small.png",
        &format!("w=20&expires={expires}"),
    );

    let started = unix_now();
    let first = cdn.get_with(&target, &[HOST]).await;
    let finished = unix_now();
    first.assert_image("png");
    assert_eq!(cdn_cache(&first), "MISS");
    let max_age = first.max_age();
    assert!(
        (expires - finished..=expires - started).contains(&max_age),
        "max-age {max_age}: the URL had {}..={} s left",
        expires - finished,
        expires - started
    );
    // nginx keeps it until its own clock's second + max-age: the expiry itself, unless a
    // second began between pixgate's clock and nginx's (whole seconds on both sides).
    let kept_until = if started == finished {
        expires
    } else {
        expires + 1
    };

    let mut hits = 0;
    loop {
        let sent = unix_now();
        let reply = cdn.get_with(&target, &[HOST]).await;
        if reply.status == 200 {
            assert_eq!(cdn_cache(&reply), "HIT");
            assert!(
                sent <= kept_until,
                "served at {sent}, kept until {kept_until}"
            );
            hits += 1;
        } else {
            // pixgate refuses once its clock is past `expires`; it reads that clock after
            // `sent`, so a second may have begun in between.
            assert!(
                sent >= expires,
                "refused at {sent}, before expiry at {expires}"
            );
            reply.assert_error(403, "expired");
            assert_ne!(cdn_cache(&reply), "HIT");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(hits > 0, "served from nginx before expiry");
    assert_eq!(server.metrics().await.count(RENDERS), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiated_formats_are_kept_apart_by_accept() {
    let root = small_root();
    let Some((server, cdn)) = origin_behind_cdn(&root).await else {
        return;
    };
    let target = "/small.png?w=20&auto=format";
    let cases = [
        (Some("image/avif,image/webp,*/*"), "avif"),
        (Some("image/webp,*/*"), "webp"),
        (None, "png"),
    ];
    let get = async |accept: Option<&str>| {
        let mut headers = vec![HOST];
        headers.extend(accept.map(|a| ("accept", a)));
        cdn.get_with(target, &headers).await
    };
    for round in ["MISS", "HIT"] {
        for (accept, kind) in cases {
            let reply = get(accept).await;
            reply.assert_image(kind);
            assert_eq!(reply.header("vary"), Some("Accept"), "{accept:?}");
            assert_eq!(cdn_cache(&reply), round, "{accept:?}");
        }
    }
    assert_eq!(server.metrics().await.count(RENDERS), 3);

    // Another browser's Accept in the AVIF bucket: a variant of its own for nginx, a hit
    // for pixgate, which keys by bucket.
    let chrome = get(Some("image/avif,image/webp,image/apng,image/*,*/*;q=0.8")).await;
    chrome.assert_image("avif");
    assert_eq!(cdn_cache(&chrome), "MISS");
    assert_eq!(chrome.header("x-cache"), Some("HIT"));
    let refuses_avif = get(Some("image/avif;q=0, image/webp")).await;
    refuses_avif.assert_image("webp");
    assert_eq!(server.metrics().await.count(RENDERS), 3);

    // Without negotiation there is no Vary and one entry for every Accept.
    let fixed = "/small.png?w=20&fm=webp";
    let first = cdn.get_with(fixed, &[HOST, ("accept", "image/avif")]).await;
    let second = cdn.get_with(fixed, &[HOST]).await;
    first.assert_image("webp");
    second.assert_image("webp");
    assert_eq!(first.header("vary"), None);
    assert_eq!((cdn_cache(&first), cdn_cache(&second)), ("MISS", "HIT"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_errors_are_never_cached() {
    let root = small_root();
    let Some((server, cdn)) = origin_behind_cdn(&root).await else {
        return;
    };
    let cases = [
        ("/private/small.png?w=20", 403, "signature_required"),
        ("/missing.png?w=20", 404, "not_found"),
        ("/small.png?w=nope", 400, "bad_parameter"),
    ];
    for (target, status, code) in cases {
        for _ in 0..2 {
            let before = server.metrics().await.requests("image");
            let reply = cdn.get_with(target, &[HOST]).await;
            reply.assert_error(status, code);
            assert_eq!(cdn_cache(&reply), "MISS", "{target}");
            let after = server.metrics().await.requests("image");
            assert_eq!(after, before + 1, "{target} reached pixgate");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_not_published_through_the_cdn() {
    let root = small_root();
    let Some((server, cdn)) = origin_behind_cdn(&root).await else {
        return;
    };
    cdn.get("/_pixgate/metrics").await.assert_status(404);
    server.get("/_pixgate/metrics").await.assert_status(200);
    cdn.get("/_pixgate/health").await.assert_status(200);
}
