//! Hostile input: whatever a client sends or a source holds, the answer is a clean,
//! documented 4xx (or the image), quickly, and the server answers the next request; no error
//! tells the client more than its own mistake; properties (no escape from the root, no forged
//! signature, one cache entry per transform) hold for inputs proptest picks; and nothing a
//! client does holds memory, threads or descriptors after it has gone. This module holds what
//! its files share: the table runner and the check that error answers leak nothing.
//!
//! Covered elsewhere and not repeated here: traversal paths and symlinks leaving the root
//! (`sources::routing`); the head and body deadlines, 414 and 431 (`ops::deadlines`); uploads
//! cut off mid-body, malformed `Content-Range`s and chunk length mismatches (`uploads`); bad
//! values of every parameter (`transform::bad_values`); truncation and corruption of every
//! fixture kind (`sources::broken`).

mod bodies;
mod bombs;
mod canonical;
mod clients;
mod connections;
mod escape;
mod forgery;
mod http2;
mod hygiene;
mod queries;
mod resources;
mod stored;
mod svg;
mod upstream;

use std::time::{Duration, Instant};

use crate::support::images::image_kind;
use crate::support::reply::Reply;
use crate::support::server::TestServer;
use crate::support::wire;

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
                reply.head_error_shape(status)
            } else {
                reply.error_shape(status, code).map(|_| ())
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
                    Err(format!("wanted one of {allowed:?}; {}", reply.summary()))
                }
            }
            Want::Bare(status) if reply.status == status => Ok(()),
            Want::Bare(status) => Err(format!("wanted a bare {status}; {}", reply.summary())),
            Want::Image(kind) if reply.status == 200 && image_kind(&reply.body) == Some(kind) => {
                Ok(())
            }
            Want::Image(kind) => Err(format!("wanted a {kind} image; {}", reply.summary())),
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
            Ok(reply) => failures.push(format!("after {label}: {next}: {}", reply.summary())),
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
