//! The async shell: `AppState` (everything a request needs, built from `Config` in one
//! function), the router, and `run`: the connection loop with its head deadline and caps, and
//! graceful shutdown. No global state.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::routing::{any, get, post};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::cache::{Cache, Derivative};
use crate::config::{Config, ServerConfig};
use crate::error::Error;
use crate::metrics::Metrics;
use crate::render_pool::RenderPool;
use crate::send_deadline::SendDeadline;
use crate::source::{Original, Source};
use crate::{access, routes};

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
    /// Render workers behind a bounded queue (`limits.render_workers`, `render_queue`).
    pub render_pool: RenderPool,
    pub metrics: Metrics,
    pub clock: Clock,
    /// Random per process, so ids from two instances or two runs do not collide.
    instance_tag: u32,
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
            .map(|source| {
                let timeout = config.limits.source_timeout;
                Source::new(source, timeout, &mut uploads_by_root)
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        let cache = Cache::new(config.cache.max_bytes, config.cache.max_entry_bytes);
        let originals_budget = config.cache.originals_max_bytes;
        // Half the budget per original keeps at least two images resident.
        let originals = Cache::new(originals_budget, originals_budget / 2);
        let render_pool =
            RenderPool::new(config.limits.render_workers, config.limits.render_queue)?;
        Ok(AppState(Arc::new(Shared {
            config,
            sources,
            cache,
            originals,
            render_pool,
            metrics: Metrics::default(),
            clock,
            instance_tag: instance_tag(),
            request_ids: AtomicU64::new(1),
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
}

/// A random tag for this process (0 if the OS has no random source to offer, which only
/// makes ids less unique across restarts).
fn instance_tag() -> u32 {
    let mut bytes = [0u8; 4];
    let _ = getrandom::fill(&mut bytes);
    u32::from_le_bytes(bytes)
}

/// The HTTP surface: the service API under `/_pixgate/`, everything else is an image path.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/_pixgate/health", get(routes::api::health))
        .route("/_pixgate/ready", get(routes::api::ready))
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

/// The router behind the edge (request ids, caps, deadlines, metrics, access log): what
/// hyper serves, and what in-process benches drive to see what a client would.
pub fn edge(state: AppState) -> access::Edge {
    access::Edge::new(state.clone(), app(state))
}

/// Serves until `shutdown` resolves, then stops accepting and gives in-flight requests
/// `server.shutdown_timeout` to finish; connections still open then are cut. Abandoned
/// uploads are swept at start-up and then every minute while it runs.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = tokio::spawn(sweep_uploads(Arc::downgrade(&state.0)));
    let limits = state.config.server.clone();
    let edge = edge(state);
    let service = hyper::service::service_fn(move |request| {
        let edge = edge.clone();
        async move { Ok::<_, std::convert::Infallible>(edge.handle(request).await) }
    });
    let builder = connection_builder(&limits);
    let connections = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small responses (a cached thumbnail's head) go out at once, not after 40 ms.
        let _ = stream.set_nodelay(true);
        let connection = builder
            .serve_connection_with_upgrades(
                TokioIo::new(SendDeadline::new(stream, limits.send_timeout)),
                service.clone(),
            )
            .into_owned();
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            // A client that resets or times out is its own business, not an error of ours.
            let _ = connection.await;
        });
    }
    drop(listener);
    let open = connections.count();
    tracing::info!(
        open,
        "shutting down: no new connections, draining in-flight requests"
    );
    let drained = tokio::time::timeout(limits.shutdown_timeout, connections.shutdown()).await;
    if drained.is_err() {
        tracing::warn!(
            timeout = ?limits.shutdown_timeout,
            "shutdown timeout reached; closing the connections still open"
        );
    }
    sweeper.abort();
    Ok(())
}

/// How long to wait after a failed `accept` (e.g. no file descriptors left).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// HTTP/1 and HTTP/2 (h2c) with the head deadline and caps from `[server]`. hyper refuses a
/// head larger than the URL and header caps together (431) before reading further; the
/// access layer then applies each cap on its own (414, 431).
fn connection_builder(limits: &ServerConfig) -> auto::Builder<TokioExecutor> {
    let head_bytes = limits.max_url_bytes + limits.max_header_bytes + 4 * limits.max_headers;
    // Room for the request line's method and version and the blank line.
    let head_bytes = head_bytes + 1024;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The read buffer's cap is what bounds the head; bodies stream through it in pieces.
    let mut http1 = builder.http1();
    http1
        .timer(TokioTimer::new())
        // A client that shuts down its sending side after a complete request (`nc -N`, some
        // health checkers) still gets its answer; hyper would otherwise take the read EOF for
        // an aborted request and close with nothing written.
        .half_close(true)
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(head_bytes.max(HYPER_MIN_BUF));
    // hyper parses up to 100 headers on the stack; another number costs a heap allocation
    // per request. A lower cap is the access layer's (with a JSON answer); hyper only needs
    // raising for a higher one.
    if limits.max_headers > HYPER_DEFAULT_MAX_HEADERS {
        http1.max_headers(limits.max_headers);
    }
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(head_bytes).unwrap_or(u32::MAX));
    builder
}

/// hyper's default, kept where it already does what the config asks.
const HYPER_DEFAULT_MAX_HEADERS: usize = 100;
/// hyper's smallest allowed read buffer.
const HYPER_MIN_BUF: usize = 8192;

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
            if let Some(uploads) = &source.uploads {
                uploads.sweep_if_due(now, ttl).await;
            }
        }
    }
}
