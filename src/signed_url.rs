//! Builds signed URLs exactly as the server verifies them: used by `pixgate sign` and the
//! example URLs logged at start-up. The path is encoded once, the query is written in the
//! order given, and the signing parameter goes last.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::config::SourceConfig;
use crate::signature::{self, Method, Scheme};
use crate::source::{KeyError, StorageKey};

/// Bytes escaped in a path segment: everything but RFC 3986 `pchar` minus `;`/`=`/`%` etc.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

#[derive(Debug, thiserror::Error)]
pub enum SignUrlError {
    #[error("invalid path: {0}")]
    Key(#[from] KeyError),
    #[error("source `{source_name}` has no {list} to sign with")]
    NoSecret {
        source_name: String,
        list: &'static str,
    },
}

/// What to sign.
#[derive(Debug, Clone)]
pub struct UrlSpec<'a> {
    /// The storage key inside the source, decoded (`private/image.png`).
    pub key: &'a str,
    /// Transform parameters, in the order they should appear.
    pub params: &'a [(String, String)],
    pub scheme: Scheme,
    pub expires_at: Option<u64>,
    pub method: Option<Method>,
}

/// The scheme a source signs with when none is asked for: MD5 if it has tokens, else HMAC.
pub fn default_scheme(source: &SourceConfig) -> Scheme {
    if source.md5_tokens.is_empty() && !source.hmac_keys.is_empty() {
        Scheme::Hmac
    } else {
        Scheme::Md5
    }
}

/// How long the URL in a private file's File object works.
pub const PRIVATE_FILE_URL_TTL_SECS: u64 = 3600;

/// The path of `key` as sent on the wire: the source prefix, then each segment encoded once.
pub fn raw_path(source: &SourceConfig, key: &StorageKey) -> String {
    let encoded: Vec<String> = key
        .as_str()
        .split('/')
        .map(|seg| utf8_percent_encode(seg, SEGMENT).to_string())
        .collect();
    format!("{}/{}", source.prefix, encoded.join("/"))
}

/// Where a client fetches `key` (after `origin`, e.g. `https://img.example.com`): the plain
/// URL, or when the key needs a signature a GET URL signed for
/// [`PRIVATE_FILE_URL_TTL_SECS`] (HMAC when the source has a key, as ittybit clients expect).
pub fn file_url(
    source: &SourceConfig,
    key: &StorageKey,
    origin: &str,
    needs_signature: bool,
    now: u64,
) -> String {
    let plain = format!("{origin}{}", raw_path(source, key));
    if !needs_signature {
        return plain;
    }
    let scheme = if source.hmac_keys.is_empty() {
        Scheme::Md5
    } else {
        Scheme::Hmac
    };
    let spec = UrlSpec {
        key: key.as_str(),
        params: &[],
        scheme,
        expires_at: Some(now + PRIVATE_FILE_URL_TTL_SECS),
        method: None,
    };
    // Only a source without secrets cannot sign, and such a source has nothing private.
    signed_path_and_query(source, &spec).map_or(plain, |url| format!("{origin}{url}"))
}

/// Returns the signed path and query (`/prefix/key?…&s=…`), ready to append to an origin.
pub fn signed_path_and_query(
    source: &SourceConfig,
    spec: &UrlSpec<'_>,
) -> Result<String, SignUrlError> {
    let key = StorageKey::from_decoded(spec.key.trim_start_matches('/'))?;
    let raw_path = raw_path(source, &key);
    let (secrets, list, expiry_name) = match spec.scheme {
        Scheme::Md5 => (&source.md5_tokens, "md5_tokens", "expires"),
        Scheme::Hmac => (&source.hmac_keys, "hmac_keys", "expiry"),
    };
    let secret = secrets.first().ok_or_else(|| SignUrlError::NoSecret {
        source_name: source.name.clone(),
        list,
    })?;
    let mut pairs: Vec<(&str, String)> = spec
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    if let Some(at) = spec.expires_at {
        pairs.push((expiry_name, at.to_string()));
    }
    match spec.method {
        Some(Method::Get) => pairs.push(("method", "get".into())),
        Some(Method::Put) => pairs.push(("method", "put".into())),
        None => {}
    }
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let signed = signature::sign(spec.scheme, secret, &raw_path, &query);
    Ok(format!("{raw_path}?{signed}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::{Policy, verify};
    use std::path::PathBuf;

    fn demo() -> SourceConfig {
        let mut s = SourceConfig::new("demo", PathBuf::from("/tmp"));
        s.md5_tokens = vec!["FOO123bar".into()];
        s.hmac_keys = vec!["demo-key".into()];
        s.prefix = "/shop".into();
        s
    }

    #[test]
    fn signed_urls_verify_for_both_schemes() {
        let source = demo();
        let params = vec![
            ("w".to_string(), "300".to_string()),
            ("fm".into(), "webp".into()),
        ];
        for scheme in [Scheme::Md5, Scheme::Hmac] {
            let spec = UrlSpec {
                key: "private/cat été.jpg",
                params: &params,
                scheme,
                expires_at: Some(2_000_000_000),
                method: Some(Method::Get),
            };
            let url = signed_path_and_query(&source, &spec).unwrap();
            assert!(
                url.starts_with("/shop/private/cat%20%C3%A9t%C3%A9.jpg?w=300&fm=webp&"),
                "{url}"
            );
            let (path, query) = url.split_once('?').unwrap();
            let policy = Policy {
                md5_tokens: &source.md5_tokens,
                hmac_keys: &source.hmac_keys,
                max_ttl: None,
                clock_skew: std::time::Duration::ZERO,
            };
            let access =
                verify(path, Some(query), Method::Get, true, &policy, 1_900_000_000).unwrap();
            assert_eq!(access.expires_at, Some(2_000_000_000));
        }
    }

    #[test]
    fn the_contract_md5_vector_comes_out_of_the_builder() {
        let mut source = demo();
        source.prefix = String::new();
        let params = vec![
            ("w".to_string(), "400".to_string()),
            ("h".into(), "300".into()),
        ];
        let spec = UrlSpec {
            key: "users/1.png",
            params: &params,
            scheme: Scheme::Md5,
            expires_at: None,
            method: None,
        };
        assert_eq!(
            signed_path_and_query(&source, &spec).unwrap(),
            "/users/1.png?w=400&h=300&s=c7b86f666a832434dd38577e38cf86d1"
        );
    }
}
