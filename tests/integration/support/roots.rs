//! What a server serves from: throw-away source roots (and a root beside a folder it must never
//! reach, with symlinks out of it), the repo's `fixtures/`, and the configuration a test server
//! starts with; and a listing of what a folder holds, for tests that prove nothing was left or
//! changed on disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pixgate::config::{Config, SourceConfig};

use super::images::{BLUE, RED, halves_png, png};

/// A fixed instant used by tests that do not care which one: 2025-12-10T11:33:20Z.
pub const NOW: u64 = 1_765_366_400;

/// A throw-away source root, `root/` inside a folder of its own: what a test finds beside it
/// was written by that test, not by anything else sharing the system's temp folder.
pub struct Root {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Root {
    pub fn new() -> Root {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("root");
        std::fs::create_dir(&root).expect("create the root");
        Root { _dir: dir, root }
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Writes `bytes` at `key`, creating folders.
    pub fn put(&self, key: &str, bytes: &[u8]) -> &Root {
        let path = self.root.join(key);
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
        SourceConfig::new(name, self.root.clone())
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

/// Written in every file outside a [`Jail`]'s root: an answer that contains it leaked.
pub const SENTINEL: &str = "SENTINEL-outside-the-root-5e11";

/// A source root beside a folder it must never serve from or write to. `outside/` holds
/// `sentinel.txt` ([`SENTINEL`]) and `sentinel.png` (magenta, a colour no picture inside has);
/// the root holds `inside.txt`, `a/x`, `a/x.txt`, `pub.png` (red) and `pic.png` (blue), and
/// symlinks of every shape: out of the root to a file or a folder, by absolute path
/// (`link-out.txt`, `link-out.png`, `outdir`, `abs`) or relative (`relative-out.txt`, `out`,
/// `out.txt`, `out.png`), to the parent (`up`), to itself (`self`); and within it
/// (`link-in.png`, `in.png`, `relative-in.txt`, `a-link`).
pub struct Jail {
    _dir: tempfile::TempDir,
    /// The folder holding `root/` and `outside/`.
    pub base: PathBuf,
    pub root: PathBuf,
    pub outside: PathBuf,
}

impl Jail {
    pub fn new() -> Jail {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().to_path_buf();
        let root = base.join("root");
        let outside = base.join("outside");
        let write = |path: PathBuf, bytes: &[u8]| std::fs::write(path, bytes).expect("write");
        std::fs::create_dir_all(root.join("a")).expect("create the root");
        std::fs::create_dir_all(&outside).expect("create the outside");
        write(outside.join("sentinel.txt"), SENTINEL.as_bytes());
        let magenta = image::RgbaImage::from_pixel(8, 8, image::Rgba([255, 0, 255, 255]));
        write(outside.join("sentinel.png"), &png(&magenta));
        write(root.join("inside.txt"), b"inside");
        write(root.join("a/x"), b"a/x");
        write(root.join("a/x.txt"), b"a/x");
        write(root.join("pub.png"), &halves_png(16, 8, RED, RED));
        write(root.join("pic.png"), &halves_png(8, 8, BLUE, BLUE));
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, root.join(name)).expect("symlink");
        };
        link(&outside.join("sentinel.txt"), "link-out.txt");
        link(&outside.join("sentinel.png"), "link-out.png");
        link(&outside, "outdir");
        link(&outside, "abs");
        link(Path::new("../outside/sentinel.txt"), "relative-out.txt");
        link(Path::new("../outside"), "out");
        link(Path::new("../outside/sentinel.txt"), "out.txt");
        link(Path::new("../outside/sentinel.png"), "out.png");
        link(Path::new(".."), "up");
        link(Path::new("."), "self");
        link(&root.join("pub.png"), "link-in.png");
        link(Path::new("pic.png"), "in.png");
        link(Path::new("inside.txt"), "relative-in.txt");
        link(Path::new("a"), "a-link");
        Jail {
            _dir: dir,
            base,
            root,
            outside,
        }
    }

    /// A non-secure source serving the root for any host, everything else defaulted.
    pub fn source(&self, name: &str) -> SourceConfig {
        SourceConfig::new(name, self.root.clone())
    }

    /// Every file under the base folder outside the root, with its bytes.
    pub fn outside_the_root(&self) -> BTreeMap<String, Vec<u8>> {
        files_under(&self.base)
            .into_keys()
            .filter(|path| !path.starts_with("root/"))
            .map(|path| {
                let bytes = std::fs::read(self.base.join(&path)).unwrap_or_default();
                (path, bytes)
            })
            .collect()
    }
}
