//! `GET /healthz`: the process is up and serving. Calls nothing upstream.

/// Liveness: always `ok` while the server answers.
pub async fn healthz() -> &'static str {
    "ok"
}
