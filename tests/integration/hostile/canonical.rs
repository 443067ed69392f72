//! Property: canonicalisation is order-free, alias-free and ignores what changes nothing
//! (defaults, unknown parameters): two spellings of one transform give byte-identical
//! derivatives with one ETag, and the second is a cache hit. `src/transform/tests.rs` proves
//! the same of the canonical string; this proves it of the bytes and the cache.

use proptest::prelude::*;
use proptest::sample::{Index, subsequence};

use crate::support::images::{Xorshift, halves_png};
use crate::support::roots::Root;
use crate::support::server::{TestServer, runner, runtime};

/// One transform parameter: its names (imgix's first, then aliases), its values, and the
/// default-valued spelling to add when it is not chosen (dropped from the canonical form).
struct Param {
    names: &'static [&'static str],
    values: &'static [&'static str],
    default: Option<&'static str>,
}

const PARAMS: &[Param] = &[
    Param {
        names: &["w", "width"],
        values: &["12", "20", "0.5", "19.6"],
        default: None,
    },
    Param {
        names: &["h", "height"],
        values: &["10", "16"],
        default: None,
    },
    Param {
        names: &["fit", "mode"],
        values: &["crop", "fill", "max", "scale"],
        default: Some("fit=clip"),
    },
    Param {
        names: &["fm", "format"],
        values: &["png", "webp", "jpg"],
        default: None,
    },
    Param {
        names: &["q", "quality"],
        values: &["40", "90"],
        default: Some("q=75"),
    },
    Param {
        names: &["rot"],
        values: &["90", "180"],
        default: Some("rot=0"),
    },
    Param {
        names: &["flip"],
        values: &["h", "hv"],
        default: None,
    },
    Param {
        names: &["blur"],
        values: &["10"],
        default: Some("blur=0"),
    },
    Param {
        names: &["dpr"],
        values: &["2"],
        default: Some("dpr=1"),
    },
    Param {
        names: &["crop", "gravity"],
        values: &["top", "left"],
        default: Some("crop=center"),
    },
];

/// Parameters a URL may carry that change nothing (imgix's client adds `ixlib`).
const INERT: &[&str] = &["ixlib=js-3.8.0", "utm_source=mail", "cb=12345"];

#[test]
fn parameter_order_aliases_and_inert_parameters_never_change_the_derivative_or_its_entry() {
    let runtime = runtime();
    let root = Root::new();
    root.put(
        "pic.png",
        &halves_png(48, 32, [255, 128, 0, 255], [0, 64, 255, 255]),
    );
    let server = runtime.block_on(TestServer::serving(&root));
    let strategy = (
        subsequence((0..PARAMS.len()).collect::<Vec<_>>(), 1..=5),
        proptest::collection::vec(any::<Index>(), PARAMS.len()),
        any::<u64>(),
        any::<bool>(),
    );
    runner(32)
        .run(&strategy, |(chosen, values, seed, decorate)| {
            let mut dice = Xorshift(seed | 1);
            let mut plain = Vec::new();
            let mut other = Vec::new();
            for (i, param) in PARAMS.iter().enumerate() {
                if chosen.contains(&i) {
                    let value = param.values[values[i].index(param.values.len())];
                    plain.push(format!("{}={value}", param.names[0]));
                    let alias = param.names[dice.below(param.names.len())];
                    other.push(format!("{alias}={value}"));
                } else if let (true, Some(default)) = (decorate, param.default) {
                    other.push(default.to_string());
                }
            }
            if decorate {
                other.extend(INERT.iter().map(|p| p.to_string()));
            }
            dice.shuffle(&mut other);
            let first = format!("/pic.png?{}", plain.join("&"));
            let second = format!("/pic.png?{}", other.join("&"));
            let (a, b, again) = runtime.block_on(async {
                (
                    server.get(&first).await,
                    server.get(&second).await,
                    server.get(&first).await,
                )
            });
            prop_assert_eq!(a.status, 200, "{}: {}", first, a.summary());
            prop_assert_eq!(b.status, 200, "{}: {}", second, b.summary());
            prop_assert!(a.body == b.body, "{} and {} differ", first, second);
            prop_assert_eq!(a.header("etag"), b.header("etag"));
            prop_assert_eq!(
                b.header("x-cache"),
                Some("HIT"),
                "{} after {}",
                second,
                first
            );
            prop_assert!(again.body == a.body, "{} twice differs", first);
            prop_assert_eq!(again.header("x-cache"), Some("HIT"));
            Ok(())
        })
        .unwrap();
}
