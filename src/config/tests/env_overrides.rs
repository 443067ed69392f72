//! The environment replaces secrets and the listen address, for the named source only.

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
