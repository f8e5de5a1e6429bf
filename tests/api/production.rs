//! Running in production: replicas sharing sessions through a real Redis,
//! Redis going away and coming back, readiness, metrics, rate limits and the
//! container's health probe.
//!
//! The Redis tests start Debian's `redis-server` on a free loopback port.
//! Without it the test runner reports them as ignored, with the reason (see
//! `build.rs`); with `CI=true` a missing Redis fails them.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use install_on_linode::settings::SessionStoreSetting;

use crate::helpers::*;

const REDIS: &str = "/usr/bin/redis-server";

/// A throwaway Redis on a loopback port; stopped when dropped.
pub struct Redis {
    child: Option<Child>,
    port: u16,
}

impl Redis {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut redis = Self { child: None, port };
        redis.restart().await;
        redis
    }

    async fn restart(&mut self) {
        let child = Command::new(REDIS)
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts (apt-get install redis-server)");
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start");
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes the server (SIGSTOP): connections stay open, nothing answers.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused server go on (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = std::process::Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(status.success(), "kill {signal} {pid}");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn post_choice(browser: &reqwest::Client, replica: &str, origin: &str) -> reqwest::Response {
    browser
        .post(replica)
        .header("Origin", origin)
        .form(&[("type", "g6-nanode-1"), ("region", "us-east"), ("distribution", "linode/debian12")])
        .send()
        .await
        .unwrap()
}

fn state_of(response: &reqwest::Response) -> String {
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    location.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned()
}

/// A fake Linode with a happy deploy, and two running replicas sharing `redis`;
/// both take `a` as their public URL, as behind one load balancer.
async fn two_replicas_on(redis: &Redis) -> (TestApp, TestApp) {
    let a = spawn_app(|s| s.settings.session_store = SessionStoreSetting::Redis(redis.url())).await;
    mount_happy_deploy(&a.linode, "c").await;
    let b = spawn_app(|s| {
        s.on(&a.linode).behind(&a.address).settings.session_store = SessionStoreSetting::Redis(redis.url());
    })
    .await;
    (a, b)
}

#[tokio::test]
#[cfg_attr(missing_redis, ignore = "needs redis-server (apt-get install redis-server)")]
async fn a_flow_started_on_one_replica_finishes_on_another_through_redis() {
    let redis = Redis::start().await;
    let (app_a, app_b) = two_replicas_on(&redis).await;
    let (a, b) = (app_a.address.clone(), app_b.address.clone());
    let visitor = browser_client();

    let posted = post_choice(&visitor, &a, &a).await;
    assert_eq!(posted.status(), 302);
    let state = state_of(&posted);
    let finished = visitor
        .get(format!("{b}/auth_callback"))
        .query(&[("code", "c"), ("state", &state)])
        .send()
        .await
        .unwrap();
    let replayed = visitor
        .get(format!("{a}/auth_callback"))
        .query(&[("code", "c"), ("state", &state)])
        .send()
        .await
        .unwrap();

    assert_eq!(finished.status(), 200, "replica B finishes what A started");
    assert_eq!(replayed.status(), 409, "and A knows it is done");
    assert_eq!(app_a.requests_to("POST", "/v4/linode/instances").await.len(), 1);
}

#[tokio::test]
#[cfg_attr(missing_redis, ignore = "needs redis-server (apt-get install redis-server)")]
async fn redis_stopping_mid_flow_gives_a_503_page_and_the_next_visitor_succeeds_once_it_is_back() {
    let mut redis = Redis::start().await;
    let app = spawn_app(|s| s.settings.session_store = SessionStoreSetting::Redis(redis.url())).await;
    mount_happy_deploy(&app.linode, "c").await;
    let a = app.address.clone();
    let first = browser_client();
    let state = state_of(&post_choice(&first, &a, &a).await);

    redis.stop();
    let callback = first
        .get(format!("{a}/auth_callback"))
        .query(&[("code", "c"), ("state", &state)])
        .send()
        .await
        .unwrap();
    let posted = post_choice(&browser_client(), &a, &a).await;
    let ready = reqwest::get(format!("{a}/readyz")).await.unwrap();

    assert_eq!(callback.status(), 503);
    let page = html(&callback.text().await.unwrap());
    assert_eq!(text_of(&page, "h1").as_deref(), Some("Service unavailable"));
    assert_eq!(posted.status(), 503, "a new visitor is told too, not sent to log in");
    assert_eq!(ready.status(), 503);
    assert!(app.requests_to("POST", "/v4/linode/instances").await.is_empty());

    redis.restart().await;
    let next = browser_client();
    let mut posted = post_choice(&next, &a, &a).await;
    for _ in 0..40 {
        if posted.status() == 302 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        posted = post_choice(&next, &a, &a).await;
    }
    assert_eq!(posted.status(), 302, "Redis is back");
    let state = state_of(&posted);
    let done = next
        .get(format!("{a}/auth_callback"))
        .query(&[("code", "c"), ("state", &state)])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
}

#[tokio::test]
async fn readiness_needs_the_catalog_and_liveness_does_not() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(500))
        .mount(&app.linode)
        .await;

    let not_ready = app.get("/readyz").await;
    let alive = app.get("/healthz").await;
    assert_eq!(not_ready.status(), 503);
    let body: serde_json::Value = not_ready.json().await.unwrap();
    assert_eq!(body["catalog"], false);
    assert_eq!(body["sessions"], true);
    assert_eq!(alive.status(), 200);

    app.linode.reset().await;
    mount_catalog(&app.linode).await;
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn metrics_count_requests_deploys_linode_calls_and_the_catalog_on_their_own_listener() {
    let app = spawn_app(|s| s.settings.metrics_addr = Some("127.0.0.1:0".parse().unwrap())).await;
    mount_happy_deploy(&app.linode, "c").await;
    let (address, metrics) = (app.address.clone(), app.metrics.clone().unwrap());
    let visitor = browser_client();
    visitor.get(&address).send().await.unwrap();
    let state = state_of(&post_choice(&visitor, &address, &address).await);
    visitor
        .get(format!("{address}/auth_callback"))
        .query(&[("code", "c"), ("state", &state)])
        .send()
        .await
        .unwrap();

    let scraped = reqwest::get(&metrics).await.unwrap().text().await.unwrap();

    for expected in [
        r#"http_requests_total{route="/",method="GET",status="200"}"#,
        r#"http_requests_total{route="/auth_callback",method="GET",status="200"}"#,
        "http_request_duration_seconds_bucket{route=\"/\"",
        r#"deploys_total{outcome="started"}"#,
        r#"deploys_total{outcome="succeeded"}"#,
        r#"linode_requests_total{endpoint="create_instance",outcome="ok"}"#,
        "linode_request_duration_seconds_bucket{endpoint=\"oauth_token\"",
        r#"catalog_requests_total{result="miss"}"#,
    ] {
        assert!(scraped.contains(expected), "missing {expected} in\n{scraped}");
    }
    assert_eq!(
        visitor.get(format!("{address}/metrics")).send().await.unwrap().status(),
        404,
        "not on the public port"
    );
}

#[tokio::test]
async fn invented_methods_and_paths_make_no_metric_series_of_their_own() {
    let app = spawn_app(|s| s.settings.metrics_addr = Some("127.0.0.1:0".parse().unwrap())).await;
    let client = reqwest::Client::new();
    for i in 0..20 {
        let method = reqwest::Method::from_bytes(format!("BREW{i}").as_bytes()).unwrap();
        client.request(method, format!("{}/made-up/{i}", app.address)).send().await.unwrap();
    }

    let scraped = reqwest::get(app.metrics.clone().unwrap()).await.unwrap().text().await.unwrap();

    assert!(!scraped.contains("BREW"), "{scraped}");
    assert!(!scraped.contains("made-up"), "{scraped}");
    assert!(scraped.contains(r#"http_requests_total{route="unmatched",method="OTHER",status="#), "{scraped}");
}

#[tokio::test]
async fn a_client_over_its_limit_gets_a_429_page_saying_when_to_retry() {
    let app = spawn_app(|s| s.settings.rate_limit_per_minute = 2).await;
    let address = app.address.clone();
    let visitor = browser_client();

    let statuses: Vec<u16> = {
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(post_choice(&visitor, &address, &address).await.status().as_u16());
        }
        statuses
    };
    let limited = post_choice(&visitor, &address, &address).await;
    let page_view = visitor.get(&address).send().await.unwrap();

    assert_eq!(statuses, [302, 302, 429]);
    let retry: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry));
    let page = html(&limited.text().await.unwrap());
    assert!(text_of(&page, "#next-step").unwrap().contains("seconds"));
    assert_eq!(page_view.status(), 200, "looking at the form is never limited");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let app = spawn_app(|s| {
        s.settings.rate_limit_per_minute = 1;
        s.settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let address = app.address.clone();
    let post_as = |client: &'static str| {
        browser_client()
            .post(&address)
            .header("Origin", &address)
            .header("X-Forwarded-For", client)
            .form(&[("type", "g6-nanode-1"), ("region", "us-east"), ("distribution", "linode/debian12")])
            .send()
    };

    assert_eq!(post_as("203.0.113.1").await.unwrap().status(), 302);
    assert_eq!(post_as("203.0.113.2").await.unwrap().status(), 302);
    assert_eq!(post_as("203.0.113.1").await.unwrap().status(), 429);
}

#[tokio::test]
async fn the_healthcheck_command_exits_0_for_a_live_server_and_1_otherwise() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;
    let run = |url: String| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_install-on-linode"))
            .args(["healthcheck", "--url", &url])
            .output()
    };

    let live = run(format!("{}/healthz", app.address)).await.unwrap();
    let dead = run("http://127.0.0.1:9/healthz".to_owned()).await.unwrap();

    assert_eq!(live.status.code(), Some(0));
    assert_eq!(dead.status.code(), Some(1));
}

#[tokio::test]
#[cfg_attr(missing_redis, ignore = "needs redis-server (apt-get install redis-server)")]
async fn a_deploys_progress_can_be_followed_on_any_replica() {
    let redis = Redis::start().await;
    let (app_a, app_b) = two_replicas_on(&redis).await;
    let (a, b) = (app_a.address.clone(), app_b.address.clone());
    let visitor = browser_client();
    let state = state_of(&post_choice(&visitor, &a, &a).await);
    let success = visitor
        .get(format!("{a}/auth_callback"))
        .query(&[("code", "c"), ("state", &state)])
        .send()
        .await
        .unwrap();
    let page = html(&success.text().await.unwrap());
    let progress = scraper::Selector::parse("#progress-link").unwrap();
    let path = page.select(&progress).next().unwrap().value().attr("href").unwrap().to_owned();

    let mut body = serde_json::Value::Null;
    for _ in 0..50 {
        body = visitor.get(format!("{b}{path}/status")).send().await.unwrap().json().await.unwrap();
        if body["watching"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let events = visitor.get(format!("{b}{path}/events")).send().await.unwrap();
    let stream =
        tokio::time::timeout(Duration::from_secs(5), events.text()).await.expect("the stream ends").unwrap();
    let page = visitor.get(format!("{b}{path}")).send().await.unwrap();
    let stranger = reqwest::get(format!("{b}{path}/status")).await.unwrap();

    assert_eq!(body["status"], "running", "replica B reads what replica A watches");
    assert_eq!(body["revoked"], "running");
    assert!(stream.contains("\"status\":\"running\""));
    assert_eq!(page.status(), 200);
    assert_eq!(stranger.status(), 404, "still only for the visitor's own session");
}

#[tokio::test]
async fn every_address_of_one_ipv6_slash_64_shares_one_limit_and_a_mapped_ipv4_is_its_ipv4() {
    let app = spawn_app(|s| {
        s.settings.rate_limit_per_minute = 1;
        s.settings.trusted_proxies = vec!["::ffff:127.0.0.1/128".parse().unwrap()];
    })
    .await;
    let address = app.address.clone();
    let post_as = |client: &'static str| {
        browser_client()
            .post(&address)
            .header("Origin", &address)
            .header("X-Forwarded-For", client)
            .form(&[("type", "g6-nanode-1"), ("region", "us-east"), ("distribution", "linode/debian12")])
            .send()
    };

    assert_eq!(post_as("2001:db8:5:6::1").await.unwrap().status(), 302);
    assert_eq!(post_as("2001:db8:5:6:ffff::2").await.unwrap().status(), 429, "the same /64");
    assert_eq!(post_as("2001:db8:5:7::1").await.unwrap().status(), 302, "the next /64");
    assert_eq!(post_as("203.0.113.9").await.unwrap().status(), 302);
    assert_eq!(post_as("::ffff:203.0.113.9").await.unwrap().status(), 429, "the same IPv4 client");
}

/// Posts a valid choice from a fresh browser as `client` (through a trusted
/// proxy) to `replica`, from the page at `origin`.
async fn begin_on(replica: &str, origin: &str, client: &str) -> (reqwest::Client, reqwest::Response) {
    let visitor = browser_client();
    let response = visitor
        .post(replica)
        .header("Origin", origin)
        .header("X-Forwarded-For", client)
        .form(&[("type", "g6-nanode-1"), ("region", "us-east"), ("distribution", "linode/debian12")])
        .send()
        .await
        .unwrap();
    (visitor, response)
}

#[tokio::test]
async fn a_client_may_have_only_so_many_sign_ins_in_progress_and_a_finished_one_frees_its_place() {
    let app = spawn_app(|s| {
        s.settings.pending_per_client = 2;
        s.settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    mount_happy_deploy(&app.linode, "c").await;
    let address = app.address.clone();

    let (first, started) = begin_on(&address, &address, "203.0.113.5").await;
    let (_, second) = begin_on(&address, &address, "203.0.113.5").await;
    let (_, third) = begin_on(&address, &address, "203.0.113.5").await;
    let (_, elsewhere) = begin_on(&address, &address, "198.51.100.5").await;
    assert_eq!([started.status(), second.status(), third.status()].map(|s| s.as_u16()), [302, 302, 429]);
    assert_eq!(elsewhere.status(), 302, "another client has its own places");
    let page = html(&third.text().await.unwrap());
    assert!(text_of(&page, "h1").unwrap().contains("Too many sign-ins"), "{:?}", text_of(&page, "h1"));

    let finished = first
        .get(format!("{address}/auth_callback"))
        .query(&[("code", "c"), ("state", &state_of(&started))])
        .send()
        .await
        .unwrap();
    assert_eq!(finished.status(), 200);
    let (_, after) = begin_on(&address, &address, "203.0.113.5").await;
    assert_eq!(after.status(), 302, "the finished sign-in gave its place back");
}

#[tokio::test]
#[cfg_attr(missing_redis, ignore = "needs redis-server (apt-get install redis-server)")]
async fn the_cap_on_sign_ins_in_progress_holds_across_replicas_sharing_redis() {
    let redis = Redis::start().await;
    let on_redis = |s: &mut Spawn| {
        s.settings.session_store = SessionStoreSetting::Redis(redis.url());
        s.settings.pending_per_client = 2;
        s.settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    };
    let a = spawn_app(on_redis).await;
    let b = spawn_app(|s| {
        on_redis(s);
        s.on(&a.linode).behind(&a.address);
    })
    .await;

    let (_, one) = begin_on(&a.address, &a.address, "203.0.113.6").await;
    let (_, two) = begin_on(&b.address, &a.address, "203.0.113.6").await;
    let (_, three) = begin_on(&a.address, &a.address, "203.0.113.6").await;
    let (_, four) = begin_on(&b.address, &a.address, "203.0.113.6").await;

    assert_eq!([one, two, three, four].map(|r| r.status().as_u16()), [302, 302, 429, 429]);
}

/// Every string value in `redis`, raw, as the store keeps it.
pub async fn redis_strings(redis: &Redis) -> Vec<Vec<u8>> {
    use fred::prelude::*;
    let client = Builder::from_config(Config::from_url(&redis.url()).unwrap()).build().unwrap();
    client.init().await.unwrap();
    let keys: Vec<String> =
        client.custom(fred::types::CustomCommand::new_static("KEYS", None, false), vec!["*"]).await.unwrap();
    let mut values = Vec::new();
    for key in keys {
        let kind: String = client.r#type(&key).await.unwrap();
        if kind == "string" {
            let value: Vec<u8> = client.get(&key).await.unwrap();
            values.push(value);
        }
    }
    client.quit().await.unwrap();
    values
}

#[tokio::test]
#[cfg_attr(missing_redis, ignore = "needs redis-server (apt-get install redis-server)")]
async fn the_passwords_a_visitor_types_are_kept_in_redis_only_sealed() {
    let redis = Redis::start().await;
    let app = spawn_app(|s| {
        s.sandbox().settings.session_store = SessionStoreSetting::Redis(redis.url());
    })
    .await;
    let mut fields = DEMO_FIELDS.to_vec();
    fields.retain(|(name, _)| *name != "generate");
    fields.extend([("root_pass", "Visitor-Root-Pass-41"), ("udf_db_password", "Visitor-Db-Pass-42")]);

    let posted = app.post_form(&fields).await;

    assert_eq!(posted.status(), 302);
    let state = state_of(&posted);
    let values = redis_strings(&redis).await;
    let holds = |needle: &str| values.iter().any(|v| v.windows(needle.len()).any(|w| w == needle.as_bytes()));
    assert!(holds(&state), "the pending deploy is in Redis");
    assert!(!holds("Visitor-Root-Pass-41") && !holds("Visitor-Db-Pass-42"), "but no password");
    assert!(!holds("admin@example.com"), "and the rest of the form is sealed with them");

    let back = app.consent(posted.headers()["location"].to_str().unwrap(), "authorize", "read_write").await;
    let finished = app.get_absolute(back.headers()["location"].to_str().unwrap()).await;
    assert_eq!(finished.status(), 200, "the sealed choice opens on the callback and deploys");
    let created = app.simulation().instances();
    assert_eq!(created.len(), 1);
}

#[tokio::test]
async fn a_pending_deploy_is_kept_once_in_the_session_about_twice_the_bytes_typed() {
    let redis = Redis::start().await;
    let app = spawn_app(|s| {
        s.sandbox().settings.session_store = SessionStoreSetting::Redis(redis.url());
    })
    .await;
    let (site, db_password) = ("s".repeat(4096), format!("Db-{}", "p".repeat(4092)));
    let root_pass = format!("Root-1{}", "r".repeat(122));
    let mut fields = DEMO_FIELDS.to_vec();
    fields.retain(|(name, _)| *name != "generate");
    fields.extend([
        ("udf_site_name", site.as_str()),
        ("udf_db_password", &db_password),
        ("root_pass", &root_pass),
    ]);
    let typed: usize = fields.iter().map(|(_, value)| value.len()).sum();

    let posted = app.post_form(&fields).await;

    assert_eq!(posted.status(), 302);
    let stored: usize = redis_strings(&redis).await.iter().map(Vec::len).sum();
    assert!(stored <= typed * 3 / 2 + 1024, "{stored} bytes stored for {typed} typed");
}

#[test]
fn the_compose_files_redis_keeps_sessions_in_memory_only() {
    let compose = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/compose.yaml")).unwrap();
    let command = compose.lines().find(|l| l.trim_start().starts_with("command: [\"redis-server\"")).unwrap();
    assert!(command.contains(r#""--save", """#) && command.contains(r#""--appendonly", "no""#), "{command}");
    assert!(!compose.contains("volumes:"), "nothing of Redis is kept on a volume");
}

/// A replica on a runtime of its own, so that killing it drops every task it
/// runs at once, as a lost machine would: no shutdown, no revoke, no last word.
struct DoomedReplica {
    address: String,
    kill: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DoomedReplica {
    /// Starts on `redis`, with a fake Linode whose new server never finishes booting.
    async fn start(redis: &Redis) -> Self {
        let url = redis.url();
        let (started, address) = tokio::sync::oneshot::channel();
        let (kill, killed) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async move {
                let app = spawn_app(|s| s.settings.session_store = SessionStoreSetting::Redis(url)).await;
                mount_token(&app.linode, "c", grant("linodes:read_write")).await;
                mount_create(&app.linode, created_instance()).await;
                mount_instance_status(&app.linode, "provisioning").await;
                mount_revoke(&app.linode, 200).await;
                started.send(app.address.clone()).unwrap();
                let _ = killed.await;
                std::mem::forget(app);
            });
            runtime.shutdown_background();
        });
        Self { address: address.await.unwrap(), kill: Some(kill), thread: Some(thread) }
    }

    fn kill(&mut self) {
        let _ = self.kill.take().unwrap().send(());
        self.thread.take().unwrap().join().unwrap();
    }
}

/// Signs in on `replica` and returns the visitor and the deploy's progress path.
async fn deployed_on(replica: &str) -> (reqwest::Client, String) {
    let visitor = browser_client();
    let state = state_of(&post_choice(&visitor, replica, replica).await);
    let success = visitor
        .get(format!("{replica}/auth_callback"))
        .query(&[("code", "c"), ("state", &state)])
        .send()
        .await
        .unwrap();
    assert_eq!(success.status(), 200);
    let page = html(&success.text().await.unwrap());
    (visitor, attr(&page, "#progress-link", "href").unwrap())
}

#[tokio::test]
#[cfg_attr(missing_redis, ignore = "needs redis-server (apt-get install redis-server)")]
async fn when_the_watching_replica_dies_another_says_so_and_its_live_stream_ends() {
    let redis = Redis::start().await;
    let mut a = DoomedReplica::start(&redis).await;
    let b = spawn_app(|s| {
        s.behind(&a.address).settings.session_store = SessionStoreSetting::Redis(redis.url());
    })
    .await;
    let (visitor, path) = deployed_on(&a.address).await;
    let watching: serde_json::Value =
        visitor.get(format!("{}{path}/status", b.address)).send().await.unwrap().json().await.unwrap();
    assert_eq!(watching["watching"], true, "replica B reads A's watch while A lives");
    let events = visitor.get(format!("{}{path}/events", b.address)).send().await.unwrap();

    a.kill();

    let stream = tokio::time::timeout(Duration::from_secs(30), events.text())
        .await
        .expect("B's stream ends once A's copy is stale")
        .unwrap();
    assert!(stream.contains(r#""access":"lost""#), "{stream}");
    let body: serde_json::Value =
        visitor.get(format!("{}{path}/status", b.address)).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["watching"], false);
    assert!(body["access_note"].as_str().unwrap().contains("stopped"), "{body}");
}

#[tokio::test]
#[cfg_attr(missing_redis, ignore = "needs redis-server (apt-get install redis-server)")]
async fn a_replica_stopping_ends_the_live_streams_it_serves_from_the_mirror() {
    let redis = Redis::start().await;
    let a = spawn_app(|s| s.settings.session_store = SessionStoreSetting::Redis(redis.url())).await;
    mount_token(&a.linode, "c", grant("linodes:read_write")).await;
    mount_create(&a.linode, created_instance()).await;
    mount_instance_status(&a.linode, "provisioning").await;
    mount_revoke(&a.linode, 200).await;
    let mut b = spawn_app(|s| {
        s.on(&a.linode).behind(&a.address).settings.session_store = SessionStoreSetting::Redis(redis.url());
    })
    .await;
    let (visitor, path) = deployed_on(&a.address).await;
    let events = visitor.get(format!("{}{path}/events", b.address)).send().await.unwrap();
    assert_eq!(events.status(), 200);

    let stopped = tokio::time::timeout(Duration::from_secs(5), b.stop()).await;
    let stream = tokio::time::timeout(Duration::from_secs(5), events.text()).await;

    assert!(stopped.is_ok(), "B stops while a visitor still follows A's deploy through it");
    assert!(stream.is_ok(), "and the stream ended");
    let on_a: serde_json::Value =
        visitor.get(format!("{}{path}/status", a.address)).send().await.unwrap().json().await.unwrap();
    assert_eq!(on_a["watching"], true, "A still watches");
}
