//! The cache-hit path per request: request id + endpoint + route + parse + verify + version
//! check + lookup + response headers + metrics, through the real edge and handlers in-process
//! (no socket), for a public URL and a signed one. The peer in the same run is a passthrough
//! of the same file, which skips the cache but opens the file; compare the lines as ratios.
//!
//! Run: `cargo bench --bench hit_path`.

use std::hint::black_box;
use std::path::PathBuf;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http::Request;
use http_body_util::Empty;
use pixgate::app::{AppState, system_clock};
use pixgate::config::{Config, SourceConfig};
use pixgate::http::edge;
use pixgate::signature::Scheme;
use pixgate::signed_url::{UrlSpec, signed_path_and_query};

fn state() -> Option<(AppState, String)> {
    let mut source = SourceConfig::new(
        "demo",
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
    );
    source.md5_tokens = vec!["demo-token".into()];
    source.private_prefixes = vec!["private/".into()];
    let params = [("w".to_string(), "100".to_string())];
    let spec = UrlSpec {
        key: "private/cups-400x250.jpg",
        params: &params,
        scheme: Scheme::Md5,
        expires_at: Some(4_000_000_000),
        method: None,
    };
    let signed = signed_path_and_query(&source, &spec).ok()?;
    let config = Config {
        sources: vec![source],
        ..Config::default()
    };
    Some((AppState::new(config, system_clock()).ok()?, signed))
}

fn hit_path(c: &mut Criterion) {
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        return;
    };
    let Some((state, signed)) = state() else {
        return;
    };
    let edge = edge(state);
    let get = |uri: String| {
        let edge = edge.clone();
        async move {
            let request = Request::get(uri).body(Empty::<Bytes>::new()).ok()?;
            Some(edge.handle(request).await.status())
        }
    };
    let public = "/cups-800x500.jpg?w=100&fm=webp".to_string();
    // Prime both entries so every measured request is a hit.
    runtime.block_on(get(public.clone()));
    runtime.block_on(get(signed.clone()));
    let mut group = c.benchmark_group("cache hit per request");
    group.bench_function("public transform", |b| {
        b.iter(|| runtime.block_on(get(black_box(public.clone()))))
    });
    group.bench_function("signed transform (md5)", |b| {
        b.iter(|| runtime.block_on(get(black_box(signed.clone()))))
    });
    group.bench_function("peer: passthrough headers (HEAD)", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let request = Request::head("/cups-800x500.jpg")
                    .body(Empty::<Bytes>::new())
                    .ok()?;
                Some(edge.handle(request).await.status())
            })
        })
    });
    group.finish();
}

criterion_group!(benches, hit_path);
criterion_main!(benches);
