//! Alpha and `bg` (contract §3): `fit=fill` pads with `bg` in every hex form and keyword, PNG keeps the
//! padding's alpha exactly, JPEG flattens transparency onto white or `bg`, and a downscale
//! premultiplies so transparent pixels leave no dark fringe.

use super::pictures::{BLACK, JPEG_FLAT, RESAMPLED, root};
use crate::support::images::{BLUE, GREEN, RED, YELLOW, assert_pixel};
use crate::support::server::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_pads_to_the_exact_box_with_bg() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // 200×100 red|blue into 100×100: 100×50 of image, 25 rows of padding above and below.
    let reply = server.get("/rb.png?w=100&h=100&fit=fill").await;
    let out = reply.image("png");
    assert_eq!(out.dimensions(), (100, 100));
    assert_eq!(
        out.get_pixel(50, 2).0[3],
        0,
        "default padding is transparent"
    );
    assert_pixel(&out, (10, 50), RED, RESAMPLED, "image");

    let reply = server.get("/rb.png?w=100&h=100&fit=fill&bg=00ff00").await;
    let out = reply.image("png");
    assert_pixel(&out, (50, 2), GREEN, RESAMPLED, "bg paints the padding");
    assert_pixel(&out, (50, 97), GREEN, RESAMPLED, "bg paints the padding");
    assert_pixel(&out, (90, 50), BLUE, RESAMPLED, "image");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bg_pads_fill_in_every_hex_form_and_png_keeps_its_alpha() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // rb.png (200×100) into 100×100: 25 rows of padding above and below the picture. The
    // padding is painted, not resampled, so PNG must carry the colour exactly.
    let cases = [
        ("0f0", [0, 255, 0, 255]),
        ("%230f0", [0, 255, 0, 255]),
        ("8f00", [255, 0, 0, 0x88]),
        ("0fff", [255, 255, 255, 0]),
        ("123456", [0x12, 0x34, 0x56, 255]),
        ("80123456", [0x12, 0x34, 0x56, 0x80]),
        ("FF00ff00", [0, 255, 0, 255]),
        ("00ABCDEF", [0xAB, 0xCD, 0xEF, 0]),
    ];
    for (bg, want) in cases {
        let target = format!("/rb.png?w=100&h=100&fit=fill&bg={bg}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), (100, 100), "{target}");
        for at in [(50, 2), (50, 97), (5, 10), (95, 90)] {
            assert_pixel(&out, at, want, 0, &target);
        }
        assert_pixel(&out, (10, 50), RED, RESAMPLED, &target);
        assert_pixel(&out, (90, 50), BLUE, RESAMPLED, &target);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bg_in_every_hex_form_is_what_alpha_flattens_onto_for_jpeg() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // half-clear.png: 64×32, left half fully transparent, right half opaque red. JPEG has no
    // alpha, so the left half becomes the bg colour; a bg's own alpha cannot be kept and is
    // ignored (imgix: "a translucent bg is made opaque").
    let cases = [
        ("0f0", GREEN),
        ("800f", BLUE),
        ("ffff00", YELLOW),
        ("40123456", [0x12, 0x34, 0x56, 255]),
        ("00000000", BLACK),
    ];
    for (bg, want) in cases {
        for fm in ["jpg", "pjpg"] {
            let target = format!("/half-clear.png?fm={fm}&bg={bg}");
            let out = server.get(&target).await.image("jpeg");
            assert_eq!(out.dimensions(), (64, 32), "{target}");
            assert_pixel(&out, (8, 16), want, JPEG_FLAT, &target);
            assert_pixel(&out, (56, 16), RED, JPEG_FLAT, &target);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downscaled_alpha_has_no_dark_fringe() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let out = server.get("/stripes.png?w=16&fm=png").await.image("png");
    assert_eq!(out.dimensions(), (16, 16));
    let partial = out.pixels().filter(|p| p.0[3] > 0 && p.0[3] < 255).count();
    assert!(partial > 0, "the test image should blend edges");
    for (x, y, p) in out.enumerate_pixels() {
        if p.0[3] > 0 {
            assert!(
                p.0[..3].iter().all(|&c| c >= 230),
                "pixel ({x},{y}) is {:?}: transparent black leaked into the colour",
                p.0
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jpeg_output_flattens_alpha_onto_white_or_bg() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let out = server.get("/disc.png?w=32&fm=jpg").await.image("jpeg");
    assert_eq!(out.dimensions(), (32, 32));
    for (x, y) in [(1, 1), (30, 1), (1, 30), (30, 30)] {
        let p = out.get_pixel(x, y).0;
        assert!(
            p[..3].iter().all(|&c| c >= 230),
            "corner ({x},{y}) is {p:?}"
        );
    }
    let centre = out.get_pixel(16, 16).0;
    assert!(
        centre[0] > 200 && centre[1] < 60 && centre[2] < 60,
        "centre {centre:?}"
    );

    let out = server
        .get("/disc.png?w=32&fm=jpg&bg=00f")
        .await
        .image("jpeg");
    let corner = out.get_pixel(1, 1).0;
    assert!(
        corner[0] < 40 && corner[1] < 40 && corner[2] > 210,
        "corner {corner:?}"
    );
}

/// imgix's colour keywords are colours like their hex spellings (one cache entry); its two
/// brand keywords, whose values it does not publish, are refused rather than guessed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colour_keywords_are_their_hex_values() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let hex = server
        .get("/rb.png?w=40&h=40&fit=fill&fm=png&bg=ff0000")
        .await;
    let named = server.get("/rb.png?w=40&h=40&fit=fill&fm=png&bg=Red").await;
    assert_eq!(named.header("x-cache"), Some("HIT"));
    assert_eq!(named.body, hex.body);
    let padded = named.image("png");
    assert_eq!(
        padded.get_pixel(20, 1).0,
        [255, 0, 0, 255],
        "the padding is red"
    );
    let message = server
        .get("/rb.png?w=40&h=40&fit=fill&bg=imgixorange")
        .await
        .assert_error(400, "unsupported_parameter");
    assert!(message.contains("`bg`"), "{message}");
}

/// `fill` paints the padding of `fit=fill` (and `fillmax`, which never enlarges): a colour, a
/// blurred copy of the image, or a gradient from its first colour to its second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_paints_the_padding_and_fillmax_never_enlarges() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // rb.png: 200×100, red | blue: a 100×100 box pads 25 px above and below.
    let box_ = "w=100&h=100&fit=fill&fm=png";
    let solid = server
        .get(&format!("/rb.png?{box_}&fill=solid&fill-color=lime"))
        .await;
    assert_eq!(solid.image("png").get_pixel(50, 5).0, [0, 255, 0, 255]);
    let blur = server
        .get(&format!("/rb.png?{box_}&fill=blur"))
        .await
        .image("png");
    let (left, right) = (blur.get_pixel(5, 5).0, blur.get_pixel(95, 5).0);
    assert!(
        left[0] > left[2] && right[2] > right[0],
        "blurred red | blue: {left:?} {right:?}"
    );
    let gradient = server
        .get(&format!(
            "/rb.png?{box_}&fill=gradient&fill-gradient-linear=000,fff"
        ))
        .await
        .image("png");
    assert_eq!(
        gradient.get_pixel(50, 0).0,
        [0, 0, 0, 255],
        "top: the first colour"
    );
    assert_eq!(
        gradient.get_pixel(50, 99).0,
        [255, 255, 255, 255],
        "bottom: the second"
    );
    // fillmax in a box larger than the image: the image keeps its size, centred.
    let kept = server
        .get("/rb.png?w=400&h=400&fit=fillmax&fill=solid&fill-color=000&fm=png")
        .await
        .image("png");
    assert_eq!(kept.dimensions(), (400, 400));
    assert_eq!(
        kept.get_pixel(100, 200).0,
        [255, 0, 0, 255],
        "the image starts at x=100"
    );
    assert_eq!(kept.get_pixel(99, 200).0, [0, 0, 0, 255]);
}
