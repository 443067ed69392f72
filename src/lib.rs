//! pixgate: an image transformation CDN origin. This is the one module map (README.md links
//! here).
//!
//! A GET of a storage path passes through the stages in this order (the signature is checked
//! over the raw URL before the query is parsed into a transform):
//!
//! ```text
//! request ─► route ─► verify ─► canonicalize ─► cache ─► source ─► render ─► respond
//! http/edge  routing  signature/ transform/      cache/   source/   render/   http/respond
//!                     └─ app::pipeline drives verify, then cache → source → render ─┘
//! ```
//!
//! Layers import downward only — `http → app → stages` — so the import graph of the top-level
//! modules has no cycle (`tests/integration/layers.rs` checks it, and that nothing outside
//! `http/` and `main.rs` names hyper, hyper-util, tower, axum or http-body).
//!
//! | layer | module | owns |
//! |---|---|---|
//! | shell | `http/` | the connection loop and its deadlines (`server`), the edge (request id, head caps, body deadline, metrics, access log), the one endpoint table (`endpoints`), thin handlers (`handlers/`: image, upload, api, signatures, files, playground), the respond stage (`respond/`: validators, `Cache-Control`, `Vary`, `Range`, `HEAD`, the JSON envelope, error → response) |
//! | app | `app/` | `AppState` (config, sites, pipeline, counters, clock, request ids), `Site` (a source with its store and uploads), `Pipeline` (verify → cache key → derivative cache and its disk and shared tiers → originals cache → render workers; layers, fonts, faces), `presets` (presets, presets-only, bounded widths), `render_pool` (workers behind a bounded queue), `playground` (sources and folder listings for the opt-in page), `error` (every failure → status, code, safe message), `metrics` (counters and their Prometheus text) |
//! | route | `routing` | which source serves a `Host` and path |
//! | parse | `transform/` | query pairs → typed `Params`/`Transform` → canonical form |
//! | verify | `signature/` | `s` (MD5) and `signature` (HMAC) schemes, expiry, method, TTL; pure |
//! | cache | `cache/` | a generic byte-weighed LRU with single-flight, and the disk tier's checksummed records; no HTTP, no images |
//! | source | `source/` | `StorageKey` and the stores (local folder, S3 bucket, HTTP origin) originals are read from; the playground's bounded folder listing |
//! | render | `render/` | decode (limits, EXIF), geometry, resize, effects, layers (marks, blends, text), faces, encode; pure CPU |
//! | upload | `upload/` | `PUT` bodies and resumable chunks, atomic commit, File objects |
//! | config | `config/` | `pixgate.toml` + environment, validated once; the key registry behind the docs' table |
//! | signing | `signed_url` | URLs for `pixgate sign`, the start-up examples and the signatures API |
//! | bench | `bench` | `pixgate bench`: the render stage timed over files |
//! | command line | `cli` | the clap definition of every subcommand and flag; completions and man pages generated from it |
//! | — | `hex` | the one lowercase-hex encoder |
//! | — | `histogram` | the one latency histogram (atomic buckets), for the metrics and the stages that time themselves |

pub mod app;
pub mod bench;
pub mod cache;
pub mod cli;
pub mod config;
pub mod hex;
pub mod histogram;
pub mod http;
pub mod render;
pub mod routing;
pub mod signature;
pub mod signed_url;
pub mod source;
pub mod transform;
pub mod upload;
