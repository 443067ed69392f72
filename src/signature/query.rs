//! Finds the five control parameters in a raw query and parses their values. It never
//! re-encodes or reorders anything: byte offsets into the raw query are what the schemes sign.

use std::borrow::Cow;

use percent_encoding::percent_decode;

use super::{Method, Scheme, SignatureError};

/// One of the parameters that control signing rather than the transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Control {
    S,
    Signature,
    Expires,
    Expiry,
    Method,
}

impl Control {
    const ALL: [Control; 5] = [
        Control::S,
        Control::Signature,
        Control::Expires,
        Control::Expiry,
        Control::Method,
    ];

    /// The parameter's name as it appears (decoded) in a URL.
    pub(super) const fn name(self) -> &'static str {
        match self {
            Control::S => "s",
            Control::Signature => "signature",
            Control::Expires => "expires",
            Control::Expiry => "expiry",
            Control::Method => "method",
        }
    }

    /// The scheme this parameter carries the signature of, if it is a signing parameter.
    pub(super) const fn scheme(self) -> Option<Scheme> {
        match self {
            Control::S => Some(Scheme::Md5),
            Control::Signature => Some(Scheme::Hmac),
            Control::Expires | Control::Expiry | Control::Method => None,
        }
    }

    fn from_decoded_name(name: &[u8]) -> Option<Control> {
        Control::ALL
            .into_iter()
            .find(|control| control.name().as_bytes() == name)
    }
}

/// A control parameter found in a raw query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ControlPair<'q> {
    pub(super) control: Control,
    /// The value still form-encoded, exactly as on the wire.
    pub(super) raw_value: &'q str,
    /// Byte range of the whole `name=value` piece in the raw query.
    pub(super) start: usize,
    pub(super) end: usize,
}

/// Every control parameter of `raw_query`, in order. Names are recognised after form decoding
/// (so `%73=` is `s`); pieces without `=` have an empty value; empty pieces are skipped.
pub(super) fn control_pairs(raw_query: &str) -> Vec<ControlPair<'_>> {
    let mut pairs = Vec::new();
    let mut start = 0;
    for piece in raw_query.split('&') {
        let end = start + piece.len();
        let (raw_name, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
        if let Some(control) = Control::from_decoded_name(&form_decode(raw_name)) {
            pairs.push(ControlPair {
                control,
                raw_value,
                start,
                end,
            });
        }
        start = end + 1;
    }
    pairs
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, then percent-decoding.
/// Malformed escapes are kept literally, as browsers do.
pub(super) fn form_decode(raw: &str) -> Cow<'_, [u8]> {
    if raw.contains('+') {
        let spaced = raw.replace('+', " ");
        Cow::Owned(percent_decode(spaced.as_bytes()).collect())
    } else {
        percent_decode(raw.as_bytes()).into()
    }
}

/// The validated values of the non-signing control parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Controls {
    /// Unix seconds, from `expires` or `expiry`.
    pub(super) expires_at: Option<u64>,
    pub(super) method: Option<Method>,
}

/// Validates the control parameters: none may repeat, expiries must be unix seconds and agree,
/// `method` must be `get` or `put`. The first problem in query order is reported.
pub(super) fn parse_controls(pairs: &[ControlPair<'_>]) -> Result<Controls, SignatureError> {
    let mut expires = None;
    let mut expiry = None;
    let mut method = None;
    for (index, pair) in pairs.iter().enumerate() {
        if pairs[..index]
            .iter()
            .any(|seen| seen.control == pair.control)
        {
            return Err(bad(pair.control, "appears more than once"));
        }
        let value = form_decode(pair.raw_value);
        match pair.control {
            Control::S | Control::Signature => {}
            Control::Expires => expires = Some(parse_unix_seconds(&value, pair.control)?),
            Control::Expiry => expiry = Some(parse_unix_seconds(&value, pair.control)?),
            Control::Method => method = Some(parse_method(&value)?),
        }
    }
    let expires_at = match (expires, expiry) {
        (Some(a), Some(b)) if a != b => {
            return Err(bad(Control::Expiry, "disagrees with `expires`"));
        }
        (a, b) => a.or(b),
    };
    Ok(Controls { expires_at, method })
}

/// Up to 20 ASCII digits that fit a `u64`; no sign, no fraction, no whitespace.
fn parse_unix_seconds(value: &[u8], control: Control) -> Result<u64, SignatureError> {
    let reason = "must be a unix time in whole seconds";
    if value.is_empty() || value.len() > 20 || !value.iter().all(u8::is_ascii_digit) {
        return Err(bad(control, reason));
    }
    value.iter().try_fold(0u64, |acc, &digit| {
        acc.checked_mul(10)
            .and_then(|acc| acc.checked_add(u64::from(digit - b'0')))
            .ok_or_else(|| bad(control, reason))
    })
}

fn parse_method(value: &[u8]) -> Result<Method, SignatureError> {
    if value.eq_ignore_ascii_case(b"get") {
        Ok(Method::Get)
    } else if value.eq_ignore_ascii_case(b"put") {
        Ok(Method::Put)
    } else {
        Err(bad(Control::Method, "must be `get` or `put`"))
    }
}

fn bad(control: Control, reason: &str) -> SignatureError {
    SignatureError::BadParameter {
        name: control.name().to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad_param(name: &str) -> Result<Controls, String> {
        Err(name.to_owned())
    }

    fn parse(raw_query: &str) -> Result<Controls, String> {
        parse_controls(&control_pairs(raw_query)).map_err(|error| match error {
            SignatureError::BadParameter { name, .. } => name,
            SignatureError::Refused(refusal) => refusal.code().to_owned(),
        })
    }

    fn controls(expires_at: Option<u64>, method: Option<Method>) -> Result<Controls, String> {
        Ok(Controls { expires_at, method })
    }

    #[test]
    fn pairs_carry_raw_offsets_and_skip_empty_pieces() {
        let query = "w=1&&%73=ab&expires&x";
        assert_eq!(
            control_pairs(query),
            vec![
                ControlPair {
                    control: Control::S,
                    raw_value: "ab",
                    start: 5,
                    end: 11,
                },
                ControlPair {
                    control: Control::Expires,
                    raw_value: "",
                    start: 12,
                    end: 19,
                },
            ]
        );
    }

    #[test]
    fn names_are_recognised_after_form_decoding() {
        for query in ["%73=1", "%73ignature=1", "%65xpires=1", "metho%64=get"] {
            assert_eq!(control_pairs(query).len(), 1, "{query}");
        }
        for query in ["S=1", "s%20=1", "s+=1", "ss=1", "expire=1", "%2573=1"] {
            assert_eq!(control_pairs(query), vec![], "{query}");
        }
    }

    #[test]
    fn control_values_are_parsed_or_named_as_bad() {
        let cases = [
            ("", controls(None, None)),
            ("w=400", controls(None, None)),
            ("expires=0", controls(Some(0), None)),
            ("expiry=1765432100", controls(Some(1_765_432_100), None)),
            ("expires=%31%32", controls(Some(12), None)),
            ("expires=00012", controls(Some(12), None)),
            (
                "expires=18446744073709551615",
                controls(Some(u64::MAX), None),
            ),
            ("expires=18446744073709551616", bad_param("expires")),
            ("expires=000000000000000000001", bad_param("expires")),
            ("expires=", bad_param("expires")),
            ("expires", bad_param("expires")),
            ("expiry=-1", bad_param("expiry")),
            ("expiry=%2B1", bad_param("expiry")),
            ("expiry=+1", bad_param("expiry")),
            ("expiry=1.5", bad_param("expiry")),
            ("expiry=1e9", bad_param("expiry")),
            ("method=get", controls(None, Some(Method::Get))),
            ("method=GeT", controls(None, Some(Method::Get))),
            ("method=PUT", controls(None, Some(Method::Put))),
            ("method=%70ut", controls(None, Some(Method::Put))),
            ("method=head", bad_param("method")),
            ("method=", bad_param("method")),
            ("method=get+", bad_param("method")),
        ];
        for (query, expected) in cases {
            assert_eq!(parse(query), expected, "{query}");
        }
    }

    #[test]
    fn repeated_control_params_are_bad() {
        let cases = [
            ("s=a&w=1&s=b", "s"),
            ("signature=a&signature=a", "signature"),
            ("expires=1&expires=1", "expires"),
            ("expiry=1&%65xpiry=1", "expiry"),
            ("method=get&method=get", "method"),
        ];
        for (query, name) in cases {
            assert_eq!(parse(query), bad_param(name), "{query}");
        }
    }

    #[test]
    fn expires_and_expiry_must_agree() {
        assert_eq!(parse("expires=10&expiry=10"), controls(Some(10), None));
        assert_eq!(parse("expires=10&expiry=010"), controls(Some(10), None));
        assert_eq!(parse("expires=10&expiry=11"), bad_param("expiry"));
        assert_eq!(parse("expiry=11&expires=10"), bad_param("expiry"));
    }

    #[test]
    fn the_first_problem_in_query_order_is_reported() {
        assert_eq!(parse("method=x&expires=y"), bad_param("method"));
        assert_eq!(parse("expires=y&method=x"), bad_param("expires"));
    }
}
