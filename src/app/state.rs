//! `AppState`: everything a request needs, built from `Config` in one function — the sites,
//! the pipeline, the counters, the clock and the request ids. No global state: tests and
//! benches build their own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::metrics::Metrics;
use super::pipeline::Pipeline;
use super::site::Site;
use crate::config::Config;

/// How often abandoned uploads are looked for (each root is swept at most this often).
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// Unix time in seconds. Injected so tests can stand at an exact instant.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The real clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    })
}

/// Cheap-clone handle to the shared state.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub config: Config,
    /// One per configured source, in config order (routing gives indices into it).
    pub sites: Vec<Site>,
    pub pipeline: Pipeline,
    pub metrics: Metrics,
    pub clock: Clock,
    /// Random per process, so ids from two instances or two runs do not collide.
    instance_tag: u32,
    request_ids: AtomicU64,
    /// Random per process: the keys trace ids are mixed from, so they look random and differ
    /// between instances while costing no system call per request.
    trace_keys: [u64; 2],
    trace_ids: AtomicU64,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Whether one site can be read now, for `/_pixgate/ready`.
pub struct SiteReadiness<'a> {
    pub name: &'a str,
    /// Why not, in words that name no path.
    pub problem: Option<&'static str>,
}

impl AppState {
    /// Builds the state from a validated config. Fails only if a source root vanished
    /// between validation and now, or the render workers cannot be started.
    pub fn new(config: Config, clock: Clock) -> std::io::Result<AppState> {
        let sites = Site::open_all(&config.sources, config.limits.source_timeout)?;
        let pipeline = Pipeline::new(&config)?;
        Ok(AppState(Arc::new(Shared {
            config,
            sites,
            pipeline,
            metrics: Metrics::default(),
            clock,
            instance_tag: instance_tag(),
            request_ids: AtomicU64::new(1),
            trace_keys: [random_u64(), random_u64()],
            trace_ids: AtomicU64::new(1),
        })))
    }

    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    /// `req_` + the instance tag + a counter, 20 ASCII bytes: unique within a run, unlikely
    /// to repeat across runs and replicas. Written by hand: this runs for every request, and
    /// `format!` was a visible share of a cache hit.
    pub fn next_request_id(&self) -> [u8; 20] {
        let n = self.request_ids.fetch_add(1, Ordering::Relaxed);
        let value = (u64::from(self.instance_tag) << 32) | (n & 0xffff_ffff);
        let mut id = *b"req_0000000000000000";
        for (i, digit) in id[4..].iter_mut().enumerate() {
            let nibble = (value >> (60 - 4 * i)) & 0xf;
            *digit = b"0123456789abcdef"[nibble as usize];
        }
        id
    }

    /// A new W3C trace id (16 bytes, never all zero) for a request that brought none: a
    /// counter mixed with this process's two keys. `splitmix64` is a bijection, so ids never
    /// repeat within a run, and with random keys two instances' ids do not collide.
    pub fn next_trace_id(&self) -> [u8; 16] {
        let n = self.trace_ids.fetch_add(1, Ordering::Relaxed);
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&splitmix64(self.trace_keys[0] ^ n).to_be_bytes());
        id[8..].copy_from_slice(&splitmix64(self.trace_keys[1].wrapping_add(n)).to_be_bytes());
        if id == [0; 16] {
            id[15] = 1;
        }
        id
    }

    /// Every site, checked at once, each within `limits.source_timeout`.
    pub async fn readiness(&self) -> Vec<SiteReadiness<'_>> {
        let timeout = self.config.limits.source_timeout;
        let mut sites = Vec::with_capacity(self.sites.len());
        for site in &self.sites {
            let checked = tokio::time::timeout(timeout, site.store.readiness())
                .await
                .unwrap_or(Err("the check timed out"));
            sites.push(SiteReadiness {
                name: site.name(),
                problem: checked.err(),
            });
        }
        sites
    }

    /// Sweeps abandoned uploads now and then every minute, until the state is dropped (the
    /// task holds only a weak handle, so the state and its open file stores go when the
    /// server does). Abort the handle to stop it earlier.
    pub fn sweep_uploads(&self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(sweep_uploads(Arc::downgrade(&self.0)))
    }
}

/// A random tag for this process (0 if the OS has no random source to offer, which only
/// makes ids less unique across restarts).
fn instance_tag() -> u32 {
    // The low half of 64 random bits.
    random_u64() as u32
}

/// 64 random bits from the OS (0 if it has none to offer).
fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// Sebastiano Vigna's `splitmix64` finaliser: a bijection on 64 bits that spreads every input
/// bit over the output.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

async fn sweep_uploads(state: Weak<Shared>) {
    let mut every = tokio::time::interval(SWEEP_INTERVAL);
    loop {
        every.tick().await;
        let Some(shared) = state.upgrade() else {
            return;
        };
        let (now, ttl) = ((shared.clock)(), shared.config.uploads.session_ttl);
        for site in &shared.sites {
            if let Some(uploads) = &site.uploads {
                uploads.sweep_if_due(now, ttl).await;
            }
        }
    }
}
