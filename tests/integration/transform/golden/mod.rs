//! The golden quality suite: pixgate's output, fetched through the real server, compared by SSIM
//! and mean colour with references from an independent path (the `image` crate's decoders,
//! zune-jpeg for JPEG, then `quality`'s f64 Lanczos3), stored in `fixtures/golden/`.
//! `UPDATE_GOLDEN=1 cargo test --test integration golden` regenerates them; nothing else may.

mod cases;
mod magick;
mod mezzanine;
mod quality;
mod resampling;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use image::RgbaImage;

use crate::support::images::mean_shift;
use crate::support::roots::{Root, file_name, fixture, fixtures_dir};
use crate::support::server::TestServer;
use cases::{Case, Look, Tolerance};
use quality::{Picture, Space, Window};

/// What `Look::Alpha` composites both sides onto: mid grey, so neither black nor white
/// fringes hide.
const GREY: [u8; 3] = [128, 128, 128];

/// A golden reference: `source` (under `fixtures/`) decoded by the `image` crate, `window` of
/// it (the whole image when `None`) resampled to `size` by [`quality::lanczos3`] in sRGB space
/// (what pixgate documents), rounded to 8 bits and stored as `fixtures/golden/<name>.png`.
pub struct Reference {
    pub name: &'static str,
    pub source: &'static str,
    pub window: Option<Window>,
    pub size: (usize, usize),
}

impl Reference {
    /// Runs the reference path. The same size and no window means no resampling at all.
    fn render(&self) -> RgbaImage {
        let decoded = image::load_from_memory(&fixture(self.source))
            .unwrap_or_else(|e| panic!("{}: {e}", self.source));
        let picture = Picture::from_image(&decoded);
        let window = self.window.unwrap_or(picture.whole());
        if window == picture.whole() && self.size == (picture.width, picture.height) {
            return picture.to_rgba8();
        }
        quality::lanczos3(&picture, window, self.size, Space::Srgb).to_rgba8()
    }

    fn path(&self) -> PathBuf {
        fixtures_dir()
            .join("golden")
            .join(format!("{}.png", self.name))
    }
}

fn reference(name: &str) -> &'static Reference {
    cases::REFERENCES
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no reference named {name}"))
}

fn updating() -> bool {
    std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1")
}

/// The golden image: loaded, or with `UPDATE_GOLDEN=1` made by the reference path and written.
fn golden(reference: &Reference) -> RgbaImage {
    let path = reference.path();
    if updating() {
        let image = reference.render();
        write_golden(&path, &image);
        return image;
    }
    image::open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "golden {} unreadable ({e}); regenerate it from the reference path with \
                 `UPDATE_GOLDEN=1 cargo test --test integration golden`",
                path.display()
            )
        })
        .to_rgba8()
}

/// Writes through a temporary file and a rename, so tests sharing a golden never see half of
/// one. Opaque goldens are stored as RGB.
fn write_golden(path: &std::path::Path, image: &RgbaImage) {
    let dir = path.parent().expect("golden folder");
    std::fs::create_dir_all(dir).expect("create fixtures/golden");
    let opaque = image.pixels().all(|p| p.0[3] == 255);
    let encoded = if opaque {
        image::DynamicImage::ImageRgba8(image.clone())
            .to_rgb8()
            .into()
    } else {
        image::DynamicImage::ImageRgba8(image.clone())
    };
    let file = tempfile::NamedTempFile::new_in(dir).expect("temporary golden");
    encoded
        .save_with_format(file.path(), image::ImageFormat::Png)
        .expect("encode golden");
    file.persist(path).expect("rename golden into place");
}

/// What one comparison found.
struct Measured {
    ssim: f64,
    alpha_ssim: Option<f64>,
    shift: f64,
    max_diff: u8,
}

fn measure(out: &RgbaImage, reference: &RgbaImage, look: Look) -> Measured {
    let (a, b, alpha_ssim) = match look {
        Look::Opaque => (out.clone(), reference.clone(), None),
        Look::Alpha => {
            let width = out.width() as usize;
            let alpha = quality::ssim_plane(
                &quality::channel(out, 3),
                &quality::channel(reference, 3),
                width,
            );
            (
                quality::over(out, GREY),
                quality::over(reference, GREY),
                Some(alpha),
            )
        }
        Look::On(colour) => (
            quality::over(out, colour),
            quality::over(reference, colour),
            None,
        ),
    };
    Measured {
        ssim: quality::ssim(&a, &b),
        alpha_ssim,
        shift: mean_shift(&a, &b),
        max_diff: quality::max_diff(&a, &b),
    }
}

fn accepts(tolerance: Tolerance, m: &Measured) -> bool {
    match tolerance {
        Tolerance::Exact => m.max_diff == 0 && m.alpha_ssim.is_none_or(|s| s == 1.0),
        Tolerance::Levels(levels) => m.max_diff <= levels && m.alpha_ssim.is_none(),
        Tolerance::Close { ssim, shift } => {
            m.ssim >= ssim && m.alpha_ssim.is_none_or(|s| s >= ssim) && m.shift <= shift
        }
    }
}

/// Fetches every case of `inputs` from one server and compares it with its golden. All cases
/// run before the verdict, which lists each case's measurements; any failure fails the test.
async fn check(inputs: &[&str]) {
    let cases: Vec<&Case> = cases::CASES
        .iter()
        .filter(|c| inputs.contains(&c.input))
        .collect();
    assert!(!cases.is_empty(), "no cases for {inputs:?}");
    let root = Root::new();
    for case in &cases {
        root.put_fixture(file_name(case.input), case.input);
    }
    let server = TestServer::serving(&root).await;
    let mut goldens: HashMap<&str, RgbaImage> = HashMap::new();
    let mut table = String::new();
    let mut failed = 0;
    for case in cases {
        let url = format!("/{}?{}", file_name(case.input), case.query);
        let golden = goldens
            .entry(case.reference)
            .or_insert_with(|| golden(reference(case.reference)));
        let verdict = match compare(&server, &url, golden, case).await {
            Ok(line) => line,
            Err(line) => {
                failed += 1;
                line
            }
        };
        writeln!(table, "{verdict}").expect("write to a String");
    }
    eprintln!("{table}");
    assert_eq!(failed, 0, "{failed} golden case(s) failed:\n{table}");
}

async fn compare(
    server: &TestServer,
    url: &str,
    golden: &RgbaImage,
    case: &Case,
) -> Result<String, String> {
    let label = format!("{url} vs {}", case.reference);
    let reply = server.get(url).await;
    if reply.status != 200 {
        return Err(format!(
            "FAIL {label}: HTTP {} {}",
            reply.status,
            reply.text()
        ));
    }
    let out = match image::load_from_memory(&reply.body) {
        Ok(image) => image.to_rgba8(),
        Err(e) => return Err(format!("FAIL {label}: undecodable output: {e}")),
    };
    if out.dimensions() != golden.dimensions() {
        return Err(format!(
            "FAIL {label}: {:?}, golden is {:?}",
            out.dimensions(),
            golden.dimensions()
        ));
    }
    let m = measure(&out, golden, case.look);
    let alpha = m
        .alpha_ssim
        .map(|s| format!(" alpha SSIM {s:.4}"))
        .unwrap_or_default();
    let line = format!(
        "{label}: SSIM {:.4}{alpha}, mean shift {:.2}, max diff {}; wanted {:?} ({})",
        m.ssim, m.shift, m.max_diff, case.tolerance, case.reason
    );
    if accepts(case.tolerance, &m) {
        Ok(format!("ok   {line}"))
    } else {
        Err(format!("FAIL {line}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jpeg_inputs_match_their_references() {
    check(&[
        "forest-800x500.jpg",
        "cups-800x500.jpg",
        "inputs/forest-progressive.jpg",
        "inputs/grey.jpg",
        "inputs/forest-icc-srgb.jpg",
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_eight_exif_orientations_come_out_upright() {
    let inputs: Vec<String> = (1..=8)
        .map(|n| format!("inputs/forest-orient{n}.jpg"))
        .collect();
    check(&inputs.iter().map(String::as_str).collect::<Vec<_>>()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn display_p3_sources_are_converted_to_srgb() {
    check(&["inputs/forest-p3.jpg", "inputs/cups-p3.png"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cmyk_jpeg_matches_its_rgb_original() {
    check(&["inputs/cups-cmyk.jpg"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn png_inputs_match_their_references() {
    check(&[
        "inputs/cups-rgb.png",
        "inputs/cups-palette.png",
        "inputs/cups-16bit.png",
        "inputs/grey-alpha.png",
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alpha_is_kept_in_png_and_flattened_in_jpeg() {
    check(&["inputs/cups-alpha.png"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webp_inputs_match_their_references() {
    check(&[
        "inputs/forest-lossy.webp",
        "inputs/kite-lossless.webp",
        "inputs/cups-alpha.webp",
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gif_bmp_and_tiff_inputs_match_their_references() {
    check(&[
        "inputs/forest-still.gif",
        "kite-animated-480x300.gif",
        "inputs/forest.bmp",
        "inputs/forest.tiff",
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avif_input_matches_its_png_original() {
    check(&["inputs/cups-alpha.avif"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jpeg_xl_inputs_match_their_originals() {
    check(&[
        "inputs/forest.jxl",
        "inputs/forest-orient6.jxl",
        "inputs/cups-alpha.jxl",
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn svg_matches_librsvg_at_the_output_size() {
    check(&["inputs/badge.svg"]).await;
}

/// Every golden is exactly what the reference path makes today (±1 for float rounding on
/// another machine), and every file in `fixtures/golden/` has a reference: a changed input, a
/// changed decoder or a hand-edited golden fails here.
#[test]
fn goldens_are_what_the_reference_path_makes() {
    for reference in cases::REFERENCES {
        let stored = golden(reference);
        let made = reference.render();
        assert_eq!(stored.dimensions(), made.dimensions(), "{}", reference.name);
        let diff = quality::max_diff(&stored, &made);
        assert!(
            diff <= 1,
            "golden {} differs from the reference path by {diff}; regenerate with \
             `UPDATE_GOLDEN=1 cargo test --test integration golden`",
            reference.name
        );
    }
    let dir = fixtures_dir().join("golden");
    for entry in std::fs::read_dir(&dir).expect("fixtures/golden") {
        let entry = entry.expect("directory entry");
        // `magick/` holds ImageMagick's references, checked in `magick`.
        if entry.path().is_dir() {
            continue;
        }
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stem = name.strip_suffix(".png").unwrap_or(&name);
        assert!(
            cases::REFERENCES.iter().any(|r| r.name == stem),
            "fixtures/golden/{name} has no reference in golden/cases.rs"
        );
    }
}

/// The forest truth is stored twice, losslessly: two different decoders must agree on it to
/// the bit, which is what lets the BMP decode stand as the reference for the other forests.
#[test]
fn golden_truth_decodes_identically_from_bmp_and_tiff() {
    let decode = |name: &str| image::load_from_memory(&fixture(name)).unwrap().to_rgba8();
    let (bmp, tiff) = (decode("inputs/forest.bmp"), decode("inputs/forest.tiff"));
    assert_eq!(bmp.dimensions(), tiff.dimensions());
    assert_eq!(quality::max_diff(&bmp, &tiff), 0);
}

/// The colour check of the Display P3 cases has teeth: the P3 pixels taken as sRGB (what a
/// server that ignores the profile serves) miss the sRGB golden by more than the tolerance.
#[test]
fn unconverted_p3_pixels_would_fail_the_colour_check() {
    for input in ["inputs/forest-p3.jpg", "inputs/cups-p3.png"] {
        let case = cases::CASES
            .iter()
            .find(|c| c.input == input)
            .expect("a P3 case");
        let Tolerance::Close { shift, .. } = case.tolerance else {
            panic!("{input}: P3 cases have a colour tolerance");
        };
        let raw = Reference {
            name: "unconverted",
            source: input,
            window: None,
            size: reference(case.reference).size,
        }
        .render();
        let golden = golden(reference(case.reference));
        let unconverted_shift = mean_shift(&raw, &golden);
        assert!(
            unconverted_shift > 3.0 * shift,
            "{input}: unconverted pixels shift the mean by only {unconverted_shift:.2}, \
             tolerance {shift}"
        );
    }
}
