//! The deploy experience: StackScript fields, instance options, deep links,
//! live progress, errors people can fix, and never two servers.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;
use wiremock::matchers::{method, path};

use crate::helpers::*;

fn count(page: &scraper::Html, selector: &str) -> usize {
    page.select(&scraper::Selector::parse(selector).unwrap()).count()
}

#[tokio::test]
async fn every_stackscript_field_is_on_the_form_in_the_right_shape() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;

    let page = html(&app.get("/").await.text().await.unwrap());

    assert_eq!(count(&page, "input[type=radio][name=udf_web_server]"), 2, "a short oneof is radio buttons");
    assert_eq!(attr(&page, "input[name=udf_web_server][value=nginx]", "checked").as_deref(), Some(""));
    assert_eq!(count(&page, "select[name=udf_php_version] option"), 5, "a long oneof is a select");
    assert_eq!(count(&page, "input[type=checkbox][name=udf_extras]"), 5, "a manyof is checkboxes");
    assert_eq!(attr(&page, "input[name=udf_extras][value=ufw]", "checked").as_deref(), Some(""));
    assert_eq!(attr(&page, "#udf_site_name", "value").as_deref(), Some("My site"), "defaults prefill");
    assert_eq!(attr(&page, "#udf_soa_email_address", "placeholder").as_deref(), Some("you@example.com"));
    assert_eq!(attr(&page, "#udf_db_password", "type").as_deref(), Some("password"), "passwords are masked");
    assert!(count(&page, "input[name=generate][value=db_password]") == 1, "with an offer to generate one");
    let plan = text_of(&page, "select[name=type] option").unwrap();
    assert!(
        plan.contains("vCPU") && plan.contains("RAM") && plan.contains("/mo") && plan.contains("/h"),
        "{plan}"
    );
    assert_eq!(text_of(&page, "select[name=region] option").as_deref(), Some("Newark, NJ (US)"));
}

#[tokio::test]
async fn a_missing_required_field_keeps_every_value_and_names_the_field() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let fields = [
        ("type", "g6-standard-2"),
        ("region", "eu-west"),
        ("distribution", "linode/ubuntu24.04"),
        ("udf_web_server", "apache"),
        ("udf_extras", "git"),
        ("udf_extras", "htop"),
        ("udf_db_password", "Kept-Secret-123"),
        ("label", "my-web"),
    ];

    let response = app.post_form(&fields).await;

    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = html(&response.text().await.unwrap());
    assert_eq!(text_of(&page, "#udf_soa_email_address-error").as_deref(), Some("This field is required."));
    assert_eq!(attr(&page, "select[name=type] option[selected]", "value").as_deref(), Some("g6-standard-2"));
    assert_eq!(attr(&page, "input[name=udf_web_server][value=apache]", "checked").as_deref(), Some(""));
    assert_eq!(count(&page, "input[name=udf_extras][checked]"), 2);
    assert_eq!(attr(&page, "#label", "value").as_deref(), Some("my-web"));
    assert_eq!(app.simulation().instance_count(), 0);
}

#[tokio::test]
async fn bad_label_keys_password_and_choices_are_refused_before_login() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut fields = DEMO_FIELDS.to_vec();
    fields.extend([
        ("label", "1-bad--label"),
        ("ssh_keys", "ssh-ed25519 not-a-key"),
        ("root_pass", "weak"),
        ("udf_web_server", "iis"),
    ]);

    let response = app.post_form(&fields).await;

    assert_eq!(response.status(), 400);
    let page = html(&response.text().await.unwrap());
    for id in ["#label-error", "#ssh_keys-error", "#root_pass-error", "#udf_web_server-error"] {
        assert!(text_of(&page, id).is_some(), "{id}");
    }
}

#[tokio::test]
async fn the_visitors_own_label_keys_and_password_are_used_and_the_password_is_not_shown() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti me@laptop";
    let mut fields = DEMO_FIELDS.to_vec();
    fields.extend([("label", "blog-server"), ("ssh_keys", key), ("root_pass", "Visitor-Chosen-Pass-9")]);

    let response = app.deploy(&fields, "authorize", "read_write").await;

    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    assert!(!body.contains("Visitor-Chosen-Pass-9"));
    let page = html(&body);
    assert_eq!(text_of(&page, "#linode-label").as_deref(), Some("blog-server"));
    assert!(text_of(&page, "#root-password").is_none());
}

#[tokio::test]
async fn a_deep_link_preselects_the_form_and_ignores_what_it_does_not_offer() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;

    let response = app
        .get("/?type=g6-standard-4&region=mars-1&image=linode/ubuntu22.04&web_server=apache&extras=git,htop&db_password=leak")
        .await;

    assert_eq!(response.status(), 200);
    assert!(response.headers().get("set-cookie").is_none());
    let page = html(&response.text().await.unwrap());
    assert_eq!(attr(&page, "select[name=type] option[selected]", "value").as_deref(), Some("g6-standard-4"));
    assert_eq!(
        attr(&page, "select[name=distribution] option[selected]", "value").as_deref(),
        Some("linode/ubuntu22.04")
    );
    assert_eq!(count(&page, "select[name=region] option[selected]"), 0);
    assert_eq!(attr(&page, "input[name=udf_web_server][value=apache]", "checked").as_deref(), Some(""));
    assert_eq!(count(&page, "input[name=udf_extras][checked]"), 2);
    let notice = text_of(&page, "#form-notices").unwrap();
    assert!(notice.contains("region") && notice.contains("db_password"), "{notice}");
    assert_eq!(
        attr(&page, "#udf_db_password", "value").as_deref(),
        Some(""),
        "secrets never come from a link"
    );
}

async fn status_url_of(response: reqwest::Response) -> (String, String) {
    let page = html(&response.text().await.unwrap());
    let status = attr(&page, "[data-status-url]", "data-status-url").unwrap();
    let progress = attr(&page, "#progress-link", "href").unwrap();
    (status, progress)
}

#[tokio::test]
async fn the_progress_page_works_without_scripts_and_says_when_access_was_revoked() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let (_, progress) = status_url_of(app.deploy(&DEMO_FIELDS, "authorize", "read_write").await).await;

    let first = html(&app.get(&progress).await.text().await.unwrap());
    assert_eq!(attr(&first, "meta[http-equiv=refresh]", "content").as_deref(), Some("3"));
    assert!(text_of(&first, "#root-password").is_none(), "no secret on the progress page");

    let mut last = first;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        last = html(&app.get(&progress).await.text().await.unwrap());
        if count(&last, "meta[http-equiv=refresh]") == 0 {
            break;
        }
    }
    assert_eq!(text_of(&last, "#status").as_deref(), Some("ready"));
    assert!(text_of(&last, "#access-note").unwrap().contains("revoked"));
}

#[tokio::test]
async fn live_events_report_each_stage_until_the_app_is_ready() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let (status, _) = status_url_of(app.deploy(&DEMO_FIELDS, "authorize", "read_write").await).await;
    let events_url = status.replace("/status", "/events");

    let response = app.get(&events_url).await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let body = tokio::time::timeout(Duration::from_secs(20), response.text())
        .await
        .expect("the stream ends")
        .unwrap();

    let statuses: Vec<String> = body
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str::<Value>(d).unwrap()["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses.first().map(String::as_str), Some("provisioning"));
    assert_eq!(statuses.last().map(String::as_str), Some("ready"));
    assert!(statuses.iter().any(|s| s == "installing"), "{statuses:?}");
}

#[tokio::test]
async fn another_session_cannot_watch_a_deploy() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let (status, progress) = status_url_of(app.deploy(&DEMO_FIELDS, "authorize", "read_write").await).await;
    let stranger = reqwest::Client::new();

    for path in [status, progress] {
        let response = stranger.get(format!("{}{path}", app.address)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn the_password_is_shown_once_reloading_the_callback_shows_no_secret() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let posted = app.post_form(&DEMO_FIELDS).await;
    let back = app.consent(posted.headers()["location"].to_str().unwrap(), "authorize", "read_write").await;
    let callback = back.headers()["location"].to_str().unwrap().to_owned();
    let first = app.get_absolute(&callback).await;
    assert_eq!(first.headers()["cache-control"], "no-store");
    let password = text_of(&html(&first.text().await.unwrap()), "#root-password").unwrap();

    let reload = app.get_absolute(&callback).await;

    assert_eq!(reload.status(), 409);
    let body = reload.text().await.unwrap();
    assert!(!body.contains(&password));
    let page = html(&body);
    assert!(attr(&page, "#error-link", "href").unwrap().starts_with("/deploys/"));
    assert_eq!(app.simulation().instance_count(), 1);
}

#[tokio::test]
async fn two_tabs_and_double_submits_never_make_two_servers() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    // Two tabs (or a double click) post the form at once; both go to the login server.
    let posts = join_all((0..2).map(|_| app.post_form(&DEMO_FIELDS))).await;
    let mut callbacks = Vec::new();
    for posted in &posts {
        let back =
            app.consent(posted.headers()["location"].to_str().unwrap(), "authorize", "read_write").await;
        callbacks.push(back.headers()["location"].to_str().unwrap().to_owned());
    }
    // Each callback arrives twice, all at once (refresh, back button).
    let all: Vec<&String> = callbacks.iter().chain(callbacks.iter()).collect();

    let responses = join_all(all.iter().map(|url| app.get_absolute(url))).await;
    let pages = crate::callback::pages_of(responses).await;

    let shown = pages.iter().filter(|(_, body)| body.contains("root-password")).count();
    assert_eq!(shown, 1, "{:?}", pages.iter().map(|(s, _)| s).collect::<Vec<_>>());
    assert_eq!(app.simulation().instance_count(), 1);
}

#[tokio::test]
async fn manyof_values_are_sent_comma_joined_with_keys_and_label() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;
    mount_catalog_with_fields(&app.linode).await;
    mount_happy_deploy(&app.linode, "c").await;
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti me@laptop";
    let response = app
        .post_form(&[
            ("type", "g6-nanode-1"),
            ("region", "us-east"),
            ("distribution", "linode/debian12"),
            ("udf_extras", "git"),
            ("udf_extras", "htop"),
            ("udf_email", "a@example.com"),
            ("label", "web-1"),
            ("ssh_keys", key),
        ])
        .await;
    let state = url::Url::parse(response.headers()["location"].to_str().unwrap())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();

    assert_eq!(app.callback(&[("code", "c"), ("state", &state)]).await.status(), 200);

    let creates = app.requests_to("POST", "/v4/linode/instances").await;
    let body: Value = serde_json::from_slice(&creates[0].body).unwrap();
    assert_eq!(body["stackscript_data"], json!({"extras": "git,htop", "email": "a@example.com"}));
    assert_eq!(body["authorized_keys"], json!([key]));
    assert_eq!(body["label"], "web-1");
}

#[tokio::test]
async fn a_linode_error_on_a_stackscript_field_is_shown_next_to_that_field() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;
    mount_catalog_with_fields(&app.linode).await;
    mount_token(&app.linode, "c", grant("linodes:read_write")).await;
    mount_create(
        &app.linode,
        ResponseTemplate::new(400).set_body_json(
            json!({"errors": [{"reason": "email domain does not accept mail", "field": "email"}]}),
        ),
    )
    .await;
    mount_revoke(&app.linode, 200).await;
    let fields = [
        ("type", "g6-nanode-1"),
        ("region", "us-east"),
        ("distribution", "linode/debian12"),
        ("udf_email", "admin@mail.example.invalid"),
    ];
    let response = app.post_form(&fields).await;
    let state = url::Url::parse(response.headers()["location"].to_str().unwrap())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();

    let response = app.callback(&[("code", "c"), ("state", &state)]).await;

    assert_eq!(response.status(), 400);
    let page = html(&response.text().await.unwrap());
    assert_eq!(text_of(&page, "#udf_email-error").as_deref(), Some("email domain does not accept mail"));
    assert_eq!(attr(&page, "#udf_email", "value").as_deref(), Some("admin@mail.example.invalid"));
}

#[tokio::test]
async fn a_restricted_user_is_told_which_permission_to_ask_for() {
    let app = spawn_app(|_| {}).await;
    mount_token(&app.linode, "c", grant("linodes:read_write")).await;
    mount_create(
        &app.linode,
        ResponseTemplate::new(403).set_body_json(json!({"errors": [{"reason": "Unauthorized"}]})),
    )
    .await;
    mount_revoke(&app.linode, 200).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("code", "c"), ("state", &state)]).await;

    assert_eq!(response.status(), 403);
    let page = html(&response.text().await.unwrap());
    assert!(text_of(&page, "#next-step").unwrap().contains("Add Linodes"));
}

#[tokio::test]
async fn an_expired_token_is_explained() {
    let app = spawn_app(|_| {}).await;
    mount_token(&app.linode, "c", grant("linodes:read_write")).await;
    mount_create(
        &app.linode,
        ResponseTemplate::new(401).set_body_json(json!({"errors": [{"reason": "Invalid Token"}]})),
    )
    .await;
    mount_revoke(&app.linode, 200).await;
    let state = app.start_deploy().await;

    let response = app.callback(&[("code", "c"), ("state", &state)]).await;

    assert_eq!(response.status(), 401);
    let page = html(&response.text().await.unwrap());
    assert!(text_of(&page, "#next-step").unwrap().contains("expired"));
}

/// A StackScript with a manyof field and a required text field.
async fn mount_catalog_with_fields(linode: &wiremock::MockServer) {
    wiremock::Mock::given(method("GET"))
        .and(path(format!("/v4/linode/stackscripts/{STACKSCRIPT_ID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": STACKSCRIPT_ID, "label": "demo", "images": ["linode/debian12"],
            "user_defined_fields": [
                {"name": "extras", "label": "Extras", "manyOf": "git,htop,ufw", "default": ""},
                {"name": "email", "label": "Email", "example": "you@example.com"}
            ]
        })))
        .with_priority(1)
        .mount(linode)
        .await;
    mount_catalog(linode).await;
}
