//! Where a bucket's credentials come from, decided once at load time from the source's keys and
//! the [`Env`] snapshot, in the order the AWS SDKs use: the source's own keys, the `AWS_*` key
//! variables, web identity (STS), the ECS container endpoint, the EC2 instance metadata
//! service. Nothing here fetches anything: `source::remote::credentials` does, on demand.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use url::{Host, Url};

use super::env::Env;
use super::raw::RawSource;
use super::validate::Problems;

/// The one link of the chain that applies to a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// Requests are not signed (a public bucket): `anonymous = true`.
    Anonymous,
    /// Keys given outright: the source's own, or `AWS_ACCESS_KEY_ID` and friends.
    Static(S3Credentials),
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`: STS `AssumeRoleWithWebIdentity`.
    WebIdentity(Box<WebIdentity>),
    /// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `…_FULL_URI`: the ECS/EKS Pod Identity agent.
    Container(Box<Container>),
    /// The EC2 instance metadata service (IMDSv2), the last link.
    InstanceMetadata { endpoint: Url },
}

impl CredentialSource {
    /// The keys, for a source that was given them outright.
    pub fn keys(&self) -> Option<&S3Credentials> {
        match self {
            CredentialSource::Static(keys) => Some(keys),
            _ => None,
        }
    }
}

/// A key pair, with the session token of temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl S3Credentials {
    /// A long-lived key pair (no session token).
    pub fn new(access_key_id: &str, secret_access_key: &str) -> S3Credentials {
        S3Credentials {
            access_key_id: access_key_id.to_string(),
            secret_access_key: secret_access_key.to_string(),
            session_token: None,
        }
    }
}

/// The secret and the token stay out of logs and `check-config` output.
impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("with_session_token", &self.session_token.is_some())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentity {
    /// Read at every exchange: the platform rotates it.
    pub token_file: PathBuf,
    pub role_arn: String,
    pub session_name: String,
    /// `AWS_ENDPOINT_URL_STS`, else `https://sts.<region>.amazonaws.com/`.
    pub sts_endpoint: Url,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub url: Url,
    pub authorization: Option<ContainerAuthorization>,
}

/// The `Authorization` header for the container endpoint.
#[derive(Clone, PartialEq, Eq)]
pub enum ContainerAuthorization {
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, read at every fetch (EKS rotates it).
    File(PathBuf),
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    Token(String),
}

impl std::fmt::Debug for ContainerAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContainerAuthorization::File(path) => f.debug_tuple("File").field(path).finish(),
            ContainerAuthorization::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

const ECS_HOST: &str = "http://169.254.170.2";
const IMDS_ENDPOINT: &str = "http://169.254.169.254/";

/// The first link of the chain that the source's keys and `env` make apply. Half a key pair is
/// a mistake, not a reason to look further.
pub(super) fn credentials(
    problems: &mut Problems,
    at: &str,
    raw: &RawSource,
    region: &str,
    env: &Env,
) -> CredentialSource {
    let var = |name: &str| env.get(name).filter(|v| !v.trim().is_empty());
    if raw.anonymous == Some(true) {
        return CredentialSource::Anonymous;
    }
    let own_names = (
        format!("{at}.access_key_id"),
        format!("{at}.secret_access_key"),
    );
    let own = key_pair(
        problems,
        (&own_names.0, &own_names.1),
        raw.access_key_id.as_deref(),
        raw.secret_access_key.as_deref(),
        raw.session_token.as_deref(),
    );
    match own {
        Pair::Found(keys) => return CredentialSource::Static(keys),
        Pair::Broken => return CredentialSource::Anonymous,
        Pair::Absent if raw.session_token.as_deref().is_some_and(|t| !t.is_empty()) => {
            problems.push(
                format!("{at}.session_token"),
                "is used only with access_key_id and secret_access_key",
            );
            return CredentialSource::Anonymous;
        }
        Pair::Absent => {}
    }
    let from_env = key_pair(
        problems,
        ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
        var("AWS_ACCESS_KEY_ID"),
        var("AWS_SECRET_ACCESS_KEY"),
        var("AWS_SESSION_TOKEN"),
    );
    match from_env {
        Pair::Found(keys) => return CredentialSource::Static(keys),
        Pair::Broken => return CredentialSource::Anonymous,
        Pair::Absent => {}
    }
    if let Some(source) = web_identity(problems, region, &var) {
        return source;
    }
    if let Some(source) = container(problems, &var) {
        return source;
    }
    if var("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return CredentialSource::Anonymous;
    }
    let endpoint = var("AWS_EC2_METADATA_SERVICE_ENDPOINT").unwrap_or(IMDS_ENDPOINT);
    match Url::parse(endpoint) {
        Ok(endpoint) => CredentialSource::InstanceMetadata { endpoint },
        Err(e) => {
            problems.push(
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                format!("{endpoint:?} is not a URL: {e}"),
            );
            CredentialSource::Anonymous
        }
    }
}

enum Pair {
    Found(S3Credentials),
    Absent,
    /// Reported already.
    Broken,
}

/// `names`: where the id and the secret are set, for problems.
fn key_pair(
    problems: &mut Problems,
    names: (&str, &str),
    id: Option<&str>,
    secret: Option<&str>,
    token: Option<&str>,
) -> Pair {
    let some = |v: Option<&str>| v.filter(|v| !v.is_empty()).map(str::to_string);
    match (some(id), some(secret)) {
        (Some(access_key_id), Some(secret_access_key)) => Pair::Found(S3Credentials {
            access_key_id,
            secret_access_key,
            session_token: some(token),
        }),
        (None, None) => Pair::Absent,
        (Some(_), None) => {
            problems.push(names.1, format!("is required with {}", names.0));
            Pair::Broken
        }
        (None, Some(_)) => {
            problems.push(names.0, format!("is required with {}", names.1));
            Pair::Broken
        }
    }
}

fn web_identity<'a>(
    problems: &mut Problems,
    region: &str,
    var: &impl Fn(&str) -> Option<&'a str>,
) -> Option<CredentialSource> {
    let token_file = var("AWS_WEB_IDENTITY_TOKEN_FILE")?;
    let Some(role_arn) = var("AWS_ROLE_ARN") else {
        problems.push(
            "AWS_ROLE_ARN",
            "is required with AWS_WEB_IDENTITY_TOKEN_FILE: the role to assume",
        );
        return Some(CredentialSource::Anonymous);
    };
    let sts = var("AWS_ENDPOINT_URL_STS")
        .map(str::to_string)
        .unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com/"));
    let sts_endpoint = match Url::parse(&sts) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url,
        _ => {
            problems.push(
                "AWS_ENDPOINT_URL_STS",
                format!("{sts:?} is not an http(s) URL"),
            );
            return Some(CredentialSource::Anonymous);
        }
    };
    Some(CredentialSource::WebIdentity(Box::new(WebIdentity {
        token_file: PathBuf::from(token_file),
        role_arn: role_arn.to_string(),
        session_name: var("AWS_ROLE_SESSION_NAME")
            .unwrap_or("pixgate")
            .to_string(),
        sts_endpoint,
    })))
}

/// The relative URI wins over the full one, as in the SDKs. A full `http://` URI must be on
/// loopback or one of the container agents' addresses: the token is sent to it.
fn container<'a>(
    problems: &mut Problems,
    var: &impl Fn(&str) -> Option<&'a str>,
) -> Option<CredentialSource> {
    let (name, text) = match var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        Some(relative) => (
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            format!("{ECS_HOST}{relative}"),
        ),
        None => (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            var("AWS_CONTAINER_CREDENTIALS_FULL_URI")?.to_string(),
        ),
    };
    let url = match Url::parse(&text) {
        Ok(url) if allowed_container_url(&url) => url,
        Ok(_) => {
            problems.push(
                name,
                format!(
                    "{text:?} must be https, or http on loopback, 169.254.170.2, \
                     169.254.170.23 or fd00:ec2::23"
                ),
            );
            return Some(CredentialSource::Anonymous);
        }
        Err(e) => {
            problems.push(name, format!("{text:?} is not a URL: {e}"));
            return Some(CredentialSource::Anonymous);
        }
    };
    let authorization = match var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
        Some(file) => Some(ContainerAuthorization::File(PathBuf::from(file))),
        None => var("AWS_CONTAINER_AUTHORIZATION_TOKEN")
            .map(|token| ContainerAuthorization::Token(token.to_string())),
    };
    Some(CredentialSource::Container(Box::new(Container {
        url,
        authorization,
    })))
}

fn allowed_container_url(url: &Url) -> bool {
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(Host::Domain(name)) => return url.scheme() == "https" || name == "localhost",
        None => return false,
    };
    match url.scheme() {
        "https" => true,
        "http" => {
            ip.is_loopback()
                || ip == IpAddr::V4(Ipv4Addr::new(169, 254, 170, 2))
                || ip == IpAddr::V4(Ipv4Addr::new(169, 254, 170, 23))
                || ip == IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23))
        }
        _ => false,
    }
}
