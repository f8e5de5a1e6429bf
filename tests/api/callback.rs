//! `GET /auth_callback`: token exchange, scope check, create, revoke.

use std::time::Duration;

use futures::future::join_all;
use serde_json::json;
use wiremock::ResponseTemplate;

use crate::helpers::*;

const CODE: &str = "code-5e6f";

async fn assert_no_outbound_call_after_the_catalog(app: &TestApp) {
    for request in app.linode_requests().await {
        let path = request.url.path();
        assert!(!path.starts_with("/oauth/") && path != "/v4/linode/instances", "unexpected call to {path}");
    }
}

#[tokio::test]
async fn a_good_callback_creates_the_instance_revokes_the_token_and_shows_the_credentials() {
    let app = spawn_app(|_| {}).await;
    mount_happy_deploy(&app.linode, CODE).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("code", CODE), ("state", &state)]).await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = html(&response.text().await.unwrap());
    assert_eq!(text_of(&page, "h1").as_deref(), Some("Success!"));
    assert_eq!(text_of(&page, "#linode-label").as_deref(), Some("linode4242"));
    assert_eq!(text_of(&page, "#linode-group").as_deref(), Some("my-application-name"));
    assert_eq!(text_of(&page, "#ssh-command").as_deref(), Some("ssh root@192.0.2.17"));

    let creates = app.requests_to("POST", "/v4/linode/instances").await;
    assert_eq!(creates.len(), 1);
    assert_eq!(creates[0].headers["authorization"], format!("Bearer {TOKEN}").as_str());
    assert_eq!(creates[0].headers["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_slice(&creates[0].body).unwrap();
    let password = body["root_pass"].as_str().unwrap().to_owned();
    let label = body["label"].as_str().unwrap().to_owned();
    assert!(label.starts_with("my-application-name-us-east-"), "{label}");
    assert_eq!(
        body,
        json!({"type": "g6-nanode-1", "region": "us-east", "image": "linode/debian12",
               "stackscript_id": STACKSCRIPT_ID, "group": "my-application-name", "root_pass": password,
               "label": label})
    );
    assert!((7..=128).contains(&password.len()));
    assert_eq!(text_of(&page, "#root-password"), Some(password));

    let revokes = app.revokes(1).await;
    assert_eq!(revokes.len(), 1, "revoked once the server runs");
    assert_eq!(
        form_fields(&revokes[0]),
        [
            ("token_type_hint".to_owned(), "access_token".to_owned()),
            ("client_id".to_owned(), CLIENT_ID.to_owned()),
            ("client_secret".to_owned(), CLIENT_SECRET.to_owned()),
            ("token".to_owned(), TOKEN.to_owned()),
        ]
    );
    for request in app.linode_requests().await {
        if request.url.path().starts_with("/oauth/") {
            assert_eq!(request.headers["accept"], "application/json");
            assert!(request.headers["user-agent"].to_str().unwrap().starts_with("install-on-linode/"));
        }
    }
}

#[tokio::test]
async fn what_linode_returns_is_html_escaped_on_the_success_page() {
    let app = spawn_app(|_| {}).await;
    let hostile = r#"web<&"'>x"#;
    let mut instance = instance_json();
    instance["label"] = json!(hostile);
    instance["group"] = json!(hostile);
    mount_token(&app.linode, CODE, grant("linodes:read_write")).await;
    mount_create(&app.linode, ResponseTemplate::new(200).set_body_json(instance)).await;
    mount_instance_status(&app.linode, "provisioning").await;
    mount_revoke(&app.linode, 200).await;
    let state = app.start_deploy().await;

    let body = app.callback(&[("code", CODE), ("state", &state)]).await.text().await.unwrap();

    assert!(!body.contains(hostile), "the raw value never reaches the page");
    assert!(body.contains("web&#60;&#38;&#34;&#39;&#62;x"), "each of < & \" ' > is escaped");
    let page = html(&body);
    assert_eq!(text_of(&page, "#linode-label").as_deref(), Some(hostile));
    assert_eq!(text_of(&page, "#linode-group").as_deref(), Some(hostile));
}

#[tokio::test]
async fn family_wildcard_and_everything_grants_are_accepted() {
    for scopes in ["linodes:*", "*", "account:read_only linodes:read_write"] {
        let app = spawn_app(|_| {}).await;
        mount_token(&app.linode, CODE, grant(scopes)).await;
        mount_create(&app.linode, created_instance()).await;
        mount_revoke(&app.linode, 200).await;
        let state = app.start_deploy().await;

        let response = app.callback(&[("code", CODE), ("state", &state)]).await;

        assert_eq!(response.status(), 200, "grant {scopes:?}");
    }
}

#[tokio::test]
async fn too_narrow_a_grant_creates_nothing_and_revokes_the_token() {
    let app = spawn_app(|_| {}).await;
    mount_token(&app.linode, CODE, grant("linodes:read_only")).await;
    mount_create(&app.linode, created_instance()).await;
    mount_revoke(&app.linode, 200).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("code", CODE), ("state", &state)]).await;

    assert_eq!(response.status(), 403);
    let page = html(&response.text().await.unwrap());
    assert_eq!(text_of(&page, "h1").as_deref(), Some("Permission to create Linodes is needed"));
    assert!(app.requests_to("POST", "/v4/linode/instances").await.is_empty());
    assert_eq!(app.requests_to("POST", "/oauth/revoke").await.len(), 1);
}

#[tokio::test]
async fn a_callback_with_an_error_creates_nothing_and_calls_nobody() {
    let app = spawn_app(|_| {}).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("error", "access_denied"), ("state", &state)]).await;

    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(text_of(&html(&response.text().await.unwrap()), "h1").as_deref(), Some("Access not granted"));
    assert_no_outbound_call_after_the_catalog(&app).await;
}

#[tokio::test]
async fn a_callback_without_a_code_is_refused() {
    let app = spawn_app(|_| {}).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("state", &state)]).await;

    assert_eq!(response.status(), 400);
    assert_no_outbound_call_after_the_catalog(&app).await;
}

#[tokio::test]
async fn a_callback_without_a_session_is_refused() {
    let app = spawn_app(|_| {}).await;

    let response = app.callback(&[("code", CODE), ("state", "0123")]).await;

    assert_eq!(response.status(), 400);
    assert!(app.linode_requests().await.is_empty());
}

#[tokio::test]
async fn callback_with_mismatched_state_creates_nothing() {
    let app = spawn_app(|_| {}).await;
    mount_happy_deploy(&app.linode, CODE).await;
    let state = app.start_deploy().await;
    let last = if state.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &state[..63]);

    let response = app.callback(&[("code", CODE), ("state", &forged)]).await;

    assert_eq!(response.status(), 400);
    assert_no_outbound_call_after_the_catalog(&app).await;
    // The real callback still works afterwards.
    assert_eq!(app.callback(&[("code", CODE), ("state", &state)]).await.status(), 200);
}

#[tokio::test]
async fn callback_without_state_creates_nothing() {
    let app = spawn_app(|_| {}).await;
    mount_happy_deploy(&app.linode, CODE).await;
    app.start_deploy().await;

    let response = app.callback(&[("code", CODE)]).await;

    assert_eq!(response.status(), 400);
    assert_no_outbound_call_after_the_catalog(&app).await;
}

#[tokio::test]
async fn a_replayed_callback_creates_nothing_and_says_so() {
    let app = spawn_app(|_| {}).await;
    mount_happy_deploy(&app.linode, CODE).await;
    let state = app.start_deploy().await;
    assert_eq!(app.callback(&[("code", CODE), ("state", &state)]).await.status(), 200);

    let replay = app.callback(&[("code", CODE), ("state", &state)]).await;

    assert_eq!(replay.status(), 409);
    let page = html(&replay.text().await.unwrap());
    assert_eq!(text_of(&page, "h1").as_deref(), Some("Deploy already started"));
    assert_eq!(app.requests_to("POST", "/v4/linode/instances").await.len(), 1);
    assert_eq!(app.requests_to("POST", "/oauth/token").await.len(), 1);
}

/// Each response's status and body.
pub async fn pages_of(responses: Vec<reqwest::Response>) -> Vec<(u16, String)> {
    let mut pages = Vec::new();
    for response in responses {
        pages.push((response.status().as_u16(), response.text().await.unwrap()));
    }
    pages
}

#[tokio::test]
async fn concurrent_callbacks_for_one_session_create_one_instance() {
    let app = spawn_app(|_| {}).await;
    mount_token(&app.linode, CODE, grant("linodes:read_write")).await;
    mount_create(&app.linode, created_instance().set_delay(Duration::from_millis(300))).await;
    mount_revoke(&app.linode, 200).await;
    let state = app.start_deploy().await;

    let query = [("code", CODE), ("state", state.as_str())];
    let calls = (0..5).map(|_| app.callback(&query));
    let pages = pages_of(join_all(calls).await).await;

    assert_eq!(
        pages.iter().filter(|(_, body)| body.contains("root-password")).count(),
        1,
        "the password, once"
    );
    let waiting_or_refused = |(status, body): &(u16, String)| {
        *status == 409 || (*status == 200 && body.contains("Sending your deploy to Linode"))
    };
    assert_eq!(pages.iter().filter(|p| waiting_or_refused(p)).count(), 4, "the others wait or are told");
    assert_eq!(app.requests_to("POST", "/v4/linode/instances").await.len(), 1);
}

#[tokio::test]
async fn a_create_refused_for_a_field_shows_the_form_again_with_linodes_reason_next_to_it() {
    let app = spawn_app(|_| {}).await;
    mount_token(&app.linode, CODE, grant("linodes:read_write")).await;
    mount_create(
        &app.linode,
        ResponseTemplate::new(400).set_body_json(json!({"errors": [
            {"reason": "Region is not available for this <plan>", "field": "region"}
        ]})),
    )
    .await;
    mount_revoke(&app.linode, 200).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("code", CODE), ("state", &state)]).await;

    assert_eq!(response.status(), 400);
    let body = response.text().await.unwrap();
    assert!(!body.contains("<plan>"), "Linode's words are escaped");
    let page = html(&body);
    assert_eq!(text_of(&page, "#region-error").as_deref(), Some("Region is not available for this <plan>"));
    let kept = scraper::Selector::parse("select[name=type] option[selected]").unwrap();
    assert_eq!(page.select(&kept).next().unwrap().value().attr("value"), Some("g6-nanode-1"));
    assert_eq!(app.requests_to("POST", "/oauth/revoke").await.len(), 1);
}

#[tokio::test]
async fn a_form_shown_again_after_a_refusal_keeps_the_password_the_visitor_typed() {
    let app = spawn_app(|_| {}).await;
    mount_token(&app.linode, CODE, grant("linodes:read_write")).await;
    mount_create(
        &app.linode,
        ResponseTemplate::new(400)
            .set_body_json(json!({"errors": [{"reason": "Not here", "field": "region"}]})),
    )
    .await;
    mount_revoke(&app.linode, 200).await;
    let posted = app
        .post_form(&[
            ("type", "g6-nanode-1"),
            ("region", "us-east"),
            ("distribution", "linode/debian12"),
            ("root_pass", "Visitor-Chosen-Pass-9"),
        ])
        .await;
    let location = url::Url::parse(posted.headers()["location"].to_str().unwrap()).unwrap();
    let state = location.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();

    let response = app.callback(&[("code", CODE), ("state", &state)]).await;

    assert_eq!(response.status(), 400);
    let page = html(&response.text().await.unwrap());
    assert_eq!(attr(&page, "input[name=root_pass]", "value").as_deref(), Some("Visitor-Chosen-Pass-9"));
}

#[tokio::test]
async fn a_create_refused_without_a_field_shows_linodes_reasons_with_its_status_and_revokes() {
    let app = spawn_app(|_| {}).await;
    mount_token(&app.linode, CODE, grant("linodes:read_write")).await;
    mount_create(
        &app.linode,
        ResponseTemplate::new(400).set_body_json(json!({"errors": [
            {"reason": "Your account is not allowed to <create> here", "field": null}
        ]})),
    )
    .await;
    mount_revoke(&app.linode, 200).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("code", CODE), ("state", &state)]).await;

    assert_eq!(response.status(), 400);
    let page = html(&response.text().await.unwrap());
    assert_eq!(
        text_of(&page, ".reasons li").as_deref(),
        Some("Your account is not allowed to <create> here")
    );
    assert_eq!(app.requests_to("POST", "/oauth/revoke").await.len(), 1);
}

#[tokio::test]
async fn a_create_that_fails_upstream_is_a_502_never_retried_and_revoked() {
    let app = spawn_app(|_| {}).await;
    mount_token(&app.linode, CODE, grant("linodes:read_write")).await;
    mount_create(&app.linode, ResponseTemplate::new(500).set_body_string("<html>oops</html>")).await;
    mount_revoke(&app.linode, 200).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("code", CODE), ("state", &state)]).await;

    assert_eq!(response.status(), 502);
    let body = response.text().await.unwrap();
    assert!(!body.contains("oops"), "raw bodies are never shown");
    assert!(body.contains("Cloud Manager"), "the visitor is told to check before retrying");
    assert_eq!(app.requests_to("POST", "/v4/linode/instances").await.len(), 1);
    assert_eq!(app.requests_to("POST", "/oauth/revoke").await.len(), 1);
}

#[tokio::test]
async fn a_create_that_times_out_is_a_504_and_revoked() {
    let app = spawn_app(|_| {}).await;
    mount_token(&app.linode, CODE, grant("linodes:read_write")).await;
    mount_create(&app.linode, created_instance().set_delay(Duration::from_secs(5))).await;
    mount_revoke(&app.linode, 200).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("code", CODE), ("state", &state)]).await;

    assert_eq!(response.status(), 504);
    assert_eq!(app.requests_to("POST", "/v4/linode/instances").await.len(), 1);
    assert_eq!(app.requests_to("POST", "/oauth/revoke").await.len(), 1);
}

#[tokio::test]
async fn a_rate_limited_create_says_when_to_retry() {
    let app = spawn_app(|_| {}).await;
    mount_token(&app.linode, CODE, grant("linodes:read_write")).await;
    mount_create(
        &app.linode,
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "17")
            .set_body_json(json!({"errors": [{"reason": "Too many requests"}]})),
    )
    .await;
    mount_revoke(&app.linode, 200).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("code", CODE), ("state", &state)]).await;

    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "17");
    let page = html(&response.text().await.unwrap());
    assert!(text_of(&page, "#next-step").unwrap().contains("17 seconds"));
}

#[tokio::test]
async fn a_failed_token_exchange_with_an_html_body_creates_nothing() {
    let app = spawn_app(|_| {}).await;
    mount_token(&app.linode, CODE, ResponseTemplate::new(403).set_body_string("<html>blocked</html>")).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("code", CODE), ("state", &state)]).await;

    assert_eq!(response.status(), 403);
    let body = response.text().await.unwrap();
    assert!(!body.contains("blocked"));
    assert_eq!(text_of(&html(&body), "h1").as_deref(), Some("Sign-in could not be completed"));
    assert!(app.requests_to("POST", "/v4/linode/instances").await.is_empty());
    assert!(app.requests_to("POST", "/oauth/revoke").await.is_empty(), "no token, nothing to revoke");
}

#[tokio::test]
async fn a_failed_revoke_still_shows_the_success_page() {
    let app = spawn_app(|_| {}).await;
    mount_token(&app.linode, CODE, grant("linodes:read_write")).await;
    mount_create(&app.linode, created_instance()).await;
    mount_instance_status(&app.linode, "running").await;
    mount_revoke(&app.linode, 403).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("code", CODE), ("state", &state)]).await;

    assert_eq!(response.status(), 200);
    assert_eq!(app.revokes(1).await.len(), 1);
}

#[tokio::test]
async fn a_scope_only_in_the_standard_scope_field_is_read() {
    let app = spawn_app(|_| {}).await;
    mount_token(
        &app.linode,
        CODE,
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": TOKEN, "token_type": "bearer", "expires_in": 7200, "scope": "linodes:read_write"
        })),
    )
    .await;
    mount_create(&app.linode, created_instance()).await;
    mount_revoke(&app.linode, 200).await;
    let state = app.start_deploy().await;

    assert_eq!(app.callback(&[("code", CODE), ("state", &state)]).await.status(), 200);
}
