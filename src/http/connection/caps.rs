//! The caps on open connections, `server.max_connections` in all and
//! `server.max_connections_per_client` from one address, so thousands of idle or trickling
//! clients cannot hold unbounded sockets, tasks and buffers. A connection over either cap is
//! refused before hyper sees it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use crate::config::ServerConfig;

/// Open-file limit assumed when `/proc/self/limits` cannot be read.
const FALLBACK_FILE_LIMIT: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub total: usize,
    pub per_client: usize,
}

impl Caps {
    /// The configured caps, with the defaults worked out from the process's open-file limit:
    /// three quarters of it for connections leaves the rest for originals, cache records,
    /// uploads and the listener itself.
    pub fn from_config(server: &ServerConfig) -> Caps {
        let total = server
            .max_connections
            .unwrap_or_else(|| (open_file_limit() / 4 * 3).max(1));
        let per_client = server
            .max_connections_per_client
            .unwrap_or((total / 4).max(1));
        Caps { total, per_client }
    }
}

/// The soft `Max open files` from `/proc/self/limits` (no `unsafe` needed for getrlimit).
fn open_file_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| soft_file_limit(&text))
        .unwrap_or(FALLBACK_FILE_LIMIT)
}

fn soft_file_limit(limits: &str) -> Option<usize> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    match soft {
        "unlimited" => Some(usize::MAX / 2),
        n => n.parse().ok(),
    }
}

/// Which cap a refused connection ran into (a metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Total,
    PerClient,
}

impl Refused {
    pub fn label(self) -> &'static str {
        match self {
            Refused::Total => "max_connections",
            Refused::PerClient => "max_connections_per_client",
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// The connections open now, counted against the caps.
#[derive(Debug)]
pub struct OpenConnections {
    caps: Caps,
    counts: Mutex<Counts>,
}

impl OpenConnections {
    pub fn new(caps: Caps) -> Arc<OpenConnections> {
        Arc::new(OpenConnections {
            caps,
            counts: Mutex::new(Counts::default()),
        })
    }

    /// A permit for one more connection from `client`, held for as long as it stays open.
    pub fn admit(self: &Arc<Self>, client: IpAddr) -> Result<Permit, Refused> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.total >= self.caps.total {
            return Err(Refused::Total);
        }
        let from_client = counts.by_client.entry(client).or_insert(0);
        if *from_client >= self.caps.per_client {
            return Err(Refused::PerClient);
        }
        *from_client += 1;
        counts.total += 1;
        Ok(Permit {
            open: Arc::clone(self),
            client,
        })
    }

    pub fn count(&self) -> usize {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }
}

/// One admitted connection; dropping it frees its place.
pub struct Permit {
    open: Arc<OpenConnections>,
    client: IpAddr,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self
            .open
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.by_client.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                counts.by_client.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_count_per_client_and_in_all_and_free_on_drop() {
        let open = OpenConnections::new(Caps {
            total: 3,
            per_client: 2,
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let c: IpAddr = "10.0.0.3".parse().unwrap();
        let a1 = open.admit(a).unwrap();
        let _a2 = open.admit(a).unwrap();
        assert_eq!(open.admit(a).err(), Some(Refused::PerClient));
        let _b1 = open.admit(b).unwrap();
        assert_eq!(open.admit(c).err(), Some(Refused::Total));
        drop(a1);
        assert_eq!(open.count(), 2);
        let _c1 = open.admit(c).unwrap();
        assert_eq!(open.admit(a).err(), Some(Refused::Total));
    }

    #[test]
    fn the_soft_file_limit_is_read_from_proc() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max cpu time              unlimited            unlimited            seconds   \n\
                      Max open files            20000                40000                files     \n";
        assert_eq!(soft_file_limit(limits), Some(20000));
        assert_eq!(soft_file_limit("nothing"), None);
        let server = ServerConfig {
            max_connections: Some(100),
            ..ServerConfig::default()
        };
        assert_eq!(
            Caps::from_config(&server),
            Caps {
                total: 100,
                per_client: 25
            }
        );
    }
}
