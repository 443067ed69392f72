//! Goldens for the adjustments and effects, made by an independent implementation: ImageMagick
//! 6 (Debian's `imagemagick`, 6.9.11 Q16, `/usr/bin/convert`) applied to the same 160×100
//! crop of `inputs/cups-rgb.png` that pixgate is asked for (no resize, so only the effect is
//! compared). Each command is in [`EFFECTS`], which is the goldens' provenance; the files are
//! `fixtures/golden/magick/<name>.png`. `UPDATE_GOLDEN=1 cargo test --test integration golden`
//! runs the commands (ImageMagick needed; `PIXGATE_MAGICK` names another `convert`); any other
//! run reads the stored files, so the suite needs nothing installed.
//!
//! imgix's own curves for `high`, `shad`, `vib`, `hue`, `monochrome`, `duotone` and `htn` have no
//! ImageMagick equivalent with the same formula; they are checked by what their pixels must
//! show (`adjustments`, `stylize`).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use image::RgbaImage;

use super::cases::{Look, Tolerance};
use super::{accepts, measure, updating, write_golden};
use crate::support::roots::{Root, fixture, fixtures_dir};
use crate::support::server::TestServer;

const SOURCE: &str = "inputs/cups-rgb.png";
/// The crop, as pixgate's `rect` and as ImageMagick's geometry.
const RECT: &str = "rect=80,50,160,100";
const GEOMETRY: &str = "160x100+80+50";

/// One effect: pixgate's query, the ImageMagick operators that do the same, and the tolerance.
struct Effect {
    name: &'static str,
    query: &'static str,
    magick: &'static [&'static str],
    tolerance: Tolerance,
    reason: &'static str,
}

/// A point operation computed in floating point by both sides, rounded once to 8 bits.
const ROUNDING: &str = "the same formula; pixgate rounds an f32 table, ImageMagick its 16-bit \
                        result (max diff 1 measured)";

const EFFECTS: &[Effect] = &[
    Effect {
        name: "invert",
        query: "invert=1",
        magick: &["-negate"],
        tolerance: Tolerance::Exact,
        reason: "255 - x on both sides",
    },
    Effect {
        name: "sat-100",
        query: "sat=-100",
        magick: &["-grayscale", "Rec709Luma"],
        tolerance: Tolerance::Levels(1),
        reason: "grey from Rec. 709 weights on the sRGB-encoded values (ImageMagick's Luma, not \
                 Luminance); rounding",
    },
    Effect {
        name: "bri30",
        query: "bri=30",
        magick: &["-evaluate", "Add", "30%"],
        tolerance: Tolerance::Levels(1),
        reason: ROUNDING,
    },
    Effect {
        name: "con40",
        // tan((40/100 + 1) × 45°) = 1.9626105 about mid-grey: a·x + (0.5 − a/2).
        query: "con=40",
        magick: &["-function", "Polynomial", "1.9626105,-0.48130525"],
        tolerance: Tolerance::Levels(1),
        reason: ROUNDING,
    },
    Effect {
        name: "gam40",
        // x^(2^(−40/100)); ImageMagick's -gamma g is x^(1/g), so g = 2^0.4.
        query: "gam=40",
        magick: &["-gamma", "1.3195079"],
        tolerance: Tolerance::Levels(1),
        reason: ROUNDING,
    },
    Effect {
        name: "exp40",
        // Linear light × 2^(40/50): ImageMagick 6's `RGB` is linear sRGB.
        query: "exp=40",
        magick: &[
            "-colorspace",
            "RGB",
            "-evaluate",
            "Multiply",
            "1.7411011",
            "-colorspace",
            "sRGB",
        ],
        tolerance: Tolerance::Levels(1),
        reason: ROUNDING,
    },
    Effect {
        name: "sepia100",
        query: "sepia=100",
        magick: &[
            "-color-matrix",
            "0.393 0.769 0.189 0.349 0.686 0.168 0.272 0.534 0.131",
        ],
        tolerance: Tolerance::Levels(1),
        reason: ROUNDING,
    },
    Effect {
        name: "usm80-r3",
        query: "usm=80&usmrad=3",
        magick: &["-unsharp", "0x3+0.8+0"],
        tolerance: Tolerance::Levels(2),
        reason: "in + 0.8 × (in − Gaussian σ 3) on both sides; the Gaussians are cut at different \
                 radii (max diff 2 measured)",
    },
    Effect {
        name: "px10",
        query: "px=10",
        magick: &["-scale", "10%", "-scale", "1000%"],
        tolerance: Tolerance::Levels(1),
        reason: "10×10 blocks of their mean (ImageMagick's -scale is a box filter); rounding of \
                 the mean",
    },
    Effect {
        name: "blur40",
        query: "blur=40",
        magick: &["-gaussian-blur", "0x2"],
        tolerance: Tolerance::Levels(2),
        reason: "σ 2: the exact Gaussian on both sides, its kernel cut at different radii \
                 (max diff 2 measured)",
    },
    Effect {
        name: "blur200",
        query: "blur=200",
        magick: &["-gaussian-blur", "0x10"],
        tolerance: Tolerance::Close {
            ssim: 0.99,
            shift: 1.0,
        },
        reason: "σ 10: pixgate's three box blurs (O(1) per pixel) against ImageMagick's exact                  Gaussian; the boxes' piecewise-quadratic kernel differs in the tails",
    },
];

fn path(name: &str) -> PathBuf {
    fixtures_dir()
        .join("golden")
        .join("magick")
        .join(format!("{name}.png"))
}

/// Runs ImageMagick on the crop of [`SOURCE`] with `effect`'s operators.
fn run_magick(effect: &Effect) -> RgbaImage {
    let convert = std::env::var("PIXGATE_MAGICK").unwrap_or_else(|_| "/usr/bin/convert".into());
    let source = fixtures_dir().join(SOURCE);
    let output = Command::new(&convert)
        .arg(&source)
        .args(["-crop", GEOMETRY, "+repage"])
        .args(effect.magick)
        .arg("png24:-")
        .output()
        .unwrap_or_else(|e| panic!("{convert}: {e}; UPDATE_GOLDEN needs ImageMagick 6"));
    assert!(
        output.status.success(),
        "{convert} {:?}: {}",
        effect.magick,
        String::from_utf8_lossy(&output.stderr)
    );
    image::load_from_memory(&output.stdout)
        .unwrap_or_else(|e| panic!("{}: ImageMagick's output: {e}", effect.name))
        .to_rgba8()
}

fn golden(effect: &Effect) -> RgbaImage {
    let path = path(effect.name);
    if updating() {
        let image = run_magick(effect);
        write_golden(&path, &image);
        return image;
    }
    image::open(&path)
        .unwrap_or_else(|e| panic!("golden {} unreadable: {e}", path.display()))
        .to_rgba8()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn effects_match_imagemagick() {
    let root = Root::new();
    root.put("cups.png", &fixture(SOURCE));
    let server = TestServer::serving(&root).await;
    let (mut table, mut failed) = (String::new(), 0);
    for effect in EFFECTS {
        let url = format!("/cups.png?{RECT}&{}&fm=png", effect.query);
        let out = server.get(&url).await.image("png");
        let golden = golden(effect);
        assert_eq!(out.dimensions(), golden.dimensions(), "{url}");
        let m = measure(&out, &golden, Look::Opaque);
        let ok = accepts(effect.tolerance, &m);
        failed += usize::from(!ok);
        writeln!(
            table,
            "{} {url} vs ImageMagick {:?}: SSIM {:.4}, mean shift {:.2}, max diff {}; wanted \
             {:?} ({})",
            if ok { "ok  " } else { "FAIL" },
            effect.magick,
            m.ssim,
            m.shift,
            m.max_diff,
            effect.tolerance,
            effect.reason
        )
        .expect("write to a String");
    }
    eprintln!("{table}");
    assert_eq!(failed, 0, "{failed} effect(s) off ImageMagick:\n{table}");
}

/// Every file in `fixtures/golden/magick/` is an effect's, and every effect has its file.
#[test]
fn every_imagemagick_golden_has_its_command() {
    let dir = fixtures_dir().join("golden").join("magick");
    let mut stored: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures/golden/magick")
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    stored.sort();
    let mut wanted: Vec<String> = EFFECTS.iter().map(|e| format!("{}.png", e.name)).collect();
    wanted.sort();
    assert_eq!(stored, wanted);
}
