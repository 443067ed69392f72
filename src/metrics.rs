//! Prometheus text exposition (format 0.0.4) of the counters pixgate keeps: the two caches
//! and the renderer. Read-only: it formats what the state already counts.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use crate::cache::CacheStats;
use crate::server::AppState;

/// The whole `/_pixgate/metrics` body.
pub fn render(app: &AppState) -> String {
    let mut out = String::new();
    metric(
        &mut out,
        "pixgate_renders_total",
        "counter",
        "Renders started (derivative cache misses that reached the renderer).",
        &[("", app.renders.load(Ordering::Relaxed))],
    );
    let caches = [
        ("derivatives", app.cache.stats()),
        ("originals", app.originals.stats()),
    ];
    let series = |pick: fn(&CacheStats) -> u64| -> Vec<(String, u64)> {
        caches
            .iter()
            .map(|(name, stats)| (format!("cache=\"{name}\""), pick(stats)))
            .collect()
    };
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
        let values = series(pick);
        let labelled: Vec<(&str, u64)> = values.iter().map(|(l, v)| (l.as_str(), *v)).collect();
        metric(&mut out, name, kind, help, &labelled);
    }
    let budgets = [
        ("cache=\"derivatives\"", app.config.cache.max_bytes),
        ("cache=\"originals\"", app.config.cache.originals_max_bytes),
    ];
    metric(
        &mut out,
        "pixgate_cache_budget_bytes",
        "gauge",
        "Configured byte budget.",
        &budgets,
    );
    out
}

/// Name, Prometheus type, help text, and which statistic it reports.
type Family = (
    &'static str,
    &'static str,
    &'static str,
    fn(&CacheStats) -> u64,
);

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
