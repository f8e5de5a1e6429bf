//! `GET /healthz` (liveness: the process serves; calls nothing upstream) and
//! `GET /readyz` (readiness: the catalog can be served and the session store
//! answers), for load balancers and orchestrators.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::web::state::AppState;

/// Liveness: always `ok` while the server answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: 200 when both hold, 503 (saying which does not) otherwise.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let catalog = async {
        state.catalog.is_loaded().await
            || matches!(tokio::time::timeout(Duration::from_secs(3), state.catalog.get()).await, Ok(Ok(_)))
    };
    let (catalog, sessions) = tokio::join!(catalog, state.shared.ready());
    let status = if catalog && sessions { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({"ready": catalog && sessions, "catalog": catalog, "sessions": sessions})))
        .into_response()
}
