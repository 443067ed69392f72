//! `pixgate health`: one `GET /_pixgate/health` over a plain HTTP/1.1 connection under one
//! short deadline, for the container image's `HEALTHCHECK`, where there is no shell and no
//! curl. Blocking std I/O: one request needs no async runtime.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Connecting, sending and reading the status line together: a live server answers health
/// in microseconds, and a container runtime's own probe timeout is usually longer.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Where a server listening on `listen` answers health from this machine: an unspecified
/// address (`0.0.0.0`, `[::]`) is reached on the loopback of its family.
pub fn default_url(listen: SocketAddr) -> String {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!(
        "http://{}/_pixgate/health",
        SocketAddr::new(ip, listen.port())
    )
}

/// GETs `url` (`http://` only) and succeeds on a `200`; otherwise the reason, one line.
pub fn probe(url: &str, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let parsed = url::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    if parsed.scheme() != "http" {
        return Err(format!("{url}: only http:// URLs can be probed"));
    }
    let status = exchange(&parsed, deadline).map_err(|e| format!("{url}: {e}"))?;
    match status {
        200 => Ok(()),
        other => Err(format!("{url}: answered {other}")),
    }
}

/// The status code of the answer to a `GET` of `url`, all of it before `deadline`.
fn exchange(url: &url::Url, deadline: Instant) -> Result<u16, String> {
    let addrs = url.socket_addrs(|| None).map_err(|e| e.to_string())?;
    let addr = addrs.first().ok_or("the host resolves to no address")?;
    let mut stream =
        TcpStream::connect_timeout(addr, left(deadline)?).map_err(|e| e.to_string())?;
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(80);
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: pixgate-health\r\n\
         Connection: close\r\n\r\n"
    );
    stream
        .set_write_timeout(Some(left(deadline)?))
        .and_then(|()| stream.write_all(request.as_bytes()))
        .map_err(|e| format!("sending: {e}"))?;
    status_code(&read_status_line(&mut stream, deadline)?)
}

/// Bytes up to the end of the status line (a head is far longer than this cap).
const STATUS_LINE_MAX: usize = 256;

fn read_status_line(stream: &mut TcpStream, deadline: Instant) -> Result<Vec<u8>, String> {
    let mut line = Vec::new();
    let mut buffer = [0u8; STATUS_LINE_MAX];
    while !line.contains(&b'\n') && line.len() < STATUS_LINE_MAX {
        stream
            .set_read_timeout(Some(left(deadline)?))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => line.extend_from_slice(&buffer[..n]),
            Err(e) if is_timeout(&e) => return Err("no answer in time".into()),
            Err(e) => return Err(format!("reading: {e}")),
        }
    }
    Ok(line)
}

/// The code of `HTTP/1.x NNN …`.
fn status_code(head: &[u8]) -> Result<u16, String> {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let text = String::from_utf8_lossy(line);
    let mut words = text.split_whitespace();
    match (
        words.next(),
        words.next().and_then(|code| code.parse().ok()),
    ) {
        (Some(version), Some(code)) if version.starts_with("HTTP/") => Ok(code),
        _ if head.is_empty() => Err("the connection closed without an answer".into()),
        _ => Err(format!("not an HTTP answer: {:?}", text.trim_end())),
    }
}

/// Time left before `deadline`; an error once none is (a zero timeout means none to std).
fn left(deadline: Instant) -> Result<Duration, String> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err("no answer in time".into())
    } else {
        Ok(left)
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}
