//! The sandbox as a local Linode for everything the product and its set-up
//! touch: a personal access token for outside clients, Linode's filter
//! language on every list (checked against the schema's own filterable
//! fields), the endpoints around a deploy, the set-up commands end to end,
//! and the publisher's own script served as the StackScript.

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::*;

const SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/linode/openapi-subset.json");
const SANDBOX_TOKEN: &str = "sandbox-token-for-tests-0123456789";

async fn sandbox() -> TestApp {
    spawn_app(|s| {
        s.sandbox();
        s.settings.sandbox_token = Some(SecretString::from(SANDBOX_TOKEN));
    })
    .await
}

impl TestApp {
    /// `method path` on the simulated API with the sandbox's personal token.
    async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        filter: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self
            .browser
            .request(method, format!("{}/sandbox/v4{path}", self.address))
            .bearer_auth(SANDBOX_TOKEN);
        if let Some(filter) = filter {
            request = request.header("X-Filter", filter);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn api_json(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let response = self.api(method, path, None, body).await;
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().await.unwrap()
    }
}

/// Each list endpoint of the schema with its item's filterable fields and
/// the fields it has that are not.
fn schema_lists() -> Vec<(String, Vec<String>, Vec<String>)> {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(SCHEMA).unwrap()).unwrap();
    let mut lists = Vec::new();
    for (path, operations) in schema["paths"].as_object().unwrap() {
        let Some(items) = operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            ["properties"]["data"]["items"]
            .as_object()
        else {
            continue;
        };
        let mut properties = BTreeMap::new();
        for part in items
            .get("allOf")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_else(|| vec![Value::Object(items.clone())])
        {
            for (name, spec) in part["properties"].as_object().cloned().unwrap_or_default() {
                properties.insert(name, spec);
            }
        }
        let (filterable, other): (Vec<_>, Vec<_>) = properties.iter().partition(|(_, spec)| {
            spec["description"].as_str().unwrap_or_default().contains("__Filterable__")
        });
        let names = |list: Vec<(&String, &Value)>| list.into_iter().map(|(n, _)| n.clone()).collect();
        lists.push((path.trim_start_matches("/{apiVersion}").to_owned(), names(filterable), names(other)));
    }
    lists
}

#[tokio::test]
#[cfg_attr(missing_openapi_subset, ignore = "needs ../shared/linode/openapi-subset.json beside the project")]
async fn every_filterable_field_of_the_schema_filters_and_no_other_does() {
    let app = sandbox().await;
    // Something in every list: an instance, a client, a script of the user's own.
    app.api_json(
        reqwest::Method::POST,
        "/account/oauth-clients",
        Some(json!({"label": "x", "redirect_uri": "https://x.example/cb"})),
    )
    .await;
    app.api_json(
        reqwest::Method::POST,
        "/linode/stackscripts",
        Some(json!({"label": "mine", "script": "#!/bin/sh\n", "images": ["linode/debian12"]})),
    )
    .await;
    app.api_json(reqwest::Method::POST, "/linode/instances", Some(json!({"type": "g6-standard-1", "region": "us-east", "image": "linode/debian12", "root_pass": "c0rrect-Horse-battery", "tags": ["web"]}))).await;

    let lists = schema_lists();
    assert_eq!(lists.len(), 6, "types, regions, images, instances, StackScripts, OAuth clients");
    for (path, filterable, other) in lists {
        let all = app.api_json(reqwest::Method::GET, &path, None).await;
        let total = all["results"].as_u64().unwrap();
        let sample = &all["data"][0];
        assert!(total > 0, "{path} lists something");
        for field in &filterable {
            let value =
                sample.get(field).or(sample.get(field.replace('-', "_"))).cloned().unwrap_or(json!("x"));
            let value = match value {
                Value::Array(items) => items.into_iter().next().unwrap_or(json!("x")),
                Value::Null | Value::Object(_) => json!("x"),
                value => value,
            };
            let either = json!({"+or": [{field: value}, {field: {"+neq": value}}]}).to_string();
            let answer = app.api(reqwest::Method::GET, &path, Some(&either), None).await;
            assert_eq!(answer.status(), 200, "{path}: {field} is filterable");
            let body: Value = answer.json().await.unwrap();
            assert_eq!(body["results"].as_u64(), Some(total), "{path}: {field} equal or not is everything");
            let ordered = json!({"+order_by": field, "+order": "desc"}).to_string();
            assert_eq!(
                app.api(reqwest::Method::GET, &path, Some(&ordered), None).await.status(),
                200,
                "{path}: order by {field}"
            );
        }
        for field in other.iter().filter(|f| !filterable.contains(f)) {
            let refused = json!({field: "x"}).to_string();
            let answer = app.api(reqwest::Method::GET, &path, Some(&refused), None).await;
            assert_eq!(answer.status(), 400, "{path}: {field} is not filterable");
            let body: Value = answer.json().await.unwrap();
            assert!(body["errors"][0]["reason"].as_str().unwrap().contains(field.as_str()));
        }
        let unknown = json!({filterable[0].clone(): {"+like": "x"}}).to_string();
        assert_eq!(
            app.api(reqwest::Method::GET, &path, Some(&unknown), None).await.status(),
            400,
            "{path}: +like"
        );
    }
}

#[tokio::test]
async fn combined_filters_and_ordering_answer_as_linode_does() {
    let app = sandbox().await;

    let filter = r#"{"+and": [{"vcpus": {"+gte": 2}}, {"memory": {"+lt": 16384}}], "+order_by": "memory", "+order": "desc"}"#;
    let plans: Value =
        app.api(reqwest::Method::GET, "/linode/types", Some(filter), None).await.json().await.unwrap();
    let ids: Vec<&str> =
        plans["data"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["g6-standard-4", "g6-standard-2", "g6-dedicated-2"]);

    let core: Value = app
        .api(reqwest::Method::GET, "/regions", Some(r#"{"site_type": "distributed"}"#), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(core["results"], 1, "site_type and site-type both name the field");
}

#[tokio::test]
async fn single_objects_instances_their_addresses_and_delete_are_served() {
    let app = sandbox().await;

    let plan = app.api_json(reqwest::Method::GET, "/linode/types/g6-standard-2", None).await;
    assert_eq!((plan["vcpus"].as_u64(), plan["memory"].as_u64()), (Some(2), Some(4096)));
    assert_eq!(app.api_json(reqwest::Method::GET, "/regions/id-cgk", None).await["country"], "id");
    assert_eq!(app.api_json(reqwest::Method::GET, "/images/linode/debian12", None).await["vendor"], "Debian");
    assert_eq!(app.api(reqwest::Method::GET, "/linode/types/g6-huge", None, None).await.status(), 404);

    let body = json!({"type": "g6-standard-2", "region": "us-east", "image": "linode/debian12", "root_pass": "c0rrect-Horse-battery", "label": "web-1"});
    let created = app.api_json(reqwest::Method::POST, "/linode/instances", Some(body)).await;
    assert_eq!(created["specs"]["vcpus"], 2, "specs come from the plan");
    assert_eq!(created["specs"]["memory"], 4096);
    assert!(created["created"].as_str().unwrap().starts_with("20"), "a real time");
    for field in ["backups", "capabilities", "has_user_data", "tags", "hypervisor", "watchdog_enabled"] {
        assert!(created.get(field).is_some(), "{field}");
    }
    let id = created["id"].as_u64().unwrap();
    let listed =
        app.api(reqwest::Method::GET, "/linode/instances", Some(r#"{"label": "web-1"}"#), None).await;
    assert_eq!(listed.json::<Value>().await.unwrap()["results"], 1);
    let ips = app.api_json(reqwest::Method::GET, &format!("/linode/instances/{id}/ips"), None).await;
    assert_eq!(ips["ipv4"]["public"][0]["address"], created["ipv4"][0]);
    assert!(ips["ipv4"]["public"][0]["rdns"].as_str().unwrap().contains("linodeusercontent"));

    assert!(
        app.api(reqwest::Method::DELETE, &format!("/linode/instances/{id}"), None, None)
            .await
            .status()
            .is_success()
    );
    assert_eq!(
        app.api(reqwest::Method::GET, &format!("/linode/instances/{id}"), None, None).await.status(),
        404
    );
}

#[tokio::test]
async fn answers_carry_the_headers_linode_sends() {
    let app = sandbox().await;

    let answer = app.api(reqwest::Method::GET, "/linode/instances", None, None).await;

    assert_eq!(answer.headers()["x-oauth-scopes"], "*");
    assert_eq!(answer.headers()["x-accepted-oauth-scopes"], "linodes:read_only");
    for header in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"] {
        assert!(answer.headers()[header].to_str().unwrap().parse::<u64>().is_ok(), "{header}");
    }
}

#[tokio::test]
async fn a_refresh_token_gives_a_new_access_token_once() {
    let app = sandbox().await;
    let posted = app.post_form(&DEMO_FIELDS).await;
    let back = app.consent(posted.headers()["location"].to_str().unwrap(), "authorize", "read_write").await;
    let code = url::Url::parse(back.headers()["location"].to_str().unwrap())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let client = app.simulation().registered_client(&app_client_id(&app).await).unwrap();
    let token = |form: Vec<(&'static str, String)>| {
        let browser = app.browser.clone();
        let url = format!("{}/sandbox/login/oauth/token", app.address);
        async move { browser.post(url).form(&form).send().await.unwrap() }
    };
    let first: Value = token(vec![
        ("code", code),
        ("client_id", client.id.clone()),
        ("client_secret", client.secret.clone()),
    ])
    .await
    .json()
    .await
    .unwrap();
    let refresh = first["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = token(vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", refresh.clone()),
        ("client_id", client.id.clone()),
        ("client_secret", client.secret.clone()),
    ])
    .await;
    assert_eq!(refreshed.status(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    assert_ne!(refreshed["access_token"], first["access_token"]);
    assert_eq!(refreshed["scopes"], first["scopes"]);
    let again = token(vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", refresh),
        ("client_id", client.id.clone()),
        ("client_secret", client.secret),
    ])
    .await;
    assert_eq!(again.status(), 400, "a refresh token works once");
}

/// The OAuth client id the app itself signs in with (from its authorize URL).
async fn app_client_id(app: &TestApp) -> String {
    let posted = app.post_form(&DEMO_FIELDS).await;
    let location = url::Url::parse(posted.headers()["location"].to_str().unwrap()).unwrap();
    location.query_pairs().find(|(k, _)| k == "client_id").unwrap().1.into_owned()
}

/// Runs the set-up command line against the sandbox with its token.
async fn setup_cli(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_install-on-linode"))
        .args(args)
        .env("LINODE_TOKEN", SANDBOX_TOKEN)
        .env("APP_LINODE_API_URL", format!("{}/sandbox/v4", app.address))
        .env("APP_PUBLIC_URL", "http://localhost:5000")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn env_value(output: &str, key: &str) -> String {
    output
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} in {output}"))
        .to_owned()
}

#[tokio::test]
async fn client_create_against_the_sandbox_makes_a_client_its_login_accepts_for_a_real_deploy() {
    let linode = sandbox().await;
    // The publisher's public address, behind a proxy as in production.
    let publisher_url = "http://localhost:5999";
    let redirect = format!("{publisher_url}/auth_callback");

    let (code, out, err) =
        setup_cli(&linode, &["client", "create", "--label", "My app", "--redirect-uri", &redirect]).await;
    assert_eq!(code, 0, "{err}");
    let (id, secret) = (env_value(&out, "APP_CLIENT_ID"), env_value(&out, "APP_CLIENT_SECRET"));
    let (code, listed, _) = setup_cli(&linode, &["client", "list"]).await;
    assert!(code == 0 && listed.contains(&id), "{listed}");

    let publisher = spawn_app(|s| {
        s.against_sandbox_of(&linode.address);
        s.settings.client_id = id.clone();
        s.settings.client_secret = SecretString::from(secret.clone());
        s.behind(publisher_url);
    })
    .await;
    let posted = publisher
        .browser
        .post(&publisher.address)
        .header("Origin", publisher_url)
        .form(&DEMO_FIELDS)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 302, "the demo StackScript's form, through the sandbox's catalog");
    let authorize = posted.headers()["location"].to_str().unwrap().to_owned();
    assert!(authorize.contains(&id), "{authorize}");
    let consent = html(&publisher.get_absolute(&authorize).await.text().await.unwrap());
    assert_eq!(text_of(&consent, "h1").as_deref(), Some("Allow My app to read and write your Linodes?"));
    let consent_id = attr(&consent, "input[name=consent_id]", "value").unwrap();
    let back = publisher
        .browser
        .post(format!("{}/sandbox/login/oauth/authorize", linode.address))
        .form(&[("consent_id", consent_id.as_str()), ("decision", "authorize")])
        .send()
        .await
        .unwrap();
    let callback = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(callback.starts_with(&redirect), "{callback}");
    // The proxy in front of the publisher passes the callback on.
    let done = publisher.get(callback.trim_start_matches(publisher_url)).await;

    assert_eq!(done.status(), 200);
    assert_eq!(linode.simulation().instance_count(), 1, "deployed through the client client create made");
}

#[tokio::test]
async fn stackscript_create_against_the_sandbox_becomes_the_form_visitors_see() {
    let linode = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("install.sh");
    std::fs::write(&script, "#!/bin/bash\n#<UDF name=\"site_title\" label=\"Your site's *title*\" default=\"Blog\">\n#<UDF name=\"admin_email\" label=\"Admin email\">\necho hi\n").unwrap();

    let (code, out, err) = setup_cli(
        &linode,
        &[
            "stackscript",
            "create",
            "--label",
            "my-app",
            "--script",
            script.to_str().unwrap(),
            "--image",
            "linode/debian12",
            "--public",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let id: u64 = env_value(&out, "APP_STACKSCRIPT_ID").parse().unwrap();
    let (code, shown, _) = setup_cli(&linode, &["stackscript", "show", &id.to_string()]).await;
    let written = std::fs::read_to_string(&script).unwrap();
    let hash = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(written.as_bytes()));
    assert!(code == 0 && shown.contains(&format!("Script SHA-256: {hash}")), "the hash to pin: {shown}");
    let mine =
        linode.api(reqwest::Method::GET, "/linode/stackscripts", Some(r#"{"mine": true}"#), None).await;
    let mine: Value = mine.json().await.unwrap();
    assert_eq!(mine["data"][0]["id"].as_u64(), Some(id), "listed as mine");

    let publisher = spawn_app(|s| {
        s.against_sandbox_of(&linode.address);
        s.settings.stackscript_id = id;
    })
    .await;
    let page = html(&publisher.get("/").await.text().await.unwrap());
    assert_eq!(text_of(&page, "label[for=udf_site_title]").as_deref(), Some("Your site's title"));
    assert_eq!(attr(&page, "#udf_site_title", "value").as_deref(), Some("Blog"));
    assert!(text_of(&page, "label[for=udf_admin_email]").unwrap().contains("(required)"));
}

#[tokio::test]
async fn the_sandbox_serves_the_publishers_own_script_and_follows_its_edits() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("install.sh");
    std::fs::write(&script, "#!/bin/bash\n#<UDF name=\"greeting\" label=\"Greeting\" default=\"hello\">\n")
        .unwrap();
    let path = script.clone();
    let app = spawn_app(move |s| {
        s.sandbox();
        s.settings.sandbox_script = Some(path);
    })
    .await;

    let page = html(&app.get("/").await.text().await.unwrap());
    assert_eq!(attr(&page, "#udf_greeting", "value").as_deref(), Some("hello"));

    std::fs::write(&script, "#!/bin/bash\n#<UDF name=\"greeting\" label=\"Greeting\" default=\"hello\">\n#<UDF name=\"colour\" label=\"Colour\" oneOf=\"red,blue\" default=\"blue\">\n").unwrap();
    let mut shown = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let page = html(&app.get("/").await.text().await.unwrap());
        if attr(&page, "input[name=udf_colour][value=blue]", "checked").is_some() {
            shown = true;
            break;
        }
    }
    assert!(shown, "an edit shows on the next reload");
    let response = app
        .deploy(
            &[
                ("type", "g6-standard-1"),
                ("region", "us-east"),
                ("distribution", "linode/debian12"),
                ("udf_colour", "red"),
            ],
            "authorize",
            "read_write",
        )
        .await;
    assert_eq!(response.status(), 200, "and deploys in the simulation");
}

#[tokio::test]
async fn a_sandbox_started_from_the_command_line_prints_its_token_and_api() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_install-on-linode"))
        .arg("--sandbox")
        .env("APP_PORT", port.to_string())
        .env("APP_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env_remove("APP_SANDBOX_TOKEN")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let line =
        tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await.unwrap().unwrap().unwrap();

    let token = line.split_whitespace().find_map(|w| w.strip_prefix("LINODE_TOKEN=")).unwrap().to_owned();
    let api = line.split_whitespace().find_map(|w| w.strip_prefix("APP_LINODE_API_URL=")).unwrap().to_owned();
    assert_eq!(api, format!("http://127.0.0.1:{port}/sandbox/v4"));
    let profile =
        reqwest::Client::new().get(format!("{api}/profile")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(profile.status(), 200, "{line}");
    child.kill().await.unwrap();
}
