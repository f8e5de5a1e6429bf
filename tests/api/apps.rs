//! Several apps on one service: the apps file lists them; `/` lists them,
//! each app has its own form, StackScript, pin, ready check and deep links
//! under `/apps/{slug}`, and one OAuth client serves them all.

use install_on_linode::settings::AppSpec;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

const BLOG: u64 = 401;
const SHOP: u64 = 402;

fn spec(slug: &str, stackscript_id: u64, name: &str) -> AppSpec {
    AppSpec {
        slug: slug.into(),
        stackscript_id,
        name: name.into(),
        ready_url: None,
        open_url: None,
        script_sha256: None,
    }
}

/// A StackScript of the fake Linode, with a description, deploy count and one field.
async fn mount_script(linode: &MockServer, id: u64, label: &str, description: &str, deployments: u64) {
    Mock::given(method("GET"))
        .and(path(format!("/v4/linode/stackscripts/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": id, "label": label, "description": description, "username": "publisher",
            "images": ["linode/debian12"], "deployments_total": deployments, "is_public": true,
            "rev_note": "", "script": format!("#!/bin/bash\necho {label}\n"),
            "user_defined_fields": [{"name": "site_name", "label": format!("{label} name"), "default": "mine"}],
        })))
        .mount(linode)
        .await;
}

/// A service of two apps (Blog and Shop) on a fake Linode serving both StackScripts.
async fn two_apps(tweak: impl FnOnce(&mut Vec<AppSpec>)) -> TestApp {
    let mut apps = vec![spec("blog", BLOG, "Blog"), spec("shop", SHOP, "Shop")];
    tweak(&mut apps);
    let app = spawn_app(|s| {
        s.bare();
        s.settings.application_name = "Acme apps".into();
        s.settings.apps = apps;
        // The test's "app servers" listen on loopback.
        s.settings.ready_allow_private = true;
    })
    .await;
    mount_plans_and_regions(&app.linode).await;
    mount_script(&app.linode, BLOG, "Blog", "A <b>blog</b> engine, ready to write in.", 12).await;
    mount_script(&app.linode, SHOP, "Shop", "An online shop.", 3).await;
    app
}

/// Posts a valid choice to `form` and returns the `state` sent to the login server.
async fn start_deploy_at(app: &TestApp, form: &str) -> String {
    let response = app
        .browser
        .post(format!("{}{form}", app.address))
        .header("Origin", &app.address)
        .form(&[("type", "g6-nanode-1"), ("region", "us-east"), ("distribution", "linode/debian12")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302, "posting a valid form redirects");
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(
        location.query_pairs().find(|(k, _)| k == "client_id").map(|(_, v)| v.into_owned()).as_deref(),
        Some(CLIENT_ID),
        "one OAuth client for every app"
    );
    location.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()).unwrap()
}

#[tokio::test]
async fn the_front_page_lists_every_app_with_its_description_count_and_deploy_link() {
    let app = two_apps(|_| {}).await;

    let response = app.get("/").await;

    assert_eq!(response.status(), 200);
    let page = html(&response.text().await.unwrap());
    assert_eq!(text_of(&page, "h1").as_deref(), Some("Deploy Acme apps to a Linode"));
    assert_eq!(attr(&page, "#deploy-blog", "href").as_deref(), Some("/apps/blog"));
    assert_eq!(attr(&page, "#deploy-shop", "href").as_deref(), Some("/apps/shop"));
    assert_eq!(
        text_of(&page, "#app-blog .app-description").as_deref(),
        Some("A <b>blog</b> engine, ready to write in."),
        "the description is plain text, never markup"
    );
    assert_eq!(text_of(&page, "#app-shop .app-deploys").as_deref(), Some("Deployed 3 times."));
    assert!(page.select(&scraper::Selector::parse("form").unwrap()).next().is_none(), "no form on the list");
}

#[tokio::test]
async fn each_app_has_its_own_form_posting_to_its_own_address() {
    let app = two_apps(|_| {}).await;

    let blog = html(&app.get("/apps/blog").await.text().await.unwrap());
    let shop = html(&app.get("/apps/shop").await.text().await.unwrap());

    assert_eq!(text_of(&blog, "h1").as_deref(), Some("Deploy Blog to a Linode"));
    assert_eq!(attr(&blog, "form", "action").as_deref(), Some("/apps/blog"));
    assert_eq!(attr(&shop, "form", "action").as_deref(), Some("/apps/shop"));
    assert_eq!(text_of(&shop, "label[for=udf_site_name]").as_deref(), Some("Shop name"));
    assert_eq!(attr(&shop, "#view-script", "href").as_deref(), Some("/apps/shop/script"));
    assert_eq!(app.get("/apps/forum").await.status(), 404);
    let post_to_root = app.browser.post(&app.address).header("Origin", &app.address).send().await.unwrap();
    assert_eq!(post_to_root.status(), 404, "with several apps, / is a list and takes no form");
}

#[tokio::test]
async fn a_deep_link_preselects_within_its_own_app() {
    let app = two_apps(|_| {}).await;

    let page = html(&app.get("/apps/shop?region=eu-west&site_name=corner").await.text().await.unwrap());

    assert_eq!(attr(&page, "#region option[selected]", "value").as_deref(), Some("eu-west"));
    assert_eq!(attr(&page, "#udf_site_name", "value").as_deref(), Some("corner"));
}

#[tokio::test]
async fn a_deploy_runs_the_stackscript_of_the_app_it_was_started_from() {
    let app = two_apps(|_| {}).await;
    mount_token(&app.linode, "c", grant("linodes:read_write")).await;
    mount_grants(&app.linode, ResponseTemplate::new(204)).await;
    Mock::given(method("POST"))
        .and(path("/v4/linode/instances"))
        .and(body_partial_json(json!({"stackscript_id": SHOP, "group": "Shop"})))
        .respond_with(created_instance())
        .expect(1)
        .mount(&app.linode)
        .await;
    mount_instance_status(&app.linode, "running").await;
    mount_revoke(&app.linode, 200).await;

    let state = start_deploy_at(&app, "/apps/shop").await;
    let done = app.callback(&[("code", "c"), ("state", &state)]).await;

    assert_eq!(done.status(), 200);
    let page = done.text().await.unwrap();
    assert!(page.contains("Shop has been deployed"), "the success page names the app");
}

#[tokio::test]
async fn a_pin_holds_back_only_its_own_app() {
    let app = two_apps(|apps| apps[1].script_sha256 = Some("0".repeat(64))).await;

    assert_eq!(app.get("/apps/blog").await.status(), 200);
    let shop = app.get("/apps/shop").await;
    assert_eq!(shop.status(), 503);
    assert!(shop.text().await.unwrap().contains("changed since its publisher reviewed it"));
}

#[tokio::test]
async fn each_app_is_checked_by_its_own_ready_url() {
    let answering = MockServer::start().await;
    Mock::given(path("/up")).respond_with(ResponseTemplate::new(200)).mount(&answering).await;
    let port = answering.address().port();
    let app = two_apps(|apps| apps[0].ready_url = Some(format!("http://{{ipv4}}:{port}/up"))).await;
    mount_deploy_at_loopback(&app.linode, "c").await;
    mount_token(&app.linode, "d", grant("linodes:read_write")).await;

    let blog = deploy_and_wait(&app, "/apps/blog", "c", |s| s["stage"] == "ready").await;
    let shop =
        deploy_and_wait(&app, "/apps/shop", "d", |s| s["stage"] == "running" && s["revoked"].is_string())
            .await;

    assert_eq!(blog["stage"], "ready", "{blog}");
    assert_eq!(shop["stage"], "running", "an app without a ready URL is done at running: {shop}");
    assert_eq!(answering.received_requests().await.unwrap().len(), 1, "only the blog was probed");
}

/// Deploys from `form` with `code` and polls its status until `done` holds (at most 20 s).
async fn deploy_and_wait(app: &TestApp, form: &str, code: &str, done: impl Fn(&Value) -> bool) -> Value {
    let state = start_deploy_at(app, form).await;
    let page = html(&app.callback(&[("code", code), ("state", &state)]).await.text().await.unwrap());
    let status_url = attr(&page, "[data-status-url]", "data-status-url").expect("a watched deploy");
    poll_status(app, &status_url, done).await
}

#[tokio::test]
async fn the_share_page_and_button_exist_per_app_and_not_for_unknown_slugs() {
    let app = two_apps(|_| {}).await;

    let share = html(&app.get("/apps/shop/share").await.text().await.unwrap());

    assert!(text_of(&share, "#markdown").unwrap().contains("/apps/shop)"));
    assert_eq!(app.get("/apps/shop/button.svg").await.status(), 200);
    assert_eq!(app.get("/apps/forum/button.svg").await.status(), 404);
    assert_eq!(app.get("/apps/forum/script").await.status(), 404);
}
