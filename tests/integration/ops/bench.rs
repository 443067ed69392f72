//! `pixgate bench`: it renders through the real pipeline and reports what it
//! measured, as text or one JSON object; bad input is a clear error, not a panic.

use crate::support::binary::run_pixgate;
use crate::support::images::gradient_png;
use crate::support::roots::fixtures_dir;

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn json_reports_every_render_with_stage_medians_bytes_and_memory() {
    let photo = fixtures_dir().join("cups-800x500.jpg");
    let args = [
        "bench",
        photo.to_str().unwrap(),
        "--w",
        "120",
        "--fm",
        "webp",
        "--iterations",
        "3",
        "--warmup",
        "0",
        "--json",
    ];
    let (ok, stdout, stderr) = run_pixgate(&args, &[]);
    assert!(ok, "{stderr}");
    let report = json(&stdout);
    assert_eq!(report["images"], 3, "{report}");
    assert_eq!(report["threads"], 1);
    let median = &report["median_ms"];
    for stage in ["decode", "resize", "encode", "total"] {
        assert!(median[stage].as_f64().unwrap() > 0.0, "{stage}: {report}");
    }
    let stages: f64 = ["decode", "resize", "encode"]
        .iter()
        .map(|s| median[*s].as_f64().unwrap())
        .sum();
    // Medians of parts need not add up exactly, but not to more than the whole by much.
    assert!(
        stages <= median["total"].as_f64().unwrap() * 1.5,
        "{report}"
    );
    let bytes = report["bytes_out"].as_u64().unwrap();
    assert!(bytes > 0);
    assert_eq!(report["mean_bytes_out"].as_u64().unwrap(), bytes / 3);
    assert!(report["peak_rss_bytes"].as_u64().unwrap() > 1 << 20);
    assert!(report["images_per_second"].as_f64().unwrap() > 0.0);
    // Which it is depends on whether nasm was installed for the build; either is a boolean.
    assert!(report["libjpeg_simd"].is_boolean(), "{report}");
    // pixgate's own inverse DCT stands in only where libjpeg has none.
    let ours = report["jpeg_idct_avx2"].as_bool().unwrap();
    assert!(
        !(ours && report["libjpeg_simd"].as_bool().unwrap()),
        "{report}"
    );
}

#[test]
fn a_folder_contributes_its_images_and_threads_share_the_work() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.png"), gradient_png(64, 40)).unwrap();
    std::fs::write(dir.path().join("b.png"), gradient_png(40, 64)).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not an image").unwrap();
    let folder = dir.path().to_str().unwrap();
    let args = [
        "bench",
        folder,
        "--w",
        "16",
        "--iterations",
        "4",
        "--threads",
        "2",
        "--json",
    ];
    let (ok, stdout, stderr) = run_pixgate(&args, &[]);
    assert!(ok, "{stderr}");
    let report = json(&stdout);
    assert_eq!(report["images"], 8, "2 images x 4: {report}");
    assert_eq!(report["threads"], 2);

    let (ok, stdout, stderr) = run_pixgate(&["bench", folder, "--iterations", "1"], &[]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("images/s")
            && stdout.contains("median per image")
            && stdout.contains("JPEG: libjpeg-turbo with"),
        "{stdout}"
    );
}

#[test]
fn bad_parameters_and_paths_without_images_are_clear_errors() {
    let photo = fixtures_dir().join("cups-800x500.jpg");
    let photo = photo.to_str().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let missing = empty.path().join("missing.jpg");
    let folder = fixtures_dir();
    let out = empty.path().join("out.webp");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["bench", photo, "--q", "900"], "`q`"),
        (
            &["bench", folder.to_str().unwrap(), "--out", out],
            "--out writes one render",
        ),
        (
            &["bench", photo, "--srcset", "100,200", "--out", out],
            "cannot be used with",
        ),
        (&["bench", photo, "--param", "blur"], "name=value"),
        (&["bench", empty.path().to_str().unwrap()], "no images"),
        (
            &["bench", missing.to_str().unwrap()],
            "missing.jpg: No such file",
        ),
    ];
    for (args, wanted) in cases {
        let (ok, _, stderr) = run_pixgate(args, &[]);
        assert!(!ok, "{args:?} succeeded");
        assert_eq!(stderr.matches(wanted).count(), 1, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(
        !empty.path().join("out.webp").exists(),
        "nothing written on an error"
    );
}

#[test]
fn out_writes_one_render_of_the_transform() {
    let photo = fixtures_dir().join("cups-800x500.jpg");
    let dir = tempfile::tempdir().unwrap();
    for (fm, width) in [("avif", 120), ("webp", 90), ("png", 64)] {
        let out = dir.path().join(format!("out.{fm}"));
        let args = [
            "bench",
            photo.to_str().unwrap(),
            "--w",
            &width.to_string(),
            "--fm",
            fm,
            "--iterations",
            "1",
            "--warmup",
            "0",
            "--out",
            out.to_str().unwrap(),
        ];
        let (ok, _, stderr) = run_pixgate(&args, &[]);
        assert!(ok, "{stderr}");
        let bytes = std::fs::read(&out).unwrap();
        let format = image::guess_format(&bytes).unwrap();
        assert_eq!(format.extensions_str()[0], fm, "{fm}");
        // `image` reads AVIF headers only with its decoder feature; the size is checked on
        // the other two, and the AVIF by its container's `ispe` (width then height).
        if fm == "avif" {
            let ispe = bytes.windows(4).position(|w| w == b"ispe").unwrap() + 8;
            let w = u32::from_be_bytes(bytes[ispe..ispe + 4].try_into().unwrap());
            assert_eq!(w, width);
        } else {
            assert_eq!(image::load_from_memory(&bytes).unwrap().width(), width);
        }
    }
}

#[test]
fn face_parameters_are_benched_with_their_detection() {
    let portrait = fixtures_dir().join("faces/grace-hopper-512x600.jpg");
    let args = [
        "bench",
        portrait.to_str().unwrap(),
        "--w",
        "100",
        "--h",
        "100",
        "--fit",
        "facearea",
        "--param",
        "face-blur=20",
        "--iterations",
        "2",
        "--warmup",
        "0",
        "--json",
    ];
    let (ok, stdout, stderr) = run_pixgate(&args, &[]);
    assert!(ok, "{stderr}");
    let report = json(&stdout);
    assert_eq!(report["images"], 2, "{report}");
    assert!(report["bytes_out"].as_u64().unwrap() > 0, "{report}");
}
