//! Conditional and range requests, decided from the request's headers and the resource's
//! validators: whether the client's copy is fresh (304), and which bytes it asked for (206/416).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, header};

/// What identifies the representation being answered.
pub struct Validators<'a> {
    /// The strong `ETag`, quoted.
    pub etag: &'a str,
    pub last_modified: Option<SystemTime>,
}

/// Whether `If-None-Match` matches (weak comparison, RFC 9110 §13.1.2), or, without
/// `If-None-Match`, whether `If-Modified-Since` is not older than the resource.
pub fn is_fresh(request: &HeaderMap, v: &Validators<'_>) -> bool {
    match request
        .get(header::IF_NONE_MATCH)
        .and_then(|h| h.to_str().ok())
    {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|tag| !tag.is_empty())
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == v.etag),
        None => {
            let since = request
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|h| h.to_str().ok())
                .and_then(|s| httpdate::parse_http_date(s).ok());
            match (since, v.last_modified) {
                (Some(since), Some(modified)) => truncate_to_seconds(modified) <= since,
                _ => false,
            }
        }
    }
}

fn truncate_to_seconds(t: SystemTime) -> SystemTime {
    t.duration_since(UNIX_EPOCH)
        .map(|d| UNIX_EPOCH + Duration::from_secs(d.as_secs()))
        .unwrap_or(t)
}

pub enum RangeAnswer {
    Full,
    Partial { start: u64, end: u64 },
    Unsatisfiable,
}

/// One `bytes=` range (`a-b`, `a-`, `-n`). Multiple ranges, other units, a stale `If-Range`
/// or a syntax error fall back to the full body, as RFC 9110 allows.
pub fn byte_range(request: &HeaderMap, v: &Validators<'_>, len: u64) -> RangeAnswer {
    let Some(spec) = request.get(header::RANGE).and_then(|h| h.to_str().ok()) else {
        return RangeAnswer::Full;
    };
    if let Some(if_range) = request.get(header::IF_RANGE).and_then(|h| h.to_str().ok())
        && if_range.trim() != v.etag
    {
        return RangeAnswer::Full;
    }
    let Some(spec) = spec.trim().strip_prefix("bytes=") else {
        return RangeAnswer::Full;
    };
    if spec.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Full;
    };
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), number(first), number(last)) {
        (true, _, Some(0)) => RangeAnswer::Unsatisfiable,
        (true, _, Some(suffix)) if len > 0 => RangeAnswer::Partial {
            start: len.saturating_sub(suffix),
            end: len - 1,
        },
        (true, _, _) => RangeAnswer::Unsatisfiable,
        (false, Some(start), _) if start >= len => RangeAnswer::Unsatisfiable,
        (false, Some(start), None) if last.trim().is_empty() => RangeAnswer::Partial {
            start,
            end: len - 1,
        },
        (false, Some(start), Some(end)) if end >= start => RangeAnswer::Partial {
            start,
            end: end.min(len - 1),
        },
        _ => RangeAnswer::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderName, HeaderValue};

    fn request_with(name: HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn byte_ranges_follow_rfc_9110() {
        let v = Validators {
            etag: "\"e\"",
            last_modified: None,
        };
        let cases = [
            ("bytes=0-9", Some((0, 9))),
            ("bytes=10-", Some((10, 99))),
            ("bytes=-10", Some((90, 99))),
            ("bytes=90-500", Some((90, 99))),
            ("bytes=-500", Some((0, 99))),
        ];
        for (spec, want) in cases {
            let got = match byte_range(&request_with(header::RANGE, spec), &v, 100) {
                RangeAnswer::Partial { start, end } => Some((start, end)),
                _ => None,
            };
            assert_eq!(got, want, "{spec}");
        }
        for spec in ["bytes=100-", "bytes=200-300", "bytes=-0"] {
            let got = byte_range(&request_with(header::RANGE, spec), &v, 100);
            assert!(matches!(got, RangeAnswer::Unsatisfiable), "{spec}");
        }
        for spec in ["bytes=0-1,5-6", "items=0-1", "bytes=5-2", "bytes=x-"] {
            let got = byte_range(&request_with(header::RANGE, spec), &v, 100);
            assert!(matches!(got, RangeAnswer::Full), "{spec}");
        }
    }
}
