//! Cross-cutting layers: request logging with ids, security headers, and
//! rendering of error pages.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::error::ErrorPage;
use crate::templates::{Chrome, ErrorTemplate};

/// The request id header, set by the outermost layer when a request has none.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Logs one line per request: method, path (never the query string, which
/// carries codes and states), status, latency and request id.
pub async fn log_requests(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let request_id =
        request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
    let span = tracing::info_span!("request", request_id = %request_id);
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        tracing::info!(%method, %path, status, latency_ms = format_args!("{latency_ms:.2}"), "request");
    });
    response
}

/// The security headers every response carries.
pub fn security_headers(login_origin: &str) -> Vec<(HeaderName, HeaderValue)> {
    // form-action names the login server too: the form's POST is answered
    // with a redirect there, and browsers apply form-action to that redirect.
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; form-action 'self' {login_origin}; frame-ancestors 'none'"
    );
    vec![
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&csp).expect("an origin is a valid header value"),
        ),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ]
}

/// Renders the error page for any response that carries an [`ErrorPage`],
/// and for bare error statuses from lower layers (timeouts, body limits).
pub async fn error_pages(State(chrome): State<Chrome>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let page = match response.extensions().get::<ErrorPage>() {
        Some(page) => page.clone(),
        // Bare error statuses from layers below (plain text or no body) get a
        // page; HTML and JSON answers are already meant for their reader.
        None if (status.is_client_error() || status.is_server_error())
            && response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_none_or(|t| t.as_bytes().starts_with(b"text/plain")) =>
        {
            fallback_page(status)
        }
        None => return response,
    };
    let (mut parts, _) = response.into_parts();
    let mut rendered = ErrorTemplate { chrome, page }.into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    std::mem::swap(rendered.headers_mut(), &mut parts.headers);
    *rendered.status_mut() = status;
    rendered
}

fn fallback_page(status: StatusCode) -> ErrorPage {
    let (title, message): (&'static str, &str) = match status {
        StatusCode::REQUEST_TIMEOUT => ("This took too long", "The request took too long and was stopped."),
        StatusCode::PAYLOAD_TOO_LARGE => ("Too much data", "The form sent more data than it can have."),
        StatusCode::METHOD_NOT_ALLOWED => ("Not allowed", "This page cannot be used that way."),
        s if s.is_server_error() => ("Something went wrong", "The request could not be completed."),
        _ => ("The request could not be used", "The request was not one this site understands."),
    };
    ErrorPage {
        title,
        message: message.to_owned(),
        reasons: Vec::new(),
        next_step: Some("Start again from the first page.".to_owned()),
        link: None,
    }
}
