//! The environment overrides any key, for declared sources only, in the new and the old
//! spellings; bad values and misspelt variables are problems that name the variable.

use super::*;

#[test]
fn env_secrets_replace_the_file_lists() {
    let base = base();
    let text = format!("{SOURCE_A}md5_tokens = [\"file-token\"]\nhmac_keys = [\"file-key\"]\n");
    let env = env_of(&[("PIXGATE_SOURCES_A_MD5_TOKENS", " t1 , t2,, ")]);
    let config = Config::from_toml(&text, base.path(), &env).unwrap();
    assert_eq!(config.sources[0].md5_tokens, ["t1", "t2"]);
    assert_eq!(config.sources[0].hmac_keys, ["file-key"]);

    let env = env_of(&[("PIXGATE_SOURCES_A_HMAC_KEYS", "")]);
    let config = Config::from_toml(&text, base.path(), &env).unwrap();
    assert!(
        config.sources[0].hmac_keys.is_empty(),
        "set-but-empty clears"
    );
}

#[test]
fn env_secret_fixes_a_secure_source_without_file_secret() {
    let base = base();
    let text = "[[sources]]\nname = \"my-shop\"\nroot = \"fixtures\"\nsecure = true\n";
    let env = env_of(&[("PIXGATE_SOURCES_MY_SHOP_HMAC_KEYS", "k1")]);
    let config = Config::from_toml(text, base.path(), &env).unwrap();
    assert_eq!(config.sources[0].hmac_keys, ["k1"]);
}

#[test]
fn env_for_another_source_name_does_not_apply() {
    let base = base();
    let text = format!("{SOURCE_A}secure = true\n");
    let env = env_of(&[("PIXGATE_SOURCES_B_HMAC_KEYS", "k1")]);
    assert_eq!(
        problem_keys(&text, base.path(), &env),
        ["sources[0].secure"]
    );
}

#[test]
fn env_listen_overrides_the_file_and_is_named_when_wrong() {
    let base = base();
    let text = format!("[server]\nlisten = \"127.0.0.1:1\"\n{SOURCE_A}");
    let env = env_of(&[("PIXGATE_SERVER_LISTEN", "0.0.0.0:9000")]);
    let config = Config::from_toml(&text, base.path(), &env).unwrap();
    assert_eq!(config.server.listen, "0.0.0.0:9000".parse().unwrap());

    let env = env_of(&[("PIXGATE_SERVER_LISTEN", "nine thousand")]);
    let err = Config::from_toml(&text, base.path(), &env).unwrap_err();
    assert!(err.to_string().contains("PIXGATE_SERVER_LISTEN"), "{err}");
}

/// Every problem the text and environment produce.
fn problems_of(text: &str, base: &Path, env: &Env) -> Vec<Problem> {
    match Config::from_toml(text, base, env) {
        Err(ConfigError::Invalid(problems)) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn section_keys_are_replaced_by_double_underscore_variables() {
    let base = base();
    let text = format!("[limits]\nrender_timeout = \"30s\"\n{SOURCE_A}");
    let env = env_of(&[
        ("PIXGATE_SERVER__LISTEN", "0.0.0.0:9000"),
        ("PIXGATE_SERVER__MAX_HEADERS", "50"),
        ("PIXGATE_CACHE__MAX_BYTES", "1GiB"),
        ("PIXGATE_CACHE__ORIGINALS_MAX_BYTES", "1024"),
        ("PIXGATE_LIMITS__RENDER_TIMEOUT", "10s"),
        ("PIXGATE_LIMITS__MAX_SOURCE_PIXELS", "1_000_000"),
        ("PIXGATE_LOG__FORMAT", "json"),
    ]);
    let config = Config::from_toml(&text, base.path(), &env).unwrap();
    assert_eq!(config.server.listen, "0.0.0.0:9000".parse().unwrap());
    assert_eq!(config.server.max_headers, 50);
    assert_eq!(config.cache.max_bytes, 1 << 30);
    assert_eq!(
        config.cache.max_entry_bytes,
        (1 << 30) / 16,
        "derived default"
    );
    assert_eq!(config.cache.originals_max_bytes, 1024, "bare size is bytes");
    assert_eq!(config.limits.render_timeout, Duration::from_secs(10));
    assert_eq!(config.limits.max_source_pixels, 1_000_000);
    assert_eq!(config.log.format, LogFormat::Json);
}

#[test]
fn source_lists_and_bools_are_replaced_for_the_named_source() {
    let base = base();
    let text = "[[sources]]\nname = \"my-shop\"\nroot = \"fixtures\"\nhmac_keys = [\"file\"]\n\
                [[sources]]\nname = \"demo\"\nroot = \"fixtures\"\nprefix = \"/demo\"\n\
                secure = true\nmd5_tokens = [\"t\"]\n";
    let env = env_of(&[
        ("PIXGATE_SOURCES__MY_SHOP__HMAC_KEYS", " k1 , k2,, "),
        ("PIXGATE_SOURCES__MY_SHOP__SECURE", "true"),
        ("PIXGATE_SOURCES__DEMO__SECURE", "false"),
        (
            "PIXGATE_SOURCES__DEMO__HOSTS",
            "img.example.com,CDN.example.com:443",
        ),
    ]);
    let config = Config::from_toml(text, base.path(), &env).unwrap();
    let (shop, demo) = (&config.sources[0], &config.sources[1]);
    assert_eq!(shop.hmac_keys, ["k1", "k2"]);
    assert!(shop.secure);
    assert!(
        !demo.secure,
        "false from the environment beats true in the file"
    );
    assert_eq!(demo.hosts, ["img.example.com", "cdn.example.com"]);
    assert_eq!(
        demo.md5_tokens,
        ["t"],
        "untouched keys keep the file's value"
    );
}

#[test]
fn new_spelling_wins_over_the_old_one() {
    let base = base();
    let text = format!("{SOURCE_A}secure = true\n");
    let env = env_of(&[
        ("PIXGATE_SERVER_LISTEN", "127.0.0.1:1"),
        ("PIXGATE_SERVER__LISTEN", "127.0.0.1:2"),
        ("PIXGATE_SOURCES_A_HMAC_KEYS", "old"),
        ("PIXGATE_SOURCES__A__HMAC_KEYS", "new"),
        ("PIXGATE_SOURCES_A_MD5_TOKENS", "old-only"),
    ]);
    let config = Config::from_toml(&text, base.path(), &env).unwrap();
    assert_eq!(config.server.listen, "127.0.0.1:2".parse().unwrap());
    assert_eq!(config.sources[0].hmac_keys, ["new"]);
    assert_eq!(config.sources[0].md5_tokens, ["old-only"]);
}

#[test]
fn bad_values_are_reported_under_their_key_naming_the_variable() {
    let base = base();
    let env = env_of(&[
        ("PIXGATE_SERVER__MAX_HEADERS", "lots"),
        ("PIXGATE_LIMITS__RENDER_TIMEOUT", "0s"),
        ("PIXGATE_UPLOADS__MAX_BYTES", "5 GiB"),
        ("PIXGATE_SOURCES__A__SECURE", "yes"),
        ("PIXGATE_SOURCES__A__HOSTS", "ok.example.com,*.example.com"),
    ]);
    // The file's own bad value is still reported, without an origin.
    let text = format!("[log]\nformat = \"xml\"\n{SOURCE_A}");
    let found: Vec<(String, Option<String>)> = problems_of(&text, base.path(), &env)
        .into_iter()
        .map(|p| (p.key, p.origin))
        .collect();
    let from = |var: &str| Some(var.to_owned());
    let want = [
        ("server.max_headers", from("PIXGATE_SERVER__MAX_HEADERS")),
        ("sources[0].secure", from("PIXGATE_SOURCES__A__SECURE")),
        (
            "limits.render_timeout",
            from("PIXGATE_LIMITS__RENDER_TIMEOUT"),
        ),
        ("uploads.max_bytes", from("PIXGATE_UPLOADS__MAX_BYTES")),
        ("log.format", None),
        ("sources[0].hosts[1]", from("PIXGATE_SOURCES__A__HOSTS")),
    ]
    .map(|(key, origin)| (key.to_owned(), origin));
    assert_eq!(found, want);

    let env = env_of(&[("PIXGATE_SERVER__MAX_HEADERS", "lots")]);
    let err = Config::from_toml(SOURCE_A, base.path(), &env).unwrap_err();
    let want = "server.max_headers (from PIXGATE_SERVER__MAX_HEADERS): \"lots\" is not";
    assert!(err.to_string().contains(want), "{err}");
}

#[test]
fn misspelt_double_underscore_variables_are_reported() {
    let base = base();
    let env = env_of(&[
        ("PIXGATE_X__Y", "1"),
        ("PIXGATE_SERVER__LISTN", "127.0.0.1:1"),
        ("PIXGATE_SOURCES__B__HMAC_KEYS", "k"),
        ("PIXGATE_SOURCES__A__HMAC_KEY", "k"),
        ("PIXGATE_SOURCES__A__NAME", "b"),
        // Not ours to judge: no `__`, as the scripts' PIXGATE_BIN.
        ("PIXGATE_BIN", "/usr/bin/pixgate"),
        ("PIXGATE_SERVER_LISTN", "x"),
    ]);
    let problems = problems_of(SOURCE_A, base.path(), &env);
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "PIXGATE_SERVER__LISTN",
            "PIXGATE_SOURCES__A__HMAC_KEY",
            "PIXGATE_SOURCES__A__NAME",
            "PIXGATE_SOURCES__B__HMAC_KEYS",
            "PIXGATE_X__Y",
        ]
    );
    let message = |key: &str| &problems.iter().find(|p| p.key == key).unwrap().message;
    assert!(
        message("PIXGATE_SERVER__LISTN").contains("PIXGATE_SERVER__LISTEN"),
        "lists the section's variables"
    );
    let undeclared = message("PIXGATE_SOURCES__B__HMAC_KEYS");
    assert!(
        undeclared.contains("\"a\"") && undeclared.contains("cannot add"),
        "{undeclared}"
    );
}
