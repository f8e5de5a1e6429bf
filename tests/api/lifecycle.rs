//! Start and stop: a shutdown lets requests finish and revokes every token
//! the app still holds.

use std::time::Duration;

use install_on_linode::startup::Application;

use crate::helpers::*;

#[tokio::test]
async fn shutting_down_revokes_the_tokens_of_servers_still_starting_and_stops() {
    let linode = wiremock::MockServer::start().await;
    mount_catalog(&linode).await;
    mount_happy_deploy_still_starting(&linode).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut settings = test_settings(&linode);
    settings.public_url = url::Url::parse(&address).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server =
        tokio::spawn(Application::with_listener(settings, listener).unwrap().run_until_stopped(async {
            let _ = stopped.await;
        }));
    let app = TestApp { address, linode, browser: browser_client() };
    let state = app.start_deploy().await;
    assert_eq!(app.callback(&[("code", "c"), ("state", &state)]).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(app.requests_to("POST", "/oauth/revoke").await.is_empty(), "held while the server starts");

    stop.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(10), server).await.expect("it stops in time");

    assert!(result.unwrap().is_ok());
    assert_eq!(app.requests_to("POST", "/oauth/revoke").await.len(), 1);
}

async fn mount_happy_deploy_still_starting(linode: &wiremock::MockServer) {
    mount_token(linode, "c", grant("linodes:read_write")).await;
    mount_create(linode, created_instance()).await;
    mount_instance_status(linode, "provisioning").await;
    mount_revoke(linode, 200).await;
}
