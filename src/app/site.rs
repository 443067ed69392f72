//! A site: one configured source as a request meets it — its policy from the config, the store
//! its originals are read from, and the upload side of its root. Sources and uploads are two
//! stages that know nothing of each other; this is where they meet.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Root, SourceConfig};
use crate::signature::Policy;
use crate::source::{KeyError, StorageKey, Store};
use crate::transform::{self, Data, Mark, Params, TransformError};
use crate::upload::Uploads;

/// A configured source with its store and, unless it is an HTTP origin, its uploads.
#[derive(Debug)]
pub struct Site {
    pub config: SourceConfig,
    pub store: Store,
    /// Shared by every site whose root resolves to the same folder, since its file store can
    /// be opened only once.
    pub uploads: Option<Arc<Uploads>>,
    /// `watermark`: drawn on every unsigned image.
    watermark: Option<Mark>,
}

impl Site {
    /// One site per source, in config order. Fails only if a root cannot be resolved.
    /// `timeout` bounds every request to a remote root (`limits.source_timeout`).
    pub fn open_all(sources: &[SourceConfig], timeout: Duration) -> std::io::Result<Vec<Site>> {
        let mut uploads_by_root = HashMap::new();
        sources
            .iter()
            .map(|config| Site::open(config.clone(), timeout, &mut uploads_by_root))
            .collect()
    }

    fn open(
        config: SourceConfig,
        timeout: Duration,
        uploads_by_root: &mut HashMap<PathBuf, Arc<Uploads>>,
    ) -> std::io::Result<Site> {
        let store = Store::open(&config, timeout)?;
        let uploads = match (&store, &config.root) {
            (Store::Remote(remote), Root::S3(root)) => Some(Arc::new(Uploads::to_bucket(
                &root.staging_dir,
                Arc::clone(remote),
            ))),
            (Store::Remote(_), _) => None,
            (Store::Local(local), _) => Some(
                uploads_by_root
                    .entry(local.root().to_path_buf())
                    .or_insert_with(|| Arc::new(Uploads::new(local.root())))
                    .clone(),
            ),
        };
        // Checked when the config was loaded: it parses.
        let watermark = config
            .watermark
            .as_deref()
            .and_then(|query| transform::watermark(query).ok());
        Ok(Site {
            config,
            store,
            uploads,
            watermark,
        })
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The source's signing policy.
    pub fn policy(&self) -> Policy<'_> {
        Policy {
            md5_tokens: &self.config.md5_tokens,
            hmac_keys: &self.config.hmac_keys,
            max_ttl: self.config.max_ttl,
            clock_skew: self.config.clock_skew,
        }
    }

    /// Whether requests for `key` must be signed even where the source is public.
    pub fn is_private(&self, key: &StorageKey) -> bool {
        self.config.private_prefixes.iter().any(|p| key.is_under(p))
    }

    /// Whether a read of `key` must be signed: the whole source is secure, or the key lies
    /// under a private prefix. A key that is not valid is judged by the source alone (it is
    /// refused after the signature check).
    pub fn read_needs_signature(&self, key: &Result<StorageKey, KeyError>) -> bool {
        key.as_ref()
            .map_or(self.config.secure, |k| self.reads_are_signed(k))
    }

    /// The source's watermark on an unsigned request: drawn over every image, passthrough
    /// included (which then renders), and no parameter removes it. A URL's own `mark` cannot
    /// take its place unsigned; `fm=json` describes the original and carries none.
    pub fn brand(&self, params: &mut Params, signed: bool) -> Result<(), TransformError> {
        let Some(mark) = self.watermark.as_ref().filter(|_| !signed) else {
            return Ok(());
        };
        if params.transform.mark.is_some() {
            return Err(TransformError::BadValue {
                name: "mark".into(),
                reason: "this source draws its own watermark on unsigned requests; sign the URL \
                         to draw another"
                    .into(),
            });
        }
        if !matches!(params.transform.data, Some(Data::Metadata { .. })) {
            params.transform.mark = Some(Box::new(mark.clone()));
        }
        Ok(())
    }

    /// Whether every read of `key` is signed: the source is secure or the key is private.
    pub fn reads_are_signed(&self, key: &StorageKey) -> bool {
        self.config.secure || self.is_private(key)
    }

    /// `Cache-Control: max-age` of a successful read: the source's TTL, or the time the URL
    /// has left if shorter.
    pub fn max_age(&self, expires_at: Option<u64>, now: u64) -> u64 {
        let ttl = self.config.default_ttl.as_secs();
        expires_at.map_or(ttl, |at| ttl.min(at.saturating_sub(now)))
    }
}
