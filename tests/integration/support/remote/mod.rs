//! Remote upstreams for the source tests: an S3 service in-process (s3s over s3s-fs, every
//! request's SigV4 signature checked) and an HTTP origin on loopback that records what it is
//! asked, both on their own listeners so pixgate reaches them over real TCP. Plus the two ways
//! an upstream can be absent: a port nothing listens on, and a listener that never answers.

mod aws;
mod origin;
mod s3;

pub use aws::{FakeAws, IMDS_TOKEN, Issue, ROLE};
pub use origin::{HUGE_BYTES, Origin, Seen, networks};
pub use s3::{BUCKET, S3_ACCESS_KEY, S3_SECRET_KEY, S3Server};

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use tokio::net::TcpListener;
use tokio::sync::watch;
use url::Url;

use super::roots::files_under;

/// Shuts a service down when dropped: the accept loop stops (the port closes) and every open
/// connection is dropped, mid-request or not.
struct Shutdown(watch::Sender<bool>);

impl Drop for Shutdown {
    fn drop(&mut self) {
        self.0.send_replace(true);
    }
}

/// Counts a task as live until it ends, however it ends.
struct Live(Arc<AtomicUsize>);

impl Live {
    fn new(count: &Arc<AtomicUsize>) -> Live {
        count.fetch_add(1, Ordering::SeqCst);
        Live(count.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves `listener` with `service` until `stop` turns true; each accepted connection is
/// counted in `connections`. Returns the number of its tasks still running (the accept loop
/// and one per open connection): 0 once a stop has taken full effect.
fn serve<S, B>(
    listener: TcpListener,
    service: S,
    stop: watch::Receiver<bool>,
    connections: Arc<AtomicUsize>,
) -> Arc<AtomicUsize>
where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let live = Arc::new(AtomicUsize::new(0));
    let accepting = Live::new(&live);
    let count = live.clone();
    tokio::spawn(async move {
        let _accepting = accepting;
        let mut stop_accepting = stop.clone();
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stop_accepting.wait_for(|stop| *stop) => return,
            };
            let Ok((socket, _)) = accepted else { continue };
            connections.fetch_add(1, Ordering::SeqCst);
            let service = service.clone();
            let mut stop = stop.clone();
            let serving = Live::new(&count);
            tokio::spawn(async move {
                let _serving = serving;
                let builder = ConnBuilder::new(TokioExecutor::new());
                let connection = builder.serve_connection(TokioIo::new(socket), service);
                tokio::select! {
                    _ = connection => {}
                    _ = stop.wait_for(|stop| *stop) => {}
                }
            });
        }
    });
    live
}

/// The files left under a staging folder (empty folders do not count).
pub fn staged_files(dir: &Path) -> Vec<String> {
    files_under(dir).into_keys().collect()
}

/// A loopback address where nothing listens: a port bound and released at once.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("local address")
}

/// A listener that accepts connections, reads nothing and never answers; it holds them open
/// until dropped.
pub struct BlackHole {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    _shutdown: Shutdown,
}

impl BlackHole {
    pub async fn start() -> BlackHole {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let (stop, mut stopped) = watch::channel(false);
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((socket, _)) = accepted {
                            counted.fetch_add(1, Ordering::SeqCst);
                            held.push(socket);
                        }
                    }
                    _ = stopped.wait_for(|stop| *stop) => return,
                }
            }
        });
        BlackHole {
            addr,
            connections,
            _shutdown: Shutdown(stop),
        }
    }

    /// `http://ADDR/`
    pub fn url(&self) -> Url {
        Url::parse(&format!("http://{}/", self.addr)).expect("URL")
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}
