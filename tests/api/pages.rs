//! Headers and pages every visitor gets: security headers, health, static
//! files, not-found.

use crate::helpers::*;

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app(|_| {}).await;

    for path in ["/", "/healthz", "/static/style.css", "/nowhere", "/auth_callback"] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(headers.contains_key("x-request-id"), "{path}");
    }
}

#[tokio::test]
async fn health_answers_without_calling_linode() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
    assert!(app.linode_requests().await.is_empty());
}

#[tokio::test]
async fn pages_load_nothing_from_other_sites_and_carry_no_inline_script() {
    let app = spawn_app(|_| {}).await;

    let body = app.get("/").await.text().await.unwrap();

    let page = html(&body);
    let scripts = scraper::Selector::parse("script").unwrap();
    for script in page.select(&scripts) {
        assert_eq!(script.value().attr("src"), Some("/static/app.js"), "only our own script file");
        assert_eq!(script.inner_html().trim(), "", "and nothing inline");
    }
    let linked = scraper::Selector::parse("[src], link[href]").unwrap();
    for element in page.select(&linked) {
        let target = element.value().attr("src").or(element.value().attr("href")).unwrap();
        assert!(target.starts_with('/'), "loads {target}");
    }
    let all = scraper::Selector::parse("*").unwrap();
    for element in page.select(&all) {
        assert!(element.value().attrs().all(|(name, _)| !name.starts_with("on")), "no inline event handlers");
    }
    let viewport = scraper::Selector::parse("meta[name=viewport]").unwrap();
    assert!(page.select(&viewport).next().is_some(), "works on a phone");
}

#[tokio::test]
async fn the_stylesheet_is_served_by_the_app() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;

    let response = app.get("/static/style.css").await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/css; charset=utf-8");
    assert!(response.text().await.unwrap().contains(".boxy"));
}

#[tokio::test]
async fn an_unknown_page_is_a_404_page() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;

    let response = app.get("/wp-admin").await;

    assert_eq!(response.status(), 404);
    assert_eq!(text_of(&html(&response.text().await.unwrap()), "h1").as_deref(), Some("Page not found"));
}
