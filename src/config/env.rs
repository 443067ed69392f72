//! Environment overrides (listed in the module doc of `config`): secrets and the listen address
//! replace what the file says. Reads only through the function it is given, never the process
//! environment.

use super::raw::RawConfig;

pub(super) const LISTEN_VAR: &str = "PIXGATE_SERVER_LISTEN";

/// Replaces file values with the environment's. Returns whether `server.listen` came from the
/// environment, so a problem with it can say where to look.
pub(super) fn apply(raw: &mut RawConfig, env: &dyn Fn(&str) -> Option<String>) -> bool {
    for source in &mut raw.sources {
        let Some(name) = source.name.as_deref() else {
            continue;
        };
        // Set-but-empty replaces too: falling back to the file would quietly keep a committed
        // (so public) demo secret in production.
        if let Some(value) = env(&md5_tokens_var(name)) {
            source.md5_tokens = split_list(&value);
        }
        if let Some(value) = env(&hmac_keys_var(name)) {
            source.hmac_keys = split_list(&value);
        }
    }
    match env(LISTEN_VAR) {
        Some(listen) => {
            raw.server.listen = Some(listen);
            true
        }
        None => false,
    }
}

pub(super) fn md5_tokens_var(source_name: &str) -> String {
    format!("PIXGATE_SOURCES_{}_MD5_TOKENS", env_segment(source_name))
}

pub(super) fn hmac_keys_var(source_name: &str) -> String {
    format!("PIXGATE_SOURCES_{}_HMAC_KEYS", env_segment(source_name))
}

/// A source name as it appears in variable names: ASCII uppercase, anything else `_`.
pub(super) fn env_segment(source_name: &str) -> String {
    source_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_uppercase_segments_with_underscores() {
        let cases = [
            ("demo", "DEMO"),
            ("my-shop", "MY_SHOP"),
            ("a_b", "A_B"),
            ("Shop2", "SHOP2"),
            ("é", "_"),
        ];
        for (name, want) in cases {
            assert_eq!(env_segment(name), want, "{name}");
        }
        assert_eq!(
            md5_tokens_var("my-shop"),
            "PIXGATE_SOURCES_MY_SHOP_MD5_TOKENS"
        );
        assert_eq!(hmac_keys_var("demo"), "PIXGATE_SOURCES_DEMO_HMAC_KEYS");
    }

    #[test]
    fn lists_are_split_on_commas_trimmed_and_empties_dropped() {
        let cases: [(&str, &[&str]); 5] = [
            ("a", &["a"]),
            ("a,b", &["a", "b"]),
            (" a , b ,, c,", &["a", "b", "c"]),
            ("", &[]),
            (" , ", &[]),
        ];
        for (value, want) in cases {
            assert_eq!(split_list(value), want, "{value:?}");
        }
    }
}
