//! An HTTP origin on loopback that serves a temp dir, records every request, and has special
//! paths for the ways an origin misbehaves (silence, stalls, endless bodies, 5xx, redirects).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use pixgate::config::Network;
use pixgate::config::{HttpRoot, Root, SourceConfig};
use pixgate::http::Body;
use sha2::Digest as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use url::Url;

use super::{Shutdown, serve};

/// Size of the bodies behind `/huge` and `/huge-sized`: far past any `max_source_bytes` a test
/// sets, and never sent whole by a client that stops reading at its cap.
pub const HUGE_BYTES: u64 = 100 * 1024 * 1024;

/// One request as the origin saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// The path and query exactly as received (still percent-encoded).
    pub target: String,
    pub if_none_match: Option<String>,
    pub host: Option<String>,
}

#[derive(Default)]
struct OriginState {
    seen: Mutex<Vec<Seen>>,
    redirects: Mutex<HashMap<String, String>>,
    /// Body bytes handed to the connection by `/huge` and `/huge-sized`.
    huge_sent: AtomicU64,
}

/// An HTTP/1.1 origin on loopback serving the files of a temp dir at their paths.
///
/// Every answer carries a strong `ETag` (a hash of the content), honours `If-None-Match` with
/// 304, and adds `Set-Cookie: origin=secret` and `X-Origin-Secret: 1`, which must never reach
/// pixgate's clients. Its `Content-Type` is always `application/octet-stream`: pixgate types
/// from the bytes. Special paths:
/// - `/slow/…`: never answers;
/// - `/stall/…`: answers 200 with `Content-Length: 100000`, sends 1000 bytes, then nothing;
/// - `/huge`: a chunked body (no length) of [`HUGE_BYTES`];
/// - `/huge-sized`: the same with an honest `Content-Length`;
/// - `/error` and `/error/…`: 500;
/// - `/no-head/…`: `HEAD` is 405 (`GET` serves the file; `Range` is ignored everywhere);
/// - `/hop/N/rest`: a 302 to `/hop/N-1/rest`, or to `/rest` from `/hop/1/rest` (N redirects);
/// - `/redirect?to=URL` and the paths given to [`Origin::redirect`]: a 302 to that URL.
pub struct Origin {
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
    state: Arc<OriginState>,
    connections: Arc<AtomicUsize>,
    _shutdown: Shutdown,
}

impl Origin {
    /// An origin on `127.0.0.1`, any free port.
    pub async fn start() -> Origin {
        Self::start_on(IpAddr::V4(Ipv4Addr::LOCALHOST)).await
    }

    /// An origin on `ip` (`127.0.0.2` is loopback too on Linux), any free port.
    pub async fn start_on(ip: IpAddr) -> Origin {
        let listener = TcpListener::bind((ip, 0)).await.expect("bind the origin");
        let addr = listener.local_addr().expect("local address");
        let dir = tempfile::tempdir().expect("tempdir");
        let state = Arc::new(OriginState::default());
        let (stop, stopped) = watch::channel(false);
        let connections = Arc::new(AtomicUsize::new(0));
        let files = dir.path().to_path_buf();
        let shared = state.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let files = files.clone();
            let state = shared.clone();
            async move { Ok::<_, std::convert::Infallible>(answer(&files, &state, request).await) }
        });
        let _live = serve(listener, service, stopped, connections.clone());
        Origin {
            addr,
            dir,
            state,
            connections,
            _shutdown: Shutdown(stop),
        }
    }

    /// `http://IP:PORT/`
    pub fn base(&self) -> Url {
        Url::parse(&format!("http://{}/", self.addr)).expect("URL")
    }

    /// `http://IP:PORT/path` (`path` without its leading slash, used as given).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    /// An HTTP root on this origin's base allowing `allowed` networks (CIDR), 3 redirects.
    pub fn root(&self, allowed: &[&str]) -> HttpRoot {
        HttpRoot {
            base: self.base(),
            allowed_networks: networks(allowed),
            max_redirects: 3,
        }
    }

    /// A source named `name` on this origin allowing loopback `127.0.0.1/32`.
    pub fn source(&self, name: &str) -> SourceConfig {
        SourceConfig::new(name, Root::Http(self.root(&["127.0.0.1/32"])))
    }

    /// Writes the file served at `/key` (`key` decoded, as a file name).
    pub fn put(&self, key: &str, bytes: &[u8]) -> &Origin {
        let path = self.dir.path().join(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, bytes).expect("write file");
        self
    }

    /// Makes `GET /path` (`path` as received, percent-encoded) answer `302 Location: to`.
    pub fn redirect(&self, path: &str, to: &str) -> &Origin {
        assert!(path.starts_with('/'), "{path}");
        self.state
            .redirects
            .lock()
            .unwrap()
            .insert(path.to_string(), to.to_string());
        self
    }

    /// Requests received so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// The targets of the requests received so far.
    pub fn targets(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.target).collect()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Body bytes of `/huge` and `/huge-sized` handed to the connection so far.
    pub fn huge_sent(&self) -> u64 {
        self.state.huge_sent.load(Ordering::SeqCst)
    }

    /// The strong ETag the origin gives `bytes`.
    pub fn etag_of(bytes: &[u8]) -> String {
        etag(bytes)
    }
}

/// Parses CIDR networks.
pub fn networks(allowed: &[&str]) -> Vec<Network> {
    allowed
        .iter()
        .map(|text| text.parse().unwrap_or_else(|e| panic!("{text}: {e}")))
        .collect()
}

fn etag(bytes: &[u8]) -> String {
    let digest = sha2::Sha256::digest(bytes);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

async fn answer(
    files: &Path,
    state: &Arc<OriginState>,
    request: Request<Incoming>,
) -> Response<Body> {
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let if_none_match = header("if-none-match");
    state.seen.lock().unwrap().push(Seen {
        method: request.method().to_string(),
        target: target.clone(),
        if_none_match: if_none_match.clone(),
        host: header("host"),
    });
    let path = request.uri().path().to_string();
    let mut response = if request.method() == hyper::Method::HEAD && path.starts_with("/no-head/") {
        let refusal = Response::builder()
            .status(StatusCode::METHOD_NOT_ALLOWED)
            .header("allow", "GET")
            .body(Body::Empty)
            .unwrap();
        Some(refusal)
    } else {
        special(state, &path, request.uri().query()).await
    };
    if response.is_none() && matches!(*request.method(), hyper::Method::GET | hyper::Method::HEAD) {
        response = Some(file(files, &path, if_none_match.as_deref()).await);
    }
    let mut response = response.unwrap_or_else(|| {
        Response::builder()
            .status(StatusCode::METHOD_NOT_ALLOWED)
            .body(Body::Empty)
            .unwrap()
    });
    let headers = response.headers_mut();
    headers.insert("set-cookie", "origin=secret; Path=/".parse().unwrap());
    headers.insert("x-origin-secret", "1".parse().unwrap());
    response
}

/// The special paths' answers; `None` for an ordinary file path.
async fn special(
    state: &Arc<OriginState>,
    path: &str,
    query: Option<&str>,
) -> Option<Response<Body>> {
    let redirect = |to: &str| {
        Response::builder()
            .status(StatusCode::FOUND)
            .header("location", to)
            .body(Body::Empty)
            .unwrap()
    };
    if let Some(to) = state.redirects.lock().unwrap().get(path) {
        return Some(redirect(to));
    }
    if path == "/redirect" {
        let to = query
            .and_then(|q| {
                serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                    .ok()?
                    .into_iter()
                    .find(|(name, _)| name == "to")
            })
            .map(|(_, to)| to)?;
        return Some(redirect(&to));
    }
    if let Some(rest) = path.strip_prefix("/hop/") {
        let (n, rest) = rest.split_once('/')?;
        let n: u32 = n.parse().ok()?;
        let to = if n > 1 {
            format!("/hop/{}/{rest}", n - 1)
        } else {
            format!("/{rest}")
        };
        return Some(redirect(&to));
    }
    if path.starts_with("/slow/") {
        std::future::pending::<()>().await;
    }
    if path.starts_with("/stall/") {
        let first = futures_util::stream::once(async {
            Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 1000]))
        });
        let never = futures_util::stream::pending::<Result<Bytes, std::io::Error>>();
        let body = Body::stream(futures_util::StreamExt::chain(first, never));
        return Some(
            Response::builder()
                .header("content-length", "100000")
                .header("content-type", "application/octet-stream")
                .body(body)
                .unwrap(),
        );
    }
    if path == "/huge" || path == "/huge-sized" {
        let mut response = Response::builder().header("content-type", "application/octet-stream");
        if path == "/huge-sized" {
            response = response.header("content-length", HUGE_BYTES.to_string());
        }
        return Some(response.body(huge_body(state.clone())).unwrap());
    }
    if path == "/error" || path.starts_with("/error/") {
        return Some(
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body(Body::full("origin broke"))
                .unwrap(),
        );
    }
    None
}

/// [`HUGE_BYTES`] of a JPEG start and zeros, 64 KiB at a time, counted as they are handed over.
fn huge_body(state: Arc<OriginState>) -> Body {
    const PIECE: u64 = 64 * 1024;
    let stream = futures_util::stream::unfold(0u64, move |at| {
        let state = state.clone();
        async move {
            if at >= HUGE_BYTES {
                return None;
            }
            let len = PIECE.min(HUGE_BYTES - at);
            let mut piece = vec![0u8; len as usize];
            if at == 0 {
                piece[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
            }
            state.huge_sent.fetch_add(len, Ordering::SeqCst);
            Some((Ok::<_, std::io::Error>(Bytes::from(piece)), at + len))
        }
    });
    Body::stream(stream)
}

async fn file(files: &Path, path: &str, if_none_match: Option<&str>) -> Response<Body> {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let relative = decoded.trim_start_matches('/');
    let not_found = || {
        Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::full("no such file"))
            .unwrap()
    };
    if relative.split('/').any(|s| s.is_empty() || s == "..") {
        return not_found();
    }
    let Ok(bytes) = tokio::fs::read(files.join(relative)).await else {
        return not_found();
    };
    let tag = etag(&bytes);
    let matches = if_none_match.is_some_and(|header| {
        header
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.trim_start_matches("W/") == tag)
    });
    let response = Response::builder()
        .header("etag", &tag)
        .header("cache-control", "public, max-age=31536000")
        .header("last-modified", "Wed, 10 Dec 2025 11:33:20 GMT");
    if matches {
        return response
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::Empty)
            .unwrap();
    }
    response
        .header("content-type", "application/octet-stream")
        .header("content-length", bytes.len().to_string())
        .body(Body::full(bytes))
        .unwrap()
}
