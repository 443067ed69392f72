//! The derivative cache's tiers below memory: a miss in memory reads the disk tier before
//! rendering, and a render is written there afterwards, off the request path. A tier that
//! fails is a miss, never an error: the tiers can make answers faster, not fail them.

use std::sync::Arc;

use super::{Derivative, Pipeline, Tier};
use crate::cache::Lookup;

/// Where an answer's derivative came from, for `X-Cache` and `X-Cache-Tier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    Rendered,
    Memory,
    Disk,
}

impl Served {
    pub fn of(lookup: Lookup, tier: Tier) -> Served {
        match (lookup, tier) {
            (Lookup::Hit, _) => Served::Memory,
            (Lookup::Miss, Tier::Disk) => Served::Disk,
            (Lookup::Miss, Tier::Rendered) => Served::Rendered,
        }
    }

    /// The tier that answered; `None` for a render.
    pub fn tier(self) -> Option<&'static str> {
        match self {
            Served::Rendered => None,
            Served::Memory => Some("memory"),
            Served::Disk => Some("disk"),
        }
    }
}

impl Pipeline {
    /// The derivative under `key` in the disk tier, if there is one and it is whole.
    pub(super) async fn read_disk(&self, key: &str) -> Option<Derivative> {
        let disk = Arc::clone(self.disk.as_ref()?);
        let key = key.to_string();
        let record = tokio::task::spawn_blocking(move || disk.get(&key))
            .await
            .ok()??;
        Derivative::from_record(record)
    }

    /// Writes `rendered` to the disk tier in the background; a failure is logged and
    /// counted, and costs only a later render.
    pub(super) fn write_disk(&self, key: &str, rendered: &Derivative) {
        let Some(disk) = self.disk.as_ref().map(Arc::clone) else {
            return;
        };
        let (key, record) = (key.to_string(), rendered.to_record());
        tokio::task::spawn_blocking(move || {
            if let Err(e) = disk.put(&key, &record) {
                tracing::warn!(error = %e, "disk tier: a derivative was not written");
            }
        });
    }
}
