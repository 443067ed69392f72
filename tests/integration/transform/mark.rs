//! imgix's watermark (`mark` and its options): another image of the same source laid over the
//! render where `mark-align` says, sized, faded and padded as asked; never fetched from an
//! arbitrary URL; its version in the cache key.

use std::net::TcpListener;

use image::{Rgba, RgbaImage};

use crate::support::images::png;
use crate::support::roots::{NOW, Root, config};
use crate::support::server::TestServer;
use crate::support::signing::md5_url;

const GREY: [u8; 4] = [128, 128, 128, 255];
const GREEN: [u8; 4] = [0, 255, 0, 255];
const TOKEN: &str = "mark-token";

/// A 200×100 grey base, a 20×10 green logo, both also under `private/`.
async fn server() -> (Root, TestServer) {
    let root = Root::new();
    let base = png(&RgbaImage::from_pixel(200, 100, Rgba(GREY)));
    let logo = png(&RgbaImage::from_pixel(20, 10, Rgba(GREEN)));
    root.put("base.png", &base)
        .put("logo.png", &logo)
        .put("private/base.png", &base)
        .put("private/logo.png", &logo)
        .put("notes.txt", b"not an image");
    let mut source = root.source("demo");
    source.private_prefixes = vec!["private/".into()];
    source.md5_tokens = vec![TOKEN.into()];
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    (root, server)
}

/// The box holding every pixel of `colour`, as (x, y, width, height), and how many there are.
fn found(image: &RgbaImage, colour: [u8; 4]) -> ((u32, u32, u32, u32), usize) {
    let hits: Vec<(u32, u32)> = image
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0 == colour)
        .map(|(x, y, _)| (x, y))
        .collect();
    if hits.is_empty() {
        return ((0, 0, 0, 0), 0);
    }
    let (x0, y0) = hits.iter().fold((u32::MAX, u32::MAX), |(a, b), (x, y)| {
        (a.min(*x), b.min(*y))
    });
    let (x1, y1) = hits
        .iter()
        .fold((0, 0), |(a, b), (x, y)| (a.max(*x), b.max(*y)));
    ((x0, y0, x1 + 1 - x0, y1 + 1 - y0), hits.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mark_lands_where_it_is_aligned_and_nowhere_else() {
    let (_root, server) = server().await;
    let cases = [
        ("", (175, 85)),
        ("&mark-align=top,left", (5, 5)),
        ("&mark-align=left,top", (5, 5)),
        ("&ma=middle,center", (90, 45)),
        ("&mark-align=top&mark-pad=0", (180, 0)),
        ("&mark-x=10&mark-y=20", (10, 20)),
        ("&mark-x=10", (10, 85)),
    ];
    for (options, (x, y)) in cases {
        let out = server
            .get(&format!("/base.png?mark=/logo.png{options}&fm=png"))
            .await
            .image("png");
        assert_eq!(out.dimensions(), (200, 100));
        assert_eq!(found(&out, GREEN), ((x, y, 20, 10), 200), "{options}");
        let grey = out.pixels().filter(|p| p.0 == GREY).count();
        assert_eq!(grey, 200 * 100 - 200, "{options}: the rest is untouched");
    }
    // `dpr` scales the mark and its padding with the image.
    let doubled = server
        .get("/base.png?w=200&dpr=2&mark=/logo.png&fm=png")
        .await
        .image("png");
    assert_eq!(found(&doubled, GREEN), ((350, 170, 40, 20), 800));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mark_is_sized_and_faded_as_asked() {
    let (_root, server) = server().await;
    let sizes = [
        ("mark-w=0.5", (100, 50)),
        ("mark-scale=25", (50, 25)),
        ("mark-h=30", (60, 30)),
        ("mark-w=40&mark-h=40", (40, 20)),
        ("mark-w=40&mark-h=40&mark-fit=scale", (40, 40)),
        ("mark-w=40&mark-h=40&mark-fit=crop", (40, 40)),
        ("mark-w=40&mark-h=40&mark-fit=max", (20, 10)),
    ];
    for (options, size) in sizes {
        let out = server
            .get(&format!(
                "/base.png?mark=/logo.png&{options}&mark-align=top,left&fm=png"
            ))
            .await
            .image("png");
        assert_eq!(found(&out, GREEN).0, (5, 5, size.0, size.1), "{options}");
    }
    // `fill`: the fitted logo centred in the 40×40 box, the rest of the box see-through.
    let filled = server
        .get(
            "/base.png?mark=/logo.png&mark-w=40&mark-h=40&mark-fit=fill&mark-align=top,left&fm=png",
        )
        .await
        .image("png");
    assert_eq!(found(&filled, GREEN).0, (5, 15, 40, 20));
    // Half opacity: halfway between grey and green.
    let faded = server
        .get("/base.png?mark=/logo.png&mark-alpha=50&fm=png")
        .await
        .image("png");
    let p = faded.get_pixel(180, 90).0;
    for (c, want) in [(0, 64), (1, 192), (2, 64)] {
        assert!(p[c].abs_diff(want) <= 1, "{p:?}");
    }
    // Below `mark-if-min-width`, no mark: the plain render's bytes.
    let plain = server.get("/base.png?fm=png").await.body;
    let skipped = server
        .get("/base.png?mark=/logo.png&mark-if-min-width=201&fm=png")
        .await;
    assert_eq!(skipped.body, plain);
    let kept = server
        .get("/base.png?mark=/logo.png&mark-if-min-width=200&fm=png")
        .await;
    assert_ne!(kept.body, plain);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_the_mark_file_renders_again() {
    let (root, server) = server().await;
    let url = "/base.png?mark=/logo.png&fm=png";
    let first = server.get(url).await;
    assert_eq!(first.header("x-cache"), Some("MISS"));
    assert_eq!(server.get(url).await.header("x-cache"), Some("HIT"));
    // `mark64` is the same request.
    let encoded = server.get("/base.png?mark64=L2xvZ28ucG5n&fm=png").await;
    assert_eq!(encoded.header("x-cache"), Some("HIT"));
    root.put(
        "logo.png",
        &png(&RgbaImage::from_pixel(30, 10, Rgba([0, 0, 255, 255]))),
    );
    let second = server.get(url).await;
    assert_eq!(second.header("x-cache"), Some("MISS"));
    let out = second.image("png");
    assert_eq!(found(&out, [0, 0, 255, 255]), ((165, 85, 30, 10), 300));
    assert_eq!(found(&out, GREEN).1, 0, "nothing of the old logo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marks_from_elsewhere_are_refused_by_name_and_never_fetched() {
    let (_root, server) = server().await;
    // A listener the URL points at: nothing may connect to it.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    for mark in [
        format!("http://127.0.0.1:{port}/logo.png"),
        format!("HTTPS://127.0.0.1:{port}/logo.png"),
        format!("//127.0.0.1:{port}/logo.png"),
    ] {
        let encoded: String = url_encode(&mark);
        let message = server
            .get(&format!("/base.png?mark={encoded}"))
            .await
            .assert_error(400, "bad_parameter");
        assert!(message.contains("`mark`"), "{mark}: {message}");
    }
    assert!(listener.accept().is_err(), "pixgate connected to the URL");
    for (query, why) in [
        ("mark=/missing.png", "no file"),
        ("mark=/notes.txt", "the mark"),
        ("mark=/private/logo.png", "private"),
        ("mark=/logo.png&mark-align=up", "up"),
        ("mark=/logo.png&mark-w=9000", "9000"),
    ] {
        let message = server
            .get(&format!("/base.png?{query}"))
            .await
            .assert_error(400, "bad_parameter");
        assert!(
            message.contains("`mark") && message.contains(why),
            "{query}: {message}"
        );
    }
    // A private mark on a private image, signed: drawn.
    let signed = server
        .get(&md5_url(
            TOKEN,
            "/private/base.png",
            "mark=/private/logo.png&fm=png",
        ))
        .await
        .image("png");
    assert_eq!(found(&signed, GREEN).1, 200);
    // `mark-base` must be a URL, and goes with a path.
    for query in [
        "mark=/logo.png&mark-base=/base.png",
        "mark=https%3A%2F%2Fbrand.test%2Flogo.png&mark-base=https%3A%2F%2Fbrand.test%2F",
    ] {
        let message = server
            .get(&format!("/base.png?{query}"))
            .await
            .assert_error(400, "bad_parameter");
        assert!(message.contains("`mark-base`"), "{query}: {message}");
    }
}

const BLUE: [u8; 4] = [0, 0, 255, 255];
const BRAND_TOKEN: &str = "brand-token";

/// [`server`] plus a `brand` source on the host `brand.test` under `/assets`, holding a blue
/// `logo.png` and, signed reads only, `secret/logo.png`.
async fn server_with_brand() -> (Root, Root, TestServer) {
    let (root, brand) = (Root::new(), Root::new());
    let base = png(&RgbaImage::from_pixel(200, 100, Rgba(GREY)));
    root.put("base.png", &base).put("private/base.png", &base);
    let logo = png(&RgbaImage::from_pixel(20, 10, Rgba(BLUE)));
    brand.put("logo.png", &logo).put("secret/logo.png", &logo);
    let mut demo = root.source("demo");
    demo.private_prefixes = vec!["private/".into()];
    demo.md5_tokens = vec![TOKEN.into()];
    let mut assets = brand.source("brand");
    assets.hosts = vec!["brand.test".into()];
    assets.prefix = "/assets".into();
    assets.private_prefixes = vec!["secret/".into()];
    assets.md5_tokens = vec![BRAND_TOKEN.into()];
    let server = TestServer::start_at(config(vec![demo, assets]), NOW).await;
    (root, brand, server)
}

/// A mark by URL on one of pixgate's own hosts is read through that source, under its
/// signature rules; `mark-base` builds the same URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mark_by_url_on_an_own_host_is_read_through_that_source() {
    let (_root, _brand, server) = server_with_brand().await;
    let by_url = server
        .get("/base.png?fm=png&mark=https%3A%2F%2Fbrand.test%2Fassets%2Flogo.png")
        .await;
    assert_eq!(found(&by_url.image("png"), BLUE), ((175, 85, 20, 10), 200));
    let based = server
        .get("/base.png?fm=png&mark=/logo.png&mark-base=https%3A%2F%2FBRAND.test%2Fassets%2F")
        .await;
    assert_eq!(based.body, by_url.body);
    // A blend takes the same URLs.
    let blended = server
        .get("/base.png?fm=png&blend=https%3A%2F%2Fbrand.test%2Fassets%2Flogo.png&bm=normal")
        .await;
    assert_eq!(found(&blended.image("png"), BLUE), ((0, 0, 20, 10), 200));
    for (mark, why) in [
        // Outside the source's prefix, or on a host no source names.
        ("https://brand.test/logo.png", "no host and path"),
        ("https://elsewhere.test/assets/logo.png", "no host and path"),
        ("https://brand.test/assets/missing.png", "no file"),
        // That source signs `secret/`: unsigned, it is refused by its rules.
        (
            "https://brand.test/assets/secret/logo.png",
            "must be signed",
        ),
    ] {
        let message = server
            .get(&format!("/base.png?mark={}", url_encode(mark)))
            .await
            .assert_error(400, "bad_parameter");
        assert!(
            message.contains("`mark`") && message.contains(why),
            "{mark}: {message}"
        );
    }
    // Signed for that source, it is still private: drawn on a private image only.
    let secret = format!(
        "https://brand.test{}",
        md5_url(BRAND_TOKEN, "/assets/secret/logo.png", "")
    );
    let on_public = server
        .get(&format!("/base.png?mark={}", url_encode(&secret)))
        .await
        .assert_error(400, "bad_parameter");
    assert!(on_public.contains("private"), "{on_public}");
    let query = format!("fm=png&mark={}", url_encode(&secret));
    let on_private = server
        .get(&md5_url(TOKEN, "/private/base.png", &query))
        .await
        .image("png");
    assert_eq!(found(&on_private, BLUE).1, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mark_tiles_and_turns() {
    let (_root, server) = server().await;
    // A grid from the top-left: 20×10 copies every 25 px across and 15 px down.
    let tiled = server
        .get("/base.png?mark=/logo.png&mark-tile=grid&fm=png")
        .await
        .image("png");
    for (x, y, green) in [
        (5, 5, true),
        (24, 14, true),
        (27, 5, false),
        (30, 5, true),
        (5, 17, false),
        (5, 20, true),
        (185, 85, true),
        (2, 2, false),
    ] {
        assert_eq!(tiled.get_pixel(x, y).0 == GREEN, green, "({x}, {y})");
    }
    // A quarter turn stands the logo up, still aligned bottom-right.
    let turned = server
        .get("/base.png?mark=/logo.png&mark-rot=90&fm=png")
        .await
        .image("png");
    assert_eq!(found(&turned, GREEN), ((185, 75, 10, 20), 200));
    // 45°: a diamond about 21 px across, see-through around it (the grey shows).
    let diagonal = server
        .get("/base.png?mark=/logo.png&mark-rot=45&mark-align=top,left&mark-pad=0&fm=png")
        .await
        .image("png");
    let touched = |p: &Rgba<u8>| p.0 != GREY;
    let (xs, ys): (Vec<u32>, Vec<u32>) = diagonal
        .enumerate_pixels()
        .filter(|(_, _, p)| touched(p))
        .map(|(x, y, _)| (x, y))
        .unzip();
    let span = |v: &[u32]| v.iter().max().unwrap() - v.iter().min().unwrap() + 1;
    assert!((21..=23).contains(&span(&xs)) && (21..=23).contains(&span(&ys)));
    assert_eq!(
        diagonal.get_pixel(0, 0).0,
        GREY,
        "a corner of the box stays clear"
    );
    assert_eq!(
        diagonal.get_pixel(11, 11).0,
        GREEN,
        "the middle is the logo"
    );
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A source's `watermark`: every unsigned image carries it (passthrough included, which then
/// renders), a signed one does not, and no parameter removes it or puts another in its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_source_watermark_brands_unsigned_images_only() {
    let root = Root::new();
    root.put(
        "base.png",
        &png(&RgbaImage::from_pixel(200, 100, Rgba(GREY))),
    )
    .put(
        "logo.png",
        &png(&RgbaImage::from_pixel(20, 10, Rgba(GREEN))),
    );
    let mut source = root.source("demo");
    source.md5_tokens = vec![TOKEN.into()];
    source.watermark = Some("mark=/logo.png&mark-align=top,left".into());
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    for query in [
        "fm=png",
        "w=200&fm=png",
        "mark-alpha=1&fm=png",
        "mark-if-min-width=5000&fm=png",
        "mark-x=150&fm=png",
    ] {
        let out = server.get(&format!("/base.png?{query}")).await.image("png");
        assert_eq!(found(&out, GREEN), ((5, 5, 20, 10), 200), "{query}");
    }
    // Passthrough of the original would show it unbranded: it is rendered instead.
    let passthrough = server.get("/base.png").await.image("png");
    assert_eq!(found(&passthrough, GREEN).1, 200);
    // Signed: the image as asked.
    let signed = server
        .get(&md5_url(TOKEN, "/base.png", "fm=png"))
        .await
        .image("png");
    assert_eq!(found(&signed, GREEN).1, 0);
    let signed_passthrough = server.get(&md5_url(TOKEN, "/base.png", "")).await;
    assert_eq!(signed_passthrough.body, root_file(&root, "base.png"));
    // A wrong signature is not refused (none is required) but does not count.
    let forged = server
        .get("/base.png?fm=png&s=00000000000000000000000000000000")
        .await;
    assert_eq!(found(&forged.image("png"), GREEN).1, 200);
    // Another mark cannot replace it unsigned.
    let message = server
        .get("/base.png?mark=/base.png")
        .await
        .assert_error(400, "bad_parameter");
    assert!(
        message.contains("`mark`") && message.contains("watermark"),
        "{message}"
    );
}

fn root_file(root: &Root, key: &str) -> Vec<u8> {
    std::fs::read(root.path().join(key)).unwrap()
}
