//! The `Content-Range` of an upload chunk (contract §5): `bytes START-END/TOTAL` as RFC 9110
//! writes it (END inclusive), ittybit's `bytes=START-END/TOTAL`, and the status query
//! `bytes */TOTAL`. Pure: the header value in, a checked range or the reason out.

use super::UploadError;

/// Longest number accepted: 19 digits always fit a `u64`.
const MAX_DIGITS: usize = 19;

/// A parsed `Content-Range`. Every `Chunk` satisfies `start <= end < total`, `total > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentRange {
    /// Bytes `start..=end` of a file of `total` bytes.
    Chunk { start: u64, end: u64, total: u64 },
    /// `bytes */TOTAL`: which bytes of this upload have arrived?
    Status { total: u64 },
}

impl ContentRange {
    pub fn parse(value: &str) -> Result<ContentRange, UploadError> {
        let bad = |reason: &str| UploadError::BadContentRange(reason.to_string());
        let spec = strip_unit(value.trim())
            .ok_or_else(|| bad("expected `bytes START-END/TOTAL` or `bytes */TOTAL`"))?;
        let (range, total) = spec
            .split_once('/')
            .ok_or_else(|| bad("the total size is missing (`/TOTAL`)"))?;
        let total = number(total).ok_or_else(|| bad("the total size must be a known number"))?;
        if total == 0 {
            return Err(bad("the total size must be at least 1 byte"));
        }
        if range == "*" {
            return Ok(ContentRange::Status { total });
        }
        let (start, end) = range
            .split_once('-')
            .and_then(|(start, end)| Some((number(start)?, number(end)?)))
            .ok_or_else(|| bad("the range must be `START-END` in bytes"))?;
        if start > end {
            return Err(bad("the range ends before it starts"));
        }
        if end >= total {
            return Err(bad("the range ends beyond the total size"));
        }
        Ok(ContentRange::Chunk { start, end, total })
    }

    pub fn total(&self) -> u64 {
        match *self {
            ContentRange::Chunk { total, .. } | ContentRange::Status { total } => total,
        }
    }
}

/// `bytes ` (any number of spaces, RFC 9110) or `bytes=` (ittybit), unit in any case.
fn strip_unit(value: &str) -> Option<&str> {
    let unit = value.get(..5)?;
    if !unit.eq_ignore_ascii_case("bytes") {
        return None;
    }
    let rest = &value[5..];
    match rest.strip_prefix('=') {
        Some(spec) => Some(spec),
        None => {
            let spec = rest.trim_start_matches(' ');
            (spec.len() < rest.len()).then_some(spec)
        }
    }
}

/// Plain decimal digits only: no sign, no spaces, no `0x`.
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > MAX_DIGITS || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_and_the_status_query_parse() {
        let chunk = |start, end, total| Ok(ContentRange::Chunk { start, end, total });
        let cases = [
            ("bytes 0-99/300", chunk(0, 99, 300)),
            ("bytes=0-99/300", chunk(0, 99, 300)),
            ("Bytes   200-299/300", chunk(200, 299, 300)),
            (" bytes 5-5/6 ", chunk(5, 5, 6)),
            ("bytes */300", Ok(ContentRange::Status { total: 300 })),
            ("bytes=*/300", Ok(ContentRange::Status { total: 300 })),
        ];
        for (value, want) in cases {
            assert_eq!(ContentRange::parse(value), want, "{value}");
        }
    }

    #[test]
    fn malformed_or_impossible_ranges_are_refused() {
        let cases = [
            "",
            "bytes",
            "bytes ",
            "bytes0-1/2",
            "items 0-1/2",
            "bytes 0-99",
            "bytes 0-99/*",
            "bytes */*",
            "bytes 0-99/0",
            "bytes 10-5/20",
            "bytes 0-300/300",
            "bytes -1-5/10",
            "bytes +1-5/10",
            "bytes 1 -5/10",
            "bytes 0x1-5/10",
            "bytes 0-5/10/20",
            "bytes 0-18446744073709551616/18446744073709551617",
            "bytes 0-5,7-9/10",
        ];
        for value in cases {
            assert!(
                matches!(
                    ContentRange::parse(value),
                    Err(UploadError::BadContentRange(_))
                ),
                "{value}"
            );
        }
    }
}
