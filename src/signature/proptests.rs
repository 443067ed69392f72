//! Properties of signing: whatever [`sign`] produces [`verify`] accepts, and changing any single
//! signed byte, or the signature itself, turns that into `signature_invalid`.

use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::Index;

use super::*;

const NOW: u64 = 1_700_000_000;
/// Printable ASCII without `#`, which never reaches the server.
const PATH_PATTERN: &str = "/[ -\"$-~]{0,40}";
const SECRET_PATTERN: &str = "[ -~]{1,24}";
const BASE64URL_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn scheme() -> impl Strategy<Value = Scheme> {
    prop_oneof![Just(Scheme::Md5), Just(Scheme::Hmac)]
}

/// Transform-like pairs, never a control parameter.
fn query() -> impl Strategy<Value = String> {
    let name = "[a-z]{1,5}".prop_filter("control name", |name| {
        !CONTROL_PARAMS.contains(&name.as_str())
    });
    prop::collection::vec((name, "[a-z0-9]{0,6}"), 0..6).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn printable_except_hash() -> impl Strategy<Value = u8> {
    (b' '..=b'~').prop_filter("#", |byte| *byte != b'#')
}

fn verify_with(secret: &str, path: &str, url_query: &str) -> Result<Access, SignatureError> {
    let secrets = [secret.to_owned()];
    let policy = Policy {
        md5_tokens: &secrets,
        hmac_keys: &secrets,
        max_ttl: None,
        clock_skew: Duration::ZERO,
    };
    verify(path, Some(url_query), Method::Get, true, &policy, NOW)
}

fn replace_byte(text: &str, index: usize, byte: u8) -> String {
    let mut bytes = text.as_bytes().to_vec();
    bytes[index] = byte;
    String::from_utf8_lossy(&bytes).into_owned()
}

fn invalid() -> Result<Access, SignatureError> {
    Err(SignatureError::Refused(Refusal::SignatureInvalid))
}

proptest! {
    #[test]
    fn sign_then_verify_round_trips(
        scheme in scheme(),
        secret in SECRET_PATTERN,
        path in PATH_PATTERN,
        query in query(),
    ) {
        let url_query = sign(scheme, &secret, &path, &query);
        prop_assert!(url_query.starts_with(&query));
        prop_assert_eq!(verify_with(&secret, &path, &url_query), Ok(Access { expires_at: None, signed: true }));
    }

    #[test]
    fn changing_any_signed_byte_fails(
        scheme in scheme(),
        secret in SECRET_PATTERN,
        path in PATH_PATTERN,
        query in query(),
        index in any::<Index>(),
        replacement in printable_except_hash(),
    ) {
        let url_query = sign(scheme, &secret, &path, &query);
        let index = index.index(path.len() + query.len());
        let (path, url_query) = match index.checked_sub(path.len()) {
            None => {
                prop_assume!(path.as_bytes()[index] != replacement);
                (replace_byte(&path, index, replacement), url_query)
            }
            Some(index) => {
                prop_assume!(query.as_bytes()[index] != replacement);
                (path, replace_byte(&url_query, index, replacement))
            }
        };
        prop_assert_eq!(verify_with(&secret, &path, &url_query), invalid());
    }

    #[test]
    fn changing_any_signature_digit_fails_but_hex_case_does_not(
        scheme in scheme(),
        secret in SECRET_PATTERN,
        path in PATH_PATTERN,
        query in query(),
        index in any::<Index>(),
        shift in 1usize..64,
        uppercase in any::<bool>(),
    ) {
        let url_query = sign(scheme, &secret, &path, &query);
        let token_start = url_query.rfind('=').map_or(0, |equals| equals + 1);
        let index = token_start + index.index(url_query.len() - token_start);
        let digit = url_query.as_bytes()[index];
        let replacement = match scheme {
            Scheme::Md5 => {
                let value = char::from(digit).to_digit(16).unwrap_or(0) as usize;
                let changed = b"0123456789abcdef"[(value + 1 + shift % 15) % 16];
                if uppercase {
                    let recased = replace_byte(&url_query, index, digit.to_ascii_uppercase());
                    prop_assert_eq!(verify_with(&secret, &path, &recased), Ok(Access { expires_at: None, signed: true }));
                    changed.to_ascii_uppercase()
                } else {
                    changed
                }
            }
            Scheme::Hmac => {
                let position = BASE64URL_ALPHABET.iter().position(|&c| c == digit).unwrap_or(0);
                BASE64URL_ALPHABET[(position + shift) % 64]
            }
        };
        let changed = replace_byte(&url_query, index, replacement);
        prop_assert_eq!(verify_with(&secret, &path, &changed), invalid());
    }
}
