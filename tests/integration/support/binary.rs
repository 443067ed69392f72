//! The real binary: `pixgate` run to completion (`run_pixgate`) or serving (`Daemon`, whose log
//! lines, memory, threads and descriptors a test can read), with the environment cleared of
//! anything that could change its configuration.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::users;

/// `pixgate` with these arguments, environment cleared of `PIXGATE_*`, `AWS_*` (the bucket
/// credential chain reads them) and `RUST_LOG` except for `env`.
pub fn pixgate_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    configured(Command::new(PIXGATE), args, env)
}

/// [`pixgate_command`] run as a user file modes bind: `nobody` when the tests run as root
/// (through `setpriv`, see [`users`](super::users)), else the tests' own user.
pub fn unprivileged_pixgate_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    configured(users::unprivileged_launcher(Path::new(PIXGATE)), args, env)
}

/// The binary under test.
const PIXGATE: &str = env!("CARGO_BIN_EXE_pixgate");

/// `command` (pixgate or what launches it) with pixgate's arguments appended and the
/// environment scrubbed as [`pixgate_command`] says.
fn configured(mut command: Command, args: &[&str], env: &[(&str, &str)]) -> Command {
    command.args(args);
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        if name_text.starts_with("PIXGATE_")
            || name_text.starts_with("AWS_")
            || name_text == "RUST_LOG"
        {
            command.env_remove(&name);
        }
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// Runs `pixgate` to completion: (success, stdout, stderr).
pub fn run_pixgate(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    run_to_completion(pixgate_command(args, env))
}

/// Runs `command` to completion with no input: (success, stdout, stderr).
pub fn run_to_completion(mut command: Command) -> (bool, String, String) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {:?}: {e}", command.get_program()));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// How long `pixgate serve` may take to start listening; it is quick, this only bounds a
/// broken build.
pub const DAEMON_STARTUP: Duration = Duration::from_secs(30);

/// What [`Daemon::serve_root`] adds to its config: keys of `[server]`, whole sections after
/// it, and keys of the one source.
#[derive(Debug, Default, Clone, Copy)]
pub struct TomlParts<'a> {
    pub server: &'a str,
    pub sections: &'a str,
    pub source: &'a str,
}

/// A running `pixgate` process, killed and reaped when dropped (also when the test fails), whose
/// stdout and stderr lines arrive on one channel.
pub struct Daemon {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
}

impl Daemon {
    pub fn spawn(mut command: Command) -> Daemon {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pixgate");
        let (send, lines) = mpsc::channel();
        let stdout = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let stderr = child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        for stream in [stdout, stderr].into_iter().flatten() {
            let send = send.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if send.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Daemon { child, lines }
    }

    /// Reads log lines until `found` has returned `Some` for each of `wanted` distinct
    /// answers, or fails after `timeout` showing what was logged.
    pub fn wait_for_lines(
        &mut self,
        wanted: usize,
        timeout: Duration,
        found: impl Fn(&str) -> Option<String>,
    ) -> Vec<String> {
        let deadline = std::time::Instant::now() + timeout;
        let mut seen = Vec::new();
        let mut hits: Vec<String> = Vec::new();
        while hits.len() < wanted {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(hit) = found(&line) {
                        hits.push(hit);
                    }
                    seen.push(line);
                }
                Err(e) => panic!("{e:?} waiting for log lines; got:\n{}", seen.join("\n")),
            }
        }
        hits
    }

    /// `pixgate serve --config <config>` (a config listening on port 0), and the address it
    /// logs once it is listening.
    pub fn serve(config: &Path) -> (Daemon, SocketAddr) {
        Daemon::serve_with_env(config, &[])
    }

    /// [`Daemon::serve`] with these environment variables too.
    pub fn serve_with_env(config: &Path, env: &[(&str, &str)]) -> (Daemon, SocketAddr) {
        let config = config.display().to_string();
        let mut env = env.to_vec();
        env.push(("RUST_LOG", "info"));
        Daemon::listening(pixgate_command(&["serve", "--config", &config], &env))
    }

    /// Spawns `command`, a `pixgate serve` listening on port 0 that logs at `info`, and waits
    /// for the address it logs once it is listening.
    pub fn listening(command: Command) -> (Daemon, SocketAddr) {
        let mut daemon = Daemon::spawn(command);
        let addr = daemon.wait_for_lines(1, DAEMON_STARTUP, |line| {
            let line = strip_ansi(line);
            let at = line.find("listening on http://")? + "listening on http://".len();
            // Text logs end the address with a space, JSON logs with a quote.
            let end = line[at..]
                .find(|c: char| c.is_whitespace() || c == '"')
                .map_or(line.len(), |i| at + i);
            Some(line[at..end].to_string())
        });
        let addr = addr[0].parse().expect("a socket address in the log");
        (daemon, addr)
    }

    /// [`Daemon::serve`] of a config written to `<config_dir>/pixgate.toml`: listening on
    /// `127.0.0.1:0`, one source `name` serving `root`, and `extra` in their places.
    pub fn serve_root(
        config_dir: &Path,
        root: &Path,
        name: &str,
        extra: TomlParts<'_>,
    ) -> (Daemon, SocketAddr) {
        let TomlParts {
            server,
            sections,
            source,
        } = extra;
        let config = config_dir.join("pixgate.toml");
        let toml = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n{server}\n{sections}\n\n\
             [[sources]]\nname = {name:?}\nroot = {:?}\n{source}\n",
            root.display().to_string()
        );
        std::fs::write(&config, toml).expect("write pixgate.toml");
        Daemon::serve(&config)
    }

    /// Sends SIGTERM and waits for the process to exit, failing after `timeout`.
    pub fn terminate(&mut self, timeout: Duration) -> std::process::ExitStatus {
        self.signal("TERM");
        self.wait_exit(timeout)
    }

    /// Terminates the process and returns every line it wrote that no
    /// [`Daemon::wait_for_lines`] has read, up to its last.
    pub fn final_lines(&mut self, timeout: Duration) -> Vec<String> {
        self.terminate(timeout);
        let mut lines = Vec::new();
        // The reader threads end at end of file, which closes the channel.
        while let Ok(line) = self.lines.recv_timeout(timeout) {
            lines.push(line);
        }
        lines
    }

    /// Sends the signal (`TERM`, `INT`…) with `kill`.
    pub fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -{name} {pid}");
    }

    /// The exit status, or `None` while it runs.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().expect("wait for pixgate")
    }

    /// Waits for the process to exit, failing after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "pixgate still running after {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The process's peak resident memory so far, in KiB (Linux's `VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        proc_status(self.pid(), "VmHWM")
    }

    /// The process's threads now (Linux's `Threads`).
    pub fn threads(&self) -> u64 {
        proc_status(self.pid(), "Threads")
    }

    /// How many file descriptors the process holds open.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .expect("list /proc/<pid>/fd")
            .count()
    }
}

/// A number field of `/proc/<pid>/status` (`kB` values in KiB).
pub fn proc_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("read /proc/{pid}/status: {e}"));
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes ANSI escape sequences (`ESC [ … letter`) from a log line.
pub fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
