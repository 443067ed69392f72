//! Each invalid value yields exactly one problem under the right key; several are reported
//! together, in file order; and what should pass does.

use super::*;

/// Two sources, each given as its name and extra lines.
fn two_sources((first, first_lines): (&str, &str), (second, second_lines): (&str, &str)) -> String {
    format!(
        "[[sources]]\nname = \"{first}\"\nroot = \"fixtures\"\n{first_lines}\n\
         [[sources]]\nname = \"{second}\"\nroot = \"fixtures\"\n{second_lines}\n"
    )
}

/// Asserts that each text yields exactly one problem, under the expected key.
fn assert_single_problem(cases: impl IntoIterator<Item = (&'static str, String)>) {
    let base = base();
    fs::write(base.path().join("file.txt"), "x").unwrap();
    for (key, text) in cases {
        let keys = problem_keys(&text, base.path(), &no_env());
        assert_eq!(keys, [key], "--- in ---\n{text}");
    }
}

#[test]
fn bad_section_values_are_reported_under_their_key() {
    let cases = [
        ("server.listen", "[server]\nlisten = \"localhost\""),
        (
            "server.max_url_bytes",
            "[server]\nmax_url_bytes = \"64KiB\"",
        ),
        ("cache.max_bytes", "[cache]\nmax_bytes = \"lots\""),
        ("cache.max_bytes", "[cache]\nmax_bytes = -1"),
        (
            "cache.max_entry_bytes",
            "[cache]\nmax_bytes = \"1MiB\"\nmax_entry_bytes = \"2MiB\"",
        ),
        (
            "cache.max_entry_bytes",
            "[cache]\nmax_entry_bytes = \"10XB\"",
        ),
        (
            "limits.max_source_pixels",
            "[limits]\nmax_source_pixels = 0",
        ),
        (
            "limits.max_source_pixels",
            "[limits]\nmax_source_pixels = -5",
        ),
        (
            "limits.max_source_bytes",
            "[limits]\nmax_source_bytes = \"50 MiB\"",
        ),
        ("limits.max_source_bytes", "[limits]\nmax_source_bytes = 0"),
        (
            "limits.max_output_dimension",
            "[limits]\nmax_output_dimension = 0",
        ),
        (
            "limits.max_output_dimension",
            "[limits]\nmax_output_dimension = 5_000_000_000",
        ),
        ("limits.render_timeout", "[limits]\nrender_timeout = \"0s\""),
        ("encoding.avif_speed", "[encoding]\navif_speed = 0"),
        ("encoding.avif_speed", "[encoding]\navif_speed = 11"),
        ("encoding.webp_method", "[encoding]\nwebp_method = -1"),
        ("encoding.webp_method", "[encoding]\nwebp_method = 7"),
        ("encoding.png_level", "[encoding]\npng_level = 0"),
        ("encoding.png_level", "[encoding]\npng_level = 10"),
        ("encoding.avif_budget", "[encoding]\navif_budget = \"200\""),
        ("limits.render_timeout", "[limits]\nrender_timeout = \"30\""),
        ("uploads.max_bytes", "[uploads]\nmax_bytes = \"5GB!\""),
        ("uploads.session_ttl", "[uploads]\nsession_ttl = \"1.5h\""),
        ("uploads.session_ttl", "[uploads]\nsession_ttl = \"0s\""),
        ("log.format", "[log]\nformat = \"yaml\""),
        ("log.format", "[log]\nformat = \"JSON\""),
    ];
    assert_single_problem(cases.map(|(key, section)| (key, format!("{section}\n{SOURCE_A}"))));
}

#[test]
fn bad_watermarks_are_reported_under_their_key() {
    let private = "md5_tokens = [\"t\"]\nprivate_prefixes = [\"private/\"]";
    let secure = "md5_tokens = [\"t\"]\nsecure = true";
    let cases = [
        "watermark = \"mark-alpha=40\"".to_string(),
        "watermark = \"mark=/logo.png&w=100\"".to_string(),
        "watermark = \"mark=/logo.png&mark-align=up\"".to_string(),
        "watermark = \"mark=https://elsewhere.test/logo.png\"".to_string(),
        format!("watermark = \"mark=/private/logo.png\"\n{private}"),
        format!("watermark = \"mark=/logo.png\"\n{secure}"),
    ];
    assert_single_problem(cases.map(|body| {
        (
            "sources[0].watermark",
            format!("[[sources]]\nname = \"a\"\nroot = \"fixtures\"\n{body}\n"),
        )
    }));
}

#[test]
fn missing_or_bad_source_name_and_root_are_reported() {
    let cases = [
        ("sources[0].name", "root = \"fixtures\""),
        ("sources[0].name", "name = \"\"\nroot = \"fixtures\""),
        ("sources[0].name", "name = \"a b\"\nroot = \"fixtures\""),
        ("sources[0].name", "name = \"a.b\"\nroot = \"fixtures\""),
        ("sources[0].root", "name = \"a\""),
        ("sources[0].root", "name = \"a\"\nroot = \"\""),
        ("sources[0].root", "name = \"a\"\nroot = \"missing\""),
        ("sources[0].root", "name = \"a\"\nroot = \"file.txt\""),
    ];
    assert_single_problem(cases.map(|(key, body)| (key, format!("[[sources]]\n{body}\n"))));
}

#[test]
fn bad_source_values_are_reported_under_their_key() {
    let cases = [
        ("sources[0].hosts[0]", "hosts = [\"exa mple.com\"]"),
        ("sources[0].hosts[1]", "hosts = [\"a.com\", \"*.a.com\"]"),
        ("sources[0].hosts[0]", "hosts = [\"a.com:http\"]"),
        ("sources[0].hosts[0]", "hosts = [\"\"]"),
        ("sources[0].prefix", "prefix = \"shop\""),
        ("sources[0].prefix", "prefix = \"/a//b\""),
        ("sources[0].prefix", "prefix = \"/a/../b\""),
        ("sources[0].prefix", "prefix = \"/a/./b\""),
        ("sources[0].prefix", "prefix = \"/a%20b\""),
        ("sources[0].prefix", "prefix = '/a\\b'"),
        ("sources[0].prefix", "prefix = \"/a b\""),
        ("sources[0].prefix", "prefix = \"/_pixgate\""),
        ("sources[0].prefix", "prefix = \"/_pixgate/x\""),
        ("sources[0].secure", "secure = true"),
        (
            "sources[0].private_prefixes",
            "private_prefixes = [\"private/\"]",
        ),
        (
            "sources[0].private_prefixes[0]",
            "private_prefixes = [\"\"]\nhmac_keys = [\"k\"]",
        ),
        (
            "sources[0].private_prefixes[0]",
            "private_prefixes = [\"/p/\"]\nhmac_keys = [\"k\"]",
        ),
        (
            "sources[0].private_prefixes[1]",
            "private_prefixes = [\"a/\", \"a/../b/\"]\nhmac_keys = [\"k\"]",
        ),
        ("sources[0].md5_tokens[0]", "md5_tokens = [\"\"]"),
        ("sources[0].hmac_keys[1]", "hmac_keys = [\"k\", \"  \"]"),
        ("sources[0].hmac_keys[0]", "hmac_keys = [\" k\"]"),
        ("sources[0].default_ttl", "default_ttl = \"1 year\""),
        ("sources[0].max_ttl", "max_ttl = \"5 minutes\""),
        ("sources[0].max_ttl", "max_ttl = \"0s\""),
        ("sources[0].clock_skew", "clock_skew = \"-1s\""),
    ];
    assert_single_problem(cases.map(|(key, lines)| (key, format!("{SOURCE_A}{lines}\n"))));
}

#[test]
fn sources_claiming_the_same_name_or_requests_are_refused() {
    let cases = [
        ("sources[1].name", ("a", ""), ("a", "prefix = \"/x\"")),
        ("sources[1].name", ("a", ""), ("A", "prefix = \"/x\"")),
        ("sources[1].name", ("a-b", ""), ("a_b", "prefix = \"/x\"")),
        ("sources[1].prefix", ("a", ""), ("b", "")),
        (
            "sources[1].prefix",
            ("a", "prefix = \"/shop\""),
            ("b", "prefix = \"/shop/\""),
        ),
        (
            "sources[1].prefix",
            ("a", "hosts = [\"a.com\", \"b.com\"]"),
            ("b", "hosts = [\"B.com:80\"]"),
        ),
    ];
    assert_single_problem(cases.map(|(key, first, second)| (key, two_sources(first, second))));
}

#[test]
fn sources_routing_can_always_tell_apart_are_accepted() {
    let base = base();
    let cases = [
        (("a", "prefix = \"/a\""), ("b", "prefix = \"/b\"")),
        (("a", ""), ("b", "prefix = \"/b\"")),
        (
            ("a", "prefix = \"/shop\""),
            ("b", "prefix = \"/shop/sale\""),
        ),
        (("a", "hosts = [\"a.com\"]"), ("b", "hosts = [\"b.com\"]")),
        // A source naming the host beats the default that takes any host.
        (("a", "hosts = [\"a.com\"]"), ("b", "")),
        (("a", ""), ("b", "hosts = [\"a.com\"]")),
        (
            ("a", "secure = true\nhmac_keys = [\"k\"]"),
            ("b", "prefix = \"/public\""),
        ),
    ];
    for (first, second) in cases {
        parse(&two_sources(first, second), base.path());
    }
}

#[test]
fn secret_problem_names_the_env_vars_that_could_fix_it() {
    let base = base();
    let text = "[[sources]]\nname = \"my-shop\"\nroot = \"fixtures\"\nsecure = true\n";
    let Err(ConfigError::Invalid(problems)) = Config::from_toml(text, base.path(), &no_env())
    else {
        panic!("a secure source without a secret was accepted");
    };
    let message = &problems[0].message;
    assert!(
        message.contains("PIXGATE_SOURCES__MY_SHOP__MD5_TOKENS"),
        "{message}"
    );
    assert!(
        message.contains("PIXGATE_SOURCES__MY_SHOP__HMAC_KEYS"),
        "{message}"
    );
}

#[test]
fn bad_values_are_quoted_with_a_good_example() {
    let base = base();
    let text = format!("{SOURCE_A}max_ttl = \"5 minutes\"\n");
    let Err(ConfigError::Invalid(problems)) = Config::from_toml(&text, base.path(), &no_env())
    else {
        panic!("a bad max_ttl was accepted");
    };
    let message = &problems[0].message;
    assert!(
        message.contains("\"5 minutes\"") && message.contains("e.g."),
        "{message}"
    );
}

#[test]
fn missing_root_names_the_resolved_path() {
    let base = base();
    let text = "[[sources]]\nname = \"a\"\nroot = \"missing\"\n";
    let err = Config::from_toml(text, base.path(), &no_env()).unwrap_err();
    let want = base.path().join("missing");
    assert!(
        err.to_string().contains(&want.display().to_string()),
        "{err}"
    );
}

#[test]
fn several_problems_are_all_reported_in_file_order() {
    let base = base();
    let text = "\
[server]
listen = \"nowhere\"
[cache]
max_bytes = \"1KiB\"
max_entry_bytes = \"1MiB\"
[limits]
render_timeout = \"soon\"
[log]
format = \"xml\"
[[sources]]
name = \"a\"
root = \"fixtures\"
secure = true
max_ttl = \"5 minutes\"
[[sources]]
name = \"a\"
root = \"missing\"
private_prefixes = [\"../x\"]
md5_tokens = [\"\"]
";
    let want = [
        "server.listen",
        "cache.max_entry_bytes",
        "limits.render_timeout",
        "log.format",
        "sources[0].secure",
        "sources[0].max_ttl",
        "sources[1].name",
        "sources[1].root",
        "sources[1].prefix",
        "sources[1].private_prefixes[0]",
        "sources[1].md5_tokens[0]",
    ];
    assert_eq!(problem_keys(text, base.path(), &no_env()), want);
}
