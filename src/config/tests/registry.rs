//! The key registry is complete and true: it names exactly the raw structs' fields, each entry
//! reaches its own field, its documented default is the real one, and the table in
//! docs/configuration.md is the one it renders.

use std::collections::BTreeSet;

use serde_json::Value;

use super::super::env;
use super::super::keys::{Access, Key, KeyDefault, NAME, SECTION_KEYS, SOURCE_KEYS};
use super::super::raw::{RawConfig, RawSource};
use super::super::validate::Problems;
use super::*;

const START: &str = "<!-- config-keys:start -->\n";
const END: &str = "<!-- config-keys:end -->";

/// A valid value for the key that differs from its default.
fn sample<R>(key: &Key<R>) -> &'static str {
    match (key.section, key.name, &key.access) {
        ("log", "format", _) => "json",
        ("text", "fonts_dir", _) => "fixtures",
        ("cache.disk", "dir", _) => "derivatives",
        ("cache.shared", "root", _) => "s3://bucket-b/derivatives",
        ("cache.shared", "endpoint", _) => "http://127.0.0.1:9000",
        ("cache.shared", "region", _) => "eu-west-1",
        ("cache.shared", "access_key_id", _) => "AKID2",
        ("cache.shared", "secret_access_key", _) => "other",
        ("cache.shared", "session_token", _) => "TOKEN2",
        ("sources", "root", _) => "other",
        ("sources", "prefix", _) => "/x",
        ("sources", "endpoint", _) => "http://127.0.0.1:9000",
        ("sources", "region", _) => "eu-west-1",
        ("sources", "access_key_id", _) => "AKID2",
        ("sources", "secret_access_key", _) => "other",
        ("sources", "session_token", _) => "TOKEN2",
        ("sources", "staging_dir", _) => "staging",
        ("sources", "watermark", _) => "mark=/logo.png",
        ("sources", "allowed_networks", _) => "10.0.0.0/8,fd00::/8",
        ("sources", "widths", _) => "320,640",
        ("sources", "fallback", _) => "errors/missing.png",
        ("sources", "fallback_status", _) => "410",
        // Their ranges end below the generic 7.
        ("encoding", "webp_method", _) => "6",
        ("encoding", "png_level", _) => "1",
        (_, _, Access::Address(_)) => "127.0.0.1:7",
        (_, _, Access::Integer(_)) => "7",
        (_, _, Access::Size(_)) => "3KiB",
        (_, _, Access::Duration(_)) => "7s",
        (_, _, Access::Bool(_)) => "true",
        (_, _, Access::List(_)) => "x,y",
        (section, name, Access::Text(_)) => panic!("no sample for {section}.{name}"),
    }
}

/// `sources[0]` (named `a`) with a root of the kind `toml_key` applies to: a bucket for the S3
/// keys and `revalidate_after`, an origin for the HTTP ones, else a folder.
fn source_a_for(toml_key: &str) -> String {
    // The shared tier's keys act on its bucket.
    if toml_key.starts_with("cache.shared.") {
        return format!(
            "[cache.shared]\nroot = \"s3://bucket-c\"\naccess_key_id = \"k\"\n\
             secret_access_key = \"s\"\n{SOURCE_A}"
        );
    }
    let name = toml_key.rsplit('.').next().unwrap_or("");
    match name {
        "endpoint" | "region" | "access_key_id" | "secret_access_key" | "session_token"
        | "anonymous" | "path_style" | "staging_dir" | "revalidate_after" => {
            "[[sources]]\nname = \"a\"\n\
             root = \"s3://bucket-a\"\naccess_key_id = \"k\"\nsecret_access_key = \"s\"\n"
                .to_string()
        }
        "allowed_networks" | "max_redirects" => {
            "[[sources]]\nname = \"a\"\nroot = \"https://origin.example/\"\n".to_string()
        }
        _ => SOURCE_A.to_string(),
    }
}

/// Every variable a key of `sources[0]` (named `a`) or of a section can be set by, with the key.
fn settable() -> Vec<(String, String)> {
    let sections = SECTION_KEYS
        .iter()
        .map(|key| (key.var(), format!("{}.{}", key.section, key.name)));
    let sources = SOURCE_KEYS
        .iter()
        .filter_map(|key| Some((key.var("a")?, format!("sources[0].{}", key.name))));
    sections.chain(sources).collect()
}

fn sample_of(toml_key: &str) -> &'static str {
    let (section, name) = toml_key.rsplit_once('.').unwrap();
    match SECTION_KEYS
        .iter()
        .find(|k| (k.section, k.name) == (section, name))
    {
        Some(key) => sample(key),
        None => sample(SOURCE_KEYS.iter().find(|k| k.name == name).unwrap()),
    }
}

/// `section.field` (or `sources[i].field`) of every leaf that differs.
fn changed_fields(before: &Value, after: &Value) -> Vec<String> {
    let mut changed = Vec::new();
    for (section, value) in after.as_object().unwrap() {
        let items: Vec<(String, String, &Value)> = match value {
            Value::Array(sources) => sources
                .iter()
                .enumerate()
                .map(|(i, source)| (format!("{section}[{i}]"), format!("/{section}/{i}"), source))
                .collect(),
            _ => vec![(section.clone(), format!("/{section}"), value)],
        };
        for (at, pointer, fields) in items {
            changed_leaves(before, &at, &pointer, fields, &mut changed);
        }
    }
    changed
}

/// The leaves under `fields` that differ from `before`'s, a nested table (`cache.disk`) one
/// level further down.
fn changed_leaves(before: &Value, at: &str, pointer: &str, fields: &Value, out: &mut Vec<String>) {
    for (field, value) in fields.as_object().unwrap() {
        let (at, pointer) = (format!("{at}.{field}"), format!("{pointer}/{field}"));
        // A table is an object in both; a set value (a size) may be one only after.
        if before.pointer(&pointer).is_some_and(Value::is_object) {
            changed_leaves(before, &at, &pointer, value, out);
        } else if before.pointer(&pointer) != Some(value) {
            out.push(at);
        }
    }
}

/// Every table of the raw config (`cache.disk` for a nested one) and its leaf fields.
fn tables(at: &str, value: &Value, out: &mut std::collections::BTreeMap<String, BTreeSet<String>>) {
    for (field, value) in value.as_object().unwrap() {
        if value.is_object() {
            tables(&format!("{at}.{field}"), value, out);
        } else {
            out.entry(at.to_string()).or_default().insert(field.clone());
        }
    }
}

fn field_names(value: Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn registry_names_exactly_the_raw_fields() {
    let raw = serde_json::to_value(RawConfig::default()).unwrap();
    let sections: BTreeSet<&str> = SECTION_KEYS.iter().map(|k| k.section).collect();
    let mut want = std::collections::BTreeMap::new();
    for (section, value) in raw.as_object().unwrap() {
        // Arrays of tables: sources have their own keys, presets come from the file only.
        if section != "sources" && section != "presets" {
            tables(section, value, &mut want);
        }
    }
    assert_eq!(sections, want.keys().map(String::as_str).collect());
    for (section, fields) in &want {
        let keys: BTreeSet<String> = SECTION_KEYS
            .iter()
            .filter(|k| k.section == section)
            .map(|k| k.name.to_owned())
            .collect();
        assert_eq!(&keys, fields, "[{section}]");
    }
    let fields = field_names(serde_json::to_value(RawSource::default()).unwrap());
    let keys: BTreeSet<String> = SOURCE_KEYS.iter().map(|k| k.name.to_owned()).collect();
    assert_eq!(keys, fields, "[[sources]]");
    assert!(SOURCE_KEYS.iter().all(|k| k.section == "sources"));
}

#[test]
fn each_variable_sets_its_own_field_and_no_other() {
    let fresh = || RawConfig {
        sources: vec![RawSource {
            name: Some("a".into()),
            ..RawSource::default()
        }],
        ..RawConfig::default()
    };
    let before = serde_json::to_value(fresh()).unwrap();
    for (var, toml_key) in settable() {
        let mut raw = fresh();
        let mut problems = Problems::default();
        let env = env_of(&[(&var, sample_of(&toml_key))]);
        env::apply(&mut raw, &env, &mut problems);
        let after = serde_json::to_value(raw).unwrap();
        assert_eq!(
            changed_fields(&before, &after),
            [toml_key.as_str()],
            "{var}"
        );
    }
}

#[test]
fn each_variable_changes_the_loaded_config() {
    let base = base();
    fs::create_dir(base.path().join("other")).unwrap();
    for (var, toml_key) in settable() {
        let text = format!("{}md5_tokens = [\"t\"]\n", source_a_for(&toml_key));
        let baseline = parse(&text, base.path());
        let value = sample_of(&toml_key);
        let env = env_of(&[(&var, value)]);
        let config = Config::from_toml(&text, base.path(), &env)
            .unwrap_or_else(|e| panic!("{var}={value}: {e}"));
        assert_ne!(config, baseline, "{var}={value} changed nothing");
    }
}

#[test]
fn documented_defaults_are_the_real_ones() {
    let base = base();
    let defaults = SECTION_KEYS
        .iter()
        .map(|k| (k.var(), k.name, &k.default))
        .chain(
            SOURCE_KEYS
                .iter()
                .filter_map(|k| Some((k.var("a")?, k.name, &k.default))),
        );
    for (var, name, default) in defaults {
        let KeyDefault::Value(value) = default else {
            continue;
        };
        let text = source_a_for(name);
        let baseline = parse(&text, base.path());
        let env = env_of(&[(&var, value)]);
        let config = Config::from_toml(&text, base.path(), &env)
            .unwrap_or_else(|e| panic!("{var}={value}: {e}"));
        assert_eq!(config, baseline, "{var}={value:?} is not the default");
    }
}

#[test]
fn only_the_source_name_cannot_come_from_the_environment() {
    let unsettable: Vec<&str> = SOURCE_KEYS
        .iter()
        .filter(|k| k.var("a").is_none())
        .map(|k| k.name)
        .collect();
    assert_eq!(unsettable, [NAME]);
}

/// docs/configuration.md's copy of [`reference_table`]. `UPDATE_DOCS=1` rewrites it instead of
/// failing.
#[test]
fn docs_configuration_table_is_the_generated_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join("configuration.md");
    let page = fs::read_to_string(&path).unwrap();
    let (Some(start), Some(end)) = (page.find(START), page.find(END)) else {
        panic!("docs/configuration.md lacks the {START:?} … {END:?} markers");
    };
    let start = start + START.len();
    // Blank lines around the table keep Markdown from reading the markers as part of it.
    let want = format!("\n{}\n", reference_table());
    if page[start..end] == want {
        return;
    }
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let updated = format!("{}{want}{}", &page[..start], &page[end..]);
        fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "docs/configuration.md's table differs from the key registry (src/config/keys.rs).\n\
         Run `UPDATE_DOCS=1 cargo test --lib config::tests::registry` to rewrite it, or \
         put this between the markers:\n\n{want}"
    );
}
