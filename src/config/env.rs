//! Environment overrides (listed in the module doc of `config`): `PIXGATE_SECTION__KEY` for every
//! key in [`keys`](super::keys), `PIXGATE_SOURCES__<NAME>__KEY` for declared sources, and the
//! older spellings. Reads only the [`Env`] it is given, never the process environment; a value
//! that does not parse, and a `__` variable that names no key, become problems.

use std::collections::{BTreeMap, BTreeSet};

use super::keys::{Access, Key, KeyDefault, SECTION_KEYS, SOURCE_KEYS};
use super::raw::{RawConfig, RawDuration, RawSize};
use super::validate::Problems;

const PREFIX: &str = "PIXGATE_";
const SOURCES_PREFIX: &str = "PIXGATE_SOURCES__";

/// The environment variables configuration may read: a snapshot, so that loading can both look
/// a variable up and list them all (to catch misspelt ones).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
    /// Names whose value is not UTF-8: kept so that one of ours is reported, not skipped.
    unreadable: BTreeSet<String>,
}

impl Env {
    /// This process's environment. Variables with a non-UTF-8 name are left out: none is ours.
    pub fn from_process() -> Env {
        let mut env = Env::default();
        for (name, value) in std::env::vars_os() {
            let Ok(name) = name.into_string() else {
                continue;
            };
            match value.into_string() {
                Ok(value) => {
                    env.vars.insert(name, value);
                }
                Err(_) => {
                    env.unreadable.insert(name);
                }
            }
        }
        env
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
}

/// Builds an environment from `(name, value)` pairs, e.g. for tests.
impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Env {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            unreadable: BTreeSet::new(),
        }
    }
}

/// Replaces file values with the environment's, recording in `problems` which keys came from
/// which variable (so later problems with them name it) and every variable that is wrong.
pub(super) fn apply(raw: &mut RawConfig, env: &Env, problems: &mut Problems) {
    for key in SECTION_KEYS {
        let at = format!("{}.{}", key.section, key.name);
        let legacy = key.legacy.map(str::to_owned);
        override_key(raw, key, &at, [Some(key.var()), legacy], env, problems);
    }
    for (i, source) in raw.sources.iter_mut().enumerate() {
        let Some(name) = source.name.clone() else {
            continue;
        };
        for key in SOURCE_KEYS {
            let at = format!("sources[{i}].{}", key.name);
            let spellings = [key.var(&name), key.legacy_var(&name)];
            override_key(source, key, &at, spellings, env, problems);
        }
    }
    report_strays(raw, env, problems);
}

/// Sets the key from the first of its spellings that is set; the new one comes first, so it
/// wins over the old.
fn override_key<R>(
    target: &mut R,
    key: &Key<R>,
    at: &str,
    spellings: [Option<String>; 2],
    env: &Env,
    problems: &mut Problems,
) {
    let Some((var, value)) = spellings
        .into_iter()
        .flatten()
        .find_map(|var| env.get(&var).map(|value| (var, value)))
    else {
        return;
    };
    problems.record_origin(at, &var);
    set(target, key, at, value, problems);
}

/// Stores `value` as the file would have given it. Only what the raw type cannot hold
/// (a non-number for an integer, a non-bool) is refused here; the rest is judged by validation,
/// exactly as a file value would be. A refused value clears the field, so the file's value is
/// not then judged as if it had come from the environment.
fn set<R>(target: &mut R, key: &Key<R>, at: &str, value: &str, problems: &mut Problems) {
    match &key.access {
        Access::Text(field) | Access::Address(field) => *field(target) = Some(value.to_owned()),
        Access::Integer(field) => {
            *field(target) = integer(value);
            if field(target).is_none() {
                let example = match key.default {
                    KeyDefault::Value(default) => format!(", e.g. {default}"),
                    KeyDefault::Required | KeyDefault::Rule(_) => String::new(),
                };
                problems.push(at, format!("{value:?} is not a whole number{example}"));
            }
        }
        Access::Bool(field) => {
            *field(target) = match value {
                "true" => Some(true),
                "false" => Some(false),
                _ => {
                    problems.push(at, format!("must be true or false, not {value:?}"));
                    None
                }
            };
        }
        Access::Size(field) => *field(target) = Some(RawSize::Text(value.to_owned())),
        Access::Duration(field) => *field(target) = Some(RawDuration(value.to_owned())),
        // Set-but-empty replaces too: falling back to the file would quietly keep a committed
        // (so public) demo secret in production.
        Access::List(field) => *field(target) = split_list(value),
    }
}

/// A whole number as TOML writes one, `_` separators included, so a value can be copied from
/// the file.
fn integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let well_formed = !digits.starts_with('_') && !digits.ends_with('_') && !digits.contains("__");
    well_formed
        .then(|| text.replace('_', "").parse().ok())
        .flatten()
}

/// Reports `PIXGATE_…__…` variables that name no key of the file's sections or declared
/// sources, so a typo fails like an unknown file key does, and unreadable values of ours.
/// Other `PIXGATE_*` variables (`PIXGATE_BIN` of the scripts) are none of our business.
fn report_strays(raw: &RawConfig, env: &Env, problems: &mut Problems) {
    let sources: Vec<&str> = raw
        .sources
        .iter()
        .filter_map(|s| s.name.as_deref())
        .collect();
    let section_vars = SECTION_KEYS
        .iter()
        .flat_map(|key| [Some(key.var()), key.legacy.map(str::to_owned)]);
    let source_vars = sources.iter().flat_map(|name| {
        SOURCE_KEYS
            .iter()
            .flat_map(|key| [key.var(name), key.legacy_var(name)])
    });
    let known: BTreeSet<String> = section_vars.chain(source_vars).flatten().collect();
    for var in env.vars.keys() {
        if !known.contains(var) && in_scheme(var) {
            problems.push(var, stray_message(var, &sources));
        }
    }
    for var in &env.unreadable {
        if known.contains(var) || in_scheme(var) {
            problems.push(var, "is set but its value is not valid UTF-8");
        }
    }
}

fn in_scheme(var: &str) -> bool {
    var.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.contains("__"))
}

fn stray_message(var: &str, sources: &[&str]) -> String {
    if let Some(rest) = var.strip_prefix(SOURCES_PREFIX) {
        let source = sources
            .iter()
            .find(|name| rest.starts_with(&format!("{}__", env_segment(name))));
        return match source {
            Some(name) => {
                let keys = SOURCE_KEYS.iter().filter_map(|key| key.var(name));
                format!(
                    "names no key of source {name:?}; its variables are {}",
                    keys.collect::<Vec<_>>().join(", ")
                )
            }
            None => {
                let declared: Vec<String> =
                    sources.iter().map(|name| format!("{name:?}")).collect();
                let declared = if declared.is_empty() {
                    "none".to_owned()
                } else {
                    declared.join(", ")
                };
                format!(
                    "names no source declared in the file (declared: {declared}); the environment \
                     changes the sources the file declares but cannot add one"
                )
            }
        };
    }
    let section = var
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once("__"))
        .map(|(section, _)| section)
        .unwrap_or_default();
    let keys: Vec<String> = SECTION_KEYS
        .iter()
        .filter(|key| key.section.eq_ignore_ascii_case(section))
        .map(|key| key.var())
        .collect();
    if keys.is_empty() {
        "names no configuration section; the sections are SERVER, CACHE, LIMITS, UPLOADS, LOG \
         and SOURCES"
            .to_owned()
    } else {
        format!(
            "names no configuration key; the keys there are {}",
            keys.join(", ")
        )
    }
}

/// `PIXGATE_SOURCES__<NAME>__<KEY>` for a source's key (`md5_tokens`, …).
pub(super) fn source_var(source_name: &str, key: &str) -> String {
    format!(
        "{SOURCES_PREFIX}{}__{}",
        env_segment(source_name),
        key.to_ascii_uppercase()
    )
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
            source_var("my-shop", "hmac_keys"),
            "PIXGATE_SOURCES__MY_SHOP__HMAC_KEYS"
        );
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

    #[test]
    fn integers_are_read_as_toml_writes_them() {
        let cases = [
            ("256", Some(256)),
            ("-5", Some(-5)),
            ("+5", Some(5)),
            ("50_000_000", Some(50_000_000)),
            ("", None),
            ("_1", None),
            ("1_", None),
            ("1__0", None),
            ("1.5", None),
            (" 1", None),
            ("0x10", None),
            ("99999999999999999999", None),
        ];
        for (text, want) in cases {
            assert_eq!(integer(text), want, "{text:?}");
        }
    }

    #[test]
    fn the_process_snapshot_holds_every_readable_variable() {
        let env = Env::from_process();
        for (name, value) in std::env::vars_os() {
            if let (Some(name), Some(value)) = (name.to_str(), value.to_str()) {
                assert_eq!(env.get(name), Some(value), "{name}");
            }
        }
    }

    #[test]
    fn only_double_underscore_variables_are_ours_to_check() {
        let cases = [
            ("PIXGATE_SERVER__LISTEN", true),
            ("PIXGATE_SERVR__LISTEN", true),
            ("PIXGATE_BIN", false),
            ("PIXGATE_SERVER_LISTEN", false),
            ("OTHER__X", false),
        ];
        for (var, want) in cases {
            assert_eq!(in_scheme(var), want, "{var}");
        }
    }
}
