//! pixgate: an image transformation CDN origin.
//!
//! A GET passes through the stages in this order, and the modules follow it:
//!
//! ```text
//! request ─► route ─► parse+canonicalize ─► verify signature ─► cache ─► source ─► render ─► respond
//!           routing    transform/            signature/        cache    source/   render/   respond
//! ```
//!
//! | stage | file | owns |
//! |---|---|---|
//! | config | `config/` | `pixgate.toml` + environment, validated once at start-up |
//! | shell | `server.rs`, `routes/` | `AppState`, the connection loop, the router, thin HTTP adapters |
//! | edge | `access.rs` | request id, head caps, body deadline, access log, request metrics |
//! | admission | `render_pool.rs` | render workers behind a bounded queue (503 when full) |
//! | route | `routing.rs` | which source serves a `Host` and path |
//! | parse | `transform/` | query pairs → typed `Transform` → canonical form |
//! | verify | `signature/` | `s` (MD5) and `signature` (HMAC) schemes, expiry, method, TTL |
//! | cache | `cache.rs` | byte-bounded LRU of derivatives, single-flight misses |
//! | source | `source/` | `StorageKey` and the only file-system access |
//! | render | `render/` | decode (limits, EXIF), geometry, resize, effects, encode |
//! | upload | `upload/` | `PUT` bodies and resumable chunks, atomic commit, File objects |
//! | respond | `respond.rs` | validators, `Cache-Control`, `Vary`, `Range`, `HEAD` |
//! | errors | `error.rs` | every failure → status, code, client-safe message |
//! | signing | `signed_url.rs` | URLs for `pixgate sign` and the start-up examples |
//! | metrics | `metrics.rs` | Prometheus text for `/_pixgate/metrics` |
//! | bench | `bench.rs` | `pixgate bench`: the render stage timed over files |

pub mod access;
pub mod bench;
pub mod cache;
pub mod config;
pub mod error;
pub mod hex;
pub mod metrics;
pub mod render;
pub mod render_pool;
pub mod respond;
pub mod routes;
pub mod routing;
pub mod send_deadline;
pub mod server;
pub mod signature;
pub mod signed_url;
pub mod source;
pub mod transform;
pub mod upload;
