//! The service's own API under `/_pixgate/` (contract §6).

use axum::extract::State;
use axum::response::Response;

use crate::error::{Error, RequestError};
use crate::server::AppState;

/// Liveness: the process is up and answering.
pub async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// The reserved prefix is never an image path: anything not defined here is a 404.
pub async fn unknown(State(app): State<AppState>) -> Response {
    Error::Request(RequestError::UnknownApi).into_response_for(&app.next_request_id())
}
