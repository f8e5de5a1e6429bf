//! `/linode/stackscripts`: the publisher's scripts. Create, list (public
//! ones and, with `mine`, the token user's own), show and update; a script's
//! `<UDF …>` tags become its `user_defined_fields` the way Linode parses them.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde_json::{Map, Value, json};

use super::auth::{authorize, bearer};
use super::data;
use super::filter;
use super::state::SandboxState;
use super::wire::{self, ApiError, ApiResult, paging};
use crate::linode::{Access, Scope};

/// Fields the schema marks filterable on StackScripts.
pub const FILTERABLE: &[&str] =
    &["deployments_total", "description", "is_public", "label", "mine", "rev_note"];

const WRITE: Scope = Scope::Family("stackscripts", Access::ReadWrite);

/// The user a request acts for, if it carries a live token.
fn caller(sandbox: &SandboxState, headers: &HeaderMap) -> Option<&'static str> {
    bearer(sandbox, headers).ok().map(|t| t.user.username())
}

/// A script as this caller sees it (`mine` is theirs); `None` when they may not.
fn visible(script: &Value, caller: Option<&str>) -> Option<Value> {
    let mine = caller.is_some_and(|c| script["username"] == c);
    if script["is_public"] != json!(true) && !mine {
        return None;
    }
    let mut shown = script.clone();
    shown["mine"] = json!(mine);
    Some(shown)
}

/// `GET /linode/stackscripts`: public scripts and the caller's own.
pub async fn list(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    query: Result<Query<wire::Paging>, QueryRejection>,
) -> ApiResult {
    if headers.contains_key("authorization") {
        bearer(&sandbox, &headers)?;
    }
    let who = caller(&sandbox, &headers);
    let mut items: Vec<Value> =
        sandbox.records().stackscripts.values().filter_map(|s| visible(s, who)).collect();
    items.sort_by_key(|s| s["id"].as_u64());
    wire::page(filter::apply(items, &headers, FILTERABLE)?, &paging(query))
}

/// `GET /linode/stackscripts/{id}`: a public one for anyone, a private one
/// for its owner only (others get 404, as from Linode).
pub async fn show(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let id: u64 = id.parse().map_err(|_| ApiError::not_found())?;
    let who = caller(&sandbox, &headers);
    let records = sandbox.records();
    let script = records.stackscripts.get(&id).ok_or_else(ApiError::not_found)?;
    visible(script, who).map(Json).ok_or_else(ApiError::not_found)
}

/// `POST /linode/stackscripts`: `{label, script, images, is_public, description, rev_note}`.
pub async fn create(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult {
    authorize(&sandbox, &headers, WRITE)?;
    let who = bearer(&sandbox, &headers)?.user.username();
    let body = wire::json_object(body)?;
    let errors = check(&body, true);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let mut records = sandbox.records();
    records.next_id += 1;
    let id = records.next_id;
    let now = data::now();
    let mut script = json!({
        "id": id, "username": who, "user_gravatar_id": "", "label": "", "description": "",
        "ordinal": 0, "logo_url": "", "images": [], "deployments_total": 0, "deployments_active": 0,
        "is_public": false, "created": now, "updated": now, "rev_note": "", "script": "",
        "user_defined_fields": []
    });
    merge(&mut script, &body);
    records.stackscripts.insert(id, script.clone());
    script["mine"] = json!(true);
    Ok(Json(script))
}

/// `PUT /linode/stackscripts/{id}`: its owner changes the fields given.
pub async fn update(
    State(sandbox): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult {
    authorize(&sandbox, &headers, WRITE)?;
    let who = bearer(&sandbox, &headers)?.user.username();
    let id: u64 = id.parse().map_err(|_| ApiError::not_found())?;
    let body = wire::json_object(body)?;
    let errors = check(&body, false);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let mut records = sandbox.records();
    let script =
        records.stackscripts.get_mut(&id).filter(|s| s["username"] == who).ok_or_else(ApiError::not_found)?;
    merge(script, &body);
    script["updated"] = json!(data::now());
    let mut shown = script.clone();
    shown["mine"] = json!(true);
    Ok(Json(shown))
}

/// Linode's rules for the fields a body may set.
fn check(body: &Map<String, Value>, creating: bool) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let mut fault = |field: &str, reason: &str| errors.push((field.to_owned(), reason.to_owned()));
    match body.get("label").map(Value::as_str) {
        None if creating => fault("label", "label is required"),
        Some(Some(l)) if !(3..=128).contains(&l.chars().count()) => {
            fault("label", "Label must be 3-128 characters")
        }
        Some(None) => fault("label", "label must be a string"),
        _ => {}
    }
    match body.get("script").map(Value::as_str) {
        None if creating => fault("script", "script is required"),
        Some(Some(s)) if !s.starts_with("#!") => fault("script", "Script must begin with a shebang (#!)"),
        Some(None) => fault("script", "script must be a string"),
        _ => {}
    }
    match body.get("images").map(Value::as_array) {
        None if creating => fault("images", "images is required"),
        Some(Some(images)) if !images.is_empty() => {
            for image in images {
                let known = image.as_str().is_some_and(|i| data::IMAGES.contains(&i) || i == "any/all");
                if !known {
                    fault("images", &format!("Image {image} is not valid"));
                }
            }
        }
        Some(_) => fault("images", "images must be a list of at least one image"),
        None => {}
    }
    if body.get("is_public").is_some_and(|p| !p.is_boolean()) {
        fault("is_public", "is_public must be true or false");
    }
    errors
}

/// Copies the settable fields of `body` onto `script`, parsing its UDF tags.
fn merge(script: &mut Value, body: &Map<String, Value>) {
    for key in ["label", "description", "images", "is_public", "rev_note", "script"] {
        if let Some(value) = body.get(key) {
            script[key] = value.clone();
        }
    }
    if let Some(text) = body.get("script").and_then(Value::as_str) {
        script["user_defined_fields"] = Value::Array(udf_tags(text));
    }
}

/// The sandbox's StackScript made from a publisher's own script file: its
/// `<UDF>` tags make the form, on every image the sandbox knows.
pub fn from_script(id: u64, label: &str, script: &str) -> Value {
    let now = data::now();
    json!({
        "id": id, "username": "sandbox-user", "user_gravatar_id": "", "label": label,
        "description": format!("{label}, served from your own file by the sandbox."),
        "ordinal": 0, "logo_url": "", "images": data::IMAGES, "deployments_total": 0,
        "deployments_active": 0, "is_public": true, "created": now, "updated": now,
        "rev_note": "", "script": script, "user_defined_fields": udf_tags(script)
    })
}

/// The `<UDF name="…" label="…" example="…" oneOf="…" manyOf="…" default="…">`
/// tags of a script, in order, as `user_defined_fields`: attribute names
/// are read in any case and given as Linode's wire spells them
/// (`oneof`, `manyof`); a tag without a name is skipped.
pub fn udf_tags(script: &str) -> Vec<Value> {
    let mut fields = Vec::new();
    let lower = script.to_ascii_lowercase();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<udf").map(|i| from + i) {
        let Some(end) = script[start..].find('>').map(|i| start + i) else { break };
        let attributes = attributes(&script[start + 4..end]);
        from = end + 1;
        let mut field = Map::new();
        for (key, value) in attributes {
            let key = match key.to_ascii_lowercase().as_str() {
                "name" => "name",
                "label" => "label",
                "example" => "example",
                "oneof" => "oneof",
                "manyof" => "manyof",
                "default" => "default",
                _ => continue,
            };
            field.insert(key.to_owned(), Value::String(value));
        }
        if field.get("name").and_then(Value::as_str).is_some_and(|n| !n.is_empty()) {
            field.entry("label").or_insert_with(|| Value::String(String::new()));
            fields.push(Value::Object(field));
        }
    }
    fields
}

/// `key="value"` (or single-quoted) pairs, in order.
fn attributes(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = text;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().rsplit(char::is_whitespace).next().unwrap_or_default().to_owned();
        let after = rest[eq + 1..].trim_start();
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else { break };
        let Some(close) = after[1..].find(quote) else { break };
        pairs.push((key, after[1..1 + close].to_owned()));
        rest = &after[close + 2..];
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udf_tags_become_fields_as_linode_parses_them() {
        let script = "#!/bin/bash\n\
            #<UDF name=\"user_name\" label=\"The limited sudo user: *No Capital Letters*\">\n\
            # <UDF name='disable_root' Label='Disable root?' oneOf='Yes,No' default='No' />\n\
            #<UDF name=\"extras\" label=\"Extras\" manyOf=\"git,htop\" default=\"\" example=\"git\">\n\
            #<UDF label=\"no name\">\n\
            echo done\n";
        let fields = udf_tags(script);
        assert_eq!(
            Value::Array(fields),
            json!([
                {"name": "user_name", "label": "The limited sudo user: *No Capital Letters*"},
                {"name": "disable_root", "label": "Disable root?", "oneof": "Yes,No", "default": "No"},
                {"name": "extras", "label": "Extras", "manyof": "git,htop", "default": "", "example": "git"}
            ])
        );
    }

    #[test]
    fn the_demo_script_tags_match_its_fields() {
        let demo = data::demo_stackscript(1);
        let parsed = udf_tags(demo["script"].as_str().unwrap());
        assert_eq!(Value::Array(parsed), demo["user_defined_fields"]);
    }
}
