//! Format negotiation (contract §3): `auto=format` picks AVIF, WebP or the source's format from
//! `Accept`, read per RFC 9110 (q-values, case), and says so in `Vary`; an explicit `fm` wins.

use super::pictures::root;
use crate::support::server::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_format_negotiates_from_accept_and_says_so_in_vary() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let cases: [(&str, Option<&str>, &str, bool); 8] = [
        (
            "auto=format",
            Some("image/avif,image/webp,*/*"),
            "avif",
            true,
        ),
        ("auto=format", Some("image/webp"), "webp", true),
        (
            "auto=format",
            Some("image/avif;q=0, image/webp"),
            "webp",
            true,
        ),
        ("auto=format", None, "png", true),
        ("auto=format", Some("text/html"), "png", true),
        ("fm=auto", Some("image/webp"), "webp", true),
        (
            "auto=format&fm=png",
            Some("image/avif,image/webp"),
            "png",
            false,
        ),
        ("", Some("image/avif,image/webp"), "png", false),
    ];
    for (params, accept, kind, varies) in cases {
        let target = format!("/g64.png?w=16&{params}");
        let headers: Vec<(&str, &str)> = accept.iter().map(|a| ("accept", *a)).collect();
        let reply = server.get_with(&target, &headers).await;
        reply.assert_image(kind);
        let vary = reply.header("vary");
        if varies {
            assert!(
                vary.is_some_and(|v| v.to_ascii_lowercase().contains("accept")),
                "{target} {accept:?}: vary {vary:?}"
            );
        } else {
            assert_eq!(vary, None, "{target} {accept:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_qvalues_and_media_types_are_read_per_rfc_9110() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let cases = [
        ("image/avif;q=0.0, image/webp", "webp"),
        ("image/avif;Q=0, image/webp", "webp"),
        ("image/avif; q=0.000, image/webp", "webp"),
        ("IMAGE/WEBP", "webp"),
    ];
    for (accept, kind) in cases {
        let reply = server
            .get_with("/g64.png?w=16&auto=format", &[("accept", accept)])
            .await;
        assert_eq!(
            reply.header("content-type"),
            Some(format!("image/{kind}").as_str()),
            "Accept: {accept}"
        );
    }
}
