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
//! - [`security`]: the security headers and the same-origin check on the form post.
//! - [`error_pages`]: the error page for every error response.
//! - [`request_log`]: each request's log line and metrics.
//! - [`client`]: who a request comes from; [`rate_limit`]: per-client limits on the routes that start work at Linode.
//! - [`pages`]: the askama pages; [`page_cache`]: the plain form, rendered once per catalog.
//! - [`job`]: a deploy as a job the request does not own; [`delivery`]: its result, shown once.
//! - [`apps`]: the apps the service deploys; [`dashboard`]: their outcomes summed and drawn for `/admin`.

pub mod apps;
pub mod client;
pub mod dashboard;
pub mod delivery;
pub mod error;
pub mod error_pages;
pub mod job;
pub mod page_cache;
pub mod pages;
pub mod rate_limit;
pub mod request_log;
pub mod routes;
pub mod security;
pub mod session;
pub mod state;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::handler::Handler;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{get, post};
use secrecy::ExposeSecret;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::{Key, SameSite};
use tower_sessions::service::SignedCookie;
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore};

use crate::stores::IDLE_TIMEOUT;
use error::AppError;
use rate_limit::RateLimit;
use routes::{admin, assets, callback, configure, health, progress, share};
use state::AppState;

/// Name of the session cookie over http (local tries, the sandbox).
pub const SESSION_COOKIE: &str = "iol_session";
/// Name of the session cookie when the public URL is https: the `__Host-`
/// prefix makes browsers refuse it unless it is Secure, for `/`, and bound to
/// this exact host (no `Domain`), so no sibling subdomain can set or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-iol_session";
/// `Strict-Transport-Security` when the public URL is https: a year, this host
/// only (the publisher's other subdomains are theirs to decide).
pub const HSTS: &str = "max-age=31536000";
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
/// The routes that start work at Linode are limited per client, and the
/// dashboard (only with `APP_ADMIN_TOKEN`) with a limit of its own.
fn routes<S>(
    sessions: SessionManagerLayer<S, SignedCookie>,
    limits: Arc<RateLimit>,
    dashboard: Option<Arc<RateLimit>>,
) -> Router<AppState>
where
    S: SessionStore + Clone,
{
    let limited = from_fn_with_state(limits, rate_limit::enforce);
    // Without APP_ADMIN_TOKEN there is no dashboard: /admin is the 404 of any unknown page.
    let admin = match dashboard {
        Some(limits) => Router::new().route(
            "/admin",
            get(admin::page.layer(from_fn_with_state(limits, rate_limit::enforce))).layer(no_store()),
        ),
        None => Router::new(),
    };
    Router::new()
        .merge(admin)
        .route(
            "/",
            get(configure::show.layer(sessions.clone()))
                .post(configure::submit.layer(sessions.clone()).layer(limited.clone())),
        )
        .route(
            "/auth_callback",
            // The callback's pages show a root password or carry a code: never cache them.
            // Outside the session layer: a store failing as the page leaves
            // never hides a server that was created.
            get(callback::callback
                .layer(sessions.clone())
                .layer(from_fn(delivery::keep_shown))
                .layer(limited.clone()))
            .layer(no_store()),
        )
        .route(
            "/apps/{slug}",
            get(configure::show_app.layer(sessions.clone()))
                .post(configure::submit_app.layer(sessions.clone()).layer(limited)),
        )
        .route("/apps/{slug}/share", get(share::share))
        .route("/apps/{slug}/button.svg", get(share::button))
        .route("/apps/{slug}/script", get(share::script))
        .route("/deploys/latest", get(progress::latest.layer(sessions.clone())).layer(no_store()))
        .route("/deploys/{id}", get(progress::page.layer(sessions.clone())).layer(no_store()))
        .route("/deploys/{id}/status", get(progress::status.layer(sessions.clone())).layer(no_store()))
        .route("/deploys/{id}/delete", post(progress::delete.layer(sessions.clone())).layer(no_store()))
        .route("/deploys/{id}/events", get(progress::events.layer(sessions)).layer(no_store()))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/static/{file}", get(assets::serve))
        .fallback(|| async { AppError::NotFound })
}

/// The full router: routes, the sandbox's (`extra`) when running as one,
/// and the layers every request passes, outermost first:
///
/// 1. request id: kept from the request (a proxy's `X-Request-Id`) or made, and echoed;
/// 2. security headers on every response, error pages included (and HSTS over https);
/// 3. the request's log line (tower-http `TraceLayer`);
/// 4. its metrics, when a metrics listener is configured;
/// 5. error pages for every error response;
/// 6. a request timeout, then a body limit.
///
/// The per-client limits sit in the route table, on the routes they apply to.
pub fn router(state: AppState, extra: Option<Router>) -> Router {
    let settings = &state.settings;
    let sessions = SessionManagerLayer::new(state.shared.sessions.clone())
        .with_signed(Key::derive_from(settings.secret_key.expose_secret().as_bytes()))
        .with_name(if settings.is_https() { SECURE_SESSION_COOKIE } else { SESSION_COOKIE })
        .with_path("/")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.is_https())
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(IDLE_TIMEOUT.as_secs() as i64)));
    let limits = RateLimit::new(settings.rate_limit_per_minute, state.clients.clone());
    let dashboard =
        settings.admin_token.as_ref().map(|_| RateLimit::new(admin::PER_MINUTE, state.clients.clone()));
    let chrome = state.chrome.clone();
    let [csp, referrer, nosniff, frames] = security::headers(&state.login.browser_origin());
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| request_log::span(request))
        .on_request(())
        .on_response(|response: &Response, latency, span: &tracing::Span| {
            request_log::line(response, latency, span)
        })
        .on_body_chunk(())
        .on_eos(())
        .on_failure(());
    let edge = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetResponseHeaderLayer::overriding(csp.0, csp.1))
        .layer(SetResponseHeaderLayer::overriding(referrer.0, referrer.1))
        .layer(SetResponseHeaderLayer::overriding(nosniff.0, nosniff.1))
        .layer(SetResponseHeaderLayer::overriding(frames.0, frames.1))
        .option_layer(settings.is_https().then(|| {
            SetResponseHeaderLayer::overriding(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            )
        }))
        .layer(trace)
        .option_layer(settings.metrics_addr.map(|_| from_fn(request_log::metrics)))
        .map_response(move |response| error_pages::render(&chrome, response))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    routes(sessions, limits, dashboard).with_state(state.clone()).merge(extra.unwrap_or_default()).layer(edge)
}
