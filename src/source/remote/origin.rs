//! An HTTP origin: `root = "https://origin.example.com/images/"`. A storage key becomes path
//! segments appended to the base, each percent-encoded, so no key — `//host`, `http:`, `%2F`,
//! `?`, `#` — can change the host, leave the base path or add a query.

use url::Url;

use super::client;
use crate::config::Network;
use crate::source::{SourceError, StorageKey};

#[derive(Debug)]
pub struct Origin {
    /// Ends in `/`; checked at load time.
    base: Url,
    /// Internal networks the source may reach (the SSRF guard's exceptions).
    allowed: Vec<Network>,
}

impl Origin {
    pub fn new(base: Url, allowed: Vec<Network>) -> Origin {
        Origin { base, allowed }
    }

    /// `url` if the guard lets the source fetch it.
    pub fn checked(&self, url: Url) -> Result<Url, SourceError> {
        match client::check_url(&url, &self.allowed) {
            Ok(()) => Ok(url),
            Err(refused) => Err(SourceError::Refused(format!(
                "{} {}: {refused}",
                url.host_str().unwrap_or(""),
                url.path()
            ))),
        }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    pub fn url(&self, key: &StorageKey) -> Url {
        segments_url(&self.base, key.as_str())
    }
}

fn segments_url(base: &Url, key: &str) -> Url {
    let mut url = base.clone();
    // A base checked at load time has a host, so it can take segments; were it ever not, the
    // base itself is fetched, never another URL.
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(key.split('/'));
    }
    url
}

#[cfg(test)]
mod tests {
    use super::segments_url;
    use url::Url;

    #[test]
    fn keys_stay_below_the_base_on_its_host() {
        let base = Url::parse("https://origin.example.com/images/").unwrap();
        let cases = [
            ("cat.jpg", "https://origin.example.com/images/cat.jpg"),
            ("a b/c.jpg", "https://origin.example.com/images/a%20b/c.jpg"),
            (
                "http:/evil.example/x",
                "https://origin.example.com/images/http:/evil.example/x",
            ),
            (
                "@evil.example/x",
                "https://origin.example.com/images/@evil.example/x",
            ),
            ("q?x=1#f", "https://origin.example.com/images/q%3Fx=1%23f"),
            ("100%.jpg", "https://origin.example.com/images/100%25.jpg"),
            ("a\\b.jpg", "https://origin.example.com/images/a%5Cb.jpg"),
            ("é.jpg", "https://origin.example.com/images/%C3%A9.jpg"),
        ];
        for (key, want) in cases {
            let url = segments_url(&base, key);
            assert_eq!(url.as_str(), want, "{key}");
            assert_eq!(url.host_str(), Some("origin.example.com"), "{key}");
            assert!(url.path().starts_with("/images/"), "{key}");
        }
    }
}
