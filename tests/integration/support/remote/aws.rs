//! A fake of the AWS credential endpoints on loopback, in one server: STS
//! (`POST /` `AssumeRoleWithWebIdentity`), a container endpoint (`GET /creds`) and IMDSv2
//! (`PUT /latest/api/token`, then the role and its keys under
//! `/latest/meta-data/iam/security-credentials/`). It records what it is asked and hands out
//! the key pair an [`S3Server`](super::S3Server) accepts, each time with a new session token.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::watch;
use url::Url;

use super::{Shutdown, serve};

/// The IMDS session token the fake hands out and then requires.
pub const IMDS_TOKEN: &str = "imds-session-token-0123";
/// The instance's role.
pub const ROLE: &str = "pixgate-role";

/// What the next credentials request is answered with; the last one given repeats.
#[derive(Debug, Clone, Copy)]
pub enum Issue {
    /// The key pair, expiring this long from now.
    Keys(Duration),
    /// This status and no keys.
    Fail(u16),
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Asked {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub imds_token: Option<String>,
    pub imds_ttl: Option<String>,
    pub body: String,
}

struct State {
    access_key: String,
    secret_key: String,
    asked: Mutex<Vec<Asked>>,
    issues: Mutex<VecDeque<Issue>>,
    /// Session tokens handed out, in order.
    tokens: Mutex<Vec<String>>,
}

pub struct FakeAws {
    pub addr: SocketAddr,
    state: Arc<State>,
    _shutdown: Shutdown,
}

impl FakeAws {
    /// Hands out `access_key`/`secret_key`, valid for an hour unless [`FakeAws::issue`] says
    /// otherwise.
    pub async fn start(access_key: &str, secret_key: &str) -> FakeAws {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(State {
            access_key: access_key.to_string(),
            secret_key: secret_key.to_string(),
            asked: Mutex::new(Vec::new()),
            issues: Mutex::new(VecDeque::from([Issue::Keys(Duration::from_secs(3600))])),
            tokens: Mutex::new(Vec::new()),
        });
        let shared = state.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let state = shared.clone();
            async move { Ok::<_, std::convert::Infallible>(answer(&state, request).await) }
        });
        let (stop, stopped) = watch::channel(false);
        let _live = serve(listener, service, stopped, Arc::new(AtomicUsize::new(0)));
        FakeAws {
            addr,
            state,
            _shutdown: Shutdown(stop),
        }
    }

    /// `http://IP:PORT/`
    pub fn url(&self) -> Url {
        Url::parse(&format!("http://{}/", self.addr)).expect("URL")
    }

    /// Answers the coming credentials requests with `issues`, in order; the last repeats.
    pub fn issue(&self, issues: &[Issue]) {
        *self.state.issues.lock().unwrap() = issues.iter().copied().collect();
    }

    pub fn asked(&self) -> Vec<Asked> {
        self.state.asked.lock().unwrap().clone()
    }

    /// Requests for credentials (STS, the container endpoint, a role's keys) so far.
    pub fn fetches(&self) -> usize {
        self.asked()
            .iter()
            .filter(|a| {
                a.method == "POST"
                    || a.path == "/creds"
                    || a.path.ends_with(&format!("/security-credentials/{ROLE}"))
            })
            .count()
    }

    /// The session tokens handed out so far.
    pub fn tokens(&self) -> Vec<String> {
        self.state.tokens.lock().unwrap().clone()
    }
}

async fn answer(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut asked = Asked {
        method: request.method().to_string(),
        path: request.uri().path().to_string(),
        authorization: header("authorization"),
        imds_token: header("x-aws-ec2-metadata-token"),
        imds_ttl: header("x-aws-ec2-metadata-token-ttl-seconds"),
        body: String::new(),
    };
    let body = request.into_body().collect().await.map(|b| b.to_bytes());
    asked.body = String::from_utf8_lossy(&body.unwrap_or_default()).into_owned();
    state.asked.lock().unwrap().push(asked.clone());
    let roles = "/latest/meta-data/iam/security-credentials/";
    match (asked.method.as_str(), asked.path.as_str()) {
        ("PUT", "/latest/api/token") if asked.imds_ttl.is_some() => reply(200, IMDS_TOKEN),
        ("GET", path)
            if path.starts_with(roles) && asked.imds_token.as_deref() != Some(IMDS_TOKEN) =>
        {
            reply(401, "")
        }
        ("GET", path) if path == roles => reply(200, &format!("{ROLE}\n")),
        ("GET", path) if path == format!("{roles}{ROLE}") => keys(state, Format::Json),
        ("GET", "/creds") => keys(state, Format::Json),
        ("POST", "/") => keys(state, Format::Sts),
        _ => reply(404, ""),
    }
}

enum Format {
    Json,
    Sts,
}

fn keys(state: &State, format: Format) -> Response<Full<Bytes>> {
    let issue = {
        let mut issues = state.issues.lock().unwrap();
        if issues.len() > 1 {
            issues.pop_front()
        } else {
            issues.front().copied()
        }
    };
    let expires_in = match issue {
        Some(Issue::Keys(expires_in)) => expires_in,
        Some(Issue::Fail(status)) => {
            return reply(status, "<Error><Code>InvalidIdentityToken</Code></Error>");
        }
        None => return reply(500, ""),
    };
    let token = {
        let mut tokens = state.tokens.lock().unwrap();
        let token = format!("session-token-{}", tokens.len() + 1);
        tokens.push(token.clone());
        token
    };
    let expiration = iso8601(SystemTime::now() + expires_in);
    let (key, secret) = (&state.access_key, &state.secret_key);
    let body = match format {
        Format::Json => format!(
            r#"{{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"{key}","SecretAccessKey":"{secret}","Token":"{token}","Expiration":"{expiration}"}}"#
        ),
        Format::Sts => format!(
            "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>\
             <AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>\
             <SessionToken>{token}</SessionToken><Expiration>{expiration}</Expiration>\
             </Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"
        ),
    };
    reply(200, &body)
}

fn reply(status: u16, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = StatusCode::from_u16(status).expect("status");
    response
}

/// `YYYY-MM-DDTHH:MM:SSZ`, as the AWS endpoints write expiry times.
fn iso8601(at: SystemTime) -> String {
    let seconds = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
