//! The connection loop: accepts connections, serves HTTP/1 and HTTP/2 (h2c) on each with the
//! head deadline, the caps and the send deadline from `[server]`, hands every request to the
//! edge, and on shutdown stops accepting and drains.

use std::future::Future;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use super::edge::Edge;
use super::send_deadline::SendDeadline;
use crate::app::AppState;
use crate::config::ServerConfig;

/// Serves until `shutdown` resolves, then stops accepting and gives in-flight requests
/// `server.shutdown_timeout` to finish; connections still open then are cut. Abandoned
/// uploads are swept at start-up and then every minute while it runs.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = state.sweep_uploads();
    let limits = state.config.server.clone();
    let edge = Edge::new(state);
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
