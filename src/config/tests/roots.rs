//! `root` kinds: a folder, `s3://bucket/prefix`, `http(s)://origin/base/`, the keys each kind
//! takes, and the keys it refuses.

use super::*;

fn source(lines: &str) -> String {
    format!("[[sources]]\nname = \"media\"\n{lines}\n")
}

#[test]
fn s3_roots_parse_with_their_keys_and_defaults() {
    let base = base();
    let text = source(
        "root = \"s3://images/originals/\"\nendpoint = \"http://127.0.0.1:9000\"\n\
         access_key_id = \"AKID\"\nsecret_access_key = \"secret\"\nrevalidate_after = \"5m\"",
    );
    let config = parse(&text, base.path());
    let media = &config.sources[0];
    let Root::S3(s3) = &media.root else {
        panic!("not an S3 root: {:?}", media.root);
    };
    assert_eq!(s3.bucket, "images");
    assert_eq!(s3.prefix, "originals/");
    assert_eq!(s3.endpoint.as_str(), "http://127.0.0.1:9000/");
    assert_eq!(s3.region, "us-east-1");
    assert!(s3.path_style, "an explicit endpoint defaults to path-style");
    let credentials = s3.credentials.keys().unwrap();
    assert_eq!(credentials.access_key_id, "AKID");
    assert_eq!(credentials.secret_access_key, "secret");
    assert!(s3.staging_dir.ends_with("pixgate-staging/media"));
    assert_eq!(media.revalidate_after, Duration::from_secs(300));
    assert!(
        !format!("{:?}", media.root).contains("secret"),
        "Debug shows the secret"
    );

    let aws = parse(
        &source("root = \"s3://images\"\nregion = \"eu-west-1\""),
        base.path(),
    );
    let Root::S3(s3) = &aws.sources[0].root else {
        panic!("not an S3 root");
    };
    assert_eq!(s3.endpoint.as_str(), "https://s3.eu-west-1.amazonaws.com/");
    assert_eq!(s3.prefix, "");
    assert!(!s3.path_style);
    assert!(
        matches!(&s3.credentials, CredentialSource::InstanceMetadata { endpoint }
            if endpoint.as_str() == "http://169.254.169.254/"),
        "no keys anywhere: instance metadata, the last link of the chain"
    );
}

#[test]
fn s3_credentials_fall_back_to_the_standard_aws_variables() {
    let base = base();
    let env = env_of(&[("AWS_ACCESS_KEY_ID", "A"), ("AWS_SECRET_ACCESS_KEY", "S")]);
    let text = source("root = \"s3://images\"");
    let config = Config::from_toml(&text, base.path(), &env).unwrap();
    let Root::S3(s3) = &config.sources[0].root else {
        panic!("not an S3 root");
    };
    assert_eq!(s3.credentials.keys().unwrap().access_key_id, "A");
    let own = source("root = \"s3://images\"\naccess_key_id = \"mine\"\nsecret_access_key = \"x\"");
    let config = Config::from_toml(&own, base.path(), &env).unwrap();
    let Root::S3(s3) = &config.sources[0].root else {
        panic!("not an S3 root");
    };
    assert_eq!(s3.credentials.keys().unwrap().access_key_id, "mine");
}

#[test]
fn http_roots_get_a_trailing_slash_and_their_keys() {
    let base = base();
    let text = source(
        "root = \"https://origin.example.com/images\"\nallowed_networks = [\"10.0.0.0/8\"]\n\
         max_redirects = 1",
    );
    let config = parse(&text, base.path());
    let Root::Http(http) = &config.sources[0].root else {
        panic!("not an HTTP root");
    };
    assert_eq!(http.base.as_str(), "https://origin.example.com/images/");
    assert_eq!(http.allowed_networks, ["10.0.0.0/8".parse().unwrap()]);
    assert_eq!(http.max_redirects, 1);
    let plain = parse(&source("root = \"http://origin.example.com\""), base.path());
    let Root::Http(http) = &plain.sources[0].root else {
        panic!("not an HTTP root");
    };
    assert_eq!(http.base.as_str(), "http://origin.example.com/");
    assert!(
        http.allowed_networks.is_empty(),
        "the SSRF guard is on by default"
    );
    assert_eq!(http.max_redirects, 3);
}

#[test]
fn bad_roots_and_misplaced_keys_are_one_problem_each() {
    let base = base();
    let cases = [
        ("sources[0].root", "root = \"s3://Bad_Bucket/x\""),
        ("sources[0].root", "root = \"s3://ab\""),
        ("sources[0].root", "root = \"s3://images/a//b\""),
        ("sources[0].root", "root = \"s3://images/../b\""),
        ("sources[0].root", "root = \"ftp://origin.example.com/\""),
        (
            "sources[0].root",
            "root = \"https://user:pw@origin.example.com/\"",
        ),
        (
            "sources[0].root",
            "root = \"https://origin.example.com/?a=1\"",
        ),
        ("sources[0].root", "root = \"https://\""),
        (
            "sources[0].endpoint",
            "root = \"s3://images\"\nendpoint = \"not a url\"",
        ),
        (
            "sources[0].secret_access_key",
            "root = \"s3://images\"\naccess_key_id = \"only half\"",
        ),
        (
            "sources[0].endpoint",
            "root = \"fixtures\"\nendpoint = \"http://x\"",
        ),
        (
            "sources[0].path_style",
            "root = \"https://o.example\"\npath_style = true",
        ),
        (
            "sources[0].allowed_networks",
            "root = \"s3://images\"\nallowed_networks = [\"10.0.0.0/8\"]",
        ),
        (
            "sources[0].allowed_networks[0]",
            "root = \"https://o.example\"\nallowed_networks = [\"10.0.0.0/33\"]",
        ),
        (
            "sources[0].max_redirects",
            "root = \"https://o.example\"\nmax_redirects = -1",
        ),
        (
            "sources[0].max_redirects",
            "root = \"https://o.example\"\nmax_redirects = 50",
        ),
        (
            "sources[0].revalidate_after",
            "root = \"fixtures\"\nrevalidate_after = \"1m\"",
        ),
    ];
    for (key, lines) in cases {
        let keys = problem_keys(&source(lines), base.path(), &no_env());
        assert_eq!(keys, [key], "--- in ---\n{lines}");
    }
}

#[test]
fn remote_keys_come_from_the_environment_too() {
    let base = base();
    let env = env_of(&[
        ("PIXGATE_SOURCES__MEDIA__SECRET_ACCESS_KEY", "from-env"),
        ("PIXGATE_SOURCES__MEDIA__ACCESS_KEY_ID", "AKID"),
    ]);
    let config = Config::from_toml(&source("root = \"s3://images\""), base.path(), &env).unwrap();
    let Root::S3(s3) = &config.sources[0].root else {
        panic!("not an S3 root");
    };
    assert_eq!(s3.credentials.keys().unwrap().secret_access_key, "from-env");
}

#[test]
fn two_bucket_sources_cannot_share_a_staging_folder() {
    let base = base();
    let text = "[[sources]]\nname = \"a\"\nroot = \"s3://images\"\nprefix = \"/a\"\n\
                staging_dir = \"stage\"\n\
                [[sources]]\nname = \"b\"\nroot = \"s3://other\"\nprefix = \"/b\"\n\
                staging_dir = \"stage\"\n";
    let keys = problem_keys(text, base.path(), &no_env());
    assert_eq!(keys, ["sources[1].staging_dir"]);
    let apart = text.replacen("staging_dir = \"stage\"", "staging_dir = \"stage-a\"", 1);
    assert_eq!(parse(&apart, base.path()).sources.len(), 2);
}

#[test]
fn the_fonts_folder_is_resolved_like_a_root_and_must_exist() {
    let base = base();
    let text = format!("[text]\nfonts_dir = \"fixtures\"\n{SOURCE_A}");
    let config = parse(&text, base.path());
    assert_eq!(config.text.fonts_dir, Some(fixtures(&base)));
    assert_eq!(parse(SOURCE_A, base.path()).text.fonts_dir, None);
    let missing = format!("[text]\nfonts_dir = \"no-fonts-here\"\n{SOURCE_A}");
    assert_eq!(
        problem_keys(&missing, base.path(), &no_env()),
        ["text.fonts_dir"]
    );
}

#[test]
fn the_disk_tier_is_off_by_default_and_never_inside_a_source_folder() {
    let base = base();
    let config = parse(SOURCE_A, base.path());
    assert_eq!(config.cache.disk.dir, None);
    assert_eq!(config.cache.disk.max_bytes, 1 << 30);
    let text = format!("[cache.disk]\ndir = \"derivatives\"\nmax_bytes = \"2GiB\"\n{SOURCE_A}");
    let config = parse(&text, base.path());
    assert_eq!(config.cache.disk.dir, Some(base.path().join("derivatives")));
    assert_eq!(config.cache.disk.max_bytes, 2 << 30);
    let inside = format!("[cache.disk]\ndir = \"fixtures/cache\"\n{SOURCE_A}");
    assert_eq!(
        problem_keys(&inside, base.path(), &no_env()),
        ["cache.disk.dir"]
    );
    let env = env_of(&[("PIXGATE_CACHE__DISK__MAX_BYTES", "0")]);
    assert_eq!(
        problem_keys(SOURCE_A, base.path(), &env),
        ["cache.disk.max_bytes"]
    );
}

#[test]
fn presets_and_widths_are_checked_at_load() {
    let base = base();
    let text = format!(
        "[[presets]]\nname = \"thumb\"\nparams = \"w=200&h=200&fit=crop\"\n\
         {SOURCE_A}presets_only = true\nwidths = [640, 320, 320]\n"
    );
    let config = parse(&text, base.path());
    assert_eq!(config.presets[0].name, "thumb");
    assert!(config.sources[0].presets_only);
    assert_eq!(config.sources[0].widths, [320, 640]);
    let env = env_of(&[("PIXGATE_SOURCES__A__WIDTHS", "100,200")]);
    let from_env = Config::from_toml(SOURCE_A, base.path(), &env).unwrap();
    assert_eq!(from_env.sources[0].widths, [100, 200]);
    for (bad, key) in [
        (
            "[[presets]]\nname = \"thumb\"\nparams = \"w=banana\"\n",
            "presets[0].params",
        ),
        (
            "[[presets]]\nname = \"thumb\"\nparams = \"txt=hi&rot=45\"\n",
            "presets[0].params",
        ),
        (
            "[[presets]]\nname = \"a b\"\nparams = \"w=1\"\n",
            "presets[0].name",
        ),
        (
            "[[presets]]\nname = \"x\"\nparams = \"preset=y\"\n",
            "presets[0].params",
        ),
        (
            "[[presets]]\nname = \"x\"\nparams = \"ixlib=js\"\n",
            "presets[0].params",
        ),
    ] {
        let text = format!("{bad}{SOURCE_A}");
        assert_eq!(problem_keys(&text, base.path(), &no_env()), [key], "{bad}");
    }
    let twice = format!(
        "[[presets]]\nname = \"x\"\nparams = \"w=1\"\n[[presets]]\nname = \"x\"\nparams = \"w=2\"\n{SOURCE_A}"
    );
    assert_eq!(
        problem_keys(&twice, base.path(), &no_env()),
        ["presets[1].name"]
    );
    let widths = format!("{SOURCE_A}widths = [0, 9000]\n");
    assert_eq!(
        problem_keys(&widths, base.path(), &no_env()),
        ["sources[0].widths", "sources[0].widths"]
    );
}

#[test]
fn a_fallback_is_a_public_key_with_a_sensible_status() {
    let base = base();
    let text = format!("{SOURCE_A}fallback = \"/errors/missing.png\"\nfallback_status = 410\n");
    let config = parse(&text, base.path());
    assert_eq!(
        config.sources[0].fallback.as_deref(),
        Some("errors/missing.png")
    );
    assert_eq!(config.sources[0].fallback_status, 410);
    assert_eq!(parse(SOURCE_A, base.path()).sources[0].fallback_status, 404);
    for (lines, key) in [
        (
            "fallback = \"private/x.png\"\nprivate_prefixes = [\"private\"]\nmd5_tokens = [\"t\"]\n",
            "sources[0].fallback",
        ),
        ("fallback = \"a/../b.png\"\n", "sources[0].fallback"),
        ("fallback_status = 302\n", "sources[0].fallback_status"),
    ] {
        let text = format!("{SOURCE_A}{lines}");
        assert_eq!(
            problem_keys(&text, base.path(), &no_env()),
            [key],
            "{lines}"
        );
    }
}
