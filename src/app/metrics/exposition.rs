//! The Prometheus text exposition (format 0.0.4) of everything counted: requests, stage
//! times, signature refusals, uploads, the render pool and the caches; the process and the
//! remote sources add theirs (`process`, `upstream`).

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use super::{
    CONNECTION_CAPS, Metrics, RequestKind, Route, SIGNATURE_REASONS, STATUS_CLASSES, STATUSES,
    Stage, StageTimes, UploadOutcome, process, upstream,
};
use crate::app::AppState;
use crate::cache::{CacheStats, TierCounts};
use crate::histogram::{BUCKETS, Histogram};

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
    routes(&mut out, m);
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
    connections(&mut out, m);
    uploads(&mut out, m);
    upstream::write(&mut out, &app.sites);
    render_pool(&mut out, app);
    caches(&mut out, app);
    process::write(&mut out);
    out
}

fn uploads(out: &mut String, m: &Metrics) {
    let outcomes: Vec<(String, u64)> = UploadOutcome::ALL
        .iter()
        .zip(&m.uploads)
        .map(|(o, n)| {
            (
                format!("outcome=\"{}\"", o.label()),
                n.load(Ordering::Relaxed),
            )
        })
        .collect();
    let help = "PUTs carrying bytes (whole files and chunks), by how they ended.";
    metric_labelled(out, "pixgate_uploads_total", "counter", help, &outcomes);
    let bytes = [("", m.upload_bytes.load(Ordering::Relaxed))];
    let help = "Bytes of uploads stored (whole files and chunks).";
    metric(out, "pixgate_upload_bytes_total", "counter", help, &bytes);
}

/// Whole requests by route and status class; a series appears once it has counted something.
fn routes(out: &mut String, m: &Metrics) {
    let name = "pixgate_http_request_duration_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Time from a request's head to its answer's head, by route and status class."
    );
    let _ = writeln!(out, "# TYPE {name} histogram");
    for route in Route::ALL {
        for (class, h) in STATUS_CLASSES.iter().zip(&m.routes[route as usize]) {
            if h.count() > 0 {
                let labels = format!("route=\"{}\",status_class=\"{class}\"", route.label());
                histogram_series(out, name, &labels, h);
            }
        }
    }
}

/// The `_bucket`, `_sum` and `_count` lines of one labelled histogram series (its HELP and
/// TYPE lines are the caller's, once per family).
pub(super) fn histogram_series(out: &mut String, name: &str, labels: &str, h: &Histogram) {
    let cumulative = h.cumulative();
    for (i, count) in cumulative.iter().enumerate() {
        let le = BUCKETS.get(i).map_or("+Inf".to_string(), |b| b.to_string());
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {count}");
    }
    let total = cumulative[BUCKETS.len()];
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", h.sum_seconds());
    let _ = writeln!(out, "{name}_count{{{labels}}} {total}");
}

fn connections(out: &mut String, m: &Metrics) {
    let open = [("", m.connections_open.load(Ordering::Relaxed))];
    let help = "Client connections open now.";
    metric(out, "pixgate_connections_open", "gauge", help, &open);
    let refused: Vec<(String, u64)> = CONNECTION_CAPS
        .iter()
        .zip(&m.connections_refused)
        .map(|(cap, n)| (format!("cap=\"{cap}\""), n.load(Ordering::Relaxed)))
        .collect();
    let help = "Connections refused at accept (503, closed), by the cap they ran into.";
    metric_labelled(
        out,
        "pixgate_connections_refused_total",
        "counter",
        help,
        &refused,
    );
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
        histogram_series(out, name, &format!("stage=\"{label}\""), h);
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
    let disk = app.pipeline.disk();
    let mut caches = vec![
        ("derivatives", app.pipeline.derivatives().stats()),
        ("originals", app.pipeline.originals().stats()),
        ("mezzanines", app.pipeline.mezzanines().stats()),
    ];
    caches.extend(disk.map(|d| ("disk", d.stats())));
    let shared = app.pipeline.shared();
    caches.extend(shared.map(|s| ("shared", s.stats())));
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
        // The bucket's size is the bucket's business: the shared tier reports lookups only.
        let lookups = matches!(
            name,
            "pixgate_cache_hits_total" | "pixgate_cache_misses_total"
        );
        let values: Vec<(String, u64)> = caches
            .iter()
            .filter(|(cache, _)| *cache != "shared" || lookups)
            .map(|(cache, stats)| (format!("cache=\"{cache}\""), pick(stats)))
            .collect();
        metric_labelled(out, name, kind, help, &values);
    }
    let mut budgets = vec![
        ("cache=\"derivatives\"", app.config.cache.max_bytes),
        ("cache=\"originals\"", app.config.cache.originals_max_bytes),
        ("cache=\"mezzanines\"", app.config.cache.mezzanine_max_bytes),
    ];
    if disk.is_some() {
        budgets.push(("cache=\"disk\"", app.config.cache.disk.max_bytes));
    }
    metric(
        out,
        "pixgate_cache_budget_bytes",
        "gauge",
        "Configured byte budget.",
        &budgets,
    );
    let tiers: Vec<(&str, &TierCounts)> = disk
        .map(|d| ("disk", d.counts()))
        .into_iter()
        .chain(shared.map(|s| ("shared", s.counts())))
        .collect();
    if !tiers.is_empty() {
        let errors: Vec<(String, u64)> = tiers
            .iter()
            .map(|(tier, counts)| (format!("cache=\"{tier}\""), counts.errors()))
            .collect();
        metric_labelled(
            out,
            "pixgate_cache_errors_total",
            "counter",
            "Tier reads and writes that failed or timed out, and records that failed their checks.",
            &errors,
        );
        let _ = writeln!(
            out,
            "# HELP pixgate_cache_read_seconds_total Time spent reading the tier, hits and misses.\n\
             # TYPE pixgate_cache_read_seconds_total counter"
        );
        for (tier, counts) in &tiers {
            let seconds = counts.read_seconds();
            let _ = writeln!(
                out,
                "pixgate_cache_read_seconds_total{{cache=\"{tier}\"}} {seconds}"
            );
        }
    }
}

/// Name, Prometheus type, help text, and which statistic it reports.
type Family = (
    &'static str,
    &'static str,
    &'static str,
    fn(&CacheStats) -> u64,
);

pub(super) fn metric_labelled(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    values: &[(String, u64)],
) {
    let borrowed: Vec<(&str, u64)> = values.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    metric(out, name, kind, help, &borrowed);
}

pub(super) fn metric(out: &mut String, name: &str, kind: &str, help: &str, values: &[(&str, u64)]) {
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
    use std::time::Duration;

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
        let image = |status| (RequestKind::Image, false, status);
        let (kind, passthrough, status) = image(200);
        m.request(kind, passthrough, status, 10, Duration::from_millis(1));
        let (kind, passthrough, status) = image(418);
        m.request(kind, passthrough, status, 0, Duration::from_millis(1));
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

    #[test]
    fn route_latency_is_by_route_and_status_class_and_only_what_happened() {
        let m = Metrics::default();
        let ms = Duration::from_millis;
        m.request(RequestKind::Image, true, 206, 1, ms(2));
        m.request(RequestKind::Image, true, 304, 0, ms(2));
        m.request(RequestKind::Image, false, 503, 0, ms(40));
        m.request(RequestKind::Upload, false, 201, 0, ms(7));
        let mut out = String::new();
        routes(&mut out, &m);
        let name = "pixgate_http_request_duration_seconds";
        for line in [
            format!("{name}_count{{route=\"passthrough\",status_class=\"2xx\"}} 1"),
            format!("{name}_count{{route=\"passthrough\",status_class=\"3xx\"}} 1"),
            format!("{name}_bucket{{route=\"transform\",status_class=\"5xx\",le=\"0.025\"}} 0"),
            format!("{name}_bucket{{route=\"transform\",status_class=\"5xx\",le=\"0.05\"}} 1"),
            format!("{name}_count{{route=\"upload\",status_class=\"2xx\"}} 1"),
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line} in\n{out}");
        }
        assert!(!out.contains("route=\"health\""), "{out}");
        assert_eq!(out.matches("# TYPE").count(), 1);
    }
}
