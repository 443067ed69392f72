//! HTTP/1.1 on a raw TCP socket, for what a URL library would normalise or refuse to send:
//! targets exactly as given (bytes that are not text included), bodies whose framing lies,
//! several requests in one write, clients that half-close or vanish. Every wait is bounded.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::reply::{Reply, parse_replies};

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
