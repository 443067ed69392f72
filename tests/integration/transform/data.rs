//! imgix's data outputs: `fm=json` (the original's metadata, read with serde_json), `fm=blurhash`
//! (checked with the `blurhash` crate's decoder, an implementation independent of pixgate's
//! encoder) and `palette=json|css`.

use image::{Rgba, RgbaImage};

use crate::support::images::png;
use crate::support::reply::Reply;
use crate::support::roots::{NOW, Root, config, fixture};
use crate::support::server::TestServer;
use crate::support::signing::md5_url;

const TOKEN: &str = "data-token";

/// A root with a JPEG carrying EXIF (with GPS) and IPTC, in public and under `private/`, and
/// a few plain inputs; served with `private/` needing an MD5 signature.
async fn server() -> (Root, TestServer) {
    let root = Root::new();
    let located = located_jpeg();
    root.put("photo.jpg", &located)
        .put("private/photo.jpg", &located)
        .put_fixture("grey.jpg", "inputs/grey.jpg")
        .put_fixture("cmyk.jpg", "inputs/cups-cmyk.jpg")
        .put_fixture("progressive.jpg", "inputs/forest-progressive.jpg")
        .put_fixture("alpha.png", "inputs/cups-alpha.png")
        .put_fixture("forest.webp", "inputs/forest-lossy.webp")
        .put_fixture("notes.txt", "files/notes.txt")
        .put("two.png", &png(&two_colours()))
        .put("half-clear.png", &png(&half_clear()));
    let mut source = root.source("demo");
    source.private_prefixes = vec!["private/".into()];
    source.md5_tokens = vec![TOKEN.into()];
    let server = TestServer::start_at(config(vec![source]), NOW).await;
    (root, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fm_json_describes_the_original() {
    let (_root, server) = server().await;
    let reply = server.get("/photo.jpg?fm=json").await;
    reply.assert_status(200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let doc = reply.json();
    let (width, height) = dimensions(&located_jpeg());
    assert_eq!(doc["PixelWidth"], width);
    assert_eq!(doc["PixelHeight"], height);
    assert_eq!(doc["Content-Type"], "image/jpeg");
    assert_eq!(doc["Content-Length"], located_jpeg().len().to_string());
    assert_eq!(doc["ColorModel"], "RGB");
    assert_eq!(doc["Depth"], 8);
    assert_eq!(doc["Orientation"], 1);
    assert_eq!(doc["HasAlpha"], false);
    assert_eq!(doc["JFIF"]["IsProgressive"], false);
    let profile = doc["ProfileDescription"].as_str().unwrap();
    assert!(profile.contains("P3"), "{profile}");
    assert_eq!(doc["TIFF"]["Make"], "pixgate");
    assert_eq!(doc["TIFF"]["Orientation"], 1);
    assert_eq!(doc["IPTC"]["Caption/Abstract"], "caption");
    assert_eq!(
        doc["IPTC"]["Keywords"],
        serde_json::json!(["cups", "forest"])
    );
    // Public: where the photo was taken stays private.
    assert!(doc.get("GPS").is_none(), "{doc}");
    assert!(!body(&reply).contains("48.85"), "{}", body(&reply));

    // Signed, under a private prefix: the reader could have the file itself.
    let signed = server
        .get(&md5_url(TOKEN, "/private/photo.jpg", "fm=json"))
        .await;
    let gps = &signed.json()["GPS"];
    assert_eq!(gps["LatitudeRef"], "N");
    let latitude = gps["Latitude"].as_f64().unwrap();
    assert!((latitude - (48.0 + 51.0 / 60.0 + 29.4 / 3600.0)).abs() < 1e-9);
    assert_eq!(gps["LongitudeRef"], "E");
    let longitude = gps["Longitude"].as_f64().unwrap();
    assert!((longitude - (2.0 + 17.0 / 60.0 + 40.2 / 3600.0)).abs() < 1e-9);
    server
        .get("/private/photo.jpg?fm=json")
        .await
        .assert_error(403, "signature_required");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fm_json_reads_each_kind_of_file() {
    let (_root, server) = server().await;
    let cases = [
        ("grey.jpg", "image/jpeg", "Gray", false),
        ("cmyk.jpg", "image/jpeg", "CMYK", false),
        ("alpha.png", "image/png", "RGB", true),
        ("forest.webp", "image/webp", "RGB", false),
    ];
    for (name, mime, model, alpha) in cases {
        let doc = server.get(&format!("/{name}?fm=json")).await.json();
        assert_eq!(doc["Content-Type"], mime, "{name}");
        assert_eq!(doc["ColorModel"], model, "{name}");
        assert_eq!(doc["HasAlpha"], alpha, "{name}");
        let stored = dimensions(&fixture(&format!("inputs/{}", source_of(name))));
        assert_eq!(
            (doc["PixelWidth"].clone(), doc["PixelHeight"].clone()),
            (stored.0.into(), stored.1.into()),
            "{name}"
        );
    }
    let progressive = server.get("/progressive.jpg?fm=json").await.json();
    assert_eq!(progressive["JFIF"]["IsProgressive"], true);
    // Nothing else in the query changes the answer: one cache entry.
    let first = server.get("/grey.jpg?fm=json&w=10&sat=-100").await;
    assert_eq!(first.header("x-cache"), Some("HIT"));
    // Nothing to negotiate: no `Vary: Accept`.
    let negotiated = server
        .get_with("/grey.jpg?fm=json&auto=format", &[("accept", "image/avif")])
        .await;
    assert_eq!(negotiated.header("content-type"), Some("application/json"));
    assert_eq!(negotiated.header("vary"), None);
    server
        .get("/notes.txt?fm=json")
        .await
        .assert_error(415, "not_an_image");
}

/// What each name in [`fm_json_reads_each_kind_of_file`] was copied from.
fn source_of(name: &str) -> &'static str {
    match name {
        "grey.jpg" => "grey.jpg",
        "cmyk.jpg" => "cups-cmyk.jpg",
        "alpha.png" => "cups-alpha.png",
        _ => "forest-lossy.webp",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fm_blurhash_decodes_to_the_mean_colour_of_the_render() {
    let (_root, server) = server().await;
    for (query, size) in [("w=300", (300, 188)), ("w=120&h=120&fit=crop", (120, 120))] {
        let reply = server.get(&format!("/photo.jpg?{query}&fm=blurhash")).await;
        reply.assert_status(200);
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        let hash = body(&reply);
        // Components: 3 along the shorter side, 3 × the aspect ratio along the longer.
        let (nx, ny) = if size.0 > size.1 { (5, 3) } else { (3, 3) };
        assert_eq!(hash.len(), 4 + 2 * nx * ny, "{query}: {hash}");
        let decoded = blurhash::decode(&hash, 256, 256, 1.0).unwrap();
        let image = server
            .get(&format!("/photo.jpg?{query}&fm=png"))
            .await
            .image("png");
        assert_eq!(image.dimensions(), size);
        let want = mean_linear(image.pixels().map(|p| [p[0], p[1], p[2]]));
        let got = mean_linear(decoded.chunks_exact(4).map(|p| [p[0], p[1], p[2]]));
        for c in 0..3 {
            // The DC term is the mean in linear light, quantised to 8 bits of sRGB. Odd cosine
            // terms leak 1/256 of themselves into a 256×256 decode's mean; two levels cover
            // both.
            assert!(
                (want[c] - got[c]).abs() <= 2.0,
                "{query}: {want:?} vs {got:?}"
            );
        }
    }
    // Transparent pixels count as `bg`, white by default.
    let white = body(&server.get("/half-clear.png?fm=blurhash").await);
    let red_on_blue = body(&server.get("/half-clear.png?fm=blurhash&bg=00f").await);
    assert_ne!(white, red_on_blue);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn palette_lists_the_colours_by_share() {
    let (_root, server) = server().await;
    let reply = server.get("/two.png?palette=json").await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let doc = reply.json();
    let colours = doc["colors"].as_array().unwrap();
    let hexes: Vec<&str> = colours.iter().map(|c| c["hex"].as_str().unwrap()).collect();
    assert_eq!(
        hexes,
        ["#c81e1e", "#1428c8"],
        "three quarters red, a quarter blue"
    );
    assert!((colours[0]["red"].as_f64().unwrap() - 200.0 / 255.0).abs() < 1e-9);
    let luma = |[r, g, b]: [f64; 3]| (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255.0;
    let want = 0.75 * luma([200.0, 30.0, 30.0]) + 0.25 * luma([20.0, 40.0, 200.0]);
    assert!((doc["average_luminance"].as_f64().unwrap() - want).abs() < 1e-6);
    assert_eq!(doc["dominant_colors"]["vibrant"]["hex"], "#c81e1e");
    // `colors` caps the list; palette runs after the transform (a crop of the blue quarter).
    let one = server.get("/two.png?palette=json&colors=1").await.json();
    assert_eq!(one["colors"].as_array().unwrap().len(), 1);
    let blue = server
        .get("/two.png?rect=30,0,10,10&palette=json")
        .await
        .json();
    assert_eq!(blue["colors"][0]["hex"], "#1428c8");

    let css = server.get("/two.png?palette=css&prefix=swatch").await;
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let text = body(&css);
    for rule in [
        ".swatch-fg-1 { color:#c81e1e !important; }",
        ".swatch-bg-2 { background-color:#1428c8 !important; }",
        ".swatch-fg-ex-1 { color:#000000 !important; }",
        ".swatch-bg-ex-2 { background-color:#ffffff !important; }",
        ".swatch-fg-vibrant { color:#c81e1e !important; }",
    ] {
        assert!(text.contains(rule), "{rule} in:\n{text}");
    }
    assert!(!text.contains(".image-"), "{text}");
    // Differently spelled, the same answer from one entry.
    let again = server
        .get("/two.png?fm=png&palette=css&prefix=swatch&colors=6")
        .await;
    assert_eq!(again.header("x-cache"), Some("HIT"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_data_parameters_are_refused_by_name() {
    let (root, server) = server().await;
    let before = crate::support::roots::files_under(root.path());
    for (query, name) in [
        ("palette=xml", "palette"),
        ("palette=css&prefix=a%7Bcolor:red%7D", "prefix"),
        ("palette=css&prefix=", "prefix"),
        ("palette=json&colors=many", "colors"),
    ] {
        let message = server
            .get(&format!("/two.png?{query}"))
            .await
            .assert_error(400, "bad_parameter");
        assert!(message.contains(&format!("`{name}`")), "{query}: {message}");
    }
    assert_eq!(crate::support::roots::files_under(root.path()), before);
}

/// The stored size, as the `image` crate reads it from the header.
fn dimensions(bytes: &[u8]) -> (u32, u32) {
    image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .unwrap()
        .into_dimensions()
        .unwrap()
}

/// The whole body as text (`Reply::text` shortens it for messages).
fn body(reply: &Reply) -> String {
    String::from_utf8(reply.body.clone()).unwrap()
}

/// Mean colour in linear light, back in sRGB levels: what a BlurHash's DC term encodes.
fn mean_linear(pixels: impl Iterator<Item = [u8; 3]>) -> [f64; 3] {
    let to_linear = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let to_srgb = |v: f64| {
        let v = if v <= 0.003_130_8 {
            v * 12.92
        } else {
            1.055 * v.powf(1.0 / 2.4) - 0.055
        };
        v * 255.0
    };
    let (mut sum, mut n) = ([0.0; 3], 0.0);
    for p in pixels {
        for c in 0..3 {
            sum[c] += to_linear(p[c]);
        }
        n += 1.0;
    }
    sum.map(|s| to_srgb(s / n))
}

/// 40×10: three quarters #c81e1e, a quarter #1428c8 on the right.
fn two_colours() -> RgbaImage {
    RgbaImage::from_fn(40, 10, |x, _| {
        if x < 30 {
            Rgba([200, 30, 30, 255])
        } else {
            Rgba([20, 40, 200, 255])
        }
    })
}

/// 64×32: transparent on the left, red on the right.
fn half_clear() -> RgbaImage {
    RgbaImage::from_fn(64, 32, |x, _| {
        if x < 32 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([255, 0, 0, 255])
        }
    })
}

/// `inputs/forest-p3.jpg` (a Display P3 profile) with an EXIF APP1 (Make, Orientation and a
/// GPS IFD at 48°51'29.4"N 2°17'40.2"E) and an IPTC APP13 (caption, two keywords) after its
/// APP0.
fn located_jpeg() -> Vec<u8> {
    let jpeg = fixture("inputs/forest-p3.jpg");
    assert_eq!(&jpeg[2..4], [0xFF, 0xE0], "APP0 first");
    let app0_end = 4 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    let exif = [b"Exif\0\0".as_slice(), &gps_tiff()].concat();
    let mut iim = Vec::new();
    for (dataset, text) in [(120u8, "caption"), (25, "cups"), (25, "forest")] {
        iim.extend_from_slice(&[0x1C, 2, dataset, 0, text.len() as u8]);
        iim.extend_from_slice(text.as_bytes());
    }
    let mut iptc = b"Photoshop 3.0\08BIM\x04\x04\0\0".to_vec();
    iptc.extend_from_slice(&(iim.len() as u32).to_be_bytes());
    iptc.extend_from_slice(&iim);
    let mut out = jpeg[..app0_end].to_vec();
    for (marker, payload) in [(0xE1, exif.as_slice()), (0xED, iptc.as_slice())] {
        let length = u16::try_from(payload.len() + 2).unwrap();
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(payload);
    }
    out.extend_from_slice(&jpeg[app0_end..]);
    out
}

/// A big-endian TIFF: IFD0 with Make "pixgate", Orientation 1 and a GPS IFD pointer; the GPS
/// IFD with latitude and longitude in degrees, minutes and seconds.
fn gps_tiff() -> Vec<u8> {
    // Layout: header 8 | IFD0 (3 entries) 42 | "pixgate\0" 8 | GPS IFD (4 entries) 54 |
    // latitude 24 | longitude 24.
    let ifd0 = 8u32;
    let make = ifd0 + 2 + 3 * 12 + 4;
    let gps = make + 8;
    let latitude = gps + 2 + 4 * 12 + 4;
    let longitude = latitude + 24;
    let mut t = b"MM\0\x2a".to_vec();
    t.extend_from_slice(&ifd0.to_be_bytes());
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend_from_slice(&tag.to_be_bytes());
        t.extend_from_slice(&kind.to_be_bytes());
        t.extend_from_slice(&count.to_be_bytes());
        t.extend_from_slice(&value);
    };
    t.extend_from_slice(&3u16.to_be_bytes());
    entry(&mut t, 0x010F, 2, 8, make.to_be_bytes());
    entry(&mut t, 0x0112, 3, 1, [0, 1, 0, 0]);
    entry(&mut t, 0x8825, 4, 1, gps.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(b"pixgate\0");
    t.extend_from_slice(&4u16.to_be_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, 5, 3, latitude.to_be_bytes());
    entry(&mut t, 0x0003, 2, 2, *b"E\0\0\0");
    entry(&mut t, 0x0004, 5, 3, longitude.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    for (num, den) in [
        (48u32, 1u32),
        (51, 1),
        (294, 10),
        (2, 1),
        (17, 1),
        (402, 10),
    ] {
        t.extend_from_slice(&num.to_be_bytes());
        t.extend_from_slice(&den.to_be_bytes());
    }
    t
}
