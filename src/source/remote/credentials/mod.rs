//! The keys a bucket's requests are signed with, as [`CredentialSource`] says to get them:
//! given outright, or fetched from STS, the container endpoint or instance metadata and kept
//! until shortly before they expire. Concurrent refreshes share one request; a failed refresh
//! keeps the old keys while they are still valid, and is retried after a pause. Secrets never reach a log: causes name the
//! provider and the status, never a key, token or request body.

mod container;
mod document;
mod imds;
mod sts;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use rusty_s3::Credentials;

use super::client::{self, Reach};
use super::flights::Flights;
use crate::config::CredentialSource;
use crate::source::SourceError;

/// Temporary credentials are replaced when less than this is left of them, so a request
/// signed now is still valid when the bucket reads it (the SDKs use 5 minutes too).
const REFRESH_BEFORE: Duration = Duration::from_secs(300);
/// Credentials that say nothing of their expiry are asked for again after this.
const ASSUMED_LIFE: Duration = Duration::from_secs(900);
/// After a failed refresh, keys that are still valid are used this long before the endpoint is
/// asked again, so a failing endpoint is not asked (and logged) once per request.
const RETRY_AFTER: Duration = Duration::from_secs(10);
/// Bounds each request to a credential endpoint, connecting included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Credentials and when they stop working.
#[derive(Clone)]
struct Held {
    credentials: Arc<Credentials>,
    expires: SystemTime,
}

/// What a provider answered: keys with their expiry, if it gave one.
pub(super) struct Fetched {
    pub credentials: Credentials,
    pub expires: Option<SystemTime>,
}

/// The secret and token stay out of Debug: rusty-s3's own Debug shows only the key id.
impl std::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetched")
            .field("credentials", &self.credentials)
            .field("expires", &self.expires)
            .finish()
    }
}

/// One bucket's credentials.
pub struct Provider {
    source: CredentialSource,
    /// Keys given outright: used as they are, never refreshed.
    fixed: Option<Arc<Credentials>>,
    client: reqwest::Client,
    held: Mutex<Option<Held>>,
    /// When the last refresh failed, if the last one did.
    failed_at: Mutex<Option<Instant>>,
    refreshes: Flights<Result<Held, String>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("source", &self.source)
            .finish()
    }
}

impl Provider {
    /// Fails only when the HTTP client cannot be built.
    pub fn new(source: &CredentialSource) -> Result<Provider, String> {
        let fixed = source.keys().map(|keys| {
            Arc::new(match &keys.session_token {
                Some(token) => {
                    Credentials::new_with_token(&keys.access_key_id, &keys.secret_access_key, token)
                }
                None => Credentials::new(&keys.access_key_id, &keys.secret_access_key),
            })
        });
        Ok(Provider {
            source: source.clone(),
            fixed,
            client: client::build(&Reach::Configured, 0).map_err(|e| e.to_string())?,
            held: Mutex::new(None),
            failed_at: Mutex::new(None),
            refreshes: Flights::default(),
        })
    }

    /// The keys to sign with now; `None` for an anonymous bucket. Fetches or refreshes them
    /// when they are missing or due; the error's cause is for the log.
    pub async fn current(&self) -> Result<Option<Arc<Credentials>>, SourceError> {
        match &self.source {
            CredentialSource::Anonymous => return Ok(None),
            CredentialSource::Static(_) => return Ok(self.fixed.clone()),
            _ => {}
        }
        let now = SystemTime::now();
        let held = self.held();
        if let Some(held) = held
            .as_ref()
            .filter(|h| !due(h, now) || self.resting(h, now))
        {
            return Ok(Some(Arc::clone(&held.credentials)));
        }
        let refresh = || async {
            // Looked at again: the refresh before this one may have just ended.
            match self.held().filter(|h| !due(h, SystemTime::now())) {
                Some(held) => Ok(held),
                None => self.refresh().await,
            }
        };
        match self.refreshes.share("", refresh).await {
            Ok(held) => Ok(Some(held.credentials)),
            Err(cause) => match held.filter(|h| h.expires > SystemTime::now()) {
                Some(old) => Ok(Some(old.credentials)),
                None => Err(SourceError::Io(format!(
                    "no credentials for the bucket: {cause}"
                ))),
            },
        }
    }

    /// A refresh failed less than [`RETRY_AFTER`] ago and `held` is still valid.
    fn resting(&self, held: &Held, now: SystemTime) -> bool {
        let failed_at = *self
            .failed_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        held.expires > now && failed_at.is_some_and(|at| at.elapsed() < RETRY_AFTER)
    }

    fn held(&self) -> Option<Held> {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Fetches new keys and keeps them; a failure is logged once here, for all the callers
    /// that shared it.
    async fn refresh(&self) -> Result<Held, String> {
        let fetched = match &self.source {
            CredentialSource::Anonymous | CredentialSource::Static(_) => {
                return Err("the source has no provider to refresh from".into());
            }
            CredentialSource::WebIdentity(identity) => {
                sts::assume_role(&self.client, identity, FETCH_TIMEOUT).await
            }
            CredentialSource::Container(container) => {
                container::fetch(&self.client, container, FETCH_TIMEOUT).await
            }
            CredentialSource::InstanceMetadata { endpoint } => {
                imds::fetch(&self.client, endpoint, FETCH_TIMEOUT).await
            }
        };
        match fetched {
            Ok(fetched) => {
                let held = Held {
                    expires: fetched
                        .expires
                        .unwrap_or_else(|| SystemTime::now() + ASSUMED_LIFE),
                    credentials: Arc::new(fetched.credentials),
                };
                tracing::info!(
                    provider = self.name(),
                    access_key_id = held.credentials.key(),
                    "bucket credentials fetched"
                );
                *self.held.lock().unwrap_or_else(PoisonError::into_inner) = Some(held.clone());
                *self
                    .failed_at
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = None;
                Ok(held)
            }
            Err(cause) => {
                *self
                    .failed_at
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
                let still_valid = self.held().is_some_and(|h| h.expires > SystemTime::now());
                tracing::warn!(
                    provider = self.name(),
                    error = %cause,
                    still_valid,
                    "fetching bucket credentials failed"
                );
                Err(format!("{}: {cause}", self.name()))
            }
        }
    }

    fn name(&self) -> &'static str {
        match self.source {
            CredentialSource::Anonymous => "none",
            CredentialSource::Static(_) => "static keys",
            CredentialSource::WebIdentity(_) => "web identity (STS)",
            CredentialSource::Container(_) => "container endpoint",
            CredentialSource::InstanceMetadata { .. } => "instance metadata (IMDSv2)",
        }
    }
}

/// Missing or within [`REFRESH_BEFORE`] of expiring.
fn due(held: &Held, now: SystemTime) -> bool {
    held.expires
        .duration_since(now)
        .map_or(true, |left| left < REFRESH_BEFORE)
}

/// Sends `request` and reads a text body of at most 64 KiB; a non-success status is an error
/// naming it (bodies of errors are not quoted: they may echo what was sent).
async fn fetch_text(request: reqwest::RequestBuilder, timeout: Duration) -> Result<String, String> {
    let response = request
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| client::classify(&e).to_string())?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the endpoint answered {status}"));
    }
    if response.content_length().is_some_and(|len| len > 64 * 1024) {
        return Err("the answer is too long".into());
    }
    response
        .text()
        .await
        .map_err(|e| client::classify(&e).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_due_within_the_margin_or_past_expiry() {
        let now = SystemTime::now();
        let held = |left: Duration| Held {
            credentials: Arc::new(Credentials::new("A", "S")),
            expires: now + left,
        };
        assert!(!due(&held(Duration::from_secs(3600)), now));
        assert!(due(&held(Duration::from_secs(60)), now));
        let expired = Held {
            credentials: Arc::new(Credentials::new("A", "S")),
            expires: now - Duration::from_secs(1),
        };
        assert!(due(&expired, now));
    }
}
