//! `pixgate check-config` (contract §7, §8): exit 0 on a good file, non-zero with the offending
//! key named on stderr otherwise; secrets may come from the environment instead of the file.

use crate::support::binary::run_pixgate;

/// A config file in its own folder, with a `pics` folder beside it for relative roots.
struct ConfigFile {
    dir: tempfile::TempDir,
}

impl ConfigFile {
    fn new(toml: &str) -> ConfigFile {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pics")).unwrap();
        std::fs::write(dir.path().join("pixgate.toml"), toml).unwrap();
        ConfigFile { dir }
    }

    fn check(&self, env: &[(&str, &str)]) -> (bool, String, String) {
        let path = self.dir.path().join("pixgate.toml").display().to_string();
        run_pixgate(&["check-config", "--config", &path], env)
    }
}

const GOOD: &str = r#"
[server]
listen = "127.0.0.1:0"

[cache]
max_bytes = "64MiB"

[[sources]]
name = "demo"
root = "pics"
private_prefixes = ["private/"]
md5_tokens = ["t1", "t2"]
hmac_keys = ["k1"]
default_ttl = "7d"
max_ttl = "5m"

[[sources]]
name = "shop"
root = "pics"
prefix = "/shop"
hosts = ["img.shop.test"]
secure = true
hmac_keys = ["shop-key"]
"#;

#[test]
fn check_config_accepts_a_good_file() {
    let (ok, stdout, stderr) = ConfigFile::new(GOOD).check(&[]);
    assert!(ok, "stdout: {stdout}\nstderr: {stderr}");
}

#[test]
fn check_config_rejects_bad_files_and_names_the_key() {
    let cases = [
        (
            "secure source without a secret",
            r#"
[[sources]]
name = "demo"
root = "pics"
secure = true
"#,
            "sources[0].secure",
        ),
        (
            "a duration without a unit pixgate knows",
            r#"
[[sources]]
name = "demo"
root = "pics"
default_ttl = "5 minutes"
"#,
            "sources[0].default_ttl",
        ),
        (
            "two sources with the same prefix and host",
            r#"
[[sources]]
name = "a"
root = "pics"
prefix = "/img"
hosts = ["img.test"]

[[sources]]
name = "b"
root = "pics"
prefix = "/img"
hosts = ["img.test"]
"#,
            "sources[1].prefix",
        ),
        (
            "an unknown key",
            r#"
[[sources]]
name = "demo"
root = "pics"
colour_profile = "srgb"
"#,
            "colour_profile",
        ),
        (
            "a root that does not exist",
            r#"
[[sources]]
name = "demo"
root = "no-such-folder"
"#,
            "sources[0].root",
        ),
    ];
    for (what, toml, key) in cases {
        let (ok, stdout, stderr) = ConfigFile::new(toml).check(&[]);
        assert!(!ok, "{what}: accepted\nstdout: {stdout}");
        assert!(
            stderr.contains(key),
            "{what}: stderr does not name {key}:\n{stderr}"
        );
    }
}

#[test]
fn secret_from_the_environment_makes_a_secure_source_valid() {
    let file = ConfigFile::new(
        r#"
[[sources]]
name = "demo"
root = "pics"
secure = true
"#,
    );
    let (ok, _, stderr) = file.check(&[]);
    assert!(!ok && stderr.contains("sources[0].secure"), "{stderr}");
    let (ok, stdout, stderr) = file.check(&[("PIXGATE_SOURCES_DEMO_MD5_TOKENS", "from-env")]);
    assert!(ok, "stdout: {stdout}\nstderr: {stderr}");
}
