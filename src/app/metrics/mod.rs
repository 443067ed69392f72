//! What pixgate counts while it runs — requests here, stage times in the pipeline's
//! [`StageTimes`] — and the Prometheus text exposition (format 0.0.4) of all of it, caches and
//! render pool included, for `/_pixgate/metrics`. Recording is a few relaxed atomic adds into
//! fixed arrays, so the hit path pays nanoseconds and no lock; labels come from small closed
//! sets, never from the request, so a client cannot grow the series.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What kind of request was answered: the values of the `route` label of
/// `pixgate_requests_total`. The HTTP layer's endpoint table says which kind each request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// GET/HEAD of a storage path: transforms and originals.
    Image,
    /// PUT of a storage path.
    Upload,
    /// `/_pixgate/signatures` and `/_pixgate/files/…`.
    Api,
    Health,
    Ready,
    Metrics,
    /// Anything else (unknown `/_pixgate/` paths, other methods, refused before routing).
    Other,
}

impl RequestKind {
    const ALL: [RequestKind; 7] = [
        RequestKind::Image,
        RequestKind::Upload,
        RequestKind::Api,
        RequestKind::Health,
        RequestKind::Ready,
        RequestKind::Metrics,
        RequestKind::Other,
    ];

    fn label(self) -> &'static str {
        match self {
            RequestKind::Image => "image",
            RequestKind::Upload => "upload",
            RequestKind::Api => "api",
            RequestKind::Health => "health",
            RequestKind::Ready => "ready",
            RequestKind::Metrics => "metrics",
            RequestKind::Other => "other",
        }
    }
}

/// Timed stages: the `stage` label of `pixgate_stage_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The signature check of an image request or an upload (also when nothing is signed:
    /// deciding that no signature is needed is part of it).
    Verify,
    /// Reading an original from its source (a miss of the originals cache).
    SourceRead,
    Decode,
    /// Everything between decoding and encoding (see `render::Stages`).
    Resize,
    Encode,
    /// Finding the faces in an original: once per original and version, on the first render
    /// that needs them.
    Faces,
}

impl Stage {
    const ALL: [Stage; 6] = [
        Stage::Verify,
        Stage::SourceRead,
        Stage::Decode,
        Stage::Resize,
        Stage::Encode,
        Stage::Faces,
    ];

    fn label(self) -> &'static str {
        match self {
            Stage::Verify => "verify",
            Stage::SourceRead => "source_read",
            Stage::Decode => "decode",
            Stage::Resize => "resize",
            Stage::Encode => "encode",
            Stage::Faces => "faces",
        }
    }
}

/// Status codes pixgate answers with, each its own series; anything else is counted as
/// `other` (hyper's own 4xx for unparseable heads never reach here).
const STATUSES: [u16; 24] = [
    200, 201, 202, 204, 206, 304, 400, 401, 403, 404, 405, 408, 409, 413, 414, 415, 416, 422, 431,
    500, 502, 503, 504, 0,
];

/// The refusal codes of `signature::Refusal` and a malformed signature parameter.
const SIGNATURE_REASONS: [&str; 6] = [
    "signature_required",
    "signature_invalid",
    "expired",
    "method_mismatch",
    "ttl_too_long",
    "bad_parameter",
];

/// Upper bounds of the latency buckets, in seconds: from a cache hit (~50 µs) to a render
/// near the default timeout.
const BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0, 30.0,
];

/// The request counters. One per process, in the app state.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: [[AtomicU64; STATUSES.len()]; RequestKind::ALL.len()],
    bytes_served: AtomicU64,
    /// Whole requests, head received to response head ready: the `total` stage.
    total: Histogram,
    signatures_rejected: [AtomicU64; SIGNATURE_REASONS.len()],
    connections_open: AtomicU64,
    connections_refused: [AtomicU64; CONNECTION_CAPS.len()],
}

/// The caps a connection can be refused by (`server.max_connections…`).
const CONNECTION_CAPS: [&str; 2] = ["max_connections", "max_connections_per_client"];

/// Time spent per pipeline stage. One per process, in the pipeline.
#[derive(Debug, Default)]
pub struct StageTimes {
    stages: [Histogram; Stage::ALL.len()],
}

impl StageTimes {
    pub fn record(&self, stage: Stage, took: Duration) {
        self.stages[stage as usize].observe(took);
    }
}

/// A Prometheus histogram: per-bucket counts (made cumulative when written), sum and count.
#[derive(Debug, Default)]
struct Histogram {
    /// One more than `BUCKETS` for `+Inf`.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

impl Metrics {
    /// One answered request: its kind, status and body bytes sent (0 for `HEAD` and 304).
    pub fn request(&self, kind: RequestKind, status: u16, body_bytes: u64, took: Duration) {
        let status = STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or(STATUSES.len() - 1);
        self.requests[kind as usize][status].fetch_add(1, Ordering::Relaxed);
        self.bytes_served.fetch_add(body_bytes, Ordering::Relaxed);
        self.total.observe(took);
    }

    pub fn connection_opened(&self) {
        self.connections_open.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    /// A connection refused by the cap of that name; other names are ignored.
    pub fn connection_refused(&self, cap: &str) {
        if let Some(i) = CONNECTION_CAPS.iter().position(|c| *c == cap) {
            self.connections_refused[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A request the signature check refused, by the error code the client saw; codes outside
    /// the signature check's set are ignored.
    pub fn signature_rejected(&self, code: &str) {
        if let Some(i) = SIGNATURE_REASONS.iter().position(|r| *r == code) {
            self.signatures_rejected[i].fetch_add(1, Ordering::Relaxed);
        }
    }
}

mod exposition;

pub use exposition::exposition;
