//! Who the tests and the server run as. CI runs the suite as root, whom file modes do not bind
//! (`CAP_DAC_OVERRIDE`), so a test about an unreadable file must run pixgate as someone else:
//! `nobody`, reached with `setpriv` (util-linux) in the child, never by changing the tests' own
//! user. Run as anyone else, the tests' own user is already bound by modes and pixgate runs as
//! it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The uid and gid an unprivileged pixgate gets when the tests run as root: `nobody` and
/// `nogroup` on Debian.
pub const NOBODY: u32 = 65534;

/// The real, effective, saved and file-system ids on a `Uid:` or `Gid:` line of
/// `/proc/<pid>/status`.
pub fn process_ids(pid: u32, field: &str) -> [u32; 4] {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("read /proc/{pid}/status: {e}"));
    let ids: Vec<u32> = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .map(|ids| {
            ids.split_whitespace()
                .filter_map(|id| id.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    ids.try_into()
        .unwrap_or_else(|ids| panic!("{field} in /proc/{pid}/status: {ids:?}"))
}

/// Whether this test process runs as root, so that an unprivileged pixgate needs `setpriv`.
pub fn tests_run_as_root() -> bool {
    process_ids(std::process::id(), "Uid")[1] == 0
}

/// The uid an unprivileged pixgate runs as: [`NOBODY`] under root, else the tests' own.
pub fn unprivileged_uid() -> u32 {
    if tests_run_as_root() {
        NOBODY
    } else {
        process_ids(std::process::id(), "Uid")[1]
    }
}

/// What starts `program` unprivileged: `program` itself, or under root `setpriv` dropping to
/// [`NOBODY`] with no supplementary groups and no inheritable capabilities. `setpriv` is named
/// by its full path so that a command whose environment is cleared still finds it.
pub fn unprivileged_launcher(program: &Path) -> Command {
    if !tests_run_as_root() {
        return Command::new(program);
    }
    let mut command = Command::new(setpriv());
    command
        .arg(format!("--reuid={NOBODY}"))
        .arg(format!("--regid={NOBODY}"))
        .args(["--clear-groups", "--inh-caps=-all", "--"])
        .arg(program);
    command
}

fn setpriv() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join("setpriv"))
        .find(|candidate| candidate.is_file())
        .expect("setpriv (util-linux) on PATH: needed to drop root for unprivileged tests")
}

/// Opens `dir` and everything under it to reading by anyone: folders 0755, files 0644.
/// tempfile makes its folders 0700, which would hide a test's config and root from an
/// unprivileged pixgate before any mode under test came into play. Call it before setting the
/// modes a test is about.
pub fn readable_by_all(dir: &Path) {
    set_mode(dir, 0o755);
    for entry in std::fs::read_dir(dir).expect("list a test folder") {
        let path = entry.expect("a test folder's entry").path();
        let meta = std::fs::symlink_metadata(&path).expect("stat a test file");
        if meta.is_dir() {
            readable_by_all(&path);
        } else if meta.is_file() {
            set_mode(&path, 0o644);
        }
    }
}

/// Makes `dir` (not what is in it) the unprivileged pixgate's, so that it may write there
/// (upload staging, file records). Nothing to do when the tests are that user already.
pub fn owned_by_unprivileged(dir: &Path) {
    if tests_run_as_root() {
        std::os::unix::fs::chown(dir, Some(NOBODY), Some(NOBODY))
            .unwrap_or_else(|e| panic!("chown {}: {e}", dir.display()));
    }
}

pub fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}
