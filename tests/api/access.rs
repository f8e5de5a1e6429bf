//! Who may deploy and how they get in: a restricted Linode user is told what
//! to ask for before anything is created; the visitor's profile keys go to
//! the server when asked; the success page tells the truth about SSH for
//! Marketplace-style scripts that create a sudo user.

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::*;

pub const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZGMR4jbkzBWdcyrEP40Iv1kFRrXyxuBI8dR0ZhYQm2 alex@laptop";

fn restricted_grants(add_linodes: bool) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "global": {"add_linodes": add_linodes, "add_domains": true, "account_access": null},
        "linode": [], "stackscript": [], "domain": []
    }))
}

async fn mount_profile(app: &TestApp, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/v4/profile"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(response)
        .mount(&app.linode)
        .await;
}

/// Token, these grants, create, a running server and revoke.
async fn mount_deploy_with_grants(app: &TestApp, grants: ResponseTemplate) {
    mount_token(&app.linode, "c", grant("linodes:read_write")).await;
    mount_grants(&app.linode, grants).await;
    mount_create(&app.linode, created_instance()).await;
    mount_instance_status(&app.linode, "running").await;
    mount_revoke(&app.linode, 200).await;
}

/// Posts a valid choice that asks for the profile's keys; returns the state.
async fn start_with_profile_keys(app: &TestApp) -> String {
    let posted = app
        .post_form(&[
            ("type", "g6-nanode-1"),
            ("region", "us-east"),
            ("distribution", "linode/debian12"),
            ("profile_keys", "yes"),
        ])
        .await;
    let location = url::Url::parse(posted.headers()["location"].to_str().unwrap()).unwrap();
    location.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned()
}

#[tokio::test]
async fn a_restricted_user_without_add_linodes_is_told_what_to_ask_and_nothing_is_created() {
    let app = spawn_app(|_| {}).await;
    mount_token(&app.linode, "c", grant("linodes:read_write")).await;
    mount_grants(&app.linode, restricted_grants(false)).await;
    mount_create(&app.linode, created_instance()).await;
    mount_revoke(&app.linode, 200).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("code", "c"), ("state", &state)]).await;

    assert_eq!(response.status(), 403);
    let page = html(&response.text().await.unwrap());
    assert_eq!(text_of(&page, "h1").as_deref(), Some("Your Linode user may not add Linodes"));
    let next = text_of(&page, "#next-step").unwrap();
    assert!(next.contains("administrator") && next.contains("Add Linodes"), "{next}");
    assert!(app.requests_to("POST", "/v4/linode/instances").await.is_empty(), "nothing is created");
    assert_eq!(app.revokes(1).await.len(), 1, "the token is revoked");
}

#[tokio::test]
async fn a_restricted_user_who_may_add_linodes_deploys() {
    let app = spawn_app(|_| {}).await;
    mount_deploy_with_grants(&app, restricted_grants(true)).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("code", "c"), ("state", &state)]).await;

    assert_eq!(response.status(), 200);
    assert_eq!(app.requests_to("POST", "/v4/linode/instances").await.len(), 1);
}

#[tokio::test]
async fn grants_that_cannot_be_read_leave_the_decision_to_the_create() {
    let app = spawn_app(|_| {}).await;
    mount_deploy_with_grants(&app, ResponseTemplate::new(503)).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("code", "c"), ("state", &state)]).await;

    assert_eq!(response.status(), 200);
    assert_eq!(app.requests_to("POST", "/v4/linode/instances").await.len(), 1);
}

#[tokio::test]
async fn the_profile_keys_are_installed_through_the_profile_user_name() {
    let app = spawn_app(|_| {}).await;
    mount_happy_deploy(&app.linode, "c").await;
    mount_profile(
        &app,
        ResponseTemplate::new(200).set_body_json(json!({"username": "alex-l", "restricted": false})),
    )
    .await;
    let state = start_with_profile_keys(&app).await;

    let response = app.callback(&[("code", "c"), ("state", &state)]).await;

    assert_eq!(response.status(), 200);
    let create = &app.requests_to("POST", "/v4/linode/instances").await[0];
    let body: Value = serde_json::from_slice(&create.body).unwrap();
    assert_eq!(body["authorized_users"], json!(["alex-l"]));
}

#[tokio::test]
async fn an_unreadable_profile_creates_nothing_when_its_keys_were_asked_for() {
    let app = spawn_app(|_| {}).await;
    mount_happy_deploy(&app.linode, "c").await;
    mount_profile(&app, ResponseTemplate::new(500)).await;
    let state = start_with_profile_keys(&app).await;

    let response = app.callback(&[("code", "c"), ("state", &state)]).await;

    assert_eq!(response.status(), 502);
    let page = html(&response.text().await.unwrap());
    assert_eq!(text_of(&page, "h1").as_deref(), Some("Your SSH keys could not be read"));
    assert!(app.requests_to("POST", "/v4/linode/instances").await.is_empty());
    assert_eq!(app.revokes(1).await.len(), 1);
}

#[tokio::test]
async fn in_the_sandbox_a_restricted_user_can_be_chosen_and_is_refused_before_the_create() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let posted = app.post_form(&DEMO_FIELDS).await;
    let authorize = posted.headers()["location"].to_str().unwrap().to_owned();
    let consent = html(&app.get_absolute(&authorize).await.text().await.unwrap());
    let consent_id = attr(&consent, "input[name=consent_id]", "value").unwrap();
    assert!(attr(&consent, "#restricted-user", "value").is_some(), "the consent page offers the switch");

    let back = app
        .browser
        .post(format!("{}/sandbox/login/oauth/authorize", app.address))
        .form(&[("consent_id", consent_id.as_str()), ("decision", "authorize"), ("user", "restricted")])
        .send()
        .await
        .unwrap();
    let response = app.get_absolute(back.headers()["location"].to_str().unwrap()).await;

    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("may not add Linodes"));
    assert_eq!(app.simulation().instance_count(), 0);
    assert_eq!(app.simulation().live_tokens(), 0);
}

#[tokio::test]
async fn the_sandbox_installs_the_profile_keys_of_the_signed_in_user() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut fields = DEMO_FIELDS.to_vec();
    fields.push(("profile_keys", "yes"));

    let response = app.deploy(&fields, "authorize", "read_write").await;

    assert_eq!(response.status(), 200);
    assert_eq!(app.simulation().instance_count(), 1);
}

#[tokio::test]
async fn a_script_with_a_sudo_user_is_reached_as_that_user_and_root_is_offered_while_allowed() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;

    let response = app.deploy(&DEMO_FIELDS, "authorize", "read_write").await;

    let page = html(&response.text().await.unwrap());
    let command = text_of(&page, "#ssh-command").unwrap();
    assert!(command.starts_with("ssh alex@192.0.2."), "{command}");
    assert!(text_of(&page, "#ssh-note").unwrap().contains("ssh root@"), "root may still sign in");
    assert!(text_of(&page, "#credentials-note").unwrap().contains("/home/alex/.credentials"));
    let progress = attr(&page, "#progress-link", "href").unwrap();
    let progress = html(&app.get(&progress).await.text().await.unwrap());
    assert_eq!(text_of(&progress, "#ssh-command"), Some(command), "the progress page says the same");
}

#[tokio::test]
async fn with_root_login_off_the_page_never_says_ssh_root() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut fields = DEMO_FIELDS.to_vec();
    fields.extend([("udf_disable_root", "Yes"), ("ssh_keys", KEY)]);

    let response = app.deploy(&fields, "authorize", "read_write").await;

    let body = response.text().await.unwrap();
    assert!(!body.contains("ssh root@"), "root is refused, so it is never suggested");
    let page = html(&body);
    assert!(text_of(&page, "#ssh-command").unwrap().starts_with("ssh alex@"));
    assert!(text_of(&page, "#ssh-note").unwrap().contains("root and password logins over SSH off"));
    assert_eq!(app.simulation().instance_count(), 1);
}

#[tokio::test]
async fn root_login_off_without_any_ssh_key_is_caught_on_the_form() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut fields = DEMO_FIELDS.to_vec();
    fields.push(("udf_disable_root", "Yes"));

    let response = app.post_form(&fields).await;

    assert_eq!(response.status(), 400);
    let page = html(&response.text().await.unwrap());
    assert!(text_of(&page, "#udf_disable_root-error").unwrap().contains("SSH key"));
    fields.push(("profile_keys", "yes"));
    assert_eq!(app.post_form(&fields).await.status(), 302, "the profile's keys will do");
}

#[tokio::test]
async fn a_user_name_the_system_already_uses_is_refused_on_the_form() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut fields = DEMO_FIELDS.to_vec();
    fields.retain(|(k, _)| *k != "udf_user_name");
    fields.push(("udf_user_name", "www-data"));

    let response = app.post_form(&fields).await;

    assert_eq!(response.status(), 400);
    let page = html(&response.text().await.unwrap());
    assert!(text_of(&page, "#udf_user_name-error").unwrap().contains("already uses"));
}
