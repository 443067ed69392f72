//! The HTTP shell, and the only place that names hyper, hyper-util or the HTTP body traits: the
//! connection loop (`server`), the edge every request passes (`edge`: ids, caps, deadlines,
//! metrics, access log), the one endpoint table (`endpoints`), the handlers that read a request
//! and call the app, and the respond stage that turns what the app gives into HTTP answers.

mod body;
mod connection;
mod edge;
mod endpoints;
mod handlers;
mod respond;
mod server;

pub use body::Body;
pub use edge::Edge;
pub use server::{Stopped, run};

use crate::app::AppState;

/// The edge and everything behind it, for a state: what hyper serves, and what in-process
/// benches drive to see what a client would.
pub fn edge(state: AppState) -> Edge {
    Edge::new(state)
}
