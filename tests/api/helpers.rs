//! Spawning the app against a fake Linode, and driving it like a browser.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use install_on_linode::sandbox::SandboxState;
use install_on_linode::settings::Settings;
use install_on_linode::startup::Application;
use serde_json::{Value, json};
use wiremock::matchers::{body_string, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const CLIENT_ID: &str = "test-client-id";
pub const CLIENT_SECRET: &str = "test-client-secret-3f9a";
pub const STACKSCRIPT_ID: u64 = 320826;
pub const TYPES_FILTER: &str = r#"{"label":{"+contains":"Linode"}}"#;
pub const TOKEN: &str = "token-7d1e0c5b9a";
pub const REFRESH_TOKEN: &str = "refresh-2b8c";
pub const SECRET_KEY: &str = "0123456789abcdef0123456789abcdef-test-key";

/// A running app and the fake Linode behind it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The fake API (under `/v4`) and login server (at the root); unused by a sandbox.
    pub linode: Arc<MockServer>,
    /// A browser-like client: keeps cookies, follows no redirects.
    pub browser: reqwest::Client,
    /// The metrics listener's `/metrics` URL, when metrics are on.
    pub metrics: Option<String>,
    sandbox: Option<Arc<SandboxState>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// How a test app starts; [`spawn_app`]'s closure adjusts it.
pub struct Spawn {
    /// The app's settings (`public_url` is its own address unless [`Spawn::behind`] says otherwise).
    pub settings: Settings,
    /// Whether the fake Linode serves a healthy catalog from the start.
    pub catalog: bool,
    /// How long the sandbox's simulated servers take to boot.
    pub boot_time: Duration,
    public_url: Option<String>,
    linode: Option<Arc<MockServer>>,
    sandbox_of: Option<String>,
}

impl Spawn {
    /// Nothing mounted on the fake Linode yet.
    pub fn bare(&mut self) -> &mut Self {
        self.catalog = false;
        self
    }

    /// Runs as a sandbox: the simulated Linode in the same process.
    pub fn sandbox(&mut self) -> &mut Self {
        self.settings.sandbox = true;
        self.settings.http_timeout = Duration::from_secs(5);
        self.catalog = false;
        self
    }

    /// Shares `linode` with other apps (replicas of one service).
    pub fn on(&mut self, linode: &Arc<MockServer>) -> &mut Self {
        self.linode = Some(Arc::clone(linode));
        self.catalog = false;
        self
    }

    /// Talks to the sandbox of another app at `address` as if it were Linode,
    /// as a real deployment talks to Linode (its own client and StackScript).
    pub fn against_sandbox_of(&mut self, address: &str) -> &mut Self {
        self.sandbox_of = Some(address.to_owned());
        self.catalog = false;
        self
    }

    /// Takes `public_url` as its public URL, as a replica behind a load balancer does.
    pub fn behind(&mut self, public_url: &str) -> &mut Self {
        self.public_url = Some(public_url.to_owned());
        self
    }
}

/// Starts the app on a free port against a new fake Linode with a healthy
/// catalog, after `tweak` adjusted how.
pub async fn spawn_app(tweak: impl FnOnce(&mut Spawn)) -> TestApp {
    log_buffer();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let settings =
        Settings::from_defaults(CLIENT_ID, CLIENT_SECRET, SECRET_KEY).expect("the defaults are valid");
    let mut spawn = Spawn {
        settings,
        catalog: true,
        boot_time: Duration::from_millis(1500),
        public_url: None,
        linode: None,
        sandbox_of: None,
    };
    spawn.settings.port = 0;
    spawn.settings.http_timeout = Duration::from_secs(2);
    spawn.settings.rate_limit_per_minute = 0;
    spawn.settings.pending_per_client = 0;
    tweak(&mut spawn);
    let linode = match spawn.linode.take() {
        Some(linode) => linode,
        None => Arc::new(MockServer::start().await),
    };
    if spawn.catalog {
        mount_catalog(&linode).await;
    }
    let mut settings = spawn.settings;
    settings.public_url = url::Url::parse(spawn.public_url.as_deref().unwrap_or(&address)).unwrap();
    let (api, login) = match &spawn.sandbox_of {
        Some(other) => (format!("{other}/sandbox/v4"), format!("{other}/sandbox/login")),
        None => (format!("{}/v4", linode.uri()), linode.uri()),
    };
    settings.linode_api_url = url::Url::parse(&api).unwrap();
    settings.linode_login_url = url::Url::parse(&login).unwrap();
    let app = Application::with_listener(settings, listener).unwrap();
    let sandbox = app.sandbox();
    if let Some(simulation) = &sandbox {
        simulation.set_boot_time(spawn.boot_time);
    }
    let metrics = app.metrics_addr().map(|a| format!("http://{a}/metrics"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        // Only an explicit stop ends the app, not a dropped TestApp.
        if stopped.await.is_err() {
            std::future::pending::<()>().await;
        }
    }));
    TestApp {
        address,
        linode,
        browser: browser_client(),
        metrics,
        sandbox,
        stop: Some(stop),
        server: Some(server),
    }
}

/// Everything the app logged, across tests (secrets must never appear in it).
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buffer);
        // Every level, so a secret logged at trace by the app or a dependency is
        // caught; the test's own tools (HTML parser, fake server) are left out.
        let filter = "trace,html5ever=off,selectors=off,scraper=off,wiremock=off";
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_ansi(false)
            .with_writer(move || LogWriter(Arc::clone(&writer)))
            .try_init();
        buffer
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A browser-like HTTP client: keeps cookies, follows no redirects.
pub fn browser_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Plans over two pages, regions (one in outage, one distributed, one
/// without Linodes), and the StackScript without fields.
pub async fn mount_catalog(linode: &MockServer) {
    mount_plans_and_regions(linode).await;
    mount_stackscript(linode, json!([])).await;
}

/// Plans over two pages and regions (one in outage, one distributed, one without Linodes).
pub async fn mount_plans_and_regions(linode: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v4/linode/types"))
        .and(header("X-Filter", TYPES_FILTER))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [linode_type("g6-nanode-1", "Nanode 1GB"), linode_type("g6-standard-1", "Linode 2GB")],
            "page": 1, "pages": 2, "results": 3
        })))
        .mount(linode)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/linode/types"))
        .and(header("X-Filter", TYPES_FILTER))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [linode_type("g6-standard-2", "Linode 4GB")],
            "page": 2, "pages": 2, "results": 3
        })))
        .mount(linode)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/regions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                region("us-east", "Newark, NJ", "ok"),
                region("eu-west", "London, UK", "ok"),
                region("ap-south", "Singapore, SG", "outage"),
                json!({"id": "us-den-edge-1", "label": "Denver, CO", "country": "us", "status": "ok",
                       "site_type": "distributed", "capabilities": ["Linodes", "Distributed Plans"]}),
                json!({"id": "us-storage", "label": "Storage only", "country": "us", "status": "ok",
                       "site_type": "core", "capabilities": ["Object Storage"]}),
            ],
            "page": 1, "pages": 1, "results": 5
        })))
        .mount(linode)
        .await;
}

/// The StackScript, with these user-defined fields, as Linode returns it.
pub async fn mount_stackscript(linode: &MockServer, user_defined_fields: Value) {
    Mock::given(method("GET"))
        .and(path(format!("/v4/linode/stackscripts/{STACKSCRIPT_ID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": STACKSCRIPT_ID, "label": "demo", "images": ["linode/debian12", "linode/ubuntu24.04"],
            "user_defined_fields": user_defined_fields, "is_public": true, "rev_note": "", "script": "#!/bin/bash"
        })))
        .mount(linode)
        .await;
}

fn linode_type(id: &str, label: &str) -> Value {
    json!({"id": id, "label": label, "class": "standard", "disk": 25600, "memory": 1024, "vcpus": 1,
           "price": {"hourly": 0.0075, "monthly": 5.0}, "transfer": 1000, "successor": null})
}

fn region(id: &str, label: &str, status: &str) -> Value {
    json!({"id": id, "label": label, "country": "us", "status": status, "site_type": "core",
           "capabilities": ["Linodes", "Block Storage"]})
}

/// The token endpoint answers `body` for exactly the original's form fields with `code`.
pub async fn mount_token(linode: &MockServer, code: &str, response: ResponseTemplate) {
    let form = format!("code={code}&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}");
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(form))
        .respond_with(response)
        .mount(linode)
        .await;
}

/// A token grant with `scopes`.
pub fn grant(scopes: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": TOKEN, "token_type": "bearer", "expires_in": 7200,
        "refresh_token": REFRESH_TOKEN, "scopes": scopes, "scope": scopes
    }))
}

/// The create endpoint, for the test token, answering `response`.
pub async fn mount_create(linode: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v4/linode/instances"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(response)
        .mount(linode)
        .await;
}

/// A created instance as Linode returns it.
pub fn created_instance() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(instance_json())
}

/// The instance's JSON.
pub fn instance_json() -> Value {
    json!({
        "id": 4242, "label": "linode4242", "group": "my-application-name", "tags": [],
        "status": "provisioning", "ipv4": ["192.0.2.17"], "ipv6": "2001:db8::1/128",
        "region": "us-east", "type": "g6-nanode-1", "image": "linode/debian12",
        "created": "2026-11-23T10:00:00", "hypervisor": "kvm"
    })
}

/// The revoke endpoint, answering `status`.
pub async fn mount_revoke(linode: &MockServer, status: u16) {
    Mock::given(method("POST"))
        .and(path("/oauth/revoke"))
        .respond_with(ResponseTemplate::new(status))
        .mount(linode)
        .await;
}

/// The instance read answering `status` for the test token.
pub async fn mount_instance_status(linode: &MockServer, status: &str) {
    let mut body = instance_json();
    body["status"] = json!(status);
    Mock::given(method("GET"))
        .and(path("/v4/linode/instances/4242"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(linode)
        .await;
}

/// `GET /profile/grants` for the test token answering `response` (Linode
/// answers an unrestricted user with a bare 204).
pub async fn mount_grants(linode: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/v4/profile/grants"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(response)
        .mount(linode)
        .await;
}

/// A happy login server and API: grant, an unrestricted user, create, a
/// running instance, revoke.
pub async fn mount_happy_deploy(linode: &MockServer, code: &str) {
    mount_token(linode, code, grant("linodes:read_write")).await;
    mount_grants(linode, ResponseTemplate::new(204)).await;
    mount_create(linode, created_instance()).await;
    mount_instance_status(linode, "running").await;
    mount_revoke(linode, 200).await;
}

/// The fake Linode's instance 4242 running at 127.0.0.1 (where a test's "app" listens).
pub async fn mount_running_at_loopback(linode: &MockServer) {
    let mut body = instance_json();
    body["status"] = json!("running");
    body["ipv4"] = json!(["127.0.0.1"]);
    Mock::given(method("GET"))
        .and(path("/v4/linode/instances/4242"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(linode)
        .await;
}

/// A happy deploy with `code` whose server runs at 127.0.0.1: grant, an
/// unrestricted user, create, running at loopback, revoke.
pub async fn mount_deploy_at_loopback(linode: &MockServer, code: &str) {
    mount_token(linode, code, grant("linodes:read_write")).await;
    mount_grants(linode, ResponseTemplate::new(204)).await;
    mount_create(linode, created_instance()).await;
    mount_running_at_loopback(linode).await;
    mount_revoke(linode, 200).await;
}

impl TestApp {
    /// `GET path` as the browser.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.browser.get(format!("{}{path}", self.address)).send().await.unwrap()
    }

    /// Posts the configure form from our own page.
    pub async fn post_form(&self, fields: &[(&str, &str)]) -> reqwest::Response {
        self.browser.post(&self.address).header("Origin", &self.address).form(fields).send().await.unwrap()
    }

    /// Posts a valid choice and returns the `state` sent to the login server.
    pub async fn start_deploy(&self) -> String {
        let response = self
            .post_form(&[("type", "g6-nanode-1"), ("region", "us-east"), ("distribution", "linode/debian12")])
            .await;
        assert_eq!(response.status(), 302, "posting a valid form redirects");
        let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        location.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()).unwrap()
    }

    /// The login server's redirect back to us.
    pub async fn callback(&self, query: &[(&str, &str)]) -> reqwest::Response {
        self.browser.get(format!("{}/auth_callback", self.address)).query(query).send().await.unwrap()
    }

    /// Waits (up to 10 s) until the token was revoked `count` times; returns those requests.
    pub async fn revokes(&self, count: usize) -> Vec<Request> {
        for _ in 0..100 {
            let revokes = self.requests_to("POST", "/oauth/revoke").await;
            if revokes.len() >= count {
                return revokes;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.requests_to("POST", "/oauth/revoke").await
    }

    /// Every request the fake Linode received.
    pub async fn linode_requests(&self) -> Vec<Request> {
        self.linode.received_requests().await.unwrap_or_default()
    }

    /// Requests the fake received at `path` with `method`.
    pub async fn requests_to(&self, method: &str, path: &str) -> Vec<Request> {
        self.linode_requests()
            .await
            .into_iter()
            .filter(|r| r.method.as_str() == method && r.url.path() == path)
            .collect()
    }
}

/// Reads a deploy's status at `status_url` until `done` holds (at most 30 s).
pub async fn poll_status(app: &TestApp, status_url: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        last = app.get(status_url).await.json().await.unwrap();
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the deploy never got there; last {last}");
}

/// Parses a page for structural checks.
pub fn html(body: &str) -> scraper::Html {
    scraper::Html::parse_document(body)
}

/// Attribute `name` of the first element matching `selector`.
pub fn attr(page: &scraper::Html, selector: &str, name: &str) -> Option<String> {
    let selector = scraper::Selector::parse(selector).unwrap();
    page.select(&selector).next().and_then(|e| e.value().attr(name)).map(str::to_owned)
}

/// The text of the first element matching `selector`, trimmed.
pub fn text_of(document: &scraper::Html, selector: &str) -> Option<String> {
    let selector = scraper::Selector::parse(selector).unwrap();
    document
        .select(&selector)
        .next()
        .map(|e| e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Form-decodes a request body.
pub fn form_fields(request: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&request.body).into_owned().collect()
}

/// The demo StackScript's required fields, filled in.
pub const DEMO_FIELDS: [(&str, &str); 6] = [
    ("type", "g6-standard-1"),
    ("region", "eu-west"),
    ("distribution", "linode/debian12"),
    ("udf_user_name", "alex"),
    ("udf_soa_email_address", "admin@example.com"),
    ("generate", "db_password"),
];

impl TestApp {
    /// The simulated Linode of an app spawned as a sandbox.
    pub fn simulation(&self) -> &SandboxState {
        self.sandbox.as_deref().expect("spawned as a sandbox")
    }

    /// Stops the app as a signal would, and waits for it to finish.
    pub async fn stop(&mut self) -> std::io::Result<()> {
        let _ = self.stop.take().expect("not stopped yet").send(());
        self.server.take().expect("running").await.expect("the server task does not panic")
    }

    /// `GET url` as the browser, for a full URL.
    pub async fn get_absolute(&self, url: &str) -> reqwest::Response {
        self.browser.get(url).send().await.unwrap()
    }

    /// Follows a redirect to the consent page and answers it; returns the
    /// login server's redirect back to the app (not yet followed).
    pub async fn consent(&self, authorize_url: &str, decision: &str, linodes: &str) -> reqwest::Response {
        let page = self.browser.get(authorize_url).send().await.unwrap();
        assert_eq!(page.status(), 200, "the consent page is shown");
        let body = page.text().await.unwrap();
        let consent_id = {
            let document = html(&body);
            let selector = scraper::Selector::parse("input[name=consent_id]").unwrap();
            document.select(&selector).next().unwrap().value().attr("value").unwrap().to_owned()
        };
        self.browser
            .post(format!("{}/sandbox/login/oauth/authorize", self.address))
            .form(&[("consent_id", consent_id.as_str()), ("decision", decision), ("linodes", linodes)])
            .send()
            .await
            .unwrap()
    }

    /// Form, login, consent and callback; returns the callback's answer.
    pub async fn deploy(&self, fields: &[(&str, &str)], decision: &str, linodes: &str) -> reqwest::Response {
        let posted = self.post_form(fields).await;
        assert_eq!(posted.status(), 302, "the form was accepted");
        let authorize = posted.headers()["location"].to_str().unwrap().to_owned();
        let back = self.consent(&authorize, decision, linodes).await;
        assert_eq!(back.status(), 302, "the login server sends the visitor back");
        let callback = back.headers()["location"].to_str().unwrap().to_owned();
        self.browser.get(callback).send().await.unwrap()
    }
}
