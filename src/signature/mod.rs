//! Signed URLs (contract §2): verifies a request's `s`/`signature` over the raw wire bytes and
//! enforces expiry, method and max-TTL policy; signs URLs with the same rules. Pure: no I/O, no
//! clock (callers pass `now`), and the only place signatures are compared (in constant time).

pub mod hmac;
pub mod md5;
mod query;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use query::{Control, ControlPair};

/// The names of the signing/control parameters, so the transform parser can skip them.
pub const CONTROL_PARAMS: [&str; 5] = [
    Control::S.name(),
    Control::Signature.name(),
    Control::Expires.name(),
    Control::Expiry.name(),
    Control::Method.name(),
];

/// What the request is doing: GET and HEAD are `Get`, PUT is `Put`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
}

/// A signing scheme: `Md5` is the `s` parameter (§2.1), `Hmac` the `signature` parameter (§2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Md5,
    Hmac,
}

/// A source's signing policy (borrowed from config).
#[derive(Clone, Copy)]
pub struct Policy<'a> {
    /// Secrets of the `s` scheme; the first signs, any verifies.
    pub md5_tokens: &'a [String],
    /// Secrets of the `signature` scheme; the first signs, any verifies.
    pub hmac_keys: &'a [String],
    /// Signed URLs may not expire further than this in the future, nor lack an expiry.
    pub max_ttl: Option<Duration>,
    /// Grace added to every expiry comparison; whole seconds count, fractions are dropped.
    pub clock_skew: Duration,
}

/// Secrets stay out of logs: only their number is shown.
impl fmt::Debug for Policy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("md5_tokens", &self.md5_tokens.len())
            .field("hmac_keys", &self.hmac_keys.len())
            .field("max_ttl", &self.max_ttl)
            .field("clock_skew", &self.clock_skew)
            .finish()
    }
}

/// Why access was refused (403). [`Refusal::code`] names it for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this URL must be signed")]
    SignatureRequired,
    #[error("the signature does not match the URL")]
    SignatureInvalid,
    #[error("the URL has expired")]
    Expired,
    #[error("the URL was signed for another method")]
    MethodMismatch,
    #[error("the URL lives longer than this source allows")]
    TtlTooLong,
}

impl Refusal {
    /// The stable machine-readable reason: `signature_required`, `signature_invalid`,
    /// `expired`, `method_mismatch` or `ttl_too_long`.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::SignatureRequired => "signature_required",
            Refusal::SignatureInvalid => "signature_invalid",
            Refusal::Expired => "expired",
            Refusal::MethodMismatch => "method_mismatch",
            Refusal::TtlTooLong => "ttl_too_long",
        }
    }
}

/// The errors [`verify`] can return.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// 400: a malformed signing parameter. `name` is one of [`CONTROL_PARAMS`] (the decoded
    /// name the client used); `reason` describes the problem and is safe to show the client.
    #[error("invalid parameter `{name}`: {reason}")]
    BadParameter { name: String, reason: String },
    /// 403: access refused.
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// What a verified request may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// The URL's expiry in unix seconds, if it has one (for `Cache-Control: max-age`).
    pub expires_at: Option<u64>,
    /// The URL carries a valid signature (always, where one is required). A source's enforced
    /// watermark spares signed requests.
    pub signed: bool,
}

/// Checks a request against a source's signing policy.
///
/// `raw_path` is the request path exactly as received on the wire (still percent-encoded,
/// starting with `/`, including any source prefix); `raw_query` the raw query without `?`,
/// `None` if absent. `signature_required` is the caller's decision (secure source, private
/// prefix, or any PUT). `now` is unix seconds.
///
/// When a signature is required it is checked first, before any other parameter is looked at:
/// the first `s` or `signature` pair must end the query and match under one of the policy's
/// secrets for its scheme; then expiry, method and `max_ttl` are enforced, in that order. When
/// it is not required the signature is ignored entirely, but the control parameters must still
/// be well-formed and expiry and method are still enforced; `max_ttl` is not applied.
///
/// A URL works while `now <= expires_at + clock_skew`. A URL without `method` is a GET URL.
pub fn verify(
    raw_path: &str,
    raw_query: Option<&str>,
    method: Method,
    signature_required: bool,
    policy: &Policy<'_>,
    now: u64,
) -> Result<Access, SignatureError> {
    let raw_query = raw_query.unwrap_or("");
    let pairs = query::control_pairs(raw_query);
    // Where none is required, a signature present is still checked (only then: it costs a
    // hash), so that a signed request can be told from an unsigned one; a wrong one is not
    // refused, the request just counts as unsigned.
    let signed = if signature_required {
        check_signature(raw_path, raw_query, &pairs, policy)?;
        true
    } else {
        pairs.iter().any(|pair| pair.control.scheme().is_some())
            && check_signature(raw_path, raw_query, &pairs, policy).is_ok()
    };
    let controls = query::parse_controls(&pairs)?;
    let skew = policy.clock_skew.as_secs();
    if let Some(expires_at) = controls.expires_at
        && now > expires_at.saturating_add(skew)
    {
        return Err(Refusal::Expired.into());
    }
    if controls.method.unwrap_or(Method::Get) != method {
        return Err(Refusal::MethodMismatch.into());
    }
    if signature_required && let Some(max_ttl) = policy.max_ttl {
        let latest = now.saturating_add(max_ttl.as_secs()).saturating_add(skew);
        if controls
            .expires_at
            .is_none_or(|expires_at| expires_at > latest)
        {
            return Err(Refusal::TtlTooLong.into());
        }
    }
    Ok(Access {
        expires_at: controls.expires_at,
        signed,
    })
}

/// Signs a request and returns the full new raw query to append after `?`: `raw_query` as given,
/// then the signing parameter (`s=<hex>` or `signature=<base64url>`) as the last pair.
///
/// `raw_path` and `raw_query` must be exactly the bytes that will be sent (percent-encoded,
/// path starting with `/`), and `raw_query` must not already hold `s` or `signature`.
/// `secret` is the first of the policy's secrets for `scheme`. For example
/// `sign(Scheme::Md5, "FOO123bar", "/users/1.png", "w=400&h=300")` is
/// `"w=400&h=300&s=c7b86f666a832434dd38577e38cf86d1"`.
pub fn sign(scheme: Scheme, secret: &str, raw_path: &str, raw_query: &str) -> String {
    let (name, token) = match scheme {
        Scheme::Md5 => ("s", md5::token(secret, raw_path, raw_query)),
        Scheme::Hmac => ("signature", hmac::token(secret, raw_path, raw_query)),
    };
    if raw_query.is_empty() {
        format!("{name}={token}")
    } else {
        format!("{raw_query}&{name}={token}")
    }
}

/// Whether `presented` is one of `secrets` (a bearer key of the service API). Every secret is
/// compared, each in constant time, so timing tells nothing about which or how much matched.
pub fn secret_matches(secrets: &[String], presented: &str) -> bool {
    use subtle::ConstantTimeEq;
    secrets.iter().fold(false, |matched, secret| {
        matched | bool::from(secret.as_bytes().ct_eq(presented.as_bytes()))
    })
}

/// The signing parameter is the first `s`/`signature` pair. Requiring it to end the query means
/// nothing can follow the signed bytes, which is what defeats MD5 length extension.
fn check_signature(
    raw_path: &str,
    raw_query: &str,
    pairs: &[ControlPair<'_>],
    policy: &Policy<'_>,
) -> Result<(), Refusal> {
    let Some((scheme, pair)) = pairs
        .iter()
        .find_map(|pair| pair.control.scheme().map(|scheme| (scheme, pair)))
    else {
        return Err(Refusal::SignatureRequired);
    };
    if pair.end != raw_query.len() {
        return Err(Refusal::SignatureInvalid);
    }
    // The `&` joining the signed query to the signing pair is not signed.
    let signed_query = raw_query.get(..pair.start.saturating_sub(1)).unwrap_or("");
    let presented = query::form_decode(pair.raw_value);
    let matched = match scheme {
        Scheme::Md5 => md5::verify(policy.md5_tokens, raw_path, signed_query, &presented),
        Scheme::Hmac => hmac::verify(policy.hmac_keys, raw_path, signed_query, &presented),
    };
    if matched {
        Ok(())
    } else {
        Err(Refusal::SignatureInvalid)
    }
}
