//! The credential chain's order as the AWS SDKs have it: the source's keys, the key variables,
//! web identity, the container endpoint, instance metadata; `anonymous` skips it all.

use super::*;
use crate::config::{ContainerAuthorization, CredentialSource};

fn chain(lines: &str, env: &[(&str, &str)]) -> CredentialSource {
    let base = base();
    let text = format!("[[sources]]\nname = \"media\"\nroot = \"s3://images\"\n{lines}\n");
    let config = Config::from_toml(&text, base.path(), &env_of(env))
        .unwrap_or_else(|e| panic!("{e}\n--- in ---\n{text}"));
    let Root::S3(s3) = &config.sources[0].root else {
        panic!("not an S3 root");
    };
    s3.credentials.clone()
}

const KEYS: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "ENVKEY"),
    ("AWS_SECRET_ACCESS_KEY", "envsecret"),
    ("AWS_SESSION_TOKEN", "envtoken"),
];
const WEB: [(&str, &str); 3] = [
    ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
    ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
    ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1/"),
];
const ECS: [(&str, &str); 2] = [
    (
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://127.0.0.1:2/creds",
    ),
    ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth"),
];

#[test]
fn each_link_applies_only_when_the_ones_before_it_do_not() {
    let own = "access_key_id = \"OWN\"\nsecret_access_key = \"s\"\nsession_token = \"t\"";
    let all: Vec<(&str, &str)> = KEYS.iter().chain(&WEB).chain(&ECS).copied().collect();
    let keys = chain(own, &all);
    let keys = keys.keys().unwrap();
    assert_eq!(keys.access_key_id, "OWN");
    assert_eq!(keys.session_token.as_deref(), Some("t"));

    let from_env = chain("", &all);
    let from_env = from_env.keys().unwrap();
    assert_eq!(from_env.access_key_id, "ENVKEY");
    assert_eq!(from_env.session_token.as_deref(), Some("envtoken"));

    let later: Vec<(&str, &str)> = WEB.iter().chain(&ECS).copied().collect();
    let CredentialSource::WebIdentity(web) = chain("", &later) else {
        panic!("not web identity");
    };
    assert_eq!(web.role_arn, "arn:aws:iam::1:role/r");
    assert_eq!(web.session_name, "pixgate");
    assert_eq!(web.sts_endpoint.as_str(), "http://127.0.0.1:1/");

    let CredentialSource::Container(ecs) = chain("", &ECS) else {
        panic!("not the container endpoint");
    };
    assert_eq!(ecs.url.as_str(), "http://127.0.0.1:2/creds");
    assert!(matches!(ecs.authorization, Some(ContainerAuthorization::Token(ref t)) if t == "auth"));
    let relative = chain(
        "",
        &[
            (
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "/v2/credentials/x",
            ),
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://127.0.0.1:2/creds",
            ),
        ],
    );
    let CredentialSource::Container(relative) = relative else {
        panic!("not the container endpoint");
    };
    assert_eq!(
        relative.url.as_str(),
        "http://169.254.170.2/v2/credentials/x"
    );

    let imds = chain(
        "",
        &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:3/")],
    );
    assert!(
        matches!(imds, CredentialSource::InstanceMetadata { ref endpoint } if endpoint.port() == Some(3))
    );
    let disabled = chain("", &[("AWS_EC2_METADATA_DISABLED", "true")]);
    assert_eq!(disabled, CredentialSource::Anonymous);
    assert_eq!(chain("anonymous = true", &all), CredentialSource::Anonymous);
}

#[test]
fn half_configured_links_are_problems_naming_the_variable() {
    let base = base();
    let text = "[[sources]]\nname = \"media\"\nroot = \"s3://images\"\n";
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("AWS_ACCESS_KEY_ID", "A")], "AWS_SECRET_ACCESS_KEY"),
        (&[("AWS_WEB_IDENTITY_TOKEN_FILE", "/t")], "AWS_ROLE_ARN"),
        (
            &[(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://10.0.0.1/creds",
            )],
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ),
        (
            &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "not a url")],
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        ),
        (
            &[
                ("AWS_WEB_IDENTITY_TOKEN_FILE", "/t"),
                ("AWS_ROLE_ARN", "r"),
                ("AWS_ENDPOINT_URL_STS", "ftp://x"),
            ],
            "AWS_ENDPOINT_URL_STS",
        ),
    ];
    for (env, want) in cases {
        assert_eq!(
            problem_keys(text, base.path(), &env_of(env)),
            [want],
            "{env:?}"
        );
    }
    let token_alone = format!("{text}session_token = \"t\"\n");
    assert_eq!(
        problem_keys(&token_alone, base.path(), &no_env()),
        ["sources[0].session_token"]
    );
}

#[test]
fn debug_output_shows_no_secret_or_token() {
    let own = "access_key_id = \"OWNKEY\"\nsecret_access_key = \"hush-secret\"\nsession_token = \"hush-token\"";
    let debug = format!("{:?}", chain(own, &[]));
    assert!(debug.contains("OWNKEY"), "{debug}");
    assert!(!debug.contains("hush"), "{debug}");
    let ecs = format!(
        "{:?}",
        chain(
            "",
            &[ECS[0], ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "hush-auth")]
        )
    );
    assert!(!ecs.contains("hush"), "{ecs}");
}

#[test]
fn the_shared_tier_walks_the_same_chain() {
    let base = base();
    let shared = |lines: &str, env: &[(&str, &str)]| {
        let text = format!("[cache.shared]\nroot = \"s3://cache\"\n{lines}\n{SOURCE_A}");
        let config = Config::from_toml(&text, base.path(), &env_of(env))
            .unwrap_or_else(|e| panic!("{e}\n--- in ---\n{text}"));
        config.cache.shared.bucket.unwrap().credentials
    };
    assert!(matches!(shared("", &WEB), CredentialSource::WebIdentity(_)));
    assert!(matches!(shared("", &ECS), CredentialSource::Container(_)));
    assert_eq!(
        shared("anonymous = true", &WEB),
        CredentialSource::Anonymous
    );
    let own = shared(
        "access_key_id = \"K\"\nsecret_access_key = \"S\"\nsession_token = \"T\"",
        &WEB,
    );
    assert_eq!(own.keys().unwrap().session_token.as_deref(), Some("T"));
}
