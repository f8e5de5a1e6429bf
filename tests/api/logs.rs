//! The logs: one line per request, and never a secret.

use crate::helpers::*;

#[tokio::test]
async fn no_secret_reaches_the_logs_at_any_level() {
    let app = spawn_app(|_| {}).await;
    let code = "code-never-logged-91c2";
    mount_happy_deploy(&app.linode, code).await;
    let state = app.start_deploy().await;
    let page = app.callback(&[("code", code), ("state", &state)]).await.text().await.unwrap();
    let password = text_of(&html(&page), "#root-password").unwrap();

    let logs = captured_logs();

    assert!(logs.contains("deploy succeeded"), "the deploy outcome is logged");
    assert!(logs.contains("/auth_callback"), "the request is logged");
    for secret in [CLIENT_SECRET, code, &state, TOKEN, REFRESH_TOKEN, &password, SECRET_KEY] {
        let leak: Vec<&str> = logs.lines().filter(|l| l.contains(secret)).collect();
        assert!(leak.is_empty(), "a secret reached the logs: {leak:#?}");
    }
}

#[tokio::test]
async fn each_request_is_one_line_with_method_path_status_latency_and_id() {
    let app = spawn_app(|_| {}).await;

    let response = app.get("/healthz").await;
    let id = response.headers()["x-request-id"].to_str().unwrap().to_owned();

    let logs = captured_logs();
    let line = logs.lines().find(|l| l.contains(&id) && l.contains("path=/healthz")).expect("a request line");
    assert!(line.contains("method=GET"), "{line}");
    assert!(line.contains("status=200"), "{line}");
    assert!(line.contains("latency_ms="), "{line}");
}
