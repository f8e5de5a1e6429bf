//! Linode's filter language, as its API documents it, for every list the
//! sandbox serves: an `X-Filter` header holding a JSON object.
//!
//! - `{"field": value}`: equal (for a list field such as `tags`, contains it);
//! - `{"field": {"+gt" | "+gte" | "+lt" | "+lte" | "+contains" | "+neq": value}}`;
//! - `{"+and": [filter, …]}`, `{"+or": [filter, …]}`, nested freely;
//! - `{"+order_by": "field", "+order": "asc" | "desc"}` beside the conditions.
//!
//! Only fields the schema marks filterable may be named. The whole filter is
//! checked before any item is, so an unknown operator or field is a 400 in
//! Linode's error shape even on an empty list, never an empty success.

use std::cmp::Ordering;

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use super::wire::ApiError;

/// Operators that compare a field with a value.
const OPERATORS: [&str; 6] = ["+gt", "+gte", "+lt", "+lte", "+contains", "+neq"];

/// The items that pass the request's `X-Filter`, in the order it asks for.
/// `filterable` lists the field names that may be used; a name may be given
/// as `alias=field` where the schema and the wire spell a field apart.
pub fn apply(items: Vec<Value>, headers: &HeaderMap, filterable: &[&str]) -> Result<Vec<Value>, ApiError> {
    let Some(raw) = headers.get("x-filter") else {
        return Ok(items);
    };
    let filter: Value = raw
        .to_str()
        .ok()
        .and_then(|s| serde_json::from_str(s).ok())
        .ok_or_else(|| bad("X-Filter is not valid JSON"))?;
    let filter = filter.as_object().ok_or_else(|| bad("X-Filter must be a JSON object"))?;
    let fields = Fields(filterable);
    check(filter, &fields, true)?;
    let mut items: Vec<Value> = items.into_iter().filter(|item| passes(item, filter, &fields)).collect();
    if let Some(order_by) = filter.get("+order_by").and_then(Value::as_str) {
        let field = fields.wire_name(order_by).unwrap_or(order_by);
        let descending = filter.get("+order").and_then(Value::as_str) == Some("desc");
        items.sort_by(|a, b| {
            let order = compare(a.get(field), b.get(field)).unwrap_or(Ordering::Equal);
            if descending { order.reverse() } else { order }
        });
    }
    Ok(items)
}

fn bad(reason: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, reason)
}

/// The filterable fields, each as `name` or `alias=name`.
struct Fields<'a>(&'a [&'a str]);

impl Fields<'_> {
    /// The field an item carries for a name the filter uses, if filterable.
    fn wire_name(&self, name: &str) -> Option<&str> {
        self.0.iter().find_map(|entry| match entry.split_once('=') {
            Some((alias, field)) if alias == name || field == name => Some(field),
            None if *entry == name => Some(*entry),
            _ => None,
        })
    }
}

fn check(filter: &Map<String, Value>, fields: &Fields<'_>, top: bool) -> Result<(), ApiError> {
    for (key, condition) in filter {
        match key.as_str() {
            "+and" | "+or" => {
                let parts =
                    condition.as_array().ok_or_else(|| bad(format!("{key} takes a list of filters")))?;
                for part in parts {
                    let part =
                        part.as_object().ok_or_else(|| bad(format!("{key} takes a list of filters")))?;
                    check(part, fields, false)?;
                }
            }
            "+order_by" if top => {
                let name = condition.as_str().ok_or_else(|| bad("+order_by takes a field name"))?;
                fields.wire_name(name).ok_or_else(|| bad(format!("Cannot order by {name}")))?;
            }
            "+order" if top => {
                if !matches!(condition.as_str(), Some("asc" | "desc")) {
                    return Err(bad("+order must be asc or desc"));
                }
            }
            op if op.starts_with('+') => return Err(bad(format!("Unknown filter operator {op}"))),
            field => {
                fields.wire_name(field).ok_or_else(|| bad(format!("Cannot filter on {field}")))?;
                if let Value::Object(ops) = condition {
                    for (op, operand) in ops {
                        if !OPERATORS.contains(&op.as_str()) {
                            return Err(bad(format!("Unknown filter operator {op}")));
                        }
                        if op == "+contains" && !operand.is_string() {
                            return Err(bad("+contains takes a string"));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn passes(item: &Value, filter: &Map<String, Value>, fields: &Fields<'_>) -> bool {
    filter.iter().all(|(key, condition)| match key.as_str() {
        "+and" => parts(condition).all(|part| passes(item, part, fields)),
        "+or" => parts(condition).any(|part| passes(item, part, fields)),
        "+order_by" | "+order" => true,
        field => {
            let value = item.get(fields.wire_name(field).unwrap_or(field));
            match condition {
                Value::Object(ops) => ops.iter().all(|(op, operand)| holds(value, op, operand)),
                exact => equals(value, exact),
            }
        }
    })
}

fn parts(condition: &Value) -> impl Iterator<Item = &Map<String, Value>> {
    condition.as_array().into_iter().flatten().filter_map(Value::as_object)
}

fn equals(value: Option<&Value>, wanted: &Value) -> bool {
    match value {
        // A list field matches when it holds the value (`tags`, `ipv4`).
        Some(Value::Array(items)) if !wanted.is_array() => items.contains(wanted),
        Some(value) => value == wanted,
        None => wanted.is_null(),
    }
}

fn holds(value: Option<&Value>, op: &str, operand: &Value) -> bool {
    let order = compare(value, Some(operand));
    match op {
        "+gt" => order == Some(Ordering::Greater),
        "+gte" => matches!(order, Some(Ordering::Greater | Ordering::Equal)),
        "+lt" => order == Some(Ordering::Less),
        "+lte" => matches!(order, Some(Ordering::Less | Ordering::Equal)),
        "+neq" => !equals(value, operand),
        "+contains" => {
            let needle = operand.as_str().unwrap_or_default();
            match value {
                Some(Value::String(text)) => text.contains(needle),
                Some(Value::Array(items)) => {
                    items.iter().any(|i| i.as_str().is_some_and(|t| t.contains(needle)))
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// Numbers by value, strings by text; nothing else is ordered.
fn compare(a: Option<&Value>, b: Option<&Value>) -> Option<Ordering> {
    match (a?, b?) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn items() -> Vec<Value> {
        vec![
            json!({"id": "a", "label": "Linode 2GB", "vcpus": 1, "memory": 2048, "tags": ["web"]}),
            json!({"id": "b", "label": "Linode 4GB", "vcpus": 2, "memory": 4096, "tags": []}),
            json!({"id": "c", "label": "Dedicated 4GB", "vcpus": 2, "memory": 4096, "tags": ["web", "db"]}),
        ]
    }

    fn ids(filter: &str) -> Result<Vec<String>, u16> {
        let mut headers = HeaderMap::new();
        headers.insert("x-filter", filter.parse().unwrap());
        apply(items(), &headers, &["label", "vcpus", "memory", "tags", "type=id"])
            .map(|items| items.iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect())
            .map_err(|e| axum::response::IntoResponse::into_response(e).status().as_u16())
    }

    #[test]
    fn every_operator_compares_as_linode_documents() {
        assert_eq!(ids(r#"{"vcpus": 2}"#), Ok(vec!["b".into(), "c".into()]));
        assert_eq!(ids(r#"{"memory": {"+gt": 2048}}"#), Ok(vec!["b".into(), "c".into()]));
        assert_eq!(ids(r#"{"memory": {"+gte": 4096}}"#), Ok(vec!["b".into(), "c".into()]));
        assert_eq!(ids(r#"{"memory": {"+lt": 4096}}"#), Ok(vec!["a".into()]));
        assert_eq!(ids(r#"{"memory": {"+lte": 2048}}"#), Ok(vec!["a".into()]));
        assert_eq!(ids(r#"{"label": {"+contains": "Linode"}}"#), Ok(vec!["a".into(), "b".into()]));
        assert_eq!(ids(r#"{"label": {"+neq": "Linode 2GB"}}"#), Ok(vec!["b".into(), "c".into()]));
        assert_eq!(ids(r#"{"tags": "db"}"#), Ok(vec!["c".into()]), "a list field holds the value");
        assert_eq!(ids(r#"{"type": "b"}"#), Ok(vec!["b".into()]), "an alias names the wire field");
    }

    #[test]
    fn and_or_nest_and_order_sorts() {
        let either =
            r#"{"+or": [{"vcpus": 1}, {"+and": [{"vcpus": 2}, {"label": {"+contains": "Dedicated"}}]}]}"#;
        assert_eq!(ids(either), Ok(vec!["a".into(), "c".into()]));
        let ordered = r#"{"+order_by": "label", "+order": "desc"}"#;
        assert_eq!(ids(ordered), Ok(vec!["b".into(), "a".into(), "c".into()]));
        let both = r#"{"vcpus": 2, "+order_by": "label", "+order": "asc"}"#;
        assert_eq!(ids(both), Ok(vec!["c".into(), "b".into()]));
    }

    #[test]
    fn unknown_operators_and_unfilterable_fields_are_refused_never_empty() {
        for refused in [
            r#"{"memory": {"+between": 1}}"#,
            r#"{"+nor": []}"#,
            r#"{"price": 5}"#,
            r#"{"+or": [{"price": 5}]}"#,
            r#"{"+order_by": "price"}"#,
            r#"{"+order": "sideways"}"#,
            r#"{"label": {"+contains": 5}}"#,
            r#"{"+and": {"vcpus": 1}}"#,
            r#"[1]"#,
            "not json",
        ] {
            assert_eq!(ids(refused), Err(400), "{refused}");
        }
    }
}
