//! Colour management through the real server: a CMYK JPEG goes to sRGB through the CMYK profile
//! it carries (and through the textbook formula only when it has none), an Adobe RGB JPEG through
//! its RGB profile, and what comes back is plain sRGB with no profile or EXIF attached.
//!
//! `inputs/cups-cmyk-icc.jpg` is `inputs/cups-rgb.png` as inks for a test profile whose colours
//! are the textbook `(1 − ink)(1 − K)` with the inks rotated (cyan takes green, magenta blue,
//! yellow red; fixtures/make.py). Through the profile it is the cups photo again; through the
//! formula the same inks come out with the colour channels turned round, so the two paths
//! cannot be mistaken for each other.

use image::RgbaImage;

use crate::support::images::{
    decode, fourccs, jpeg_segments, mean_abs_diff, mean_colour, mean_shift, png_chunks,
};
use crate::support::roots::{Root, fixture};
use crate::support::server::TestServer;

/// Every request shrinks to 160 px wide, so the source's own pixels are compared after the
/// same resize as the reference's.
const QUERY: &str = "w=160&fm=png";

fn root() -> Root {
    let cmyk = fixture("inputs/cups-cmyk-icc.jpg");
    let adobe = fixture("inputs/forest-adobergb.jpg");
    let root = Root::new();
    root.put("cups-cmyk-icc.jpg", &cmyk)
        .put("cups-cmyk-bare.jpg", &without_icc(&cmyk))
        .put_fixture("cups-rgb.png", "inputs/cups-rgb.png")
        .put("forest-adobergb.jpg", &adobe)
        .put("forest-adobergb-bare.jpg", &without_icc(&adobe))
        .put_fixture("forest.bmp", "inputs/forest.bmp");
    root
}

/// The JPEG without its APP2 `ICC_PROFILE` segments, every other byte kept: the same samples
/// with nothing to say what they mean.
fn without_icc(jpeg: &[u8]) -> Vec<u8> {
    let segments = jpeg_segments(jpeg);
    let is_icc = |marker: u8, data: &[u8]| marker == 0xE2 && data.starts_with(b"ICC_PROFILE\0");
    assert!(
        segments
            .iter()
            .any(|&(_, marker, data)| is_icc(marker, data)),
        "the fixture carries no ICC profile"
    );
    let mut out = jpeg[..2].to_vec();
    for &(at, marker, data) in &segments {
        if marker == 0xDA {
            out.extend_from_slice(&jpeg[at..]);
            break;
        }
        if !is_icc(marker, data) {
            out.extend_from_slice(&jpeg[at..at + 4 + data.len()]);
        }
    }
    assert!(
        !jpeg_segments(&out)
            .iter()
            .any(|&(_, marker, data)| is_icc(marker, data))
    );
    out
}

/// The same picture with its channels turned the way the textbook formula turns them on the
/// test profile's inks: red shows green, green shows blue, blue shows red.
fn turned(image: &RgbaImage) -> RgbaImage {
    let mut turned = image.clone();
    for p in turned.pixels_mut() {
        let [r, g, b, a] = p.0;
        p.0 = [g, b, r, a];
    }
    turned
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cmyk_jpeg_is_converted_through_its_embedded_profile() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let reference = server
        .get(&format!("/cups-rgb.png?{QUERY}"))
        .await
        .image("png");
    let managed = server
        .get(&format!("/cups-cmyk-icc.jpg?{QUERY}"))
        .await
        .image("png");
    assert_eq!(managed.dimensions(), (160, 100));
    assert_eq!(managed.dimensions(), reference.dimensions());

    let shift = mean_shift(&managed, &reference);
    let diff = mean_abs_diff(&managed, &reference);
    assert!(
        shift <= 2.0 && diff <= 4.0,
        "through its profile the CMYK cups should be the RGB cups: mean colour {:?} vs {:?} \
         (shift {shift:.2}), mean abs diff {diff:.2}",
        mean_colour(&managed),
        mean_colour(&reference)
    );

    // The same samples without the profile take the textbook formula, which reads these inks
    // with the channels turned round: far outside the tolerance above, and close to the turned
    // photo, so it is the profile alone that makes the difference.
    let bare = server
        .get(&format!("/cups-cmyk-bare.jpg?{QUERY}"))
        .await
        .image("png");
    let (bare_shift, bare_diff) = (
        mean_shift(&bare, &reference),
        mean_abs_diff(&bare, &reference),
    );
    assert!(
        bare_shift > 10.0 && bare_diff > 20.0,
        "without the profile the colours should be far off: shift {bare_shift:.2}, \
         mean abs diff {bare_diff:.2}"
    );
    let expected = turned(&reference);
    let (turned_shift, turned_diff) = (
        mean_shift(&bare, &expected),
        mean_abs_diff(&bare, &expected),
    );
    assert!(
        turned_shift <= 2.0 && turned_diff <= 4.0,
        "without the profile the inks should read as the textbook formula: shift \
         {turned_shift:.2}, mean abs diff {turned_diff:.2}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adobe_rgb_jpeg_is_converted_to_srgb() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let reference = server
        .get(&format!("/forest.bmp?{QUERY}"))
        .await
        .image("png");
    let managed = server
        .get(&format!("/forest-adobergb.jpg?{QUERY}"))
        .await
        .image("png");
    assert_eq!(managed.dimensions(), reference.dimensions());
    let shift = mean_shift(&managed, &reference);
    let diff = mean_abs_diff(&managed, &reference);
    assert!(
        shift <= 1.5 && diff <= 3.0,
        "through its profile the Adobe RGB forest should be the sRGB forest: mean colour \
         {:?} vs {:?} (shift {shift:.2}), mean abs diff {diff:.2}",
        mean_colour(&managed),
        mean_colour(&reference)
    );

    // Taken as sRGB, the Adobe RGB numbers look washed out: well outside the tolerance.
    let bare = server
        .get(&format!("/forest-adobergb-bare.jpg?{QUERY}"))
        .await
        .image("png");
    let (bare_shift, bare_diff) = (
        mean_shift(&bare, &reference),
        mean_abs_diff(&bare, &reference),
    );
    assert!(
        bare_shift > 3.0 * 1.5 && bare_diff > 2.0 * 3.0,
        "unconverted Adobe RGB should be far off: shift {bare_shift:.2}, \
         mean abs diff {bare_diff:.2}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converted_output_carries_no_profile_or_exif() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for key in ["cups-cmyk-icc.jpg", "forest-adobergb.jpg"] {
        let png = server.get(&format!("/{key}?{QUERY}")).await;
        png.assert_image("png");
        let chunks = png_chunks(&png.body);
        for name in [b"iCCP", b"eXIf"] {
            assert!(
                !chunks.contains(name),
                "{key}: PNG chunk {} in {:?}",
                String::from_utf8_lossy(name),
                fourccs(&chunks)
            );
        }

        let jpeg = server.get(&format!("/{key}?w=160&fm=jpg")).await;
        jpeg.assert_image("jpeg");
        for (_, marker, data) in jpeg_segments(&jpeg.body) {
            assert!(
                !(marker == 0xE2 && data.starts_with(b"ICC_PROFILE\0")),
                "{key}: the JPEG output carries an ICC profile"
            );
            assert!(
                !(marker == 0xE1 && data.starts_with(b"Exif\0\0")),
                "{key}: the JPEG output carries EXIF"
            );
            assert!(
                !(marker == 0xEE && data.starts_with(b"Adobe")),
                "{key}: the JPEG output is marked as Adobe (CMYK) data"
            );
        }
        // And it is what the PNG is, give or take the JPEG encoding.
        let (png, jpeg) = (decode(&png.body), decode(&jpeg.body));
        assert!(mean_shift(&png, &jpeg) <= 1.5, "{key}");
    }
}
