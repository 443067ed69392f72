//! The service's own API under `/_pixgate/` (contract §6).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::{Error, RequestError};
use crate::server::AppState;

/// Liveness: the process is up and answering.
pub async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// Prometheus text exposition of the caches and the renderer.
pub async fn metrics(State(app): State<AppState>) -> Response {
    let body = crate::metrics::render(&app);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// The reserved prefix is never an image path: anything not defined here is a 404.
pub async fn unknown(State(app): State<AppState>) -> Response {
    Error::Request(RequestError::UnknownApi).into_response_for(&app.next_request_id())
}
