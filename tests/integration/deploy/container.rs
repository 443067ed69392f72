//! The `Dockerfile` cannot be built here (no container engine; a release build takes minutes),
//! so what it promises is checked instead: the config it bakes in loads with the environment
//! it sets, listens on the port it exposes, writes only into its volumes and stops within
//! `docker stop`'s grace; its user, health check and entry point agree with each other; and
//! the debug binary, run the way the image runs it (its command, its user, only its `PIXGATE_*`
//! variables, only its volumes writable), serves and passes its own health check.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pixgate::config::{Config, Env, Root as SourceRoot, parse_duration};

use super::dockerfile::{Dockerfile, exec_form, healthcheck};
use crate::support::binary::{Daemon, run_to_completion};
use crate::support::roots::{files_under, fixture};
use crate::support::server::exchange;
use crate::support::users::{
    owned_by_unprivileged, process_ids, readable_by_all, set_mode, unprivileged_launcher,
    unprivileged_uid,
};
use crate::support::wait::eventually;

/// The config the image bakes in, in the repo.
const BAKED_CONFIG: &str = "deploy/container/pixgate.toml";
/// What the build stage leaves the binary as (scripts/build-release.sh's argument).
const BUILT_BINARY: &str = "/out/pixgate";
/// `docker stop`'s default wait between SIGTERM and SIGKILL.
const DOCKER_STOP_GRACE: Duration = Duration::from_secs(10);
/// The user of distroless's `nonroot` images.
const IMAGE_USER: &str = "65532:65532";

fn repo_file(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The image's file system as far as pixgate meets it, rebased under a temp folder: the baked
/// config at its place, every `VOLUME` a folder the unprivileged user owns, and the folders
/// around them read-only (mode 0555, restored on drop so the temp folder can go).
struct ImageFs {
    dir: tempfile::TempDir,
    volumes: Vec<String>,
    read_only: Vec<PathBuf>,
    /// The image's `PIXGATE_CONFIG`.
    config: String,
}

impl ImageFs {
    fn new(dockerfile: &Dockerfile) -> ImageFs {
        let (config, _) = dockerfile.copy_of(BAKED_CONFIG);
        let volumes = exec_form(dockerfile.one("VOLUME"));
        let fs = ImageFs {
            dir: tempfile::tempdir().unwrap(),
            volumes,
            read_only: Vec::new(),
            config,
        };
        let config_path = fs.at(&fs.config);
        std::fs::create_dir_all(config_path.parent().unwrap()).unwrap();
        for volume in &fs.volumes {
            std::fs::create_dir_all(fs.at(volume)).unwrap();
        }
        std::fs::write(&config_path, fs.rebase(&repo_file(BAKED_CONFIG))).unwrap();
        fs
    }

    /// `toml` with every string that is a path in a volume moved under the temp folder.
    fn rebase(&self, toml: &str) -> String {
        let base = self.dir.path().display().to_string();
        let mut out = String::with_capacity(toml.len());
        let mut rest = toml;
        while let Some(quote) = rest.find('"') {
            out.push_str(&rest[..=quote]);
            rest = &rest[quote + 1..];
            let path = rest.split('"').next().unwrap_or_default();
            if self.volume_of(path).is_some() {
                out.push_str(&base);
            }
        }
        out.push_str(rest);
        out
    }

    /// Where `image_path` (absolute in the image) is here.
    fn at(&self, image_path: &str) -> PathBuf {
        self.dir.path().join(image_path.trim_start_matches('/'))
    }

    /// `path` as the image would name it.
    fn image_path(&self, path: &Path) -> String {
        match path.strip_prefix(self.dir.path()) {
            Ok(inside) => format!("/{}", inside.display()),
            Err(_) => path.display().to_string(),
        }
    }

    /// The volume `image_path` lies in, if any.
    fn volume_of(&self, image_path: &str) -> Option<&str> {
        self.volumes
            .iter()
            .map(String::as_str)
            .find(|v| Path::new(image_path).starts_with(v))
    }

    /// The environment the image sets, with its config's path rebased.
    fn env(&self, dockerfile: &Dockerfile) -> Vec<(String, String)> {
        dockerfile
            .env()
            .into_iter()
            .map(|(name, value)| match name.as_str() {
                "PIXGATE_CONFIG" => (name, self.at(&value).display().to_string()),
                _ => (name, value),
            })
            .collect()
    }

    /// The baked config loaded as `pixgate serve` would in the image.
    fn load(&self, env: &[(String, String)]) -> Config {
        let env: Env = env.iter().cloned().collect();
        Config::load(&self.at(&self.config), &env)
            .unwrap_or_else(|e| panic!("{BAKED_CONFIG} with the image's environment: {e}"))
    }

    /// Folders readable by the unprivileged user, volumes its own, the rest read-only.
    fn lock_down(&mut self) {
        readable_by_all(self.dir.path());
        for volume in &self.volumes {
            owned_by_unprivileged(&self.at(volume));
        }
        set_mode(&self.at(&self.config), 0o444);
        let mut folders = vec![self.dir.path().to_path_buf()];
        let mut i = 0;
        while i < folders.len() {
            for entry in std::fs::read_dir(&folders[i]).unwrap() {
                let path = entry.unwrap().path();
                let is_volume = self.volume_of(&self.image_path(&path)).is_some();
                if path.is_dir() && !is_volume {
                    folders.push(path);
                }
            }
            i += 1;
        }
        for folder in &folders {
            set_mode(folder, 0o555);
        }
        self.read_only = folders;
    }

    /// Every file outside the volumes: what the server must not change.
    fn outside_volumes(&self) -> Vec<String> {
        files_under(self.dir.path())
            .into_keys()
            .filter(|relative| self.volume_of(&format!("/{relative}")).is_none())
            .collect()
    }
}

impl Drop for ImageFs {
    fn drop(&mut self) {
        for folder in &self.read_only {
            let _ = std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn the_image_runs_the_built_binary_as_a_numeric_non_root_user() {
    let dockerfile = Dockerfile::read();
    assert_eq!(
        dockerfile.runtime()[0].args,
        "gcr.io/distroless/cc-debian12:nonroot"
    );
    assert_eq!(dockerfile.one("USER"), IMAGE_USER, "numeric, not root");
    assert_eq!(dockerfile.one("STOPSIGNAL"), "SIGTERM");
    let (binary, _) = dockerfile.copy_of(BUILT_BINARY);
    let entrypoint = exec_form(dockerfile.one("ENTRYPOINT"));
    assert_eq!(entrypoint, std::slice::from_ref(&binary));
    assert_eq!(exec_form(dockerfile.one("CMD")), ["serve"]);
    let (options, probe) = healthcheck(dockerfile.one("HEALTHCHECK"));
    assert_eq!(probe, [binary, "health".to_string()]);
    let probe_timeout = options
        .iter()
        .find_map(|o| o.strip_prefix("--timeout="))
        .map(|t| parse_duration(t).expect("a duration"))
        .expect("HEALTHCHECK --timeout");
    assert!(
        probe_timeout > Duration::from_secs(2),
        "above the probe's own deadline"
    );
}

#[test]
fn the_baked_config_listens_on_the_exposed_port_and_writes_only_into_volumes() {
    let dockerfile = Dockerfile::read();
    let fs = ImageFs::new(&dockerfile);
    let env = fs.env(&dockerfile);
    assert!(
        env.iter().all(|(name, _)| name.starts_with("PIXGATE_")),
        "{env:?}"
    );
    assert!(env.iter().any(|(name, _)| name == "PIXGATE_CONFIG"));
    let config = fs.load(&env);
    assert_eq!(
        dockerfile.one("EXPOSE"),
        config.server.listen.port().to_string()
    );
    assert!(
        config.server.listen.ip().is_unspecified(),
        "reachable from outside the container"
    );
    assert!(config.server.shutdown_timeout < DOCKER_STOP_GRACE);

    let mut writes: Vec<PathBuf> = config.cache.disk.dir.iter().cloned().collect();
    for source in &config.sources {
        match &source.root {
            SourceRoot::Local(root) => writes.push(root.clone()),
            SourceRoot::S3(s3) => writes.push(s3.staging_dir.clone()),
            SourceRoot::Http(_) => {}
        }
    }
    assert!(!writes.is_empty());
    for path in writes {
        let shown = fs.image_path(&path);
        assert!(fs.volume_of(&shown).is_some(), "{shown} is in no VOLUME");
    }
}

#[test]
fn the_build_stage_makes_the_volumes_for_the_user_and_keeps_its_inputs() {
    let dockerfile = Dockerfile::read();
    // Each volume but /tmp (distroless has it, world-writable) is made by the build stage and
    // handed to the image's user.
    let (_, options) = dockerfile.copy_of("/out/writable/");
    assert!(
        options.contains(&format!("--chown={IMAGE_USER}")),
        "{options:?}"
    );
    let build: Vec<&str> = dockerfile.stages[0]
        .iter()
        .map(|i| i.args.as_str())
        .collect();
    for volume in exec_form(dockerfile.one("VOLUME")) {
        let made = format!("/out/writable{volume}");
        assert!(
            volume == "/tmp" || build.iter().any(|a| a.contains(&made)),
            "{made} in the build"
        );
    }
    let script = "scripts/build-release.sh";
    assert!(build.iter().any(|a| a.contains(script)));
    assert!(repo_file(script).contains("--features nasm"));
    assert!(repo_file("Cargo.toml").contains("\nnasm = ["));

    // The build context keeps what the build reads: the library compiles in tests/data and
    // docs/openapi.json. As in Docker, the last pattern that matches decides; `!` keeps.
    let ignored = repo_file(".dockerignore");
    let patterns: Vec<&str> = ignored
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for needed in [
        BAKED_CONFIG,
        script,
        "src/lib.rs",
        "tests/data",
        "Cargo.lock",
        "docs/openapi.json",
    ] {
        let hidden = patterns
            .iter()
            .rev()
            .find(|pattern| {
                let pattern = pattern.trim_start_matches('!').trim_end_matches('/');
                Path::new(needed).starts_with(pattern)
            })
            .filter(|pattern| !pattern.starts_with('!'));
        assert_eq!(hidden, None, "{needed} is left out of the build context");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_runtime_serves_as_its_user_writing_only_its_volumes() {
    let dockerfile = Dockerfile::read();
    let mut fs = ImageFs::new(&dockerfile);
    let image_env = fs.env(&dockerfile);
    let config = fs.load(&image_env);
    let images = config.sources[0].root.local().expect("a folder source");
    std::fs::write(images.join("forest.jpg"), fixture("forest-800x500.jpg")).unwrap();
    let disk_tier = config
        .cache
        .disk
        .dir
        .clone()
        .expect("the image keeps a disk tier");
    fs.lock_down();
    let before = fs.outside_volumes();

    // The image's command and environment; only the port moves (any free one), and TMPDIR
    // points at the rebased /tmp volume.
    let launch = |args: &[String], listen: &str| {
        let mut command = unprivileged_launcher(Path::new(env!("CARGO_BIN_EXE_pixgate")));
        command
            .args(args)
            .env_clear()
            .envs(image_env.iter().cloned())
            .env("PIXGATE_SERVER__LISTEN", listen)
            .env("TMPDIR", fs.at("/tmp"))
            .current_dir(fs.dir.path());
        command
    };
    let cmd = exec_form(dockerfile.one("CMD"));
    let (mut daemon, addr) = Daemon::listening(launch(&cmd, "127.0.0.1:0"));
    assert_eq!(process_ids(daemon.pid(), "Uid"), [unprivileged_uid(); 4]);

    let client = reqwest::Client::new();
    for target in ["/forest.jpg?w=64", "/forest.jpg"] {
        let url = format!("http://{addr}{target}");
        exchange(&client, "GET", &url, &[], None)
            .await
            .assert_image("jpeg");
    }
    eventually("a record in the disk tier", async || {
        let records = files_under(&disk_tier);
        (!records.is_empty(), records)
    })
    .await;
    assert_eq!(fs.outside_volumes(), before, "written outside the volumes");

    // HEALTHCHECK's command in the same container: the config's unspecified address, the port
    // the server really has.
    let (_, probe) = healthcheck(dockerfile.one("HEALTHCHECK"));
    let health = launch(&probe[1..], &format!("0.0.0.0:{}", addr.port()));
    let (ok, _, stderr) = tokio::task::spawn_blocking(move || run_to_completion(health))
        .await
        .unwrap();
    assert!(ok, "the image's health check: {stderr}");

    let status = daemon.terminate(config.server.shutdown_timeout + Duration::from_secs(5));
    assert!(status.success(), "after STOPSIGNAL: {status:?}");
}
