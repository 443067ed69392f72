//! Request targets built to confuse: percent-escapes that decode to control characters or to
//! invalid UTF-8, the same bytes raw on the wire, numbers in every spelling a parser might
//! half-accept, repeated parameters, a signature that is not last, and ten thousand
//! parameters. Each is one documented 4xx and the server renders the next request.

use std::time::{Duration, Instant};

use super::{Case, Forbidden, Want, run_table};
use crate::support::images::gradient_png;
use crate::support::roots::{Root, config};
use crate::support::server::TestServer;
use crate::support::signing::{hmac_signed, md5_signed};
use crate::support::wire;

const TOKEN: &str = "hostile-md5-token";
const KEY: &str = "hostile-hmac-key";
const FAST: Duration = Duration::from_secs(3);
const BAD_QUERY: Want = Want::Error(400, "bad_query");
const BAD_PATH: Want = Want::Error(400, "bad_path");
const BAD_PARAMETER: Want = Want::Error(400, "bad_parameter");

fn root() -> Root {
    let root = Root::new();
    root.put("ok.png", &gradient_png(64, 40))
        .put("private/ok.png", &gradient_png(64, 40));
    root
}

async fn server(root: &Root) -> TestServer {
    let mut source = root.source("demo");
    source.md5_tokens = vec![TOKEN.into()];
    source.hmac_keys = vec![KEY.into()];
    source.private_prefixes = vec!["private/".into()];
    TestServer::start(config(vec![source])).await
}

fn forbidden(root: &Root) -> Forbidden {
    Forbidden::new([root.path().display().to_string(), TOKEN.into(), KEY.into()])
}

/// Percent-escapes of control characters and of bytes that are not UTF-8, in the query and in
/// the path: 400 `bad_query` / `bad_path` (README, Errors). `signing::refusals` has `%01`, `%0a`,
/// `%ff` and `%c3%28`; these are the rest of the families.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escaped_control_characters_and_invalid_utf8_are_400_in_query_and_path() {
    let root = root();
    let server = server(&root).await;
    let mut cases = Vec::new();
    for (what, escape) in [
        ("NUL", "%00"),
        ("DEL", "%7F"),
        ("CR LF", "%0D%0A"),
        ("tab", "%09"),
        ("escape", "%1b"),
        ("C1 control NEL", "%C2%85"),
        ("overlong '.'", "%C0%AE"),
        ("overlong NUL", "%C0%80"),
        ("UTF-16 surrogate", "%ED%A0%80"),
        ("lone continuation byte", "%80"),
        ("truncated sequence", "%E2%82"),
        ("beyond U+10FFFF", "%F4%90%80%80"),
        ("0xFE", "%FE"),
    ] {
        for target in [
            format!("/ok.png?w=10&x={escape}"),
            format!("/ok.png?x{escape}=1&w=10"),
            format!("/ok.png?w=10{escape}"),
            format!("/ok.png?dl=a{escape}.png"),
        ] {
            cases.push(Case::get(format!("{what} in the query"), target, BAD_QUERY));
        }
        for target in [format!("/ok{escape}.png"), format!("/ok{escape}.png?w=10")] {
            cases.push(Case::get(format!("{what} in the path"), target, BAD_PATH));
        }
    }
    // A header injection attempt through `dl` never reaches Content-Disposition.
    let splice = "/ok.png?dl=a.png%0D%0ASet-Cookie:%20x=1";
    cases.push(Case::get("CR LF in dl", splice, BAD_QUERY));
    run_table(&server, &cases, "/ok.png", &forbidden(&root), FAST).await;
}

/// The same bytes raw on the wire are not a valid request line: hyper refuses them with its
/// own bare 400 before pixgate sees the request (so no JSON and no request id: README, Errors),
/// and the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_control_bytes_in_the_request_line_are_400_and_the_server_keeps_serving() {
    let root = root();
    let server = server(&root).await;
    let mut cases = Vec::new();
    for (what, byte) in [
        ("NUL", 0x00u8),
        ("SOH", 0x01),
        ("tab", 0x09),
        ("vertical tab", 0x0B),
        ("escape", 0x1B),
        ("DEL", 0x7F),
        ("0xFF", 0xFF),
    ] {
        let mut in_query = b"/ok.png?w=10&x=".to_vec();
        in_query.push(byte);
        let mut in_path = b"/o".to_vec();
        in_path.push(byte);
        in_path.extend_from_slice(b"k.png?w=10");
        cases.push(Case::get(
            format!("raw {what} in the query"),
            in_query,
            Want::Bare(400),
        ));
        cases.push(Case::get(
            format!("raw {what} in the path"),
            in_path,
            Want::Bare(400),
        ));
    }
    run_table(&server, &cases, "/ok.png", &forbidden(&root), FAST).await;
}

/// Numbers in spellings a lenient parser would take: NaN, infinities, signs, hex, exponents,
/// padding, full-width digits, overflow. Every transform number is plain decimal digits (and
/// one point where decimals are allowed): 400 `bad_parameter`. `transform::bad_values`
/// covers plain out-of-range values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nan_infinity_hex_exponent_signed_and_padded_numbers_are_400_bad_parameter() {
    let root = root();
    let server = server(&root).await;
    let spellings = [
        "NaN",
        "nan",
        "inf",
        "-inf",
        "Infinity",
        "%2Binf",
        "-0",
        "%2B5",
        "0x10",
        "0X1f",
        "1e2",
        "1E2",
        "5e-1",
        "%205",
        "5%20",
        "%EF%BC%95",
        "5px",
        "99999999999999999999",
        "18446744073709551617",
        "4294967296",
        "1.5.5",
        ".",
        "-",
        "",
    ];
    let mut cases = Vec::new();
    for name in ["w", "h", "dpr", "q", "blur", "sharp", "fp-x"] {
        for spelling in spellings {
            let query = match name {
                "fp-x" => format!("crop=focalpoint&fp-x={spelling}"),
                _ => format!("{name}={spelling}"),
            };
            cases.push(Case::get(name, format!("/ok.png?{query}"), BAD_PARAMETER));
        }
    }
    for rect in [
        "-1,0,10,10",
        "0x0,0,10,10",
        "0,0,1e3,10",
        "0,0,NaN,10",
        "0,0,inf,10",
        "0,0,4294967296,1",
        "0,0,10,10,",
        ",0,10,10",
        ",,,",
        "0%2C0%2C10",
        "%2B1,0,10,10",
        "0.5,0,10,10",
    ] {
        cases.push(Case::get(
            "rect",
            format!("/ok.png?rect={rect}"),
            BAD_PARAMETER,
        ));
    }
    for ar in [
        "NaN:1", "1:inf", "1e3:1", "-1:1", "0x10:1", "1:", ":1", "1:1:1",
    ] {
        cases.push(Case::get(
            "ar",
            format!("/ok.png?w=10&ar={ar}"),
            BAD_PARAMETER,
        ));
    }
    run_table(&server, &cases, "/ok.png", &forbidden(&root), FAST).await;
}

/// A known parameter given twice is a 400 under any spelling, even with equal values and even
/// when the second name is percent-encoded (README, URL API); unknown parameters may repeat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_parameter_given_twice_is_400_in_any_spelling_and_unknown_ones_may_repeat() {
    let root = root();
    let server = server(&root).await;
    let mut cases = Vec::new();
    for query in [
        "w=10&w=10",
        "w=&w=10",
        "w=10&%77=10",
        "%77=10&w=20",
        "w=10&width=10",
        "fm=png&format=png",
        "q=50&quality=50",
        "fit=crop&mode=crop",
        "crop=top&gravity=top",
        "dl=a.png&dl=a.png",
        "auto=format&auto=compress",
        "rot=90&rot=90",
        "crop=focalpoint&fp-x=0.1&fp-x=0.1",
        "expires=9999999999&expires=9999999999",
        "expires=9999999999&expiry=9999999998",
        "method=get&method=get",
    ] {
        cases.push(Case::get(query, format!("/ok.png?{query}"), BAD_PARAMETER));
    }
    for query in [
        "ixlib=a&ixlib=b&w=10",
        "x=1&x=2&x=3&w=10",
        "W=10&w=11",
        "w%3D=1&w=10",
    ] {
        cases.push(Case::get(
            query,
            format!("/ok.png?{query}"),
            Want::Image("png"),
        ));
    }
    run_table(&server, &cases, "/ok.png", &forbidden(&root), FAST).await;
}

/// The signing parameter must be the last one (contract §2.1, §2.2): a valid signature moved in
/// front of the other parameters, or followed by a parameter it does not cover, is 403; a
/// signing parameter given twice is 400 or 403 (README).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_that_is_not_the_last_parameter_is_refused() {
    let root = root();
    let server = server(&root).await;
    let path = "/private/ok.png";
    let md5 = md5_signed(TOKEN, path, "w=20");
    let hmac = hmac_signed(KEY, path, "w=20");
    let (md5_sig, hmac_sig) = (
        md5.rsplit_once('&').unwrap().1,
        hmac.rsplit_once('&').unwrap().1,
    );
    let md5_bare = md5_signed(TOKEN, path, "");
    let hmac_bare = hmac_signed(KEY, path, "");
    const INVALID: Want = Want::Error(403, "signature_invalid");
    const REPEATED: Want = Want::OneOf(&[(400, "bad_parameter"), (403, "signature_invalid")]);
    let cases = [
        Case::get("valid md5", format!("{path}?{md5}"), Want::Image("png")),
        Case::get("valid hmac", format!("{path}?{hmac}"), Want::Image("png")),
        Case::get("md5 moved first", format!("{path}?{md5_sig}&w=20"), INVALID),
        Case::get(
            "hmac moved first",
            format!("{path}?{hmac_sig}&w=20"),
            INVALID,
        ),
        Case::get(
            "md5 of the bare path, then w",
            format!("{path}?{md5_bare}&w=20"),
            INVALID,
        ),
        Case::get(
            "hmac of the bare path, then w",
            format!("{path}?{hmac_bare}&w=20"),
            INVALID,
        ),
        Case::get("md5 twice", format!("{path}?{md5}&{md5_sig}"), REPEATED),
        Case::get("hmac twice", format!("{path}?{hmac}&{hmac_sig}"), REPEATED),
        Case::get("both schemes", format!("{path}?{md5}&{hmac_sig}"), INVALID),
        Case::get(
            "a fragment-like pair after",
            format!("{path}?{md5}&%23=1"),
            INVALID,
        ),
    ];
    run_table(&server, &cases, "/ok.png", &forbidden(&root), FAST).await;
}

/// Ten thousand parameters. With the default caps the request target (40 KB) is larger than
/// the URL and header caps together, so hyper refuses the head with its bare 431 (README,
/// Limits). Let such a URL through (`max_url_bytes = 60KiB`) and the query is parsed in linear
/// time: unknown names, repeated or distinct, are ignored (200), a known one repeated is 400 at
/// its second occurrence; each answers within a second or two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_parameters_are_a_bare_431_by_default_and_parsed_quickly_when_allowed() {
    let root = root();
    let repeated = "a=1&".repeat(10_000);
    // Hex names without values keep this under hyper's own 64 KiB cap on a request target.
    // Names outside imgix's registry (bare hex would spell `f` or `b`, which are imgix's).
    let distinct: String = (0..10_000).map(|i| format!("x{i:x}&")).collect();
    let known = "w=10&".repeat(10_000);
    let signing = "s=0&".repeat(10_000);

    let server = server(&root).await;
    let target = format!("/ok.png?{repeated}w=10");
    let reply = wire::one(server.addr(), "GET", target.as_bytes(), &[], super::HANG)
        .await
        .unwrap();
    assert_eq!(reply.status, 431, "{}", reply.text());

    let mut source = root.source("demo");
    source.md5_tokens = vec![TOKEN.into()];
    let mut config = config(vec![source]);
    config.server.max_url_bytes = 60 * 1024;
    let server = TestServer::start(config).await;
    let cases = [
        (format!("/ok.png?{repeated}w=10"), Want::Image("png")),
        (format!("/ok.png?{distinct}w=10"), Want::Image("png")),
        (format!("/ok.png?{known}"), BAD_PARAMETER),
        (
            format!("/ok.png?w=10&{signing}"),
            Want::OneOf(&[(400, "bad_parameter"), (403, "signature_invalid")]),
        ),
    ];
    for (target, want) in cases {
        let started = Instant::now();
        let reply = wire::one(server.addr(), "GET", target.as_bytes(), &[], super::HANG)
            .await
            .unwrap();
        let took = started.elapsed();
        want.check(&reply, "GET")
            .unwrap_or_else(|e| panic!("{}…: {e}", &target[..40]));
        assert!(
            took < Duration::from_secs(2),
            "{}…: {took:?}",
            &target[..40]
        );
    }
}
