//! `[server]`: the listener, the deadlines every connection and request lives under, and the
//! caps on what one request and one client may hold.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Time a client has to send a request head (request line and headers), counted from a
    /// new connection's accept or from the first byte of a kept-alive connection's next
    /// request. Default 15 s; > 0.
    pub header_timeout: Duration,
    /// How long a kept-alive connection may wait, sending nothing, for its next request.
    /// Default 60 s; > 0.
    pub idle_timeout: Duration,
    /// A connection whose client takes none of its answer for this long is closed (a stall
    /// deadline: a slow download that keeps moving is never cut). Default 60 s; > 0.
    pub send_timeout: Duration,
    /// Total time a client has to send a request body (an upload or one chunk). Default
    /// 10 min; > 0.
    pub body_timeout: Duration,
    /// A body that, after `body_rate_grace`, brings fewer than this many bytes per second
    /// over a `body_rate_window` is cut with 408. Default 1 KiB/s; 0 turns the check off.
    pub min_body_rate: u64,
    /// What the minimum rate is averaged over. Default 10 s; > 0.
    pub body_rate_window: Duration,
    /// How long a body may take to get going before its rate counts. Default 10 s.
    pub body_rate_grace: Duration,
    /// On SIGTERM/SIGINT, in-flight requests get this long to finish. Default 30 s.
    pub shutdown_timeout: Duration,
    /// Open connections at most; more are answered `503` and closed at once. `None` (the
    /// default) takes three quarters of the open-file limit found at start-up.
    pub max_connections: Option<usize>,
    /// Open connections from one client address at most. `None` (the default) takes a
    /// quarter of `max_connections`.
    pub max_connections_per_client: Option<usize>,
    /// Whether HTTP/2 without TLS (h2c, prior knowledge) is spoken. Default off: CDNs reach
    /// their origins over HTTP/1.1, and h2c only adds attack surface there.
    pub http2: bool,
    /// Longest request target (path and query) in bytes; longer → 414. Default 8 KiB; > 0.
    pub max_url_bytes: usize,
    /// Most bytes of header names and values in one request; more → 431. Default 16 KiB; > 0.
    pub max_header_bytes: usize,
    /// Most header fields in one request; more → 431. Default 100; > 0.
    pub max_headers: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            header_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(60),
            send_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(10 * 60),
            min_body_rate: 1024,
            body_rate_window: Duration::from_secs(10),
            body_rate_grace: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(30),
            max_connections: None,
            max_connections_per_client: None,
            http2: false,
            max_url_bytes: 8 * 1024,
            max_header_bytes: 16 * 1024,
            max_headers: 100,
        }
    }
}
