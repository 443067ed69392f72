//! The accept loop: admits each connection against the caps (refusing the rest with a `503`
//! written straight to the socket), serves it, and on the first shutdown signal stops
//! accepting and drains; a second signal gives up on the drain at once.

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};

use super::connection::Connections;
use crate::app::AppState;

/// How serving ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Every in-flight request finished within `server.shutdown_timeout`.
    Drained,
    /// The connections still open at `server.shutdown_timeout` were cut.
    TimedOut { cut: usize },
    /// A second signal arrived while draining; the connections still open were cut. The
    /// caller should exit at once rather than wait for anything else.
    Forced { cut: usize },
}

/// Serves until `signals` yields, then stops accepting and gives in-flight requests
/// `server.shutdown_timeout` to finish; connections still open then are cut, as they are when
/// `signals` yields again (or ends) first. Abandoned uploads are swept at start-up and then
/// every minute while it runs.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    signals: impl Stream<Item = ()> + Send + 'static,
) -> std::io::Result<Stopped> {
    let sweeper = state.sweep_uploads();
    let shutdown_timeout = state.config.server.shutdown_timeout;
    let connections = Connections::new(state);
    let watcher = GracefulShutdown::new();
    let mut signals = std::pin::pin!(signals);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            _ = signals.next() => break,
        };
        match connections.admit(peer) {
            Ok(permit) => {
                tokio::spawn(connections.serve(stream, permit, &watcher));
            }
            Err(refused) => {
                tracing::debug!(%peer, cap = refused.label(), "connection refused");
                refuse(&stream, connections.refusal());
            }
        }
    }
    drop(listener);
    let open = connections.open().count();
    tracing::info!(
        open,
        "shutting down: no new connections, draining in-flight requests"
    );
    let stopped = tokio::select! {
        drained = tokio::time::timeout(shutdown_timeout, watcher.shutdown()) => match drained {
            Ok(()) => Stopped::Drained,
            Err(_) => {
                let cut = connections.open().count();
                tracing::warn!(
                    timeout = ?shutdown_timeout,
                    cut,
                    "shutdown timeout reached; closing the connections still open"
                );
                Stopped::TimedOut { cut }
            }
        },
        Some(()) = signals.next() => {
            let cut = connections.open().count();
            tracing::warn!(cut, "second shutdown signal: exiting now, cutting the connections still open");
            Stopped::Forced { cut }
        }
    };
    sweeper.abort();
    Ok(stopped)
}

/// How long to wait after a failed `accept` (e.g. no file descriptors left).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

fn refuse(stream: &TcpStream, refusal: &[u8]) {
    // A fresh socket's send buffer has room: no waiting, no task, no parsing.
    let _ = stream.try_write(refusal);
}
