//! pixgate's integration suite: every test starts the real server on `127.0.0.1:0` (or the real
//! binary) and talks HTTP to it. One module per area of the contract; `support` is the harness.
//!
//! clippy.toml's `allow-unwrap-in-tests` covers `#[test]` functions only, not the harness and
//! helpers they call; a failed `unwrap`/`expect` there is just as much a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod animation;
mod avif;
mod cache;
mod cache_load;
mod cli_bench;
mod cli_check_config;
mod cli_sign;
mod colour;
mod errors;
mod fuzz_regressions;
mod golden;
mod headers;
mod hostile;
mod limits;
mod metadata;
mod operations;
mod params;
mod passthrough;
mod project;
mod quality;
mod routing;
mod service_api;
mod signatures;
mod transforms;
mod uploads;

mod remote_config;
mod remote_http;
mod remote_s3;
mod remote_scale_out;
mod remote_ssrf;
