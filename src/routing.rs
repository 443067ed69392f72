//! The route stage: which source serves a request, from its `Host` header and raw path (the
//! one meaning of "route" in pixgate; the HTTP layer's table is of endpoints).
//! Pure: the longest matching prefix wins, a source that names the host beats one that
//! takes any host, and prefixes match only whole path segments.

use crate::config::{SourceConfig, host_name};

/// A routed request: the source's index and the raw path inside it (still encoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<'a> {
    pub source: usize,
    pub raw_key: &'a str,
}

/// Picks the source for `host` (port ignored, any case) and `raw_path`.
pub fn route<'a, 's>(
    sources: impl IntoIterator<Item = &'s SourceConfig>,
    host: Option<&str>,
    raw_path: &'a str,
) -> Option<Route<'a>> {
    let host = host.map(host_name);
    best(sources, raw_path, |s| {
        s.hosts.is_empty() || host.as_ref().is_some_and(|h| s.hosts.contains(h))
    })
}

/// The source a URL on `host` names, among those whose `hosts` list it (a source taking any
/// host does not claim every address), and the raw path inside it.
pub fn route_named_host<'a, 's>(
    sources: impl IntoIterator<Item = &'s SourceConfig>,
    host: &str,
    raw_path: &'a str,
) -> Option<Route<'a>> {
    let host = host_name(host);
    best(sources, raw_path, |s| s.hosts.contains(&host))
}

/// Among the sources `serves` lets through, the longest prefix of `raw_path` wins, then one
/// that names its hosts over one that takes any.
fn best<'a, 's>(
    sources: impl IntoIterator<Item = &'s SourceConfig>,
    raw_path: &'a str,
    serves: impl Fn(&SourceConfig) -> bool,
) -> Option<Route<'a>> {
    sources
        .into_iter()
        .enumerate()
        .filter(|(_, s)| serves(s))
        .filter_map(|(i, s)| {
            let rest = strip_prefix_on_boundary(raw_path, &s.prefix)?;
            Some((
                (s.prefix.len(), !s.hosts.is_empty()),
                Route {
                    source: i,
                    raw_key: rest,
                },
            ))
        })
        .max_by_key(|(rank, _)| *rank)
        .map(|(_, route)| route)
}

/// `/photos` matches `/photos` and `/photos/…`, never `/photos2` or `/photos..`.
fn strip_prefix_on_boundary<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    (prefix.is_empty() || rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn source(name: &str, hosts: &[&str], prefix: &str) -> SourceConfig {
        let mut s = SourceConfig::new(name, PathBuf::from("/tmp"));
        s.hosts = hosts.iter().map(|h| h.to_string()).collect();
        s.prefix = prefix.to_string();
        s
    }

    #[test]
    fn longest_prefix_on_a_segment_boundary_wins() {
        let sources = [
            source("default", &[], ""),
            source("photos", &[], "/photos"),
            source("thumbs", &[], "/photos/thumbs"),
            source("shop", &["img.shop.test"], ""),
        ];
        let cases = [
            (None, "/a.png", Some((0, "/a.png"))),
            (None, "/photos/a.png", Some((1, "/a.png"))),
            (None, "/photos2/a.png", Some((0, "/photos2/a.png"))),
            (None, "/photos../a.png", Some((0, "/photos../a.png"))),
            (None, "/photos/thumbs/a.png", Some((2, "/a.png"))),
            (Some("IMG.shop.test:8080"), "/a.png", Some((3, "/a.png"))),
            (Some("img.shop.test"), "/photos/a.png", Some((1, "/a.png"))),
        ];
        for (host, path, want) in cases {
            let got = route(&sources, host, path).map(|r| (r.source, r.raw_key));
            assert_eq!(got, want, "{host:?} {path}");
        }
    }

    #[test]
    fn without_a_default_unmatched_requests_have_no_source() {
        let sources = [source("shop", &["img.shop.test"], "/shop")];
        assert_eq!(route(&sources, Some("other.test"), "/shop/a.png"), None);
        assert_eq!(route(&sources, Some("img.shop.test"), "/a.png"), None);
    }
}
