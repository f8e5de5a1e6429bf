//! The flow in a real headless Chromium, driven over WebDriver: clicks and
//! keys only, as a visitor would. Screenshots of each page are saved under
//! `target/screenshots/` for a person to look at.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test
//! runner reports these tests as ignored, with the reason (see `build.rs`);
//! with `CI=true` a missing browser fails them.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// One browser at a time: two cores do not run several Chromiums well.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A headless Chromium with its driver; both end when this is dropped.
struct Browser {
    client: Option<Client>,
    driver: Child,
    _profile: TempDir,
    name: &'static str,
    shots: u32,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Browser {
    async fn start(name: &'static str, scripts: bool) -> Self {
        // The WebDriver client's TLS stack wants one crypto provider chosen.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts (apt-get install chromium chromium-driver)");
        let profile =
            TempDir(std::env::temp_dir().join(format!("iol-chromium-{}", install_on_linode::random::hex(8))));
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--window-size=1280,1100".into(),
            format!("--user-data-dir={}", profile.0.display()),
        ];
        if !scripts {
            args.push("--blink-settings=scriptEnabled=false".into());
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), json!({"binary": CHROMIUM, "args": args}));
        let mut client = None;
        for _ in 0..50 {
            match ClientBuilder::rustls()
                .unwrap()
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        Self { client: Some(client.expect("a WebDriver session")), driver, _profile: profile, name, shots: 0 }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    /// Saves a screenshot as `target/screenshots/<test>-<n>-<what>.png`.
    async fn screenshot(&mut self, what: &str) {
        self.shots += 1;
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.client().screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{}-{}-{what}.png", self.name, self.shots)), png).unwrap();
    }

    /// Fits the window to the whole page, then saves a screenshot of it.
    async fn screenshot_whole_page(&mut self, what: &str) {
        let height = self
            .client()
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .unwrap()
            .as_u64()
            .unwrap_or(1100);
        // The window is a little taller than the page it shows.
        self.client().set_window_size(1280, height as u32 + 200).await.unwrap();
        self.screenshot(what).await;
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client().wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await.unwrap()
    }

    async fn type_into(&self, css: &str, text: &str) {
        self.find(css).await.send_keys(text).await.unwrap();
    }

    async fn select(&self, css: &str, value: &str) {
        self.find(css).await.select_by_value(value).await.unwrap();
    }

    /// Waits until `css` holds `text`.
    async fn wait_for_text(&self, css: &str, text: &str) -> String {
        let mut last = String::new();
        for _ in 0..100 {
            if let Ok(element) = self.client().find(Locator::Css(css)).await {
                last = element.text().await.unwrap_or_default();
                if last.contains(text) {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never showed {text:?}; last {last:?}");
    }

    async fn end(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Fills the demo StackScript's form by clicking.
async fn fill_the_form(browser: &Browser) {
    browser.select("select[name=type]", "g6-standard-2").await;
    browser.select("select[name=region]", "eu-west").await;
    browser.select("select[name=distribution]", "linode/ubuntu24.04").await;
    browser.click("input[name=udf_web_server][value=apache]").await;
    browser.click("input[name=udf_extras][value=git]").await;
    browser.type_into("#udf_user_name", "alex").await;
    browser.type_into("#udf_soa_email_address", "admin@example.com").await;
    browser.click("#udf_db_password-generate").await;
}

#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium and chromium-driver (apt-get install chromium chromium-driver)"
)]
async fn a_visitor_deploys_with_clicks_and_watches_the_server_start() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut browser = Browser::start("deploy", true).await;

    browser.client().goto(&app.address).await.unwrap();
    assert!(browser.text(".sandbox-banner").await.contains("Nothing is created on Linode"));
    fill_the_form(&browser).await;
    browser.screenshot("form").await;
    browser.click("#deploy").await;
    browser.wait_for_text("h1", "Allow my-application-name to read and write your Linodes?").await;
    browser.screenshot("consent").await;
    browser.click("#authorize").await;

    browser.wait_for_text("h1", "Success!").await;
    assert!(browser.text("#ssh-command").await.starts_with("ssh alex@192.0.2."));
    let password = browser.text("#root-password").await;
    assert!(password.len() >= 12);
    assert!(!browser.text("#secret-0").await.is_empty(), "the generated database password");
    browser.screenshot("success").await;
    browser.wait_for_text("#status", "ready").await;
    browser.wait_for_text("#access-note", "revoked").await;
    assert!(browser.find("#open-app").await.is_displayed().await.unwrap(), "Open app is shown");
    browser.screenshot("ready").await;
    assert_eq!(app.simulation().instance_count(), 1);
    assert_eq!(app.simulation().live_tokens(), 0);

    // Going back or reloading never shows the password again.
    browser.client().refresh().await.unwrap();
    browser.wait_for_text("h1", "Deploy already started").await;
    assert!(!browser.client().source().await.unwrap().contains(&password));
    browser.screenshot("reloaded").await;
    browser.end().await;
}

#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium and chromium-driver (apt-get install chromium chromium-driver)"
)]
async fn a_visitor_who_denies_access_gets_nothing_and_a_way_back() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut browser = Browser::start("deny", true).await;

    browser.client().goto(&app.address).await.unwrap();
    fill_the_form(&browser).await;
    browser.click("#deploy").await;
    browser.click("#deny").await;

    browser.wait_for_text("h1", "Access not granted").await;
    browser.screenshot("denied").await;
    browser.click("a.btn").await;
    browser.wait_for_text("h1", "Deploy").await;
    assert_eq!(app.simulation().instance_count(), 0);
    browser.end().await;
}

#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium and chromium-driver (apt-get install chromium chromium-driver)"
)]
async fn a_visitor_who_grants_only_read_access_is_told_what_is_missing() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut browser = Browser::start("narrow-scope", true).await;

    browser.client().goto(&app.address).await.unwrap();
    fill_the_form(&browser).await;
    browser.click("#deploy").await;
    browser.select("#linodes", "read_only").await;
    browser.click("#authorize").await;

    browser.wait_for_text("h1", "Permission to create Linodes is needed").await;
    browser.screenshot("narrow-scope").await;
    assert_eq!(app.simulation().instance_count(), 0);
    assert_eq!(app.simulation().live_tokens(), 0);
    browser.end().await;
}

#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium and chromium-driver (apt-get install chromium chromium-driver)"
)]
async fn the_form_can_be_completed_with_the_keyboard_alone() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut browser = Browser::start("keyboard", true).await;
    browser.client().goto(&app.address).await.unwrap();

    let mut submitted = false;
    for _ in 0..80 {
        let active = browser.client().active_element().await.unwrap();
        let id = active.attr("id").await.unwrap().unwrap_or_default();
        let name = active.attr("name").await.unwrap().unwrap_or_default();
        let value = active.attr("value").await.unwrap().unwrap_or_default();
        match (id.as_str(), name.as_str(), value.as_str()) {
            ("region", ..) => active.send_keys(&Key::Down).await.unwrap(),
            ("udf_user_name", ..) => active.send_keys("keys").await.unwrap(),
            ("udf_soa_email_address", ..) => active.send_keys("keys@example.com").await.unwrap(),
            (_, "generate", "db_password") => active.send_keys(" ").await.unwrap(),
            ("deploy", ..) => {
                browser.screenshot("focused-submit").await;
                active.send_keys(&Key::Enter).await.unwrap();
                submitted = true;
                break;
            }
            _ => {}
        }
        active.send_keys(&Key::Tab).await.unwrap();
    }
    assert!(submitted, "the submit button is reachable with Tab");
    browser.wait_for_text("h1", "Allow").await;

    for _ in 0..20 {
        let active = browser.client().active_element().await.unwrap();
        if active.attr("id").await.unwrap().as_deref() == Some("authorize") {
            active.send_keys(&Key::Enter).await.unwrap();
            break;
        }
        active.send_keys(&Key::Tab).await.unwrap();
    }
    browser.wait_for_text("h1", "Success!").await;
    let region = app.simulation().instances()[0]["region"].clone();
    assert_eq!(region, json!("us-central"), "the region moved down one with the arrow key");
    browser.screenshot("success").await;
    browser.end().await;
}

#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium and chromium-driver (apt-get install chromium chromium-driver)"
)]
async fn without_scripts_the_progress_page_still_reaches_ready() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut browser = Browser::start("no-script", false).await;

    browser.client().goto(&app.address).await.unwrap();
    fill_the_form(&browser).await;
    browser.click("#deploy").await;
    browser.click("#authorize").await;
    browser.wait_for_text("h1", "Success!").await;
    browser.click("#progress-link").await;

    browser.wait_for_text("#status", "ready").await;
    assert!(browser.text("#access-note").await.contains("revoked"));
    browser.screenshot("progress").await;
    browser.end().await;
}

#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium and chromium-driver (apt-get install chromium chromium-driver)"
)]
async fn the_form_fits_a_phone() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut browser = Browser::start("phone", true).await;
    browser.client().set_window_size(390, 844).await.unwrap();

    browser.client().goto(&app.address).await.unwrap();

    let overflow = browser
        .client()
        .execute("return document.documentElement.scrollWidth > window.innerWidth;", vec![])
        .await
        .unwrap();
    assert_eq!(overflow, json!(false), "no sideways scrolling");
    browser.screenshot("form").await;
    browser.end().await;
}

#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium and chromium-driver (apt-get install chromium chromium-driver)"
)]
async fn the_price_follows_each_pick_and_a_marketplace_style_deploy_says_how_to_get_in() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut browser = Browser::start("marketplace", true).await;
    browser.client().goto(&app.address).await.unwrap();

    browser.select("select[name=type]", "g6-standard-1").await;
    browser.select("select[name=region]", "id-cgk").await;
    let jakarta = crate::pricing::billed(&app, "g6-standard-1", "id-cgk", false).await;
    browser.wait_for_text("#price-total", &jakarta).await;
    assert!(
        browser.text("select[name=type] option:checked").await.ends_with(&jakarta),
        "the plan says it too"
    );
    browser.click("#backups").await;
    let with_backups = crate::pricing::billed(&app, "g6-standard-1", "id-cgk", true).await;
    browser.wait_for_text("#price-total", &with_backups).await;
    browser.select("select[name=region]", "us-east").await;
    let newark = crate::pricing::billed(&app, "g6-standard-1", "us-east", true).await;
    browser.wait_for_text("#price-total", &newark).await;

    browser.type_into("#udf_user_name", "alex").await;
    browser.click("input[name=udf_disable_root][value=Yes]").await;
    browser.type_into("#udf_soa_email_address", "admin@example.com").await;
    browser.click("#udf_db_password-generate").await;
    browser.click("details.section > summary").await;
    browser.type_into("#ssh_keys", crate::access::KEY).await;
    browser.screenshot_whole_page("form").await;
    browser.click("#deploy").await;
    browser.click("#authorize").await;

    browser.wait_for_text("h1", "Success!").await;
    assert!(browser.text("#ssh-command").await.starts_with("ssh alex@192.0.2."));
    assert!(browser.text("#ssh-note").await.contains("root and password logins over SSH off"));
    assert!(!browser.client().source().await.unwrap().contains("ssh root@"));
    browser.client().set_window_size(1280, 600).await.unwrap();
    browser.screenshot_whole_page("success").await;
    assert_eq!(app.simulation().instances()[0]["backups"]["enabled"], json!(true));
    browser.end().await;
}

#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium and chromium-driver (apt-get install chromium chromium-driver)"
)]
async fn without_scripts_the_price_button_shows_the_price_of_the_region_picked() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut browser = Browser::start("no-script-price", false).await;
    browser.client().goto(&app.address).await.unwrap();

    browser.select("select[name=type]", "g6-standard-2").await;
    browser.select("select[name=region]", "br-gru").await;
    browser.click("#update-price").await;

    let sao_paulo = crate::pricing::billed(&app, "g6-standard-2", "br-gru", false).await;
    browser.wait_for_text("#price-total", &sao_paulo).await;
    browser.screenshot("price").await;
    assert_eq!(app.simulation().instance_count(), 0, "asking for the price starts nothing");
    browser.end().await;
}

#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium and chromium-driver (apt-get install chromium chromium-driver)"
)]
async fn a_failed_install_is_said_in_plain_words_and_the_server_deleted_with_one_click() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut browser = Browser::start("failure", true).await;

    browser.client().goto(&app.address).await.unwrap();
    fill_the_form(&browser).await;
    browser.click("input[name=udf_simulate_failure][value=Yes]").await;
    browser.click("#deploy").await;
    browser.click("#authorize").await;
    browser.wait_for_text("h1", "Success!").await;
    browser.wait_for_text("#status", "failed").await;
    assert!(browser.text("#stage-sentence").await.contains("stopped"));
    browser.wait_for_text("#delete-form", "Delete this server").await;
    browser.screenshot_whole_page("failed").await;
    browser.click("#delete-server").await;

    browser.wait_for_text("#status", "deleted").await;
    browser.screenshot("deleted").await;
    assert_eq!(app.simulation().instance_count(), 0, "the server is gone");
    assert_eq!(app.simulation().live_tokens(), 0, "and the access revoked");
    browser.end().await;
}

#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium and chromium-driver (apt-get install chromium chromium-driver)"
)]
async fn the_deploy_button_renders_and_its_link_opens_the_form_as_built() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut browser = Browser::start("button", true).await;

    browser.client().goto(&format!("{}/apps/my-application-name/share", app.address)).await.unwrap();
    let width = browser
        .client()
        .execute("return document.getElementById('button-image').naturalWidth;", vec![])
        .await
        .unwrap();
    assert_eq!(width, json!(188), "the SVG badge renders");
    browser.select("#region", "ap-northeast").await;
    browser.click("#build-link").await;
    browser.wait_for_text("#deep-link", "region=ap-northeast").await;
    browser.click("#share-count").await;
    browser.click("#build-link").await;
    browser.wait_for_text("#markdown", "button.svg?count=1").await;
    let mut counted = json!(null);
    for _ in 0..50 {
        counted = browser
            .client()
            .execute("const i = document.getElementById('button-image'); return i.complete ? i.naturalWidth : null;", vec![])
            .await
            .unwrap();
        if !counted.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(counted, json!(217), "the badge with its count renders, a tab wider");
    browser.screenshot_whole_page("share").await;
    browser.click("#button-link").await;

    browser.wait_for_text("h1", "Deploy").await;
    let region = browser.find("select[name=region]").await.prop("value").await.unwrap();
    assert_eq!(region.as_deref(), Some("ap-northeast"), "the form opens with the link's choice");
    browser.end().await;
}

#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium and chromium-driver (apt-get install chromium chromium-driver)"
)]
async fn a_publisher_of_two_apps_sees_a_deploy_from_the_list_on_the_dashboard() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let token = "dashboard-token-in-chromium-7e21";
    let app = spawn_app(|s| {
        s.sandbox();
        s.settings.application_name = "Acme apps".into();
        s.settings.admin_token = Some(token.to_owned().into());
        s.settings.apps = [("blog", 501, "Blog"), ("shop", 502, "Shop")]
            .map(|(slug, id, name)| install_on_linode::settings::AppSpec {
                slug: slug.into(),
                stackscript_id: id,
                name: name.into(),
                ready_url: None,
                open_url: None,
                script_sha256: None,
            })
            .into();
    })
    .await;
    let mut browser = Browser::start("dashboard", true).await;

    browser.client().goto(&app.address).await.unwrap();
    browser.wait_for_text("h1", "Deploy Acme apps to a Linode").await;
    browser.screenshot_whole_page("apps").await;
    browser.click("#deploy-blog").await;
    browser.wait_for_text("h1", "Deploy Blog to a Linode").await;
    fill_the_form(&browser).await;
    browser.click("#deploy").await;
    browser.click("#authorize").await;
    browser.wait_for_text("h1", "Success!").await;
    browser.wait_for_text("#status", "ready").await;

    let port = app.address.rsplit(':').next().unwrap();
    browser.client().goto(&format!("http://publisher:{token}@127.0.0.1:{port}/admin")).await.unwrap();
    browser.wait_for_text("h1", "Deploys of Acme apps").await;
    assert_eq!(browser.text("#dashboard-blog .count-started td").await, "1");
    assert_eq!(browser.text("#dashboard-blog .count-reached td").await, "1");
    assert_eq!(browser.text("#dashboard-shop .count-started td").await, "0", "each app counts its own");
    let chart = browser
        .client()
        .execute(
            "const svg = document.querySelector('#dashboard-blog svg.chart');
             return [svg.getBoundingClientRect().width, svg.querySelectorAll('rect').length];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(chart, json!([640, 24]), "the chart renders: 7 days of 3 bars and a legend of 3");
    browser.screenshot_whole_page("dashboard").await;
    browser.end().await;
}
