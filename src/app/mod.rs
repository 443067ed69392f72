//! What a request does, with no HTTP framework in sight: the state built from the config, the
//! sites (a source with its store and uploads), the pipeline (verify → cache key → caches →
//! original → render workers), the one table of errors to statuses, and the counters. The HTTP
//! layer above calls into it; the stages below know nothing of it.

pub mod error;
pub mod fonts;
pub mod metrics;
pub mod pipeline;
pub mod playground;
pub mod presets;
pub mod put;
pub mod render_pool;
pub mod site;
pub mod state;

pub use error::{Described, Error, RequestError};
pub use pipeline::{Derivative, Output, Pipeline, Scope, Served, Target};
pub use put::Put;
pub use site::Site;
pub use state::{AppState, Clock, SiteReadiness, system_clock};
