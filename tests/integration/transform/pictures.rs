//! The synthetic pictures the parameter tests read, the one root that holds them (every file
//! small), and the readers that judge what comes back. Each picture is built so that one
//! parameter's effect shows in a few pixels: halves and quadrants of flat colours, bands,
//! noise beside flat areas, a red corner that every rotation moves.

use image::{Rgba, RgbaImage};

use crate::support::animations::rgb_gif;
use crate::support::images::{
    BLUE, GREEN, RED, Xorshift, YELLOW, exif_orientation, gradient_png, halves_png, png,
    stacked_png,
};
use crate::support::roots::Root;

pub const WHITE: [u8; 4] = [255, 255, 255, 255];
pub const BLACK: [u8; 4] = [0, 0, 0, 255];
pub const CLEAR: [u8; 4] = [0, 0, 0, 0];
pub const DARK_GREY: [u8; 4] = [64, 64, 64, 255];
pub const LIGHT_GREY: [u8; 4] = [192, 192, 192, 255];

/// Pixels of a flat area after a resize: Lanczos weights sum to one only up to rounding, so a
/// flat colour may come back off by one or two per channel.
pub const RESAMPLED: u8 = 3;

/// Pixels of a flat area after a JPEG round trip at q 75–95: DC quantisation and the YCbCr
/// conversion move a flat block by a few levels, far less than the distance between the
/// colours these tests tell apart.
pub const JPEG_FLAT: u8 = 10;

/// One root for every parameter test, every file small.
pub fn root() -> Root {
    let root = Root::new();
    root.put("rb.png", &halves_png(200, 100, RED, BLUE))
        .put("gy.png", &stacked_png(100, 200, GREEN, YELLOW))
        .put("wide800.png", &halves_png(800, 200, RED, BLUE))
        .put("small.png", &gradient_png(40, 20))
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
        // A watermark for `mark`: 8×4 green.
        .put("logo.png", &png(&RgbaImage::from_pixel(8, 4, Rgba(GREEN))))
        .put("noise.png", &png(&noise(48, 32, false)))
        .put("noise-alpha.png", &png(&noise(48, 32, true)))
        .put("stripes.png", &png(&alpha_stripes()))
        .put("disc.png", &png(&disc()))
        .put("rgb.gif", &rgb_gif(gif::Repeat::Infinite))
        .put_fixture("photo.jpg", "private/cups-400x250.jpg")
        .put_fixture("orient6.jpg", "forest-orient6.jpg")
        .put_fixture("upright.jpg", "forest-800x500.jpg")
        .put_fixture("face.jpg", "faces/grace-hopper-512x600.jpg");
    root
}

#[derive(Debug, Clone, Copy)]
pub enum Axis {
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
pub fn jpeg_with_orientation(image: &RgbaImage, orientation: u8) -> Vec<u8> {
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

/// 64×64: 3-px vertical stripes of opaque white and fully transparent *black*, so a resize that
/// forgets to premultiply drags the black into the edges.
fn alpha_stripes() -> RgbaImage {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

/// Which quadrant of a `red_corner` derivative is red, checking that the other three are white.
/// Classified by wide margins (red: R > 200, G and B < 60; white: all > 200) so a JPEG source
/// reads the same as a PNG one.
#[track_caller]
pub fn red_quadrant(image: &RgbaImage, what: &str) -> Corner {
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
pub fn row(image: &RgbaImage, y: u32) -> Vec<u8> {
    (0..image.width())
        .map(|x| image.get_pixel(x, y).0[0])
        .collect()
}

/// How many pixels of a black-to-white row are neither black nor white.
pub fn transition_width(levels: &[u8]) -> usize {
    levels.iter().filter(|&&v| v != 0 && v != 255).count()
}
