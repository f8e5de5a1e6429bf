//! `GET /` and `POST /`: the form, its catalog, and the redirect to login.

use std::time::Duration;

use wiremock::ResponseTemplate;
use wiremock::matchers::any;

use crate::helpers::*;

#[tokio::test]
async fn the_form_offers_every_page_of_plans_the_healthy_core_regions_and_the_stackscript_images() {
    let app = spawn_app(|_| {}).await;

    let response = app.get("/").await;

    assert_eq!(response.status(), 200);
    let page = html(&response.text().await.unwrap());
    let values = |select: &str| -> Vec<String> {
        let selector = scraper::Selector::parse(&format!("select[name={select}] option")).unwrap();
        page.select(&selector).map(|o| o.value().attr("value").unwrap().to_owned()).collect()
    };
    assert_eq!(values("type"), ["g6-nanode-1", "g6-standard-1", "g6-standard-2"]);
    assert_eq!(values("region"), ["us-east", "eu-west"], "not in outage, distributed or without Linodes");
    assert_eq!(values("distribution"), ["linode/debian12", "linode/ubuntu24.04"]);
    assert_eq!(text_of(&page, "h1").as_deref(), Some("Deploy my-application-name to a Linode"));
    for name in ["type", "region", "distribution"] {
        let label = scraper::Selector::parse(&format!("label[for={name}]")).unwrap();
        assert!(page.select(&label).next().is_some(), "the {name} select has a label");
    }
}

#[tokio::test]
async fn public_calls_carry_no_authorization_and_name_the_app() {
    let app = spawn_app(|_| {}).await;

    app.get("/").await;

    let requests = app.linode_requests().await;
    assert_eq!(requests.len(), 4, "two pages of types, regions, the StackScript");
    for request in &requests {
        assert!(!request.headers.contains_key("authorization"), "{} sent a token", request.url);
        assert_eq!(request.headers["accept"], "application/json");
        assert!(request.headers["user-agent"].to_str().unwrap().starts_with("install-on-linode/"));
    }
    let types = app.requests_to("GET", "/v4/linode/types").await;
    assert!(types.iter().all(|r| r.headers["x-filter"] == TYPES_FILTER));
}

#[tokio::test]
async fn the_catalog_is_cached_between_visits() {
    let app = spawn_app(|_| {}).await;

    for _ in 0..3 {
        assert_eq!(app.get("/").await.status(), 200);
    }

    assert_eq!(app.requests_to("GET", "/v4/regions").await.len(), 1);
}

#[tokio::test]
async fn showing_the_form_sets_no_cookie() {
    let app = spawn_app(|_| {}).await;

    let response = app.get("/").await;

    assert!(response.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn with_linode_down_and_nothing_cached_the_visitor_gets_a_503_page() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;
    wiremock::Mock::given(any()).respond_with(ResponseTemplate::new(500)).mount(&app.linode).await;

    let response = app.get("/").await;

    assert_eq!(response.status(), 503);
    let page = html(&response.text().await.unwrap());
    assert_eq!(text_of(&page, "h1").as_deref(), Some("Linode is not answering"));
}

#[tokio::test]
async fn with_linode_hanging_and_nothing_cached_the_503_comes_within_15_seconds() {
    let app = spawn_app(|s| s.bare().settings.http_timeout = Duration::from_secs(30)).await;
    wiremock::Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(60)))
        .mount(&app.linode)
        .await;

    let started = std::time::Instant::now();
    let response = app.get("/").await;

    assert_eq!(response.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn a_stale_catalog_is_still_served_when_linode_goes_down() {
    let app = spawn_app(|s| s.bare().settings.catalog_ttl = Duration::ZERO).await;
    mount_catalog(&app.linode).await;
    assert_eq!(app.get("/").await.status(), 200);
    app.linode.reset().await;
    wiremock::Mock::given(any()).respond_with(ResponseTemplate::new(503)).mount(&app.linode).await;

    let response = app.get("/").await;

    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    assert!(body.contains("g6-standard-2"));
}

#[tokio::test]
async fn a_valid_choice_redirects_to_the_login_server_asking_only_for_linodes_read_write() {
    let app = spawn_app(|_| {}).await;

    let response = app
        .post_form(&[
            ("type", "g6-standard-2"),
            ("region", "eu-west"),
            ("distribution", "linode/ubuntu24.04"),
        ])
        .await;

    assert_eq!(response.status(), 302);
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.as_str().split('?').next().unwrap(), format!("{}/oauth/authorize", app.linode.uri()));
    let params: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["client_id", "response_type", "scopes", "redirect_uri", "state"]);
    let param = |name: &str| params.iter().find(|(k, _)| k == name).unwrap().1.clone();
    assert_eq!(param("client_id"), CLIENT_ID);
    assert_eq!(param("response_type"), "code");
    assert_eq!(param("scopes"), "linodes:read_write");
    assert_eq!(param("redirect_uri"), format!("{}/auth_callback", app.address));
    assert_eq!(param("state").len(), 64, "256 bits of state");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_holds_no_choice() {
    let app = spawn_app(|_| {}).await;

    let response = app
        .post_form(&[("type", "g6-nanode-1"), ("region", "us-east"), ("distribution", "linode/debian12")])
        .await;

    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("iol_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain http in tests");
    assert!(!cookie.contains("g6-nanode-1") && !cookie.contains("us-east"));
}

#[tokio::test]
async fn over_https_the_cookie_is_host_prefixed_and_every_response_carries_hsts() {
    let public = "https://deploy.example.com";
    let app = spawn_app(|s| {
        s.behind(public);
    })
    .await;

    let response = app
        .browser
        .post(&app.address)
        .header("Origin", public)
        .form(&[("type", "g6-nanode-1"), ("region", "us-east"), ("distribution", "linode/debian12")])
        .send()
        .await
        .unwrap();
    let not_found = app.get("/no-such-page").await;

    assert_eq!(response.status(), 302);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-iol_session="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    for answer in [&response, &not_found] {
        assert_eq!(answer.headers()["strict-transport-security"], "max-age=31536000");
    }
}

#[tokio::test]
async fn over_plain_http_no_hsts_is_sent() {
    let app = spawn_app(|_| {}).await;
    assert!(!app.get("/").await.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn posting_again_cycles_the_session_id_and_the_state() {
    let app = spawn_app(|_| {}).await;
    let form = [("type", "g6-nanode-1"), ("region", "us-east"), ("distribution", "linode/debian12")];

    let first = app.post_form(&form).await;
    let second = app.post_form(&form).await;

    let id = |r: &reqwest::Response| {
        r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned()
    };
    assert_ne!(id(&first), id(&second));
    assert_ne!(first.headers()["location"], second.headers()["location"]);
}

#[tokio::test]
async fn a_cross_site_post_is_refused_and_starts_no_login() {
    let app = spawn_app(|_| {}).await;

    let response = app
        .browser
        .post(&app.address)
        .header("Origin", "https://attacker.example")
        .form(&[("type", "g6-nanode-1"), ("region", "us-east"), ("distribution", "linode/debian12")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 403);
    assert!(response.headers().get("location").is_none());
    assert!(response.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn a_cross_site_post_without_origin_is_refused_by_sec_fetch_site() {
    let app = spawn_app(|_| {}).await;

    let response = app
        .browser
        .post(&app.address)
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("type", "g6-nanode-1"), ("region", "us-east"), ("distribution", "linode/debian12")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn a_value_the_form_did_not_offer_shows_the_form_again_with_a_message_and_no_redirect() {
    let app = spawn_app(|_| {}).await;

    let response = app
        .post_form(&[
            ("type", "g6-dedicated-512"),
            ("region", "eu-west"),
            ("distribution", "linode/debian12"),
        ])
        .await;

    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    assert!(response.headers().get("set-cookie").is_none());
    let page = html(&response.text().await.unwrap());
    assert_eq!(text_of(&page, "#type-error").as_deref(), Some("Choose one of the plans in the list."));
    assert_eq!(text_of(&page, "#region-error"), None);
    let kept = scraper::Selector::parse("select[name=region] option[selected]").unwrap();
    assert_eq!(page.select(&kept).next().unwrap().value().attr("value"), Some("eu-west"));
}

#[tokio::test]
async fn a_malformed_form_gets_a_400_form_not_a_crash() {
    let app = spawn_app(|_| {}).await;

    for body in ["type=a&type=b", "%zz=%%", ""] {
        let response = app
            .browser
            .post(&app.address)
            .header("Origin", &app.address)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "body {body:?}");
        let page = html(&response.text().await.unwrap());
        assert!(text_of(&page, "[role=alert]").is_some(), "body {body:?} shows a message");
    }
}

#[tokio::test]
async fn a_post_that_is_not_a_form_gets_a_400_form() {
    let app = spawn_app(|_| {}).await;

    let response = app
        .browser
        .post(&app.address)
        .header("Origin", &app.address)
        .header("content-type", "application/json")
        .body(r#"{"type":"g6-nanode-1"}"#)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn an_oversized_post_is_refused() {
    let app = spawn_app(|_| {}).await;

    let response = app
        .browser
        .post(&app.address)
        .header("Origin", &app.address)
        .form(&[("type", "x".repeat(100_000))])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn our_own_form_posted_with_a_null_origin_is_accepted_by_sec_fetch_site() {
    let app = spawn_app(|_| {}).await;
    let form = [("type", "g6-nanode-1"), ("region", "us-east"), ("distribution", "linode/debian12")];
    let post = |site: &'static str| {
        app.browser
            .post(&app.address)
            .header("Origin", "null")
            .header("Sec-Fetch-Site", site)
            .form(&form)
            .send()
    };

    assert_eq!(post("same-origin").await.unwrap().status(), 302);
    assert_eq!(post("cross-site").await.unwrap().status(), 403);
}
