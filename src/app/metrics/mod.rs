//! What pixgate counts while it runs — requests here, stage times in the pipeline's
//! [`StageTimes`] — and the Prometheus text exposition (format 0.0.4) of all of it, caches and
//! render pool included, for `/_pixgate/metrics`. Recording is a few relaxed atomic adds into
//! fixed arrays, so the hit path pays nanoseconds and no lock; labels come from small closed
//! sets, never from the request, so a client cannot grow the series.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::histogram::Histogram;

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

/// Where a request went, finer than [`RequestKind`] where latency differs by an order of
/// magnitude: the `route` label of `pixgate_http_request_duration_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// GET/HEAD of a storage path answered with a derivative (or refused before it was known).
    Transform,
    /// GET/HEAD of a storage path answered with the stored bytes as they are.
    Passthrough,
    Upload,
    Api,
    Health,
    Ready,
    Metrics,
    Other,
}

impl Route {
    const ALL: [Route; 8] = [
        Route::Transform,
        Route::Passthrough,
        Route::Upload,
        Route::Api,
        Route::Health,
        Route::Ready,
        Route::Metrics,
        Route::Other,
    ];

    /// The route of a request of `kind`; `passthrough` says whether an image request was
    /// answered with the stored bytes.
    fn of(kind: RequestKind, passthrough: bool) -> Route {
        match kind {
            RequestKind::Image if passthrough => Route::Passthrough,
            RequestKind::Image => Route::Transform,
            RequestKind::Upload => Route::Upload,
            RequestKind::Api => Route::Api,
            RequestKind::Health => Route::Health,
            RequestKind::Ready => Route::Ready,
            RequestKind::Metrics => Route::Metrics,
            RequestKind::Other => Route::Other,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Route::Transform => "transform",
            Route::Passthrough => "passthrough",
            Route::Upload => "upload",
            Route::Api => "api",
            Route::Health => "health",
            Route::Ready => "ready",
            Route::Metrics => "metrics",
            Route::Other => "other",
        }
    }
}

/// The `status_class` label: the status's hundreds (`1xx` is never answered by pixgate, and
/// anything outside 100–599 cannot be a `StatusCode`).
const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

fn status_class(status: u16) -> usize {
    usize::from(status / 100)
        .saturating_sub(1)
        .min(STATUS_CLASSES.len() - 1)
}

/// How a PUT carrying bytes (a whole file or one chunk) ended: the `outcome` label of
/// `pixgate_uploads_total`. Status queries (`bytes */TOTAL`) carry none and are not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadOutcome {
    /// The file is in place: a whole-file PUT, or the chunk that completed a resumable upload.
    Complete,
    /// A chunk was stored; the upload still misses bytes.
    Partial,
    /// Answered 4xx: the caller's request (size, range, signature, body) was refused.
    Refused,
    /// Answered 5xx: storage failed.
    Failed,
}

impl UploadOutcome {
    const ALL: [UploadOutcome; 4] = [
        UploadOutcome::Complete,
        UploadOutcome::Partial,
        UploadOutcome::Refused,
        UploadOutcome::Failed,
    ];

    fn label(self) -> &'static str {
        match self {
            UploadOutcome::Complete => "complete",
            UploadOutcome::Partial => "partial",
            UploadOutcome::Refused => "refused",
            UploadOutcome::Failed => "failed",
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
    /// Whole requests by route and status class (`pixgate_http_request_duration_seconds`).
    routes: [[Histogram; STATUS_CLASSES.len()]; Route::ALL.len()],
    uploads: [AtomicU64; UploadOutcome::ALL.len()],
    upload_bytes: AtomicU64,
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

impl Metrics {
    /// One answered request: its kind, route, status and body bytes sent (0 for `HEAD` and
    /// 304), and how long it took from its head to its answer's head.
    /// A request of `kind` answered with `status`; `passthrough` says an image request was
    /// answered with the stored bytes (its latency is then the passthrough route's).
    pub fn request(
        &self,
        kind: RequestKind,
        passthrough: bool,
        status: u16,
        body_bytes: u64,
        took: Duration,
    ) {
        let route = Route::of(kind, passthrough);
        self.routes[route as usize][status_class(status)].observe(took);
        let status = STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or(STATUSES.len() - 1);
        self.requests[kind as usize][status].fetch_add(1, Ordering::Relaxed);
        self.bytes_served.fetch_add(body_bytes, Ordering::Relaxed);
        self.total.observe(took);
    }

    /// A PUT with a body that ended as `outcome`, having stored `bytes` (0 unless it was
    /// stored).
    pub fn upload(&self, outcome: UploadOutcome, bytes: u64) {
        self.uploads[outcome as usize].fetch_add(1, Ordering::Relaxed);
        self.upload_bytes.fetch_add(bytes, Ordering::Relaxed);
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
mod process;
mod upstream;

pub use exposition::exposition;
