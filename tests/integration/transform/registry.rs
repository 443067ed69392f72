//! Every name and alias of imgix's parameter registry (`tests/data/imgix-parameters.tsv`, read
//! here on its own, not through pixgate's table) either does what it says — the answer differs
//! from the same URL without it — or is refused with `400 unsupported_parameter` naming it.
//! None is a silent 200 of the unchanged image.

use std::path::Path;

use image::{Rgba, RgbaImage};

use super::pictures::root;
use crate::support::images::png;
use crate::support::roots::{NOW, Root, config};
use crate::support::server::TestServer;

/// Every spelling in the registry file: (spelling, its registry name).
fn registry_spellings() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/imgix-parameters.tsv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut spellings = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let columns: Vec<&str> = line.split('\t').collect();
        let name = columns[0];
        spellings.push((name.to_string(), name.to_string()));
        for alias in columns[2]
            .split(',')
            .filter(|a| !a.is_empty() && *a != name)
        {
            spellings.push((alias.to_string(), name.to_string()));
        }
    }
    spellings
}

/// For each registry name pixgate implements: a picture, a query it applies to and a value
/// that must change the answer (the pixels, the bytes or a header). `expires` is 1000 s after the
/// server's clock ([`NOW`]), which lowers `max-age` from a year to that.
fn honoured(name: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match name {
        "w" => ("small.png", "", "20"),
        "h" => ("small.png", "", "10"),
        "dpr" => ("small.png", "w=10", "2"),
        "fit" => ("small.png", "w=20&h=20", "crop"),
        "crop" => ("small.png", "w=20&h=20&fit=crop", "left"),
        "fp-x" => ("small.png", "w=20&h=20&fit=crop&crop=focalpoint", "0.1"),
        "fp-y" => ("small.png", "w=20&h=5&fit=crop&crop=focalpoint", "0.1"),
        "ar" => ("small.png", "w=20&fit=crop", "1:1"),
        "rect" => ("small.png", "", "0,0,20,10"),
        "fm" => ("small.png", "", "webp"),
        "auto" => ("small.png", "fm=jpg", "compress"),
        "q" => ("small.png", "fm=jpg", "30"),
        "lossless" => ("small.png", "fm=webp", "1"),
        "bg" => ("small.png", "w=40&h=40&fit=fill&fm=jpg", "f00"),
        "rot" => ("small.png", "", "90"),
        "flip" => ("small.png", "", "h"),
        "blur" => ("small.png", "", "40"),
        "sharp" => ("small.png", "", "60"),
        "dl" => ("small.png", "", "a.png"),
        // What pixgate always does: no change (`false` is refused, `transform::svg`).
        "svg-sanitize" => ("small.png", "w=10", "1"),
        "exp" => ("small.png", "", "40"),
        "bri" => ("small.png", "", "30"),
        "con" => ("small.png", "", "30"),
        "gam" => ("small.png", "", "40"),
        "high" => ("small.png", "", "-80"),
        "shad" => ("small.png", "", "80"),
        "sat" => ("small.png", "", "-100"),
        "vib" => ("small.png", "", "60"),
        "hue" => ("small.png", "", "90"),
        "invert" => ("small.png", "", "1"),
        "usm" => ("small.png", "", "80"),
        "usmrad" => ("small.png", "usm=60", "10"),
        "monochrome" => ("small.png", "", "f00"),
        "duotone" => ("small.png", "", "000080,ffff00"),
        "duotone-alpha" => ("small.png", "duotone=000080,ffff00", "40"),
        "sepia" => ("small.png", "", "80"),
        "htn" => ("small.png", "", "50"),
        "px" => ("small.png", "", "5"),
        "pad" => ("small.png", "", "20"),
        "pad-top" | "pad-right" | "pad-bottom" | "pad-left" => ("small.png", "", "5"),
        "border" => ("small.png", "", "4,red"),
        "border-top" | "border-right" | "border-bottom" | "border-left" => {
            ("small.png", "border=4,red", "9")
        }
        "border-radius" => ("small.png", "border=4,red", "8"),
        "border-radius-inner" => ("small.png", "border=4,red", "6"),
        // On the gradient: overlay (the default mode) leaves pure 0 and 255 as they are.
        "blend" => ("small.png", "", "0f0"),
        "blend-color" => ("small.png", "", "0f0"),
        "blend-mode" => ("small.png", "blend=808080", "multiply"),
        "blend-alpha" => ("small.png", "blend=0f0", "40"),
        "blend-align" => ("rb.png", BLEND_IMAGE, "bottom,right"),
        "blend-x" | "blend-y" | "blend-pad" => ("rb.png", BLEND_IMAGE, "12"),
        "blend-w" | "blend-h" => ("rb.png", BLEND_IMAGE, "30"),
        "blend-size" => ("rb.png", BLEND_IMAGE, "inherit"),
        "blend-fit" => ("rb.png", BLEND_BOX, "scale"),
        "blend-crop" => ("rb.png", BLEND_CROP, "top,left"),
        "mark" => ("rb.png", "", "/logo.png"),
        "mark-align" => ("rb.png", "mark=/logo.png", "top,left"),
        "mark-alpha" => ("rb.png", "mark=/logo.png", "40"),
        "mark-fit" => ("rb.png", "mark=/logo.png&mark-w=20&mark-h=20", "scale"),
        "mark-w" => ("rb.png", "mark=/logo.png", "30"),
        "mark-h" => ("rb.png", "mark=/logo.png", "30"),
        "mark-if-min-width" | "mark-if-min-height" => ("rb.png", "mark=/logo.png", "500"),
        "mark-pad" => ("rb.png", "mark=/logo.png", "20"),
        "mark-scale" => ("rb.png", "mark=/logo.png", "50"),
        "mark-x" | "mark-y" => ("rb.png", "mark=/logo.png", "12"),
        "mark-tile" => ("rb.png", "mark=/logo.png", "grid"),
        "mark-rot" => ("rb.png", "mark=/logo.png", "90"),
        // The brand source's `small.png` (a logo) instead of this source's (the gradient).
        "mark-base" => ("rb.png", "mark=/small.png", "https://brand.test/"),
        "border-stroke-size" => ("small.png", "", "3"),
        "border-stroke-color" => ("small.png", "border-stroke-size=3", "red"),
        "mask" => ("small.png", "", "ellipse"),
        "corner-radius" => ("small.png", "mask=corners", "12"),
        "mask-bg" => ("small.png", "mask=ellipse", "f00"),
        "expires" => ("small.png", "", "1765367400"),
        "trim" => ("corner.png", "trim-color=fff", "color"),
        "trim-color" => ("corner.png", "trim=color", "fff"),
        "trim-tol" => ("corner.png", "trim=color&trim-color=f0f0f0", "20"),
        "trim-md" => ("rb.png", "trim=auto", "255"),
        "trim-sd" => ("corner.png", "trim=auto&trim-md=130", "150"),
        "trim-alpha" => ("half-clear.png", "trim=alpha", "255"),
        "trim-pad" => ("half-clear.png", "trim=alpha", "4"),
        "fill" => ("rb.png", "w=100&h=100&fit=fill", "blur"),
        "fill-color" => ("rb.png", "w=100&h=100&fit=fill&fill=solid", "0f0"),
        "fill-gradient-type" => ("rb.png", RADIAL_AND_LINEAR, "radial"),
        "fill-gradient-cs" => ("rb.png", LINEAR, "oklab"),
        "fill-gradient-linear" => ("rb.png", "w=100&h=100&fit=fill&fill=gradient", "000,fff"),
        "fill-gradient-linear-direction" => ("rb.png", LINEAR, "left,right"),
        "fill-gradient-radial" => ("rb.png", RADIAL_WITHOUT_COLOURS, "000,fff"),
        "fill-gradient-radial-radius" => ("rb.png", RADIAL, "0.1,0.9"),
        "fill-gradient-radial-x" | "fill-gradient-radial-y" => ("rb.png", RADIAL, "0.1"),
        "max-w" | "max-h" => ("rb.png", "w=100&h=100&fit=crop", "50"),
        "min-w" | "min-h" => ("rb.png", "w=20&h=20&fit=crop", "40"),
        "fp-z" => ("rb.png", "w=50&h=50&fit=crop&crop=focalpoint", "2"),
        "fp-debug" => ("rb.png", "w=50&h=50&fit=crop&crop=focalpoint", "1"),
        "orient" => ("rb.png", "", "90"),
        "rot-type" => ("rb.png", "rot=90", "pivot"),
        "chromasub" => ("rb.png", "fm=jpg&q=50", "444"),
        "jpg-progressive" => ("rb.png", "fm=jpg", "1"),
        "dpi" => ("rb.png", "", "300"),
        "colorquant" => ("noise.png", "", "8"),
        "cs" => ("rb.png", "", "srgb"),
        "iptc" => ("photo.jpg", "w=50", "block"),
        // Without the header it renders as `w` says, but the answer now varies on it.
        "ch" => ("small.png", "w=10", "Width"),
        "palette" => ("rb.png", "", "json"),
        "colors" => ("rb.png", "palette=css", "1"),
        "prefix" => ("rb.png", "palette=css", "swatch"),
        "txt" => ("rb.png", "", "Hi"),
        "txt-size" => ("rb.png", "txt=Hi", "30"),
        "txt-color" => ("rb.png", "txt=Hi", "0f0"),
        "txt-align" => ("rb.png", "txt=Hi", "top,left"),
        "txt-font" => ("rb.png", "txt=Hi", "serif"),
        "txt-fit" => ("rb.png", LONG_TEXT, "max"),
        "txt-width" => ("rb.png", "txt=Hello%20there%20world", "20"),
        "txt-clip" => ("rb.png", LONG_TEXT, "start"),
        "txt-pad" => ("rb.png", "txt=Hi", "0"),
        "txt-shad" => ("rb.png", "txt=Hi", "5"),
        "txt-line" => ("rb.png", "txt=Hi", "2"),
        "txt-line-color" => ("rb.png", "txt=Hi&txt-line=2", "0f0"),
        "txt-x" | "txt-y" => ("rb.png", "txt=Hi", "3"),
        // Two lines ("Hi", "Hi"): the leading is between them.
        "txt-lead" => ("rb.png", "txt64=SGkKSGk", "10"),
        "txt-track" => ("rb.png", "txt=Hi", "5"),
        "face-blur" => ("face.jpg", "w=64", "50"),
        "face-pixel" => ("face.jpg", "w=64", "8"),
        // The portrait has one face: there is no second, so a plain crop instead.
        "faceindex" => ("face.jpg", "w=32&h=32&fit=facearea", "2"),
        "facepad" => ("face.jpg", "w=32&h=32&fit=facearea", "2"),
        "faces" => ("face.jpg", "fm=json", "1"),
        // Three frames, red, green, blue, of 70, 230 and 500 ms, looping forever.
        "frame" | "interval" | "skip" => ("rgb.gif", "", "2"),
        "reverse" => ("rgb.gif", "", "1"),
        "fps" => ("rgb.gif", "", "10"),
        "loop" => ("rgb.gif", "", "2"),
        _ => return None,
    })
}

/// Honoured names walked with a value that changes nothing: `rot-type` tells pivot from
/// straighten for angles other than quarter turns, which `rot` refuses for now; `cs=srgb` and
/// `iptc=block` ask for what pixgate does anyway (`iptc=allow` is shown in `metadata`).
const ACCEPTED_NO_OPS: [&str; 4] = ["rot-type", "cs", "iptc", "svg-sanitize"];

/// Words wider than their box, which `txt-fit` and `txt-clip` then change.
const LONG_TEXT: &str = "txt=Hello%20there%20world&txt-width=30";

/// An image blended in: the 40×20 gradient, so its size, place and crop show.
const BLEND_IMAGE: &str = "blend=/small.png&blend-mode=normal";
const BLEND_BOX: &str = "blend=/small.png&blend-mode=normal&blend-w=20&blend-h=20";
const BLEND_CROP: &str = "blend=/small.png&blend-mode=normal&blend-w=20&blend-h=20&blend-fit=crop";

const LINEAR: &str = "w=100&h=100&fit=fill&fill=gradient&fill-gradient-linear=000,fff";
const RADIAL_WITHOUT_COLOURS: &str = "w=100&h=100&fit=fill&fill=gradient&fill-gradient-type=radial";
const RADIAL: &str =
    "w=100&h=100&fit=fill&fill=gradient&fill-gradient-type=radial&fill-gradient-radial=000,fff";
const RADIAL_AND_LINEAR: &str =
    "w=100&h=100&fit=fill&fill=gradient&fill-gradient-linear=000,fff&fill-gradient-radial=000,fff";

/// What an answer is: status, type, caching (`Cache-Control`, `Vary`), download name and bytes.
type Answer = (
    u16,
    Option<String>,
    (Option<String>, Option<String>),
    Option<String>,
    Vec<u8>,
);

async fn answer(server: &TestServer, path: &str, query: &str) -> Answer {
    let reply = server.get(&format!("/{path}?{query}")).await;
    let header = |name| reply.header(name).map(str::to_string);
    (
        reply.status,
        header("content-type"),
        (header("cache-control"), header("vary")),
        header("content-disposition"),
        reply.body.clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_registry_name_and_alias_is_honoured_or_refused_by_name() {
    let root = root();
    let brand = Root::new();
    brand.put(
        "small.png",
        &png(&RgbaImage::from_pixel(8, 4, Rgba([0, 255, 0, 255]))),
    );
    let mut brand_source = brand.source("brand");
    brand_source.hosts = vec!["brand.test".into()];
    let sources = vec![root.source("demo"), brand_source];
    let server = TestServer::start_at(config(sources), NOW).await;
    assert_eq!(NOW + 1000, 1_765_367_400);
    let spellings = registry_spellings();
    assert!(spellings.len() > 280, "{} spellings", spellings.len());
    let (mut honoured_count, mut refused_count) = (0, 0);
    for (spelling, name) in &spellings {
        match honoured(name) {
            Some((path, base, value)) => {
                let joiner = if base.is_empty() { "" } else { "&" };
                let query = format!("{base}{joiner}{spelling}={value}");
                let with = answer(&server, path, &query).await;
                let without = answer(&server, path, base).await;
                assert_eq!(with.0, 200, "{spelling}={value}: {}", with.0);
                if ACCEPTED_NO_OPS.contains(&name.as_str()) {
                    assert_eq!(
                        with, without,
                        "{spelling}={value} is documented as no change"
                    );
                } else {
                    assert_ne!(with, without, "{spelling}={value} changed nothing");
                }
                honoured_count += 1;
            }
            None => {
                let reply = server.get(&format!("/small.png?{spelling}=1")).await;
                let message = reply.assert_error(400, "unsupported_parameter");
                assert!(
                    message.contains(&format!("`{spelling}`")),
                    "{spelling}: {message}"
                );
                refused_count += 1;
            }
        }
    }
    // 146 names and the aliases of w, h, fit, invert, monochrome, mask-bg, five of trim's,
    // fill-color, the four bounds, orient, rot-type, jpg-progressive, face-pixel, mark-*,
    // blend-* and txt-* are honoured; the rest are refused.
    assert_eq!(
        (honoured_count, refused_count),
        (245, spellings.len() - 245)
    );
}

/// Values imgix defines that pixgate does not implement are refused like names, and a URL
/// whose only parameter is refused is not passed through as the original.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imgix_values_pixgate_lacks_are_refused_by_name() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for (query, name) in [
        ("w=10&h=10&fit=clamp", "fit"),
        ("w=10&h=10&fit=fill&fill=gen", "fill"),
        ("blend=/small.png&blend-crop=faces,top", "blend-crop"),
        ("blend=/small.png&bc=faces", "bc"),
        ("fm=png8", "fm"),
        ("format=jp2", "format"),
        ("auto=format,enhance", "auto"),
        ("rot=45", "rot"),
    ] {
        let reply = server.get(&format!("/small.png?{query}")).await;
        let message = reply.assert_error(400, "unsupported_parameter");
        assert!(message.contains(&format!("`{name}`")), "{query}: {message}");
    }
}

/// imgix's base64 variants (`<name>64`, URL-safe, unpadded) are the same request as the plain
/// name, and a variant of a name pixgate lacks is refused naming the variant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base64_variants_are_their_names_or_refused_by_name() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let plain = server.get("/small.png?w=20&bri=20").await;
    plain.assert_status(200);
    // MjA is "20".
    let encoded = server.get("/small.png?w64=MjA&bri64=MjA").await;
    assert_eq!(encoded.header("x-cache"), Some("HIT"));
    assert_eq!(encoded.body, plain.body);
    let message = server
        .get("/small.png?nr64=MzA")
        .await
        .assert_error(400, "unsupported_parameter");
    assert!(message.contains("`nr64`"), "{message}");
    let message = server
        .get("/small.png?w64=*")
        .await
        .assert_error(400, "bad_parameter");
    assert!(message.contains("`w64`"), "{message}");
}
