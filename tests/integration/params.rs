//! Every transform parameter of contract §3, judged by what it changes: the pixels, or the exact
//! bytes and structure (JPEG frame header, `Content-Disposition`). Complements `transforms`,
//! which covers sizing, fit boxes, edge gravity, formats, negotiation and alpha handling.

use image::{Rgba, RgbaImage};

use crate::support::images::{
    BLUE, GREEN, RED, Xorshift, YELLOW, assert_pixel, decode, dimensions, exif_orientation,
    gradient_png, halves_png, is_jpeg_frame, jpeg_frame_markers, jpeg_segments, mean_abs_diff,
    near, png, stacked_png,
};
use crate::support::roots::{Root, config};
use crate::support::server::TestServer;
use crate::support::wire::Reply;

const WHITE: [u8; 4] = [255, 255, 255, 255];
const BLACK: [u8; 4] = [0, 0, 0, 255];
const CLEAR: [u8; 4] = [0, 0, 0, 0];
const DARK_GREY: [u8; 4] = [64, 64, 64, 255];
const LIGHT_GREY: [u8; 4] = [192, 192, 192, 255];

/// One root for the whole module, every file small.
fn root() -> Root {
    let root = Root::new();
    root.put("rb.png", &halves_png(200, 100, RED, BLUE))
        .put("gy.png", &stacked_png(100, 200, GREEN, YELLOW))
        .put("wide800.png", &halves_png(800, 200, RED, BLUE))
        .put("g64.png", &gradient_png(64, 32))
        .put("quadrants.png", &png(&quadrants(200, 200)))
        .put("columns.png", &png(&bands(400, 100, Axis::X)))
        .put("rows.png", &png(&bands(100, 400, Axis::Y)))
        .put("noise-right.png", &png(&flat_and_noise(300, 100, Axis::X)))
        .put("noise-top.png", &png(&flat_and_noise(100, 300, Axis::Y)))
        .put("corner.png", &png(&red_corner(64, 32)))
        .put(
            "corner-o2.jpg",
            &jpeg_with_orientation(&red_corner(64, 32), 2),
        )
        .put(
            "corner-o6.jpg",
            &jpeg_with_orientation(&red_corner(64, 32), 6),
        )
        .put(
            "corner-o6-big.jpg",
            &jpeg_with_orientation(&red_corner(256, 128), 6),
        )
        .put("edge.png", &halves_png(128, 8, BLACK, WHITE))
        .put("step.png", &halves_png(64, 8, DARK_GREY, LIGHT_GREY))
        .put("half-clear.png", &halves_png(64, 32, CLEAR, RED))
        .put("noise.png", &png(&noise(48, 32, false)))
        .put("noise-alpha.png", &png(&noise(48, 32, true)))
        .put_fixture("photo.jpg", "private/cups-400x250.jpg");
    root
}

async fn server(root: &Root) -> TestServer {
    TestServer::start(config(vec![root.source("demo")])).await
}

// ---------------------------------------------------------------------------------------------
// Source images
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Axis {
    X,
    Y,
}

/// Top-left red, top-right blue, bottom-left green, bottom-right yellow.
fn quadrants(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        Rgba(match (x < width / 2, y < height / 2) {
            (true, true) => RED,
            (false, true) => BLUE,
            (true, false) => GREEN,
            (false, false) => YELLOW,
        })
    })
}

/// Four equal bands along `axis`: red, blue, green, yellow.
fn bands(width: u32, height: u32, axis: Axis) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        let (at, length) = match axis {
            Axis::X => (x, width),
            Axis::Y => (y, height),
        };
        Rgba([RED, BLUE, GREEN, YELLOW][(at * 4 / length) as usize])
    })
}

/// Flat pure green, except the last third along `Axis::X` (or the first third along
/// `Axis::Y`), which is grey noise: the only region with any detail.
fn flat_and_noise(width: u32, height: u32, axis: Axis) -> RgbaImage {
    let mut noise = Xorshift(0x1234_5678);
    RgbaImage::from_fn(width, height, |x, y| {
        let busy = match axis {
            Axis::X => x >= width * 2 / 3,
            Axis::Y => y < height / 3,
        };
        let v = noise.next_byte();
        Rgba(if busy { [v, v, v, 255] } else { GREEN })
    })
}

/// Random RGB, opaque or with alpha in 1..=255 (never 0: WebP may drop the colour of fully
/// transparent pixels, which is invisible and allowed).
fn noise(width: u32, height: u32, with_alpha: bool) -> RgbaImage {
    let mut noise = Xorshift(0x9E37_79B9);
    RgbaImage::from_fn(width, height, |_, _| {
        let [r, g, b, a] = [0; 4].map(|_: u8| noise.next_byte());
        Rgba([r, g, b, if with_alpha { a.max(1) } else { 255 }])
    })
}

/// White with the top-left quadrant red: every rotation and mirror puts the red somewhere
/// else, and quadrant edges fall on JPEG's 16-pixel MCU grid.
fn red_corner(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        Rgba(if x < width / 2 && y < height / 2 {
            RED
        } else {
            WHITE
        })
    })
}

/// A quality-95 JPEG of `image` carrying an EXIF APP1 segment with this orientation (1–8).
fn jpeg_with_orientation(image: &RgbaImage, orientation: u8) -> Vec<u8> {
    let rgb = image::DynamicImage::ImageRgba8(image.clone()).to_rgb8();
    let mut compress = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
    compress.set_size(rgb.width() as usize, rgb.height() as usize);
    compress.set_quality(95.0);
    let mut started = compress.start_compress(Vec::new()).expect("JPEG start");
    started
        .write_scanlines(rgb.as_raw())
        .expect("JPEG scanlines");
    let jpeg = started.finish().expect("JPEG end");

    let payload = [b"Exif\0\0".as_slice(), &exif_orientation(orientation)].concat();
    let length = u16::try_from(payload.len() + 2).expect("short segment");
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

// ---------------------------------------------------------------------------------------------
// Reading results
// ---------------------------------------------------------------------------------------------

/// Pixels of a flat area after a resize: Lanczos weights sum to one only up to rounding, so a
/// flat colour may come back off by one or two per channel.
const RESAMPLED: u8 = 3;

/// Pixels of a flat area after a JPEG round trip at q 75–95: DC quantisation and the YCbCr
/// conversion move a flat block by a few levels, far less than the distance between the
/// colours these tests tell apart.
const JPEG_FLAT: u8 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Corner {
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

/// Which quadrant of a `red_corner` derivative is red, checking that the other three are white.
/// Classified by wide margins (red: R > 200, G and B < 60; white: all > 200) so a JPEG source
/// reads the same as a PNG one.
#[track_caller]
fn red_quadrant(image: &RgbaImage, what: &str) -> Corner {
    let (w, h) = image.dimensions();
    let centres = [
        (Corner::TopLeft, w / 4, h / 4),
        (Corner::TopRight, 3 * w / 4, h / 4),
        (Corner::BottomLeft, w / 4, 3 * h / 4),
        (Corner::BottomRight, 3 * w / 4, 3 * h / 4),
    ];
    let mut red = Vec::new();
    for (corner, x, y) in centres {
        let [r, g, b, _] = image.get_pixel(x, y).0;
        if r > 200 && g < 60 && b < 60 {
            red.push(corner);
        } else {
            assert!(
                r > 200 && g > 200 && b > 200,
                "{what}: {corner:?} is {:?}, neither red nor white",
                image.get_pixel(x, y).0
            );
        }
    }
    assert_eq!(red.len(), 1, "{what}: red quadrants {red:?}");
    red[0]
}

/// The grey levels (red channel) of row `y`.
fn row(image: &RgbaImage, y: u32) -> Vec<u8> {
    (0..image.width())
        .map(|x| image.get_pixel(x, y).0[0])
        .collect()
}

/// How many pixels of a black-to-white row are neither black nor white.
fn transition_width(levels: &[u8]) -> usize {
    levels.iter().filter(|&&v| v != 0 && v != 255).count()
}

/// Whether `message` has `name` as a word of its own (not just letters inside another word).
fn names(message: &str, name: &str) -> bool {
    message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .any(|word| word == name)
}

// ---------------------------------------------------------------------------------------------
// crop=focalpoint, crop=entropy, ar, rect, fit=min, fractional sizes, dpr
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn focalpoint_crop_centres_the_window_on_fp_x_and_fp_y() {
    let root = root();
    let server = server(&root).await;
    // 400×100 red|blue|green|yellow columns (and 100×400 rows) into 100×100: the kept window
    // is 100 source px on the long axis, centred on the focal point and clamped to the image.
    // Samples are 25 px from the window's edges and from any band edge, so only resampling
    // rounding (RESAMPLED) separates them from the band colour.
    let cases = [
        ("columns.png?fp-x=0.125&fp-y=0.9", RED, RED),
        ("columns.png?fp-x=0.625", GREEN, GREEN),
        ("columns.png?fp-x=0.95", YELLOW, YELLOW),
        ("columns.png?fp-x=0", RED, RED),
        ("columns.png?fp-x=0.5&fp-y=0", BLUE, GREEN),
        ("columns.png?fp-x=0.375", BLUE, BLUE),
        ("rows.png?fp-y=0.875&fp-x=0", YELLOW, YELLOW),
        ("rows.png?fp-y=0.375", BLUE, BLUE),
        ("rows.png?fp-y=0.1", RED, RED),
        ("rows.png?fp-y=1", YELLOW, YELLOW),
        ("rows.png?fp-y=0.5", BLUE, GREEN),
        // Defaults to the centre without fp-x/fp-y.
        ("columns.png?", BLUE, GREEN),
    ];
    for (target, first, second) in cases {
        let target = format!("/{target}&w=100&h=100&fit=crop&crop=focalpoint");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), (100, 100), "{target}");
        let (a, b) = if target.starts_with("/columns") {
            ((25, 50), (75, 50))
        } else {
            ((50, 25), (50, 75))
        };
        assert_pixel(&out, a, first, RESAMPLED, &target);
        assert_pixel(&out, b, second, RESAMPLED, &target);
    }
    // fp-x/fp-y do nothing without crop=focalpoint: edge gravity still decides.
    let target = "/columns.png?w=100&h=100&fit=crop&crop=left&fp-x=0.9";
    let out = server.get(target).await.image("png");
    assert_pixel(&out, (75, 50), RED, RESAMPLED, target);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entropy_crop_keeps_the_detailed_region() {
    let root = root();
    let server = server(&root).await;
    // Flat green beside grey noise. A noise pixel (v,v,v) is never within 40 of pure green,
    // so counting green-ish pixels tells flat from detailed whatever the resampling does.
    let greenish = |out: &RgbaImage| {
        let n = out.pixels().filter(|p| near(p.0, GREEN, 40)).count();
        n as f64 / f64::from(out.width() * out.height())
    };
    let cases = [
        ("/noise-right.png?w=100&h=100&fit=crop", "the right third"),
        ("/noise-top.png?w=100&h=100&fit=crop", "the top third"),
    ];
    for (base, busy) in cases {
        let centred = server.get(base).await.image("png");
        assert!(
            greenish(&centred) > 0.95,
            "{base}: the centre is flat, the test image is wrong"
        );
        let target = format!("{base}&crop=entropy");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), (100, 100), "{target}");
        let share = greenish(&out);
        assert!(
            share < 0.05,
            "{target}: {:.0}% of the output is the flat part; wanted {busy}, the noise",
            share * 100.0
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ar_with_one_side_sets_the_box_shape() {
    let root = root();
    let server = server(&root).await;
    // rb.png is 200×100 red|blue; gy.png is 100×200 green over yellow. Each case names two
    // sample points and their colours (RESAMPLED: flat areas, away from the cut).
    type Sample = ((u32, u32), [u8; 4]);
    let cases: [(&str, (u32, u32), Sample, Sample); 9] = [
        (
            "rb.png?w=100&ar=1:1&fit=crop",
            (100, 100),
            ((20, 50), RED),
            ((80, 50), BLUE),
        ),
        (
            "rb.png?w=100&ar=1:1&fit=crop&crop=left",
            (100, 100),
            ((20, 50), RED),
            ((80, 50), RED),
        ),
        (
            "rb.png?w=160&ar=16:9&fit=crop",
            (160, 90),
            ((20, 45), RED),
            ((140, 45), BLUE),
        ),
        (
            // The 150-px window of 200 sits on the right: the cut is at 50, not 75.
            "rb.png?w=150&ar=1.5:1&fit=crop&crop=right",
            (150, 100),
            ((10, 50), RED),
            ((60, 50), BLUE),
        ),
        (
            "rb.png?w=50&ar=1:1&fit=crop&dpr=2",
            (100, 100),
            ((20, 50), RED),
            ((80, 50), BLUE),
        ),
        (
            "gy.png?h=50&ar=2:1&fit=crop",
            (100, 50),
            ((50, 10), GREEN),
            ((50, 40), YELLOW),
        ),
        (
            "gy.png?h=50&ar=2:1&fit=crop&crop=bottom",
            (100, 50),
            ((50, 10), YELLOW),
            ((50, 40), YELLOW),
        ),
        // `fit=fill` pads the 100×50 picture to the 100×100 box that `ar` made.
        (
            "rb.png?w=100&ar=1:1&fit=fill&bg=fff",
            (100, 100),
            ((50, 5), WHITE),
            ((20, 50), RED),
        ),
        // `ar` alone: the largest box of that shape inside the source.
        (
            "rb.png?ar=1:1&fit=crop",
            (100, 100),
            ((20, 50), RED),
            ((80, 50), BLUE),
        ),
    ];
    for (target, size, (a, a_colour), (b, b_colour)) in cases {
        let target = format!("/{target}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), size, "{target}");
        assert_pixel(&out, a, a_colour, RESAMPLED, &target);
        assert_pixel(&out, b, b_colour, RESAMPLED, &target);
    }
    // The default fit (clip) fits the whole picture inside the 100×100 box.
    let out = server.get("/rb.png?w=100&ar=1:1").await.image("png");
    assert_eq!(out.dimensions(), (100, 50));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rect_crops_the_source_before_everything_else() {
    let root = root();
    let server = server(&root).await;
    // quadrants.png: 200×200, red | blue over green | yellow. No resize unless asked, so the
    // pixels are exact; with a resize, RESAMPLED.
    let out = server
        .get("/quadrants.png?rect=100,100,100,100")
        .await
        .image("png");
    assert_eq!(out.dimensions(), (100, 100));
    assert!(
        out.pixels().all(|p| p.0 == YELLOW),
        "bottom-right is yellow"
    );

    let out = server
        .get("/quadrants.png?rect=100,0,100,100")
        .await
        .image("png");
    assert!(out.pixels().all(|p| p.0 == BLUE), "top-right is blue");

    let out = server
        .get("/quadrants.png?rect=50,50,100,100")
        .await
        .image("png");
    assert_eq!(out.dimensions(), (100, 100));
    for (at, colour) in [
        ((25, 25), RED),
        ((75, 25), BLUE),
        ((25, 75), GREEN),
        ((75, 75), YELLOW),
    ] {
        assert_pixel(&out, at, colour, 0, "rect=50,50,100,100");
    }

    // Reaching past the edge is clamped to the image.
    let out = server
        .get("/quadrants.png?rect=150,150,100,100")
        .await
        .image("png");
    assert_eq!(out.dimensions(), (50, 50));
    assert!(out.pixels().all(|p| p.0 == YELLOW));

    // Sizing then applies to the rectangle, not the source.
    let out = server
        .get("/quadrants.png?rect=100,100,100,100&w=40")
        .await
        .image("png");
    assert_eq!(out.dimensions(), (40, 40));
    assert!(out.pixels().all(|p| near(p.0, YELLOW, RESAMPLED)));

    // …and so does the crop: the centre 100×100 of the 200×100 top strip is red | blue.
    let target = "/quadrants.png?rect=0,0,200,100&w=100&h=100&fit=crop";
    let out = server.get(target).await.image("png");
    assert_eq!(out.dimensions(), (100, 100));
    assert_pixel(&out, (20, 50), RED, RESAMPLED, target);
    assert_pixel(&out, (80, 50), BLUE, RESAMPLED, target);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fit_min_crops_like_crop_but_never_enlarges() {
    let root = root();
    let server = server(&root).await;
    // rb.png is 200×100. A 100×150 box is taller than the source: `crop` enlarges to fill it,
    // `min` keeps the box's 2:3 shape at the largest size the source gives (≈67×100).
    let out = server
        .get("/rb.png?w=100&h=150&fit=crop")
        .await
        .image("png");
    assert_eq!(out.dimensions(), (100, 150));

    let out = server.get("/rb.png?w=100&h=150&fit=min").await.image("png");
    let (w, h) = out.dimensions();
    assert_eq!(h, 100, "never taller than the source");
    assert!((66..=67).contains(&w), "2:3 of 100 rows is 66.7: got {w}");
    // Centre crop of red|blue: red on the left, blue on the right, the cut in the middle.
    assert_pixel(&out, (10, 50), RED, RESAMPLED, "fit=min");
    assert_pixel(&out, (w - 10, 50), BLUE, RESAMPLED, "fit=min");

    for (gravity, colour) in [("left", RED), ("right", BLUE)] {
        let target = format!("/rb.png?w=100&h=150&fit=min&crop={gravity}");
        let out = server.get(&target).await.image("png");
        assert!(
            out.pixels().all(|p| near(p.0, colour, RESAMPLED)),
            "{target}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fractional_w_and_h_are_shares_of_the_source() {
    let root = root();
    let server = server(&root).await;
    // wide800.png: 800×200, red | blue.
    let cases = [
        ("w=0.5", (400, 100)),
        ("h=0.5", (400, 100)),
        ("w=0.25&h=0.5&fit=crop", (200, 100)),
        ("w=0.5&h=0.25&fit=scale", (400, 50)),
        ("w=0.5&dpr=2", (800, 200)),
        ("width=0.125", (100, 25)),
        // A share of the rectangle that is kept, and of the image as finally seen.
        ("rect=0,0,400,200&w=0.5", (200, 100)),
        ("rot=90&w=0.5", (100, 400)),
    ];
    for (query, size) in cases {
        let target = format!("/wide800.png?{query}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), size, "{target}");
    }
    let out = server.get("/wide800.png?w=0.5").await.image("png");
    assert_pixel(&out, (100, 50), RED, RESAMPLED, "w=0.5");
    assert_pixel(&out, (300, 50), BLUE, RESAMPLED, "w=0.5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decimal_dpr_multiplies_the_box() {
    let root = root();
    let server = server(&root).await;
    // rb.png is 200×100.
    let cases = [
        ("w=40&dpr=2.5", (100, 50)),
        ("h=20&dpr=1.25", (50, 25)),
        ("w=30&dpr=1.333", (40, 20)),
        ("w=10&dpr=5", (50, 25)),
        ("w=10&dpr=5.0", (50, 25)),
        ("w=50&dpr=1.0", (50, 25)),
        ("w=20&h=20&fit=crop&dpr=1.5", (30, 30)),
        ("w=20&h=20&fit=fill&dpr=2.5", (50, 50)),
    ];
    for (query, size) in cases {
        let target = format!("/rb.png?{query}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), size, "{target}");
    }
}

// ---------------------------------------------------------------------------------------------
// bg
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bg_pads_fill_in_every_hex_form_and_png_keeps_its_alpha() {
    let root = root();
    let server = server(&root).await;
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
    let server = server(&root).await;
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

// ---------------------------------------------------------------------------------------------
// rot, flip, and their order with EXIF orientation
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rot_turns_clockwise_and_flip_mirrors_after_rot() {
    let root = root();
    let server = server(&root).await;
    use Corner::*;
    // corner.png: 64×32, top-left quadrant red. The pipeline documents rot (clockwise), then
    // flip; the other order would put the red elsewhere in each combined case.
    let cases = [
        ("fm=png", TopLeft, (64, 32)),
        ("rot=0&fm=png", TopLeft, (64, 32)),
        ("rot=90", TopRight, (32, 64)),
        ("rot=180", BottomRight, (64, 32)),
        ("rot=270", BottomLeft, (32, 64)),
        ("flip=h", TopRight, (64, 32)),
        ("flip=v", BottomLeft, (64, 32)),
        ("flip=hv", BottomRight, (64, 32)),
        ("flip=vh", BottomRight, (64, 32)),
        // flip after rot; flip first would give BottomRight, TopLeft, TopLeft.
        ("rot=90&flip=h", TopLeft, (32, 64)),
        ("flip=v&rot=90", BottomRight, (32, 64)),
        ("rot=270&flip=h", BottomRight, (32, 64)),
        // `w` describes the image as finally seen, so after rot it is the short side.
        ("rot=90&w=16", TopRight, (16, 32)),
    ];
    for (query, corner, size) in cases {
        let target = format!("/corner.png?{query}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), size, "{target}");
        assert_eq!(red_quadrant(&out, &target), corner, "{target}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rot_flip_and_rect_apply_to_the_exif_upright_image() {
    let root = root();
    let server = server(&root).await;
    use Corner::*;
    // Both JPEGs store a 64×32 picture with the top-left quadrant red. Orientation 2 shows it
    // mirrored (red top-right); orientation 6 turned a quarter clockwise (32×64, red top-right).
    let cases = [
        ("corner-o2.jpg?fm=png", TopRight, (64, 32)),
        // rot after EXIF: TopRight turns to BottomRight. Before EXIF it would end TopLeft.
        ("corner-o2.jpg?fm=png&rot=90", BottomRight, (32, 64)),
        ("corner-o2.jpg?fm=png&rot=90&flip=h", BottomLeft, (32, 64)),
        ("corner-o6.jpg?fm=png", TopRight, (32, 64)),
        ("corner-o6.jpg?fm=png&rot=90", BottomRight, (64, 32)),
        // flip after EXIF: TopRight mirrors to BottomRight. Before EXIF it would end TopLeft.
        ("corner-o6.jpg?fm=png&flip=v", BottomRight, (32, 64)),
    ];
    for (target, corner, size) in cases {
        let target = format!("/{target}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), size, "{target}");
        assert_eq!(red_quadrant(&out, &target), corner, "{target}");
    }
    // rect is in upright pixels: the upright top-right 16×32 of orientation 6 is all red.
    let target = "/corner-o6.jpg?fm=png&rect=16,0,16,32";
    let out = server.get(target).await.image("png");
    assert_eq!(out.dimensions(), (16, 32), "{target}");
    assert_pixel(&out, (8, 16), RED, JPEG_FLAT, target);

    // The same through shrink-on-load: 256×128 stored, upright 128×256, decoded at 1/8 in the
    // DCT domain. Quadrant edges sit on 8×8 block edges, so the 1/8 pixels stay pure.
    let cases = [
        ("corner-o6-big.jpg?w=16&fm=png", TopRight, (16, 32)),
        (
            "corner-o6-big.jpg?w=32&fm=png&rot=90",
            BottomRight,
            (32, 16),
        ),
        (
            "corner-o6-big.jpg?w=16&fm=png&flip=v",
            BottomRight,
            (16, 32),
        ),
    ];
    for (target, corner, size) in cases {
        let target = format!("/{target}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), size, "{target}");
        assert_eq!(red_quadrant(&out, &target), corner, "{target}");
    }
    for (rect, colour) in [
        ("64,0,64,128", RED),
        ("0,0,64,128", WHITE),
        ("64,128,64,128", WHITE),
    ] {
        let target = format!("/corner-o6-big.jpg?fm=png&rect={rect}&w=8");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), (8, 16), "{target}");
        for at in [(2, 4), (6, 12)] {
            assert_pixel(&out, at, colour, JPEG_FLAT, &target);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// blur, sharp
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blur_softens_an_edge_and_more_blur_softens_it_wider() {
    let root = root();
    let server = server(&root).await;
    // edge.png: 128×8, black | white. PNG output, so every level counts exactly.
    let sharp_edge = row(&server.get("/edge.png?fm=png").await.image("png"), 4);
    assert_eq!(transition_width(&sharp_edge), 0, "the source edge is hard");

    let mut widths = Vec::new();
    for blur in [20, 100, 400] {
        let target = format!("/edge.png?blur={blur}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), (128, 8), "{target}");
        let levels = row(&out, 4);
        assert!(
            levels.windows(2).all(|w| w[0] <= w[1]),
            "{target}: a blurred step rises monotonically, got {levels:?}"
        );
        assert!(
            levels[0] < 128 && levels[127] > 128,
            "{target}: still dark on the left, light on the right: {levels:?}"
        );
        widths.push(transition_width(&levels));
    }
    assert!(widths[0] >= 2, "blur=20 leaves a hard edge: {widths:?}");
    assert!(
        widths[0] < widths[1] && widths[1] < widths[2],
        "more blur, wider transition: widths for blur=20, 100, 400 are {widths:?}"
    );
    // blur=0 is no blur: the file comes back as stored.
    let reply = server.get("/edge.png?blur=0").await;
    reply.assert_status(200);
    assert_eq!(
        reply.body,
        std::fs::read(root.path().join("edge.png")).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharp_overshoots_an_edge_and_more_sharp_overshoots_further() {
    let root = root();
    let server = server(&root).await;
    // step.png: 64×8, grey 64 | grey 192. Unsharp masking pushes the dark side of the edge
    // darker and the light side lighter; flat areas far from it stay exactly as they were.
    let plain = row(&server.get("/step.png?fm=png").await.image("png"), 4);
    let contrast = |levels: &[u8]| {
        let (min, max) = (levels.iter().min(), levels.iter().max());
        (*min.unwrap(), *max.unwrap())
    };
    assert_eq!(contrast(&plain), (64, 192));

    let mut extremes = Vec::new();
    for sharp in [20, 100] {
        let target = format!("/step.png?sharp={sharp}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), (64, 8), "{target}");
        let levels = row(&out, 4);
        let (min, max) = contrast(&levels);
        assert!(
            min < 64 && max > 192,
            "{target}: no over/undershoot: {levels:?}"
        );
        assert_eq!(levels[16], 64, "{target}: flat dark area changed");
        assert_eq!(levels[48], 192, "{target}: flat light area changed");
        extremes.push((min, max));
    }
    let ((min20, max20), (min100, max100)) = (extremes[0], extremes[1]);
    assert!(
        min100 < min20 && max100 > max20,
        "sharp=100 should overshoot further than sharp=20: {extremes:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// dl
// ---------------------------------------------------------------------------------------------

/// `Content-Disposition` split into its type and parameters, quoted strings unquoted.
fn disposition(value: &str) -> (String, Vec<(String, String)>) {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => current.extend(chars.next()),
            ';' if !quoted => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    let kind = parts.remove(0).trim().to_ascii_lowercase();
    let params = parts
        .iter()
        .filter_map(|p| p.trim().split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (kind, params)
}

/// Checks a `dl` answer's `Content-Disposition`: an attachment whose RFC 8187 `filename*` is
/// exactly `name` and whose plain `filename` is a safe printable-ASCII fallback (equal to
/// `name` when `name` is itself safe).
#[track_caller]
fn assert_attachment_named(reply: &Reply, name: &str) {
    let raw = reply
        .headers
        .get("content-disposition")
        .unwrap_or_else(|| panic!("no Content-Disposition for {name:?}"));
    let value = raw
        .to_str()
        .unwrap_or_else(|_| panic!("Content-Disposition is not visible ASCII: {raw:?}"));
    let (kind, params) = disposition(value);
    assert_eq!(kind, "attachment", "{value}");
    let param = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let extended = param("filename*").unwrap_or_else(|| panic!("no filename* in {value}"));
    let encoded = extended
        .strip_prefix("UTF-8''")
        .unwrap_or_else(|| panic!("filename* is not UTF-8'': {value}"));
    let decoded = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .expect("filename* is UTF-8");
    assert_eq!(decoded, name, "{value}");
    let fallback = param("filename").unwrap_or_else(|| panic!("no filename in {value}"));
    assert!(
        fallback
            .chars()
            .all(|c| c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\')),
        "unsafe fallback {fallback:?} in {value}"
    );
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._- ".contains(c))
    {
        assert_eq!(fallback, name, "{value}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dl_makes_an_attachment_without_changing_the_bytes() {
    let root = root();
    let server = server(&root).await;
    let stored = std::fs::read(root.path().join("rb.png")).unwrap();

    // Passthrough stays byte for byte.
    let reply = server.get("/rb.png?dl=cat.png").await;
    reply.assert_status(200);
    assert_attachment_named(&reply, "cat.png");
    assert_eq!(reply.body, stored);

    // A derivative is the same bytes with or without dl, and the header follows each request
    // even when the derivative comes from the cache.
    let plain = server.get("/rb.png?w=50").await;
    plain.assert_image("png");
    assert_eq!(plain.header("content-disposition"), None);
    for name in ["first.png", "second.png"] {
        let reply = server.get(&format!("/rb.png?w=50&dl={name}")).await;
        reply.assert_image("png");
        assert_attachment_named(&reply, name);
        assert_eq!(reply.body, plain.body, "dl={name} changed the bytes");
    }
    let again = server.get("/rb.png?w=50").await;
    assert_eq!(again.header("content-disposition"), None, "dl leaked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dl_names_needing_escapes_stay_exact_and_header_safe() {
    let root = root();
    let server = server(&root).await;
    let cases = [
        ("my%20cat.png", "my cat.png"),
        ("my+cat.png", "my cat.png"),
        ("caf%C3%A9%20%E2%98%95.png", "café ☕.png"),
        ("a%22b%3Bc%3D.png", "a\"b;c=.png"),
        ("%E5%86%99%E7%9C%9F.jpg", "写真.jpg"),
        ("100%25.png", "100%.png"),
    ];
    for (raw, name) in cases {
        let reply = server.get(&format!("/rb.png?w=20&dl={raw}")).await;
        reply.assert_image("png");
        assert_attachment_named(&reply, name);
    }
    // A line break could inject headers: refused before any header is written.
    let reply = server
        .get("/rb.png?w=20&dl=x.png%0D%0ASet-Cookie:%20a=b")
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.header("set-cookie"), None);
    assert_eq!(reply.header("content-disposition"), None);
}

// ---------------------------------------------------------------------------------------------
// lossless, auto=compress, q, JPEG structure
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lossless_webp_decodes_to_exactly_the_source_pixels() {
    let root = root();
    let server = server(&root).await;
    for file in ["noise.png", "noise-alpha.png"] {
        let source = decode(&std::fs::read(root.path().join(file)).unwrap());
        let target = format!("/{file}?fm=webp&lossless=1");
        let out = server.get(&target).await.image("webp");
        assert_eq!(out.dimensions(), source.dimensions(), "{target}");
        assert!(
            out == source,
            "{target}: decoded pixels differ from the source"
        );

        // The lossy encode of the same noise cannot be exact: lossless=1 is what made it so.
        let lossy = server.get(&format!("/{file}?fm=webp")).await.image("webp");
        assert!(
            mean_abs_diff(&lossy, &source) > 1.0,
            "{file}: lossy was exact"
        );
        let off = server
            .get(&format!("/{file}?fm=webp&lossless=0"))
            .await
            .image("webp");
        assert!(off == lossy, "{file}: lossless=0 is the default");
    }
    // After a resize, lossless WebP holds exactly what lossless PNG holds.
    let png_out = server.get("/noise-alpha.png?w=24").await.image("png");
    let webp_out = server
        .get("/noise-alpha.png?w=24&fm=webp&lossless=1")
        .await
        .image("webp");
    assert!(
        webp_out == png_out,
        "resized lossless WebP differs from PNG"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lossless_avif_is_the_highest_quality_encode() {
    let root = root();
    let server = server(&root).await;
    // pixgate documents `lossless=1` for AVIF as "highest quality" (q=100): the same bytes as
    // q=100, different from and larger than the default, and closer to the source once
    // decoded back (through pixgate's own AVIF input, as PNG).
    let get = |query: &'static str| {
        let server = &server;
        async move {
            let reply = server.get(&format!("/g64.png?w=32&fm=avif{query}")).await;
            reply.assert_image("avif");
            assert_eq!(dimensions(&reply.body), (32, 16), "{query}");
            reply.body
        }
    };
    let lossless = get("&lossless=1").await;
    let lossy = get("").await;
    let best = get("&q=100").await;
    assert_ne!(lossless, lossy, "lossless=1 changed nothing");
    assert!(
        lossless.len() > lossy.len(),
        "lossless {} bytes, lossy {}",
        lossless.len(),
        lossy.len()
    );
    assert_eq!(lossless, best, "lossless=1 is documented as q=100");
    root.put("lossless.avif", &lossless)
        .put("lossy.avif", &lossy);
    let reference = decode(&server.get("/g64.png?w=32&fm=png").await.body);
    let error = |name: &'static str| {
        let server = &server;
        let reference = &reference;
        async move {
            let reply = server.get(&format!("/{name}?fm=png")).await;
            reply.assert_image("png");
            mean_abs_diff(&decode(&reply.body), reference)
        }
    };
    let (lossless, lossy) = (error("lossless.avif").await, error("lossy.avif").await);
    assert!(
        lossless <= lossy,
        "decoded back, lossless=1 is {lossless:.2} from the source, the default {lossy:.2}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_compress_lowers_the_default_quality_and_an_explicit_q_wins() {
    let root = root();
    let server = server(&root).await;
    for fm in ["jpg", "webp"] {
        let kind = if fm == "jpg" { "jpeg" } else { "webp" };
        let get = |extra: String| {
            let server = &server;
            async move {
                let target = format!("/photo.jpg?w=200&fm={fm}{extra}");
                let reply = server.get(&target).await;
                reply.assert_image(kind);
                assert_eq!(dimensions(&reply.body), (200, 125), "{target}");
                reply.body
            }
        };
        let default = get(String::new()).await;
        let compressed = get("&auto=compress".into()).await;
        assert!(
            compressed.len() < default.len(),
            "fm={fm}: auto=compress {} bytes, default {}",
            compressed.len(),
            default.len()
        );
        // The documented rule: auto=compress means q=45 unless q is given, and q always wins.
        assert_eq!(compressed, get("&q=45".into()).await, "fm={fm}");
        assert_eq!(compressed, get("&auto=compress&q=45".into()).await);
        assert_eq!(get("&auto=compress&q=75".into()).await, default, "fm={fm}");
        assert_eq!(
            get("&q=90&auto=compress".into()).await,
            get("&q=90".into()).await,
            "fm={fm}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn q_bounds_1_and_100_are_accepted_and_ordered() {
    let root = root();
    let server = server(&root).await;
    let reference = server.get("/g64.png?fm=png").await.image("png");
    let mut bytes = Vec::new();
    let mut diffs = Vec::new();
    for q in [1, 100] {
        let reply = server.get(&format!("/g64.png?fm=jpg&q={q}")).await;
        reply.assert_image("jpeg");
        diffs.push(mean_abs_diff(&decode(&reply.body), &reference));
        bytes.push(reply.body.len());
    }
    assert!(
        bytes[0] < bytes[1],
        "q=1 {} bytes, q=100 {}",
        bytes[0],
        bytes[1]
    );
    // q=100 (4:4:4, no quantisation to speak of) stays within a level or two of a smooth
    // gradient; q=1 is blocky by several levels on average.
    assert!(diffs[1] < 2.0, "q=100 mean difference {:.2}", diffs[1]);
    assert!(diffs[0] > diffs[1] + 1.0, "q=1 {diffs:?}");
}

/// `(H, V)` sampling factors of each component (Y, Cb, Cr) in a JPEG's start-of-frame header.
fn jpeg_sampling_factors(bytes: &[u8]) -> Vec<(u8, u8)> {
    let (_, _, frame) = jpeg_segments(bytes)
        .into_iter()
        .find(|&(_, marker, _)| is_jpeg_frame(marker))
        .expect("a JPEG frame header");
    // P (1), Y (2), X (2), Nf (1), then Nf × (C, H<<4 | V, Tq).
    let count = usize::from(frame[5]);
    (0..count)
        .map(|i| {
            let hv = frame[6 + 3 * i + 1];
            (hv >> 4, hv & 0x0F)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jpeg_chroma_is_420_below_q90_and_444_from_q90() {
    let root = root();
    let server = server(&root).await;
    const SUBSAMPLED: [(u8, u8); 3] = [(2, 2), (1, 1), (1, 1)];
    const FULL: [(u8, u8); 3] = [(1, 1), (1, 1), (1, 1)];
    // The photo is a JPEG, so JPEG is also the default output.
    let cases = [
        ("w=100", SUBSAMPLED, 0xC0),
        ("w=100&fm=jpg&q=89", SUBSAMPLED, 0xC0),
        ("w=100&auto=compress", SUBSAMPLED, 0xC0),
        ("w=100&q=90", FULL, 0xC0),
        ("w=100&q=100", FULL, 0xC0),
        ("w=100&fm=pjpg", SUBSAMPLED, 0xC2),
        ("w=100&fm=pjpg&q=95", FULL, 0xC2),
    ];
    for (query, sampling, frame) in cases {
        let reply = server.get(&format!("/photo.jpg?{query}")).await;
        reply.assert_image("jpeg");
        assert_eq!(jpeg_sampling_factors(&reply.body), sampling, "{query}");
        assert_eq!(jpeg_frame_markers(&reply.body), [frame], "{query}");
    }
}

// ---------------------------------------------------------------------------------------------
// Bad values
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_values_of_each_parameter_are_400_naming_it() {
    let root = root();
    let server = server(&root).await;
    // Complements transforms::bad_values_are_400_naming_the_parameter.
    let cases = [
        ("crop=focalpoint&fp-x=1.5", "fp-x"),
        ("crop=focalpoint&fp-y=abc", "fp-y"),
        ("crop=focalpoint&fp-x=-0.1", "fp-x"),
        ("crop=entropy,left", "crop"),
        ("w=100&ar=16", "ar"),
        ("w=100&ar=a:b", "ar"),
        ("w=100&ar=1:0", "ar"),
        ("w=100&ar=16:9:1", "ar"),
        ("rect=1,2,3", "rect"),
        ("rect=0,0,10,0", "rect"),
        ("rect=a,b,c,d", "rect"),
        ("rect=0,0,10,10,10", "rect"),
        ("rect=400,0,10,10", "rect"),
        ("bg=12345", "bg"),
        ("bg=1234567", "bg"),
        ("bg=ggg", "bg"),
        ("bg=", "bg"),
        ("rot=-90", "rot"),
        ("rot=360", "rot"),
        ("flip=hh", "flip"),
        ("flip=H", "flip"),
        ("blur=-1", "blur"),
        ("blur=abc", "blur"),
        ("blur=2001", "blur"),
        ("sharp=101", "sharp"),
        ("sharp=-1", "sharp"),
        ("sharp=1.5", "sharp"),
        ("lossless=yes", "lossless"),
        ("lossless=", "lossless"),
        ("dl=", "dl"),
        ("dl=a%2Fb.png", "dl"),
        ("dl=a%5Cb.png", "dl"),
        ("dl=..", "dl"),
        ("dpr=5.1", "dpr"),
        ("dpr=abc", "dpr"),
        ("dpr=2,5", "dpr"),
        ("q=50.5", "q"),
        ("q=-1", "q"),
        ("q=", "q"),
        ("w=0.0", "w"),
        ("h=1.5.0", "h"),
    ];
    for (query, name) in cases {
        let target = format!("/g64.png?{query}");
        let message = server.get(&target).await.assert_error(400, "bad_parameter");
        assert!(
            names(&message, name),
            "{target}: message {message:?} does not name {name}"
        );
    }
    // The boundary values themselves are fine.
    for query in [
        "q=1",
        "q=100",
        "dpr=5",
        "dpr=1",
        "blur=2000",
        "sharp=100",
        "sharp=0",
        "rot=270",
        "crop=focalpoint&fp-x=0&fp-y=1",
        "bg=%23abc",
        "lossless=0",
    ] {
        let reply = server.get(&format!("/g64.png?w=8&{query}")).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.text());
    }
}
