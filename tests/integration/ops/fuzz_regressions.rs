//! Replays what the fuzzers found (`fuzz/regressions/<target>/`) and the seed corpora
//! (`fuzz/seeds/<target>/`) through the very checks the fuzz targets run (`fuzz/src/lib.rs`,
//! compiled in here), so a failure found once stays fixed without a fuzzer in CI. See
//! `fuzz/README.md`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Once;

#[path = "../../../fuzz/src/lib.rs"]
mod targets;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted; none when the folder does not exist.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// The render check notes panics that a decoder guard caught only under this hook, which
/// forwards everything else to the hook installed before it.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(targets::install_panic_hook);
}

/// Runs every input of `kind` through its target's check; one line per input that panicked
/// (the panic message is printed above the test's failure).
fn panicking_inputs(kind: &str) -> Vec<String> {
    install_panic_hook();
    let mut failures = Vec::new();
    for (target, check) in targets::TARGETS {
        for file in inputs(kind, target) {
            let data = std::fs::read(&file).unwrap();
            if catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
                failures.push(format!("{}: panicked", file.display()));
            }
        }
    }
    failures
}

#[test]
fn every_saved_fuzz_failure_passes_its_targets_checks() {
    let failures = panicking_inputs("regressions");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_saved_render_failure_is_refused_with_an_error() {
    install_panic_hook();
    let mut rendered = Vec::new();
    for file in inputs("regressions", "render") {
        let data = std::fs::read(&file).unwrap();
        // A panic here is reported by the test above; this one asks for a clean refusal.
        if let Ok(Ok(out)) = catch_unwind(AssertUnwindSafe(|| targets::render(&data))) {
            rendered.push(format!(
                "{}: rendered {}x{}",
                file.display(),
                out.width,
                out.height
            ));
        }
    }
    assert!(rendered.is_empty(), "{}", rendered.join("\n"));
}

#[test]
fn every_fuzz_seed_passes_its_targets_checks() {
    let failures = panicking_inputs("seeds");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fuzz_folders_name_only_known_targets() {
    for kind in ["regressions", "seeds"] {
        for entry in std::fs::read_dir(fuzz_dir().join(kind)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                assert!(
                    targets::TARGETS.iter().any(|(t, _)| *t == name),
                    "{}: no fuzz target of that name",
                    path.display()
                );
            }
        }
    }
}
