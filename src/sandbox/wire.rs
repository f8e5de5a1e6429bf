//! Linode's wire conventions: the error body and paged lists (`X-Filter` is [`super::filter`]).

use axum::Json;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// A Linode-shaped error: status and `{"errors":[{"reason","field"}]}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    errors: Vec<(Option<String>, String)>,
}

impl ApiError {
    /// One reason, not tied to a field.
    pub fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Self { status, errors: vec![(None, reason.into())] }
    }

    /// Field errors, all at once (400).
    pub fn fields(errors: Vec<(String, String)>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            errors: errors.into_iter().map(|(f, r)| (Some(f), r)).collect(),
        }
    }

    /// 401, as Linode answers a missing, expired or revoked token.
    pub fn invalid_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Invalid Token")
    }

    /// 401, as Linode answers a token without the scope an endpoint needs.
    pub fn scope() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Your OAuth token is not authorized to use this endpoint.")
    }

    /// 404.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found")
    }

    /// 405, for a method a path does not take.
    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let errors: Vec<Value> = self
            .errors
            .into_iter()
            .map(|(field, reason)| json!({"reason": reason, "field": field}))
            .collect();
        (self.status, Json(json!({ "errors": errors }))).into_response()
    }
}

/// The JSON answer of an endpoint, or Linode's error.
pub type ApiResult = Result<Json<Value>, ApiError>;

/// The paging of a list request (defaults when it cannot be read).
pub fn paging(query: Result<Query<Paging>, QueryRejection>) -> Paging {
    query.map(|Query(p)| p).unwrap_or_default()
}

/// A request's JSON body, which must be an object, as Linode requires.
pub fn json_object(
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<serde_json::Map<String, Value>, ApiError> {
    match body {
        Ok(Json(Value::Object(body))) => Ok(body),
        _ => Err(ApiError::new(StatusCode::BAD_REQUEST, "Request body must be a JSON object")),
    }
}

/// `?page=N&page_size=N` of a list request.
#[derive(Debug, Default, Deserialize)]
pub struct Paging {
    page: Option<String>,
    page_size: Option<String>,
}

/// Cuts `items` into the page asked for, in Linode's list shape.
pub fn page(items: Vec<Value>, paging: &Paging) -> Result<Json<Value>, ApiError> {
    let number =
        |value: &Option<String>, default: usize, field: &str, range: std::ops::RangeInclusive<usize>| {
            match value {
                None => Ok(default),
                Some(v) => v.parse::<usize>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                    ApiError::fields(vec![(field.into(), format!("Must be an integer in {range:?}"))])
                }),
            }
        };
    let size = number(&paging.page_size, 100, "page_size", 25..=500)?;
    let page = number(&paging.page, 1, "page", 1..=usize::MAX)?;
    let results = items.len();
    let pages = results.div_ceil(size).max(1);
    let data: Vec<Value> = items.into_iter().skip((page - 1) * size).take(size).collect();
    Ok(Json(json!({"data": data, "page": page, "pages": pages, "results": results})))
}
