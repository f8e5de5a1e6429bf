//! The apps the simulated servers run: `/sandbox/apps/{ipv4}/` answers for
//! the server at that address as its StackScript's app would, 503 while it
//! installs and 200 once it is up, so the deploy's app stage (the ready URL,
//! **Open app**) can be tried without a real server. A server whose demo
//! field "Simulate an install failure" is Yes never answers: it goes offline.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::state::SandboxState;

/// The path under the sandbox the apps answer at.
pub const APPS_PREFIX: &str = "/sandbox/apps";

#[derive(Template, WebTemplate)]
#[template(path = "sandbox_app.html")]
struct AppPage {
    label: String,
    ip: String,
}

/// `GET /sandbox/apps/{ipv4}/`.
pub async fn app(State(sandbox): State<Arc<SandboxState>>, Path(ip): Path<String>) -> Response {
    let found = {
        let records = sandbox.records();
        records.instances.values().find(|i| i.body["ipv4"][0] == ip.as_str()).map(|i| {
            (i.app_answers(sandbox.boot_time()), i.body["label"].as_str().unwrap_or_default().to_owned())
        })
    };
    match found {
        None => (StatusCode::NOT_FOUND, "No simulated server has this address.").into_response(),
        Some((false, _)) => (StatusCode::SERVICE_UNAVAILABLE, "Installing…").into_response(),
        Some((true, label)) => AppPage { label, ip }.into_response(),
    }
}
