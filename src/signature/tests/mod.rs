//! Specification tests for [`verify`] and [`sign`], and the fixtures they share: `signing`
//! covers the schemes and where the signature sits, `policy` expiry, method, TTL and parameters.

mod policy;
mod signing;

use std::time::Duration;

use super::*;

const PATH: &str = "/users/1.png";
const TOKEN: &str = "FOO123bar";
const KEY: &str = "demo-key";
const NOW: u64 = 1_700_000_000;

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|secret| (*secret).to_owned()).collect()
}

/// Owns the secrets a [`Policy`] borrows.
struct Secrets {
    md5_tokens: Vec<String>,
    hmac_keys: Vec<String>,
}

impl Secrets {
    fn demo() -> Self {
        Secrets {
            md5_tokens: owned(&[TOKEN]),
            hmac_keys: owned(&[KEY]),
        }
    }

    fn policy(&self) -> Policy<'_> {
        Policy {
            md5_tokens: &self.md5_tokens,
            hmac_keys: &self.hmac_keys,
            max_ttl: None,
            clock_skew: Duration::ZERO,
        }
    }
}

/// Outcomes as tests assert them: the expiry, a refusal code, or `bad:<parameter name>`.
fn outcome(result: Result<Access, SignatureError>) -> Result<Option<u64>, String> {
    match result {
        Ok(access) => Ok(access.expires_at),
        Err(SignatureError::BadParameter { name, .. }) => Err(format!("bad:{name}")),
        Err(SignatureError::Refused(refusal)) => Err(refusal.code().to_owned()),
    }
}

fn check(
    policy: &Policy<'_>,
    query: &str,
    method: Method,
    required: bool,
) -> Result<Option<u64>, String> {
    outcome(verify(PATH, Some(query), method, required, policy, NOW))
}

fn signed(scheme: Scheme, query: &str) -> String {
    let secret = match scheme {
        Scheme::Md5 => TOKEN,
        Scheme::Hmac => KEY,
    };
    sign(scheme, secret, PATH, query)
}

fn refused(code: &str) -> Result<Option<u64>, String> {
    Err(code.to_owned())
}
