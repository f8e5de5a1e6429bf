//! The route table, in one place.

mod assets;
mod callback;
mod configure;
mod health;
mod progress;

use axum::Router;
use axum::handler::Handler;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::service::SignedCookie;
use tower_sessions::{SessionManagerLayer, SessionStore};

use crate::error::AppError;
use crate::state::AppState;

fn no_store() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
}

/// Every route of the app, without the cross-cutting layers. Only the routes
/// that use the visitor's session get the `sessions` layer: showing the form
/// needs no session and sets no cookie.
pub fn routes<S>(sessions: SessionManagerLayer<S, SignedCookie>) -> Router<AppState>
where
    S: SessionStore + Clone,
{
    Router::new()
        .route("/", get(configure::show).post(configure::submit.layer(sessions.clone())))
        .route(
            "/auth_callback",
            // The callback's pages show a root password or carry a code: never cache them.
            get(callback::callback.layer(sessions.clone())).layer(no_store()),
        )
        .route("/deploys/{id}", get(progress::page.layer(sessions.clone())).layer(no_store()))
        .route("/deploys/{id}/status", get(progress::status.layer(sessions.clone())).layer(no_store()))
        .route("/deploys/{id}/events", get(progress::events.layer(sessions)).layer(no_store()))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/static/{file}", get(assets::serve))
        .fallback(|| async { AppError::NotFound })
}
