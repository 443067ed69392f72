//! The remote sources' own counts (`source::remote::Calls`) as Prometheus series, one set per
//! bucket or HTTP origin, labelled with the source's configured name (a closed set).

use std::fmt::Write as _;

use super::exposition::{histogram_series, metric_labelled};
use crate::app::Site;
use crate::source::Store;
use crate::source::remote::{Calls, Op, Outcome};

/// `pixgate_upstream_requests_total` and `pixgate_upstream_duration_seconds`; nothing when no
/// source is remote.
pub(super) fn write(out: &mut String, sites: &[Site]) {
    let remote: Vec<(&str, &Calls)> = sites
        .iter()
        .filter_map(|site| match &site.store {
            Store::Remote(store) => Some((site.name(), store.calls())),
            Store::Local(_) => None,
        })
        .collect();
    if remote.is_empty() {
        return;
    }
    let mut counts = Vec::new();
    for (source, calls) in &remote {
        for op in Op::ALL {
            for outcome in Outcome::ALL {
                let labels = format!(
                    "source=\"{}\",op=\"{}\",outcome=\"{}\"",
                    escaped(source),
                    op.label(),
                    outcome.label()
                );
                counts.push((labels, calls.count(op, outcome)));
            }
        }
    }
    let help = "Requests to remote sources (version checks and reads), by how they ended.";
    metric_labelled(
        out,
        "pixgate_upstream_requests_total",
        "counter",
        help,
        &counts,
    );
    let name = "pixgate_upstream_duration_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Time per request to a remote source, a read's whole body included."
    );
    let _ = writeln!(out, "# TYPE {name} histogram");
    for (source, calls) in &remote {
        for op in Op::ALL {
            let labels = format!("source=\"{}\",op=\"{}\"", escaped(source), op.label());
            histogram_series(out, name, &labels, calls.durations(op));
        }
    }
}

/// A label value as the text format wants it: backslash, quote and newline escaped. Source
/// names are the operator's, so they could hold any of these.
fn escaped(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
