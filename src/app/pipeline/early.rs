//! The refusals a render can have before it queues for a worker: what the head of its
//! original settles (`render::refuse_early`), so bombs, non-images and animations past the
//! frame cap never take a slot.

use bytes::Bytes;

use super::{Pipeline, keys};
use crate::app::error::Error;
use crate::app::site::Site;
use crate::render::{self, HEAD_BYTES};
use crate::source::{SourceError, StorageKey, Store, Version};
use crate::transform::{Negotiated, Transform};

impl Pipeline {
    /// Refuses, before the render queue, what the head of the original settles: too large a
    /// file, no image, too many pixels declared, too many frames for this request
    /// (`render::refuse_early`). The head comes from
    /// the originals cache, or from a bounded read of a local file; a remote original not yet
    /// cached is left to the render, which fetches it once anyway.
    pub(super) async fn refuse_early(
        &self,
        site: &Site,
        key: &StorageKey,
        version: &Version,
        t: &Transform,
        negotiated: Option<Negotiated>,
    ) -> Result<(), Error> {
        let cached = self.originals.get(&keys::original(site, key, version));
        let (head, len) = match (&cached, &site.store) {
            (Some(stored), _) => {
                let bytes = &stored.original.bytes;
                (
                    bytes.slice(..bytes.len().min(HEAD_BYTES)),
                    bytes.len() as u64,
                )
            }
            (None, Store::Local(store)) => match self.within(store.head(key, HEAD_BYTES)).await {
                Ok((head, len)) => (Bytes::from(head), len),
                // Whatever stops this read stops the render's too, which says so.
                Err(_) => return Ok(()),
            },
            (None, Store::Remote(_)) => return Ok(()),
        };
        if len > self.max_source_bytes {
            let limit = self.max_source_bytes;
            return Err(SourceError::TooLarge { size: len, limit }.into());
        }
        let whole = head.len() as u64 == len;
        let asked = render::Asked {
            transform: t,
            negotiated,
            max_pixels: self.render_limits.max_source_pixels,
            max_frames: self.render_limits.max_animation_frames,
        };
        render::refuse_early(&head, whole, asked).map_err(Error::from)
    }
}
