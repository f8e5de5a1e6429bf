//! From "the server runs" to "your app is up": with a ready URL the deploy
//! goes on, from `running` through `installing` to `ready` (the app
//! answers) or `failed`, probing only the new server's own address, and a
//! failed server can be deleted from the page while access is held.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

/// An app whose ready URL is on `server`, probed with private addresses allowed or not.
async fn app_checking(server: &MockServer, allow_private: bool, timeout: Duration) -> TestApp {
    let port = server.address().port();
    let app = spawn_app(|s| {
        s.settings.ready_url = Some(format!("http://{{ipv4}}:{port}/health"));
        s.settings.ready_allow_private = allow_private;
        s.settings.ready_timeout = timeout;
        s.settings.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    mount_deploy_at_loopback(&app.linode, "c").await;
    app
}

/// Deploys and returns the status URL; then polls it until `done` holds (at most 20 s).
async fn deploy_until(app: &TestApp, done: impl Fn(&Value) -> bool) -> (Value, String) {
    let state = app.start_deploy().await;
    let page = html(&app.callback(&[("code", "c"), ("state", &state)]).await.text().await.unwrap());
    let status_url = attr(&page, "[data-status-url]", "data-status-url").unwrap();
    (poll_status(app, &status_url, done).await, status_url)
}

/// A POST to `path` as a page of `origin` sends it.
async fn post_from(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.browser.post(format!("{}{path}", app.address)).header("Origin", origin).send().await.unwrap()
}

#[tokio::test]
async fn an_app_that_answers_503_then_200_is_ready_and_the_token_revoked_at_once() {
    let server = MockServer::start().await;
    Mock::given(path("/health"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/health")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let app = app_checking(&server, true, Duration::from_secs(60)).await;

    let (status, status_url) = deploy_until(&app, |s| s["stage"] == "ready").await;

    let open = format!("http://127.0.0.1:{}/health", server.address().port());
    assert_eq!(status["open_url"], json!(open), "the ready URL opens the app");
    assert_eq!(status["revoked"], "ready");
    assert_eq!(app.revokes(1).await.len(), 1);
    assert!(server.received_requests().await.unwrap().len() >= 2, "probed until it answered");
    let page = html(&app.get(status_url.trim_end_matches("/status")).await.text().await.unwrap());
    assert_eq!(attr(&page, "#open-app", "href"), Some(open));
    assert!(attr(&page, "#open-app-row", "hidden").is_none(), "Open app is shown");
    // The watch records its end just after it publishes it.
    let mut metrics = String::new();
    for _ in 0..50 {
        metrics = reqwest::get(app.metrics.clone().unwrap()).await.unwrap().text().await.unwrap();
        if metrics.contains(r#"deploys_finished_total{stage="ready"}"#) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(metrics.contains(r#"deploys_finished_total{stage="ready"}"#), "{metrics}");
    assert!(metrics.contains("deploy_time_to_ready_seconds"), "time to ready is measured");
}

#[tokio::test]
async fn an_app_that_never_answers_fails_and_the_server_can_be_deleted_from_the_page() {
    let server = MockServer::start().await;
    Mock::given(path("/health")).respond_with(ResponseTemplate::new(502)).mount(&server).await;
    let app = app_checking(&server, true, Duration::from_secs(2)).await;
    Mock::given(method("DELETE"))
        .and(path("/v4/linode/instances/4242"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&app.linode)
        .await;

    let (status, status_url) = deploy_until(&app, |s| s["stage"] == "failed").await;

    assert_eq!(status["can_delete"], true, "access is still held");
    assert!(status["stage_sentence"].as_str().unwrap().contains("did not answer"));
    let progress_url = status_url.trim_end_matches("/status").to_owned();
    let page = html(&app.get(&progress_url).await.text().await.unwrap());
    assert!(attr(&page, "#delete-form", "hidden").is_none(), "the delete button is offered");
    let delete_url = attr(&page, "#delete-form", "action").unwrap();

    let forged = post_from(&app, &delete_url, "https://evil.example").await;
    assert_eq!(forged.status(), 403, "never from another site");
    let deleted = post_from(&app, &delete_url, &app.address).await;

    assert_eq!(deleted.status(), 303);
    let after: Value = app.get(&status_url).await.json().await.unwrap();
    assert_eq!((after["stage"].as_str(), after["revoked"].as_str()), (Some("deleted"), Some("deleted")));
    assert_eq!(app.revokes(1).await.len(), 1, "then the token is revoked");
}

#[tokio::test]
async fn a_redirect_to_another_host_counts_as_an_answer_and_is_not_followed() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).mount(&elsewhere).await;
    let server = MockServer::start().await;
    Mock::given(path("/health"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("Location", format!("{}/elsewhere", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    let app = app_checking(&server, true, Duration::from_secs(60)).await;

    deploy_until(&app, |s| s["stage"] == "ready").await;

    assert!(elsewhere.received_requests().await.unwrap().is_empty(), "the other host was never asked");
}

#[tokio::test]
async fn a_private_address_is_never_probed_without_the_setting() {
    let server = MockServer::start().await;
    Mock::given(path("/health")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let app = app_checking(&server, false, Duration::from_secs(60)).await;

    let (status, _) = deploy_until(&app, |s| s["stage"] == "failed").await;

    assert!(status["stage_sentence"].as_str().unwrap().contains("private or reserved"), "{status}");
    assert!(server.received_requests().await.unwrap().is_empty(), "nothing was sent to it");
}

#[tokio::test]
async fn a_tcp_check_is_ready_once_the_port_accepts() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = spawn_app(|s| {
        s.settings.ready_url = Some(format!("tcp://{{ipv4}}:{port}"));
        s.settings.ready_allow_private = true;
    })
    .await;
    mount_deploy_at_loopback(&app.linode, "c").await;

    let (status, _) = deploy_until(&app, |s| s["stage"] == "ready").await;

    assert_eq!(status["open_url"], "http://127.0.0.1/", "a tcp check opens the server's web page");
    drop(listener);
}

#[tokio::test]
async fn the_sandbox_app_answers_after_running_and_the_page_offers_open_app() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;

    let response = app.deploy(&DEMO_FIELDS, "authorize", "read_write").await;

    let page = html(&response.text().await.unwrap());
    assert!(text_of(&page, "#access-note").unwrap().contains("as soon as your app answers"));
    let status_url = attr(&page, "[data-status-url]", "data-status-url").unwrap();
    let mut stages = Vec::new();
    let mut last = Value::Null;
    for _ in 0..150 {
        last = app.get(&status_url).await.json().await.unwrap();
        let stage = last["stage"].as_str().unwrap().to_owned();
        if stages.last() != Some(&stage) {
            stages.push(stage.clone());
        }
        if stage == "ready" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stages.last().map(String::as_str), Some("ready"), "{stages:?}");
    assert!(stages.contains(&"installing".to_owned()), "{stages:?}");
    let open = last["open_url"].as_str().unwrap().to_owned();
    let app_page = app.get_absolute(&open).await;
    assert_eq!(app_page.status(), 200);
    assert!(app_page.text().await.unwrap().contains("It works"));
    assert_eq!(app.simulation().live_tokens(), 0, "revoked once the app answered");
}

#[tokio::test]
async fn a_simulated_install_failure_fails_in_plain_words_and_the_server_is_deleted_on_request() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut fields = DEMO_FIELDS.to_vec();
    fields.push(("udf_simulate_failure", "Yes"));

    let page = html(&app.deploy(&fields, "authorize", "read_write").await.text().await.unwrap());
    let status_url = attr(&page, "[data-status-url]", "data-status-url").unwrap();
    let last = poll_status(&app, &status_url, |s| s["stage"] == "failed").await;
    assert!(last["stage_sentence"].as_str().unwrap().contains("stopped"), "{last}");
    assert_eq!(last["can_delete"], true);

    let delete = status_url.replace("/status", "/delete");
    let deleted = post_from(&app, &delete, &app.address).await;

    assert_eq!(deleted.status(), 303);
    assert_eq!(app.simulation().instance_count(), 0, "the server is gone");
    assert_eq!(app.simulation().live_tokens(), 0, "and the access revoked");
}
