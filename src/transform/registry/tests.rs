use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::transform::canonical_name;

/// The registry file's names with their aliases (an alias equal to its name is dropped, as the
/// file lists one).
fn registry_file() -> BTreeMap<String, Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/imgix-parameters.tsv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut names = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let columns: Vec<&str> = line.split('\t').collect();
        let name = columns[0].to_string();
        let mut aliases: Vec<String> = columns[2]
            .split(',')
            .filter(|a| !a.is_empty() && *a != name)
            .map(str::to_string)
            .collect();
        aliases.sort();
        names.insert(name, aliases);
    }
    names
}

#[test]
fn spellings_are_sorted_and_unique_for_binary_search() {
    for pair in SPELLINGS.windows(2) {
        assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
    }
}

#[test]
fn every_name_and_alias_of_the_registry_file_and_nothing_else() {
    let file = registry_file();
    assert_eq!(file.len(), 179);
    let mut table: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (spelling, name, _) in SPELLINGS {
        let aliases = table.entry(name.to_string()).or_default();
        if spelling != name {
            aliases.push(spelling.to_string());
        }
    }
    for aliases in table.values_mut() {
        aliases.sort();
    }
    assert_eq!(table, file);
}

/// An implemented spelling is one the parser folds to that name; every other registry
/// spelling is one it does not know, so `parse` reaches the refusal.
#[test]
fn implemented_means_the_parser_knows_it() {
    for (spelling, name, support) in SPELLINGS {
        match support {
            Implemented => assert_eq!(canonical_name(spelling), Some(*name), "{spelling}"),
            Signing => assert_eq!(*name, "expires"),
            Never(_) | Planned(_) => assert_eq!(canonical_name(spelling), None, "{spelling}"),
        }
    }
}

#[test]
fn registry_names_pixgate_lacks_are_refused_by_name_and_others_pass() {
    for spelling in ["bg-remove", "video-codec", "nr", "page"] {
        match check_name(spelling) {
            Err(TransformError::Unsupported { name, .. }) => assert_eq!(name, spelling),
            other => panic!("{spelling}: {other:?}"),
        }
    }
    for spelling in [
        "w",
        "width",
        "expires",
        "ixlib",
        "utm_source",
        "s",
        "signature",
    ] {
        assert_eq!(check_name(spelling), Ok(()), "{spelling}");
    }
}

#[test]
fn imgix_values_pixgate_lacks_are_refused_and_the_rest_left_to_the_parser() {
    let refused = [
        ("fit", "fit", "clamp"),
        ("fit", "fit", "facearea,fill"),
        ("fill", "fill", "gen"),
        ("fill-gradient-cs", "fill-gradient-cs", "lch"),
        ("blend-crop", "bc", "faces"),
        ("fm", "format", "jp2"),
        ("fm", "fm", "png8"),
        ("auto", "auto", "format,enhance"),
        ("rot", "rot", "45"),
        ("rot", "rot", "359.5"),
    ];
    for (canon, spelling, value) in refused {
        match check_value(canon, spelling, value) {
            Err(TransformError::Unsupported { name, reason }) => {
                assert_eq!(name, spelling);
                assert!(reason.contains('`'), "{reason}");
            }
            other => panic!("{spelling}={value}: {other:?}"),
        }
    }
    let left = [
        ("fit", "crop"),
        ("fit", "fillmax"),
        ("fm", "webp"),
        ("fm", "json"),
        ("fm", "blurhash"),
        ("fm", "nonsense"),
        ("auto", "format,compress"),
        ("rot", "90"),
        ("rot", "-45"),
        ("rot", "abc"),
        ("w", "facearea"),
        ("fit", "facearea"),
        ("crop", "faces,top"),
    ];
    for (canon, value) in left {
        assert_eq!(check_value(canon, canon, value), Ok(()), "{canon}={value}");
    }
}

const START: &str = "<!-- imgix-parameters:start -->\n";
const END: &str = "<!-- imgix-parameters:end -->";

/// docs/url-api.md's copy of [`reference_table`]. `UPDATE_DOCS=1` rewrites it instead of
/// failing.
#[test]
fn docs_parameter_table_is_the_generated_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/url-api.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let (Some(start), Some(end)) = (text.find(START), text.find(END)) else {
        panic!("docs/url-api.md lacks the {START:?} … {END:?} markers");
    };
    let documented = &text[start + START.len()..end];
    let generated = reference_table();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let updated = format!(
            "{}{generated}{}",
            &text[..start + START.len()],
            &text[end..]
        );
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert!(
        documented == generated,
        "docs/url-api.md's imgix parameter table differs from the registry \
         (src/transform/registry.rs).\nRun `UPDATE_DOCS=1 cargo test --lib transform::registry` \
         to rewrite it."
    );
}
