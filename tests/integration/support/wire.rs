//! HTTP/1.1 on a raw TCP socket, for what a URL library would normalise or refuse to send:
//! targets exactly as given (bytes that are not text included), bodies whose framing lies,
//! several requests in one write, clients that half-close or vanish. One parser reads every
//! answer into a [`Reply`], the one type every request of the suite returns.

use std::net::SocketAddr;
use std::time::Duration;

use image::RgbaImage;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::images::{decode, image_kind};

/// How long any one request may take before the test fails instead of hanging.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// `METHOD target HTTP/1.1`, `Host: pixgate.test` unless `headers` name one, `Connection:
/// close` when `close`, the headers, and the blank line. The target is written exactly as
/// given, bytes that are not ASCII included.
pub fn head(method: &str, target: &[u8], headers: &[(&str, &str)], close: bool) -> Vec<u8> {
    let mut out = format!("{method} ").into_bytes();
    out.extend_from_slice(target);
    out.extend_from_slice(b" HTTP/1.1\r\n");
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        out.extend_from_slice(b"Host: pixgate.test\r\n");
    }
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// [`head`] with `Connection: close` and `Host: ADDR` (unless given), plus `extra` headers:
/// what the panicking senders below put on the wire.
fn closing_head(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> Vec<u8> {
    let host = addr.to_string();
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        all.insert(0, ("Host", &host));
    }
    all.extend_from_slice(extra);
    head(method, target.as_bytes(), &all, true)
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

/// [`exchange`] within `limit`, failures as text for a table's report.
pub async fn exchange_within(
    addr: SocketAddr,
    wire: &[u8],
    half_close: bool,
    limit: Duration,
) -> Result<Vec<u8>, String> {
    tokio::time::timeout(limit, exchange(addr, wire, half_close))
        .await
        .map_err(|_| format!("no complete answer within {limit:?}"))?
        .map_err(|e| format!("connect or read: {e}"))
}

/// One request on a fresh connection (`Connection: close`), its one answer; failures as text.
pub async fn one(
    addr: SocketAddr,
    method: &str,
    target: &[u8],
    headers: &[(&str, &str)],
    limit: Duration,
) -> Result<Reply, String> {
    let wire = head(method, target, headers, true);
    let bytes = exchange_within(addr, &wire, false, limit).await?;
    only_reply(&bytes, method)
}

/// The one answer on a connection that carried one request.
fn only_reply(bytes: &[u8], method: &str) -> Result<Reply, String> {
    let mut replies = parse_replies(bytes, &[method])?;
    match replies.len() {
        1 => Ok(replies.remove(0)),
        n => Err(format!("{n} answers to one request")),
    }
}

/// Sends `METHOD target HTTP/1.1` with the target exactly as given (nothing normalised or
/// encoded), `Connection: close`, and reads the whole answer.
pub async fn raw_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let wire = closing_head(addr, method, target, headers, &[]);
    answered(addr, method, target, &wire).await
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
    let mut wire;
    match body {
        RawBody::Sized(bytes) => {
            let length = bytes.len().to_string();
            wire = closing_head(
                addr,
                method,
                target,
                headers,
                &[("Content-Length", &length)],
            );
            wire.extend_from_slice(bytes);
        }
        RawBody::Chunked { bytes, piece } => {
            let chunked = [("Transfer-Encoding", "chunked")];
            wire = closing_head(addr, method, target, headers, &chunked);
            for part in bytes.chunks(piece.max(1)) {
                wire.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
                wire.extend_from_slice(part);
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(b"0\r\n\r\n");
        }
    }
    answered(addr, method, target, &wire).await
}

/// A client that gives up mid-body: sends the head with `Content-Length: declared`, then only
/// `sent` (shorter than `declared`), then closes the connection without reading an answer.
/// Returns once the bytes are out, which is before the server has done anything about them:
/// `TestServer::disconnect_mid_body` waits for that.
pub async fn raw_disconnect(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    declared: u64,
    sent: &[u8],
) {
    assert!((sent.len() as u64) < declared, "that is not a disconnect");
    let length = declared.to_string();
    let head = closing_head(
        addr,
        method,
        target,
        headers,
        &[("Content-Length", &length)],
    );
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream.write_all(&head).await?;
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

/// Sends `wire` (one request), waits for the answer (at most [`REQUEST_TIMEOUT`]) and parses
/// it, failing the test on any error.
async fn answered(addr: SocketAddr, method: &str, target: &str, wire: &[u8]) -> Reply {
    let answer = exchange_within(addr, wire, false, REQUEST_TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{method} {target}: {e}"));
    only_reply(&answer, method).unwrap_or_else(|e| panic!("{method} {target}: {e}"))
}

/// Splits a connection's bytes into its answers, in order. `methods` are the requests'
/// methods in order (a `HEAD` answer has no body whatever its headers say); answers beyond
/// them are read as answers to GETs. Bytes left after a body its framing ended are read as
/// another answer, so a `HEAD` or a 304 that carried a body does not parse as one answer.
pub fn parse_replies(mut bytes: &[u8], methods: &[&str]) -> Result<Vec<Reply>, String> {
    let mut replies = Vec::new();
    while !bytes.is_empty() {
        let head_request = methods.get(replies.len()) == Some(&"HEAD");
        let (reply, rest) = parse_one(bytes, head_request)?;
        replies.push(reply);
        bytes = rest;
    }
    if replies.is_empty() {
        return Err("the connection closed without an answer".into());
    }
    Ok(replies)
}

fn parse_one(bytes: &[u8], head_request: bool) -> Result<(Reply, &[u8]), String> {
    let shown = || String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no end of head in {:?}", shown()))?;
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| format!("head {:?}", shown()))?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("status line of {:?}", shown()))?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("header line {line:?}"))?;
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).map_err(|e| e.to_string())?,
            HeaderValue::from_str(value.trim()).map_err(|e| e.to_string())?,
        );
    }
    let rest = &bytes[end + 4..];
    let no_body = head_request || status < 200 || status == 204 || status == 304;
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
    let length = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let (body, rest) = if no_body {
        (Vec::new(), rest)
    } else if chunked {
        dechunk(rest)?
    } else if let Some(length) = length {
        if rest.len() < length {
            return Err(format!(
                "{status}: body of {} bytes, Content-Length {length}",
                rest.len()
            ));
        }
        (rest[..length].to_vec(), &rest[length..])
    } else {
        (rest.to_vec(), &rest[rest.len()..])
    };
    Ok((
        Reply {
            status,
            headers,
            body,
        },
        rest,
    ))
}

fn dechunk(mut rest: &[u8]) -> Result<(Vec<u8>, &[u8]), String> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunk size line")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).map_err(|e| e.to_string())?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("chunk size {size_text:?}: {e}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            // No trailers are sent: the blank line ends the body.
            return Ok((body, rest.get(2..).unwrap_or(&[])));
        }
        body.extend_from_slice(rest.get(..size).ok_or("chunk cut short")?);
        rest = rest.get(size + 2..).ok_or("chunk cut short")?;
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

    /// Status, content type and the start of the body, for failure messages.
    pub fn summary(&self) -> String {
        format!(
            "got {} ({:?}) {}",
            self.status,
            self.header("content-type"),
            self.text().chars().take(200).collect::<String>()
        )
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

    /// [`Reply::assert_image`], then the decoded pixels (JPEG, PNG, WebP, GIF's first frame).
    #[track_caller]
    pub fn image(&self, kind: &str) -> RgbaImage {
        self.assert_image(kind);
        decode(&self.body)
    }

    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// What is wrong with the status and headers every JSON error carries, if anything.
    fn error_headers_wrong(&self, status: u16) -> Option<&'static str> {
        if self.status != status {
            Some("status")
        } else if self.header("cache-control") != Some("no-store") {
            Some("Cache-Control is not no-store")
        } else if self.header("x-content-type-options") != Some("nosniff") {
            Some("no nosniff")
        } else if !self
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
        {
            Some("not JSON")
        } else {
            None
        }
    }

    /// Whether this is a refusal the way every error must look (contract §2.3, §4): the
    /// status, the JSON envelope `{meta, data: null, error: {code, message}, links}` with
    /// `code`, `Cache-Control: no-store`, `X-Content-Type-Options: nosniff`, and no image
    /// bytes. The message, or what is wrong, for a table to report.
    pub fn error_shape(&self, status: u16, code: &str) -> Result<String, String> {
        let wrong = |what: &str| {
            Err(format!(
                "wanted {status} {code}: {what}; {}",
                self.summary()
            ))
        };
        if let Some(what) = self.error_headers_wrong(status) {
            return wrong(what);
        }
        if image_kind(&self.body).is_some() {
            return wrong("image bytes in an error");
        }
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&self.body) else {
            return wrong("body is not JSON");
        };
        if json["data"] != serde_json::Value::Null
            || !json["meta"].is_object()
            || json.get("links").is_none()
        {
            return wrong(&format!("not the envelope: {json}"));
        }
        if json["error"]["code"] != code {
            return wrong(&format!("code: {json}"));
        }
        match json["error"]["message"].as_str() {
            Some(message) => Ok(message.to_string()),
            None => wrong(&format!("error.message is not a string: {json}")),
        }
    }

    /// The headers of [`Reply::error_shape`] on an answer to `HEAD`, which has no body.
    pub fn head_error_shape(&self, status: u16) -> Result<(), String> {
        let wrong = |what: &str| Err(format!("wanted HEAD {status}: {what}; {}", self.summary()));
        if let Some(what) = self.error_headers_wrong(status) {
            return wrong(what);
        }
        if !self.body.is_empty() {
            return wrong("a body");
        }
        Ok(())
    }

    /// Fails the test unless this is the JSON error `status` `code` ([`Reply::error_shape`]).
    /// Returns the message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> String {
        self.error_shape(status, code)
            .unwrap_or_else(|wrong| panic!("{wrong}; headers {:?}", self.headers))
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
