//! Real programs a test runs as peers (nginx, kubectl), found at their usual path or where an
//! environment variable points. `.ci/run` installs them and sets `PIXGATE_PEERS=required`, so
//! there a missing peer fails the test; elsewhere (a new user's `cargo test`) the test says it
//! was skipped and why.

use std::path::PathBuf;

pub fn find(name: &str, variable: &str, default: &str) -> Option<PathBuf> {
    let path = std::env::var_os(variable).map_or(default.into(), PathBuf::from);
    if path.is_file() {
        return Some(path);
    }
    let required = std::env::var("PIXGATE_PEERS").is_ok_and(|v| v == "required");
    assert!(
        !required,
        "{name} not found at {}: install it or point {variable} at one",
        path.display()
    );
    eprintln!(
        "skipped: {name} not found at {} (install it or point {variable} at one; \
         .ci/run requires it)",
        path.display()
    );
    None
}
