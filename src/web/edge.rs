//! The edge of every request, as one middleware: request id, per-client
//! limit, error pages, security headers, metrics and the request log line.
//! One layer rather than eight keeps the hot path short.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::web::error::ErrorPage;
use crate::web::pages::{Chrome, ErrorTemplate};
use crate::web::rate_limit::RateLimit;

/// The request id header: kept from the request (a proxy's) or made here.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the edge needs.
#[derive(Debug)]
pub struct Edge {
    /// For error pages.
    pub chrome: Chrome,
    /// Security headers for every response.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Per-client limits.
    pub limits: Arc<RateLimit>,
    /// Whether metrics are recorded.
    pub metrics: bool,
}

/// The edge middleware. Logs one line per request: method, path (never the
/// query string, which carries codes and states), status, latency and id.
pub async fn edge(State(edge): State<Arc<Edge>>, mut request: Request, next: Next) -> Response {
    let start = Instant::now();
    let request_id = match request.headers().get(&REQUEST_ID) {
        Some(id) if id.len() <= 128 && id.to_str().is_ok() => id.clone(),
        _ => {
            let id =
                HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).expect("a UUID is a header value");
            request.headers_mut().insert(REQUEST_ID, id.clone());
            id
        }
    };
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let route = edge.metrics.then(|| {
        request
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned())
    });
    let span = tracing::info_span!("request", request_id = request_id.to_str().unwrap_or("-"));
    let response = match edge.limits.check_request(&request) {
        Err(limited) => limited.into_response(),
        Ok(()) => next.run(request).instrument(span.clone()).await,
    };
    let mut response = render_error_page(&edge.chrome, response);
    let headers = response.headers_mut();
    for (name, value) in &edge.headers {
        headers.insert(name.clone(), value.clone());
    }
    headers.insert(REQUEST_ID, request_id.clone());
    let status = response.status().as_u16();
    let elapsed = start.elapsed();
    if let Some(route) = route {
        crate::metrics::request(route, method.as_str(), status, elapsed);
    }
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
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

/// Renders the error page for a response that carries an [`ErrorPage`], and
/// for bare error statuses from lower layers (timeouts, body limits).
fn render_error_page(chrome: &Chrome, response: Response) -> Response {
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
    let mut rendered = ErrorTemplate { chrome: chrome.clone(), page }.into_response();
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
