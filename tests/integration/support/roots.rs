//! What a server serves from: throw-away source roots, the repo's `fixtures/`, and the
//! configuration a test server starts with; and a listing of what a folder holds, for tests
//! that prove nothing was left or changed on disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pixgate::config::{Config, SourceConfig};

/// A fixed instant used by tests that do not care which one: 2025-12-10T11:33:20Z.
pub const NOW: u64 = 1_765_366_400;

/// A throw-away source root.
pub struct Root {
    dir: tempfile::TempDir,
}

impl Root {
    pub fn new() -> Root {
        Root {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `bytes` at `key`, creating folders.
    pub fn put(&self, key: &str, bytes: &[u8]) -> &Root {
        let path = self.dir.path().join(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, bytes).expect("write file");
        self
    }

    /// Copies `fixtures/<fixture>` to `key`.
    pub fn put_fixture(&self, key: &str, fixture_name: &str) -> &Root {
        self.put(key, &fixture(fixture_name))
    }

    /// A non-secure source serving this root for any host, everything else defaulted.
    pub fn source(&self, name: &str) -> SourceConfig {
        SourceConfig::new(name, self.dir.path().to_path_buf())
    }
}

/// The repo's `fixtures/` folder.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The bytes of `fixtures/<name>`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The file name of a fixture path (`inputs/grey.jpg` → `grey.jpg`), the key tests store it at.
pub fn file_name(fixture_path: &str) -> &str {
    fixture_path.rsplit('/').next().unwrap_or(fixture_path)
}

/// A config with these sources and every other section defaulted.
pub fn config(sources: Vec<SourceConfig>) -> Config {
    let mut config = Config {
        sources,
        ..Config::default()
    };
    // AV1 decoded in a child process, as `pixgate serve` does.
    config.limits.av1_decoder = Some(env!("CARGO_BIN_EXE_pixgate").into());
    config
}

/// Every file under `dir` (symlinks are not followed), as its `/`-separated path relative to
/// `dir` and its length; empty folders do not count, and a missing `dir` holds nothing.
pub fn files_under(dir: &Path) -> BTreeMap<String, u64> {
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

fn walk(base: &Path, dir: &Path, files: &mut BTreeMap<String, u64>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let meta = std::fs::symlink_metadata(entry.path()).unwrap();
        if meta.is_dir() {
            walk(base, &entry.path(), files);
        } else {
            let relative = entry.path().strip_prefix(base).unwrap().to_owned();
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            files.insert(parts.join("/"), meta.len());
        }
    }
}
