//! The other files a derivative draws from (the watermark, a blended image): by path in the
//! same source, or by URL in another of pixgate's own (the one whose `hosts` name the URL's
//! host), under that source's signature rules. Never fetched from an address a URL names.

use super::{Error, Pipeline, Target};
use crate::app::site::Site;
use crate::routing;
use crate::signature;
use crate::source::{SourceError, StorageKey, Version};
use crate::transform::{LayerRef, TransformError};

/// Where a read stands: every site (a layer URL may name another) and the time (its
/// signature's expiry is checked against it).
#[derive(Clone, Copy)]
pub struct Scope<'s> {
    pub sites: &'s [Site],
    pub now: u64,
}

/// One file a derivative draws from: its site, key and current version.
pub(super) struct Layer<'s> {
    pub site: &'s Site,
    pub key: StorageKey,
    pub version: Version,
}

#[derive(Default)]
pub(super) struct Layers<'s> {
    pub mark: Option<Layer<'s>>,
    pub blend: Option<Layer<'s>>,
}

impl Pipeline {
    /// A layer's file (`name` is its parameter, `mark` or `blend`), as public as the image
    /// it goes on (a private file would otherwise show through a public URL). Its version
    /// goes into the cache key, so replacing the file re-renders what carries it.
    pub(super) async fn layer<'s>(
        &self,
        scope: Scope<'s>,
        site: &'s Site,
        key: &StorageKey,
        name: &str,
        image: &LayerRef,
    ) -> Result<Layer<'s>, Error> {
        let refused = |reason: String| TransformError::BadValue {
            name: name.into(),
            reason,
        };
        let (layer_site, layer_key, shown) = match image {
            LayerRef::Path(path) => {
                let layer_key = StorageKey::from_decoded(path)
                    .map_err(|e| refused(format!("`{path}`: {e}")))?;
                (site, layer_key, path.clone())
            }
            LayerRef::Url { host, path, query } => {
                let shown = image.to_string();
                let sources = scope.sites.iter().map(|s| &s.config);
                let route = routing::route_named_host(sources, host, path).ok_or_else(|| {
                    refused(format!(
                        "`{shown}` is on no host and path of this server's sources; pixgate \
                         never fetches an image from another address"
                    ))
                })?;
                let other = &scope.sites[route.source];
                let layer_key = StorageKey::from_raw(route.raw_key);
                let target = Target {
                    raw_path: path,
                    raw_query: query.as_deref(),
                };
                let method = signature::Method::Get;
                self.verify(other, target, method, &layer_key, scope.now)
                    .map_err(|e| refused(format!("`{shown}`: {e}")))?;
                let layer_key = layer_key.map_err(|e| refused(format!("`{shown}`: {e}")))?;
                (other, layer_key, shown)
            }
        };
        if layer_site.reads_are_signed(&layer_key) && !site.reads_are_signed(key) {
            return Err(refused(format!(
                "`{shown}` is private; a private file can only be drawn on a private image"
            ))
            .into());
        }
        match self.within(layer_site.store.version(&layer_key)).await {
            Ok(version) => Ok(Layer {
                site: layer_site,
                key: layer_key,
                version,
            }),
            Err(SourceError::NotFound) => {
                Err(refused(format!("there is no file at `{shown}`")).into())
            }
            Err(e) => Err(e.into()),
        }
    }
}
