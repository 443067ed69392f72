//! How a source is addressed: the two fields that decide which requests it answers, `hosts` and
//! `prefix`, their normal forms, and whether two sources would answer the same request. The
//! host's normal form is also what a request's `Host` header is compared in ([`host_name`]).
//! Pure string work.

/// The service's own API lives here (contract §1); no source may claim it.
const RESERVED_PREFIX: &str = "/_pixgate";

/// The name a `Host` header (or a configured host) stands for: lowercased, surrounding
/// whitespace and any `:port` dropped; a bracketed IPv6 literal keeps its brackets. Requests
/// are matched against configured hosts in this form, ports ignored.
pub fn host_name(host: &str) -> String {
    let lower = host.trim().to_ascii_lowercase();
    match split_port(&lower) {
        Some((name, _)) => name.to_owned(),
        None => lower,
    }
}

/// A configured host in its normal form ([`host_name`]). Accepts DNS-style names (letters,
/// digits, `.`, `-`, `_`), IPv4 and bracketed IPv6, optionally with a port; refuses wildcards
/// and anything else a `Host` header would not carry.
pub(super) fn normalise_host(host: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "{host:?} is not a host name; write a name or IP such as \"img.example.com\", optionally with a port"
        )
    };
    let lower = host.to_ascii_lowercase();
    let (name, port) = split_port(&lower).ok_or_else(bad)?;
    let name_ok = match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(ipv6) => {
            !ipv6.is_empty()
                && ipv6
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.'))
        }
        None => {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        }
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if name_ok && port_ok {
        Ok(name.to_owned())
    } else {
        Err(bad())
    }
}

/// Splits `name[:port]`; a bracketed IPv6 name holds colons of its own. `None` when something
/// other than `:port` follows the name.
fn split_port(host: &str) -> Option<(&str, Option<&str>)> {
    let name_end = if host.starts_with('[') {
        host.find(']').map_or(host.len(), |i| i + 1)
    } else {
        host.find(':').unwrap_or(host.len())
    };
    let (name, rest) = host.split_at(name_end);
    if rest.is_empty() {
        return Some((name, None));
    }
    rest.strip_prefix(':').map(|port| (name, Some(port)))
}

/// `""`, or `/seg[/seg…]` with one trailing slash removed (`"/"` is `""`). Segments may hold only
/// characters that never need percent-encoding, so the prefix is the same whether a router
/// compares raw or decoded paths.
pub(super) fn normalise_prefix(prefix: &str) -> Result<String, String> {
    if prefix.is_empty() {
        return Ok(String::new());
    }
    let Some(rest) = prefix.strip_prefix('/') else {
        return Err(format!(
            "{prefix:?} must be \"\" or start with \"/\", e.g. \"/shop\""
        ));
    };
    if rest.is_empty() {
        return Ok(String::new());
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    for segment in rest.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(format!(
                "{prefix:?} must not have empty, \".\" or \"..\" segments"
            ));
        }
        if let Some(c) = segment.chars().find(|&c| !is_plain_path_char(c)) {
            return Err(format!(
                "{prefix:?} must not contain {c:?}; use letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @"
            ));
        }
    }
    let normal = format!("/{rest}");
    if normal == RESERVED_PREFIX || normal.starts_with(&format!("{RESERVED_PREFIX}/")) {
        return Err(format!(
            "{prefix:?} is reserved for pixgate's own API ({RESERVED_PREFIX}/)"
        ));
    }
    Ok(normal)
}

/// RFC 3986 `pchar` without `%`: the characters a path segment carries unencoded.
fn is_plain_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@".contains(c)
}

/// Describes the hosts for which two sources with the same prefix would tie: both take any
/// host, or both name one host. `None` when routing can always choose — including when only
/// one of them names hosts, since a source naming the host beats one that takes any host.
pub(super) fn shared_hosts(a: &[String], b: &[String]) -> Option<String> {
    if a.is_empty() && b.is_empty() {
        return Some("any host".to_owned());
    }
    a.iter()
        .find(|host| b.contains(host))
        .map(|host| format!("host {host:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_lowercased_and_their_port_stripped() {
        let cases = [
            ("img.example.com", "img.example.com"),
            ("IMG.Example.COM", "img.example.com"),
            ("img.example.com:8443", "img.example.com"),
            ("LOCALHOST:8080", "localhost"),
            ("127.0.0.1:80", "127.0.0.1"),
            ("[::1]:8080", "[::1]"),
            ("[2001:DB8::1]", "[2001:db8::1]"),
            ("internal_host", "internal_host"),
        ];
        for (host, want) in cases {
            assert_eq!(normalise_host(host).as_deref(), Ok(want), "{host}");
        }
    }

    #[test]
    fn request_hosts_lose_their_port_case_and_whitespace() {
        assert_eq!(host_name("Img.Shop.Test:443"), "img.shop.test");
        assert_eq!(host_name(" img.shop.test "), "img.shop.test");
        assert_eq!(host_name("[::1]:8080"), "[::1]");
        assert_eq!(host_name("[::1]"), "[::1]");
    }

    #[test]
    fn malformed_hosts_are_refused() {
        let cases = [
            "",
            ":80",
            "a.com:",
            "a.com:http",
            "a.com:80:80",
            "*.a.com",
            "a b",
            "a/b",
            "[]",
            "[::1",
            "[::1]80",
            "[::1]:x",
            "[x::1]",
            "é.com",
        ];
        for host in cases {
            assert!(normalise_host(host).is_err(), "{host:?} was accepted");
        }
    }

    #[test]
    fn prefixes_are_normalised_without_a_trailing_slash() {
        let cases = [
            ("", ""),
            ("/", ""),
            ("/shop", "/shop"),
            ("/shop/", "/shop"),
            ("/a/b-c_d.e~f", "/a/b-c_d.e~f"),
            ("/v1:thumbs/@2x", "/v1:thumbs/@2x"),
            ("/_pixgatex", "/_pixgatex"),
        ];
        for (prefix, want) in cases {
            assert_eq!(normalise_prefix(prefix).as_deref(), Ok(want), "{prefix:?}");
        }
    }

    #[test]
    fn unsafe_or_ambiguous_prefixes_are_refused() {
        let cases = [
            "shop",
            "//",
            "/a//b",
            "/shop//",
            "/a/./b",
            "/..",
            "/a%20b",
            "/a\\b",
            "/a b",
            "/a?b",
            "/a#b",
            "/é",
            "/_pixgate",
            "/_pixgate/",
            "/_pixgate/x",
        ];
        for prefix in cases {
            assert!(normalise_prefix(prefix).is_err(), "{prefix:?} was accepted");
        }
    }

    #[test]
    fn sources_tie_only_when_both_take_any_host_or_share_one() {
        let list = |hosts: &[&str]| hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>();
        let cases: [(&[&str], &[&str], bool); 5] = [
            (&[], &[], true),
            (&["a.com"], &[], false),
            (&[], &["a.com"], false),
            (&["a.com", "b.com"], &["b.com"], true),
            (&["a.com"], &["b.com"], false),
        ];
        for (a, b, overlap) in cases {
            assert_eq!(
                shared_hosts(&list(a), &list(b)).is_some(),
                overlap,
                "{a:?} {b:?}"
            );
        }
    }
}
