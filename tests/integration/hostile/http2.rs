//! HTTP/2 without TLS (h2c): off by default, so the preface gets no HTTP/2 answer; when an
//! operator turns it on, rapid reset (CVE-2023-44487) and CONTINUATION floods
//! (CVE-2024-27316) are cut off with the connection while other clients go on being served.
//! Frames are written by hand: a client library would refuse to send them.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::ops::forest_root;
use crate::support::roots::config;
use crate::support::server::TestServer;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;
const CONTINUATION: u8 = 0x9;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
/// `ENHANCE_YOUR_CALM`, what h2 answers abuse with.
const CALM: u32 = 0xb;

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let length = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut out = length[1..].to_vec();
    out.extend_from_slice(&[kind, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// HPACK for `GET http://x/_pixgate/health`: static-table `:method GET` and `:scheme http`,
/// then `:path` and `:authority` as literals with static names.
fn health_request() -> Vec<u8> {
    let path = b"/_pixgate/health";
    let mut block = vec![0x82, 0x86, 0x04, u8::try_from(path.len()).unwrap()];
    block.extend_from_slice(path);
    block.extend_from_slice(&[0x01, 0x01, b'x']);
    block
}

/// A fresh connection past the preface and an empty SETTINGS frame.
async fn h2_connection(server: &TestServer) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(PREFACE).await.unwrap();
    stream.write_all(&frame(SETTINGS, 0, 0, &[])).await.unwrap();
    stream
}

/// The frames the server sends (type, flags, stream, payload) until it closes, it goes quiet
/// for a second, or `stop` says enough.
async fn frames_until(
    stream: &mut TcpStream,
    stop: impl Fn(&[(u8, u8, u32, Vec<u8>)]) -> bool,
) -> Vec<(u8, u8, u32, Vec<u8>)> {
    let mut bytes = Vec::new();
    let mut frames = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while bytes.len() >= 9 {
            let length = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]) as usize;
            if bytes.len() < 9 + length {
                break;
            }
            let stream_id = u32::from_be_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]);
            frames.push((bytes[3], bytes[4], stream_id, bytes[9..9 + length].to_vec()));
            bytes.drain(..9 + length);
        }
        if stop(&frames) {
            return frames;
        }
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => bytes.extend_from_slice(&buf[..n]),
            _ => return frames,
        }
    }
}

fn goaway_code(frames: &[(u8, u8, u32, Vec<u8>)]) -> Option<u32> {
    frames
        .iter()
        .find(|f| f.0 == GOAWAY)
        .map(|f| u32::from_be_bytes([f.3[4], f.3[5], f.3[6], f.3[7]]))
}

/// Whether a health check over a fresh HTTP/2 connection is answered `:status 200`.
async fn h2_health_ok(server: &TestServer) -> bool {
    let mut stream = h2_connection(server).await;
    let request = frame(HEADERS, END_STREAM | END_HEADERS, 1, &health_request());
    stream.write_all(&request).await.unwrap();
    let frames = frames_until(&mut stream, |frames| {
        frames.iter().any(|f| f.0 == HEADERS && f.2 == 1)
    })
    .await;
    // hyper sends `:status 200` as static-table entry 8.
    frames
        .iter()
        .any(|f| f.0 == HEADERS && f.2 == 1 && f.3.first() == Some(&0x88))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_is_off_unless_configured() {
    let root = forest_root();
    let server = TestServer::start(config(vec![root.source("demo")])).await;
    let mut stream = h2_connection(&server).await;
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the server kept an HTTP/2 preface open");
    // No SETTINGS frame: whatever came back is HTTP/1.1, or nothing.
    assert!(
        got.is_empty() || got.starts_with(b"HTTP/1.1 "),
        "{:?}",
        String::from_utf8_lossy(&got)
    );

    let mut config = config(vec![root.source("demo")]);
    config.server.http2 = true;
    let server = TestServer::start(config).await;
    assert!(
        h2_health_ok(&server).await,
        "h2c on: a health check is served"
    );
}

/// Streams opened and cancelled at once, a thousand in one burst: the server sends GOAWAY
/// (`ENHANCE_YOUR_CALM`) and closes, and a well-behaved client is served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_reset_is_cut_off() {
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.server.http2 = true;
    let server = TestServer::start(config).await;

    let mut attack = h2_connection(&server).await;
    let request = health_request();
    let mut burst = Vec::new();
    for i in 0..1000u32 {
        let id = 2 * i + 1;
        burst.extend(frame(HEADERS, END_STREAM | END_HEADERS, id, &request));
        burst.extend(frame(RST_STREAM, 0, id, &8u32.to_be_bytes()));
    }
    // The server may close before taking it all.
    let _ = attack.write_all(&burst).await;
    let frames = frames_until(&mut attack, |f| goaway_code(f).is_some()).await;
    assert_eq!(
        goaway_code(&frames),
        Some(CALM),
        "{} frames, no GOAWAY",
        frames.len()
    );
    let answered = frames.iter().filter(|f| f.0 == HEADERS).count();
    assert!(
        answered < 100,
        "{answered} of the reset streams were answered"
    );
    assert!(
        h2_health_ok(&server).await,
        "another client is still served"
    );
}

/// A header block that never ends: CONTINUATION frames past the header-list cap. The server
/// gives up on the connection instead of buffering them, and serves others meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_continuation_flood_is_cut_off() {
    let root = forest_root();
    let mut config = config(vec![root.source("demo")]);
    config.server.http2 = true;
    let server = TestServer::start(config).await;

    let mut attack = h2_connection(&server).await;
    attack
        .write_all(&frame(HEADERS, END_STREAM, 1, &health_request()))
        .await
        .unwrap();
    // Literal header fields without indexing, new names: `x-N: <4000 × 'a'>`.
    let mut fragment = Vec::new();
    for i in 0..4 {
        let name = format!("x-{i}");
        fragment.extend_from_slice(&[0x00, u8::try_from(name.len()).unwrap()]);
        fragment.extend_from_slice(name.as_bytes());
        // 4000 as an HPACK integer with a 7-bit prefix: 127, then 3873 in 7-bit groups.
        fragment.extend_from_slice(&[0x7f, 0xa1, 0x1e]);
        fragment.extend(std::iter::repeat_n(b'a', 4000));
    }
    let flood = frame(CONTINUATION, 0, 1, &fragment);
    let mut sent = 0usize;
    // 64 MiB at most: far past any cap; the server must stop reading long before.
    for _ in 0..(64 << 20) / flood.len() {
        match tokio::time::timeout(Duration::from_secs(5), attack.write_all(&flood)).await {
            Ok(Ok(())) => sent += flood.len(),
            _ => break,
        }
    }
    let frames = frames_until(&mut attack, |f| goaway_code(f).is_some()).await;
    assert!(
        goaway_code(&frames).is_some() || sent < 64 << 20,
        "the server took {sent} bytes of one header block"
    );
    assert!(
        !frames.iter().any(|f| f.0 == HEADERS && f.2 == 1),
        "the endless header block was answered"
    );
    assert!(
        h2_health_ok(&server).await,
        "another client is still served"
    );
}
