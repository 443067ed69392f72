//! Property: every mutation of a validly signed URL is refused — any byte changed, a
//! parameter added anywhere (after the signature included), removed, repeated, or the
//! signature moved before other parameters — with a 403, or a 400 when the mutation makes the
//! query malformed; never the image. `src/signature/proptests.rs` changes bytes at the unit
//! level; this adds the structural mutations, through the server.

use std::cell::Cell;

use proptest::prelude::*;
use proptest::sample::{Index, select, subsequence};

use crate::support::images::{Xorshift, stacked_png};
use crate::support::roots::{NOW, Root, config};
use crate::support::server::{TestServer, runner, runtime};
use crate::support::signing::{hmac_signed, md5_signed};
use crate::support::wire;

const KEY: &str = "property-hmac-key";
const SIGN_TOKEN: &str = "property-md5-token";
const PATHS: &[&str] = &["/users/1.png", "/p/%C3%A9t%C3%A9.png"];
/// Candidate parameters of a signed URL (a subset, in some order, is signed).
const SIGNED_PARAMS: &[&str] = &[
    "w=8",
    "h=8",
    "fm=png",
    "q=50",
    "ixlib=js-3.8.0",
    "method=get",
    "expires=1765367000",
    "fit=crop",
];
/// Bytes a mutation writes: what may appear in a URL without encoding.
const URL_BYTES: &[u8] = b"abcdefABCDEF0123456789-._~%&=+/sw";
/// Names a mutation adds or slips in.
const ADDED: &[&str] = &[
    "x=1",
    "w=9",
    "s=0",
    "signature=AA",
    "expires=9999999999",
    "method=get",
];

#[derive(Debug, Clone)]
enum Mutation {
    /// The byte at this position of the URL (after the leading `/`) becomes this one.
    Byte(Index, u8),
    /// This pair is inserted before the pair at this position (or appended).
    Add(Index, &'static str),
    /// The pair at this position is removed.
    Remove(Index),
    /// The pair at this position is given again at another.
    Repeat(Index, Index),
    /// The signing pair moves in front of the pair at this position.
    MoveSignature(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), select(URL_BYTES.to_vec())).prop_map(|(i, b)| Mutation::Byte(i, b)),
        (any::<Index>(), select(ADDED.to_vec())).prop_map(|(i, p)| Mutation::Add(i, p)),
        any::<Index>().prop_map(Mutation::Remove),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Repeat(a, b)),
        any::<Index>().prop_map(Mutation::MoveSignature),
    ]
}

/// The mutated URL, or `None` when the mutation changes nothing the signature covers (the
/// same byte, or a case change inside an MD5 hex digest, which compares case-insensitively).
fn mutate(url: &str, mutation: &Mutation, md5: bool) -> Option<String> {
    let (path, query) = url.split_once('?').unwrap();
    let mut pairs: Vec<&str> = query.split('&').collect();
    let signature_at = pairs.len() - 1;
    match mutation {
        Mutation::Byte(at, byte) => {
            let mut bytes = url.as_bytes().to_vec();
            let at = 1 + at.index(bytes.len() - 1);
            let old = bytes[at];
            // An MD5 signature is the last pair, `s=` and 32 hex digits.
            let in_md5 = md5 && at >= url.len() - 32;
            if old == *byte || (in_md5 && old.eq_ignore_ascii_case(byte)) {
                return None;
            }
            bytes[at] = *byte;
            Some(String::from_utf8(bytes).unwrap())
        }
        Mutation::Add(at, pair) => {
            pairs.insert(at.index(pairs.len() + 1), pair);
            Some(format!("{path}?{}", pairs.join("&")))
        }
        Mutation::Remove(at) => {
            pairs.remove(at.index(pairs.len()));
            Some(format!("{path}?{}", pairs.join("&")))
        }
        Mutation::Repeat(which, at) => {
            let pair = pairs[which.index(pairs.len())];
            pairs.insert(at.index(pairs.len() + 1), pair);
            Some(format!("{path}?{}", pairs.join("&")))
        }
        Mutation::MoveSignature(at) => {
            if signature_at == 0 {
                return None;
            }
            let signature = pairs.remove(signature_at);
            pairs.insert(at.index(signature_at), signature);
            Some(format!("{path}?{}", pairs.join("&")))
        }
    }
}

#[test]
fn every_mutation_of_a_signed_url_is_refused() {
    let runtime = runtime();
    let root = Root::new();
    root.put(
        "users/1.png",
        &stacked_png(16, 16, [255, 0, 0, 255], [0, 0, 255, 255]),
    )
    .put(
        "p/été.png",
        &stacked_png(16, 16, [0, 255, 0, 255], [0, 0, 255, 255]),
    );
    let mut source = root.source("secure");
    source.secure = true;
    source.md5_tokens = vec![SIGN_TOKEN.into()];
    source.hmac_keys = vec![KEY.into()];
    let server = runtime.block_on(TestServer::start_at(config(vec![source]), NOW));
    let strategy = (
        select(PATHS.to_vec()),
        subsequence(SIGNED_PARAMS.to_vec(), 0..=4),
        any::<u64>(),
        any::<bool>(),
        mutation(),
    );
    let (refused_403, refused_400, unchanged) = (Cell::new(0), Cell::new(0), Cell::new(0));
    runner(128)
        .run(&strategy, |(path, mut params, seed, md5, mutation)| {
            Xorshift(seed | 1).shuffle(&mut params);
            let query = params.join("&");
            let signed = if md5 {
                md5_signed(SIGN_TOKEN, path, &query)
            } else {
                hmac_signed(KEY, path, &query)
            };
            let url = format!("{path}?{signed}");
            let valid = runtime.block_on(server.raw("GET", &url, &[]));
            prop_assert_eq!(valid.status, 200, "{}: {}", url, valid.summary());
            let Some(forged) = mutate(&url, &mutation, md5) else {
                unchanged.set(unchanged.get() + 1);
                return Ok(());
            };
            let reply = runtime.block_on(wire::one(
                server.addr(),
                "GET",
                forged.as_bytes(),
                &[],
                super::HANG,
            ));
            let reply = reply.map_err(|e| TestCaseError::fail(format!("{forged}: {e}")))?;
            let code = serde_json::from_slice::<serde_json::Value>(&reply.body)
                .ok()
                .and_then(|json| json["error"]["code"].as_str().map(String::from))
                .unwrap_or_default();
            let refusal = [
                "signature_required",
                "signature_invalid",
                "expired",
                "method_mismatch",
                "ttl_too_long",
            ];
            let malformed = ["bad_parameter", "bad_query", "bad_path"];
            let accepted = match reply.status {
                403 => refusal.contains(&code.as_str()),
                400 => malformed.contains(&code.as_str()),
                _ => false,
            };
            prop_assert!(
                accepted,
                "{:?} turned {} into {}: {}",
                mutation,
                url,
                forged,
                reply.summary()
            );
            prop_assert!(
                reply.error_shape(reply.status, &code).is_ok(),
                "{}: {}",
                forged,
                reply.summary()
            );
            let counter = if reply.status == 403 {
                &refused_403
            } else {
                &refused_400
            };
            counter.set(counter.get() + 1);
            Ok(())
        })
        .unwrap();
    let (refused_403, refused_400) = (refused_403.get(), refused_400.get());
    eprintln!(
        "403: {refused_403}, 400: {refused_400}, no-op mutations: {}",
        unchanged.get()
    );
    assert!(
        refused_403 > refused_400,
        "most mutations should reach the signature check"
    );
}
