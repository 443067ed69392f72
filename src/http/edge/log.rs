//! The access log: one line per request (tracing target `pixgate::access`), written by the
//! edge after the answer. Signed URLs are bearer credentials, so their signatures are redacted.

use std::time::Duration;

use http::{Method, Uri};

use crate::http::body::Response;

const X_CACHE: &str = "x-cache";

/// Whether there will be a line: the request's side of it is taken only then.
pub fn enabled() -> bool {
    tracing::enabled!(target: "pixgate::access", tracing::Level::INFO)
}

/// One access-log line.
pub struct Line<'a> {
    pub id: &'a str,
    /// The W3C trace id: the caller's `traceparent`'s, or a new one.
    pub trace_id: &'a str,
    pub method: &'a Method,
    /// The request target, signatures redacted ([`loggable_target`]).
    pub target: &'a str,
    /// The source a storage path was routed to (`-` for the service API or no source).
    pub source: &'a str,
    pub bytes: u64,
    pub took: Duration,
}

impl Line<'_> {
    pub fn write(&self, response: &Response, code: Option<&str>) {
        let cache = response
            .headers()
            .get(X_CACHE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info!(
            target: "pixgate::access",
            request_id = self.id,
            trace_id = self.trace_id,
            method = %self.method,
            // Not `target`: JSON lines carry tracing's own `target` (`pixgate::access`) beside
            // the fields, and a key twice in one object is read differently by every parser.
            uri = %self.target,
            status = response.status().as_u16(),
            source = self.source,
            cache,
            bytes = self.bytes,
            ms = duration_ms(self.took),
            code = code.unwrap_or("-"),
            "request"
        );
    }
}

fn duration_ms(took: Duration) -> f64 {
    (took.as_secs_f64() * 1e6).round() / 1e3
}

/// Path and query with the values of `s` and `signature` replaced: a signed URL is a bearer
/// credential until it expires, so it does not belong in logs.
pub fn loggable_target(uri: &Uri) -> String {
    let path = uri.path();
    let Some(query) = uri.query() else {
        return path.to_string();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name == "s" || name == "signature" => format!("{name}=[redacted]"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_redacted_from_logged_targets() {
        let uri: Uri = "/a.jpg?w=10&s=abc&expires=9&signature=def&x=s"
            .parse()
            .unwrap();
        assert_eq!(
            loggable_target(&uri),
            "/a.jpg?w=10&s=[redacted]&expires=9&signature=[redacted]&x=s"
        );
        let uri: Uri = "/a.jpg".parse().unwrap();
        assert_eq!(loggable_target(&uri), "/a.jpg");
    }
}
