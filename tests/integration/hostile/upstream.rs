//! An HTTP origin that fails in every way an origin can, each answer carrying a distinctive
//! marker in its body and headers, so a test can prove none of it reaches pixgate's clients.

use pixgate::config::{HttpRoot, Root as ConfigRoot, SourceConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

use crate::support::remote::networks;

/// In every body and in headers the failing origin sends.
pub const UPSTREAM_MARKER: &str = "UPSTREAM-BODY-MARKER-0d5e";
/// Where the origin redirects to: an internal address the SSRF guard refuses.
pub const INTERNAL: &str = "10.11.12.13";

/// An HTTP origin that fails in every way it can, each with a distinctive body:
/// `/fail/…` 500, `/gone/…` 404, `/deny/…` 403 with S3-style XML, `/moved/…` a redirect to an
/// internal address, `/html/…` a 200 HTML page, `/huge/…` a 200 announcing a terabyte.
pub struct FailingOrigin {
    pub addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl FailingOrigin {
    pub async fn start() -> FailingOrigin {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(answer(socket));
            }
        });
        FailingOrigin { addr, task }
    }

    pub fn source(&self, name: &str, prefix: &str) -> SourceConfig {
        let root = HttpRoot {
            base: Url::parse(&format!("http://{}/", self.addr)).unwrap(),
            allowed_networks: networks(&["127.0.0.1/32"]),
            max_redirects: 3,
        };
        let mut source = SourceConfig::new(name, ConfigRoot::Http(root));
        source.prefix = prefix.into();
        source
    }
}

impl Drop for FailingOrigin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(mut socket: tokio::net::TcpStream) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split(' ').nth(1).unwrap_or("/").to_string();
    let secret =
        format!("x-upstream-secret: {UPSTREAM_MARKER}\r\nset-cookie: s={UPSTREAM_MARKER}\r\n");
    let (status, extra, body) = if path.starts_with("/fail/") {
        (
            "500 Internal Server Error",
            secret,
            format!("{UPSTREAM_MARKER} panicked at /srv/origin/app.rs:1"),
        )
    } else if path.starts_with("/gone/") {
        (
            "404 Not Found",
            secret,
            format!("{UPSTREAM_MARKER} no such thing"),
        )
    } else if path.starts_with("/deny/") {
        let xml =
            format!("<Error><Code>AccessDenied</Code><Message>{UPSTREAM_MARKER}</Message></Error>");
        ("403 Forbidden", secret, xml)
    } else if path.starts_with("/moved/") {
        let location = format!("location: http://{INTERNAL}:8080/{UPSTREAM_MARKER}\r\n");
        ("302 Found", location, String::new())
    } else if path.starts_with("/html/") {
        let page = format!("<html><body>{UPSTREAM_MARKER}</body></html>");
        (
            "200 OK",
            "etag: \"h1\"\r\ncontent-type: text/html\r\n".into(),
            page,
        )
    } else if path.starts_with("/huge/") {
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: 1000000000000\r\netag: \"x\"\r\nconnection: close\r\n\r\n{UPSTREAM_MARKER}"
        );
        let _ = socket.write_all(response.as_bytes()).await;
        return;
    } else {
        (
            "500 Internal Server Error",
            secret,
            UPSTREAM_MARKER.to_string(),
        )
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}
