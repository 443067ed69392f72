//! pixgate running for a test: in-process on the test's runtime (`TestServer`, reqwest for
//! ordinary requests) or as the real binary (`Daemon`, whose log lines, memory, threads and
//! descriptors can be read), and the counters both expose in `/_pixgate/metrics`.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use pixgate::config::Config;
use pixgate::server::AppState;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};

use super::wait::eventually;
use super::wire::{REQUEST_TIMEOUT, Reply, raw_request};

/// A pixgate server running on the test's runtime; it stops when the runtime does.
pub struct TestServer {
    addr: SocketAddr,
    pub state: AppState,
    client: reqwest::Client,
    /// The fixed clock, when there is one.
    now: Option<Arc<AtomicU64>>,
}

impl TestServer {
    /// A server on the real clock.
    pub async fn start(config: Config) -> TestServer {
        Self::start_with(config, pixgate::server::system_clock(), None).await
    }

    /// A server whose clock stands still at `now` (unix seconds) until [`TestServer::set_now`].
    pub async fn start_at(config: Config, now: u64) -> TestServer {
        let cell = Arc::new(AtomicU64::new(now));
        let read = cell.clone();
        let clock: pixgate::server::Clock = Arc::new(move || read.load(Ordering::SeqCst));
        Self::start_with(config, clock, Some(cell)).await
    }

    async fn start_with(
        config: Config,
        clock: pixgate::server::Clock,
        now: Option<Arc<AtomicU64>>,
    ) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let state = AppState::new(config, clock).expect("AppState::new");
        tokio::spawn(pixgate::server::run(
            listener,
            state.clone(),
            std::future::pending(),
        ));
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("reqwest client");
        TestServer {
            addr,
            state,
            client,
            now,
        }
    }

    /// Moves the fixed clock.
    pub fn set_now(&self, now: u64) {
        self.now
            .as_ref()
            .expect("set_now needs a server started with start_at")
            .store(now, Ordering::SeqCst);
    }

    /// `http://127.0.0.1:PORT`
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's address, for the raw senders of `wire`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// GET `path_and_query` with reqwest.
    pub async fn get(&self, path_and_query: &str) -> Reply {
        self.request("GET", path_and_query, &[]).await
    }

    /// GET with extra request headers.
    pub async fn get_with(&self, path_and_query: &str, headers: &[(&str, &str)]) -> Reply {
        self.request("GET", path_and_query, headers).await
    }

    /// Any method with reqwest; `Host` may be overridden through `headers`.
    pub async fn request(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.exchange(method, path_and_query, headers, None).await
    }

    /// Any method with reqwest and a request body, sent with its `Content-Length` (an empty
    /// body as `Content-Length: 0`).
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        self.exchange(method, path_and_query, headers, Some(body))
            .await
    }

    async fn exchange(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        assert!(path_and_query.starts_with('/'), "{path_and_query}");
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let url = format!("{}{path_and_query}", self.base());
        let mut request = self.client.request(method, &url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{url}: body: {e}"))
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Sends `METHOD target HTTP/1.1` with the target exactly as given (nothing normalised or
    /// encoded), `Connection: close`, and reads the whole answer.
    pub async fn raw(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
        raw_request(self.addr, method, target, headers).await
    }

    /// `/_pixgate/metrics`, which must answer 200 in Prometheus' text format.
    pub async fn metrics(&self) -> Metrics {
        let reply = self.get("/_pixgate/metrics").await;
        reply.assert_status(200);
        let kind = reply.header("content-type").unwrap_or("");
        assert!(kind.starts_with("text/plain"), "metrics as {kind:?}");
        Metrics(String::from_utf8(reply.body).expect("metrics are text"))
    }

    /// One sample of `/_pixgate/metrics` ([`Metrics::value`]).
    pub async fn metric(&self, series: &str) -> Option<f64> {
        self.metrics().await.value(series)
    }

    /// Waits until `series` reads `value` ([`eventually`]).
    pub async fn await_metric(&self, series: &str, value: f64) {
        eventually(&format!("{series} == {value}"), async || {
            let now = self.metric(series).await;
            (now == Some(value), now)
        })
        .await;
    }
}

/// The text of `/_pixgate/metrics`.
#[derive(Debug)]
pub struct Metrics(pub String);

impl Metrics {
    /// The value of one series, named exactly as exposed (with its labels, if any).
    pub fn value(&self, series: &str) -> Option<f64> {
        self.0
            .lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    /// The value of a counter that must be exposed.
    #[track_caller]
    pub fn count(&self, series: &str) -> u64 {
        let value = self
            .value(series)
            .unwrap_or_else(|| panic!("no `{series}` in\n{}", self.0));
        value as u64
    }

    /// Whether the text has exactly this line.
    pub fn has_line(&self, line: &str) -> bool {
        self.0.lines().any(|l| l == line)
    }
}

/// A runtime for a synchronous test that drives servers itself (proptest's runner is
/// synchronous, and a restart needs the runtime to end).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A proptest runner for a property checked through the server: `cases` cases, nothing
/// written to disk about failures (they are printed).
pub fn runner(cases: u32) -> TestRunner {
    TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

// ---------------------------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------------------------

/// `pixgate` with these arguments, environment cleared of `PIXGATE_*` and `RUST_LOG` except for
/// `env`.
pub fn pixgate_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pixgate"));
    command.args(args);
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        if name_text.starts_with("PIXGATE_") || name_text == "RUST_LOG" {
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
    let output = pixgate_command(args, env)
        .stdin(Stdio::null())
        .output()
        .expect("run pixgate");
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
        let mut daemon = Daemon::spawn(pixgate_command(&["serve", "--config", &config], &env));
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
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for pixgate") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "pixgate ignored SIGTERM"
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
