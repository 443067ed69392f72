//! Hostile input (issue 9): whatever a client sends or a source holds, the answer is a clean,
//! documented 4xx (or the image), quickly, and the server answers the next request; no error
//! tells the client more than its own mistake; properties (no escape from the root, no forged
//! signature, one cache entry per transform) hold for inputs proptest picks. This file holds
//! what the submodules share: the table runner, the check that error answers leak nothing, a
//! `pixgate serve` process whose descriptors and memory can be read, and property helpers.
//!
//! Already covered elsewhere and not repeated here: bombs of PNG/JPEG/GIF with the process's
//! peak memory, truncation at 60 % and mid-file corruption of every fixture kind (`limits.rs`);
//! traversal paths and symlinks leaving the root (`routing.rs`); the head and body deadlines,
//! 414 and 431 (`operations.rs`); uploads cut off mid-body, malformed `Content-Range`s and
//! chunk length mismatches (`uploads/`); bad values of every parameter (`params.rs`,
//! `transforms.rs`).

mod bodies;
mod bombs;
mod canonical;
mod clients;
mod escape;
mod forge;
mod forgery;
mod hygiene;
mod queries;
mod resources;
mod stored;
mod upstream;
mod wire;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use proptest::test_runner::{Config as ProptestConfig, TestRunner};

use crate::support::{Daemon, Reply, TestServer, image_kind};

/// How long any hostile request may take before it counts as a hang. Generous for a loaded
/// 2-core machine; every answer here is a header read or a refusal, milliseconds in practice.
pub const HANG: Duration = Duration::from_secs(10);

/// What a row of a table must get.
#[derive(Debug, Clone, Copy)]
pub enum Want {
    /// A JSON error with this status and code (the envelope, `no-store`, `nosniff`, no image).
    Error(u16, &'static str),
    /// One of these JSON errors, where the README allows either.
    OneOf(&'static [(u16, &'static str)]),
    /// hyper's own refusal of a request it cannot parse, before pixgate sees it: this status
    /// and no JSON body.
    Bare(u16),
    /// A 200 whose body is an image of this kind.
    Image(&'static str),
}

impl Want {
    /// Whether `reply` is what is wanted; an answer to `HEAD` has the error's headers and no
    /// body.
    fn check(self, reply: &Reply, method: &str) -> Result<(), String> {
        let shape = |status, code| {
            if method == "HEAD" {
                head_error_shape(reply, status)
            } else {
                error_shape(reply, status, code)
            }
        };
        match self {
            Want::Error(status, code) => shape(status, code),
            Want::OneOf(allowed) => {
                if allowed
                    .iter()
                    .any(|&(status, code)| shape(status, code).is_ok())
                {
                    Ok(())
                } else {
                    Err(format!("wanted one of {allowed:?}; {}", summary(reply)))
                }
            }
            Want::Bare(status) if reply.status == status => Ok(()),
            Want::Bare(status) => Err(format!("wanted a bare {status}; {}", summary(reply))),
            Want::Image(kind) if reply.status == 200 && image_kind(&reply.body) == Some(kind) => {
                Ok(())
            }
            Want::Image(kind) => Err(format!("wanted a {kind} image; {}", summary(reply))),
        }
    }
}

/// One hostile request and what it must get.
#[derive(Debug, Clone)]
pub struct Case {
    pub what: String,
    pub method: &'static str,
    /// The request target, written to the wire exactly (it may hold bytes that are not text).
    pub target: Vec<u8>,
    pub want: Want,
}

impl Case {
    pub fn get(what: impl Into<String>, target: impl AsRef<[u8]>, want: Want) -> Case {
        Case {
            what: what.into(),
            method: "GET",
            target: target.as_ref().to_vec(),
            want,
        }
    }

    pub fn head(what: impl Into<String>, target: impl AsRef<[u8]>, want: Want) -> Case {
        Case {
            method: "HEAD",
            ..Case::get(what, target, want)
        }
    }
}

/// Runs every row on a fresh connection: each must get what it wants within `limit`, leak
/// nothing `forbidden` names, and be followed by a successful render of `healthy` (a path
/// whose `w` the runner varies, so each check is a real render and not a cache hit). Fails
/// once, listing every row that went wrong.
pub async fn run_table(
    server: &TestServer,
    cases: &[Case],
    healthy: &str,
    forbidden: &Forbidden,
    limit: Duration,
) -> Vec<Reply> {
    let addr = server.addr();
    let mut failures = Vec::new();
    let mut replies = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let label = format!(
            "{} ({} {})",
            case.what,
            case.method,
            String::from_utf8_lossy(&case.target)
        );
        let started = Instant::now();
        match wire::one(addr, case.method, &case.target, &[], HANG).await {
            Err(e) => failures.push(format!("{label}: {e}")),
            Ok(reply) => {
                let took = started.elapsed();
                if let Err(e) = case.want.check(&reply, case.method) {
                    failures.push(format!("{label}: {e}"));
                }
                if let Err(e) = forbidden.check(&reply) {
                    failures.push(format!("{label}: {e}"));
                }
                if took > limit {
                    failures.push(format!("{label}: took {took:?}, more than {limit:?}"));
                }
                replies.push(reply);
            }
        }
        let next = format!("{healthy}?w={}&fm=png", 8 + i % 40);
        match wire::one(addr, "GET", next.as_bytes(), &[], HANG).await {
            Ok(reply) if reply.status == 200 && image_kind(&reply.body) == Some("png") => {}
            Ok(reply) => failures.push(format!("after {label}: {next}: {}", summary(&reply))),
            Err(e) => failures.push(format!("after {label}: {next}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    replies
}

/// Status, content type and the start of the body, for failure messages.
pub fn summary(reply: &Reply) -> String {
    format!(
        "got {} ({:?}) {}",
        reply.status,
        reply.header("content-type"),
        reply.text().chars().take(200).collect::<String>()
    )
}

/// What is wrong with the status and headers every JSON error carries, if anything.
fn error_headers_wrong(reply: &Reply, status: u16) -> Option<&'static str> {
    if reply.status != status {
        Some("status")
    } else if reply.header("cache-control") != Some("no-store") {
        Some("Cache-Control is not no-store")
    } else if reply.header("x-content-type-options") != Some("nosniff") {
        Some("no nosniff")
    } else if !reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json"))
    {
        Some("not JSON")
    } else {
        None
    }
}

/// [`Reply::assert_error`] as a check that reports instead of panicking.
pub fn error_shape(reply: &Reply, status: u16, code: &str) -> Result<(), String> {
    let wrong = |what: &str| {
        Err(format!(
            "wanted {status} {code}: {what}; {}",
            summary(reply)
        ))
    };
    if let Some(what) = error_headers_wrong(reply, status) {
        return wrong(what);
    }
    if image_kind(&reply.body).is_some() {
        return wrong("image bytes in an error");
    }
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&reply.body) else {
        return wrong("body is not JSON");
    };
    if json["data"] != serde_json::Value::Null || !json["meta"].is_object() {
        return wrong("not the envelope");
    }
    if json["error"]["code"] != code || !json["error"]["message"].is_string() {
        return wrong("code");
    }
    Ok(())
}

/// The headers of [`error_shape`] on an answer to `HEAD`, which has no body.
pub fn head_error_shape(reply: &Reply, status: u16) -> Result<(), String> {
    let wrong = |what: &str| Err(format!("wanted HEAD {status}: {what}; {}", summary(reply)));
    if let Some(what) = error_headers_wrong(reply, status) {
        return wrong(what);
    }
    if !reply.body.is_empty() {
        return wrong("a body");
    }
    Ok(())
}

/// Text no answer may carry: where files live, secrets, and the debris of a crash.
pub struct Forbidden {
    fragments: Vec<String>,
}

impl Forbidden {
    /// The always-forbidden fragments (the system temp folder, `/tmp/`, panic and backtrace
    /// words, source file names) and `extra` (root paths, secrets, upstream bodies).
    pub fn new(extra: impl IntoIterator<Item = String>) -> Forbidden {
        let temp = std::env::temp_dir().display().to_string();
        let mut fragments: Vec<String> = [
            temp.as_str(),
            "/tmp/",
            "panicked",
            "RUST_BACKTRACE",
            "backtrace",
            "unwrap",
            "called `Option",
            "called `Result",
            ".rs:",
            "src/",
            env!("CARGO_MANIFEST_DIR"),
        ]
        .into_iter()
        .map(String::from)
        .collect();
        fragments.extend(extra.into_iter().filter(|f| !f.is_empty()));
        Forbidden { fragments }
    }

    /// Fails when the body or a header value of an error answer contains a forbidden
    /// fragment (images are binary and not read).
    pub fn check(&self, reply: &Reply) -> Result<(), String> {
        if reply.status < 400 {
            return Ok(());
        }
        let mut text = String::from_utf8_lossy(&reply.body).into_owned();
        for (name, value) in &reply.headers {
            text.push_str(&format!(
                "\n{name}: {}",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        let lowered = text.to_lowercase();
        match self
            .fragments
            .iter()
            .find(|f| lowered.contains(&f.to_lowercase()))
        {
            Some(found) => Err(format!("the answer contains {found:?}: {text}")),
            None => Ok(()),
        }
    }
}

/// `pixgate serve` as a child process, for what only a process shows (its file descriptors,
/// threads and peak memory); killed when dropped.
pub struct Served {
    daemon: Daemon,
    pub addr: SocketAddr,
}

impl Served {
    /// Serves `root` (one public source, `demo`) with `extra_toml` appended to `[server]`.
    pub fn start(root: &Path, extra_toml: &str) -> Served {
        Served::start_with(root, extra_toml, "")
    }

    /// [`Served::start`] with `source_toml` appended to the `demo` source.
    pub fn start_with(root: &Path, extra_toml: &str, source_toml: &str) -> Served {
        let config = root.join("pixgate.toml");
        let toml = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n{extra_toml}\n\n[[sources]]\nname = \"demo\"\nroot = {:?}\n{source_toml}\n",
            root.display().to_string()
        );
        std::fs::write(&config, toml).unwrap();
        let (daemon, addr) = Daemon::serve(&config);
        Served { daemon, addr }
    }

    pub fn pid(&self) -> u32 {
        self.daemon.pid()
    }

    /// Peak resident memory so far, in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        self.daemon.peak_rss_kib()
    }

    pub fn threads(&self) -> u64 {
        self.daemon.threads()
    }
}

// ---------------------------------------------------------------------------------------------
// Property tests through the real server
// ---------------------------------------------------------------------------------------------

/// A runtime for a property test: proptest's runner is synchronous.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// `cases` cases, nothing written to disk about failures (they are printed).
pub fn runner(cases: u32) -> TestRunner {
    TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

/// A tiny deterministic generator for choices derived from one proptest seed.
pub struct Dice(pub u64);

impl Dice {
    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}
