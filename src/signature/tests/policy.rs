//! Policy after the signature: expiry with clock skew, method, max TTL, malformed control
//! parameters, and the not-required mode.

use super::*;

#[test]
fn signed_urls_work_until_their_expiry_plus_clock_skew() {
    let secrets = Secrets::demo();
    let cases = [
        (0, NOW, Ok(Some(NOW))),
        (0, NOW - 1, refused("expired")),
        (0, 0, refused("expired")),
        (30, NOW - 30, Ok(Some(NOW - 30))),
        (30, NOW - 31, refused("expired")),
        (30, u64::MAX, Ok(Some(u64::MAX))),
    ];
    for (skew_secs, expires_at, expected) in cases {
        let policy = Policy {
            clock_skew: Duration::from_millis(skew_secs * 1000 + 999),
            ..secrets.policy()
        };
        for param in ["expires", "expiry"] {
            let query = signed(Scheme::Hmac, &format!("w=1&{param}={expires_at}"));
            let result = check(&policy, &query, Method::Get, true);
            assert_eq!(result, expected, "skew {skew_secs}s: {query}");
        }
    }
}

#[test]
fn url_method_must_match_the_request() {
    let secrets = Secrets::demo();
    let cases = [
        ("", Method::Get, Ok(None)),
        ("", Method::Put, refused("method_mismatch")),
        ("method=get", Method::Get, Ok(None)),
        ("method=get", Method::Put, refused("method_mismatch")),
        ("method=put", Method::Put, Ok(None)),
        ("method=PUT", Method::Put, Ok(None)),
        ("method=put", Method::Get, refused("method_mismatch")),
        ("expires=1&method=get", Method::Put, refused("expired")),
    ];
    for (query, method, expected) in cases {
        let query = signed(Scheme::Md5, query);
        assert_eq!(
            check(&secrets.policy(), &query, method, true),
            expected,
            "{query} {method:?}"
        );
    }
}

#[test]
fn max_ttl_refuses_long_lived_and_expiry_less_urls() {
    let secrets = Secrets::demo();
    let cases = [
        (0, String::new(), Method::Get, refused("ttl_too_long")),
        (
            0,
            "method=put".to_owned(),
            Method::Put,
            refused("ttl_too_long"),
        ),
        (
            0,
            format!("expires={}", NOW + 300),
            Method::Get,
            Ok(Some(NOW + 300)),
        ),
        (
            0,
            format!("expires={}", NOW + 301),
            Method::Get,
            refused("ttl_too_long"),
        ),
        (
            0,
            format!("expiry={}", u64::MAX),
            Method::Get,
            refused("ttl_too_long"),
        ),
        (
            10,
            format!("expires={}", NOW + 310),
            Method::Get,
            Ok(Some(NOW + 310)),
        ),
        (
            10,
            format!("expires={}", NOW + 311),
            Method::Get,
            refused("ttl_too_long"),
        ),
        (
            0,
            format!("expires={}", NOW - 1),
            Method::Get,
            refused("expired"),
        ),
    ];
    for (skew_secs, query, method, expected) in cases {
        let policy = Policy {
            max_ttl: Some(Duration::from_secs(300)),
            clock_skew: Duration::from_secs(skew_secs),
            ..secrets.policy()
        };
        let query = signed(Scheme::Md5, &query);
        assert_eq!(check(&policy, &query, method, true), expected, "{query}");
    }
}

#[test]
fn malformed_control_params_are_bad_once_the_signature_holds() {
    let secrets = Secrets::demo();
    let cases = [
        ("expires=1&expires=1", "bad:expires"),
        ("expiry=1&w=1&expiry=1", "bad:expiry"),
        ("method=get&method=get", "bad:method"),
        ("expires=10&expiry=11", "bad:expiry"),
        ("expires=soon", "bad:expires"),
        ("expiry=99999999999999999999", "bad:expiry"),
        ("method=post", "bad:method"),
        ("s=0", "signature_invalid"),
    ];
    for (query, expected) in cases {
        let query = signed(Scheme::Hmac, query);
        assert_eq!(
            check(&secrets.policy(), &query, Method::Get, true),
            refused(expected),
            "{query}"
        );
    }
}

#[test]
fn unrequired_signatures_are_ignored_but_expiry_and_method_hold() {
    let secrets = Secrets::demo();
    let policy = Policy {
        max_ttl: Some(Duration::from_secs(1)),
        ..secrets.policy()
    };
    let cases = [
        (String::new(), Method::Get, Ok(None)),
        ("w=1".to_owned(), Method::Get, Ok(None)),
        ("s=garbage".to_owned(), Method::Get, Ok(None)),
        ("w=1&s=garbage&h=2".to_owned(), Method::Get, Ok(None)),
        ("signature=*&s=0".to_owned(), Method::Get, Ok(None)),
        (
            format!("expires={NOW}&s=garbage"),
            Method::Get,
            Ok(Some(NOW)),
        ),
        (
            format!("expires={}", NOW + 99_999),
            Method::Get,
            Ok(Some(NOW + 99_999)),
        ),
        (
            format!("expires={}&s=garbage", NOW - 1),
            Method::Get,
            refused("expired"),
        ),
        (
            "method=put".to_owned(),
            Method::Get,
            refused("method_mismatch"),
        ),
        (
            "method=get".to_owned(),
            Method::Put,
            refused("method_mismatch"),
        ),
        (String::new(), Method::Put, refused("method_mismatch")),
        ("s=a&s=b".to_owned(), Method::Get, refused("bad:s")),
        (
            "signature=a&signature=b".to_owned(),
            Method::Get,
            refused("bad:signature"),
        ),
        (
            "expires=x&s=garbage".to_owned(),
            Method::Get,
            refused("bad:expires"),
        ),
        (
            "expires=1&expiry=2".to_owned(),
            Method::Get,
            refused("bad:expiry"),
        ),
        (
            "method=delete".to_owned(),
            Method::Get,
            refused("bad:method"),
        ),
    ];
    for (query, method, expected) in cases {
        assert_eq!(
            check(&policy, &query, method, false),
            expected,
            "{query} {method:?}"
        );
    }
    assert_eq!(
        outcome(verify(PATH, None, Method::Get, false, &policy, NOW)),
        Ok(None)
    );
}

#[test]
fn bad_parameter_reasons_do_not_echo_client_input() {
    let secrets = Secrets::demo();
    let result = verify(
        PATH,
        Some("expires=<script>"),
        Method::Get,
        false,
        &secrets.policy(),
        NOW,
    );
    let Err(error @ SignatureError::BadParameter { .. }) = result else {
        panic!("expected a bad parameter, got {result:?}");
    };
    assert!(!error.to_string().contains("<script>"), "{error}");
}
