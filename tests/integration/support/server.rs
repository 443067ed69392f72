//! pixgate in-process for a test: the real server on `127.0.0.1:0` on the test's runtime, with
//! reqwest for ordinary requests, a clock the test may hold still, and the counters of
//! `/_pixgate/metrics`; and the runtime and proptest runner of tests that drive it
//! synchronously. The binary is `binary`'s.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use pixgate::app::AppState;
use pixgate::config::Config;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};

use super::reply::Reply;
use super::roots::{Root, config};
use super::wait::eventually;
use super::wire::{REQUEST_TIMEOUT, raw_disconnect, raw_request};

/// A pixgate server running on the test's runtime; it stops when the runtime does.
pub struct TestServer {
    addr: SocketAddr,
    pub state: AppState,
    client: reqwest::Client,
    /// The fixed clock, when there is one.
    now: Option<Arc<AtomicU64>>,
}

impl TestServer {
    /// A server on the real clock.
    pub async fn start(config: Config) -> TestServer {
        Self::start_with(config, pixgate::app::system_clock(), None).await
    }

    /// A server of `root` as one public source, `demo`, everything else defaulted: what most
    /// tests need.
    pub async fn serving(root: &Root) -> TestServer {
        Self::start(config(vec![root.source("demo")])).await
    }

    /// A server whose clock stands still at `now` (unix seconds) until [`TestServer::set_now`].
    pub async fn start_at(config: Config, now: u64) -> TestServer {
        let cell = Arc::new(AtomicU64::new(now));
        let read = cell.clone();
        let clock: pixgate::app::Clock = Arc::new(move || read.load(Ordering::SeqCst));
        Self::start_with(config, clock, Some(cell)).await
    }

    async fn start_with(
        config: Config,
        clock: pixgate::app::Clock,
        now: Option<Arc<AtomicU64>>,
    ) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let state = AppState::new(config, clock).expect("AppState::new");
        tokio::spawn(pixgate::http::run(
            listener,
            state.clone(),
            futures_util::stream::pending(),
        ));
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("reqwest client");
        TestServer {
            addr,
            state,
            client,
            now,
        }
    }

    /// Moves the fixed clock.
    pub fn set_now(&self, now: u64) {
        self.now
            .as_ref()
            .expect("set_now needs a server started with start_at")
            .store(now, Ordering::SeqCst);
    }

    /// `http://127.0.0.1:PORT`
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's address, for the raw senders of `wire`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// GET `path_and_query` with reqwest.
    pub async fn get(&self, path_and_query: &str) -> Reply {
        self.request("GET", path_and_query, &[]).await
    }

    /// `n` GETs of `path_and_query` at once, each from its own task (and connection); the
    /// replies in the order the requests were made.
    pub async fn get_at_once(
        self: &std::sync::Arc<Self>,
        path_and_query: &str,
        n: usize,
    ) -> Vec<Reply> {
        let requests: Vec<_> = (0..n)
            .map(|_| {
                let (server, target) = (std::sync::Arc::clone(self), path_and_query.to_string());
                tokio::spawn(async move { server.get(&target).await })
            })
            .collect();
        let mut replies = Vec::with_capacity(n);
        for request in requests {
            replies.push(request.await.expect("a request task"));
        }
        replies
    }

    /// GET with extra request headers.
    pub async fn get_with(&self, path_and_query: &str, headers: &[(&str, &str)]) -> Reply {
        self.request("GET", path_and_query, headers).await
    }

    /// Any method with reqwest; `Host` may be overridden through `headers`.
    pub async fn request(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.exchange(method, path_and_query, headers, None).await
    }

    /// Any method with reqwest and a request body, sent with its `Content-Length` (an empty
    /// body as `Content-Length: 0`).
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        self.exchange(method, path_and_query, headers, Some(body))
            .await
    }

    async fn exchange(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        assert!(path_and_query.starts_with('/'), "{path_and_query}");
        let url = format!("{}{path_and_query}", self.base());
        exchange(&self.client, method, &url, headers, body).await
    }

    /// Sends `METHOD target HTTP/1.1` with the target exactly as given (nothing normalised or
    /// encoded), `Connection: close`, and reads the whole answer.
    pub async fn raw(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
        raw_request(self.addr, method, target, headers).await
    }

    /// `/_pixgate/metrics`, which must answer 200 in Prometheus' text format.
    pub async fn metrics(&self) -> Metrics {
        let reply = self.get("/_pixgate/metrics").await;
        reply.assert_status(200);
        let kind = reply.header("content-type").unwrap_or("");
        assert!(kind.starts_with("text/plain"), "metrics as {kind:?}");
        Metrics(String::from_utf8(reply.body).expect("metrics are text"))
    }

    /// One sample of `/_pixgate/metrics` ([`Metrics::value`]).
    pub async fn metric(&self, series: &str) -> Option<f64> {
        self.metrics().await.value(series)
    }

    /// A client that gives up mid-body ([`raw_disconnect`] of a `PUT`), and the wait for the
    /// server to have finished with it: the request counted in `pixgate_requests_total`, which
    /// the edge does once the handler has returned, so whatever the handler was going to undo
    /// is undone. For a server nobody else sends uploads to meanwhile.
    pub async fn disconnect_mid_body(
        &self,
        target: &str,
        headers: &[(&str, &str)],
        declared: u64,
        sent: &[u8],
    ) {
        let before = self.metrics().await.requests("upload");
        raw_disconnect(self.addr, "PUT", target, headers, declared, sent).await;
        eventually("the abandoned upload counted as answered", async || {
            let now = self.metrics().await.requests("upload");
            (now > before, now)
        })
        .await;
    }

    /// Waits until `series` reads `value` ([`eventually`]).
    pub async fn await_metric(&self, series: &str, value: f64) {
        eventually(&format!("{series} == {value}"), async || {
            let now = self.metric(series).await;
            (now == Some(value), now)
        })
        .await;
    }
}

/// One request with `client` to `url` (`http://host:port/path?query`), `headers` added (`Host`
/// among them if given), the whole answer read.
pub async fn exchange(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = client.request(method, url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("{url}: body: {e}"))
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// The text of `/_pixgate/metrics`.
#[derive(Debug)]
pub struct Metrics(pub String);

impl Metrics {
    /// The value of one series, named exactly as exposed (with its labels, if any).
    pub fn value(&self, series: &str) -> Option<f64> {
        self.0
            .lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    /// The value of a counter that must be exposed.
    #[track_caller]
    pub fn count(&self, series: &str) -> u64 {
        let value = self
            .value(series)
            .unwrap_or_else(|| panic!("no `{series}` in\n{}", self.0));
        value as u64
    }

    /// Requests of `route` answered so far, whatever their status.
    pub fn requests(&self, route: &str) -> u64 {
        let series = format!("pixgate_requests_total{{route=\"{route}\",");
        self.0
            .lines()
            .filter_map(|line| {
                line.strip_prefix(&series)?
                    .rsplit(' ')
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .sum()
    }

    /// Whether the text has exactly this line.
    pub fn has_line(&self, line: &str) -> bool {
        self.0.lines().any(|l| l == line)
    }
}

/// A runtime for a synchronous test that drives servers itself (proptest's runner is
/// synchronous, and a restart needs the runtime to end).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A proptest runner for a property checked through the server: `cases` cases, nothing
/// written to disk about failures (they are printed).
pub fn runner(cases: u32) -> TestRunner {
    TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}
