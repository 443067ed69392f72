//! The checks behind pixgate's fuzz targets: each takes the fuzzer's bytes, drives one hostile-
//! input stage through pixgate's public API and asserts what must hold for any input. A failed
//! check panics. The same file is compiled into the integration suite
//! (`tests/integration/fuzz_regressions.rs`), which replays the saved inputs through it, so a
//! target and its regression test cannot drift apart. It may use only pixgate, its normal
//! dependencies and std.

use std::cell::RefCell;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use pixgate::config::SourceConfig;
use pixgate::render::{
    self, Av1Decoding, AvifEncoding, Effort, Limits, RenderError, Rendered, SourceFormat,
};
use pixgate::signature::{self, Method, Policy, Scheme};
use pixgate::signed_url::{self, UrlSpec};
use pixgate::source::{RESERVED_SEGMENT_PREFIX, StorageKey};
use pixgate::transform::{self, OutputFormat, Transform};
use pixgate::upload::{ContentRange, RangeSet};

/// A target's check: panics when a property fails.
pub type Check = fn(&[u8]);

/// Every target, by the name of its binary and of its folders under `fuzz/`.
pub const TARGETS: [(&str, Check); 7] = [
    ("query", query),
    ("signature_md5", signature_md5),
    ("signature_hmac", signature_hmac),
    ("storage_key", storage_key),
    ("content_range", content_range),
    ("geometry", geometry),
    ("render", |data| {
        let _ = render(data);
    }),
];

// ---------------------------------------------------------------------------------------------
// query: decode → parse → canonical

/// The server's `http::handlers::image::decode_query`: the whole query percent-decoded must be UTF-8
/// without control characters, then form-decoded into pairs. `None` is its 400.
pub fn decode_query(raw: &str) -> Option<Vec<(String, String)>> {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    if decoded.chars().any(char::is_control) {
        return None;
    }
    serde_urlencoded::from_str(raw).ok()
}

/// The raw query (UTF-8) through the server's decoding and `transform::parse`. An accepted
/// request's canonical form parses back to the same transform and prints the same again
/// (idempotent), and the pairs in reverse order give the same outcome (order-free).
pub fn query(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Some(pairs) = decode_query(raw) else {
        return;
    };
    let parsed = transform::parse(&pairs);
    let reversed: Vec<_> = pairs.iter().rev().cloned().collect();
    let parsed_reversed = transform::parse(&reversed);
    assert_eq!(
        parsed.as_ref().map(|r| &r.transform).ok(),
        parsed_reversed.as_ref().map(|r| &r.transform).ok(),
        "the order of the pairs changed the transform: {raw:?}"
    );
    let Ok(request) = parsed else {
        return;
    };
    let _ = request.is_passthrough();
    let canonical = request.transform.canonical();
    let again = decode_query(&canonical)
        .unwrap_or_else(|| panic!("canonical form {canonical:?} of {raw:?} is not a query"));
    let reparsed = transform::parse(&again)
        .unwrap_or_else(|e| panic!("canonical form {canonical:?} of {raw:?} does not parse: {e}"));
    assert_eq!(
        reparsed.transform, request.transform,
        "canonical form {canonical:?} of {raw:?} parses to another transform"
    );
    assert_eq!(
        reparsed.transform.canonical(),
        canonical,
        "canonicalisation of {raw:?} is not idempotent"
    );
}

// ---------------------------------------------------------------------------------------------
// signature_md5, signature_hmac: verify over raw bytes; forging by mutation

/// The verifiers' clock: unix seconds.
const NOW: u64 = 1_700_000_000;
const MD5_TOKENS: [&str; 2] = ["FOO123bar", "old-token"];
const HMAC_KEYS: [&str; 2] = ["demo-key", "old-key"];

/// The `s` (MD5) scheme; see [`signature_scheme`].
pub fn signature_md5(data: &[u8]) {
    signature_scheme(Scheme::Md5, data);
}

/// The `signature` (HMAC) scheme; see [`signature_scheme`].
pub fn signature_hmac(data: &[u8]) {
    signature_scheme(Scheme::Hmac, data);
}

/// The first byte picks the mode. High bit clear: the rest is a request target
/// (`/path?query`, UTF-8) verified under a policy the low bits choose; `verify` must answer
/// without panicking. High bit set: a URL is signed for `scheme` (its shape chosen by the low
/// bits), the rest is a list of byte edits applied to it, and the edited URL may verify only
/// if its signed bytes (path, and query before the signing pair) are the original's.
pub fn signature_scheme(scheme: Scheme, data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 0x80 == 0 {
        verify_arbitrary(mode, rest);
    } else {
        verify_edited(scheme, mode, rest);
    }
}

fn secrets(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn verify_arbitrary(flags: u8, target: &[u8]) {
    let Ok(target) = std::str::from_utf8(target) else {
        return;
    };
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let (md5_tokens, hmac_keys) = (secrets(&MD5_TOKENS), secrets(&HMAC_KEYS));
    let policy = Policy {
        md5_tokens: &md5_tokens,
        hmac_keys: &hmac_keys,
        max_ttl: (flags & 2 != 0).then(|| Duration::from_secs(3600)),
        clock_skew: Duration::from_secs(u64::from(flags >> 4) * 30),
    };
    let method = if flags & 4 != 0 {
        Method::Put
    } else {
        Method::Get
    };
    let required = flags & 1 != 0;
    if let Ok(access) = signature::verify(path, query, method, required, &policy, NOW)
        && let Some(at) = access.expires_at
    {
        let skew = policy.clock_skew.as_secs();
        assert!(NOW <= at.saturating_add(skew), "expired URL accepted");
    }
}

/// Storage keys of the URLs the edit mode signs: plain, with escapes, under a prefix.
const SIGNED_KEYS: [&str; 4] = [
    "a.png",
    "private/cat été.jpg",
    "x/y+z%.png",
    "p/q r&s=t.gif",
];

fn verify_edited(scheme: Scheme, shape: u8, edits: &[u8]) {
    let mut source = SourceConfig::new("fuzz", PathBuf::from("/srv/fuzz"));
    source.md5_tokens = secrets(&MD5_TOKENS);
    source.hmac_keys = secrets(&HMAC_KEYS);
    if shape & 1 != 0 {
        source.prefix = "/shop".into();
    }
    let params: Vec<(String, String)> = match (shape >> 1) & 3 {
        0 => Vec::new(),
        1 => vec![("w".into(), "300".into())],
        2 => vec![("w".into(), "300".into()), ("fm".into(), "webp".into())],
        _ => vec![
            ("dl".into(), "a b&c=d+e%.png".into()),
            ("q".into(), "1".into()),
        ],
    };
    let spec = UrlSpec {
        key: SIGNED_KEYS[usize::from((shape >> 3) & 3)],
        params: &params,
        scheme,
        expires_at: (shape & 0x20 != 0).then_some(NOW + 600),
        method: (shape & 0x40 != 0).then_some(Method::Get),
    };
    let original = signed_url::signed_path_and_query(&source, &spec)
        .unwrap_or_else(|e| panic!("cannot sign {spec:?}: {e}"));
    let policy = source_policy(&source);
    let (path, query) = split_target(&original);
    assert!(
        signature::verify(path, query, Method::Get, true, &policy, NOW).is_ok(),
        "a freshly signed URL is refused: {original}"
    );
    let edited = apply_edits(original.as_bytes(), edits);
    let Ok(edited) = String::from_utf8(edited) else {
        return;
    };
    // What can reach the verifier: a path starting with `/`; no `#` anywhere.
    if !edited.starts_with('/') || edited.contains('#') {
        return;
    }
    let (edited_path, edited_query) = split_target(&edited);
    if signature::verify(edited_path, edited_query, Method::Get, true, &policy, NOW).is_ok() {
        assert_eq!(
            (edited_path, signed_part(edited_query)),
            (path, signed_part(query)),
            "edited URL {edited:?} verifies but its signed bytes differ from {original:?}"
        );
    }
}

fn source_policy(source: &SourceConfig) -> Policy<'_> {
    Policy {
        md5_tokens: &source.md5_tokens,
        hmac_keys: &source.hmac_keys,
        max_ttl: None,
        clock_skew: Duration::ZERO,
    }
}

fn split_target(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    }
}

/// The bytes a signature covers: the query before the last `&` (the signing pair ends a
/// valid query).
fn signed_part(query: Option<&str>) -> &str {
    query
        .and_then(|q| q.rsplit_once('&'))
        .map_or("", |(signed, _)| signed)
}

/// Edits of three bytes each: `op`, `at`, `byte`. `op % 3` is replace, insert or delete at
/// `at` (modulo the length).
fn apply_edits(original: &[u8], edits: &[u8]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for edit in edits.chunks_exact(3) {
        let (op, byte) = (edit[0], edit[2]);
        let at = usize::from(edit[1]) | (usize::from(op >> 2) << 8);
        match op % 3 {
            0 if !bytes.is_empty() => {
                let at = at % bytes.len();
                bytes[at] = byte;
            }
            1 => {
                let at = at % (bytes.len() + 1);
                bytes.insert(at, byte);
            }
            2 if !bytes.is_empty() => {
                let at = at % bytes.len();
                bytes.remove(at);
            }
            _ => {}
        }
    }
    bytes
}

// ---------------------------------------------------------------------------------------------
// storage_key

/// The bytes (UTF-8) as a raw and as a decoded path. An accepted key has only non-empty
/// segments other than `.`/`..`, no backslash, control character, `%XX` escape or reserved
/// segment, stays relative (one normal component per segment), and is what the server reads
/// back from the path `pixgate sign` writes for it.
pub fn storage_key(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for key in [StorageKey::from_raw(text), StorageKey::from_decoded(text)]
        .into_iter()
        .flatten()
    {
        check_key(text, &key);
    }
}

fn check_key(input: &str, key: &StorageKey) {
    let s = key.as_str();
    let why = |what: &str| format!("{input:?} gave key {s:?} with {what}");
    assert!(!s.is_empty() && s.len() <= 1024, "{}", why("a bad length"));
    assert!(!s.contains('\\'), "{}", why("a backslash"));
    assert!(
        !s.chars().any(char::is_control),
        "{}",
        why("a control char")
    );
    let escaped = s
        .as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
    assert!(!escaped, "{}", why("a percent escape left in it"));
    let segments: Vec<&str> = s.split('/').collect();
    for seg in &segments {
        assert!(
            !seg.is_empty() && *seg != "." && *seg != "..",
            "{}",
            why("an empty, `.` or `..` segment")
        );
        let reserved = seg
            .get(..RESERVED_SEGMENT_PREFIX.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(RESERVED_SEGMENT_PREFIX));
        assert!(!reserved, "{}", why("a reserved segment"));
    }
    let relative = key.relative_path();
    assert!(relative.is_relative(), "{}", why("an absolute path"));
    let normal = relative
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count();
    assert_eq!(
        (normal, relative.components().count()),
        (segments.len(), segments.len()),
        "{}",
        why("a path that is not one normal component per segment")
    );
    let root = Path::new("/srv/root");
    assert!(
        root.join(&relative).starts_with(root),
        "{}",
        why("an escape")
    );
    let (folder, name) = (key.folder(), key.file_name());
    let rebuilt = if folder.is_empty() {
        name.to_owned()
    } else {
        format!("{folder}/{name}")
    };
    assert_eq!(rebuilt, s, "{}", why("folder/file_name not adding up"));
    assert!(
        key.is_under(s) && !key.is_under(""),
        "{}",
        why("bad is_under")
    );
    let source = SourceConfig::new("fuzz", PathBuf::from("/srv/root"));
    let wire = signed_url::raw_path(&source, key);
    assert_eq!(
        StorageKey::from_raw(&wire).as_ref(),
        Ok(key),
        "{}",
        why(&format!(
            "its signed path {wire:?} reading back differently"
        ))
    );
}

// ---------------------------------------------------------------------------------------------
// content_range

/// Each line (UTF-8) is a `Content-Range` value. An accepted chunk satisfies
/// `start <= end < total`; it prints back to itself; the chunks go into one `RangeSet` as one
/// upload's would (the first chunk fixes the total, others are refused as the server does),
/// which must stay sorted, disjoint and non-adjacent, with `len` and `covers` agreeing.
pub fn content_range(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut set = RangeSet::default();
    let mut upload_total = None;
    let mut inserted = Vec::new();
    for line in text.split('\n') {
        let Ok(range) = ContentRange::parse(line) else {
            continue;
        };
        assert!(range.total() > 0, "{line:?}: total 0");
        let ContentRange::Chunk { start, end, total } = range else {
            let reprinted = format!("bytes */{}", range.total());
            assert_eq!(
                ContentRange::parse(&reprinted).ok(),
                Some(range),
                "{line:?}"
            );
            continue;
        };
        assert!(start <= end && end < total, "{line:?} gave {range:?}");
        for reprinted in [
            format!("bytes {start}-{end}/{total}"),
            format!("bytes={start}-{end}/{total}"),
        ] {
            assert_eq!(
                ContentRange::parse(&reprinted).ok(),
                Some(range),
                "{line:?}"
            );
        }
        if *upload_total.get_or_insert(total) != total {
            continue;
        }
        set.insert(start, end);
        inserted.push((start, end, total));
    }
    check_range_set(&set, &inserted);
}

fn check_range_set(set: &RangeSet, inserted: &[(u64, u64, u64)]) {
    let ranges = set.ranges();
    for (s, e) in ranges {
        assert!(s <= e, "{ranges:?}");
    }
    for pair in ranges.windows(2) {
        assert!(
            pair[0].1.saturating_add(1) < pair[1].0,
            "ranges overlap, touch or are out of order: {ranges:?}"
        );
    }
    for &(start, end, total) in inserted {
        let held = ranges.iter().any(|&(s, e)| s <= start && end <= e);
        assert!(held, "{start}-{end} missing from {ranges:?}");
        let whole = ranges == [(0, total - 1)];
        assert_eq!(set.covers(total), whole, "covers({total}) of {ranges:?}");
    }
    let len: u128 = ranges.iter().map(|&(s, e)| u128::from(e - s) + 1).sum();
    assert_eq!(u128::from(set.len()), len, "{ranges:?}");
    assert_eq!(set.is_empty(), ranges.is_empty());
    let _ = set.header_value();
}

// ---------------------------------------------------------------------------------------------
// geometry: any accepted transform on any source size

/// Eight bytes of source size (two little-endian `u32`s, zero excluded as the decoder refuses
/// it) and a raw query: the plan for an accepted transform fits `max_output_dimension`, keeps
/// a window inside the source, and puts the resized image on its canvas.
pub fn geometry(data: &[u8]) {
    let Some((size, query)) = data.split_first_chunk::<8>() else {
        return;
    };
    let side = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let source = (side(&size[..4]), side(&size[4..]));
    if source.0 == 0 || source.1 == 0 {
        return;
    }
    let Some(pairs) = std::str::from_utf8(query).ok().and_then(decode_query) else {
        return;
    };
    let Ok(request) = transform::parse(&pairs) else {
        return;
    };
    let max = 8192;
    let Ok(plan) = render::geometry::plan(source, &request.transform, max) else {
        return;
    };
    let context = format!("{source:?} {:?}: {plan:?}", request.transform.canonical());
    let (w, h) = plan.canvas;
    assert!(
        (1..=max).contains(&w) && (1..=max).contains(&h),
        "canvas: {context}"
    );
    let (rw, rh) = plan.resized;
    assert!(rw >= 1 && rh >= 1, "empty resize: {context}");
    assert!(
        u64::from(rw) + u64::from(plan.offset.0) <= u64::from(w)
            && u64::from(rh) + u64::from(plan.offset.1) <= u64::from(h),
        "resized image off the canvas: {context}"
    );
    let win = plan.window;
    let slack = 1e-6 * f64::from(source.0.max(source.1));
    let inside = win.x >= -slack
        && win.y >= -slack
        && win.width > 0.0
        && win.height > 0.0
        && win.x + win.width <= f64::from(source.0) + slack
        && win.y + win.height <= f64::from(source.1) + slack;
    assert!(inside, "window outside the source: {context}");
}

// ---------------------------------------------------------------------------------------------
// render: decode → render with tight limits

/// The transforms the render target applies; the input's first byte picks one.
pub const RENDER_QUERIES: [&str; 8] = [
    "w=48",
    "w=40&h=40&fit=crop&crop=entropy&fm=png",
    "rect=2,2,50,30&rot=90&flip=h&fm=webp&q=60",
    "w=30&h=50&fit=fill&bg=8f00&blur=40&sharp=50&fm=jpg",
    "w=0.5&dpr=2&fm=gif",
    "h=24&ar=16:9&fit=min&crop=focalpoint&fp-x=0.2&fp-y=0.8&fm=pjpg",
    "w=16&h=16&fit=scale&fm=avif&q=30",
    "w=64&lossless=1&fm=webp&rot=270&flip=v",
];

/// Render limits of the target: a 256x256 source at most, outputs up to 256 px a side.
pub fn render_limits() -> Limits {
    Limits {
        max_source_pixels: 1 << 16,
        max_output_dimension: 256,
        max_animation_frames: 8,
        // As `pixgate serve` does, AV1 goes to a child process; here one that cannot start,
        // so everything the server does in-process (the HEIF container) is covered and the
        // decode itself fails cleanly.
        av1: Av1Decoding::Child(PathBuf::from("/nonexistent/pixgate-fuzz-av1")),
        // The fastest preset: the target looks for crashes, not for small files.
        avif: AvifEncoding {
            speed: 10,
            budget: None,
        },
        effort: Effort {
            webp_method: 0,
            png_level: 1,
        },
        deadline: Some(Instant::now() + Duration::from_secs(2)),
        // Sources of 256x256 at most are never kept.
        mezzanine_bytes: 0,
    }
}

thread_local! {
    /// Panics in pixgate's own code seen on this thread during [`render`].
    static OWN_PANICS: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Installs a panic hook, forwarding to the one installed before, that notes panics in
/// pixgate's own code while [`render`] runs on that thread. `render::decode` turns any decoder
/// panic into `Corrupt` (libjpeg reports errors by unwinding), so a panic there is not a
/// crash; one in pixgate's own code is still a bug, which [`render`] reports. Dependency
/// panics under [`render`] are not printed: they are how some decoders say "corrupt".
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let during_render = OWN_PANICS.with(|seen| {
            let mut seen = seen.borrow_mut();
            let Some(seen) = seen.as_mut() else {
                return false;
            };
            let at = info
                .location()
                .map(|l| (l.file().to_owned(), format!("{}:{}", l.file(), l.line())));
            if let Some((file, at)) = at
                && is_own_code(&file)
            {
                seen.push(format!("{at}: {info}"));
            }
            true
        });
        if !during_render {
            previous(info);
        }
    }));
}

/// Not std (`/rustc/…`) and not a dependency from a registry or git checkout.
fn is_own_code(file: &str) -> bool {
    !(file.starts_with("/rustc/")
        || file.contains("/registry/src/")
        || file.contains("/git/checkouts/"))
}

/// The first byte picks one of [`RENDER_QUERIES`], the rest is the original's bytes, rendered
/// under [`render_limits`]. A panic escaping `render` fails the check; so does a panic in
/// pixgate's own code that a decoder guard caught (needs [`install_panic_hook`]). A success
/// respects the limits and is the format it claims.
pub fn render(data: &[u8]) -> Result<Rendered, RenderError> {
    let Some((&pick, source)) = data.split_first() else {
        return Err(RenderError::NotAnImage);
    };
    let raw = RENDER_QUERIES[usize::from(pick) % RENDER_QUERIES.len()];
    let pairs = decode_query(raw).unwrap_or_default();
    let transform: Transform = transform::parse(&pairs)
        .map(|r| r.transform)
        .unwrap_or_else(|e| panic!("{raw}: {e}"));
    let limits = render_limits();
    OWN_PANICS.with(|seen| *seen.borrow_mut() = Some(Vec::new()));
    let rendered = render::render(source, &transform, None, &limits);
    let own = OWN_PANICS.with(|seen| seen.borrow_mut().take().unwrap_or_default());
    assert!(
        own.is_empty(),
        "pixgate panicked (caught, answered as {:?}):\n{}",
        rendered.as_ref().err(),
        own.join("\n")
    );
    // Data outputs (`fm=json`, `fm=blurhash`, `palette`) are text, not an image to check.
    if let Ok(out) = &rendered
        && out.content_type.starts_with("image/")
    {
        let max = limits.max_output_dimension;
        assert!(
            (1..=max).contains(&out.width) && (1..=max).contains(&out.height),
            "output {}x{} beyond 1..={max} for {raw}",
            out.width,
            out.height
        );
        let sniffed = SourceFormat::sniff(&out.bytes);
        let expected = [
            (OutputFormat::Jpeg, SourceFormat::Jpeg),
            (OutputFormat::Png, SourceFormat::Png),
            (OutputFormat::Webp, SourceFormat::Webp),
            (OutputFormat::Avif, SourceFormat::Avif),
            (OutputFormat::Gif, SourceFormat::Gif),
        ]
        .into_iter()
        .find(|(format, _)| format.mime() == out.content_type)
        .map(|(_, source)| source);
        assert_eq!(
            sniffed, expected,
            "{raw}: output is not {}",
            out.content_type
        );
    }
    rendered
}
