//! The table of every configuration key in docs/configuration.md, rendered from
//! [`keys`](super::keys) so the documentation cannot drift from the code (a test compares the
//! two). Pure text.

use super::keys::{Access, Key, KeyDefault, NAME, SECTION_KEYS, SOURCE_KEYS};

/// The Markdown table of every key: variable, TOML key, kind, default, meaning; one line each,
/// newline-terminated.
pub fn reference_table() -> String {
    let mut table = String::from(
        "| Environment variable | TOML key | Kind | Default | Description |\n\
         |---|---|---|---|---|\n",
    );
    for key in SECTION_KEYS {
        let var = code(&key.var());
        table.push_str(&row(key, var, key.legacy.map(str::to_owned)));
    }
    for key in SOURCE_KEYS {
        let var = if key.name == NAME {
            "—".to_owned()
        } else {
            code(&format!(
                "PIXGATE_SOURCES__<NAME>__{}",
                key.name.to_ascii_uppercase()
            ))
        };
        table.push_str(&row(key, var, key.legacy.map(str::to_owned)));
    }
    table
}

fn row<R>(key: &Key<R>, var: String, legacy: Option<String>) -> String {
    let var = match legacy {
        Some(old) => format!("{var} (or {})", code(&old)),
        None => var,
    };
    format!(
        "| {var} | {} | {} | {} | {} |\n",
        code(&key.toml_key()),
        key.access.kind(),
        shown_default(key),
        key.about
    )
}

fn shown_default<R>(key: &Key<R>) -> String {
    match (&key.default, &key.access) {
        (KeyDefault::Value(""), Access::List(_)) => "`[]`".to_owned(),
        (KeyDefault::Value(""), _) => "`\"\"`".to_owned(),
        (KeyDefault::Value(value), _) => code(value),
        (KeyDefault::Required, _) => "required".to_owned(),
        (KeyDefault::Rule(rule), _) => (*rule).to_owned(),
    }
}

fn code(text: &str) -> String {
    format!("`{text}`")
}
