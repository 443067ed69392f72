//! `deploy/compose.yaml` cannot run here (no container engine), so what ties it together is
//! checked instead: its pixgate.toml loads with the variables the compose file sets, pixgate
//! listens where the nginx config sends, and the stop grace period outlasts the shutdown.

use std::path::Path;

use pixgate::config::{Config, Env, parse_duration};

use crate::support::cdn::{COMPOSE_UPSTREAM, NGINX_CONF};

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The value of each `  NAME: value` line of the compose file whose name passes `wanted`.
fn compose_values(compose: &str, wanted: impl Fn(&str) -> bool) -> Vec<(String, String)> {
    compose
        .lines()
        .filter_map(|line| line.trim().split_once(": "))
        .filter(|(name, _)| wanted(name))
        .map(|(name, value)| {
            let value = value.split(" #").next().unwrap_or(value).trim();
            (name.to_string(), value.to_string())
        })
        .collect()
}

#[test]
fn the_compose_pixgate_listens_where_nginx_sends_and_outlasts_its_shutdown() {
    let compose = read("deploy/compose.yaml");
    let env = compose_values(&compose, |name| name.starts_with("PIXGATE_"));
    assert!(
        env.len() >= 4,
        "the compose file's PIXGATE_* variables: {env:?}"
    );
    let config = Config::from_toml(
        &read("deploy/pixgate.toml"),
        Path::new("/etc/pixgate"),
        &env.into_iter().collect::<Env>(),
    )
    .unwrap_or_else(|e| panic!("deploy/pixgate.toml with the compose environment: {e}"));
    let source = &config.sources[0];
    assert!(!source.hmac_keys.is_empty() && !source.md5_tokens.is_empty());

    let nginx = read(NGINX_CONF);
    assert!(nginx.contains(COMPOSE_UPSTREAM), "{NGINX_CONF}");
    let upstream_port = COMPOSE_UPSTREAM
        .trim_end_matches(';')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok());
    assert_eq!(Some(config.server.listen.port()), upstream_port);
    assert!(
        !config.server.listen.ip().is_loopback(),
        "reachable from the nginx container"
    );

    let grace = compose_values(&compose, |name| name == "stop_grace_period");
    assert_eq!(grace.len(), 1, "one stop_grace_period");
    let grace = parse_duration(&grace[0].1).expect("a duration");
    assert!(grace > config.server.shutdown_timeout);
}
