//! What a release carries besides the binary: `rust-version` is the newest any dependency
//! declares, THIRD_PARTY_NOTICES.md is what `scripts/notices.py` writes today, the changelog's
//! newest entry is Cargo.toml's version, and the completions and man pages the binary prints
//! come from its real command line.

use std::path::Path;
use std::process::Command;

use crate::support::binary::{run_pixgate, run_to_completion};

/// What our own code needs, should every dependency ever need less: let-chains
/// (`if let … && …`), stable since Rust 1.88.
const OWN_FLOOR: (u64, u64, u64) = (1, 88, 0);

/// The platform whose dependency graph counts (the release image's); other platforms' crates
/// are not downloaded, so `cargo metadata --offline` could not read them.
const PLATFORM: &str = "x86_64-unknown-linux-gnu";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `1.92` or `1.92.0` as (1, 92, 0).
fn version(text: &str) -> (u64, u64, u64) {
    let mut parts = text
        .split('.')
        .map(|p| p.parse::<u64>().unwrap_or_else(|e| panic!("{text:?}: {e}")));
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next())
}

fn cargo_toml() -> toml::Table {
    let text = std::fs::read_to_string(manifest_dir().join("Cargo.toml")).unwrap();
    text.parse().unwrap()
}

fn package_field(name: &str) -> String {
    cargo_toml()["package"][name].as_str().unwrap().to_string()
}

/// Every crate of the locked graph, development dependencies included: `cargo test` builds
/// them too, so they bound the toolchain a contributor needs.
fn locked_graph() -> serde_json::Value {
    let mut metadata = Command::new(env!("CARGO"));
    metadata
        .args(["metadata", "--offline", "--format-version", "1"])
        .args(["--filter-platform", PLATFORM, "--manifest-path"])
        .arg(manifest_dir().join("Cargo.toml"));
    let (ok, stdout, stderr) = run_to_completion(metadata);
    assert!(ok, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn rust_version_is_the_newest_any_dependency_declares() {
    let graph = locked_graph();
    let (needed, by) = graph["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] != "pixgate")
        .filter_map(|p| Some((version(p["rust_version"].as_str()?), p["name"].to_string())))
        .max()
        .unwrap();
    let (expected, why) = if needed >= OWN_FLOOR {
        (needed, format!("{by} declares it"))
    } else {
        (OWN_FLOOR, "our own code needs it".to_string())
    };
    assert_eq!(
        version(&package_field("rust-version")),
        expected,
        "Cargo.toml's rust-version should be {expected:?}: {why}"
    );
}

#[test]
fn third_party_notices_are_what_the_script_writes_today() {
    let mut check = Command::new("python3");
    check
        .arg(manifest_dir().join("scripts/notices.py"))
        .arg("--check")
        .env("CARGO", env!("CARGO"));
    let (ok, _, stderr) = run_to_completion(check);
    assert!(ok, "{stderr}");
}

#[test]
fn the_changelogs_newest_release_is_the_crates_version() {
    let changelog = std::fs::read_to_string(manifest_dir().join("CHANGELOG.md")).unwrap();
    let newest = changelog
        .lines()
        .filter_map(|l| l.strip_prefix("## ["))
        .find(|l| !l.starts_with("Unreleased"))
        .and_then(|l| l.split(']').next())
        .unwrap();
    assert_eq!(newest, package_field("version"));
}

#[test]
fn bash_completions_name_every_subcommand() {
    let (ok, stdout, stderr) = run_pixgate(&["completions", "bash"], &[]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("_pixgate()"), "{stdout}");
    // The words offered after `pixgate `. clap_complete lists the hidden `decode-av1` there
    // too: harmless, it is a real subcommand.
    let offered = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("opts=\"-h -V "))
        .unwrap_or_else(|| panic!("{stdout}"));
    for name in [
        "serve",
        "sign",
        "check-config",
        "health",
        "bench",
        "completions",
        "man",
    ] {
        assert!(offered.contains(&format!(" {name} ")), "{name}: {offered}");
    }
    assert!(
        stdout.contains("--no-progress"),
        "bench's flags are completed"
    );
}

#[test]
fn man_pages_are_roff_for_pixgate_and_each_subcommand() {
    let (ok, page, stderr) = run_pixgate(&["man"], &[]);
    assert!(ok, "{stderr}");
    let title = format!(".TH pixgate 1  \"pixgate {}\"", package_field("version"));
    assert!(page.lines().any(|l| l.starts_with(&title)), "{page}");
    assert!(page.contains("pixgate\\-bench(1)"), "{page}");

    let (ok, page, stderr) = run_pixgate(&["man", "bench"], &[]);
    assert!(ok, "{stderr}");
    assert!(page.contains(".TH pixgate-bench 1"), "{page}");
    assert!(page.contains("Output width in pixels"), "{page}");

    let (ok, _, stderr) = run_pixgate(&["man", "nope"], &[]);
    assert!(!ok);
    assert!(
        stderr.contains("man pages exist for: serve, sign"),
        "{stderr}"
    );
}
