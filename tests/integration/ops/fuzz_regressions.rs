//! Replays what the fuzzers found (`fuzz/regressions/<target>/`) and the seed corpora
//! (`fuzz/seeds/<target>/`) through the very checks the fuzz targets run (`fuzz/src/lib.rs`,
//! compiled in here), so a failure found once stays fixed without a fuzzer in CI; a folder of
//! saved inputs that vanishes or shrinks fails rather than replaying nothing. See
//! `fuzz/README.md`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Once;

use crate::support::forge;

#[path = "../../../fuzz/src/lib.rs"]
mod targets;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// How many inputs each folder of saved inputs held when this was written, at least: a folder
/// that disappears or empties fails its replay instead of passing by replaying nothing. A row
/// goes in with the first regression a fuzzer finds for a target; counts only grow.
const SAVED: &[(&str, &str, usize)] = &[
    ("regressions", "query", 6),
    ("seeds", "content_range", 7),
    ("seeds", "geometry", 16),
    ("seeds", "query", 16),
    ("seeds", "render", 20),
    ("seeds", "signature_hmac", 13),
    ("seeds", "signature_md5", 13),
    ("seeds", "storage_key", 14),
];

/// The files of `fuzz/<kind>/<target>/`, sorted. A folder [`SAVED`] lists must exist and hold
/// at least its count; another may be absent (no input saved yet), and holds at least one if
/// present.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let saved = SAVED
        .iter()
        .find(|&&(k, t, _)| k == kind && t == target)
        .map(|&(_, _, count)| count);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if saved.is_none() && e.kind() == std::io::ErrorKind::NotFound => {
            return Vec::new();
        }
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let least = saved.unwrap_or(1);
    assert!(
        files.len() >= least,
        "{}: {} inputs, fewer than the {least} saved",
        dir.display(),
        files.len()
    );
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

/// The render check must refuse what no server may render: every saved render failure (none
/// yet: the folder appears with the first), and every hostile file the suite forges (a bomb of
/// each input format, files broken inside their header) under each transform the render
/// target picks from. Each must be an error, never an image, and never a panic.
#[test]
fn saved_render_failures_and_forged_hostile_files_are_refused_with_an_error() {
    install_panic_hook();
    let mut inputs: Vec<(String, Vec<u8>)> = inputs("regressions", "render")
        .into_iter()
        .map(|file| (file.display().to_string(), std::fs::read(&file).unwrap()))
        .collect();
    let forged: Vec<(&str, Vec<u8>)> = forge::bombs()
        .into_iter()
        .chain(forge::broken_headers())
        .collect();
    let picks = u8::try_from(targets::RENDER_QUERIES.len()).unwrap();
    for (name, bytes) in &forged {
        for pick in 0..picks {
            let query = targets::RENDER_QUERIES[usize::from(pick)];
            inputs.push((format!("{name} ({query})"), [&[pick][..], bytes].concat()));
        }
    }
    assert!(forged.len() >= 30, "{} forged files", forged.len());
    let mut rendered = Vec::new();
    for (name, data) in &inputs {
        match catch_unwind(AssertUnwindSafe(|| targets::render(data))) {
            Ok(Err(_)) => {}
            Ok(Ok(out)) => rendered.push(format!("{name}: rendered {}x{}", out.width, out.height)),
            Err(_) => rendered.push(format!("{name}: panicked")),
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
