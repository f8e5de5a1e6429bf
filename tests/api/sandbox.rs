//! The sandbox: the whole flow with no Linode account, and a simulation
//! strict enough to catch client bugs the way Linode would.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_visitor_deploys_end_to_end_and_the_token_is_revoked_once_the_app_answers() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;

    let response = app.deploy(&DEMO_FIELDS, "authorize", "read_write").await;

    assert_eq!(response.status(), 200);
    let page = html(&response.text().await.unwrap());
    assert_eq!(text_of(&page, "h1").as_deref(), Some("Success!"));
    assert!(text_of(&page, "#ssh-command").unwrap().starts_with("ssh alex@192.0.2."));
    assert!(text_of(&page, "#root-password").unwrap().len() >= 12);
    assert!(text_of(&page, "#secret-0").unwrap().len() >= 12, "the generated database password");
    assert_eq!(app.simulation().instance_count(), 1);
    let progress = scraper::Selector::parse("[data-status-url]").unwrap();
    let status_url =
        page.select(&progress).next().unwrap().value().attr("data-status-url").unwrap().to_owned();

    let mut last = Value::Null;
    for _ in 0..150 {
        last = app.get(&status_url).await.json().await.unwrap();
        if last["watching"] == json!(false) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last["status"], "ready");
    assert_eq!(last["revoked"], "ready");
    assert_eq!(app.simulation().live_tokens(), 0, "no token outlives the watch");
}

#[tokio::test]
async fn every_page_says_it_is_a_sandbox() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;

    for path in ["/", "/nowhere"] {
        let page = html(&app.get(path).await.text().await.unwrap());
        let banner = text_of(&page, ".sandbox-banner").unwrap_or_default();
        assert!(banner.contains("Nothing is created on Linode"), "{path}: {banner}");
    }
}

#[tokio::test]
async fn the_consent_page_asks_in_the_apps_name() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let posted = app.post_form(&DEMO_FIELDS).await;

    let consent = app.get_absolute(posted.headers()["location"].to_str().unwrap()).await;

    let page = html(&consent.text().await.unwrap());
    assert_eq!(
        text_of(&page, "h1").as_deref(),
        Some("Allow my-application-name to read and write your Linodes?")
    );
    assert!(text_of(&page, "#authorize").is_some() && text_of(&page, "#deny").is_some());
}

#[tokio::test]
async fn denying_at_the_consent_page_creates_nothing() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;

    let response = app.deploy(&DEMO_FIELDS, "deny", "read_write").await;

    assert_eq!(response.status(), 400);
    assert_eq!(text_of(&html(&response.text().await.unwrap()), "h1").as_deref(), Some("Access not granted"));
    assert_eq!(app.simulation().instance_count(), 0);
}

#[tokio::test]
async fn granting_read_only_creates_nothing_and_revokes_the_token() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;

    let response = app.deploy(&DEMO_FIELDS, "authorize", "read_only").await;

    assert_eq!(response.status(), 403);
    assert_eq!(
        text_of(&html(&response.text().await.unwrap()), "h1").as_deref(),
        Some("Permission to create Linodes is needed")
    );
    assert_eq!(app.simulation().instance_count(), 0);
    assert_eq!(app.simulation().live_tokens(), 0);
}

#[tokio::test]
async fn a_redirect_uri_outside_the_registered_one_is_refused_without_a_redirect() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let posted = app.post_form(&DEMO_FIELDS).await;
    let authorize = posted.headers()["location"].to_str().unwrap().replace("auth_callback", "elsewhere");

    let response = app.get_absolute(&authorize).await;

    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn an_unknown_client_is_refused() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;

    let response = app
        .get("/sandbox/login/oauth/authorize?client_id=nobody&response_type=code&scopes=linodes:read_write")
        .await;

    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_code_works_once_and_only_for_its_client() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let posted = app.post_form(&DEMO_FIELDS).await;
    let back = app.consent(posted.headers()["location"].to_str().unwrap(), "authorize", "read_write").await;
    let callback = url::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    let code = callback.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let token_url = format!("{}/sandbox/login/oauth/token", app.address);

    let foreign = app
        .browser
        .post(&token_url)
        .form(&[("code", code.as_str()), ("client_id", "other"), ("client_secret", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 401);
    assert_eq!(app.get_absolute(callback.as_str()).await.status(), 200, "the app exchanges it");

    let replayed = app.get_absolute(callback.as_str()).await;
    assert_eq!(replayed.status(), 409, "the app refuses a replay itself");
    assert_eq!(app.simulation().instance_count(), 1);
}

async fn create(app: &TestApp, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app.browser.post(format!("{}/sandbox/v4/linode/instances", app.address)).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn good_body() -> Value {
    json!({"type": "g6-standard-1", "region": "us-east", "image": "linode/debian12",
           "stackscript_id": STACKSCRIPT_ID, "root_pass": "c0rrect-Horse-battery",
           "stackscript_data": {"user_name": "alex", "soa_email_address": "a@example.com",
                                 "db_password": "Another-Secret-42"}})
}

async fn error_fields(response: reqwest::Response) -> Vec<String> {
    let body: Value = response.json().await.unwrap();
    body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap_or("").to_owned()).collect()
}

#[tokio::test]
async fn the_api_refuses_missing_revoked_and_narrow_tokens() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let read_only = app.simulation().issue_personal_token("linodes:read_only".parse().unwrap());

    assert_eq!(create(&app, None, good_body()).await.status(), 401);
    assert_eq!(create(&app, Some("made-up"), good_body()).await.status(), 401);
    let narrow = create(&app, Some(&read_only), good_body()).await;
    assert_eq!(narrow.status(), 401);
    let body: Value = narrow.json().await.unwrap();
    assert!(body["errors"][0]["reason"].as_str().unwrap().contains("not authorized"));
    assert_eq!(app.simulation().instance_count(), 0);
}

#[tokio::test]
async fn the_api_refuses_weak_passwords_unknown_plans_and_regions_and_foreign_images() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let token = app.simulation().issue_personal_token("linodes:read_write".parse().unwrap());
    let mut body = good_body();
    body["root_pass"] = json!("password1");
    body["type"] = json!("g9-galactic");
    body["region"] = json!("mars-1");
    body["image"] = json!("linode/rocky9");

    let response = create(&app, Some(&token), body).await;

    assert_eq!(response.status(), 400);
    assert_eq!(error_fields(response).await, ["type", "region", "image", "root_pass"]);
    assert_eq!(create(&app, Some(&token), good_body()).await.status(), 200);
}

#[tokio::test]
async fn instances_go_from_provisioning_through_booting_to_running() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let token = app.simulation().issue_personal_token("linodes:read_write".parse().unwrap());
    let created: Value = create(&app, Some(&token), good_body()).await.json().await.unwrap();
    assert_eq!(created["status"], "provisioning");
    assert!(created["ipv4"][0].as_str().unwrap().starts_with("192.0.2."));
    let url = format!("{}/sandbox/v4/linode/instances/{}", app.address, created["id"]);

    let mut seen = Vec::new();
    for _ in 0..40 {
        let instance: Value =
            app.browser.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let status = instance["status"].as_str().unwrap().to_owned();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if status == "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    assert_eq!(seen, ["provisioning", "booting", "running"]);
}

#[tokio::test]
async fn the_public_api_follows_x_filter_and_pages() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let url = format!("{}/sandbox/v4/linode/types", app.address);

    let filtered: Value = app
        .browser
        .get(&url)
        .header("X-Filter", r#"{"label":{"+contains":"Linode"}}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paged: Value =
        app.browser.get(format!("{url}?page=2&page_size=25")).send().await.unwrap().json().await.unwrap();
    let refused = app.browser.get(&url).header("X-Filter", r#"{"price":{"+gt":1}}"#).send().await.unwrap();

    let labels: Vec<&str> =
        filtered["data"].as_array().unwrap().iter().map(|t| t["label"].as_str().unwrap()).collect();
    assert!(labels.iter().all(|l| l.contains("Linode")) && !labels.is_empty());
    assert!(!labels.contains(&"Nanode 1GB"));
    assert_eq!((paged["page"].as_u64(), paged["pages"].as_u64()), (Some(2), Some(1)));
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn a_revoked_token_can_create_nothing() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let posted = app.post_form(&DEMO_FIELDS).await;
    let authorize = url::Url::parse(posted.headers()["location"].to_str().unwrap()).unwrap();
    let client_id = authorize.query_pairs().find(|(k, _)| k == "client_id").unwrap().1.into_owned();
    let client = app.simulation().registered_client(&client_id).unwrap();
    let back = app.consent(authorize.as_str(), "authorize", "read_write").await;
    let callback = url::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    let code = callback.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let login = |path: &str| format!("{}/sandbox/login/oauth/{path}", app.address);
    let grant: Value = app
        .browser
        .post(login("token"))
        .form(&[("code", code.as_str()), ("client_id", &client.id), ("client_secret", &client.secret)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = grant["access_token"].as_str().unwrap().to_owned();

    let revoked = app
        .browser
        .post(login("revoke"))
        .form(&[
            ("token_type_hint", "access_token"),
            ("client_id", &client.id),
            ("client_secret", &client.secret),
            ("token", &token),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(revoked.status(), 200);
    assert_eq!(create(&app, Some(&token), good_body()).await.status(), 401);
    assert_eq!(app.simulation().instance_count(), 0);
}

#[tokio::test]
async fn paths_and_methods_the_api_does_not_serve_answer_in_linodes_error_shape() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let client = reqwest::Client::new();
    let api = format!("{}/sandbox/v4", app.address);

    for (method, path, status) in [
        (reqwest::Method::GET, "/no/such/thing", 404),
        (reqwest::Method::GET, "/linode/volumes", 404),
        (reqwest::Method::DELETE, "/linode/types", 405),
        (reqwest::Method::PUT, "/regions", 405),
    ] {
        let response = client.request(method.clone(), format!("{api}{path}")).send().await.unwrap();

        assert_eq!(response.status(), status, "{method} {path}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        let body: Value = response.json().await.unwrap();
        assert!(body["errors"][0]["reason"].is_string(), "{method} {path}: {body}");
    }
}

#[tokio::test]
async fn the_sandbox_lists_a_distributed_region_that_the_form_does_not_offer() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;

    let regions: Value = app.get("/sandbox/v4/regions").await.json().await.unwrap();
    let distributed: Vec<&Value> =
        regions["data"].as_array().unwrap().iter().filter(|r| r["site_type"] == "distributed").collect();
    assert_eq!(distributed.len(), 1);
    assert!(distributed[0]["capabilities"].as_array().unwrap().contains(&json!("Linodes")));

    let page = html(&app.get("/").await.text().await.unwrap());
    let options = scraper::Selector::parse("select[name=region] option").unwrap();
    let offered: Vec<&str> = page.select(&options).filter_map(|o| o.value().attr("value")).collect();
    assert!(offered.contains(&"us-east"));
    assert!(!offered.contains(&distributed[0]["id"].as_str().unwrap()), "{offered:?}");
}
