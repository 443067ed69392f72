//! The container credentials endpoint (ECS task roles, EKS Pod Identity): one GET, with the
//! authorization token as `Authorization` when one is configured.

use std::time::Duration;

use super::{Fetched, document, fetch_text};
use crate::config::{Container, ContainerAuthorization};

pub(super) async fn fetch(
    client: &reqwest::Client,
    container: &Container,
    timeout: Duration,
) -> Result<Fetched, String> {
    let mut request = client.get(container.url.clone());
    let token = match &container.authorization {
        // Read at every fetch: EKS rotates the file.
        Some(ContainerAuthorization::File(path)) => Some(
            tokio::fs::read_to_string(path)
                .await
                .map_err(|e| format!("reading the authorization token file: {}", e.kind()))?
                .trim()
                .to_string(),
        ),
        Some(ContainerAuthorization::Token(token)) => Some(token.clone()),
        None => None,
    };
    if let Some(token) = token {
        let mut value = reqwest::header::HeaderValue::from_str(&token)
            .map_err(|_| "the authorization token is not a header value".to_string())?;
        value.set_sensitive(true);
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    document::from_json(&fetch_text(request, timeout).await?)
}
