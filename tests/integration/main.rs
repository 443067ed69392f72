//! pixgate's integration suite: every test starts the real server on `127.0.0.1:0` (or the real
//! binary) and talks HTTP to it with a real client. One module per subject; `support` is the
//! harness. `cargo test --test integration <subject>::` runs one subject.
//!
//! clippy.toml's `allow-unwrap-in-tests` covers `#[test]` functions only, not the harness and
//! helpers they call; a failed `unwrap`/`expect` there is just as much a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The harness: servers, the wire, roots and fixtures, signers, images, upstreams, waits.
mod support;

// What a transform does: every parameter, formats, animation, AVIF, colour, metadata, golden.
mod transform;
// What goes back: passthrough bytes, the headers a CDN relies on, the derivative cache.
mod delivery;
// Signed URLs: both schemes' vectors, refusals, expiry and TTL policy, `pixgate sign`.
mod signing;
// Where originals come from: routing, source limits, broken files, HTTP and S3 roots.
mod sources;
// Signed uploads, whole and resumable, their access rules and restarts, and the service API.
mod uploads;
// Running it: admission, deadlines, readiness, metrics, shutdown, the CLI, fuzz replays.
mod ops;
// What deploy/ ships: nginx as the CDN in front of pixgate, compose, Kubernetes manifests.
mod deploy;
// Hostile clients and files: clean refusals, no leaks, properties, nothing held afterwards.
mod hostile;
// The source tree's shape: layers import downward, only src/http names the server crates.
mod layers;
