//! The simulated API v4: the public catalog, instances, and (for the set-up
//! commands) OAuth clients and StackScripts.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::data;
use super::state::{IssuedToken, SandboxState, SimInstance, SimUser};
use super::wire::{self, ApiError, Paging};
use crate::linode::{Access, OAuthScopes, Scope};

/// `/sandbox/v4/...` routes.
pub fn routes() -> Router<Arc<SandboxState>> {
    Router::new()
        .route("/linode/types", get(types))
        .route("/regions", get(regions))
        .route("/linode/stackscripts/{id}", get(stackscript))
        .route("/linode/instances", axum::routing::post(create_instance))
        .route("/linode/instances/{id}", get(instance))
        .route("/profile", get(profile))
        .route("/profile/grants", get(grants))
        // Linode answers every path and method it does not serve in its own
        // error shape; its command-line client cannot read an HTML page.
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
}

type ApiResult = Result<Json<Value>, ApiError>;

fn paging(query: Result<Query<Paging>, QueryRejection>) -> Paging {
    query.map(|Query(p)| p).unwrap_or_default()
}

async fn types(headers: HeaderMap, query: Result<Query<Paging>, QueryRejection>) -> ApiResult {
    let items = wire::filter(data::types(), &headers, &["label", "class", "id"])?;
    wire::page(items, &paging(query))
}

async fn regions(headers: HeaderMap, query: Result<Query<Paging>, QueryRejection>) -> ApiResult {
    let items = wire::filter(data::regions(), &headers, &["country", "id", "status"])?;
    wire::page(items, &paging(query))
}

async fn stackscript(State(sandbox): State<Arc<SandboxState>>, Path(id): Path<String>) -> ApiResult {
    let id: u64 = id.parse().map_err(|_| ApiError::not_found())?;
    let records = sandbox.records();
    let script = records.stackscripts.get(&id).ok_or_else(ApiError::not_found)?;
    // A private StackScript is not readable without its owner's token.
    if script["is_public"] != json!(true) {
        return Err(ApiError::not_found());
    }
    Ok(Json(script.clone()))
}

/// The token's scopes, if it is a live bearer token that covers `needed`.
pub(super) fn authorize(
    sandbox: &SandboxState,
    headers: &HeaderMap,
    needed: Scope,
) -> Result<OAuthScopes, ApiError> {
    let scopes = bearer(sandbox, headers)?.scopes;
    if scopes.allows(needed) { Ok(scopes) } else { Err(ApiError::scope()) }
}

/// The live token in the `Authorization` header, whatever its scopes.
fn bearer(sandbox: &SandboxState, headers: &HeaderMap) -> Result<IssuedToken, ApiError> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(ApiError::invalid_token)?;
    sandbox.live_token(token.trim()).ok_or_else(ApiError::invalid_token)
}

/// `GET /profile`: any live token may read it, whatever its scopes.
async fn profile(State(sandbox): State<Arc<SandboxState>>, headers: HeaderMap) -> ApiResult {
    let user = bearer(&sandbox, &headers)?.user;
    Ok(Json(json!({
        "username": user.username(),
        "email": format!("{}@example.com", user.username()),
        "restricted": user != SimUser::Owner,
        "uid": 1000 + SimUser::ALL.iter().position(|u| *u == user).unwrap_or(0),
        "timezone": "UTC",
        "email_notifications": true,
        "ip_whitelist_enabled": false,
        "lish_auth_method": "keys_only",
        "authorized_keys": null,
        "two_factor_auth": false,
        "referrals": {"code": "", "url": "", "total": 0, "completed": 0, "pending": 0, "credit": 0},
        "authentication_type": "password",
        "verified_phone_number": null
    })))
}

/// `GET /profile/grants`: 204 with no body for the owner, the grants of a
/// restricted user otherwise; any live token may read it.
async fn grants(State(sandbox): State<Arc<SandboxState>>, headers: HeaderMap) -> Result<Response, ApiError> {
    let user = bearer(&sandbox, &headers)?.user;
    if user == SimUser::Owner {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(Json(json!({
        "global": {
            "account_access": null, "add_databases": false, "add_domains": false, "add_firewalls": false,
            "add_images": false, "add_linodes": user.may_add_linodes(), "add_longview": false,
            "add_nodebalancers": false, "add_placement_groups": false, "add_stackscripts": false,
            "add_volumes": false, "add_vpcs": false, "cancel_account": false,
            "child_account_access": null, "longview_subscription": false
        },
        "linode": [], "stackscript": [], "domain": [], "nodebalancer": [], "image": [], "longview": [],
        "volume": [], "database": [], "firewall": [], "vpc": [], "placement_group": []
    }))
    .into_response())
}

async fn create_instance(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult {
    authorize(&sandbox, &headers, Scope::Family("linodes", Access::ReadWrite))?;
    if !bearer(&sandbox, &headers)?.user.may_add_linodes() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "Unauthorized"));
    }
    let Ok(Json(Value::Object(body))) = body else {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "Request body must be a JSON object"));
    };
    let mut records = sandbox.records();
    let stackscript = match body.get("stackscript_id") {
        None | Some(Value::Null) => None,
        Some(id) => match id.as_u64().and_then(|id| records.stackscripts.get(&id)) {
            Some(script) => Some(script.clone()),
            None => {
                return Err(ApiError::fields(vec![(
                    "stackscript_id".into(),
                    "StackScript not found".into(),
                )]));
            }
        },
    };
    let errors = super::validate::create(&body, stackscript.as_ref());
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    records.next_id += 1;
    let id = records.next_id;
    let label =
        body.get("label").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| format!("linode{id}"));
    let tags = body.get("tags").cloned().unwrap_or_else(|| json!([]));
    let instance = json!({
        "id": id,
        "label": label,
        "group": body.get("group").and_then(Value::as_str).unwrap_or(""),
        "tags": tags,
        "status": "provisioning",
        "ipv4": [format!("192.0.2.{}", id % 254 + 1)],
        "ipv6": format!("2001:db8::{:x}/128", id),
        "region": body["region"],
        "type": body["type"],
        "image": body.get("image").cloned().unwrap_or(Value::Null),
        "created": "2026-11-23T10:00:00",
        "updated": "2026-11-23T10:00:00",
        "hypervisor": "kvm",
        "specs": {"disk": 25600, "memory": 1024, "vcpus": 1, "gpus": 0, "transfer": 1000},
        "alerts": {}, "watchdog_enabled": true,
        "backups": {"enabled": body.get("backups_enabled") == Some(&json!(true)), "available": false}
    });
    records.instances.insert(id, SimInstance { body: instance.clone(), created: Instant::now() });
    records.instance_order.push_back(id);
    while records.instance_order.len() > super::state::MAX_RECORDS {
        if let Some(old) = records.instance_order.pop_front() {
            records.instances.remove(&old);
        }
    }
    Ok(Json(instance))
}

async fn instance(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    authorize(&sandbox, &headers, Scope::Family("linodes", Access::ReadOnly))?;
    let id: u64 = id.parse().map_err(|_| ApiError::not_found())?;
    let records = sandbox.records();
    let instance = records.instances.get(&id).ok_or_else(ApiError::not_found)?;
    let mut body = instance.body.clone();
    let elapsed = instance.created.elapsed();
    let boot_time = sandbox.boot_time();
    let status = if elapsed < boot_time / 2 {
        "provisioning"
    } else if elapsed < boot_time {
        "booting"
    } else {
        "running"
    };
    if let Value::Object(map) = &mut body {
        map.insert("status".into(), json!(status));
    }
    Ok(Json(body))
}
