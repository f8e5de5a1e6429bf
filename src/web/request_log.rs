//! What every request leaves behind: one log line (method, path without its
//! query string, which carries codes and states, status, latency, request
//! id) through tower-http's `TraceLayer`, and its Prometheus metrics.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, Response};
use axum::middleware::Next;
use tower_http::request_id::RequestId;
use tracing::Span;

/// The span of one request: its id (kept from a proxy's `X-Request-Id`, or
/// made here), method and path.
pub fn span<B>(request: &axum::http::Request<B>) -> Span {
    let id = request.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok());
    tracing::info_span!(
        "request",
        request_id = id.unwrap_or("-"),
        method = %request.method(),
        path = %request.uri().path(),
    )
}

/// The log line, once the response is known (in the request's span).
pub fn line<B>(response: &Response<B>, latency: Duration, _span: &Span) {
    let latency_ms = latency.as_secs_f64() * 1000.0;
    tracing::info!(
        status = response.status().as_u16(),
        latency_ms = format_args!("{latency_ms:.2}"),
        "request"
    );
}

/// Records each request's metrics, labelled by route template (never by raw path).
pub async fn metrics(request: Request, next: Next) -> axum::response::Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method: Method = request.method().clone();
    let response = next.run(request).await;
    crate::metrics::request(route, &method, response.status().as_u16(), started.elapsed());
    response
}
