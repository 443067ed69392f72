//! `StorageKey`: the path of a file inside a source, proven unable to leave its root. The only
//! way to build one is [`StorageKey::from_raw`], which decodes exactly once and rejects
//! everything that could climb out or mean two things.

use std::fmt;
use std::path::PathBuf;

use percent_encoding::percent_decode_str;

/// Why a path cannot be a storage key. Always a 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the path is empty")]
    Empty,
    #[error("the path is not valid percent-encoded UTF-8")]
    NotUtf8,
    #[error("the path contains a control character")]
    ControlCharacter,
    #[error("the path contains a backslash")]
    Backslash,
    #[error("the path contains an empty, `.` or `..` segment")]
    BadSegment,
    #[error("the path contains an encoded `/` or `\\`")]
    EncodedSeparator,
    #[error("the path contains a `%` that decodes to another escape")]
    DoubleEncoded,
    #[error("the path is too long")]
    TooLong,
    #[error("the path uses a name reserved by pixgate (`.pixgate…`)")]
    Reserved,
}

/// pixgate keeps its own state (upload staging, file metadata) in `<root>/.pixgate/`; no key
/// may name it or anything that starts like it, at any depth, so it can be neither read nor
/// overwritten through a URL.
pub const RESERVED_SEGMENT_PREFIX: &str = ".pixgate";

/// Longest key accepted, in bytes; file systems refuse longer paths anyway.
const MAX_KEY_BYTES: usize = 1024;

/// A relative, normalised path inside a source: `/`-separated non-empty segments, none of
/// them `.` or `..`, no backslash, no control character, valid UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StorageKey(String);

impl StorageKey {
    /// Builds a key from the raw (still percent-encoded) path that follows the source prefix,
    /// with or without its leading `/`. Decodes exactly once.
    pub fn from_raw(raw: &str) -> Result<StorageKey, KeyError> {
        let raw = raw.strip_prefix('/').unwrap_or(raw);
        // A file name cannot hold a separator, so `%2f`/`%5c` only ever serve to smuggle one
        // past a check on the raw path.
        let lower = raw.to_ascii_lowercase();
        if lower.contains("%2f") || lower.contains("%5c") {
            return Err(KeyError::EncodedSeparator);
        }
        let decoded = percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| KeyError::NotUtf8)?;
        Self::from_decoded(&decoded)
    }

    /// Builds a key from an already decoded path (for keys that come from JSON or the CLI).
    pub fn from_decoded(decoded: &str) -> Result<StorageKey, KeyError> {
        if decoded.is_empty() {
            return Err(KeyError::Empty);
        }
        if decoded.len() > MAX_KEY_BYTES {
            return Err(KeyError::TooLong);
        }
        if decoded.chars().any(char::is_control) {
            return Err(KeyError::ControlCharacter);
        }
        if decoded.contains('\\') {
            return Err(KeyError::Backslash);
        }
        // A `%XX` left after one decoding is either a literal name with a `%` or an attempt at
        // double encoding (`%252e%252e`); refusing both keeps one meaning per URL.
        if has_percent_escape(decoded) {
            return Err(KeyError::DoubleEncoded);
        }
        // An absolute path (`//etc/passwd` once the first slash is stripped) starts with an
        // empty segment and is refused here with the other empty segments.
        let bad = |seg: &str| seg.is_empty() || seg == "." || seg == "..";
        if decoded.split('/').any(bad) {
            return Err(KeyError::BadSegment);
        }
        if decoded.split('/').any(is_reserved) {
            return Err(KeyError::Reserved);
        }
        Ok(StorageKey(decoded.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as a relative path, one component per segment. Joining it to a root cannot
    /// leave the root lexically; symlinks are the source's business.
    pub fn relative_path(&self) -> PathBuf {
        self.0.split('/').collect()
    }

    /// Whether the key lies under `prefix` (e.g. `private/`), compared segment-wise so that
    /// `private/` does not cover `privateer.png`.
    pub fn is_under(&self, prefix: &str) -> bool {
        let prefix = prefix.trim_end_matches('/');
        !prefix.is_empty()
            && self
                .0
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// The last segment.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// Everything before the last segment, `""` at the top level.
    pub fn folder(&self) -> &str {
        self.0.rsplit_once('/').map_or("", |(folder, _)| folder)
    }
}

fn is_reserved(segment: &str) -> bool {
    segment
        .get(..RESERVED_SEGMENT_PREFIX.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(RESERVED_SEGMENT_PREFIX))
}

fn has_percent_escape(s: &str) -> bool {
    s.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

impl fmt::Display for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::Component;

    #[test]
    fn hostile_paths_are_refused() {
        let cases = [
            ("", KeyError::Empty),
            ("/", KeyError::Empty),
            ("../etc/passwd", KeyError::BadSegment),
            ("a/../../etc/passwd", KeyError::BadSegment),
            ("%2e%2e/etc/passwd", KeyError::BadSegment),
            ("%2E%2E%2Fetc%2Fpasswd", KeyError::EncodedSeparator),
            ("a/%2e/b", KeyError::BadSegment),
            ("a%2f..%2f..%2fetc", KeyError::EncodedSeparator),
            ("..%5cetc", KeyError::EncodedSeparator),
            ("photos%2Fcat.jpg", KeyError::EncodedSeparator),
            ("a\\b", KeyError::Backslash),
            ("%252e%252e/etc", KeyError::DoubleEncoded),
            ("a%00.png", KeyError::ControlCharacter),
            ("a%0a.png", KeyError::ControlCharacter),
            ("a%7f.png", KeyError::ControlCharacter),
            ("//etc/passwd", KeyError::BadSegment),
            ("/%2fetc/passwd", KeyError::EncodedSeparator),
            ("a//b.png", KeyError::BadSegment),
            ("a/", KeyError::BadSegment),
            ("%ff%fe.png", KeyError::NotUtf8),
            (".pixgate/files.redb", KeyError::Reserved),
            ("a/.PixGate-tmp/x", KeyError::Reserved),
            ("%2epixgate/x", KeyError::Reserved),
        ];
        for (raw, want) in cases {
            assert_eq!(StorageKey::from_raw(raw), Err(want), "{raw}");
        }
    }

    #[test]
    fn ordinary_paths_decode_once() {
        let cases = [
            ("/photos/cat.jpg", "photos/cat.jpg"),
            ("cat%20%C3%A9t%C3%A9.jpg", "cat été.jpg"),
            ("a/b%2Bc.png", "a/b+c.png"),
            ("a+b.png", "a+b.png"),
            ("..a/b..", "..a/b.."),
        ];
        for (raw, want) in cases {
            assert_eq!(
                StorageKey::from_raw(raw).map(|k| k.0),
                Ok(want.into()),
                "{raw}"
            );
        }
    }

    #[test]
    fn private_prefix_matches_whole_segments() {
        let key = |s: &str| StorageKey::from_decoded(s).unwrap();
        assert!(key("private/a.png").is_under("private/"));
        assert!(key("private/x/a.png").is_under("private"));
        assert!(!key("privateer.png").is_under("private/"));
        assert!(!key("public/private/a.png").is_under("private/"));
        assert!(!key("a.png").is_under(""));
    }

    proptest! {
        #[test]
        fn no_accepted_key_escapes_the_root(raw in "[a-z./%25cefF2\\\\0-9]{0,24}") {
            if let Ok(key) = StorageKey::from_raw(&raw) {
                for c in key.relative_path().components() {
                    prop_assert!(matches!(c, Component::Normal(_)), "{raw} -> {key}");
                }
            }
        }

        #[test]
        fn arbitrary_bytes_never_escape(raw in "\\PC{0,16}") {
            if let Ok(key) = StorageKey::from_raw(&raw) {
                for c in key.relative_path().components() {
                    prop_assert!(matches!(c, Component::Normal(_)), "{raw:?} -> {key}");
                }
            }
        }
    }
}
