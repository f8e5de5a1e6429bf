//! `GET /healthz` (liveness: the process serves; calls nothing upstream) and
//! `GET /readyz` (readiness: the catalog can be served and the session store
//! answers; with several apps, every app's catalog), for load balancers and orchestrators.

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
    // Every app's catalog: a service that cannot show one of its forms is not ready.
    let catalog = async {
        for app in state.apps.iter() {
            let loaded = app.catalog.is_loaded().await
                || matches!(tokio::time::timeout(Duration::from_secs(3), app.catalog.get()).await, Ok(Ok(_)));
            if !loaded {
                return false;
            }
        }
        true
    };
    let (catalog, sessions) = tokio::join!(catalog, state.shared.ready());
    let status = if catalog && sessions { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({"ready": catalog && sessions, "catalog": catalog, "sessions": sessions})))
        .into_response()
}
