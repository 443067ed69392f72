//! Signing schemes end to end: contract known answers, length extension, where the signing
//! parameter may sit, and key rotation.

use super::*;

#[test]
fn control_params_and_refusal_codes_are_the_contract_names() {
    assert_eq!(
        CONTROL_PARAMS,
        ["s", "signature", "expires", "expiry", "method"]
    );
    let codes = [
        (Refusal::SignatureRequired, "signature_required"),
        (Refusal::SignatureInvalid, "signature_invalid"),
        (Refusal::Expired, "expired"),
        (Refusal::MethodMismatch, "method_mismatch"),
        (Refusal::TtlTooLong, "ttl_too_long"),
    ];
    for (refusal, code) in codes {
        assert_eq!(refusal.code(), code);
    }
}

#[test]
fn md5_known_answers_sign_and_verify_in_either_hex_case() {
    let secrets = Secrets::demo();
    let cases = [
        ("", "s=6797c24146142d5b40bde3141fd3600c"),
        (
            "w=400&h=300",
            "w=400&h=300&s=c7b86f666a832434dd38577e38cf86d1",
        ),
        (
            "h=300&w=400",
            "h=300&w=400&s=1a4e48641614d1109c6a7af51be23d18",
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(sign(Scheme::Md5, TOKEN, PATH, query), expected);
        let upper = match expected.rsplit_once("s=") {
            Some((head, hex)) => format!("{head}s={}", hex.to_ascii_uppercase()),
            None => panic!("no s in {expected}"),
        };
        assert_ne!(upper, expected);
        for url_query in [expected, upper.as_str()] {
            assert_eq!(
                check(&secrets.policy(), url_query, Method::Get, true),
                Ok(None),
                "{url_query}"
            );
        }
    }
    assert_eq!(
        verify(PATH, None, Method::Get, true, &secrets.policy(), NOW),
        Err(SignatureError::Refused(Refusal::SignatureRequired))
    );
}

#[test]
fn hmac_known_answer_signs_and_verifies_padded_or_not() {
    // printf '%s' 'private/image.png?expiry=1765432100&method=get' \
    //   | openssl dgst -sha256 -hmac 'demo-key' -binary | basenc --base64url | tr -d '='
    let mac = "yvplJzlPuyfyjAJSclzSaXGfw56veTC9mEdaPuSHMrI";
    let (path, query, expiry) = (
        "/private/image.png",
        "expiry=1765432100&method=get",
        1_765_432_100,
    );
    assert_eq!(
        sign(Scheme::Hmac, KEY, path, query),
        format!("{query}&signature={mac}")
    );
    let secrets = Secrets::demo();
    for presented in [mac.to_owned(), format!("{mac}="), format!("{mac}%3D")] {
        let url_query = format!("{query}&signature={presented}");
        let result = verify(
            path,
            Some(&url_query),
            Method::Get,
            true,
            &secrets.policy(),
            expiry,
        );
        assert_eq!(
            result,
            Ok(Access {
                expires_at: Some(expiry),
                signed: true,
            }),
            "{url_query}"
        );
    }
}

#[test]
fn nothing_may_follow_the_signing_parameter() {
    let secrets = Secrets::demo();
    for scheme in [Scheme::Md5, Scheme::Hmac] {
        let valid = signed(scheme, "w=400");
        let other = match scheme {
            Scheme::Md5 => signed(Scheme::Hmac, "w=400"),
            Scheme::Hmac => signed(Scheme::Md5, "w=400"),
        };
        let (_, other_param) = other.split_at("w=400&".len());
        let extended = [
            format!("{valid}&w=4000&expires=99999999999"),
            format!("{valid}&{other_param}"),
            format!("{valid}&"),
            format!("{valid}&&"),
        ];
        for query in extended {
            let result = check(&secrets.policy(), &query, Method::Get, true);
            assert_eq!(result, refused("signature_invalid"), "{query}");
        }
    }
}

#[test]
fn required_signatures_are_checked_before_anything_else() {
    let secrets = Secrets::demo();
    let valid_s = signed(Scheme::Md5, "");
    let s_before_valid_s = format!("s=0&{valid_s}");
    let signature_before_valid_s = format!("signature=0&{valid_s}");
    let cases = [
        ("", "signature_required"),
        ("w=400", "signature_required"),
        ("expires=garbage&method=post", "signature_required"),
        (
            "w=400&s=6797c24146142d5b40bde3141fd3600c",
            "signature_invalid",
        ),
        ("s=6797c24146142d5b40bde3141fd3600", "signature_invalid"),
        ("s=6797c24146142d5b40bde3141fd3600cc", "signature_invalid"),
        ("s=6797c24146142d5b40bde3141fd3600g", "signature_invalid"),
        ("s=", "signature_invalid"),
        ("s", "signature_invalid"),
        ("signature=not*base64", "signature_invalid"),
        ("signature=", "signature_invalid"),
        ("expires=garbage&s=0000", "signature_invalid"),
        (s_before_valid_s.as_str(), "signature_invalid"),
        (signature_before_valid_s.as_str(), "signature_invalid"),
    ];
    for (query, code) in cases {
        assert_eq!(
            check(&secrets.policy(), query, Method::Get, true),
            refused(code),
            "{query}"
        );
    }
}

#[test]
fn a_scheme_without_secrets_verifies_nothing() {
    let empty = Secrets {
        md5_tokens: Vec::new(),
        hmac_keys: Vec::new(),
    };
    for scheme in [Scheme::Md5, Scheme::Hmac] {
        let query = signed(scheme, "w=1");
        assert_eq!(
            check(&empty.policy(), &query, Method::Get, true),
            refused("signature_invalid")
        );
    }
}

#[test]
fn the_signing_parameter_name_is_decoded_but_its_bytes_are_not_signed() {
    let secrets = Secrets::demo();
    let md5 = signed(Scheme::Md5, "w=1").replace("&s=", "&%73=");
    let hmac = signed(Scheme::Hmac, "w=1").replace("&signature=", "&sig%6Eature=");
    for query in [md5, hmac] {
        assert_eq!(
            check(&secrets.policy(), &query, Method::Get, true),
            Ok(None),
            "{query}"
        );
    }
}

#[test]
fn empty_pieces_before_the_signature_are_signed_bytes() {
    let secrets = Secrets::demo();
    for scheme in [Scheme::Md5, Scheme::Hmac] {
        let query = signed(scheme, "w=1&&h=2&");
        assert_eq!(
            check(&secrets.policy(), &query, Method::Get, true),
            Ok(None),
            "{query}"
        );
        let collapsed = query.replacen("&&", "&", 1);
        let result = check(&secrets.policy(), &collapsed, Method::Get, true);
        assert_eq!(result, refused("signature_invalid"), "{collapsed}");
    }
}

#[test]
fn any_secret_verifies_and_retired_ones_do_not() {
    let rotated = Secrets {
        md5_tokens: owned(&["new-token", TOKEN]),
        hmac_keys: owned(&["new-key", KEY]),
    };
    let policy = rotated.policy();
    let cases = [
        (
            sign(Scheme::Md5, &policy.md5_tokens[0], PATH, "w=1"),
            Ok(None),
        ),
        (sign(Scheme::Md5, TOKEN, PATH, "w=1"), Ok(None)),
        (
            sign(Scheme::Md5, "retired", PATH, "w=1"),
            refused("signature_invalid"),
        ),
        (
            sign(Scheme::Hmac, &policy.hmac_keys[0], PATH, "w=1"),
            Ok(None),
        ),
        (sign(Scheme::Hmac, KEY, PATH, "w=1"), Ok(None)),
        (
            sign(Scheme::Hmac, "retired", PATH, "w=1"),
            refused("signature_invalid"),
        ),
        (
            sign(Scheme::Hmac, TOKEN, PATH, "w=1"),
            refused("signature_invalid"),
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(
            check(&policy, &query, Method::Get, true),
            expected,
            "{query}"
        );
    }
}

/// Where no signature is required, one that is present is still checked, only to tell signed
/// requests apart: a valid one counts, a wrong one is not refused but does not count.
#[test]
fn an_optional_signature_is_checked_but_never_refused() {
    let secrets = Secrets::demo();
    let signed_query = sign(Scheme::Md5, TOKEN, PATH, "w=100");
    let wrong = signed_query.replace("&s=", "&s=0");
    for (query, signed) in [
        (signed_query.as_str(), true),
        (wrong.as_str(), false),
        ("w=100", false),
    ] {
        let access = verify(
            PATH,
            Some(query),
            Method::Get,
            false,
            &secrets.policy(),
            NOW,
        );
        assert_eq!(access.map(|a| a.signed), Ok(signed), "{query}");
    }
}
