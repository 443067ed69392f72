//! imgix's `blend`: a colour or another image of the source mixed in by one of sixteen modes.
//! Each mode is checked on a synthetic image against the W3C Compositing and Blending formulas
//! written out again here, in f64.

use image::{Rgba, RgbaImage};

use crate::support::images::png;
use crate::support::roots::Root;
use crate::support::server::TestServer;

const LAYER: [u8; 3] = [200, 100, 50];

/// 64×16: red rises across, green down, blue falls across: every mode meets dark, mid and
/// light values.
fn base() -> RgbaImage {
    RgbaImage::from_fn(64, 16, |x, y| {
        Rgba([(x * 4) as u8, (y * 16) as u8, 255 - (x * 4) as u8, 255])
    })
}

async fn server() -> (Root, TestServer) {
    let root = Root::new();
    root.put("base.png", &png(&base()))
        .put(
            "grey.png",
            &png(&RgbaImage::from_pixel(100, 50, Rgba([128, 128, 128, 255]))),
        )
        .put(
            "layer.png",
            &png(&RgbaImage::from_pixel(20, 10, Rgba([0, 255, 0, 255]))),
        );
    let server = TestServer::serving(&root).await;
    (root, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mode_matches_its_formula() {
    let (_root, server) = server().await;
    let modes = [
        "normal",
        "multiply",
        "screen",
        "overlay",
        "darken",
        "lighten",
        "dodge",
        "burn",
        "hardlight",
        "softlight",
        "difference",
        "exclusion",
        "hue",
        "saturation",
        "color",
        "luminosity",
    ];
    let hex = format!("{:02x}{:02x}{:02x}", LAYER[0], LAYER[1], LAYER[2]);
    let base = base();
    for mode in modes {
        let out = server
            .get(&format!("/base.png?blend={hex}&blend-mode={mode}&fm=png"))
            .await
            .image("png");
        let mut worst = 0u8;
        for (x, y, p) in out.enumerate_pixels() {
            let b = base.get_pixel(x, y).0;
            let want = formula(mode, [b[0], b[1], b[2]], LAYER);
            for c in 0..3 {
                worst = worst.max(p[c].abs_diff(want[c]));
            }
        }
        assert!(worst <= 1, "{mode}: off by {worst}");
    }
    // imgix's default mode is overlay.
    let default = server
        .get(&format!("/base.png?blend={hex}&fm=png"))
        .await
        .body;
    let overlay = server
        .get(&format!("/base.png?blend={hex}&blend-mode=overlay&fm=png"))
        .await;
    assert_eq!(default, overlay.body);
    assert_eq!(
        overlay.header("x-cache"),
        Some("HIT"),
        "one entry for both spellings"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alpha_fades_the_layer_and_blend_color_is_blend() {
    let (_root, server) = server().await;
    let half = server
        .get("/grey.png?blend=fff&blend-mode=normal&blend-alpha=50&fm=png")
        .await
        .image("png");
    assert!(
        half.get_pixel(10, 10).0[..3]
            .iter()
            .all(|c| c.abs_diff(192) <= 1)
    );
    let by_colour = server
        .get("/grey.png?blend-color=fff&blend-mode=normal&blend-alpha=50&fm=png")
        .await;
    assert_eq!(by_colour.header("x-cache"), Some("HIT"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_blends_where_it_is_placed() {
    let (root, server) = server().await;
    // Multiply green over grey: (0, 128, 0) in the layer's 20×10 box at the top-left, grey
    // elsewhere.
    let out = server
        .get("/grey.png?blend=/layer.png&blend-mode=multiply&fm=png")
        .await
        .image("png");
    assert_eq!(out.get_pixel(0, 0).0, [0, 128, 0, 255]);
    assert_eq!(out.get_pixel(19, 9).0, [0, 128, 0, 255]);
    assert_eq!(out.get_pixel(20, 9).0, [128, 128, 128, 255]);
    assert_eq!(out.get_pixel(19, 10).0, [128, 128, 128, 255]);
    let placed = server
        .get("/grey.png?blend=/layer.png&blend-mode=multiply&blend-align=bottom,right&blend-pad=5&fm=png")
        .await
        .image("png");
    assert_eq!(placed.get_pixel(94, 44).0, [0, 128, 0, 255]);
    assert_eq!(placed.get_pixel(95, 45).0, [128, 128, 128, 255]);
    assert_eq!(placed.get_pixel(75, 35).0, [0, 128, 0, 255]);
    assert_eq!(placed.get_pixel(74, 35).0, [128, 128, 128, 255]);
    // `blend-size=inherit` stretches nothing here (clip keeps the shape) but covers the width.
    let inherited = server
        .get("/grey.png?blend=/layer.png&blend-mode=multiply&blend-size=inherit&blend-fit=scale&fm=png")
        .await
        .image("png");
    assert!(inherited.pixels().all(|p| p.0 == [0, 128, 0, 255]));
    // Replacing the layer's file renders again.
    root.put(
        "layer.png",
        &png(&RgbaImage::from_pixel(20, 10, Rgba([255, 0, 0, 255]))),
    );
    let replaced = server
        .get("/grey.png?blend=/layer.png&blend-mode=multiply&fm=png")
        .await;
    assert_eq!(replaced.header("x-cache"), Some("MISS"));
    assert_eq!(replaced.image("png").get_pixel(0, 0).0, [128, 0, 0, 255]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_blends_are_refused_by_name() {
    let (_root, server) = server().await;
    for (query, status, code, name) in [
        (
            "blend=red&blend-mode=add",
            400,
            "bad_parameter",
            "blend-mode",
        ),
        (
            "blend=red&blend-alpha=101",
            400,
            "bad_parameter",
            "blend-alpha",
        ),
        (
            "blend=red&blend-color=blue",
            400,
            "bad_parameter",
            "blend-color",
        ),
        (
            "blend=http%3A%2F%2F127.0.0.1%3A9%2Fx.png",
            400,
            "bad_parameter",
            "blend",
        ),
        ("blend=/missing.png", 400, "bad_parameter", "blend"),
        (
            "blend=/layer.png&blend-fit=clamp",
            400,
            "unsupported_parameter",
            "blend-fit",
        ),
        (
            "blend=/layer.png&blend-crop=faces",
            400,
            "unsupported_parameter",
            "blend-crop",
        ),
    ] {
        let message = server
            .get(&format!("/grey.png?{query}"))
            .await
            .assert_error(status, code);
        assert!(message.contains(&format!("`{name}`")), "{query}: {message}");
    }
}

/// W3C Compositing and Blending Level 1, §9–10: B(cb, cs) on an opaque backdrop with an
/// opaque source, in f64, rounded to 8 bits.
fn formula(mode: &str, backdrop: [u8; 3], source: [u8; 3]) -> [u8; 3] {
    let cb = backdrop.map(|v| f64::from(v) / 255.0);
    let cs = source.map(|v| f64::from(v) / 255.0);
    let multiply = |b: f64, s: f64| b * s;
    let screen = |b: f64, s: f64| b + s - b * s;
    let hard_light = |b: f64, s: f64| {
        if s <= 0.5 {
            multiply(b, 2.0 * s)
        } else {
            screen(b, 2.0 * s - 1.0)
        }
    };
    let soft_light = |b: f64, s: f64| {
        if s <= 0.5 {
            b - (1.0 - 2.0 * s) * b * (1.0 - b)
        } else {
            let d = if b <= 0.25 {
                ((16.0 * b - 12.0) * b + 4.0) * b
            } else {
                b.sqrt()
            };
            b + (2.0 * s - 1.0) * (d - b)
        }
    };
    let lum = |c: [f64; 3]| 0.3 * c[0] + 0.59 * c[1] + 0.11 * c[2];
    let clip = |c: [f64; 3]| {
        let (l, n, x) = (lum(c), c[0].min(c[1]).min(c[2]), c[0].max(c[1]).max(c[2]));
        c.map(|v| {
            let v = if n < 0.0 {
                l + (v - l) * l / (l - n)
            } else {
                v
            };
            if x > 1.0 {
                l + (v - l) * (1.0 - l) / (x - l)
            } else {
                v
            }
        })
    };
    let set_lum = |c: [f64; 3], l: f64| {
        let d = l - lum(c);
        clip(c.map(|v| v + d))
    };
    let sat = |c: [f64; 3]| c[0].max(c[1]).max(c[2]) - c[0].min(c[1]).min(c[2]);
    let set_sat = |c: [f64; 3], s: f64| {
        let mut i = [0, 1, 2];
        i.sort_by(|a, b| c[*a].partial_cmp(&c[*b]).unwrap());
        let mut out = [0.0; 3];
        if c[i[2]] > c[i[0]] {
            out[i[1]] = (c[i[1]] - c[i[0]]) * s / (c[i[2]] - c[i[0]]);
            out[i[2]] = s;
        }
        out
    };
    let per = |f: &dyn Fn(f64, f64) -> f64| [f(cb[0], cs[0]), f(cb[1], cs[1]), f(cb[2], cs[2])];
    let out = match mode {
        "normal" => cs,
        "multiply" => per(&multiply),
        "screen" => per(&screen),
        "overlay" => per(&|b, s| hard_light(s, b)),
        "darken" => per(&f64::min),
        "lighten" => per(&f64::max),
        "dodge" => per(&|b, s| {
            if b == 0.0 {
                0.0
            } else if s == 1.0 {
                1.0
            } else {
                (b / (1.0 - s)).min(1.0)
            }
        }),
        "burn" => per(&|b, s| {
            if b == 1.0 {
                1.0
            } else if s == 0.0 {
                0.0
            } else {
                1.0 - ((1.0 - b) / s).min(1.0)
            }
        }),
        "hardlight" => per(&hard_light),
        "softlight" => per(&soft_light),
        "difference" => per(&|b, s| (b - s).abs()),
        "exclusion" => per(&|b, s| b + s - 2.0 * b * s),
        "hue" => set_lum(set_sat(cs, sat(cb)), lum(cb)),
        "saturation" => set_lum(set_sat(cb, sat(cs)), lum(cb)),
        "color" => set_lum(cs, lum(cb)),
        "luminosity" => set_lum(cb, lum(cs)),
        other => panic!("no formula for {other}"),
    };
    out.map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
}
