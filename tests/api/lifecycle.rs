//! Start and stop: a shutdown lets requests finish and revokes every token
//! the app still holds.

use std::time::Duration;

use crate::helpers::*;

#[tokio::test]
async fn shutting_down_revokes_the_tokens_of_servers_still_starting_and_stops() {
    let mut app = spawn_app(|_| {}).await;
    mount_happy_deploy_still_starting(&app.linode).await;
    let state = app.start_deploy().await;
    assert_eq!(app.callback(&[("code", "c"), ("state", &state)]).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(app.requests_to("POST", "/oauth/revoke").await.is_empty(), "held while the server starts");

    let result = tokio::time::timeout(Duration::from_secs(10), app.stop()).await.expect("it stops in time");

    assert!(result.is_ok());
    assert_eq!(app.requests_to("POST", "/oauth/revoke").await.len(), 1);
}

async fn mount_happy_deploy_still_starting(linode: &wiremock::MockServer) {
    mount_token(linode, "c", grant("linodes:read_write")).await;
    mount_create(linode, created_instance()).await;
    mount_instance_status(linode, "provisioning").await;
    mount_revoke(linode, 200).await;
}
