//! The HTTP edge: the route table and every layer a request passes, in order.
//!
//! Handlers live one per page in [`routes`]; what they share in [`state`];
//! the one error type in [`error`]; the askama pages in [`pages`]. The rule
//! of this module: a handler parses its input into the domain's types
//! ([`crate::form`]), hands the work to [`crate::deploy`], and renders a
//! page; nothing here talks to Linode directly.
//!
//! # Layout
//! - [`routes`]: one file per page (configure, callback, progress, health, assets).
//! - [`state`]: what handlers share; [`session`]: what a visitor's session holds.
//! - [`error`]: [`error::AppError`], each variant a status and words a visitor can act on.
//! - [`edge`]: request ids, error pages, security headers, metrics and the request log.
//! - [`rate_limit`]: per-client limits on the routes that start work at Linode.
//! - [`pages`]: the askama pages; [`page_cache`]: the plain form, rendered once per catalog.

pub mod edge;
pub mod error;
pub mod page_cache;
pub mod pages;
pub mod rate_limit;
pub mod routes;
pub mod session;
pub mod state;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::get;
use secrecy::ExposeSecret;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_sessions::cookie::{Key, SameSite};
use tower_sessions::service::SignedCookie;
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore};

use crate::stores::IDLE_TIMEOUT;
use edge::{Edge, security_headers};
use error::AppError;
use rate_limit::RateLimit;
use routes::{assets, callback, configure, health, progress};
use state::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "iol_session";
/// The longest one request may take (a deploy makes three calls to Linode).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest request body accepted.
pub const BODY_LIMIT: usize = 16 * 1024;

fn no_store() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
}

/// Every route of the app, without the cross-cutting layers. Only the routes
/// that use the visitor's session get the `sessions` layer: showing the form
/// needs no session and sets no cookie.
fn routes<S>(sessions: SessionManagerLayer<S, SignedCookie>) -> Router<AppState>
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

/// The full router: routes, the sandbox's (`extra`) when running as one, and
/// the layers every request passes: the edge (ids, limits, error pages,
/// headers, metrics, logs), a request timeout and a body limit.
pub fn router(state: AppState, extra: Option<Router>) -> Router {
    let settings = &state.settings;
    let sessions = SessionManagerLayer::new(state.shared.sessions.clone())
        .with_signed(Key::derive_from(settings.secret_key.expose_secret().as_bytes()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.is_https())
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(IDLE_TIMEOUT.as_secs() as i64)));
    let edge = Arc::new(Edge {
        chrome: state.chrome.clone(),
        headers: security_headers(&state.login.browser_origin()),
        limits: RateLimit::new(settings.rate_limit_per_minute, settings.trusted_proxies.clone()),
        metrics: settings.metrics_addr.is_some(),
    });
    routes(sessions)
        .with_state(state.clone())
        .merge(extra.unwrap_or_default())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(axum::middleware::from_fn_with_state(edge, edge::edge))
}
