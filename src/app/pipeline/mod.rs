//! The pipeline below the handlers, one stage after another: verify the signature; then, for a
//! read, the file's version → the canonical cache key → the derivative cache → the original
//! (through the originals cache) → a render on a worker → the derivative. It owns the caches,
//! the render pool and the stage timings, and knows sites, storage keys and transforms — never
//! HTTP: the handlers parse the request before and build the response after.

mod avif_rate;
mod derivative;
mod early;
mod keys;
mod layers;
mod shared;
mod tiers;

use std::future::Future;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub use derivative::{Derivative, Tier};
pub use layers::Scope;
pub use shared::SharedTier;
pub use tiers::Served;

use super::error::{Error, RequestError};
use super::metrics::{Stage, StageTimes};
use super::render_pool::RenderPool;
use super::site::Site;
use crate::cache::disk::DiskTier;
use crate::cache::{Cache, Weighed};
use crate::config::Config;
use crate::render::faces::{FaceDetector, Found};
use crate::render::{self, AvifBudget, Fonts, Limits, Mezzanine, RenderError};
use crate::signature::{self, Access, SignatureError};
use crate::source::{KeyError, OpenedFile, Original, SourceError, StorageKey, Store, Version};
use crate::transform::{Data, Negotiated, OutputFormat, Params, Transform};

/// What a read gives: a derivative from the cache or fresh from a worker, or the stored file
/// itself (passthrough).
pub enum Output {
    Derivative(Arc<Derivative>, Served),
    File(OpenedFile),
}

/// A request's target as received on the wire: the path still percent-encoded (with any
/// source prefix) and the raw query without `?`. Signatures are checked over these bytes.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub raw_path: &'a str,
    pub raw_query: Option<&'a str>,
}

/// An original in the originals cache, with the faces found in it: detection runs once per
/// original and version (on the first render that needs it), not once per derivative, and
/// leaves the cache with the bytes.
pub struct Stored {
    pub original: Original,
    faces: OnceLock<Found>,
}

pub struct Pipeline {
    /// Rendered derivatives, keyed by the canonical request.
    derivatives: Cache<Derivative, Error>,
    /// The tier below memory, on local disk (`[cache.disk]`), under the same keys.
    disk: Option<Arc<DiskTier>>,
    /// The tier below that, in a bucket the fleet shares (`[cache.shared]`).
    shared: Option<Arc<SharedTier>>,
    /// Original bytes, keyed by source, storage key and version.
    originals: Cache<Stored, Error>,
    /// Decoded pixels of large originals, under the originals' keys: a srcset's later widths
    /// start from them instead of decoding again.
    mezzanines: Cache<Mezzanine, Error>,
    /// The face detector's model, parsed on first use and shared by the render workers.
    faces: Arc<FaceDetector>,
    /// Render workers behind a bounded queue (`limits.render_workers`, `render_queue`).
    render_pool: RenderPool,
    timings: StageTimes,
    /// `[limits]` as the renderer takes them, without a deadline.
    render_limits: Limits,
    /// `encoding.avif_budget` (zero: off) and the AVIF encode rate measured against it.
    avif_budget: Duration,
    avif_rate: avif_rate::AvifRate,
    /// What `txt` is drawn in, and its version for derivative keys.
    fonts: Arc<Fonts>,
    fonts_version: Version,
    render_timeout: Duration,
    source_timeout: Duration,
    max_source_bytes: u64,
}

impl Weighed for Mezzanine {
    fn weight(&self) -> u64 {
        self.bytes()
    }
}

impl Weighed for Stored {
    // The faces are a few boxes: nothing next to the bytes.
    fn weight(&self) -> u64 {
        self.original.bytes.len() as u64
    }
}

impl Pipeline {
    /// The caches, the render workers and the font set `config` asks for. Fails if the worker
    /// threads cannot be started or a file in the fonts folder is no font.
    pub fn new(config: &Config) -> std::io::Result<Pipeline> {
        let (cache, limits) = (&config.cache, &config.limits);
        let fonts = super::fonts::load(config.text.fonts_dir.as_deref()).map_err(|e| {
            let e = format!("text.fonts_dir: {e}");
            std::io::Error::new(std::io::ErrorKind::InvalidData, e)
        })?;
        let fonts_version = Version {
            len: fonts.extra_faces() as u64,
            modified: None,
            identity: fonts.fingerprint(),
        };
        // Half the budget per original keeps at least two images resident.
        let originals = Cache::new(cache.originals_max_bytes, cache.originals_max_bytes / 2);
        let disk = match &cache.disk.dir {
            Some(dir) => Some(Arc::new(
                DiskTier::open(dir, cache.disk.max_bytes).map_err(|e| {
                    std::io::Error::new(e.kind(), format!("cache.disk.dir {}: {e}", dir.display()))
                })?,
            )),
            None => None,
        };
        let shared = SharedTier::new(&cache.shared)
            .map_err(|e| std::io::Error::other(format!("cache.shared: {e}")))?
            .map(Arc::new);
        Ok(Pipeline {
            derivatives: Cache::new(cache.max_bytes, cache.max_entry_bytes),
            disk,
            shared,
            originals,
            // One entry may take the whole budget: a 15 MP photo's pixels are 44 MB.
            mezzanines: Cache::new(cache.mezzanine_max_bytes, cache.mezzanine_max_bytes),
            faces: Arc::default(),
            render_pool: RenderPool::new(limits.render_workers, limits.render_queue)?,
            timings: StageTimes::default(),
            render_limits: Limits {
                mezzanine_bytes: cache.mezzanine_max_bytes,
                ..Limits::from_config(limits, &config.encoding)
            },
            avif_budget: config.encoding.avif_budget,
            avif_rate: avif_rate::AvifRate::default(),
            fonts: Arc::new(fonts),
            fonts_version,
            render_timeout: limits.render_timeout,
            source_timeout: limits.source_timeout,
            max_source_bytes: limits.max_source_bytes,
        })
    }

    /// The verify stage of a storage path: a PUT is always signed, a read when the site or the
    /// key's prefix asks for it. Runs before the key is judged, so an unsigned request learns
    /// nothing about which keys are valid.
    pub fn verify(
        &self,
        site: &Site,
        target: Target<'_>,
        method: signature::Method,
        key: &Result<StorageKey, KeyError>,
        now: u64,
    ) -> Result<Access, SignatureError> {
        let required = method == signature::Method::Put || site.read_needs_signature(key);
        let verifying = Instant::now();
        let access = signature::verify(
            target.raw_path,
            target.raw_query,
            method,
            required,
            &site.policy(),
            now,
        );
        self.timings.record(Stage::Verify, verifying.elapsed());
        access
    }

    /// A verified, parsed read of `key`: the stored file as it is when `params` ask for no
    /// transform, else the derivative, from the cache or rendered once however many ask at
    /// the same time. `negotiated` is what `auto=format` chose from `Accept`.
    pub async fn read(
        &self,
        scope: Scope<'_>,
        site: &Site,
        key: &StorageKey,
        params: &Params,
        negotiated: Option<Negotiated>,
    ) -> Result<Output, Error> {
        if params.is_passthrough() {
            return self.file(site, key).await.map(Output::File);
        }
        let version = self.within(site.store.version(key)).await?;
        let t = &params.transform;
        let mut layers = layers::Layers::default();
        if let Some(mark) = &t.mark {
            layers.mark = Some(self.layer(scope, site, key, "mark", &mark.image).await?);
        }
        if let Some(image) = t.blend.as_ref().and_then(|b| b.image()) {
            layers.blend = Some(self.layer(scope, site, key, "blend", image).await?);
        }
        let [mark, blend] = [("mark", &layers.mark), ("blend", &layers.blend)]
            .map(|(name, layer)| layer.as_ref().map(|layer| (name, &layer.version)));
        let fonts = t.text.as_ref().map(|_| ("fonts", &self.fonts_version));
        let versions = [mark, blend, fonts];
        let cache_key = keys::derivative(site, key, &version, t, negotiated, &versions);
        let miss = || async {
            if let Some(found) = self.read_tiers(&cache_key).await {
                return Ok(found);
            }
            let rendered = self
                .render(site, key, &version, t, negotiated, &layers)
                .await?;
            self.write(&cache_key, &rendered, true);
            Ok(rendered)
        };
        let (derivative, lookup) = self.derivatives.get_or_load(&cache_key, miss).await?;
        let served = Served::of(lookup, derivative.tier);
        Ok(Output::Derivative(derivative, served))
    }

    /// Drops everything cached of `key`'s file, in every version: after an upload replaced
    /// it, the new bytes have a new version anyway, and this frees the old ones' memory now.
    pub fn forget(&self, site: &Site, key: &StorageKey) {
        let prefix = keys::file_prefix(site, key);
        self.derivatives.remove_prefix(&prefix);
        self.originals.remove_prefix(&prefix);
        self.mezzanines.remove_prefix(&prefix);
    }

    pub fn derivatives(&self) -> &Cache<Derivative, Error> {
        &self.derivatives
    }

    pub fn disk(&self) -> Option<&DiskTier> {
        self.disk.as_deref()
    }

    pub fn shared(&self) -> Option<&SharedTier> {
        self.shared.as_deref()
    }

    pub fn originals(&self) -> &Cache<Stored, Error> {
        &self.originals
    }

    pub fn mezzanines(&self) -> &Cache<Mezzanine, Error> {
        &self.mezzanines
    }

    pub fn render_pool(&self) -> &RenderPool {
        &self.render_pool
    }

    pub fn timings(&self) -> &StageTimes {
        &self.timings
    }

    /// The stored file for passthrough: a local file is opened and streamed; a remote original
    /// is fetched whole anyway, so the originals cache spares the origin a download per
    /// request, as it does for renders.
    async fn file(&self, site: &Site, key: &StorageKey) -> Result<OpenedFile, Error> {
        match &site.store {
            Store::Local(store) => Ok(self.within(store.open(key)).await?),
            Store::Remote(_) => {
                let version = self.within(site.store.version(key)).await?;
                let stored = self.original(site, key, &version).await?;
                Ok(OpenedFile::from(&stored.original))
            }
        }
    }

    /// A derivative cache miss: wait for a render worker (or be refused at once when the
    /// queue is full), fetch the original through the originals cache, render it on that
    /// worker's thread, and give up waiting at `render_timeout`; the render itself stops at its
    /// next checkpoint and only then frees the worker.
    async fn render(
        &self,
        site: &Site,
        key: &StorageKey,
        version: &Version,
        t: &Transform,
        negotiated: Option<Negotiated>,
        layers: &layers::Layers<'_>,
    ) -> Result<Derivative, Error> {
        self.refuse_early(site, key, version, t, negotiated).await?;
        let slot = self
            .render_pool
            .admit()
            .await
            .map_err(|_| RequestError::Overloaded)?;
        // Read inside the slot: memory held by originals is then bounded by the workers, not
        // by the queue.
        let stored = self.original(site, key, version).await?;
        let original_key = keys::original(site, key, version);
        let mezzanine = self.mezzanines.lookup(&original_key);
        let mut layer_bytes = [None, None];
        for (slot, layer) in layer_bytes.iter_mut().zip([&layers.mark, &layers.blend]) {
            if let Some(layer) = layer {
                let stored = self
                    .original(layer.site, &layer.key, &layer.version)
                    .await?;
                *slot = Some(stored.original.bytes.clone());
            }
        }
        let [mark_bytes, blend_bytes] = layer_bytes;
        let deadline = Instant::now() + self.render_timeout;
        let mut limits = Limits {
            deadline: Some(deadline),
            ..self.render_limits.clone()
        };
        if negotiated == Some(Negotiated::Avif) && !self.avif_budget.is_zero() {
            limits.avif.budget = Some(AvifBudget {
                limit: self.avif_budget,
                nanos_per_pixel: self.avif_rate.nanos_per_pixel(),
            });
        }
        let (original, t, detector) = (Arc::clone(&stored), t.clone(), Arc::clone(&self.faces));
        let fonts = Arc::clone(&self.fonts);
        // Where a photo was taken is shown only to those who could read the file signed
        // anyway; the answer is fixed per source and key, which the cache key holds.
        let reveal_location = site.reads_are_signed(key);
        // The worker stays taken while the CPU works, also past a waiter that gave up.
        let task = self.render_pool.run(slot, move || {
            let bytes = &original.original.bytes;
            let wants_faces = matches!(t.data, Some(Data::Metadata { faces: true }));
            let (faces, looked) = if wants_faces || t.needs_faces() {
                let (found, looked) = faces_of(&original, &detector, &limits)?;
                (Some(found), looked)
            } else {
                (None, None)
            };
            let rendered = match t.data {
                Some(Data::Metadata { .. }) => {
                    render::describe(bytes, reveal_location, faces, &limits)
                }
                _ => {
                    let layers = render::Layers {
                        mark: mark_bytes.as_deref(),
                        blend: blend_bytes.as_deref(),
                        faces,
                        fonts: Some(&fonts),
                        mezzanine: mezzanine.as_deref(),
                    };
                    render::render_with(bytes, &t, negotiated, &limits, layers)
                }
            };
            rendered.map(|rendered| (rendered, looked))
        });
        let rendered = tokio::time::timeout_at(deadline.into(), task)
            .await
            // The waiter's side of the deadline: the same answer as a render that stops itself.
            .map_err(|_| RenderError::TimedOut)?
            .map_err(|e| RequestError::Internal(format!("render task: {}", e.0)))??;
        let (mut rendered, looked) = rendered;
        if let Some(kept) = rendered.kept.take() {
            self.keep(&original_key, kept);
        }
        if let Some(took) = looked {
            self.timings.record(Stage::Faces, took);
        }
        let stages = rendered.stages;
        self.timings.record(Stage::Decode, stages.decode);
        self.timings.record(Stage::Resize, stages.resize);
        self.timings.record(Stage::Encode, stages.encode);
        if rendered.content_type == OutputFormat::Avif.mime() {
            let pixels = u64::from(rendered.width) * u64::from(rendered.height);
            self.avif_rate.record(stages.encode, pixels);
        }
        let content_type = rendered.content_type;
        let modified = stored.original.version.modified;
        Ok(Derivative::new(rendered.bytes, content_type, modified))
    }

    /// Keeps a render's decode for the next sizes of its original, unless one at least as
    /// large is there already (two renders of one original can finish in either order).
    fn keep(&self, original_key: &str, kept: Mezzanine) {
        let larger =
            |there: &Mezzanine| there.width() >= kept.width() && there.height() >= kept.height();
        if !self
            .mezzanines
            .get(original_key)
            .is_some_and(|there| larger(&there))
        {
            self.mezzanines.put(original_key, kept);
        }
    }

    /// The bytes of one version of an original, through the originals cache (one read for a
    /// srcset's several widths), bounded by `limits.source_timeout` and `max_source_bytes`.
    async fn original(
        &self,
        site: &Site,
        key: &StorageKey,
        version: &Version,
    ) -> Result<Arc<Stored>, Error> {
        let read = || async {
            let reading = Instant::now();
            let read = self
                .within(site.store.read(key, self.max_source_bytes))
                .await;
            self.timings.record(Stage::SourceRead, reading.elapsed());
            Ok(Stored {
                original: read?,
                faces: OnceLock::new(),
            })
        };
        let original_key = keys::original(site, key, version);
        let (original, _) = self.originals.get_or_load(&original_key, read).await?;
        Ok(original)
    }

    /// A source operation bounded by `limits.source_timeout`.
    async fn within<T>(
        &self,
        operation: impl Future<Output = Result<T, SourceError>>,
    ) -> Result<T, SourceError> {
        tokio::time::timeout(self.source_timeout, operation)
            .await
            .unwrap_or(Err(SourceError::TimedOut))
    }
}

/// The faces in a cached original: found by the first render that needs them, on its worker
/// and within its deadline, then kept with the original. Two renders racing on a fresh
/// original may both look; the first answer is kept. With the time it took when it looked.
fn faces_of<'a>(
    stored: &'a Stored,
    detector: &FaceDetector,
    limits: &Limits,
) -> Result<(&'a Found, Option<Duration>), RenderError> {
    if let Some(found) = stored.faces.get() {
        return Ok((found, None));
    }
    let looking = Instant::now();
    let found = render::faces::detect(&stored.original.bytes, detector, limits)?;
    Ok((stored.faces.get_or_init(|| found), Some(looking.elapsed())))
}
