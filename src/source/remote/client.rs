//! The outbound HTTP client of one remote source, with the SSRF guard where the source asks for
//! it. The guard sits where connections are made, not where URLs are written: every host name
//! is resolved by [`GuardedResolver`], which drops the addresses the source may not reach
//! before the connector sees them (so a name that resolves to a public address for a check and
//! to 127.0.0.1 for the connection — DNS rebinding — gets nowhere), and URLs whose host is an
//! IP literal, which never reach a resolver, are checked by [`check_url`]: by the origin before
//! the first request, by the redirect policy on every hop. Proxies from the environment are ignored: a proxy would connect on our behalf
//! to addresses the guard never saw.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect;
use url::{Host, Url};

use super::super::SourceError;
use super::super::address_guard;
use crate::config::Network;

/// Who the client may connect to.
#[derive(Debug, Clone)]
pub enum Reach {
    /// Anywhere the configuration says (an S3 endpoint is the operator's own choice and
    /// requests never follow redirects).
    Configured,
    /// Public addresses, plus these internal networks.
    Guarded(Arc<[Network]>),
}

/// Connecting to the origin took longer than this is an unreachable origin, whatever time is
/// left of the read's own deadline.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds the client. `max_redirects` hops are followed, each re-checked by the guard.
pub fn build(reach: &Reach, max_redirects: u32) -> Result<reqwest::Client, reqwest::Error> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("pixgate/", env!("CARGO_PKG_VERSION")))
        .tcp_nodelay(true);
    builder = match reach {
        Reach::Configured => builder.redirect(redirect::Policy::none()),
        Reach::Guarded(allowed) => {
            let hops = usize::try_from(max_redirects).unwrap_or(usize::MAX);
            let on_redirect = Arc::clone(allowed);
            builder
                .dns_resolver(Arc::new(GuardedResolver {
                    allowed: Arc::clone(allowed),
                }))
                .redirect(redirect::Policy::custom(move |attempt| {
                    if attempt.previous().len() > hops {
                        return attempt.error(TooManyRedirects(hops));
                    }
                    match check_url(attempt.url(), &on_redirect) {
                        Ok(()) => attempt.follow(),
                        Err(refused) => attempt.error(refused),
                    }
                }))
        }
    };
    builder.build()
}

/// The URL's scheme is HTTP(S) and, if its host is an IP literal, the address may be reached.
/// Host names are checked after resolution, by [`GuardedResolver`].
pub fn check_url(url: &Url, allowed: &[Network]) -> Result<(), Refused> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::Scheme);
    }
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(Host::Domain(_)) => return Ok(()),
        None => return Err(Refused::Scheme),
    };
    address_guard::check(ip, allowed).map_err(|class| Refused::Address(class.to_string()))
}

/// A connection the guard would not make. Its text goes to the log, never to the client.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("the address is {0}, which this source may not reach")]
    Address(String),
    #[error("every address of the host is internal ({0}), which this source may not reach")]
    AllAddresses(String),
    #[error("only http and https URLs are fetched")]
    Scheme,
}

#[derive(Debug, thiserror::Error)]
#[error("more than {0} redirects")]
struct TooManyRedirects(usize);

/// Resolves with the system resolver (getaddrinfo, on tokio's blocking pool) and keeps only
/// the addresses the source may reach.
struct GuardedResolver {
    allowed: Arc<[Network]>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = Arc::clone(&self.allowed);
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let mut refused = None;
            let reachable: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match address_guard::check(addr.ip(), &allowed) {
                    Ok(()) => true,
                    Err(class) => {
                        refused.get_or_insert(class);
                        false
                    }
                })
                .collect();
            if reachable.is_empty() {
                let class = refused.map_or_else(|| "none".to_string(), |c| c.to_string());
                return Err(Box::new(Refused::AllAddresses(class)) as _);
            }
            Ok(Box::new(reachable.into_iter()) as Addrs)
        })
    }
}

/// What a failed request means for the client: refused by the guard, unreachable, too slow, or
/// another upstream failure. The cause, with the URL's host but not its query (S3 URLs carry
/// a signature there), is kept for the log.
pub fn classify(e: &reqwest::Error) -> SourceError {
    let cause = describe(e);
    if chain_has::<Refused>(e) {
        SourceError::Refused(cause)
    } else if e.is_timeout() {
        SourceError::TimedOut
    } else if e.is_connect() {
        SourceError::Unreachable(cause)
    } else {
        SourceError::Io(cause)
    }
}

fn describe(e: &reqwest::Error) -> String {
    let mut text = e.without_url_ref().to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    match e.url() {
        Some(url) => format!("{} {}: {text}", url.host_str().unwrap_or(""), url.path()),
        None => text,
    }
}

fn chain_has<T: std::error::Error + 'static>(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(inner) = source {
        if inner.is::<T>() {
            return true;
        }
        source = inner.source();
    }
    false
}

/// `reqwest::Error::without_url` takes the error by value; this borrows.
trait WithoutUrlRef {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrlRef for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let kind = if self.is_timeout() {
            "timed out"
        } else if self.is_connect() {
            "connection failed"
        } else if self.is_redirect() {
            "redirect refused"
        } else if self.is_body() || self.is_decode() {
            "reading the body failed"
        } else {
            "request failed"
        };
        kind.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(networks: &[&str]) -> Vec<Network> {
        networks.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn ip_literal_hosts_are_checked_in_every_spelling() {
        let none = allowed(&[]);
        for url in [
            "http://127.0.0.1/x",
            "http://2130706433/x",
            "http://0x7f.1/x",
            "http://[::1]/x",
            "http://[::ffff:127.0.0.1]/x",
            "http://[::ffff:10.0.0.1]/x",
            "http://0.0.0.0/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/x",
            "http://[fe80::1]/x",
        ] {
            let url = Url::parse(url).unwrap();
            assert!(check_url(&url, &none).is_err(), "{url} was allowed");
        }
        let public = Url::parse("https://93.184.216.34/x").unwrap();
        assert!(check_url(&public, &none).is_ok());
        let name = Url::parse("https://origin.example.com/x").unwrap();
        assert!(
            check_url(&name, &none).is_ok(),
            "names are checked when resolved"
        );
    }

    #[test]
    fn allowed_networks_open_only_themselves() {
        let loopback = allowed(&["127.0.0.1/32"]);
        let ok = Url::parse("http://127.0.0.1:9000/x").unwrap();
        let other = Url::parse("http://127.0.0.2:9000/x").unwrap();
        assert!(check_url(&ok, &loopback).is_ok());
        assert!(check_url(&other, &loopback).is_err());
    }

    #[test]
    fn other_schemes_are_refused() {
        for url in ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/"] {
            let url = Url::parse(url).unwrap();
            assert!(
                matches!(check_url(&url, &[]), Err(Refused::Scheme)),
                "{url}"
            );
        }
    }

    #[tokio::test]
    async fn the_resolver_drops_internal_addresses() {
        let resolver = GuardedResolver {
            allowed: Arc::from(allowed(&[])),
        };
        let name: Name = "localhost".parse().unwrap();
        let refused = resolver.resolve(name).await;
        assert!(
            refused.is_err(),
            "localhost resolved to a reachable address"
        );
        let resolver = GuardedResolver {
            allowed: Arc::from(allowed(&["127.0.0.0/8", "::1/128"])),
        };
        let name: Name = "localhost".parse().unwrap();
        let addrs: Vec<SocketAddr> = resolver.resolve(name).await.unwrap().collect();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
    }
}
