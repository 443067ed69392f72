//! The binary run as a user file modes bind (`nobody` when the suite runs as root, as CI does):
//! an original it may not read, or one in a folder it may not enter, answers a clean
//! `502 upstream_failed` at once, naming no path, and the log says why; an upload into a
//! folder it may not write is a clean `500 storage_failed` that leaves nothing behind.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::hostile::{Forbidden, HANG};
use crate::support::binary::{Daemon, strip_ansi, unprivileged_pixgate_command};
use crate::support::images::gradient_png;
use crate::support::reply::Reply;
use crate::support::roots::Root;
use crate::support::users::{
    owned_by_unprivileged, process_ids, readable_by_all, set_mode, tests_run_as_root,
    unprivileged_uid,
};
use crate::support::wire::{self, RawBody, raw_send};
use crate::uploads::{KEY, put_url, tree};

/// A refusal reads at most a directory entry: anything slower is a hang in the making.
const FAST: Duration = Duration::from_secs(3);

/// A root pixgate may read and write except for `locked.png` (mode 000), `sealed/` (mode 000,
/// holding `inner.png`) and `shut/` (0555: readable, not writable), and a config dir beside
/// it. Dropping it restores the modes, so that a non-root runner can delete the folders.
struct Modes {
    root: Root,
    config_dir: tempfile::TempDir,
}

impl Modes {
    fn new() -> Modes {
        let root = Root::new();
        let png = gradient_png(64, 40);
        for key in ["ok.png", "locked.png", "sealed/inner.png", "shut/old.png"] {
            root.put(key, &png);
        }
        readable_by_all(root.path());
        owned_by_unprivileged(root.path());
        set_mode(&root.path().join("locked.png"), 0o000);
        set_mode(&root.path().join("sealed"), 0o000);
        set_mode(&root.path().join("shut"), 0o555);

        let config_dir = tempfile::tempdir().unwrap();
        let toml = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n\n\
             [[sources]]\nname = \"up\"\nroot = {:?}\nhmac_keys = [{KEY:?}]\n",
            root.path().display().to_string()
        );
        std::fs::write(config_dir.path().join("pixgate.toml"), toml).unwrap();
        readable_by_all(config_dir.path());
        Modes { root, config_dir }
    }

    fn config(&self) -> PathBuf {
        self.config_dir.path().join("pixgate.toml")
    }

    /// What no answer may name: both folders, as given and as resolved.
    fn forbidden(&self) -> Forbidden {
        let mut named = Vec::new();
        for path in [self.root.path(), self.config_dir.path()] {
            named.push(path.display().to_string());
            if let Ok(real) = path.canonicalize() {
                named.push(real.display().to_string());
            }
        }
        // The cause (EACCES) is for the log, not the client.
        let causes = ["permission denied", "os error"].map(String::from);
        Forbidden::new(named.into_iter().chain(causes))
    }
}

impl Drop for Modes {
    fn drop(&mut self) {
        for dir in ["sealed", "shut"] {
            let _ = std::fs::set_permissions(
                self.root.path().join(dir),
                std::os::unix::fs::PermissionsExt::from_mode(0o755),
            );
        }
    }
}

/// pixgate serving `modes` as the unprivileged user, proven by its ids in `/proc`.
fn serve_unprivileged(modes: &Modes) -> (Daemon, std::net::SocketAddr) {
    let config = modes.config().display().to_string();
    let command =
        unprivileged_pixgate_command(&["serve", "--config", &config], &[("RUST_LOG", "info")]);
    let (daemon, addr) = Daemon::listening(command);
    let uid = unprivileged_uid();
    assert_eq!(process_ids(daemon.pid(), "Uid"), [uid; 4], "pixgate's uids");
    if tests_run_as_root() {
        assert!(
            !process_ids(daemon.pid(), "Gid").contains(&0),
            "pixgate kept group root"
        );
    }
    (daemon, addr)
}

/// Fails unless `reply` came within [`FAST`], is the JSON error `status` `code` (its headers
/// only for `HEAD`), and names nothing `forbidden`.
fn check_refusal(
    what: &str,
    reply: &Reply,
    took: Duration,
    want: (u16, &str),
    forbidden: &Forbidden,
) {
    let (status, code) = want;
    let shape = if what.starts_with("HEAD") {
        reply.head_error_shape(status)
    } else {
        reply.error_shape(status, code).map(drop)
    };
    if let Err(e) = shape.and_then(|()| forbidden.check(reply)) {
        panic!("{what}: {e}");
    }
    assert!(took < FAST, "{what}: took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_originals_are_a_quick_502_naming_no_path() {
    let modes = Modes::new();
    let (mut daemon, addr) = serve_unprivileged(&modes);
    let forbidden = modes.forbidden();

    for target in ["/ok.png", "/ok.png?w=10"] {
        let reply = wire::one(addr, "GET", target.as_bytes(), &[], HANG).await;
        reply.unwrap().assert_image("png");
    }
    let rows = [
        ("GET", "/locked.png?w=10"),
        ("GET", "/locked.png"),
        ("HEAD", "/locked.png"),
        ("GET", "/sealed/inner.png?w=10"),
        ("GET", "/sealed/inner.png"),
    ];
    for (method, target) in rows {
        let what = format!("{method} {target}");
        let started = Instant::now();
        let reply = wire::one(addr, method, target.as_bytes(), &[], HANG).await;
        let reply = reply.unwrap_or_else(|e| panic!("{what}: {e}"));
        check_refusal(
            &what,
            &reply,
            started.elapsed(),
            (502, "upstream_failed"),
            &forbidden,
        );
    }
    // The operator learns what the client may not.
    daemon.wait_for_lines(1, FAST, |line| {
        let line = strip_ansi(line);
        (line.contains("upstream_failed") && line.contains("Permission denied")).then(String::new)
    });
    let reply = wire::one(addr, "GET", b"/ok.png?w=12", &[], HANG).await;
    reply.unwrap().assert_image("png");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_into_an_unwritable_folder_is_a_500_that_leaves_nothing() {
    let modes = Modes::new();
    let (_daemon, addr) = serve_unprivileged(&modes);
    let forbidden = modes.forbidden();
    let body = gradient_png(32, 20);

    // The same user may write the root: the refusals below are the folder's.
    let control = raw_send(
        addr,
        "PUT",
        &put_url("/fresh.png"),
        &[],
        RawBody::Sized(&body),
    )
    .await;
    control.assert_status(201);
    let before = tree(&modes.root);

    for key in ["/shut/new.png", "/shut/deeper/new.png"] {
        let what = format!("PUT {key}");
        let started = Instant::now();
        let reply = raw_send(addr, "PUT", &put_url(key), &[], RawBody::Sized(&body)).await;
        check_refusal(
            &what,
            &reply,
            started.elapsed(),
            (500, "storage_failed"),
            &forbidden,
        );
        assert_eq!(tree(&modes.root), before, "{what} left something behind");
    }
    assert!(!exists(&modes.root.path().join("shut/deeper")));
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}
