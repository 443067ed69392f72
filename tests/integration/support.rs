//! The harness: a real pixgate server on `127.0.0.1:0` per test, reqwest for ordinary requests, a
//! raw HTTP/1.1 client for targets a URL library would normalise, throw-away source roots, an
//! independent implementation of both signing schemes, and readers for the images that come back.

use std::io::{BufRead, BufReader, Cursor, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;
use hmac::{KeyInit as _, Mac as _};
use image::{ImageFormat, RgbaImage};
use md5::Digest as _;
use pixgate::app::AppState;
use pixgate::config::{Config, SourceConfig};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long any one request may take before the test fails instead of hanging.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A fixed instant used by tests that do not care which one: 2025-12-10T11:33:20Z.
pub const NOW: u64 = 1_765_366_400;

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

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
            std::future::pending(),
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

    /// GET `path_and_query` with reqwest.
    pub async fn get(&self, path_and_query: &str) -> Reply {
        self.request("GET", path_and_query, &[]).await
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
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let url = format!("{}{path_and_query}", self.base());
        let mut request = self.client.request(method, &url);
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

    /// Sends `METHOD target HTTP/1.1` with the target exactly as given (nothing normalised or
    /// encoded), `Connection: close`, and reads the whole answer.
    pub async fn raw(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
        raw_request(self.addr, method, target, headers).await
    }

    /// The server's address, for the raw senders below.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// How [`raw_send`] puts a request body on the wire.
#[derive(Clone, Copy, Debug)]
pub enum RawBody<'a> {
    /// `Content-Length` and the bytes.
    Sized(&'a [u8]),
    /// `Transfer-Encoding: chunked` in HTTP chunks of at most `piece` bytes, no `Content-Length`.
    Chunked { bytes: &'a [u8], piece: usize },
}

/// One HTTP exchange with a body over a fresh TCP connection, target and headers exactly as
/// given, `Connection: close`. The answer is read while the body is still being written, so a
/// server that answers early (a 413 before the body is read) and then closes is seen answering
/// rather than as a reset.
pub async fn raw_send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: RawBody<'_>,
) -> Reply {
    let mut head = raw_head(addr, method, target, headers);
    let mut wire = Vec::new();
    match body {
        RawBody::Sized(bytes) => {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", bytes.len()));
            wire.extend_from_slice(bytes);
        }
        RawBody::Chunked { bytes, piece } => {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            for part in bytes.chunks(piece.max(1)) {
                wire.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
                wire.extend_from_slice(part);
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(b"0\r\n\r\n");
        }
    }
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&wire);
    answered(method, target, exchange(addr, &bytes, false)).await
}

/// Writes `wire` on a fresh connection while reading the answer, optionally half-closes once
/// written, and reads until the server closes. A write the server stopped reading (it answered
/// early) is not an error, nor a reset after some answer arrived: the answer is what counts.
pub async fn exchange(addr: SocketAddr, wire: &[u8], half_close: bool) -> std::io::Result<Vec<u8>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut reader, mut writer) = stream.into_split();
    let write = async move {
        let mut written = true;
        for part in wire.chunks(16 * 1024) {
            if writer.write_all(part).await.is_err() {
                written = false;
                break;
            }
        }
        if written && half_close {
            let _ = writer.shutdown().await;
        }
        writer
    };
    let read = async {
        let mut answer = Vec::new();
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) => return Ok(answer),
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
                Err(_) if !answer.is_empty() => return Ok(answer),
                Err(e) => return Err(e),
            }
        }
    };
    let (_writer, answer) = tokio::join!(write, read);
    answer
}

/// A client that gives up mid-body: sends the head with `Content-Length: declared`, then only
/// `sent` (shorter than `declared`), then closes the connection without reading an answer.
pub async fn raw_disconnect(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    declared: u64,
    sent: &[u8],
) {
    assert!((sent.len() as u64) < declared, "that is not a disconnect");
    let mut head = raw_head(addr, method, target, headers);
    head.push_str(&format!("Content-Length: {declared}\r\n\r\n"));
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(sent).await?;
        stream.flush().await?;
        stream.shutdown().await?;
        Ok::<_, std::io::Error>(())
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {target}: timed out"))
        .unwrap_or_else(|e| panic!("{method} {target}: {e}"));
}

/// `METHOD target HTTP/1.1`, `Connection: close`, `Host` unless given, and `headers`, without
/// the blank line that ends the head.
fn raw_head(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)]) -> String {
    let mut head = format!("{method} {target} HTTP/1.1\r\nConnection: close\r\n");
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head
}

/// One HTTP exchange over a fresh TCP connection, bytes exactly as given.
pub async fn raw_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let mut head = raw_head(addr, method, target, headers);
    head.push_str("\r\n");
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream.write_all(head.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    answered(method, target, exchange).await
}

/// Waits for a raw exchange (at most [`REQUEST_TIMEOUT`]) and parses its answer.
async fn answered(
    method: &str,
    target: &str,
    exchange: impl std::future::Future<Output = std::io::Result<Vec<u8>>>,
) -> Reply {
    let answer = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {target}: timed out"))
        .unwrap_or_else(|e| panic!("{method} {target}: {e}"));
    parse_response(&answer, method == "HEAD")
        .unwrap_or_else(|| panic!("{method} {target}: not an HTTP response: {answer:?}"))
}

fn parse_response(bytes: &[u8], head_request: bool) -> Option<Reply> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).ok()?,
            HeaderValue::from_str(value.trim()).ok()?,
        );
    }
    let rest = &bytes[end + 4..];
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
    let body = if head_request {
        rest.to_vec()
    } else if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Some(Reply {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

/// A response: status, headers and the whole body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as lossy text, shortened, for failure messages.
    pub fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        text.chars().take(400).collect()
    }

    /// Fails the test unless the status is `status`, showing the body if it was not.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Reply {
        assert_eq!(
            self.status,
            status,
            "status {} (wanted {status}); headers {:?}; body {}",
            self.status,
            self.headers,
            self.text()
        );
        self
    }

    /// A 200 whose body is an image of the given kind (`jpeg`, `png`, `webp`, `gif`, `avif`),
    /// with a matching `Content-Type`.
    #[track_caller]
    pub fn assert_image(&self, kind: &str) -> &Reply {
        self.assert_status(200);
        assert_eq!(image_kind(&self.body), Some(kind), "body is not {kind}");
        assert_eq!(
            self.header("content-type"),
            Some(format!("image/{kind}").as_str())
        );
        self
    }

    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// Checks a refusal the way every error must look (contract §2.3, §4): the status, the
    /// JSON envelope `{meta, data: null, error: {code, message}, links}` with `code`,
    /// `Cache-Control: no-store`, `X-Content-Type-Options: nosniff`, and no image bytes.
    /// Returns the message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> String {
        self.assert_status(status);
        assert_eq!(self.header("cache-control"), Some("no-store"), "{code}");
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"));
        assert!(
            self.header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "content-type {:?}",
            self.header("content-type")
        );
        assert_eq!(image_kind(&self.body), None, "an error carried image bytes");
        let json = self.json();
        assert!(json.get("meta").is_some_and(|m| m.is_object()), "{json}");
        assert!(json.get("links").is_some(), "{json}");
        assert_eq!(json.get("data"), Some(&serde_json::Value::Null), "{json}");
        let error = &json["error"];
        assert_eq!(error["code"], code, "{json}");
        error["message"]
            .as_str()
            .unwrap_or_else(|| panic!("error.message is not a string: {json}"))
            .to_string()
    }

    /// `max-age` from `Cache-Control: public, max-age=N`.
    #[track_caller]
    pub fn max_age(&self) -> u64 {
        let cc = self.header("cache-control").unwrap_or("");
        assert!(cc.starts_with("public"), "cache-control {cc:?}");
        cc.split(',')
            .filter_map(|part| part.trim().strip_prefix("max-age="))
            .find_map(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no max-age in {cc:?}"))
    }
}

// ---------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------

/// A throw-away source root.
pub struct Root {
    dir: tempfile::TempDir,
}

impl Root {
    pub fn new() -> Root {
        Root {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `bytes` at `key`, creating folders.
    pub fn put(&self, key: &str, bytes: &[u8]) -> &Root {
        let path = self.dir.path().join(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, bytes).expect("write file");
        self
    }

    /// Copies `fixtures/<fixture>` to `key`.
    pub fn put_fixture(&self, key: &str, fixture_name: &str) -> &Root {
        self.put(key, &fixture(fixture_name))
    }

    /// A non-secure source serving this root for any host, everything else defaulted.
    pub fn source(&self, name: &str) -> SourceConfig {
        SourceConfig::new(name, self.dir.path().to_path_buf())
    }
}

/// The repo's `fixtures/` folder.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The bytes of `fixtures/<name>`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A config with these sources and every other section defaulted.
pub fn config(sources: Vec<SourceConfig>) -> Config {
    let mut config = Config {
        sources,
        ..Config::default()
    };
    // AV1 decoded in a child process, as `pixgate serve` does.
    config.limits.av1_decoder = Some(env!("CARGO_BIN_EXE_pixgate").into());
    config
}

// ---------------------------------------------------------------------------------------------
// Signing, implemented here from the contract (§2.1, §2.2) rather than borrowed from the crate
// ---------------------------------------------------------------------------------------------

/// `raw_query` with `s=md5_hex(token + raw_path + ("?" + raw_query))` appended.
pub fn md5_signed(token: &str, raw_path: &str, raw_query: &str) -> String {
    let mut input = format!("{token}{raw_path}");
    if !raw_query.is_empty() {
        input.push('?');
        input.push_str(raw_query);
    }
    let digest = md5::Md5::digest(input.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    join_query(raw_query, &format!("s={hex}"))
}

/// `raw_query` with `signature=base64url(HMAC-SHA256(key, path-without-slash + ("?" + query)))`.
pub fn hmac_signed(key: &str, raw_path: &str, raw_query: &str) -> String {
    let mut input = raw_path.trim_start_matches('/').to_string();
    if !raw_query.is_empty() {
        input.push('?');
        input.push_str(raw_query);
    }
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(input.as_bytes());
    let token =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    join_query(raw_query, &format!("signature={token}"))
}

fn join_query(raw_query: &str, pair: &str) -> String {
    if raw_query.is_empty() {
        pair.to_string()
    } else {
        format!("{raw_query}&{pair}")
    }
}

/// `path?` + the MD5-signed query.
pub fn md5_url(token: &str, raw_path: &str, raw_query: &str) -> String {
    format!("{raw_path}?{}", md5_signed(token, raw_path, raw_query))
}

/// `path?` + the HMAC-signed query.
pub fn hmac_url(key: &str, raw_path: &str, raw_query: &str) -> String {
    format!("{raw_path}?{}", hmac_signed(key, raw_path, raw_query))
}

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

pub const RED: [u8; 4] = [255, 0, 0, 255];
pub const BLUE: [u8; 4] = [0, 0, 255, 255];
pub const GREEN: [u8; 4] = [0, 255, 0, 255];
pub const YELLOW: [u8; 4] = [255, 255, 0, 255];

/// PNG bytes of `image`.
pub fn png(image: &RgbaImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, ImageFormat::Png)
        .expect("encode PNG");
    out.into_inner()
}

/// A `width`×`height` PNG whose left half is `left` and right half `right`.
pub fn halves_png(width: u32, height: u32, left: [u8; 4], right: [u8; 4]) -> Vec<u8> {
    png(&RgbaImage::from_fn(width, height, |x, _| {
        image::Rgba(if x < width / 2 { left } else { right })
    }))
}

/// A `width`×`height` PNG whose top half is `top` and bottom half `bottom`.
pub fn stacked_png(width: u32, height: u32, top: [u8; 4], bottom: [u8; 4]) -> Vec<u8> {
    png(&RgbaImage::from_fn(width, height, |_, y| {
        image::Rgba(if y < height / 2 { top } else { bottom })
    }))
}

/// A smooth opaque gradient, so lossy encoders have something to do.
pub fn gradient_png(width: u32, height: u32) -> Vec<u8> {
    png(&RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            ((x + y) * 127 / (width + height).max(1)) as u8,
            255,
        ])
    }))
}

/// The kind of image the bytes are, from their magic numbers.
pub fn image_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("webp")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("gif")
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" && &bytes[8..12] == b"avif" {
        Some("avif")
    } else {
        None
    }
}

/// Decoded pixels of a JPEG, PNG, WebP or GIF (first frame), as RGBA.
pub fn decode(bytes: &[u8]) -> RgbaImage {
    match image_kind(bytes) {
        Some("jpeg") => decode_jpeg(bytes),
        Some("png" | "webp" | "gif") => image::load_from_memory(bytes)
            .expect("decodable image")
            .to_rgba8(),
        other => panic!("cannot decode {other:?}"),
    }
}

/// JPEG through libjpeg (the `image` crate here has no JPEG decoder).
fn decode_jpeg(bytes: &[u8]) -> RgbaImage {
    let mut started = mozjpeg::Decompress::new_mem(bytes)
        .expect("JPEG header")
        .rgb()
        .expect("JPEG start");
    let (width, height) = (started.width() as u32, started.height() as u32);
    let rgb: Vec<u8> = started.read_scanlines().expect("JPEG scanlines");
    started.finish().expect("JPEG end");
    let rgb = image::RgbImage::from_raw(width, height, rgb).expect("JPEG buffer size");
    image::DynamicImage::ImageRgb8(rgb).to_rgba8()
}

/// Width and height of any image kind pixgate writes (AVIF from its `ispe` box).
pub fn dimensions(bytes: &[u8]) -> (u32, u32) {
    match image_kind(bytes) {
        Some("avif") => avif_dimensions(bytes).expect("AVIF ispe box"),
        _ => decode(bytes).dimensions(),
    }
}

/// The image spatial extents property of an AVIF (HEIF `ispe`: version/flags, width, height).
fn avif_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let at = bytes.windows(4).position(|w| w == b"ispe")?;
    let field = |offset: usize| -> Option<u32> {
        let b = bytes.get(at + offset..at + offset + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    Some((field(8)?, field(12)?))
}

/// A JPEG's marker segments up to and including the first scan header: (offset of the
/// marker, marker, payload after the length field).
pub fn jpeg_segments(bytes: &[u8]) -> Vec<(usize, u8, &[u8])> {
    assert_eq!(&bytes[..2], [0xFF, 0xD8], "SOI");
    let mut segments = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() {
        assert_eq!(bytes[at], 0xFF, "JPEG segment at {at}");
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        segments.push((at, marker, &bytes[at + 4..at + 2 + length]));
        if marker == 0xDA {
            break;
        }
        at += 2 + length;
    }
    segments
}

/// Whether `marker` starts a frame header: `0xC0`…`0xCF` minus DHT, JPG and DAC.
pub fn is_jpeg_frame(marker: u8) -> bool {
    (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker)
}

/// The start-of-frame markers of a JPEG.
pub fn jpeg_frame_markers(bytes: &[u8]) -> Vec<u8> {
    jpeg_segments(bytes)
        .into_iter()
        .map(|(_, marker, _)| marker)
        .filter(|&marker| is_jpeg_frame(marker))
        .collect()
}

/// Mean absolute difference of the RGB channels, 0–255.
pub fn mean_abs_diff(a: &RgbaImage, b: &RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let mut total = 0u64;
    for (p, q) in a.pixels().zip(b.pixels()) {
        for c in 0..3 {
            total += u64::from(p.0[c].abs_diff(q.0[c]));
        }
    }
    total as f64 / (f64::from(a.width()) * f64::from(a.height()) * 3.0)
}

/// Mean RGBA of the whole image.
pub fn mean_colour(image: &RgbaImage) -> [f64; 4] {
    let mut sum = [0f64; 4];
    for p in image.pixels() {
        for (c, total) in sum.iter_mut().enumerate() {
            *total += f64::from(p.0[c]);
        }
    }
    let n = f64::from(image.width()) * f64::from(image.height());
    sum.map(|total| total / n)
}

// ---------------------------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------------------------

/// `pixgate` with these arguments, environment cleared of `PIXGATE_*` and `RUST_LOG` except for
/// `env`.
pub fn pixgate_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pixgate"));
    command.args(args);
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        if name_text.starts_with("PIXGATE_") || name_text == "RUST_LOG" {
            command.env_remove(&name);
        }
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// Runs `pixgate` to completion: (success, stdout, stderr).
pub fn run_pixgate(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let output = pixgate_command(args, env)
        .stdin(Stdio::null())
        .output()
        .expect("run pixgate");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// How long `pixgate serve` may take to start listening; it is quick, this only bounds a
/// broken build.
const DAEMON_STARTUP: Duration = Duration::from_secs(30);

/// A running `pixgate` process, killed and reaped when dropped (also when the test fails), whose
/// stdout and stderr lines arrive on one channel.
pub struct Daemon {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
}

impl Daemon {
    pub fn spawn(mut command: Command) -> Daemon {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pixgate");
        let (send, lines) = mpsc::channel();
        let stdout = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let stderr = child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        for stream in [stdout, stderr].into_iter().flatten() {
            let send = send.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if send.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Daemon { child, lines }
    }

    /// Reads log lines until `found` has returned `Some` for each of `wanted` distinct
    /// answers, or fails after `timeout` showing what was logged.
    pub fn wait_for_lines(
        &mut self,
        wanted: usize,
        timeout: Duration,
        found: impl Fn(&str) -> Option<String>,
    ) -> Vec<String> {
        let deadline = std::time::Instant::now() + timeout;
        let mut seen = Vec::new();
        let mut hits: Vec<String> = Vec::new();
        while hits.len() < wanted {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(hit) = found(&line) {
                        hits.push(hit);
                    }
                    seen.push(line);
                }
                Err(e) => panic!("{e:?} waiting for log lines; got:\n{}", seen.join("\n")),
            }
        }
        hits
    }
}

impl Daemon {
    /// `pixgate serve --config <config>` (a config listening on port 0), and the address it
    /// logs once it is listening.
    pub fn serve(config: &Path) -> (Daemon, SocketAddr) {
        Daemon::serve_with_env(config, &[])
    }

    /// [`Daemon::serve`] with these environment variables too.
    pub fn serve_with_env(config: &Path, env: &[(&str, &str)]) -> (Daemon, SocketAddr) {
        let config = config.display().to_string();
        let mut env = env.to_vec();
        env.push(("RUST_LOG", "info"));
        let mut daemon = Daemon::spawn(pixgate_command(&["serve", "--config", &config], &env));
        let addr = daemon.wait_for_lines(1, DAEMON_STARTUP, |line| {
            let line = strip_ansi(line);
            let at = line.find("listening on http://")? + "listening on http://".len();
            // Text logs end the address with a space, JSON logs with a quote.
            let end = line[at..]
                .find(|c: char| c.is_whitespace() || c == '"')
                .map_or(line.len(), |i| at + i);
            Some(line[at..end].to_string())
        });
        let addr = addr[0].parse().expect("a socket address in the log");
        (daemon, addr)
    }

    /// Sends SIGTERM and waits for the process to exit, failing after `timeout`.
    pub fn terminate(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for pixgate") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "pixgate ignored SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The process's peak resident memory so far, in KiB (Linux's `VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        proc_status(self.pid(), "VmHWM")
    }

    /// The process's threads now (Linux's `Threads`).
    pub fn threads(&self) -> u64 {
        proc_status(self.pid(), "Threads")
    }
}

/// A number field of `/proc/<pid>/status` (`kB` values in KiB).
pub fn proc_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("read /proc/{pid}/status: {e}"));
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes ANSI escape sequences (`ESC [ … letter`) from a log line.
pub fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A PNG chunk: length, type, data, CRC-32 of type and data.
pub fn png_chunk(name: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(name);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&out[4..]).to_be_bytes());
    out
}

/// CRC-32 (IEEE, reflected, as PNG uses it), bit by bit.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The chunk types of a PNG, in order.
pub fn png_chunks(bytes: &[u8]) -> Vec<[u8; 4]> {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let mut chunks = Vec::new();
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let length = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        chunks.push(bytes[at + 4..at + 8].try_into().unwrap());
        at += 12 + length;
    }
    chunks
}
