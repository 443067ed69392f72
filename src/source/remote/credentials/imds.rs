//! The EC2 instance metadata service, version 2 only: a session token from a `PUT`, then the
//! role's name and its credentials, each `GET` carrying the token. IMDSv1 (no token) is never
//! used: instances that require v2 are the safe default and the ones worth supporting.

use std::time::Duration;

use url::Url;

use super::{Fetched, document, fetch_text};

const TOKEN_PATH: &str = "latest/api/token";
const ROLES_PATH: &str = "latest/meta-data/iam/security-credentials/";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
/// The session token's life; one is asked for at every refresh, so a short one is enough.
const TOKEN_TTL_SECONDS: &str = "300";

pub(super) async fn fetch(
    client: &reqwest::Client,
    endpoint: &Url,
    timeout: Duration,
) -> Result<Fetched, String> {
    let url = |path: &str| {
        endpoint
            .join(path)
            .map_err(|e| format!("the metadata endpoint is not a base URL: {e}"))
    };
    let put = client
        .put(url(TOKEN_PATH)?)
        .header("x-aws-ec2-metadata-token-ttl-seconds", TOKEN_TTL_SECONDS);
    let token = fetch_text(put, timeout)
        .await
        .map_err(|e| format!("the session token: {e}"))?;
    let mut token = reqwest::header::HeaderValue::from_str(token.trim())
        .map_err(|_| "the session token is not a header value".to_string())?;
    token.set_sensitive(true);
    let roles = client
        .get(url(ROLES_PATH)?)
        .header(TOKEN_HEADER, token.clone());
    let roles = fetch_text(roles, timeout)
        .await
        .map_err(|e| format!("the instance's role: {e}"))?;
    let role = roles
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .ok_or("the instance has no role")?;
    if role.contains(['/', '?', '#']) || role == ".." {
        return Err("the role's name is not a path segment".into());
    }
    let credentials = client
        .get(url(&format!("{ROLES_PATH}{role}"))?)
        .header(TOKEN_HEADER, token);
    let text = fetch_text(credentials, timeout)
        .await
        .map_err(|e| format!("the role's credentials: {e}"))?;
    document::from_json(&text)
}
