//! Both signing schemes, implemented here from the contract (§2.1, §2.2) rather than borrowed
//! from the crate, so a test signs the way a client library would and a bug in pixgate's own
//! signing cannot hide behind the same bug in the test.

use base64::Engine as _;
use hmac::{KeyInit as _, Mac as _};
use md5::Digest as _;

/// `raw_query` with `s=md5_hex(token + raw_path + ("?" + raw_query))` appended.
pub fn md5_signed(token: &str, raw_path: &str, raw_query: &str) -> String {
    let mut input = format!("{token}{raw_path}");
    if !raw_query.is_empty() {
        input.push('?');
        input.push_str(raw_query);
    }
    let digest = md5::Md5::digest(input.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    join_query(raw_query, &format!("s={hex}"))
}

/// `raw_query` with `signature=base64url(HMAC-SHA256(key, path-without-slash + ("?" + query)))`.
pub fn hmac_signed(key: &str, raw_path: &str, raw_query: &str) -> String {
    let mut input = raw_path.trim_start_matches('/').to_string();
    if !raw_query.is_empty() {
        input.push('?');
        input.push_str(raw_query);
    }
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(input.as_bytes());
    let token =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    join_query(raw_query, &format!("signature={token}"))
}

fn join_query(raw_query: &str, pair: &str) -> String {
    if raw_query.is_empty() {
        pair.to_string()
    } else {
        format!("{raw_query}&{pair}")
    }
}

/// `path?` + the MD5-signed query.
pub fn md5_url(token: &str, raw_path: &str, raw_query: &str) -> String {
    format!("{raw_path}?{}", md5_signed(token, raw_path, raw_query))
}

/// `path?` + the HMAC-signed query.
pub fn hmac_url(key: &str, raw_path: &str, raw_query: &str) -> String {
    format!("{raw_path}?{}", hmac_signed(key, raw_path, raw_query))
}
