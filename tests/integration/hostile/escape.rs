//! Property: no key, however assembled and encoded, and whatever symlinks the root holds (to
//! a file or a folder outside, to the parent, by absolute path, to itself), reads or writes
//! outside the root, through passthrough, a transform or an upload. The unit-level version is
//! `src/source/key.rs`'s; `sources::routing` fuzzes reads against fixed symlinks.

use std::cell::Cell;

use proptest::prelude::*;
use proptest::sample::select;

use crate::support::images::{decode, image_kind, mean_colour};
use crate::support::reply::Reply;
use crate::support::roots::{Jail, SENTINEL, config};
use crate::support::server::{TestServer, runner, runtime};
use crate::support::signing::hmac_signed;
use crate::support::wire::{RawBody, raw_send};

const KEY: &str = "property-hmac-key";

const FRAGMENTS: &[&str] = &[
    "..",
    ".",
    "",
    "%2e%2e",
    "%2E%2e",
    "%2e",
    "%252e%252e",
    "..%2f",
    "%2f",
    "%2F",
    "%5c",
    "%5C..",
    "\\",
    "..\\..",
    "%c0%ae%c0%ae",
    "%ef%bc%8e%ef%bc%8e",
    "..;",
    ";",
    "%00",
    "~",
    "%7e",
    "out",
    "out.txt",
    "out.png",
    "up",
    "abs",
    "self",
    "outside",
    "sentinel.txt",
    "sentinel.png",
    "a",
    "a-link",
    "x.txt",
    "inside.txt",
    "pic.png",
    "in.png",
    "root",
];

/// `fragment` as is, or with every byte percent-encoded in lower or upper case.
fn spelled(fragment: &str, how: u8) -> String {
    match how % 3 {
        0 => fragment.to_string(),
        1 => fragment.bytes().map(|b| format!("%{b:02x}")).collect(),
        _ => fragment.bytes().map(|b| format!("%{b:02X}")).collect(),
    }
}

/// Any answer to a traversal attempt: never 5xx, never the sentinel's text, never a magenta
/// image (a transform of the sentinel PNG).
fn leaked(reply: &Reply) -> Option<String> {
    if reply.status >= 500 {
        return Some(format!("a {} answer", reply.status));
    }
    if String::from_utf8_lossy(&reply.body).contains(SENTINEL) {
        return Some("the sentinel's text".into());
    }
    if reply.status == 200 && image_kind(&reply.body).is_some_and(|k| k != "avif") {
        let [r, g, b, _] = mean_colour(&decode(&reply.body));
        if r > 200.0 && g < 60.0 && b > 200.0 {
            return Some("the sentinel's picture".into());
        }
    }
    None
}

#[test]
fn no_assembled_key_reads_or_writes_outside_the_root_whatever_symlinks_it_holds() {
    let runtime = runtime();
    let jail = Jail::new();
    let mut source = jail.source("demo");
    source.hmac_keys = vec![KEY.into()];
    let server = runtime.block_on(TestServer::start(config(vec![source])));
    let before = jail.outside_the_root();
    let strategy = proptest::collection::vec((select(FRAGMENTS.to_vec()), 0u8..3), 1..6);
    let written = Cell::new(0usize);
    let case = Cell::new(0usize);
    runner(64)
        .run(&strategy, |segments| {
            case.set(case.get() + 1);
            let case = case.get();
            let key: Vec<String> = segments.iter().map(|(f, how)| spelled(f, *how)).collect();
            let path = format!("/{}", key.join("/"));
            let upload = format!("{path}/w{case}.bin");
            let signed = format!("{upload}?{}", hmac_signed(KEY, &upload, "method=put"));
            let body = format!("written-by-case-{case}").into_bytes();
            let replies = runtime.block_on(async {
                [
                    server.raw("GET", &path, &[]).await,
                    server.raw("GET", &format!("{path}?w=4&fm=png"), &[]).await,
                    raw_send(server.addr(), "PUT", &signed, &[], RawBody::Sized(&body)).await,
                ]
            });
            for (what, reply) in ["GET", "transform", "PUT"].iter().zip(&replies) {
                if let Some(leak) = leaked(reply) {
                    prop_assert!(false, "{what} {path}: {leak}: {}", reply.summary());
                }
            }
            if replies[2].status == 201 {
                written.set(written.get() + 1);
            }
            let after = jail.outside_the_root();
            prop_assert!(after == before, "{path}: files outside the root changed");
            Ok(())
        })
        .unwrap();
    eprintln!(
        "{} of {} uploads were accepted (inside the root)",
        written.get(),
        case.get()
    );
}
