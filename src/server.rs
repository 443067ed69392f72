//! The async shell: `AppState` (everything a request needs, built from `Config` in one
//! function), the router, and `run` with graceful shutdown. No global state.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::routing::{any, get, post};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::cache::{Cache, Derivative};
use crate::config::Config;
use crate::error::Error;
use crate::routes;
use crate::source::{Original, Source};

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
    pub sources: Vec<Source>,
    /// Rendered derivatives, keyed by the canonical request.
    pub cache: Cache<Derivative, Error>,
    /// Original bytes, keyed by source, storage key and version.
    pub originals: Cache<Original, Error>,
    /// One permit per core: renders are CPU-bound, more at once only adds latency.
    pub render_slots: Arc<Semaphore>,
    /// Renders started since start-up (cache misses that reached the renderer).
    pub renders: AtomicU64,
    pub clock: Clock,
    request_ids: AtomicU64,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Builds the state from a validated config. Fails only if a source root vanished
    /// between validation and now.
    pub fn new(config: Config, clock: Clock) -> std::io::Result<AppState> {
        let mut uploads_by_root = HashMap::new();
        let sources = config
            .sources
            .iter()
            .cloned()
            .map(|source| Source::new(source, &mut uploads_by_root))
            .collect::<std::io::Result<Vec<_>>>()?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let cache = Cache::new(config.cache.max_bytes, config.cache.max_entry_bytes);
        let originals_budget = config.cache.originals_max_bytes;
        // Half the budget per original keeps at least two images resident.
        let originals = Cache::new(originals_budget, originals_budget / 2);
        Ok(AppState(Arc::new(Shared {
            config,
            sources,
            cache,
            originals,
            render_slots: Arc::new(Semaphore::new(cores)),
            renders: AtomicU64::new(0),
            clock,
            request_ids: AtomicU64::new(1),
        })))
    }

    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    pub fn next_request_id(&self) -> String {
        format!(
            "req_{:08x}",
            self.request_ids.fetch_add(1, Ordering::Relaxed)
        )
    }
}

/// The HTTP surface: the service API under `/_pixgate/`, everything else is an image path.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/_pixgate/health", get(routes::api::health))
        .route("/_pixgate/metrics", get(routes::api::metrics))
        .route(
            "/_pixgate/signatures",
            post(routes::api::signatures).fallback(routes::api::post_only),
        )
        .route(
            "/_pixgate/files/{id}",
            get(routes::api::file).fallback(routes::api::get_only),
        )
        .route("/_pixgate/{*rest}", any(routes::api::unknown))
        .fallback(routes::storage_path)
        .with_state(state)
}

/// Serves until `shutdown` resolves, then drains in-flight requests. Abandoned uploads are
/// swept at start-up and then every minute while it runs.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = tokio::spawn(sweep_uploads(Arc::downgrade(&state.0)));
    let served = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    sweeper.abort();
    served
}

/// Holds only a weak handle, so the state (and its open file stores) goes when the server does.
async fn sweep_uploads(state: Weak<Shared>) {
    let mut every = tokio::time::interval(SWEEP_INTERVAL);
    loop {
        every.tick().await;
        let Some(shared) = state.upgrade() else {
            return;
        };
        let (now, ttl) = ((shared.clock)(), shared.config.uploads.session_ttl);
        for source in &shared.sources {
            source.uploads.sweep_if_due(now, ttl).await;
        }
    }
}
