//! The deploy as a job with a life of its own: a visitor whose connection
//! drops, a request that stops waiting while Linode is slow, or a session
//! store that stalls after the server exists loses nothing: exactly one
//! server, its token revoked or watched, and the result shown exactly once.

use std::time::Duration;

use install_on_linode::settings::SessionStoreSetting;
use wiremock::ResponseTemplate;

use crate::helpers::*;
use crate::production::Redis;

/// A fake Linode whose create answers after `delay`, the rest as usual.
async fn slow_create(app: &TestApp, delay: Duration) {
    mount_token(&app.linode, "c", grant("linodes:read_write")).await;
    mount_grants(&app.linode, ResponseTemplate::new(204)).await;
    mount_create(&app.linode, created_instance().set_delay(delay)).await;
    mount_instance_status(&app.linode, "running").await;
    mount_revoke(&app.linode, 200).await;
}

/// Comes back from the login server, then gives up on the answer after 300 ms.
async fn drop_mid_callback(app: &TestApp, state: &str) {
    let gone = app
        .browser
        .get(format!("{}/auth_callback", app.address))
        .query(&[("code", "c"), ("state", state)])
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(gone.is_err(), "the visitor's connection dropped");
}

#[tokio::test]
async fn a_visitor_who_drops_mid_callback_gets_the_result_once_on_the_next_visit() {
    let app = spawn_app(|_| {}).await;
    slow_create(&app, Duration::from_millis(1500)).await;
    let state = app.start_deploy().await;

    drop_mid_callback(&app, &state).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let next = app.get("/").await;
    assert_eq!(next.headers()["cache-control"], "no-store");
    let page = html(&next.text().await.unwrap());
    assert_eq!(text_of(&page, "h1").as_deref(), Some("Success!"));
    assert!(text_of(&page, "#root-password").is_some_and(|p| p.len() >= 22), "the password, shown now");
    let again = html(&app.get("/").await.text().await.unwrap());
    assert!(text_of(&again, "#root-password").is_none(), "and never again");
    assert!(text_of(&again, "h1").unwrap().starts_with("Deploy"), "the form, as usual");
    assert_eq!(app.requests_to("POST", "/v4/linode/instances").await.len(), 1, "exactly one server");
    assert_eq!(app.revokes(1).await.len(), 1, "its token revoked once it ran");
}

#[tokio::test]
async fn a_callback_that_stops_waiting_leaves_a_page_that_waits_for_the_result() {
    let app = spawn_app(|s| s.settings.result_wait = Duration::from_secs(1)).await;
    // Slower than the callback waits, quicker than a call to Linode times out (2 s here).
    slow_create(&app, Duration::from_millis(1700)).await;
    let state = app.start_deploy().await;

    let first = app.callback(&[("code", "c"), ("state", &state)]).await;

    assert_eq!(first.status(), 200);
    let waiting = html(&first.text().await.unwrap());
    assert_eq!(text_of(&waiting, "h1").as_deref(), Some("Sending your deploy to Linode"));
    assert_eq!(text_of(&waiting, "#status").as_deref(), Some("creating"));
    let refresh = attr(&waiting, "meta[http-equiv=refresh]", "content").unwrap();
    assert!(refresh.ends_with("/deploys/latest"), "{refresh}");
    let still = html(&app.get("/deploys/latest").await.text().await.unwrap());
    assert_eq!(text_of(&still, "h1").as_deref(), Some("Sending your deploy to Linode"), "still on its way");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let done = app.get("/deploys/latest").await;
    let status = done.status();
    let body = done.text().await.unwrap();
    assert!(text_of(&html(&body), "#root-password").is_some(), "then the result: {status} {body}");
    let after = app.get("/deploys/latest").await;
    assert_eq!(after.status(), 303, "once: then back to the form");
    assert_eq!(app.requests_to("POST", "/v4/linode/instances").await.len(), 1);
}

#[tokio::test]
async fn a_deploy_that_fails_while_nobody_waits_is_explained_on_the_next_visit() {
    let app = spawn_app(|_| {}).await;
    mount_token(&app.linode, "c", grant("linodes:read_write")).await;
    mount_grants(&app.linode, ResponseTemplate::new(204)).await;
    let refused = serde_json::json!({"errors": [{"reason": "Region is at capacity"}]});
    mount_create(
        &app.linode,
        ResponseTemplate::new(400).set_body_json(refused).set_delay(Duration::from_millis(1200)),
    )
    .await;
    mount_revoke(&app.linode, 200).await;
    let state = app.start_deploy().await;

    drop_mid_callback(&app, &state).await;
    tokio::time::sleep(Duration::from_millis(2000)).await;

    let page = html(&app.get("/").await.text().await.unwrap());
    let notice = text_of(&page, "#form-notices").unwrap();
    assert!(notice.contains("nothing was created") && notice.contains("Region is at capacity"), "{notice}");
    assert_eq!(app.revokes(1).await.len(), 1, "the token was revoked");
}

#[tokio::test]
#[cfg_attr(missing_redis, ignore = "needs redis-server (apt-get install redis-server)")]
async fn redis_paused_after_the_create_still_shows_the_new_server() {
    let redis = Redis::start().await;
    let app = spawn_app(|s| s.settings.session_store = SessionStoreSetting::Redis(redis.url())).await;
    slow_create(&app, Duration::from_millis(1000)).await;
    let state = app.start_deploy().await;

    let query = [("code", "c"), ("state", state.as_str())];
    let callback = app.callback(&query);
    let pause = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        redis.pause();
    };
    let (response, ()) = tokio::join!(callback, pause);

    let status = response.status();
    let page = html(&response.text().await.unwrap());
    redis.resume();
    assert_eq!(status, 200, "never an error page that hides a server that exists");
    assert!(text_of(&page, "#root-password").is_some(), "its password is shown");
    assert_eq!(app.requests_to("POST", "/v4/linode/instances").await.len(), 1);
}
