//! What pixgate counts while it runs — requests here, stage times in the pipeline's
//! [`StageTimes`] — and the Prometheus text exposition (format 0.0.4) of all of it, caches and
//! render pool included, for `/_pixgate/metrics`. Recording is a few relaxed atomic adds into
//! fixed arrays, so the hit path pays nanoseconds and no lock; labels come from small closed
//! sets, never from the request, so a client cannot grow the series.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::AppState;
use crate::cache::CacheStats;

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
}

impl Stage {
    const ALL: [Stage; 5] = [
        Stage::Verify,
        Stage::SourceRead,
        Stage::Decode,
        Stage::Resize,
        Stage::Encode,
    ];

    fn label(self) -> &'static str {
        match self {
            Stage::Verify => "verify",
            Stage::SourceRead => "source_read",
            Stage::Decode => "decode",
            Stage::Resize => "resize",
            Stage::Encode => "encode",
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
}

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

    /// A request the signature check refused, by the error code the client saw; codes outside
    /// the signature check's set are ignored.
    pub fn signature_rejected(&self, code: &str) {
        if let Some(i) = SIGNATURE_REASONS.iter().position(|r| *r == code) {
            self.signatures_rejected[i].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The whole `/_pixgate/metrics` body.
pub fn exposition(app: &AppState) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let m = &app.metrics;
    requests(&mut out, m);
    let bytes = [("", m.bytes_served.load(Ordering::Relaxed))];
    let help = "Response body bytes sent (HEAD and 304 send none).";
    metric(
        &mut out,
        "pixgate_served_bytes_total",
        "counter",
        help,
        &bytes,
    );
    stages(&mut out, app.pipeline.timings(), &m.total);
    let rejected: Vec<(String, u64)> = SIGNATURE_REASONS
        .iter()
        .zip(&m.signatures_rejected)
        .map(|(reason, n)| (format!("reason=\"{reason}\""), n.load(Ordering::Relaxed)))
        .collect();
    let help = "Requests refused at the signature check, by reason.";
    metric_labelled(
        &mut out,
        "pixgate_signatures_rejected_total",
        "counter",
        help,
        &rejected,
    );
    render_pool(&mut out, app);
    caches(&mut out, app);
    out
}

fn requests(out: &mut String, m: &Metrics) {
    let mut values = Vec::new();
    for kind in RequestKind::ALL {
        for (i, status) in STATUSES.iter().enumerate() {
            let n = m.requests[kind as usize][i].load(Ordering::Relaxed);
            // Series appear once they have happened, as client libraries do for labels.
            if n > 0 {
                let status = if *status == 0 {
                    "other".to_string()
                } else {
                    status.to_string()
                };
                let kind = kind.label();
                values.push((format!("route=\"{kind}\",status=\"{status}\""), n));
            }
        }
    }
    let help = "Requests answered, by route and status.";
    metric_labelled(out, "pixgate_requests_total", "counter", help, &values);
}

fn stages(out: &mut String, times: &StageTimes, total: &Histogram) {
    let name = "pixgate_stage_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Time spent per stage: verify, source_read, decode, resize, encode, and total per request."
    );
    let _ = writeln!(out, "# TYPE {name} histogram");
    let timed = Stage::ALL
        .iter()
        .map(|stage| (stage.label(), &times.stages[*stage as usize]))
        .chain([("total", total)]);
    for (label, h) in timed {
        let mut cumulative = 0;
        for (i, bucket) in h.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            let le = BUCKETS.get(i).map_or("+Inf".to_string(), |b| b.to_string());
            let _ = writeln!(
                out,
                "{name}_bucket{{stage=\"{label}\",le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = h.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{stage=\"{label}\"}} {sum}");
        let _ = writeln!(out, "{name}_count{{stage=\"{label}\"}} {cumulative}");
    }
}

fn render_pool(out: &mut String, app: &AppState) {
    let pool = app.pipeline.render_pool();
    let gauges = [
        (
            "pixgate_render_queue_depth",
            "Renders waiting for a worker.",
            pool.queued(),
        ),
        (
            "pixgate_renders_in_flight",
            "Renders running now.",
            pool.in_flight(),
        ),
        (
            "pixgate_render_workers",
            "Renders that may run at once (limits.render_workers).",
            pool.workers(),
        ),
    ];
    for (name, help, value) in gauges {
        metric(out, name, "gauge", help, &[("", value as u64)]);
    }
    metric(
        out,
        "pixgate_renders_total",
        "counter",
        "Renders started (derivative cache misses that reached the renderer).",
        &[("", pool.started())],
    );
}

fn caches(out: &mut String, app: &AppState) {
    let caches = [
        ("derivatives", app.pipeline.derivatives().stats()),
        ("originals", app.pipeline.originals().stats()),
    ];
    let families: [Family; 6] = [
        (
            "pixgate_cache_hits_total",
            "counter",
            "Lookups answered from the cache.",
            |s| s.hits,
        ),
        (
            "pixgate_cache_misses_total",
            "counter",
            "Lookups that loaded the value.",
            |s| s.misses,
        ),
        (
            "pixgate_cache_coalesced_total",
            "counter",
            "Misses that waited for a concurrent load of the same key instead of loading again.",
            |s| s.coalesced,
        ),
        (
            "pixgate_cache_evictions_total",
            "counter",
            "Entries evicted to stay within budget.",
            |s| s.evictions,
        ),
        (
            "pixgate_cache_bytes",
            "gauge",
            "Bytes charged against the budget: payload, key and per-entry overhead.",
            |s| s.bytes,
        ),
        ("pixgate_cache_entries", "gauge", "Entries held.", |s| {
            s.entries
        }),
    ];
    for (name, kind, help, pick) in families {
        let values: Vec<(String, u64)> = caches
            .iter()
            .map(|(cache, stats)| (format!("cache=\"{cache}\""), pick(stats)))
            .collect();
        metric_labelled(out, name, kind, help, &values);
    }
    let budgets = [
        ("cache=\"derivatives\"", app.config.cache.max_bytes),
        ("cache=\"originals\"", app.config.cache.originals_max_bytes),
    ];
    metric(
        out,
        "pixgate_cache_budget_bytes",
        "gauge",
        "Configured byte budget.",
        &budgets,
    );
}

/// Name, Prometheus type, help text, and which statistic it reports.
type Family = (
    &'static str,
    &'static str,
    &'static str,
    fn(&CacheStats) -> u64,
);

fn metric_labelled(out: &mut String, name: &str, kind: &str, help: &str, values: &[(String, u64)]) {
    let borrowed: Vec<(&str, u64)> = values.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    metric(out, name, kind, help, &borrowed);
}

fn metric(out: &mut String, name: &str, kind: &str, help: &str, values: &[(&str, u64)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in values {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_with_sum_and_count() {
        let times = StageTimes::default();
        times.record(Stage::Decode, Duration::from_micros(80));
        times.record(Stage::Decode, Duration::from_millis(3));
        times.record(Stage::Decode, Duration::from_secs(60));
        let total = Histogram::default();
        total.observe(Duration::from_millis(5));
        let mut out = String::new();
        stages(&mut out, &times, &total);
        for line in [
            "pixgate_stage_seconds_bucket{stage=\"decode\",le=\"0.0001\"} 1",
            "pixgate_stage_seconds_bucket{stage=\"decode\",le=\"0.005\"} 2",
            "pixgate_stage_seconds_bucket{stage=\"decode\",le=\"30\"} 2",
            "pixgate_stage_seconds_bucket{stage=\"decode\",le=\"+Inf\"} 3",
            "pixgate_stage_seconds_count{stage=\"decode\"} 3",
            "pixgate_stage_seconds_sum{stage=\"decode\"} 60.00308",
            "pixgate_stage_seconds_count{stage=\"encode\"} 0",
            "pixgate_stage_seconds_count{stage=\"total\"} 1",
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line} in\n{out}");
        }
    }

    #[test]
    fn unknown_statuses_and_reasons_stay_in_closed_sets() {
        let m = Metrics::default();
        m.request(RequestKind::Image, 200, 10, Duration::from_millis(1));
        m.request(RequestKind::Image, 418, 0, Duration::from_millis(1));
        m.signature_rejected("expired");
        m.signature_rejected("not_a_reason");
        let mut out = String::new();
        requests(&mut out, &m);
        assert!(out.contains("pixgate_requests_total{route=\"image\",status=\"200\"} 1"));
        assert!(out.contains("pixgate_requests_total{route=\"image\",status=\"other\"} 1"));
        let rejected: u64 = m
            .signatures_rejected
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .sum();
        assert_eq!(rejected, 1);
        assert_eq!(m.bytes_served.load(Ordering::Relaxed), 10);
    }
}
