//! The simulated API v4: its route table, the public catalog (plans,
//! regions, images), and what every answer shares: the bearer token check
//! and the headers Linode sends (`X-OAuth-Scopes`, `X-Accepted-OAuth-Scopes`,
//! `X-RateLimit-*`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::QueryRejection;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::auth::bearer;
use super::state::SandboxState;
use super::wire::{self, ApiError, ApiResult, Paging, paging};
use super::{account, data, filter, instances, stackscripts};

/// Fields the schema marks filterable on plans.
pub const TYPES_FILTERABLE: &[&str] =
    &["class", "disk", "gpus", "label", "memory", "network_out", "transfer", "vcpus"];
/// Fields the schema marks filterable on regions (`site-type` in the schema, `site_type` on the wire).
pub const REGIONS_FILTERABLE: &[&str] = &["country", "site-type=site_type"];
/// Fields the schema marks filterable on images.
pub const IMAGES_FILTERABLE: &[&str] =
    &["deprecated", "is_public", "label", "size", "status", "tags", "type", "vendor"];

/// Requests Linode allows a token a minute, as its `X-RateLimit-Limit` says.
pub const RATE_LIMIT: u64 = 1600;

/// `/sandbox/v4/...` routes.
pub fn routes(sandbox: Arc<SandboxState>) -> Router<Arc<SandboxState>> {
    Router::new()
        .route("/linode/types", get(types))
        .route("/linode/types/{id}", get(one_type))
        .route("/regions", get(regions))
        .route("/regions/{id}", get(one_region))
        .route("/images", get(images))
        .route("/images/{*id}", get(one_image))
        .route("/linode/stackscripts", get(stackscripts::list).post(stackscripts::create))
        .route("/linode/stackscripts/{id}", get(stackscripts::show).put(stackscripts::update))
        .route("/linode/instances", get(instances::list).post(instances::create))
        .route("/linode/instances/{id}", get(instances::show).delete(instances::delete))
        .route("/linode/instances/{id}/ips", get(instances::ips))
        .route("/profile", get(account::profile))
        .route("/profile/grants", get(account::grants))
        .route("/account/oauth-clients", get(account::list_clients).post(account::create_client))
        .route(
            "/account/oauth-clients/{id}",
            get(account::show_client).put(account::update_client).delete(account::delete_client),
        )
        .route("/account/oauth-clients/{id}/reset-secret", post(account::reset_secret))
        // Linode answers every path and method it does not serve in its own
        // error shape; its command-line client cannot read an HTML page.
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(axum::middleware::from_fn_with_state(sandbox, linode_headers))
}

async fn types(headers: HeaderMap, query: Result<Query<Paging>, QueryRejection>) -> ApiResult {
    wire::page(filter::apply(data::types(), &headers, TYPES_FILTERABLE)?, &paging(query))
}

async fn one_type(Path(id): Path<String>) -> ApiResult {
    data::types().into_iter().find(|t| t["id"] == id.as_str()).map(Json).ok_or_else(ApiError::not_found)
}

async fn regions(headers: HeaderMap, query: Result<Query<Paging>, QueryRejection>) -> ApiResult {
    wire::page(filter::apply(data::regions(), &headers, REGIONS_FILTERABLE)?, &paging(query))
}

async fn one_region(Path(id): Path<String>) -> ApiResult {
    data::regions().into_iter().find(|r| r["id"] == id.as_str()).map(Json).ok_or_else(ApiError::not_found)
}

async fn images(headers: HeaderMap, query: Result<Query<Paging>, QueryRejection>) -> ApiResult {
    wire::page(filter::apply(data::images(), &headers, IMAGES_FILTERABLE)?, &paging(query))
}

async fn one_image(Path(id): Path<String>) -> ApiResult {
    data::images().into_iter().find(|i| i["id"] == id.as_str()).map(Json).ok_or_else(ApiError::not_found)
}

/// The scope an endpoint accepts, as Linode names it in `X-Accepted-OAuth-Scopes`.
fn accepted_scope(method: &Method, route: &str) -> Option<&'static str> {
    let write = !matches!(*method, Method::GET | Method::HEAD);
    // The matched route carries the prefix the API is nested under.
    let (read_scope, write_scope) = if route.contains("/linode/instances") {
        ("linodes:read_only", "linodes:read_write")
    } else if route.contains("/linode/stackscripts") {
        ("stackscripts:read_only", "stackscripts:read_write")
    } else if route.contains("/account/") {
        ("account:read_only", "account:read_write")
    } else {
        return None;
    };
    Some(if write { write_scope } else { read_scope })
}

/// Adds the headers Linode sends on its API answers: the token's scopes and
/// the scope the endpoint accepts, where a token is involved, and the rate
/// limit of the current minute on every answer.
async fn linode_headers(State(sandbox): State<Arc<SandboxState>>, request: Request, next: Next) -> Response {
    static WINDOW: AtomicU64 = AtomicU64::new(0);
    static USED: AtomicU64 = AtomicU64::new(0);
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let accepted = route.as_deref().and_then(|r| accepted_scope(request.method(), r));
    let scopes = bearer(&sandbox, request.headers()).ok().map(|t| t.scopes.to_string());
    let mut response = next.run(request).await;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let minute = now / 60;
    if WINDOW.swap(minute, Ordering::Relaxed) != minute {
        USED.store(0, Ordering::Relaxed);
    }
    let used = USED.fetch_add(1, Ordering::Relaxed) + 1;
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("x-ratelimit-limit", RATE_LIMIT.to_string());
    set("x-ratelimit-remaining", RATE_LIMIT.saturating_sub(used).to_string());
    set("x-ratelimit-reset", ((minute + 1) * 60).to_string());
    if let Some(scopes) = scopes {
        set("x-oauth-scopes", scopes);
    }
    if let Some(accepted) = accepted {
        set("x-accepted-oauth-scopes", accepted.to_owned());
    }
    response
}
