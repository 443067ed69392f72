//! The `s` scheme (Gumlet, imgix, contract §2.1): lowercase hex MD5 of token, raw path and raw
//! query. Only computes and compares tokens; where `s` sits in the query is checked by the caller.

use ::md5::{Digest, Md5};
use subtle::{Choice, ConstantTimeEq};

/// The `s` value for a request: `md5_hex(token + raw_path + "?" + signed_query)`, the `"?" + …`
/// left out when `signed_query` is empty. `signed_query` is the raw query without `s`.
pub fn token(token: &str, raw_path: &str, signed_query: &str) -> String {
    crate::hex::lower(&digest(token, raw_path, signed_query))
}

/// Whether `presented` (32 hex digits, either case) is the `s` of any of `tokens`. Each
/// comparison is constant-time and every token is tried, so timing reveals nothing of the digest.
pub(super) fn verify(
    tokens: &[String],
    raw_path: &str,
    signed_query: &str,
    presented: &[u8],
) -> bool {
    let Some(presented) = decode_hex(presented) else {
        return false;
    };
    let matched = tokens.iter().fold(Choice::from(0), |matched, token| {
        matched | digest(token, raw_path, signed_query).ct_eq(&presented)
    });
    matched.into()
}

fn digest(token: &str, raw_path: &str, signed_query: &str) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(token);
    md5.update(raw_path);
    if !signed_query.is_empty() {
        md5.update("?");
        md5.update(signed_query);
    }
    md5.finalize().into()
}

fn decode_hex(hex: &[u8]) -> Option<[u8; 16]> {
    let mut bytes = [0u8; 16];
    if hex.len() != 2 * bytes.len() {
        return None;
    }
    for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(bytes)
}

fn nibble(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Contract §2.1, token `FOO123bar`: (raw path, raw query without `s`, `s`).
    const KNOWN_ANSWERS: [(&str, &str, &str); 3] = [
        ("/users/1.png", "", "6797c24146142d5b40bde3141fd3600c"),
        (
            "/users/1.png",
            "w=400&h=300",
            "c7b86f666a832434dd38577e38cf86d1",
        ),
        (
            "/users/1.png",
            "h=300&w=400",
            "1a4e48641614d1109c6a7af51be23d18",
        ),
    ];

    fn tokens(list: &[&str]) -> Vec<String> {
        list.iter().map(|token| (*token).to_owned()).collect()
    }

    #[test]
    fn token_matches_the_contract_known_answers() {
        for (path, query, s) in KNOWN_ANSWERS {
            assert_eq!(token("FOO123bar", path, query), s, "{path}?{query}");
        }
    }

    #[test]
    fn verify_accepts_known_answers_in_either_hex_case() {
        let tokens = tokens(&["FOO123bar"]);
        for (path, query, s) in KNOWN_ANSWERS {
            assert!(verify(&tokens, path, query, s.as_bytes()), "{s}");
            let upper = s.to_ascii_uppercase();
            assert!(verify(&tokens, path, query, upper.as_bytes()), "{upper}");
        }
    }

    #[test]
    fn any_token_verifies() {
        let (path, query, s) = KNOWN_ANSWERS[1];
        assert!(verify(
            &tokens(&["old", "FOO123bar"]),
            path,
            query,
            s.as_bytes()
        ));
        assert!(!verify(
            &tokens(&["old", "other"]),
            path,
            query,
            s.as_bytes()
        ));
        assert!(!verify(&[], path, query, s.as_bytes()));
    }

    #[test]
    fn malformed_hex_is_rejected() {
        let tokens = tokens(&["FOO123bar"]);
        let (path, query, s) = KNOWN_ANSWERS[0];
        let cases = [
            String::new(),
            s[..31].to_owned(),
            format!("{s}0"),
            format!("{}g", &s[..31]),
            format!("{} ", &s[..31]),
            format!("+{}", &s[1..]),
        ];
        for presented in cases {
            assert!(
                !verify(&tokens, path, query, presented.as_bytes()),
                "{presented:?}"
            );
        }
    }
}
