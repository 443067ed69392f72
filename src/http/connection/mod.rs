//! One accepted connection: counted against the caps, its socket wrapped in the read and send
//! deadlines, and served by hyper as HTTP/1.1, or also as h2c when `server.http2` is on.

mod caps;
mod in_flight;
mod read_deadline;
mod send_deadline;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpStream;

pub use caps::{Caps, OpenConnections, Permit, Refused};
use in_flight::{CountedBody, InFlight};
use read_deadline::ReadDeadline;
use send_deadline::SendDeadline;

use super::edge::Edge;
use crate::app::AppState;
use crate::config::ServerConfig;

/// What every connection is served with.
pub struct Connections {
    builder: auto::Builder<TokioExecutor>,
    limits: ServerConfig,
    open: Arc<OpenConnections>,
    app: AppState,
    edge: Edge,
    refusal: Vec<u8>,
}

impl Connections {
    pub fn new(app: AppState) -> Connections {
        let limits = app.config.server.clone();
        Connections {
            builder: connection_builder(&limits),
            open: OpenConnections::new(Caps::from_config(&limits)),
            limits,
            edge: Edge::new(app.clone()),
            app,
            refusal: refusal(),
        }
    }

    /// What a connection over a cap is sent before it is closed.
    pub fn refusal(&self) -> &[u8] {
        &self.refusal
    }

    pub fn open(&self) -> &Arc<OpenConnections> {
        &self.open
    }

    /// A place for one more connection from `peer`, or the cap that refuses it.
    pub fn admit(&self, peer: SocketAddr) -> Result<Permit, Refused> {
        let permit = self.open.admit(peer.ip()).inspect_err(|refused| {
            self.app.metrics.connection_refused(refused.label());
        })?;
        self.app.metrics.connection_opened();
        Ok(permit)
    }

    /// The admitted connection served to its end, watched by `shutdown`.
    pub fn serve(
        &self,
        stream: TcpStream,
        permit: Permit,
        shutdown: &GracefulShutdown,
    ) -> impl Future<Output = ()> + Send + 'static {
        let app = self.app.clone();
        // Small responses (a cached thumbnail's head) go out at once, not after 40 ms.
        let _ = stream.set_nodelay(true);
        let in_flight = Arc::new(InFlight::default());
        let io = ReadDeadline::new(
            SendDeadline::new(stream, self.limits.send_timeout),
            Arc::clone(&in_flight),
            self.limits.header_timeout,
            self.limits.idle_timeout,
        );
        let edge = self.edge.clone();
        let service = hyper::service::service_fn(move |request| {
            // Counted from here, before the handler runs, so the connection is busy at once.
            let request_guard = in_flight.begin();
            let edge = edge.clone();
            // Boxed: hyper keeps room for this future in every connection's state for its
            // whole life; inline, the handler's ~10 KiB sat in each idle kept-alive
            // connection (scripts/idle_connections.py measured it).
            Box::pin(async move {
                let response = edge.handle(request).await;
                Ok::<_, std::convert::Infallible>(
                    response.map(|body| CountedBody::new(body, request_guard)),
                )
            })
        });
        let connection = self
            .builder
            .serve_connection(TokioIo::new(io), service)
            .into_owned();
        let connection = shutdown.watch(connection);
        async move {
            // A client that resets or times out is its own business, not an error of ours.
            let _ = connection.await;
            drop(permit);
            app.metrics.connection_closed();
        }
    }
}

/// A whole HTTP/1.1 `503` with the JSON error envelope, written as is to a refused socket.
fn refusal() -> Vec<u8> {
    let body = serde_json::json!({
        "meta": { "request_id": null },
        "data": null,
        "error": {
            "code": "too_many_connections",
            "message": "too many open connections; try again shortly",
        },
        "links": {},
    })
    .to_string();
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n\
         Cache-Control: no-store\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    [head.into_bytes(), body.into_bytes()].concat()
}

/// HTTP/1 (and h2c if configured) with the caps from `[server]`. hyper refuses a head larger
/// than the URL and header caps together (431) before reading further; the access layer then
/// applies each cap on its own (414, 431). The head and idle deadlines are `ReadDeadline`'s,
/// so hyper's own head timer is off.
fn connection_builder(limits: &ServerConfig) -> auto::Builder<TokioExecutor> {
    let head_bytes = limits.max_url_bytes + limits.max_header_bytes + 4 * limits.max_headers;
    // Room for the request line's method and version and the blank line.
    let head_bytes = head_bytes + 1024;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    if !limits.http2 {
        builder = builder.http1_only();
    }
    // The read buffer's cap is what bounds the head; bodies stream through it in pieces.
    let mut http1 = builder.http1();
    http1
        .timer(TokioTimer::new())
        // A client that shuts down its sending side after a complete request (`nc -N`, some
        // health checkers) still gets its answer; hyper would otherwise take the read EOF for
        // an aborted request and close with nothing written.
        .half_close(true)
        .header_read_timeout(None)
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
        .max_header_list_size(u32::try_from(head_bytes).unwrap_or(u32::MAX))
        .max_concurrent_streams(H2_MAX_STREAMS)
        // Rapid reset (CVE-2023-44487): a client that opens and cancels streams faster than
        // they are served is sent GOAWAY once this many wait.
        .max_pending_accept_reset_streams(H2_MAX_PENDING_RESETS)
        .max_local_error_reset_streams(H2_MAX_ERROR_RESETS);
    builder
}

/// hyper's default, kept where it already does what the config asks.
const HYPER_DEFAULT_MAX_HEADERS: usize = 100;
/// hyper's smallest allowed read buffer.
const HYPER_MIN_BUF: usize = 8192;
/// Concurrent streams on one HTTP/2 connection: each may become a render.
const H2_MAX_STREAMS: u32 = 100;
/// The h2 crate's default, stated so it cannot drift away unnoticed.
const H2_MAX_PENDING_RESETS: usize = 20;
/// Streams the server may reset for a client's protocol errors before it sends GOAWAY.
const H2_MAX_ERROR_RESETS: usize = 256;
