//! The route table, in one place.

mod assets;
mod callback;
mod configure;
mod health;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;
use crate::state::AppState;

/// Every route of the app, without the cross-cutting layers.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(configure::show).post(configure::submit))
        .route(
            "/auth_callback",
            // The callback's pages show a root password or carry a code: never cache them.
            get(callback::callback).layer(SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            )),
        )
        .route("/healthz", get(health::healthz))
        .route("/static/{file}", get(assets::serve))
        .fallback(|| async { AppError::NotFound })
}
