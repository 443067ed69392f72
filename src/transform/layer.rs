//! Where a layer's image (a watermark, a blended image) comes from: a path in the same
//! source, or an absolute URL that the pipeline resolves through the one of pixgate's own
//! sources whose `hosts` name it. pixgate never fetches an address a URL names.

use std::fmt;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// What the canonical form escapes, so a layer's `&`, `=` or `%` cannot read as another
/// parameter (and the form parses back to the same reference).
const CANONICAL: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'%')
    .add(b'&')
    .add(b'=')
    .add(b'+')
    .add(b'#');

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerRef {
    /// A storage key in the same source (a leading `/` dropped).
    Path(String),
    /// A URL on one of pixgate's own hosts: the host (lower case, no port), and the path and
    /// query as written (a signature for that source is checked over them).
    Url {
        host: String,
        path: String,
        query: Option<String>,
    },
}

impl fmt::Display for LayerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            LayerRef::Path(path) => path.clone(),
            LayerRef::Url { host, path, query } => match query {
                Some(q) => format!("https://{host}{path}?{q}"),
                None => format!("https://{host}{path}"),
            },
        };
        write!(f, "{}", utf8_percent_encode(&text, CANONICAL))
    }
}

impl LayerRef {
    /// The storage key, for a path in the same source.
    pub fn path(&self) -> Option<&str> {
        match self {
            LayerRef::Path(path) => Some(path),
            LayerRef::Url { .. } => None,
        }
    }

    /// A path, or an `http(s)://` (or `//`) URL.
    pub(super) fn parse(v: &str) -> Result<LayerRef, String> {
        let lower = v.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return url(v);
        }
        if v.starts_with("//") {
            return url(&format!("https:{v}"));
        }
        let key = v.trim_start_matches('/');
        if key.is_empty() {
            return Err("is empty".into());
        }
        Ok(LayerRef::Path(key.to_string()))
    }

    /// imgix's `mark-base`: a URL the (relative) `mark` is appended to.
    pub(super) fn based(base: &str, v: &str) -> Result<LayerRef, String> {
        let lower = base.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(format!("`{base}` is not an http(s) URL"));
        }
        url(&format!(
            "{}/{}",
            base.trim_end_matches('/'),
            v.trim_start_matches('/')
        ))
    }
}

fn url(v: &str) -> Result<LayerRef, String> {
    let parsed = url::Url::parse(v).map_err(|e| format!("`{v}` is not a URL: {e}"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!("`{v}` carries credentials"));
    }
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("`{v}` names no host"))?;
    Ok(LayerRef::Url {
        host: host.to_ascii_lowercase(),
        path: parsed.path().to_string(),
        query: parsed.query().map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_urls_and_bases() {
        assert_eq!(
            LayerRef::parse("/brand/logo.png").unwrap(),
            LayerRef::Path("brand/logo.png".into())
        );
        let url = LayerRef::parse("HTTPS://Img.Shop.test:8443/brand/logo.png?s=ab&x=1").unwrap();
        assert_eq!(
            url,
            LayerRef::Url {
                host: "img.shop.test".into(),
                path: "/brand/logo.png".into(),
                query: Some("s=ab&x=1".into()),
            }
        );
        assert_eq!(
            url.to_string(),
            "https://img.shop.test/brand/logo.png?s%3Dab%26x%3D1"
        );
        assert_eq!(
            LayerRef::parse("//img.shop.test/a.png")
                .unwrap()
                .to_string(),
            "https://img.shop.test/a.png"
        );
        assert_eq!(
            LayerRef::based("https://img.shop.test/brand/", "/logo.png").unwrap(),
            LayerRef::parse("https://img.shop.test/brand/logo.png").unwrap()
        );
        for bad in [
            "/",
            "https://",
            "https://user:pw@img.shop.test/a.png",
            "http://[::1",
        ] {
            assert!(LayerRef::parse(bad).is_err(), "{bad}");
        }
        assert!(LayerRef::based("ftp://x/", "a.png").is_err());
    }
}
