//! Throughput of the render pipeline on the fixtures, with a peer measured in the same run —
//! the `image` crate doing the same work — so groups read as ratios; absolute numbers depend on
//! the machine. Whole thumbnails and signing are here; the decode, resize and encode
//! stages per format are in `pipeline/`.
//!
//! Run: `cargo bench --bench pipeline` (the large corpus photo is used when
//! `../shared/corpus/beach-5120x2880.jpg` exists); one stage: `-- decode/`, `-- resize/`,
//! `-- encode/`.

// A bench target's modules resolve beside it, in `benches/`; the stage files live apart.
#[path = "pipeline/decode.rs"]
mod decode;
#[path = "pipeline/encode.rs"]
mod encode;
#[path = "pipeline/resize.rs"]
mod resize;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main};
use image::imageops::FilterType;
use pixgate::render::{Av1Decoding, AvifEncoding, Effort, Limits, render};
use pixgate::signature::{self, Method, Policy, Scheme};
use pixgate::transform::{self, OutputFormat};

const LIMITS: Limits = Limits {
    max_source_pixels: 100_000_000,
    max_output_dimension: 8192,
    max_animation_frames: 256,
    av1: Av1Decoding::InProcess,
    avif: AvifEncoding {
        speed: 9,
        budget: None,
    },
    // The defaults (`[encoding]`).
    effort: Effort {
        webp_method: 4,
        png_level: 6,
    },
    deadline: None,
    mezzanine_bytes: 0,
};

/// `path` relative to the repository root.
fn repo_path(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The bytes of `path` (relative to the repository root); `None`, with a note on stderr, when
/// it cannot be read.
fn read(path: &str) -> Option<Vec<u8>> {
    std::fs::read(repo_path(path))
        .inspect_err(|e| eprintln!("skipping {path}: {e}"))
        .ok()
}

/// A group for one stage case: 10 samples of equal iteration counts over about two seconds
/// (at least one run per sample), so the stage groups together finish in a few minutes.
fn stage_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500));
    group
}

fn inputs() -> Vec<(String, Vec<u8>)> {
    let mut files = vec![repo_path("fixtures/cups-800x500.jpg")];
    let large = repo_path("../shared/corpus/beach-5120x2880.jpg");
    if large.exists() {
        files.push(large);
    }
    files
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            Some((name, std::fs::read(&p).ok()?))
        })
        .collect()
}

/// The peer: decode with `image` (zune-jpeg is not enabled, so via mozjpeg into an
/// `RgbImage`), resize with `image`'s Lanczos3, encode JPEG with mozjpeg at the same quality.
fn peer_thumbnail(bytes: &[u8], width: u32) -> Vec<u8> {
    let Ok(decoder) = mozjpeg::Decompress::new_mem(bytes) else {
        return Vec::new();
    };
    let Ok(mut started) = decoder.rgb() else {
        return Vec::new();
    };
    let (w, h) = (started.width() as u32, started.height() as u32);
    let pixels: Vec<u8> = started.read_scanlines().unwrap_or_default();
    let Some(img) = image::RgbImage::from_raw(w, h, pixels) else {
        return Vec::new();
    };
    let height = (u64::from(h) * u64::from(width) / u64::from(w)) as u32;
    let small = image::imageops::resize(&img, width, height, FilterType::Lanczos3);
    let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
    c.set_fastest_defaults();
    c.set_size(width as usize, height as usize);
    c.set_quality(75.0);
    let Ok(mut out) = c.start_compress(Vec::new()) else {
        return Vec::new();
    };
    let _ = out.write_scanlines(small.as_raw());
    out.finish().unwrap_or_default()
}

fn thumbnails(c: &mut Criterion) {
    for (name, bytes) in inputs() {
        let mut group = c.benchmark_group(format!("thumbnail 300px jpeg/{name}"));
        group.sample_size(10);
        let request = transform::parse(&[("w".into(), "300".into()), ("fm".into(), "jpg".into())]);
        let Ok(request) = request else { return };
        group.bench_function("pixgate", |b| {
            b.iter(|| render(black_box(&bytes), &request.transform, None, &LIMITS))
        });
        group.bench_function("peer: image Lanczos3", |b| {
            b.iter(|| peer_thumbnail(black_box(&bytes), 300))
        });
        group.finish();
    }
    let Some((_, bytes)) = inputs().into_iter().next() else {
        return;
    };
    let mut group = c.benchmark_group("encode 300px from cups-800x500.jpg");
    group.sample_size(10);
    for format in [OutputFormat::Webp, OutputFormat::Png, OutputFormat::Avif] {
        let mut request = transform::Transform {
            width: Some(transform::Dimension::Pixels(300)),
            ..Default::default()
        };
        request.format = Some(format);
        group.bench_function(format.to_string(), |b| {
            b.iter(|| render(black_box(&bytes), &request, None, &LIMITS))
        });
    }
    group.finish();
}

fn signing(c: &mut Criterion) {
    let tokens = vec!["FOO123bar".to_string()];
    let keys = vec!["demo-key".to_string()];
    let policy = Policy {
        md5_tokens: &tokens,
        hmac_keys: &keys,
        max_ttl: None,
        clock_skew: Duration::ZERO,
    };
    let md5_query = signature::sign(Scheme::Md5, "FOO123bar", "/users/1.png", "w=400&h=300");
    let hmac_query = signature::sign(Scheme::Hmac, "demo-key", "/users/1.png", "w=400&h=300");
    c.bench_function("verify md5", |b| {
        b.iter(|| {
            signature::verify(
                "/users/1.png",
                Some(black_box(&md5_query)),
                Method::Get,
                true,
                &policy,
                0,
            )
        })
    });
    c.bench_function("verify hmac", |b| {
        b.iter(|| {
            signature::verify(
                "/users/1.png",
                Some(black_box(&hmac_query)),
                Method::Get,
                true,
                &policy,
                0,
            )
        })
    });
}

criterion_group!(
    benches,
    thumbnails,
    decode::per_format,
    resize::per_layout,
    encode::per_format,
    signing
);
criterion_main!(benches);
