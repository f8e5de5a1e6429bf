//! The simulated account: the signed-in user's profile and grants (any live
//! token may read them), and the account's OAuth clients (`account` scope).
//! A client registered here is one the simulated login server accepts.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::{authorize, bearer};
use super::filter;
use super::state::{OAuthClientRecord, SandboxState, SimUser, random_token};
use super::wire::{self, ApiError, ApiResult, paging};
use crate::linode::{Access, Scope};

/// Fields the schema marks filterable on OAuth clients.
pub const CLIENTS_FILTERABLE: &[&str] = &["label", "public"];

const ACCOUNT_READ: Scope = Scope::Family("account", Access::ReadOnly);
const ACCOUNT_WRITE: Scope = Scope::Family("account", Access::ReadWrite);

/// `GET /profile`: any live token may read it, whatever its scopes.
pub async fn profile(State(sandbox): State<Arc<SandboxState>>, headers: HeaderMap) -> ApiResult {
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
pub async fn grants(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
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

/// A client as Linode shows it: the secret only when `secret` is given.
fn shown(client: &OAuthClientRecord, secret: Option<&str>) -> Value {
    json!({
        "id": client.id, "label": client.label, "redirect_uri": client.redirect_uri,
        "public": client.public, "status": "active", "thumbnail_url": null,
        "secret": secret.unwrap_or("<REDACTED>")
    })
}

/// `GET /account/oauth-clients`.
pub async fn list_clients(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    query: Result<Query<wire::Paging>, QueryRejection>,
) -> ApiResult {
    authorize(&sandbox, &headers, ACCOUNT_READ)?;
    let mut clients: Vec<OAuthClientRecord> = sandbox.records().clients.values().cloned().collect();
    clients.sort_by(|a, b| a.id.cmp(&b.id));
    let items = clients.iter().map(|c| shown(c, None)).collect();
    wire::page(filter::apply(items, &headers, CLIENTS_FILTERABLE)?, &paging(query))
}

/// `GET /account/oauth-clients/{id}`.
pub async fn show_client(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    authorize(&sandbox, &headers, ACCOUNT_READ)?;
    let records = sandbox.records();
    let client = records.clients.get(&id).ok_or_else(ApiError::not_found)?;
    Ok(Json(shown(client, None)))
}

/// `POST /account/oauth-clients`: `{label, redirect_uri, public}`; the
/// answer carries the secret, this once.
pub async fn create_client(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult {
    authorize(&sandbox, &headers, ACCOUNT_WRITE)?;
    let body = wire::json_object(body)?;
    let mut errors = Vec::new();
    let label = checked_label(body.get("label"), &mut errors);
    let redirect_uri = checked_redirect(body.get("redirect_uri"), &mut errors);
    if body.get("public").is_some_and(|p| !p.is_boolean()) {
        errors.push(("public".into(), "public must be true or false".into()));
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let client = OAuthClientRecord {
        id: crate::random::hex(10),
        secret: random_token(),
        label: label.unwrap_or_default(),
        redirect_uri: redirect_uri.unwrap_or_default(),
        public: body.get("public").and_then(Value::as_bool).unwrap_or(false),
    };
    sandbox.records().clients.insert(client.id.clone(), client.clone());
    Ok(Json(shown(&client, Some(&client.secret))))
}

/// `PUT /account/oauth-clients/{id}`: only the fields given change.
pub async fn update_client(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult {
    authorize(&sandbox, &headers, ACCOUNT_WRITE)?;
    let body = wire::json_object(body)?;
    let mut errors = Vec::new();
    let label = body.get("label").map(|l| checked_label(Some(l), &mut errors));
    let redirect = body.get("redirect_uri").map(|r| checked_redirect(Some(r), &mut errors));
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let mut records = sandbox.records();
    let client = records.clients.get_mut(&id).ok_or_else(ApiError::not_found)?;
    if let Some(Some(label)) = label {
        client.label = label;
    }
    if let Some(Some(redirect)) = redirect {
        client.redirect_uri = redirect;
    }
    Ok(Json(shown(client, None)))
}

/// `POST /account/oauth-clients/{id}/reset-secret`: a new secret, shown once.
pub async fn reset_secret(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    authorize(&sandbox, &headers, ACCOUNT_WRITE)?;
    let mut records = sandbox.records();
    let client = records.clients.get_mut(&id).ok_or_else(ApiError::not_found)?;
    client.secret = random_token();
    Ok(Json(shown(client, Some(&client.secret.clone()))))
}

/// `DELETE /account/oauth-clients/{id}`: its sign-ins stop at once.
pub async fn delete_client(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    authorize(&sandbox, &headers, ACCOUNT_WRITE)?;
    let mut records = sandbox.records();
    records.clients.remove(&id).ok_or_else(ApiError::not_found)?;
    Ok(Json(json!({})))
}

fn checked_label(label: Option<&Value>, errors: &mut Vec<(String, String)>) -> Option<String> {
    match label.and_then(Value::as_str) {
        Some(l) if (1..=512).contains(&l.chars().count()) => Some(l.to_owned()),
        _ => {
            errors.push(("label".into(), "Label must be 1-512 characters".into()));
            None
        }
    }
}

fn checked_redirect(uri: Option<&Value>, errors: &mut Vec<(String, String)>) -> Option<String> {
    let parsed = uri.and_then(Value::as_str).and_then(|u| url::Url::parse(u).ok());
    let local = |u: &url::Url| matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match parsed {
        Some(u) if u.scheme() == "https" || (u.scheme() == "http" && local(&u)) => Some(u.to_string()),
        _ => {
            errors.push((
                "redirect_uri".into(),
                "redirect_uri must be an https URL, or http on localhost".into(),
            ));
            None
        }
    }
}
