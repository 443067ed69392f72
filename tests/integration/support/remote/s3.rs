//! An S3-compatible service in-process: s3s answers the protocol and checks every signature,
//! s3s-fs keeps the buckets as folders of a temp dir that tests read and write directly.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pixgate::config::{CredentialSource, Root, S3Credentials, S3Root, SourceConfig};
use tokio::net::TcpListener;
use tokio::sync::watch;
use url::Url;

use super::{Shutdown, serve};
use crate::support::roots::files_under;
use crate::support::wait::eventually;

/// The S3 service's one key pair; [`S3Server::root`] configures it.
pub const S3_ACCESS_KEY: &str = "PIXGATETESTACCESSKEY";
pub const S3_SECRET_KEY: &str = "pixgate/test/secret/key/0123456789abcdef";
/// The bucket [`S3Server::start`] creates.
pub const BUCKET: &str = "images";

/// An S3-compatible service on `127.0.0.1:0`: s3s with `SimpleAuth` (signatures are verified,
/// unsigned or wrongly signed requests get S3's 403), s3s-fs keeping bucket `b`'s object `k` in
/// the file `<dir>/b/k`. Stops when dropped or [`S3Server::stop`]ped.
pub struct S3Server {
    pub endpoint: Url,
    /// The key pair this service accepts.
    pub credentials: S3Credentials,
    dir: tempfile::TempDir,
    staging: tempfile::TempDir,
    staged: AtomicUsize,
    shutdown: Mutex<Option<Shutdown>>,
    /// The service's tasks still running.
    live: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
    /// The `X-Amz-Security-Token` of each request (`None` when absent).
    tokens: Arc<Mutex<Vec<Option<String>>>>,
}

impl S3Server {
    /// A service holding one empty bucket, [`BUCKET`], for the key pair [`S3_ACCESS_KEY`].
    pub async fn start() -> S3Server {
        S3Server::start_for(S3_ACCESS_KEY, S3_SECRET_KEY).await
    }

    /// A service (another "account") that accepts only this key pair.
    pub async fn start_for(access_key: &str, secret_key: &str) -> S3Server {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join(BUCKET)).expect("create the bucket");
        let fs = s3s_fs::FileSystem::new(dir.path()).expect("s3s-fs over the tempdir");
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(access_key, secret_key));
        let inner = builder.build();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let tokens = Arc::new(Mutex::new(Vec::new()));
        let (log, token_log) = (requests.clone(), tokens.clone());
        let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
            let line = format!("{} {}", request.method(), request.uri().path());
            log.lock().unwrap().push(line);
            token_log
                .lock()
                .unwrap()
                .push(security_token(request.uri()));
            hyper::service::Service::call(&inner, request)
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let (stop, stopped) = watch::channel(false);
        let live = serve(listener, service, stopped, Arc::new(AtomicUsize::new(0)));
        S3Server {
            endpoint: Url::parse(&format!("http://{addr}/")).expect("endpoint URL"),
            credentials: S3Credentials::new(access_key, secret_key),
            dir,
            staging: tempfile::tempdir().expect("tempdir"),
            staged: AtomicUsize::new(0),
            shutdown: Mutex::new(Some(Shutdown(stop))),
            live,
            requests,
            tokens,
        }
    }

    /// Every request received so far, as `METHOD /bucket/key`.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// The session token each request was signed with (`None`: a long-lived key pair). s3s
    /// checks the signature, which covers the token, but not the token itself: tests do.
    pub fn tokens(&self) -> Vec<Option<String>> {
        self.tokens.lock().unwrap().clone()
    }

    /// The root of a source on `bucket` under `prefix` (`""` or ending in `/`): path-style,
    /// `us-east-1`, the service's own key pair, and a fresh staging folder of its own.
    pub fn root(&self, bucket: &str, prefix: &str) -> S3Root {
        assert!(prefix.is_empty() || prefix.ends_with('/'), "{prefix:?}");
        let n = self.staged.fetch_add(1, Ordering::SeqCst);
        let staging_dir = self.staging.path().join(format!("staging-{n}"));
        std::fs::create_dir(&staging_dir).expect("create a staging folder");
        S3Root {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            endpoint: self.endpoint.clone(),
            region: "us-east-1".to_string(),
            path_style: true,
            credentials: CredentialSource::Static(self.credentials.clone()),
            staging_dir,
        }
    }

    /// A source named `name` on [`BUCKET`] under `prefix`, everything else defaulted.
    pub fn source(&self, name: &str, prefix: &str) -> SourceConfig {
        SourceConfig::new(name, Root::S3(self.root(BUCKET, prefix)))
    }

    /// Writes the object `key` of [`BUCKET`] (as a file, the way s3s-fs stores it).
    pub fn put(&self, key: &str, bytes: &[u8]) -> &S3Server {
        let path = self.object_path(BUCKET, key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, bytes).expect("write object");
        self
    }

    /// The object `key` of [`BUCKET`], if there is one.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.object_path(BUCKET, key)).ok()
    }

    /// Every object key in [`BUCKET`], sorted.
    pub fn keys(&self) -> Vec<String> {
        files_under(&self.dir.path().join(BUCKET))
            .into_keys()
            .collect()
    }

    fn object_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.dir.path().join(bucket).join(key)
    }

    /// Stops the service and returns once it has: its port refuses connections and every
    /// open one is closed, so no request already on its way is answered after this.
    pub async fn stop(&self) {
        self.shutdown.lock().unwrap().take();
        eventually("the S3 service to stop", async || {
            let live = self.live.load(Ordering::SeqCst);
            (live == 0, live)
        })
        .await;
    }
}

/// `X-Amz-Security-Token` from a presigned URL's query.
fn security_token(uri: &hyper::Uri) -> Option<String> {
    url::form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(name, _)| name.eq_ignore_ascii_case("x-amz-security-token"))
        .map(|(_, value)| value.into_owned())
}
