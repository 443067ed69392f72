//! SVG input: rasterised at the size the output needs (a 100 px icon at `w=2000` is sharp),
//! sized from `width`/`height`, the `viewBox` or 300x150 as browsers do, PNG by default, with
//! `data:` images drawn. Untransformed it stays a passthrough download; `svg-sanitize=true` is
//! what pixgate always does and `false` is refused by name. Hostile SVG: `hostile::svg`.

use crate::support::images::{assert_pixel, png};
use crate::support::roots::{Root, fixture};
use crate::support::server::TestServer;

const NS: &str = "xmlns='http://www.w3.org/2000/svg'";

/// A 100x100 icon: black on the left half, white on the right.
fn halves() -> String {
    format!(
        "<svg {NS} width='100' height='100'><rect width='100' height='100' fill='#fff'/>\
         <rect width='50' height='100' fill='#000'/></svg>"
    )
}

fn root() -> Root {
    let root = Root::new();
    root.put("halves.svg", halves().as_bytes());
    root.put_fixture("badge.svg", "inputs/badge.svg");
    root.put(
        "viewbox.svg",
        format!("<svg {NS} viewBox='0 0 40 30'><circle cx='20' cy='15' r='10'/></svg>").as_bytes(),
    );
    root.put(
        "unsized.svg",
        format!("<svg {NS}><circle cx='20' cy='15' r='10'/></svg>").as_bytes(),
    );
    root
}

#[tokio::test]
async fn an_enlarged_svg_is_drawn_at_the_output_size_not_resized() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let image = server.get("/halves.svg?w=2000").await.image("png");
    assert_eq!(image.dimensions(), (2000, 2000));
    // Drawn at 2000 px the edge is one pixel wide; a 100 px raster enlarged 20 times by
    // Lanczos3 would blur it over some 60 px.
    let row = 1000;
    let grey = (0..2000)
        .filter(|&x| {
            let v = image.get_pixel(x, row).0[0];
            (8..248).contains(&v)
        })
        .count();
    assert!(grey <= 2, "{grey} grey pixels across the edge");
    assert_pixel(&image, (999, row), [0, 0, 0, 255], 0, "left of the edge");
    assert_pixel(&image, (1000, row), [255, 255, 255, 255], 0, "right of it");
    // A crop of the edge, enlarged: still sharp.
    let crop = server
        .get("/halves.svg?rect=40,0,20,20&w=1000")
        .await
        .image("png");
    assert_eq!(crop.dimensions(), (1000, 1000));
    let grey = (0..1000)
        .filter(|&x| (8..248).contains(&crop.get_pixel(x, 500).0[0]))
        .count();
    assert!(grey <= 2, "{grey} grey pixels across the cropped edge");
}

#[tokio::test]
async fn the_size_comes_from_width_and_height_the_viewbox_or_300x150() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for (path, size) in [
        ("/badge.svg?fm=png", (120, 75)),
        ("/viewbox.svg?fm=png", (40, 30)),
        ("/unsized.svg?fm=png", (300, 150)),
        ("/badge.svg?h=150", (240, 150)),
    ] {
        let image = server.get(path).await.image("png");
        assert_eq!(image.dimensions(), size, "{path}");
    }
    let json = server.get("/badge.svg?fm=json").await.json();
    assert_eq!(json["PixelWidth"], 120, "{json}");
    assert_eq!(json["PixelHeight"], 75, "{json}");
}

#[tokio::test]
async fn transparency_is_kept_in_png_and_flattened_in_jpeg() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let image = server.get("/badge.svg?w=240").await.image("png");
    assert_eq!(image.get_pixel(0, 0).0[3], 0, "the rounded corner is clear");
    assert_eq!(image.get_pixel(120, 75).0[3], 255);
    let jpeg = server.get("/badge.svg?w=240&fm=jpg").await.image("jpeg");
    assert!(jpeg.get_pixel(0, 0).0[..3].iter().all(|&c| c > 245));
}

#[tokio::test]
async fn a_data_uri_image_is_drawn() {
    let root = root();
    let red = png(&image::RgbaImage::from_pixel(
        4,
        4,
        image::Rgba([255, 0, 0, 255]),
    ));
    let uri = format!(
        "data:image/png;base64,{}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, red)
    );
    root.put(
        "embedded.svg",
        format!(
            "<svg {NS} width='20' height='20'><image href='{uri}' width='20' height='20'/></svg>"
        )
        .as_bytes(),
    );
    let server = TestServer::serving(&root).await;
    let image = server.get("/embedded.svg?fm=png").await.image("png");
    assert_pixel(&image, (10, 10), [255, 0, 0, 255], 2, "the embedded PNG");
}

#[tokio::test]
async fn untransformed_svg_stays_a_sandboxed_download() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for path in [
        "/badge.svg",
        "/badge.svg?svg-sanitize=true",
        "/badge.svg?svg-sanitize=1",
    ] {
        let reply = server.get(path).await;
        reply.assert_status(200);
        assert_eq!(reply.body, fixture("inputs/badge.svg"), "{path}");
        assert_eq!(
            reply.header("content-type"),
            Some("application/octet-stream"),
            "{path}"
        );
        let csp = reply.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("sandbox"), "{path}: {csp}");
    }
    server
        .get("/badge.svg?svg-sanitize=true&w=60")
        .await
        .assert_image("png");
}

#[tokio::test]
async fn svg_sanitize_false_is_refused_by_name() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for path in [
        "/badge.svg?svg-sanitize=false",
        "/badge.svg?w=60&svg-sanitize=0",
    ] {
        let message = server
            .get(path)
            .await
            .assert_error(400, "unsupported_parameter");
        assert!(message.contains("svg-sanitize"), "{message}");
    }
    server
        .get("/badge.svg?svg-sanitize=maybe")
        .await
        .assert_status(400);
}
