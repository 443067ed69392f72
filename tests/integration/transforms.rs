//! Transforms (contract §3), judged by the pixels and sizes that come back: sizing, the six fit
//! modes, crop gravity, every output format, quality, negotiation, EXIF orientation, alpha
//! handling, and 400s that name the bad parameter.

use image::RgbaImage;

use crate::support::images::{
    BLUE, GREEN, RED, YELLOW, assert_pixel, dimensions, gradient_png, halves_png, image_kind,
    jpeg_frame_markers, mean_abs_diff, mean_colour, png, stacked_png,
};
use crate::support::roots::{Root, config};
use crate::support::server::TestServer;

/// One root for the whole module, every file small.
fn root() -> Root {
    let root = Root::new();
    root.put("rb.png", &halves_png(200, 100, RED, BLUE))
        .put("gy.png", &stacked_png(100, 200, GREEN, YELLOW))
        .put("small.png", &gradient_png(40, 20))
        .put("g64.png", &gradient_png(64, 32))
        .put("stripes.png", &png(&stripes()))
        .put("disc.png", &png(&disc()))
        .put_fixture("photo.jpg", "private/cups-400x250.jpg")
        .put_fixture("orient6.jpg", "forest-orient6.jpg")
        .put_fixture("upright.jpg", "forest-800x500.jpg");
    root
}

/// Flat areas after a resize: Lanczos weights sum to one only up to rounding.
const RESAMPLED: u8 = 3;

async fn server(root: &Root) -> TestServer {
    TestServer::start(config(vec![root.source("demo")])).await
}

/// 64×64: 3-px vertical stripes of opaque white and fully transparent *black*, so a resize that
/// forgets to premultiply drags the black into the edges.
fn stripes() -> RgbaImage {
    RgbaImage::from_fn(64, 64, |x, _| {
        image::Rgba(if (x / 3) % 2 == 0 {
            [255, 255, 255, 255]
        } else {
            [0, 0, 0, 0]
        })
    })
}

/// 64×64: an opaque red disc of radius 16 in the middle, transparent black around it.
fn disc() -> RgbaImage {
    RgbaImage::from_fn(64, 64, |x, y| {
        let (dx, dy) = (f64::from(x) - 31.5, f64::from(y) - 31.5);
        image::Rgba(if dx * dx + dy * dy <= 16.0 * 16.0 {
            RED
        } else {
            [0, 0, 0, 0]
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn width_height_and_dpr_size_the_output() {
    let root = root();
    let server = server(&root).await;
    let cases = [
        ("w=100", (100, 50)),
        ("h=25", (50, 25)),
        ("w=100&dpr=2", (200, 100)),
        ("w=60&dpr=1.5", (90, 45)),
        ("w=0.5", (100, 50)),
        ("w=50&h=50", (50, 25)),
        ("width=100", (100, 50)),
        ("height=25", (50, 25)),
        ("w=400", (400, 200)),
    ];
    for (query, size) in cases {
        let reply = server.get(&format!("/rb.png?{query}")).await;
        assert_eq!(reply.image("png").dimensions(), size, "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fit_modes_meet_a_smaller_and_a_larger_box_as_documented() {
    let root = root();
    let server = server(&root).await;
    // The source is 40×20; the boxes are 10×10 (inside it) and 80×80 (around it).
    let cases = [
        ("fit=clip", (10, 5), (80, 40)),
        ("fit=max", (10, 5), (40, 20)),
        ("fit=crop", (10, 10), (80, 80)),
        ("fit=fill", (10, 10), (80, 80)),
        ("fit=scale", (10, 10), (80, 80)),
        ("fit=min", (10, 10), (20, 20)),
        ("mode=contain", (10, 5), (80, 40)),
        ("mode=scale-down", (10, 5), (40, 20)),
        ("mode=cover", (10, 10), (80, 80)),
        ("mode=pad", (10, 10), (80, 80)),
        ("mode=stretch", (10, 10), (80, 80)),
        ("", (10, 5), (80, 40)),
    ];
    for (fit, small, large) in cases {
        for (size, want) in [(10, small), (80, large)] {
            let query = format!("w={size}&h={size}&{fit}");
            let reply = server.get(&format!("/small.png?{query}")).await;
            assert_eq!(reply.image("png").dimensions(), want, "{query}");
        }
    }
    // With one side given, max and min still never enlarge.
    for fit in ["max", "min"] {
        let reply = server.get(&format!("/small.png?w=80&fit={fit}")).await;
        assert_eq!(reply.image("png").dimensions(), (40, 20), "fit={fit}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_pads_to_the_exact_box_with_bg() {
    let root = root();
    let server = server(&root).await;
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
async fn crop_gravity_picks_the_side_that_survives() {
    let root = root();
    let server = server(&root).await;
    // Mean colour of the output, allowing a few percent of resampling at the cut.
    let cases = [
        ("/rb.png?w=50&h=100&fit=crop&crop=left", RED),
        ("/rb.png?w=50&h=100&fit=crop&crop=right", BLUE),
        ("/rb.png?w=50&h=100&fit=crop&gravity=left", RED),
        ("/rb.png?w=50&h=100&mode=cover&crop=top,right", BLUE),
        ("/gy.png?w=100&h=50&fit=crop&crop=top", GREEN),
        ("/gy.png?w=100&h=50&fit=crop&crop=bottom", YELLOW),
        ("/gy.png?w=50&h=25&fit=crop&crop=bottom,left", YELLOW),
    ];
    for (target, want) in cases {
        let out = server.get(target).await.image("png");
        let mean = mean_colour(&out);
        for c in 0..3 {
            assert!(
                (mean[c] - f64::from(want[c])).abs() < 8.0,
                "{target}: mean {mean:?}, wanted {want:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_output_format_is_what_it_says() {
    let root = root();
    let server = server(&root).await;
    // AVIF stays tiny: rav1e is the slow one.
    let cases = [
        ("fm=jpg", "jpeg"),
        ("fm=jpeg", "jpeg"),
        ("fm=pjpg", "jpeg"),
        ("fm=png", "png"),
        ("format=png", "png"),
        ("fm=webp", "webp"),
        ("fm=avif", "avif"),
        ("fm=gif", "gif"),
    ];
    for (fm, kind) in cases {
        let reply = server.get(&format!("/g64.png?w=32&{fm}")).await;
        reply.assert_image(kind);
        assert_eq!(dimensions(&reply.body), (32, 16), "{fm}");
        match fm {
            "fm=jpg" | "fm=jpeg" => assert_eq!(jpeg_frame_markers(&reply.body), [0xC0], "{fm}"),
            "fm=pjpg" => assert_eq!(jpeg_frame_markers(&reply.body), [0xC2], "{fm}"),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lower_quality_means_fewer_bytes() {
    let root = root();
    let server = server(&root).await;
    let mut sizes = Vec::new();
    for q in ["q=20", "quality=20", "q=90"] {
        let reply = server.get(&format!("/photo.jpg?w=200&fm=jpg&{q}")).await;
        reply.assert_image("jpeg");
        sizes.push(reply.body.len());
    }
    assert_eq!(sizes[0], sizes[1], "quality is an alias of q");
    assert!(
        sizes[0] < sizes[2],
        "q=20 gave {} bytes, q=90 {}",
        sizes[0],
        sizes[2]
    );
    let webp = sizes_for(&server, "/photo.jpg?w=200&fm=webp", ["q=20", "q=90"]).await;
    assert!(
        webp[0] < webp[1],
        "webp q=20 {} bytes, q=90 {}",
        webp[0],
        webp[1]
    );
}

async fn sizes_for(server: &TestServer, base: &str, qs: [&str; 2]) -> Vec<usize> {
    let mut sizes = Vec::new();
    for q in qs {
        let reply = server.get(&format!("{base}&{q}")).await;
        assert_eq!(reply.status, 200, "{base}&{q}: {}", reply.text());
        sizes.push(reply.body.len());
    }
    sizes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_format_negotiates_from_accept_and_says_so_in_vary() {
    let root = root();
    let server = server(&root).await;
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
    let server = server(&root).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exif_rotated_jpeg_comes_out_upright() {
    let root = root();
    let server = server(&root).await;
    let rotated = server.get("/orient6.jpg?w=100").await.image("jpeg");
    let upright = server.get("/upright.jpg?w=100").await.image("jpeg");
    assert_eq!(rotated.width(), 100);
    assert!(
        (62..=63).contains(&rotated.height()),
        "{:?}",
        rotated.dimensions()
    );
    assert_eq!(rotated.dimensions(), upright.dimensions());
    // Tolerance: mean absolute difference under 12/255 per channel; two JPEG round trips of
    // the same picture land near 2-4, a wrong rotation or mirror near 30 or more.
    let diff = mean_abs_diff(&rotated, &upright);
    assert!(diff < 12.0, "mean absolute difference {diff:.1}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downscaled_alpha_has_no_dark_fringe() {
    let root = root();
    let server = server(&root).await;
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
    let server = server(&root).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_parameters_are_ignored() {
    let root = root();
    let server = server(&root).await;
    let reply = server.get("/small.png?w=10&foo=bar&ixlib=rb-4.1.0").await;
    assert_eq!(reply.image("png").dimensions(), (10, 5));
    let reply = server.get("/small.png?foo=bar").await;
    reply.assert_status(200);
    assert_eq!(
        reply.body,
        std::fs::read(root.path().join("small.png")).unwrap()
    );
}

/// Whether `message` has `name` as a word of its own (not just a letter inside another word).
fn names(message: &str, name: &str) -> bool {
    message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .any(|word| word == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_values_are_400_naming_the_parameter() {
    let root = root();
    let server = server(&root).await;
    let cases = [
        ("w=abc", "w"),
        ("w=0", "w"),
        ("w=-5", "w"),
        ("width=abc", "width"),
        ("h=1e3", "h"),
        ("fit=banana", "fit"),
        ("mode=banana", "mode"),
        ("fm=bmp", "fm"),
        ("format=tiff", "format"),
        ("q=101", "q"),
        ("q=0", "q"),
        ("quality=abc", "quality"),
        ("dpr=9", "dpr"),
        ("dpr=0.5", "dpr"),
        ("crop=top,bottom", "crop"),
        ("crop=middle", "crop"),
        ("rot=45", "rot"),
        ("flip=x", "flip"),
        ("bg=zzz", "bg"),
        ("blur=3000", "blur"),
        ("rect=0,0,0,0", "rect"),
        ("ar=0:1", "ar"),
        ("lossless=2", "lossless"),
        ("w=9000", "w"),
        ("h=9000", "h"),
        ("w=4200&dpr=2", "w"),
    ];
    for (query, name) in cases {
        let target = format!("/small.png?{query}");
        let message = server.get(&target).await.assert_error(400, "bad_parameter");
        assert!(
            names(&message, name),
            "{target}: message {message:?} does not name {name}"
        );
    }
    // The bytes of an image never come back with a 400.
    let reply = server.get("/small.png?w=abc").await;
    assert_eq!(image_kind(&reply.body), None);
}
