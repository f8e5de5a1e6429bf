//! The Deploy button and its snippets: a badge that is plain, valid SVG,
//! and links that open the app's form with the publisher's choices.

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::*;

/// The one app's slug: its application name made URL-safe.
const SLUG: &str = "my-application-name";

#[tokio::test]
async fn the_button_is_valid_cacheable_svg_with_nothing_from_outside() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;

    let response = app.get(&format!("/apps/{SLUG}/button.svg")).await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert!(response.headers()["cache-control"].to_str().unwrap().starts_with("public"));
    let svg = response.text().await.unwrap();
    let document = roxmltree::Document::parse(&svg).expect("valid XML");
    assert_eq!(document.root_element().tag_name().name(), "svg");
    for node in document.descendants() {
        assert_ne!(node.tag_name().name(), "script");
        assert!(node.attributes().all(|a| !a.name().starts_with("on") && a.name() != "href"), "{node:?}");
    }
    assert!(svg.contains("Deploy on Linode"));
    assert_eq!(app.get("/apps/another-app/button.svg").await.status(), 404, "only apps this service deploys");
}

#[tokio::test]
async fn the_share_page_gives_snippets_and_builds_a_deep_link_without_secrets() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;

    let page = html(
        &app.get(&format!("/apps/{SLUG}/share?type=g6-standard-2&region=eu-west&web_server=apache&db_password=leak&region=mars"))
            .await
            .text()
            .await
            .unwrap(),
    );

    let link = text_of(&page, "#deep-link").unwrap();
    assert_eq!(
        link,
        format!("{}/apps/{SLUG}?type=g6-standard-2&region=eu-west&web_server=apache", app.address)
    );
    let markdown = text_of(&page, "#markdown").unwrap();
    assert_eq!(markdown, format!("[![Deploy on Linode]({}/apps/{SLUG}/button.svg)]({link})", app.address));
    assert!(text_of(&page, "#html").unwrap().contains(&format!(r#"href="{link}""#)));
    assert!(attr(&page, "#share-db_password", "name").is_none(), "no secret field in the builder");

    let form = html(&app.get_absolute(&link).await.text().await.unwrap());
    assert_eq!(attr(&form, "select[name=region] option[selected]", "value").as_deref(), Some("eu-west"));
    assert_eq!(attr(&form, "input[name=udf_web_server][value=apache]", "checked").as_deref(), Some(""));
}

#[tokio::test]
async fn the_button_can_carry_the_count_of_deploys_linode_keeps() {
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;
    mount_plans_and_regions(&app.linode).await;
    Mock::given(method("GET"))
        .and(path(format!("/v4/linode/stackscripts/{STACKSCRIPT_ID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": STACKSCRIPT_ID, "label": "demo", "images": ["linode/debian12"], "deployments_total": 1234,
            "user_defined_fields": [], "is_public": true, "rev_note": "", "script": "#!/bin/bash"
        })))
        .mount(&app.linode)
        .await;

    let counted = app.get(&format!("/apps/{SLUG}/button.svg?count=1")).await;
    let share =
        html(&app.get(&format!("/apps/{SLUG}/share?count=1&region=eu-west")).await.text().await.unwrap());

    assert_eq!(counted.status(), 200);
    assert_eq!(
        counted.headers()["cache-control"],
        "public, max-age=300",
        "the count is fresh within minutes"
    );
    let svg = counted.text().await.unwrap();
    roxmltree::Document::parse(&svg).expect("valid XML");
    assert!(svg.contains(">1,234</text>"), "{svg}");
    let markdown = text_of(&share, "#markdown").unwrap();
    assert!(
        markdown.contains("/button.svg?count=1)](") && markdown.ends_with("?region=eu-west)"),
        "{markdown}"
    );
    assert_eq!(attr(&share, "#share-count", "checked").as_deref(), Some(""));
    let plain = app.get(&format!("/apps/{SLUG}/button.svg")).await.text().await.unwrap();
    assert!(!plain.contains("1,234"), "without ?count=1, the plain badge");
}
