//! The derivative cache's tiers below memory: a miss in memory reads the disk tier, then the
//! shared one, before rendering; a render is written to both afterwards, and a shared record
//! to the disk, off the request path. A tier that fails is a miss, never an error: the tiers
//! can make answers faster, not fail them.

use std::sync::Arc;

use super::{Derivative, Pipeline, Tier};
use crate::cache::Lookup;

/// Where an answer's derivative came from, for `X-Cache` and `X-Cache-Tier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    Rendered,
    Memory,
    Disk,
    Shared,
}

impl Served {
    pub fn of(lookup: Lookup, tier: Tier) -> Served {
        match (lookup, tier) {
            (Lookup::Hit, _) => Served::Memory,
            (Lookup::Miss, Tier::Disk) => Served::Disk,
            (Lookup::Miss, Tier::Shared) => Served::Shared,
            (Lookup::Miss, Tier::Rendered) => Served::Rendered,
        }
    }

    /// The tier that answered; `None` for a render.
    pub fn tier(self) -> Option<&'static str> {
        match self {
            Served::Rendered => None,
            Served::Memory => Some("memory"),
            Served::Disk => Some("disk"),
            Served::Shared => Some("shared"),
        }
    }
}

impl Pipeline {
    /// The derivative under `key` in the tiers below memory, nearest first, if one has it
    /// whole. A shared record is kept on disk too.
    pub(super) async fn read_tiers(&self, key: &str) -> Option<Derivative> {
        if let Some(found) = self.read_disk(key).await {
            return Some(found);
        }
        let record = self.shared.as_ref()?.get(key).await?;
        let found = Derivative::from_record(record, Tier::Shared)?;
        self.write(key, &found, false);
        Some(found)
    }

    async fn read_disk(&self, key: &str) -> Option<Derivative> {
        let disk = Arc::clone(self.disk.as_ref()?);
        let key = key.to_string();
        let record = tokio::task::spawn_blocking(move || disk.get(&key))
            .await
            .ok()??;
        Derivative::from_record(record, Tier::Disk)
    }

    /// Writes `derivative` to the disk tier and, with `share`, the shared one, in the
    /// background; a failure is logged and counted, and costs only a later render.
    pub(super) fn write(&self, key: &str, derivative: &Derivative, share: bool) {
        let record = Arc::new(derivative.to_record());
        if let Some(disk) = self.disk.as_ref().map(Arc::clone) {
            let (key, record) = (key.to_string(), Arc::clone(&record));
            tokio::task::spawn_blocking(move || {
                if let Err(e) = disk.put(&key, &record) {
                    tracing::warn!(error = %e, "disk tier: a derivative was not written");
                }
            });
        }
        if let Some(shared) = self.shared.as_ref().filter(|_| share).map(Arc::clone) {
            let key = key.to_string();
            tokio::spawn(async move { shared.put(&key, &record).await });
        }
    }
}
