//! Running pixgate in production, against the real server and the real binary: admission to
//! the render workers, the deadlines on what clients send and read, readiness, metrics, the
//! request id and the access log, graceful shutdown; files the server's user may not read or
//! write; the CLI beside `serve`; what a release carries (rust-version, notices, changelog,
//! completions, man pages); the playground page's endpoints; and the replay of what the fuzzers
//! found.

mod admission;
mod bench;
mod check_config;
mod deadlines;
mod fuzz_regressions;
mod health;
mod logs;
mod observability;
mod playground;
mod quickstart;
mod release;
mod shutdown;
mod unprivileged;

use crate::support::roots::Root;

/// A render that keeps a worker busy for a second or so in the test build (much less in a
/// release build, still far longer than the few quick requests made meanwhile): AVIF.
pub const SLOW: &str = "/forest.jpg?w=400&fm=avif";

/// A quick render.
pub const QUICK: &str = "/forest.jpg?w=40&fm=jpg";

pub fn forest_root() -> Root {
    let root = Root::new();
    root.put_fixture("forest.jpg", "forest-800x500.jpg");
    root
}
