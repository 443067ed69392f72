//! Specs for loading a config: the contract's example, defaults, normalisation and errors.
//! Problem-by-problem checks live in `problems.rs`, the environment in `env_overrides.rs`, the
//! key registry and the table in docs/configuration.md in `registry.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod credentials;
mod env_overrides;
mod problems;
mod registry;
mod roots;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::TempDir;

use super::*;

/// §8 of the contract, verbatim; `root = "fixtures"` resolves inside the test's base dir.
const CONTRACT_EXAMPLE: &str = r#"
[server]
listen = "127.0.0.1:8080"

[cache]
max_bytes = "512MiB"        # derivative LRU budget
max_entry_bytes = "32MiB"   # larger derivatives are served but not cached

[limits]
max_source_pixels = 50_000_000
max_source_bytes = "50MiB"
max_output_dimension = 8192
render_timeout = "30s"

[uploads]
max_bytes = "5GiB"
session_ttl = "24h"         # abandoned resumable uploads are removed after this

[log]
format = "text"             # or "json"

[[sources]]
name = "demo"
root = "fixtures"           # local folder
hosts = []                  # Host header matches; empty = any
prefix = ""                 # path prefix, e.g. "/shop"
secure = false
private_prefixes = ["private/"]
md5_tokens = ["demo-token"] # `s` scheme; first signs, all verify
hmac_keys = ["demo-key"]    # `signature` scheme; first signs, all verify
default_ttl = "365d"
max_ttl = ""                # e.g. "5m": refuse signed URLs living longer
clock_skew = "0s"
"#;

const SOURCE_A: &str = "[[sources]]\nname = \"a\"\nroot = \"fixtures\"\n";

fn no_env() -> Env {
    Env::default()
}

/// A base dir holding an empty `fixtures/` folder.
fn base() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("fixtures")).unwrap();
    dir
}

fn fixtures(base: &TempDir) -> PathBuf {
    base.path().join("fixtures")
}

fn parse(text: &str, base: &Path) -> Config {
    Config::from_toml(text, base, &no_env()).unwrap_or_else(|e| panic!("{e}\n--- in ---\n{text}"))
}

fn env_of(pairs: &[(&str, &str)]) -> Env {
    pairs.iter().copied().collect()
}

/// The keys of the problems the text produces, in order.
fn problem_keys(text: &str, base: &Path, env: &Env) -> Vec<String> {
    match Config::from_toml(text, base, env) {
        Err(ConfigError::Invalid(problems)) => problems.into_iter().map(|p| p.key).collect(),
        other => panic!("expected problems, got {other:?}\n--- in ---\n{text}"),
    }
}

#[test]
fn contract_example_parses_to_the_documented_values() {
    let base = base();
    let mut demo = SourceConfig::new("demo", fixtures(&base));
    demo.private_prefixes = vec!["private/".into()];
    demo.md5_tokens = vec!["demo-token".into()];
    demo.hmac_keys = vec!["demo-key".into()];
    let want = Config {
        cache: CacheConfig {
            max_bytes: 512 << 20,
            max_entry_bytes: 32 << 20,
            originals_max_bytes: 64 << 20,
            mezzanine_max_bytes: 64 << 20,
            disk: CacheConfig::default().disk,
            shared: CacheConfig::default().shared,
        },
        sources: vec![demo],
        ..Config::default()
    };
    assert_eq!(parse(CONTRACT_EXAMPLE, base.path()), want);
}

#[test]
fn defaults_are_the_documented_ones() {
    let config = Config::default();
    assert_eq!(config.server.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(config.cache.max_bytes, 512 << 20);
    assert_eq!(config.cache.max_entry_bytes, (512 << 20) / 16);
    assert_eq!(config.limits.max_source_pixels, 50_000_000);
    assert_eq!(config.limits.max_source_bytes, 50 << 20);
    assert_eq!(config.limits.max_output_dimension, 8192);
    assert_eq!(config.limits.render_timeout, Duration::from_secs(30));
    assert_eq!(config.uploads.max_bytes, 5 << 30);
    assert_eq!(config.uploads.session_ttl, Duration::from_secs(24 * 3600));
    assert_eq!(config.log.format, LogFormat::Text);
    assert!(config.sources.is_empty());

    let source = SourceConfig::new("a", PathBuf::from("/srv"));
    assert_eq!((source.hosts.len(), source.prefix.as_str()), (0, ""));
    assert!(!source.secure && source.private_prefixes.is_empty());
    assert!(source.md5_tokens.is_empty() && source.hmac_keys.is_empty());
    assert_eq!(source.default_ttl, Duration::from_secs(365 * 86_400));
    assert_eq!((source.max_ttl, source.clock_skew), (None, Duration::ZERO));
}

#[test]
fn empty_file_reports_only_the_missing_sources() {
    let base = base();
    assert_eq!(problem_keys("", base.path(), &no_env()), ["sources"]);
    assert_eq!(
        problem_keys("sources = []", base.path(), &no_env()),
        ["sources"]
    );
}

#[test]
fn minimal_source_gets_every_default() {
    let base = base();
    let root = fixtures(&base);
    let text = format!("[[sources]]\nname=\"a\"\nroot='{}'\n", root.display());
    let want = Config {
        sources: vec![SourceConfig::new("a", root)],
        ..Config::default()
    };
    assert_eq!(parse(&text, base.path()), want);
}

#[test]
fn entry_limit_defaults_to_a_sixteenth_of_the_configured_cache() {
    let base = base();
    let config = parse(
        &format!("[cache]\nmax_bytes = \"16MiB\"\n{SOURCE_A}"),
        base.path(),
    );
    assert_eq!(config.cache.max_entry_bytes, 1 << 20);
}

#[test]
fn sizes_may_be_integers_or_strings_and_durations_only_strings() {
    let base = base();
    let text = format!("[cache]\nmax_bytes = 1_048_576\nmax_entry_bytes = \"1KiB\"\n{SOURCE_A}");
    let config = parse(&text, base.path());
    assert_eq!(
        (config.cache.max_bytes, config.cache.max_entry_bytes),
        (1 << 20, 1024)
    );

    let text = format!("[limits]\nrender_timeout = 30\n{SOURCE_A}");
    let err = Config::from_toml(&text, base.path(), &no_env()).unwrap_err();
    assert!(matches!(err, ConfigError::Syntax(_)), "{err:?}");
}

#[test]
fn unknown_keys_are_refused_naming_the_key() {
    let base = base();
    let cases = [
        (
            "srever",
            format!("[srever]\nlisten = \"127.0.0.1:1\"\n{SOURCE_A}"),
        ),
        ("max_byte", format!("[cache]\nmax_byte = 1\n{SOURCE_A}")),
        (
            "nmae",
            "[[sources]]\nnmae = \"a\"\nroot = \"fixtures\"\n".to_owned(),
        ),
        ("private_prefix", format!("{SOURCE_A}private_prefix = []\n")),
    ];
    for (key, text) in cases {
        match Config::from_toml(&text, base.path(), &no_env()) {
            Err(ConfigError::Syntax(message)) => assert!(message.contains(key), "{message}"),
            other => panic!("{key}: expected a syntax error, got {other:?}"),
        }
    }
}

#[test]
fn broken_toml_is_a_syntax_error_with_its_line() {
    let err = Config::from_toml("[[sources]\nname = 1", Path::new("/"), &no_env()).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Syntax(m) if m.contains("line 1")),
        "{err}"
    );
}

#[test]
fn relative_root_resolves_against_the_base_dir_and_absolute_root_is_kept() {
    let base = base();
    let config = parse(SOURCE_A, base.path());
    assert_eq!(config.sources[0].root, Root::Local(fixtures(&base)));
    assert!(
        config.sources[0]
            .root
            .local()
            .is_some_and(Path::is_absolute)
    );

    let elsewhere = tempfile::tempdir().unwrap();
    let text = format!(
        "[[sources]]\nname=\"a\"\nroot='{}'\n",
        elsewhere.path().display()
    );
    let root = parse(&text, base.path()).sources[0].root.clone();
    assert_eq!(root, Root::Local(elsewhere.path().to_path_buf()));
}

#[test]
fn hosts_and_prefix_are_stored_in_normal_form() {
    let base = base();
    let text = format!(
        "{SOURCE_A}hosts = [\"IMG.Example.com:8443\", \"[::1]:80\"]\nprefix = \"/shop/\"\n"
    );
    let source = &parse(&text, base.path()).sources[0];
    assert_eq!(source.hosts, ["img.example.com", "[::1]"]);
    assert_eq!(source.prefix, "/shop");
}

#[test]
fn load_resolves_roots_against_the_file_directory() {
    let base = base();
    let path = base.path().join("pixgate.toml");
    fs::write(&path, SOURCE_A).unwrap();
    let config = Config::load(&path, &no_env()).unwrap();
    assert_eq!(config.sources[0].root, Root::Local(fixtures(&base)));
}

#[test]
fn unreadable_file_names_its_path() {
    let path = Path::new("/nonexistent/pixgate.toml");
    let err = Config::load(path, &no_env()).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Read { path: p, .. } if p == path),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("cannot read /nonexistent/pixgate.toml: "),
        "{err}"
    );
}

#[test]
fn invalid_config_displays_one_problem_per_line() {
    let err = ConfigError::Invalid(vec![
        Problem {
            key: "sources[0].secure".into(),
            origin: None,
            message: "needs a secret".into(),
        },
        Problem {
            key: "sources[1].max_ttl".into(),
            origin: Some("PIXGATE_SOURCES__B__MAX_TTL".into()),
            message: "bad".into(),
        },
    ]);
    let want = "invalid configuration:\n  sources[0].secure: needs a secret\n  \
                sources[1].max_ttl (from PIXGATE_SOURCES__B__MAX_TTL): bad";
    assert_eq!(err.to_string(), want);
}
