//! imgix's text (`txt` and its options): words drawn in the colour, size, font and place
//! asked, for Latin, Greek and Cyrillic with the shipped fonts and any script with the
//! operator's fonts folder; fitted or clipped to the width; bounded.

use std::path::PathBuf;

use image::{Rgba, RgbaImage};

use crate::support::images::png;
use crate::support::roots::{Root, config};
use crate::support::server::TestServer;

const GREY: [u8; 4] = [128, 128, 128, 255];

/// A 400×200 grey `base.png`; with `fonts`, a fonts folder holding a CJK subset font.
async fn server(fonts: bool) -> (Root, TestServer) {
    let root = Root::new();
    root.put(
        "base.png",
        &png(&RgbaImage::from_pixel(400, 200, Rgba(GREY))),
    );
    let mut config = config(vec![root.source("demo")]);
    if fonts {
        let dir = root.path().join("fonts");
        std::fs::create_dir_all(&dir).unwrap();
        let subset = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/fonts/DroidSansFallback-cjk-subset.ttf");
        std::fs::copy(subset, dir.join("DroidSansFallback-cjk-subset.ttf")).unwrap();
        std::fs::write(dir.join("README.txt"), "not a font, left alone").unwrap();
        config.text.fonts_dir = Some(dir);
    }
    let server = TestServer::start(config).await;
    (root, server)
}

async fn drawn(server: &TestServer, query: &str) -> RgbaImage {
    server
        .get(&format!("/base.png?fm=png&{query}"))
        .await
        .image("png")
}

/// The box (x0, y0, x1, y1), ends exclusive, of the pixels `hit` picks; `None` if none.
fn ink(image: &RgbaImage, hit: impl Fn([u8; 4]) -> bool) -> Option<(u32, u32, u32, u32)> {
    image
        .enumerate_pixels()
        .filter(|(_, _, p)| hit(p.0))
        .fold(None, |b, (x, y, _)| {
            let (x0, y0, x1, y1) = b.unwrap_or((x, y, x + 1, y + 1));
            Some((x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1)))
        })
}

fn red(p: [u8; 4]) -> bool {
    p[0] > 180 && p[1] < 90 && p[2] < 90
}

fn changed(p: [u8; 4]) -> bool {
    p != GREY
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_lands_in_the_colour_size_and_place_asked() {
    let (_root, server) = server(false).await;
    let at = |q: &str| format!("txt=HEH&txt-color=f00&{q}");
    // Top left, `txt-pad` (10) in: the capitals are 0.73 em tall.
    let image = drawn(&server, &at("txt-size=40&txt-align=top,left")).await;
    let (x0, y0, _, y1) = ink(&image, red).unwrap();
    assert!(
        (10..=16).contains(&x0) && (10..=25).contains(&y0),
        "{x0},{y0}"
    );
    assert!((26..=32).contains(&(y1 - y0)), "cap height {}", y1 - y0);
    let everything = ink(&image, changed).unwrap();
    assert!(
        everything.2 <= 200 && everything.3 <= 100,
        "only there: {everything:?}"
    );
    // The default is bottom right.
    let (_, _, x1d, y1d) = ink(&drawn(&server, &at("txt-size=40")).await, red).unwrap();
    assert!(
        (380..=390).contains(&x1d) && (170..=190).contains(&y1d),
        "{x1d},{y1d}"
    );
    // Centred.
    let (cx0, cy0, cx1, cy1) = ink(
        &drawn(&server, &at("txt-size=40&ta=middle,center")).await,
        red,
    )
    .unwrap();
    let centre = ((cx0 + cx1) / 2, (cy0 + cy1) / 2);
    assert!(
        centre.0.abs_diff(200) <= 4 && centre.1.abs_diff(100) <= 8,
        "{centre:?}"
    );
    // Twice the size, twice the height; `txt-x`/`txt-y` place the top-left corner.
    let (bx0, by0, _, by1) = ink(
        &drawn(&server, &at("txt-size=80&txt-x=30&txt-y=50")).await,
        red,
    )
    .unwrap();
    assert!((52..=64).contains(&(by1 - by0)), "{}", by1 - by0);
    assert!(
        (30..=40).contains(&bx0) && (50..=75).contains(&by0),
        "{bx0},{by0}"
    );
    // `dpr` scales the size with the image.
    let doubled = server
        .get("/base.png?fm=png&w=200&dpr=2&txt=HEH&txt-size=20&txt-color=f00&ta=top,left")
        .await
        .image("png");
    let (_, dy0, _, dy1) = ink(&doubled, red).unwrap();
    assert_eq!(dy1 - dy0, y1 - y0, "20 px at dpr 2 is 40 px");
}

/// A character drawn alone, large, in the middle.
async fn glyph(server: &TestServer, c: &str) -> RgbaImage {
    let encoded = percent_encoding::utf8_percent_encode(c, percent_encoding::NON_ALPHANUMERIC);
    drawn(
        server,
        &format!("txt={encoded}&txt-size=60&ta=middle,center"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latin_greek_and_cyrillic_are_drawn_with_the_shipped_fonts_and_other_scripts_need_the_folder()
 {
    let (_root, plain) = server(false).await;
    // U+E000 is in no font: every font set draws it as the missing-glyph box.
    let missing = glyph(&plain, "\u{E000}").await;
    assert!(ink(&missing, changed).is_some(), "a box, never nothing");
    for c in ["A", "é", "Ж", "Ω", "ß", "ф", "λ"] {
        assert_ne!(glyph(&plain, c).await, missing, "{c} has a glyph");
    }
    for script in ["Hello", "Привет мир", "Καλημέρα κόσμε"] {
        let image = drawn(&plain, &format!("txt={}", urlencode(script))).await;
        assert!(ink(&image, changed).is_some(), "{script}");
    }
    // Without the folder a CJK character is the missing-glyph box; with it, its glyph.
    assert_eq!(glyph(&plain, "你").await, missing);
    let (_root, with_folder) = server(true).await;
    assert_ne!(glyph(&with_folder, "你").await, missing);
    assert_ne!(
        glyph(&with_folder, "你").await,
        glyph(&with_folder, "好").await
    );
    // Mixed text takes each character from a face that has it.
    let mixed = drawn(&with_folder, &format!("txt={}", urlencode("Hello 你好"))).await;
    assert!(ink(&mixed, changed).is_some());
    // A name the folder has picks its face before imgix's name of the same spelling (drawn
    // as the shipped sans without the folder).
    let named = "txt=%E4%BD%A0&txt-size=60&ta=middle,center&txt-font=DroidSansFallback";
    assert_eq!(drawn(&plain, named).await, missing);
    assert_ne!(drawn(&with_folder, named).await, missing);
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn txt64_renders_the_same_bytes_as_txt_and_fonts_change_the_letters() {
    let (_root, server) = server(false).await;
    let plain = server
        .get("/base.png?txt=Caf%C3%A9%20%26%20co&txt-size=30")
        .await;
    let base64 = server
        .get("/base.png?txt64=Q2Fmw6kgJiBjbw&txt-size=30")
        .await;
    plain.assert_image("png");
    assert_eq!(plain.body, base64.body);
    let mut seen = Vec::new();
    for font in [
        "sans-serif",
        "serif",
        "monospace",
        "sans-serif,bold",
        "serif,italic",
        "Georgia-Bold",
    ] {
        let image = drawn(&server, &format!("txt=Type&txt-size=40&txt-font={font}")).await;
        assert!(!seen.contains(&image), "{font} looks like another font");
        seen.push(image);
    }
    // imgix's names are drawn by style: HelveticaNeue is the sans, TimesNewRomanPSMT the serif.
    let helvetica = drawn(&server, "txt=Type&txt-size=40&txt-font=HelveticaNeue").await;
    let times = drawn(&server, "txt=Type&txt-size=40&txt-font=TimesNewRomanPSMT").await;
    assert_eq!(helvetica, seen[0]);
    assert_eq!(times, seen[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_lines_are_clipped_or_made_smaller_to_fit() {
    let (_root, server) = server(false).await;
    let long = "txt=The%20quick%20brown%20fox%20jumps%20over%20the%20lazy%20dog&txt-size=40\
                &txt-color=f00&ta=top,left";
    let (x0, _, x1, _) = ink(&drawn(&server, long).await, red).unwrap();
    assert!(x0 >= 10 && x1 <= 390, "within the padding: {x0}..{x1}");
    let (n0, _, n1, _) = ink(&drawn(&server, &format!("{long}&txt-width=150")).await, red).unwrap();
    assert!(n1 - n0 <= 150, "{n0}..{n1}");
    let (f0, fy0, f1, fy1) = ink(
        &drawn(&server, &format!("{long}&txt-width=150&txt-fit=max")).await,
        red,
    )
    .unwrap();
    assert!(
        f1 - f0 <= 150 && f1 - f0 > 120,
        "set smaller, not cut: {f0}..{f1}"
    );
    assert!(fy1 - fy0 < 20, "smaller letters: {}", fy1 - fy0);
    let start = drawn(&server, &format!("{long}&txt-width=150&txt-clip=start")).await;
    let end = drawn(&server, &format!("{long}&txt-width=150&txt-clip=end")).await;
    let ellipsis = drawn(
        &server,
        &format!("{long}&txt-width=150&txt-clip=end,ellipsis"),
    )
    .await;
    assert_ne!(start, end);
    assert_ne!(end, ellipsis);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outlines_and_shadows_are_drawn_in_their_colours() {
    let (_root, server) = server(false).await;
    let words = "txt=Outline&txt-size=40&txt-color=f00&ta=middle,center";
    let blue = |p: [u8; 4]| p[2] > 180 && p[0] < 90 && p[1] < 90;
    let dark = |p: [u8; 4]| p[0] < 90 && p[1] < 90 && p[2] < 90;
    let plain = drawn(&server, words).await;
    assert!(ink(&plain, blue).is_none() && ink(&plain, dark).is_none());
    let outlined = drawn(&server, &format!("{words}&txt-line=3&txt-line-color=00f")).await;
    let (r0, _, r1, _) = ink(&outlined, red).unwrap();
    let (b0, _, b1, _) = ink(&outlined, blue).unwrap();
    assert!(b0 < r0 && b1 > r1, "the outline is around the letters");
    let shadowed = drawn(&server, &format!("{words}&txt-shad=8")).await;
    let (_, _, _, red_bottom) = ink(&shadowed, red).unwrap();
    let (_, _, _, dark_bottom) = ink(&shadowed, dark).unwrap();
    assert!(
        dark_bottom > red_bottom,
        "the shadow falls below the letters"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_beyond_its_bounds_is_refused_by_name() {
    let (_root, server) = server(false).await;
    let long = "a".repeat(501);
    for (query, name) in [
        (format!("txt={long}"), "txt"),
        ("txt=a&txt-size=1001".into(), "txt-size"),
        ("txt=a&txt-font=NoSuchFace".into(), "txt-font"),
        ("txt=a&txt-font=serif,heavy".into(), "txt-font"),
        ("txt=a&txt-clip=sideways".into(), "txt-clip"),
        ("txt64=!!".into(), "txt64"),
    ] {
        let reply = server.get(&format!("/base.png?{query}")).await;
        reply.assert_status(400);
        assert!(reply.text().contains(name), "{query}: {}", reply.text());
    }
}
