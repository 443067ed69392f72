//! The service's own API under `/_pixgate/` (contract §6).

/// Liveness: the process is up and answering.
pub async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}
