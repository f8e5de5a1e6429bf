//! `/linode/instances`: create, list, read, addresses and delete, with the
//! visitor's token. An instance looks like its plan (`specs` from the type)
//! and carries the fields the schema lists; its status is computed on read,
//! from provisioning through booting to running.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::auth::{authorize, bearer};
use super::data;
use super::filter;
use super::state::{SandboxState, SimInstance};
use super::wire::{self, ApiError, ApiResult, paging};
use crate::linode::{Access, Scope};

/// Fields the schema marks filterable on instances.
pub const FILTERABLE: &[&str] = &["group", "id", "ipv4", "label", "region", "tags"];

const READ: Scope = Scope::Family("linodes", Access::ReadOnly);
const WRITE: Scope = Scope::Family("linodes", Access::ReadWrite);

/// `POST /linode/instances`.
pub async fn create(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult {
    authorize(&sandbox, &headers, WRITE)?;
    if !bearer(&sandbox, &headers)?.user.may_add_linodes() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "Unauthorized"));
    }
    let body = wire::json_object(body)?;
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
    let plan = data::types().into_iter().find(|t| t["id"] == body["type"]).unwrap_or_default();
    let now = data::now();
    let instance = json!({
        "id": id,
        "label": label,
        "group": body.get("group").and_then(Value::as_str).unwrap_or(""),
        "tags": body.get("tags").cloned().unwrap_or_else(|| json!([])),
        "status": "provisioning",
        "ipv4": [format!("192.0.2.{}", id % 254 + 1)],
        "ipv6": format!("2001:db8::{id:x}/128"),
        "region": body["region"],
        "type": body["type"],
        "image": body.get("image").cloned().unwrap_or(Value::Null),
        "created": now,
        "updated": now,
        "hypervisor": "kvm",
        "specs": {
            "disk": plan["disk"], "memory": plan["memory"], "vcpus": plan["vcpus"],
            "gpus": plan["gpus"], "transfer": plan["transfer"]
        },
        "alerts": {"cpu": 90, "io": 10000, "network_in": 10, "network_out": 10, "transfer_quota": 80},
        "backups": {
            "enabled": body.get("backups_enabled") == Some(&json!(true)), "available": false,
            "schedule": {"day": null, "window": null}, "last_successful": null
        },
        "capabilities": [],
        "has_user_data": body.get("metadata").is_some(),
        "host_uuid": format!("{:032x}", id),
        "watchdog_enabled": true,
        "disk_encryption": "disabled",
        "lke_cluster_id": null,
        "placement_group": null,
        "site_type": "core"
    });
    let fails_install =
        body.get("stackscript_data").and_then(|d| d.get("simulate_failure")).is_some_and(|v| v == "Yes");
    records
        .instances
        .insert(id, SimInstance { body: instance.clone(), created: Instant::now(), fails_install });
    records.instance_order.push_back(id);
    while records.instance_order.len() > super::state::MAX_RECORDS {
        if let Some(old) = records.instance_order.pop_front() {
            records.instances.remove(&old);
        }
    }
    Ok(Json(instance))
}

/// `GET /linode/instances`: the account's instances, filtered and paged.
pub async fn list(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    query: Result<Query<wire::Paging>, QueryRejection>,
) -> ApiResult {
    authorize(&sandbox, &headers, READ)?;
    let items: Vec<Value> = {
        let records = sandbox.records();
        let boot_time = sandbox.boot_time();
        records
            .instance_order
            .iter()
            .filter_map(|id| records.instances.get(id))
            .map(|i| with_status(i, boot_time))
            .collect()
    };
    wire::page(filter::apply(items, &headers, FILTERABLE)?, &paging(query))
}

/// `GET /linode/instances/{id}`.
pub async fn show(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    authorize(&sandbox, &headers, READ)?;
    let id: u64 = id.parse().map_err(|_| ApiError::not_found())?;
    let records = sandbox.records();
    let instance = records.instances.get(&id).ok_or_else(ApiError::not_found)?;
    Ok(Json(with_status(instance, sandbox.boot_time())))
}

/// `GET /linode/instances/{id}/ips`: its public addresses, with reverse DNS.
pub async fn ips(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    authorize(&sandbox, &headers, READ)?;
    let id: u64 = id.parse().map_err(|_| ApiError::not_found())?;
    let records = sandbox.records();
    let instance = records.instances.get(&id).ok_or_else(ApiError::not_found)?;
    let ipv4 = instance.body["ipv4"][0].as_str().unwrap_or_default().to_owned();
    let region = instance.body["region"].clone();
    let rdns = format!("{}.ip.linodeusercontent.example", ipv4.replace('.', "-"));
    let slaac = instance.body["ipv6"].as_str().unwrap_or_default().trim_end_matches("/128").to_owned();
    Ok(Json(json!({
        "ipv4": {
            "public": [{
                "address": ipv4, "gateway": "192.0.2.1", "subnet_mask": "255.255.255.0", "prefix": 24,
                "type": "ipv4", "public": true, "rdns": rdns, "linode_id": id, "region": region
            }],
            "private": [], "shared": [], "reserved": []
        },
        "ipv6": {
            "slaac": {
                "address": slaac, "gateway": "fe80::1", "subnet_mask": "ffff:ffff:ffff:ffff::", "prefix": 64,
                "type": "ipv6", "public": true, "rdns": null, "linode_id": id, "region": region
            },
            "link_local": {
                "address": "fe80::1:1", "gateway": "fe80::1", "subnet_mask": "ffff:ffff:ffff:ffff::",
                "prefix": 64, "type": "ipv6", "public": false, "rdns": null, "linode_id": id, "region": region
            },
            "global": []
        }
    })))
}

/// `DELETE /linode/instances/{id}`: gone at once.
pub async fn delete(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    authorize(&sandbox, &headers, WRITE)?;
    let id: u64 = id.parse().map_err(|_| ApiError::not_found())?;
    let mut records = sandbox.records();
    records.instances.remove(&id).ok_or_else(ApiError::not_found)?;
    records.instance_order.retain(|kept| *kept != id);
    Ok(Json(json!({})))
}

/// The instance as it is now.
fn with_status(instance: &SimInstance, boot_time: std::time::Duration) -> Value {
    let mut body = instance.body.clone();
    body["status"] = json!(instance.status(boot_time));
    body
}
