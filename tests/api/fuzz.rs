//! Hostile input, generated: malformed forms, query strings, cookies, headers
//! and methods thrown at the running app (a fake Linode with a happy deploy
//! behind it). Whatever arrives, the app answers below 500, keeps serving,
//! and never puts a secret it holds into a response. Bounded to a few
//! hundred requests so it stays well inside 30 seconds on 2 cores.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::helpers::*;

/// The paths the app serves, and some it does not.
const PATHS: &[&str] = &[
    "/",
    "/auth_callback",
    "/deploys/0123456789abcdef0123456789abcdef",
    "/deploys/x/status",
    "/deploys/%00/status",
    "/deploys/../../etc/passwd",
    "/healthz",
    "/readyz",
    "/static/app.css",
    "/static/../Cargo.toml",
    "/sandbox/v4/linode/types",
    "/%ff%fe",
    "//",
];

/// Input names the form and the callback read, and some they do not.
const KEYS: &[&str] = &[
    "type",
    "region",
    "distribution",
    "image",
    "label",
    "ssh_keys",
    "root_pass",
    "generate",
    "udf_soa_email_address",
    "udf_user_name",
    "udf_disable_root",
    "backups",
    "profile_keys",
    "action",
    "udf_db_password",
    "udf_",
    "code",
    "state",
    "error",
    "error_description",
    "",
];

/// One hostile request.
#[derive(Debug, Clone)]
struct Hostile {
    method: String,
    path: &'static str,
    query: Vec<(String, String)>,
    body: Vec<u8>,
    content_type: Option<String>,
    cookie: Option<String>,
    origin: Option<String>,
    forwarded_for: Option<String>,
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{0,12}",
        ".{0,40}",
        Just("g6-nanode-1".to_owned()),
        Just("us-east".to_owned()),
        Just("linode/debian12".to_owned()),
        Just("ssh-ed25519 AAAA not-a-key".to_owned()),
        Just("<script>alert(1)</script>".to_owned()),
        Just("\u{0}\u{202e}%00%ZZ".to_owned()),
        "[a-f0-9]{64}",
    ]
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((prop::sample::select(KEYS).prop_map(str::to_owned), text()), 0..12)
}

fn hostile() -> impl Strategy<Value = Hostile> {
    let method = prop_oneof![
        4 => Just("GET".to_owned()),
        4 => Just("POST".to_owned()),
        1 => Just("HEAD".to_owned()),
        1 => Just("PUT".to_owned()),
        1 => "[A-Z]{1,12}".prop_filter("CONNECT opens a tunnel, not a request", |m| m != "CONNECT"),
    ];
    let body = prop_oneof![
        pairs().prop_map(|p| serde_urlencoded::to_string(p).unwrap().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..256),
        Just(b"type=%zz&region=%&&&==".to_vec()),
        Just(vec![b'a'; 20_000]),
    ];
    let content_type = prop::option::of(prop_oneof![
        Just("application/x-www-form-urlencoded".to_owned()),
        Just("application/json".to_owned()),
        Just("multipart/form-data; boundary=x".to_owned()),
        "[ -~]{0,30}",
    ]);
    let cookie = prop::option::of(prop_oneof![
        "iol_session=[ -~&&[^;]]{0,80}",
        "[a-z_]{1,10}=[a-zA-Z0-9.%]{0,40}(; [a-z]{1,5}=[a-z]{0,5}){0,3}",
    ]);
    let origin = prop::option::of(prop_oneof![
        Just("null".to_owned()),
        Just("https://evil.example".to_owned()),
        "[ -~]{0,30}",
    ]);
    let forwarded_for =
        prop::option::of(prop_oneof!["[0-9.:a-f, ]{0,40}", Just("::ffff:203.0.113.9, 10.0.0.1".to_owned())]);
    (method, prop::sample::select(PATHS), pairs(), body, content_type, cookie, (origin, forwarded_for))
        .prop_map(|(method, path, query, body, content_type, cookie, (origin, forwarded_for))| Hostile {
            method,
            path,
            query,
            body,
            content_type,
            cookie,
            origin,
            forwarded_for,
        })
}

/// Sends `input` to the app at `address`; the answer's status and body.
async fn send(client: &reqwest::Client, address: &str, input: &Hostile) -> (u16, String) {
    let method = reqwest::Method::from_bytes(input.method.as_bytes()).unwrap();
    let query = serde_urlencoded::to_string(&input.query).unwrap();
    let url = format!("{address}{}?{query}", input.path);
    let mut request = client.request(method, url).body(input.body.clone());
    for (name, value) in [
        ("content-type", &input.content_type),
        ("cookie", &input.cookie),
        ("origin", &input.origin),
        ("x-forwarded-for", &input.forwarded_for),
    ] {
        if let Some(value) = value {
            request = request.header(name, value.as_str());
        }
    }
    let response = request.send().await.expect("the app answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[test]
fn hostile_requests_get_no_5xx_and_no_secret_and_the_app_keeps_serving() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(async {
        let app = spawn_app(|s| {
            s.settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        })
        .await;
        mount_happy_deploy(&app.linode, "c").await;
        app
    });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let secrets = [CLIENT_SECRET, SECRET_KEY, TOKEN, REFRESH_TOKEN];

    let mut runner = TestRunner::new(Config { cases: 2000, failure_persistence: None, ..Config::default() });
    let outcome = runner.run(&hostile(), |input| {
        let (status, body) = runtime.block_on(send(&client, &app.address, &input));
        prop_assert!(status < 500, "{status} for {input:?}: {body}");
        for secret in secrets {
            prop_assert!(!body.contains(secret), "a secret in the answer to {input:?}");
        }
        prop_assert!(!body.contains("panicked") && !body.contains("RUST_BACKTRACE"), "{body}");
        Ok(())
    });

    outcome.unwrap();
    let health = runtime.block_on(app.get("/healthz"));
    assert_eq!(health.status(), 200, "still serving after every hostile request");
}
