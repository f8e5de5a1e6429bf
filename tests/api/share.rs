//! The Deploy button and its snippets: a badge that is plain, valid SVG,
//! and links that open the app's form with the publisher's choices.

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
