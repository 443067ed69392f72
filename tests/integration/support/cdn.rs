//! nginx as the CDN in front of a test's pixgate: the shipped `deploy/nginx/pixgate.conf`, run
//! as it is with only its upstream, listen address and paths moved onto loopback and a
//! throw-away folder. nginx is the distribution's (`/usr/sbin/nginx`, or `PIXGATE_NGINX`); a
//! machine without it fails these tests, saying so.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::reply::Reply;
use super::server::exchange;
use super::wire::REQUEST_TIMEOUT;

/// The shipped config, relative to the repository.
pub const NGINX_CONF: &str = "deploy/nginx/pixgate.conf";

/// The upstream address the shipped config names (the compose service).
pub const COMPOSE_UPSTREAM: &str = "server pixgate:8080;";

/// How long nginx may take to listen; it takes milliseconds, this only bounds a broken one.
const STARTUP: Duration = Duration::from_secs(10);

/// A running nginx, killed when dropped (also when the test fails).
pub struct Cdn {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    client: reqwest::Client,
}

impl Cdn {
    /// nginx with the shipped config in front of `upstream`, listening on a free loopback port;
    /// `None` when nginx is not installed (see [`peers`]).
    pub fn front(upstream: SocketAddr) -> Option<Cdn> {
        let nginx = super::peers::find("nginx", "PIXGATE_NGINX", "/usr/sbin/nginx")?;
        // A port freed just before nginx binds it may be taken meanwhile: try a few.
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Cdn::start(&nginx, upstream) {
                Ok(cdn) => return Some(cdn),
                Err(why) => failures.push(why),
            }
        }
        panic!("nginx did not start:\n{}", failures.join("\n---\n"));
    }

    fn start(nginx: &Path, upstream: SocketAddr) -> Result<Cdn, String> {
        let dir = tempfile::tempdir().expect("tempdir");
        let addr = free_loopback_port();
        let site = site_config(dir.path(), upstream, addr);
        std::fs::write(dir.path().join("pixgate.conf"), site).expect("write pixgate.conf");
        std::fs::write(dir.path().join("nginx.conf"), main_config(dir.path()))
            .expect("write nginx.conf");
        let prefix = format!("{}/", dir.path().display());
        let child = Command::new(nginx)
            .args(["-p", &prefix, "-c", "nginx.conf", "-e", "error.log"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", nginx.display()));
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("reqwest client");
        let mut cdn = Cdn {
            child,
            addr,
            dir,
            client,
        };
        cdn.await_listening()?;
        Ok(cdn)
    }

    fn await_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("nginx exited ({status}):\n{}", self.error_log()));
            }
            if TcpStream::connect(self.addr).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "not listening after {STARTUP:?}:\n{}",
                    self.error_log()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// What nginx logged at `notice` and above.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// GET `path_and_query` through nginx with these request headers (`Host` among them, if
    /// given).
    pub async fn get_with(&self, path_and_query: &str, headers: &[(&str, &str)]) -> Reply {
        let url = format!("http://{}{path_and_query}", self.addr);
        exchange(&self.client, "GET", &url, headers, None).await
    }

    pub async fn get(&self, path_and_query: &str) -> Reply {
        self.get_with(path_and_query, &[]).await
    }
}

impl Drop for Cdn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx's `$upstream_cache_status` as the shipped config exposes it: `HIT`, `MISS`,
/// `EXPIRED`, `REVALIDATED`…
pub fn cdn_cache(reply: &Reply) -> &str {
    reply.header("x-cdn-cache").unwrap_or("(none)")
}

fn free_loopback_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address")
}

/// `deploy/nginx/pixgate.conf` with the compose upstream, port 80 and the image's paths
/// replaced; each must be there exactly once, so a config that drifts from what is tested
/// fails here rather than passing untested.
pub fn site_config(dir: &Path, upstream: SocketAddr, listen: SocketAddr) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(NGINX_CONF);
    let mut text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let replacements = [
        (COMPOSE_UPSTREAM.to_string(), format!("server {upstream};")),
        ("listen 80;".to_string(), format!("listen {listen};")),
        (
            "/var/cache/nginx/pixgate".to_string(),
            dir.join("cache").display().to_string(),
        ),
        (
            "/var/log/nginx/access.log".to_string(),
            dir.join("access.log").display().to_string(),
        ),
    ];
    for (from, to) in replacements {
        let found = text.matches(&from).count();
        assert_eq!(found, 1, "{NGINX_CONF}: {from:?} found {found} times");
        text = text.replace(&from, &to);
    }
    text
}

/// The `nginx.conf` around the site: one process (no user switch, nothing left running after
/// the kill), everything nginx writes inside `dir`.
fn main_config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "master_process off;\n\
         daemon off;\n\
         pid {d}/nginx.pid;\n\
         error_log {d}/error.log notice;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n\
         client_body_temp_path {d}/body;\n\
         proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n\
         uwsgi_temp_path {d}/uwsgi;\n\
         scgi_temp_path {d}/scgi;\n\
         include {d}/pixgate.conf;\n\
         }}\n"
    )
}
