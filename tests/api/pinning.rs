//! What a visitor can read before granting anything, and the publisher's
//! pin on it: the form's card about the StackScript, its source on a page
//! of its own, and `APP_SCRIPT_SHA256`, without which a changed script is
//! never deployed.

use serde_json::json;
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::*;

const SCRIPT: &str =
    "#!/bin/bash\n# <script>alert('not run')</script>\napt-get install -y nginx && echo \"done\"\n";

async fn app_with_script(pin: Option<&str>) -> TestApp {
    let pin = pin.map(str::to_owned);
    let app = spawn_app(move |s| {
        s.bare();
        s.settings.script_sha256 = pin;
    })
    .await;
    mount_plans_and_regions(&app.linode).await;
    Mock::given(method("GET"))
        .and(path(format!("/v4/linode/stackscripts/{STACKSCRIPT_ID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": STACKSCRIPT_ID, "label": "web", "images": ["linode/debian12"], "user_defined_fields": [],
            "is_public": true, "script": SCRIPT, "username": "publisher",
            "description": "Installs *nginx* <b>fast</b>.", "updated": "2026-11-01T10:00:00", "deployments_total": 42
        })))
        .mount(&app.linode)
        .await;
    app
}

fn sha256(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn the_form_says_what_will_run_and_links_its_source_shown_escaped() {
    let app = app_with_script(None).await;

    let form = html(&app.get("/").await.text().await.unwrap());
    assert_eq!(text_of(&form, "#script-author").as_deref(), Some("publisher"));
    assert_eq!(
        text_of(&form, "#script-description").as_deref(),
        Some("Installs *nginx* <b>fast</b>."),
        "plain text"
    );
    assert!(text_of(&form, "#script-card").unwrap().contains("Deployed 42 times"));
    let source_url = attr(&form, "#view-script", "href").unwrap();

    let page = app.get(&source_url).await.text().await.unwrap();
    let source = html(&page);
    assert_eq!(text_of(&source, "#script-sha256"), Some(sha256(SCRIPT)));
    let shown = scraper::Selector::parse("#script-source").unwrap();
    assert_eq!(
        source.select(&shown).next().unwrap().text().collect::<String>(),
        SCRIPT,
        "every character, as written"
    );
    assert!(!page.contains("<script>alert"), "escaped, never markup");
}

#[tokio::test]
async fn a_script_that_differs_from_its_pin_is_not_offered_nor_deployed() {
    let app = app_with_script(Some(&sha256("#!/bin/bash\necho the reviewed one\n"))).await;

    let form = app.get("/").await;
    let posted = app
        .post_form(&[("type", "g6-nanode-1"), ("region", "us-east"), ("distribution", "linode/debian12")])
        .await;

    assert_eq!(form.status(), 503);
    assert!(form.text().await.unwrap().contains("changed since its publisher reviewed it"));
    assert_eq!(posted.status(), 503, "nor is a post sent to Linode's login");
    assert!(app.requests_to("POST", "/oauth/token").await.is_empty());
    assert!(captured_logs().contains("differs from APP_SCRIPT_SHA256"));
}

#[tokio::test]
async fn the_reviewed_script_deploys_as_usual() {
    let app = app_with_script(Some(&sha256(SCRIPT))).await;
    mount_happy_deploy(&app.linode, "c").await;

    let state = app.start_deploy().await;
    let done = app.callback(&[("code", "c"), ("state", &state)]).await;

    assert_eq!(done.status(), 200);
}
