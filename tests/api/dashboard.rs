//! The publisher's dashboard at `/admin`: there only with `APP_ADMIN_TOKEN`,
//! open only with that token, limited per client; per app and window it
//! counts deploys started, abandoned at consent, created, ready and failed
//! (by stage and reason), the median time to ready, plans and regions, and
//! never shows what belongs to a visitor. With Redis the counts are shared
//! and outlive a restart.

use std::time::Duration;

use base64::Engine;
use secrecy::SecretString;
use serde_json::Value;

use crate::helpers::*;
use crate::production::Redis;

const ADMIN_TOKEN: &str = "dashboard-token-5c1f9e2a";

/// `GET /admin` with this `Authorization` header, if any.
async fn admin(app: &TestApp, authorization: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{}/admin", app.address));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    request.send().await.unwrap()
}

fn bearer() -> String {
    format!("Bearer {ADMIN_TOKEN}")
}

/// The text of the row `row` (such as `started`) of `app`'s counts, as (24 hours, 7 days).
fn counts(page: &scraper::Html, app: &str, row: &str) -> (String, String) {
    let selector = scraper::Selector::parse(&format!("#dashboard-{app} .count-{row} td")).unwrap();
    let cells: Vec<String> = page.select(&selector).map(|c| c.text().collect::<String>()).collect();
    (cells[0].clone(), cells[1].clone())
}

/// A sandbox with a dashboard.
async fn sandbox_with_dashboard() -> TestApp {
    spawn_app(|s| {
        s.sandbox();
        s.settings.admin_token = Some(SecretString::from(ADMIN_TOKEN));
    })
    .await
}

/// Polls a deploy's status (from its success page) until its stage is final.
async fn until_final(app: &TestApp, success_page: &str) -> Value {
    let status_url =
        attr(&html(success_page), "[data-status-url]", "data-status-url").expect("a watched deploy");
    poll_status(app, &status_url, |s| matches!(s["stage"].as_str(), Some("ready" | "failed" | "deleted")))
        .await
}

#[tokio::test]
async fn without_a_token_setting_there_is_no_dashboard() {
    let app = spawn_app(|_| {}).await;

    let response = admin(&app, Some("Bearer anything-at-all-1234")).await;

    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn the_dashboard_opens_only_with_its_token_as_bearer_or_basic_password() {
    let app = spawn_app(|s| s.settings.admin_token = Some(SecretString::from(ADMIN_TOKEN))).await;
    let basic = |credentials: &str| {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials))
    };

    let none = admin(&app, None).await;
    let wrong = admin(&app, Some("Bearer dashboard-token-5c1f9e2b")).await;
    let as_bearer = admin(&app, Some(&bearer())).await;
    let as_basic = admin(&app, Some(&basic(&format!("publisher:{ADMIN_TOKEN}")))).await;

    assert_eq!(none.status(), 401);
    assert_eq!(
        none.headers()["www-authenticate"],
        r#"Basic realm="install-on-linode dashboard", charset="UTF-8""#,
        "a browser asks for the token"
    );
    assert_eq!(wrong.status(), 401);
    assert_eq!(as_bearer.status(), 200);
    assert_eq!(as_bearer.headers()["cache-control"], "no-store");
    assert_eq!(as_basic.status(), 200);
    assert!(as_basic.text().await.unwrap().contains("Deploys of"));
    assert!(!captured_logs().contains(ADMIN_TOKEN), "the token is never logged");
}

#[tokio::test]
async fn guessing_the_token_is_limited_per_client() {
    let app = spawn_app(|s| s.settings.admin_token = Some(SecretString::from(ADMIN_TOKEN))).await;

    let mut statuses = Vec::new();
    for guess in 0..31 {
        statuses.push(admin(&app, Some(&format!("Bearer guess-number-{guess:08}"))).await.status().as_u16());
    }

    assert!(statuses[..30].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[30], 429, "the 31st try in a minute waits");
    assert_eq!(
        admin(&app, Some(&bearer())).await.status(),
        429,
        "even with the token, until the minute is up"
    );
    assert_eq!(app.get("/").await.status(), 200, "the visitors' pages are not limited by it");
}

#[tokio::test]
async fn deploys_are_counted_by_outcome_and_nothing_of_a_visitor_is_shown() {
    let app = sandbox_with_dashboard().await;
    // One that reaches its app, one whose install fails, one declined at the consent page.
    let ready = app.deploy(&DEMO_FIELDS, "authorize", "read_write").await.text().await.unwrap();
    let mut failing = DEMO_FIELDS.to_vec();
    failing.push(("udf_simulate_failure", "Yes"));
    let failed = app.deploy(&failing, "authorize", "read_write").await.text().await.unwrap();
    let declined = app.deploy(&DEMO_FIELDS, "deny", "read_write").await;
    assert_eq!(declined.status(), 400);
    let ready_status = until_final(&app, &ready).await;
    assert_eq!(ready_status["stage"], "ready");
    assert_eq!(until_final(&app, &failed).await["stage"], "failed");

    let body = admin(&app, Some(&bearer())).await.text().await.unwrap();

    let page = html(&body);
    let app_slug = "my-application-name";
    assert_eq!(counts(&page, app_slug, "started"), ("3".into(), "3".into()));
    assert_eq!(counts(&page, app_slug, "abandoned").0, "1", "the declined one");
    assert_eq!(counts(&page, app_slug, "created").0, "2");
    assert_eq!(counts(&page, app_slug, "reached").0, "1");
    assert_eq!(counts(&page, app_slug, "failed").0, "1");
    assert!(counts(&page, app_slug, "median").0.ends_with(" s"), "a time to ready is known");
    let failures = text_of(&page, &format!("#dashboard-{app_slug} .failures tbody")).unwrap();
    assert!(failures.contains("installing") && failures.contains("stopped"), "{failures}");
    assert!(text_of(&page, ".plans").unwrap().contains("(g6-standard-1): 3"));
    assert!(text_of(&page, ".regions").unwrap().contains("(eu-west): 3"));
    assert!(body.contains("<svg") && body.contains("3 started, 1 reached the app, 1 failed"), "the chart");
    // Counts only: no label, address, password or token of a visitor.
    let label = ready_status["label"].as_str().unwrap();
    let ip = ready_status["ip"].as_str().unwrap();
    let password = text_of(&html(&ready), "#root-password").unwrap();
    for private in [label, ip, password.as_str(), "alex", "admin@example.com"] {
        assert!(!body.contains(private), "{private} is on the dashboard");
    }
}

#[tokio::test]
async fn with_redis_the_counts_are_shared_and_outlive_a_restart() {
    let redis = Redis::start().await;
    let settings = |s: &mut Spawn| {
        s.sandbox();
        s.settings.session_store = install_on_linode::settings::SessionStoreSetting::Redis(redis.url());
        s.settings.admin_token = Some(SecretString::from(ADMIN_TOKEN));
    };
    let mut first = spawn_app(settings).await;
    for _ in 0..2 {
        assert_eq!(first.post_form(&DEMO_FIELDS).await.status(), 302);
    }
    // The count reaches Redis without the visitor waiting for it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.stop().await.unwrap();

    let second = spawn_app(settings).await;
    let body = admin(&second, Some(&bearer())).await.text().await.unwrap();

    assert_eq!(counts(&html(&body), "my-application-name", "started"), ("2".into(), "2".into()));
    assert!(body.contains("Redis (every replica"), "the page says where the counts live");
}
