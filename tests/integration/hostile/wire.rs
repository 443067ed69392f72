//! Raw HTTP/1.1 on a TCP socket for clients the harness's own senders do not play: request
//! targets with raw control bytes, several requests in one write (pipelining), clients that
//! half-close, stop reading or vanish. Failures come back as `Err` so a table can report every
//! row at once; every wait is bounded.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::support::Reply;

/// `METHOD target HTTP/1.1`, `Host`, the headers, and the blank line. The target is written
/// exactly as given, bytes that are not ASCII included.
pub fn head(method: &str, target: &[u8], headers: &[(&str, &str)], close: bool) -> Vec<u8> {
    let mut out = format!("{method} ").into_bytes();
    out.extend_from_slice(target);
    out.extend_from_slice(b" HTTP/1.1\r\nHost: hostile.test\r\n");
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// [`crate::support::exchange`] within `limit`, failures as text for a table's report.
pub async fn exchange(
    addr: SocketAddr,
    wire: &[u8],
    half_close: bool,
    limit: Duration,
) -> Result<Vec<u8>, String> {
    let talk = crate::support::exchange(addr, wire, half_close);
    tokio::time::timeout(limit, talk)
        .await
        .map_err(|_| format!("no complete answer within {limit:?}"))?
        .map_err(|e| format!("connect or read: {e}"))
}

/// One request on a fresh connection (`Connection: close`), its one answer.
pub async fn one(
    addr: SocketAddr,
    method: &str,
    target: &[u8],
    headers: &[(&str, &str)],
    limit: Duration,
) -> Result<Reply, String> {
    let bytes = exchange(addr, &head(method, target, headers, true), false, limit).await?;
    let mut replies = parse_replies(&bytes, &[method])?;
    match replies.len() {
        1 => Ok(replies.remove(0)),
        n => Err(format!("{n} answers to one request")),
    }
}

/// Splits a connection's bytes into its answers, in order. `methods` are the requests'
/// methods in order (a `HEAD` answer has no body whatever its headers say); answers beyond
/// them are read as answers to GETs.
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

/// How many file descriptors process `pid` holds open.
pub fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("list /proc/<pid>/fd")
        .count()
}
