//! Replicas that die or stop while they watch a deploy: two real processes
//! of the app share a real Redis and one fake Linode. When the replica that
//! holds a deploy's token is killed (`kill -9`), the other takes the job
//! over within 30 seconds and revokes the token; on SIGTERM the stopping
//! replica hands the job over instead of revoking, and the other carries it on.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;
use crate::production::Redis;

/// One replica: the release of this crate's binary, as its own process.
struct Replica {
    child: Child,
    address: String,
}

impl Replica {
    async fn start(linode: &MockServer, redis: &Redis) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let address = format!("http://127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_install-on-linode"))
            .env("APP_PORT", port.to_string())
            .env("APP_PUBLIC_URL", &address)
            .env("APP_SESSION_STORE", redis.url())
            .env("APP_LINODE_API_URL", format!("{}/v4", linode.uri()))
            .env("APP_LINODE_LOGIN_URL", linode.uri())
            .env("APP_CLIENT_ID", CLIENT_ID)
            .env("APP_CLIENT_SECRET", CLIENT_SECRET)
            .env("APP_SECRET_KEY", SECRET_KEY)
            .env("APP_HTTP_TIMEOUT_SECONDS", "2")
            .env("APP_RATE_LIMIT_PER_MINUTE", "0")
            .env("APP_PENDING_PER_CLIENT", "0")
            .env("APP_LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the app starts");
        // Kept at once, so that it is killed and waited for whatever happens next.
        let replica = Self { child, address };
        let client = reqwest::Client::new();
        for _ in 0..100 {
            let ready = client.get(format!("{}/readyz", replica.address)).send().await;
            if ready.is_ok_and(|r| r.status() == 200) {
                return replica;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the replica did not become ready");
    }

    /// Posts a valid choice and comes back from the login server: a deploy
    /// this replica now watches with the token.
    async fn deploy(&self, browser: &reqwest::Client) {
        let posted = browser
            .post(&self.address)
            .header("Origin", &self.address)
            .form(&[("type", "g6-nanode-1"), ("region", "us-east"), ("distribution", "linode/debian12")])
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 302);
        let location = url::Url::parse(posted.headers()["location"].to_str().unwrap()).unwrap();
        let state = location.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
        let done = browser
            .get(format!("{}/auth_callback", self.address))
            .query(&[("code", "c"), ("state", state.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 200, "the server was created");
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill").args([signal, &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fake Linode whose new server stays provisioning until [`server_runs`].
async fn linode() -> MockServer {
    let linode = MockServer::start().await;
    mount_catalog(&linode).await;
    mount_provisioning_deploy(&linode).await;
    linode
}

/// Token, grants, create and revoke, with the new server provisioning.
async fn mount_provisioning_deploy(linode: &MockServer) {
    mount_token(linode, "c", grant("linodes:read_write")).await;
    mount_grants(linode, ResponseTemplate::new(204)).await;
    mount_create(linode, created_instance()).await;
    mount_revoke(linode, 200).await;
    let mut provisioning = instance_json();
    provisioning["status"] = json!("provisioning");
    Mock::given(method("GET"))
        .and(path("/v4/linode/instances/4242"))
        .respond_with(ResponseTemplate::new(200).set_body_json(provisioning))
        .with_priority(5)
        .mount(linode)
        .await;
}

async fn server_runs(linode: &MockServer) {
    let mut running = instance_json();
    running["status"] = json!("running");
    Mock::given(method("GET"))
        .and(path("/v4/linode/instances/4242"))
        .respond_with(ResponseTemplate::new(200).set_body_json(running))
        .with_priority(1)
        .mount(linode)
        .await;
}

async fn revokes(linode: &MockServer) -> usize {
    let requests = linode.received_requests().await.unwrap_or_default();
    requests.iter().filter(|r| r.method.as_str() == "POST" && r.url.path() == "/oauth/revoke").count()
}

/// Waits up to `within` for the first revoke; how long it took.
async fn first_revoke(linode: &MockServer, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < within {
        if revokes(linode).await > 0 {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    None
}

#[tokio::test]
#[cfg_attr(missing_redis, ignore = "needs redis-server (apt-get install redis-server)")]
async fn kill_9_of_the_watching_replica_leaves_no_live_token() {
    let redis = Redis::start().await;
    let linode = linode().await;
    let watching = Replica::start(&linode, &redis).await;
    let other = Replica::start(&linode, &redis).await;
    watching.deploy(&browser_client()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    drop(watching); // SIGKILL: no shutdown, no revoke
    let took = first_revoke(&linode, Duration::from_secs(3)).await;
    assert_eq!(took, None, "a killed replica revokes nothing itself");
    server_runs(&linode).await;

    let took = first_revoke(&linode, Duration::from_secs(30)).await;
    assert!(took.is_some(), "the other replica took the deploy over and revoked its token within 30 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(revokes(&linode).await, 1, "once");
    let creates = linode.received_requests().await.unwrap_or_default();
    assert_eq!(
        creates
            .iter()
            .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/v4/linode/instances")
            .count(),
        1
    );
    drop(other);
}

#[tokio::test]
#[cfg_attr(missing_redis, ignore = "needs redis-server (apt-get install redis-server)")]
async fn on_sigterm_the_watching_replica_hands_its_deploys_over_instead_of_revoking() {
    let redis = Redis::start().await;
    let linode = linode().await;
    let mut stopping = Replica::start(&linode, &redis).await;
    let other = Replica::start(&linode, &redis).await;
    stopping.deploy(&browser_client()).await;

    stopping.signal("-TERM");
    let mut exited = None;
    for _ in 0..100 {
        exited = stopping.child.try_wait().unwrap();
        if exited.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(exited.is_some_and(|s| s.success()), "a clean stop: {exited:?}");
    assert_eq!(revokes(&linode).await, 0, "handed over, not revoked");
    server_runs(&linode).await;

    let took = first_revoke(&linode, Duration::from_secs(20)).await;
    assert!(took.is_some(), "the other replica carried the deploy on and revoked the token when it ran");
    drop(other);
}

#[tokio::test]
#[cfg_attr(missing_redis, ignore = "needs redis-server (apt-get install redis-server)")]
async fn a_held_token_is_in_redis_only_sealed_and_only_while_it_is_held() {
    let redis = Redis::start().await;
    let app = spawn_app(|s| {
        s.settings.session_store = install_on_linode::settings::SessionStoreSetting::Redis(redis.url());
    })
    .await;
    let linode = &app.linode;
    mount_provisioning_deploy(linode).await;
    let state = app.start_deploy().await;
    assert_eq!(app.callback(&[("code", "c"), ("state", &state)]).await.status(), 200);

    let values = crate::production::redis_strings(&redis).await;
    let job = values.iter().find(|v| v.starts_with(br#"{"instance_id":4242"#)).expect("the job is in Redis");
    let job: serde_json::Value = serde_json::from_slice(job).unwrap();
    assert!(job["token"].as_str().is_some_and(|t| t.len() > 40), "with the token, sealed");
    assert!(
        !values.iter().any(|v| v.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes())),
        "never in the clear"
    );

    server_runs(linode).await;
    assert_eq!(app.revokes(1).await.len(), 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let values = crate::production::redis_strings(&redis).await;
    assert!(!values.iter().any(|v| v.starts_with(br#"{"instance_id":4242"#)), "gone once revoked");
}
