//! Web identity: the token file's contents exchanged at STS (`AssumeRoleWithWebIdentity`, an
//! unsigned request) for temporary credentials of `AWS_ROLE_ARN`. The token is sent in a POST
//! body, never in a URL, so no error or log line can carry it.

use std::time::Duration;

use super::{Fetched, document};
use crate::config::WebIdentity;

pub(super) async fn assume_role(
    client: &reqwest::Client,
    identity: &WebIdentity,
    timeout: Duration,
) -> Result<Fetched, String> {
    // Read at every exchange: Kubernetes and EKS rotate the file under us.
    let token = tokio::fs::read_to_string(&identity.token_file)
        .await
        .map_err(|e| format!("reading the web identity token file: {}", e.kind()))?;
    let form = [
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", identity.role_arn.as_str()),
        ("RoleSessionName", identity.session_name.as_str()),
        ("WebIdentityToken", token.trim()),
    ];
    let body = serde_urlencoded::to_string(form).map_err(|e| e.to_string())?;
    let request = client
        .post(identity.sts_endpoint.clone())
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body);
    let response = request
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| super::client::classify(&e).to_string())?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| super::client::classify(&e).to_string())?;
    if !status.is_success() {
        let code = document::sts_error_code(&text).unwrap_or_default();
        return Err(format!("STS answered {status} {code}"));
    }
    document::from_sts_xml(&text)
}
