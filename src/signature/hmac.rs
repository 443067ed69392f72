//! The `signature` scheme (ittybit, contract §2.2): base64url HMAC-SHA256 over the raw path
//! without its leading `/` and the raw query. Only computes and compares MACs.

use ::hmac::{Hmac, KeyInit, Mac};
use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Writes unpadded base64url, as clients send it; reads it padded or not. Trailing bits must
/// be zero so that each MAC has exactly one unpadded spelling.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The `signature` value for a request: unpadded base64url of
/// `HMAC-SHA256(key, raw_path_without_leading_slash + "?" + signed_query)`, the `"?" + …` left
/// out when `signed_query` is empty. `signed_query` is the raw query without `signature`.
pub fn token(key: &str, raw_path: &str, signed_query: &str) -> String {
    mac(key, raw_path, signed_query)
        .map(|mac| BASE64URL.encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Whether `presented` (base64url, padded or not) is the `signature` under any of `keys`. Each
/// comparison is constant-time and every key is tried; undecodable input matches nothing.
pub(super) fn verify(
    keys: &[String],
    raw_path: &str,
    signed_query: &str,
    presented: &[u8],
) -> bool {
    let Ok(presented) = BASE64URL.decode(presented) else {
        return false;
    };
    keys.iter().fold(false, |matched, key| {
        let this = mac(key, raw_path, signed_query)
            .is_some_and(|mac| mac.verify_slice(&presented).is_ok());
        matched | this
    })
}

/// `None` only if the key were refused, which HMAC never does (it accepts any length); the
/// callers fail closed rather than fall back to some other key.
fn mac(key: &str, raw_path: &str, signed_query: &str) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(key.as_bytes()).ok()?;
    mac.update(raw_path.strip_prefix('/').unwrap_or(raw_path).as_bytes());
    if !signed_query.is_empty() {
        mac.update(b"?");
        mac.update(signed_query.as_bytes());
    }
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed independently:
    /// printf '%s' 'private/image.png?expiry=1765432100&method=get' \
    ///   | openssl dgst -sha256 -hmac 'demo-key' -binary | basenc --base64url | tr -d '='
    const DEMO_SIGNATURE: &str = "yvplJzlPuyfyjAJSclzSaXGfw56veTC9mEdaPuSHMrI";
    const DEMO_PATH: &str = "/private/image.png";
    const DEMO_QUERY: &str = "expiry=1765432100&method=get";

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|key| (*key).to_owned()).collect()
    }

    #[test]
    fn token_matches_openssl() {
        assert_eq!(token("demo-key", DEMO_PATH, DEMO_QUERY), DEMO_SIGNATURE);
    }

    #[test]
    fn verify_accepts_unpadded_and_padded_base64url() {
        let keys = keys(&["demo-key"]);
        let padded = format!("{DEMO_SIGNATURE}=");
        for presented in [DEMO_SIGNATURE, padded.as_str()] {
            assert!(
                verify(&keys, DEMO_PATH, DEMO_QUERY, presented.as_bytes()),
                "{presented}"
            );
        }
    }

    #[test]
    fn the_leading_slash_is_not_signed_and_an_empty_query_adds_no_question_mark() {
        assert_eq!(token("k", "/a.png", ""), token("k", "a.png", ""));
        assert_ne!(token("k", "/a.png", ""), token("k", "/a.png?", ""));
    }

    #[test]
    fn any_key_verifies() {
        let presented = DEMO_SIGNATURE.as_bytes();
        assert!(verify(
            &keys(&["new", "demo-key"]),
            DEMO_PATH,
            DEMO_QUERY,
            presented
        ));
        assert!(!verify(
            &keys(&["new", "other"]),
            DEMO_PATH,
            DEMO_QUERY,
            presented
        ));
        assert!(!verify(&[], DEMO_PATH, DEMO_QUERY, presented));
    }

    #[test]
    fn undecodable_or_non_canonical_base64_is_rejected() {
        let keys = keys(&["demo-key"]);
        let trailing_bits_set = format!("{}J", &DEMO_SIGNATURE[..42]);
        let cases = [
            String::new(),
            format!("{DEMO_SIGNATURE}=="),
            format!("{DEMO_SIGNATURE}A"),
            DEMO_SIGNATURE[..42].to_owned(),
            format!("{DEMO_SIGNATURE} "),
            format!("{}+", &DEMO_SIGNATURE[..42]),
            trailing_bits_set,
        ];
        for presented in cases {
            assert!(
                !verify(&keys, DEMO_PATH, DEMO_QUERY, presented.as_bytes()),
                "{presented}"
            );
        }
    }
}
