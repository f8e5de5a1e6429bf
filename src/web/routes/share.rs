//! What a publisher pastes into a README: `GET /apps/{slug}/button.svg`, a
//! "Deploy on Linode" badge in the product's own style (plain SVG: valid
//! XML, no script, no external reference, cacheable), and
//! `GET /apps/{slug}/share`, the Markdown and HTML snippets that link the
//! badge to the app's form, with a builder that turns the choices a visitor
//! would make (plan, region, image, StackScript fields that are not secret)
//! into a deep link. Each app of the apps file has its own; without one the
//! service deploys one app, whose slug is its application name made URL-safe.

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::form::Offer;
use std::sync::Arc;

use crate::web::apps::App;
use crate::web::error::AppError;
use crate::web::pages::configure::{image_label, region_label};
use crate::web::pages::{ScriptPage, SharePage};
use crate::web::state::AppState;

/// The badge: a rounded rectangle in two tones, as the product's buttons.
const BUTTON: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="188" height="32" viewBox="0 0 188 32" role="img" aria-label="Deploy on Linode">
  <title>Deploy on Linode</title>
  <rect width="188" height="32" rx="4" fill="#286090"/>
  <rect x="1" y="1" width="186" height="30" rx="3" fill="#337ab7"/>
  <path d="M14 9 l6 -3 l6 3 v7 l-6 3 l-6 -3 z M14 9 l6 3 l6 -3 M20 12 v7" fill="none" stroke="#ffffff" stroke-width="1.6" stroke-linejoin="round"/>
  <text x="36" y="21" fill="#ffffff" font-family="Helvetica, Arial, sans-serif" font-size="14" font-weight="bold">Deploy on Linode</text>
</svg>
"##;

fn known<'a>(state: &'a AppState, slug: &str) -> Result<&'a Arc<App>, AppError> {
    state.apps.get(slug).ok_or(AppError::NotFound)
}

/// The badge with how many Linodes were deployed from the app's
/// StackScript (Linode's own count) on a white tab at its right.
fn counted_button(count: u64) -> String {
    let digits = count.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let tab = 20 + 9 * grouped.len();
    let width = 188 + tab;
    let middle = 188 + tab / 2;
    BUTTON
        .replace(
            r#"width="188" height="32" viewBox="0 0 188 32" role="img" aria-label="Deploy on Linode""#,
            &format!(
                r#"width="{width}" height="32" viewBox="0 0 {width} 32" role="img" aria-label="Deploy on Linode: deployed {grouped} times""#
            ),
        )
        .replace("<title>Deploy on Linode</title>", &format!("<title>Deploy on Linode: deployed {grouped} times</title>"))
        .replace(r#"<rect width="188" height="32""#, &format!(r#"<rect width="{width}" height="32""#))
        .replace(
            "</svg>",
            &format!(
                r##"  <rect x="187" y="1" width="{}" height="30" rx="3" fill="#ffffff"/>
  <text x="{middle}" y="21" fill="#286090" font-family="Helvetica, Arial, sans-serif" font-size="14" font-weight="bold" text-anchor="middle">{grouped}</text>
</svg>"##,
                tab
            ),
        )
}

/// `GET /apps/{slug}/button.svg`; with `?count=1`, the count of Linodes
/// deployed from its StackScript beside it (the plain badge while Linode
/// cannot say: a README's image never breaks).
pub async fn button(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let app = known(&state, &slug)?;
    let counted = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .any(|(key, value)| key == "count" && value != "0" && !value.is_empty());
    let count = match counted {
        true => app.catalog.get().await.ok().and_then(|c| c.stackscript.deployments_total),
        false => None,
    };
    let (svg, cache) = match count {
        Some(count) => (counted_button(count), "public, max-age=300"),
        None => (BUTTON.to_owned(), "public, max-age=3600"),
    };
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, cache)], svg).into_response())
}

/// `GET /apps/{slug}/script`: the script that will run as root on the
/// visitor's server, shown escaped, so it can be read before granting anything.
pub async fn script(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, AppError> {
    let app = known(&state, &slug)?;
    let catalog = app.catalog.get().await.map_err(AppError::CatalogUnavailable)?;
    let script = &catalog.stackscript;
    Ok(ScriptPage {
        chrome: app.chrome.clone(),
        label: script.label.clone(),
        script: script.script.clone().unwrap_or_default(),
        sha256: catalog.script_sha256.clone(),
        form_url: app.chrome.form_url.clone(),
    }
    .into_response())
}

/// `GET /apps/{slug}/share`: snippets and a deep-link builder; the
/// builder's choices come back in the query and make the link.
pub async fn share(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let app = known(&state, &slug)?;
    let catalog = app.catalog.get().await.map_err(AppError::CatalogUnavailable)?;
    let base = format!("{}/apps/{slug}", state.settings.public_url.as_str().trim_end_matches('/'));
    // Only what the form offers, and never a secret, goes into a link.
    let mut kept = url::form_urlencoded::Serializer::new(String::new());
    let mut chosen = Vec::new();
    let mut with_count = false;
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if key == "count" {
            with_count = value == "1";
            continue;
        }
        let offered = match key.as_ref() {
            "type" => catalog.offers_plan(&value),
            "region" => catalog.offers_region(&value),
            "image" => catalog.offers_image(&value),
            name => catalog
                .udf_field(name)
                .is_some_and(|f| !f.is_secret() && !value.is_empty() && f.check(&value).is_ok()),
        };
        if offered {
            kept.append_pair(&key, &value);
            chosen.push((key.into_owned(), value.into_owned()));
        }
    }
    let query = kept.finish();
    let link = if query.is_empty() { base.clone() } else { format!("{base}?{query}") };
    let button = if with_count { format!("{base}/button.svg?count=1") } else { format!("{base}/button.svg") };
    let selected = |key: &str| chosen.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let page = SharePage {
        chrome: app.chrome.clone(),
        markdown: format!("[![Deploy on Linode]({button})]({link})"),
        html: format!(
            r#"<a href="{link}"><img src="{button}" alt="Deploy on Linode"{size}></a>"#,
            size = if with_count { r#" height="32""# } else { r#" width="188" height="32""# }
        ),
        button,
        with_count,
        link,
        plans: catalog
            .types
            .iter()
            .map(|t| (t.id.clone(), t.label.clone(), selected("type") == Some(t.id.clone())))
            .collect(),
        regions: catalog
            .regions
            .iter()
            .map(|r| (r.id.clone(), region_label(r), selected("region") == Some(r.id.clone())))
            .collect(),
        images: catalog
            .stackscript
            .images
            .iter()
            .map(|i| (i.clone(), image_label(i), selected("image") == Some(i.clone())))
            .collect(),
        fields: catalog
            .fields
            .iter()
            .filter(|f| !f.is_secret())
            .map(|f| (f.name.clone(), f.label.clone(), selected(&f.name).unwrap_or_default()))
            .collect(),
    };
    Ok(page.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counted_button_is_valid_svg_wide_enough_for_its_grouped_count() {
        let svg = counted_button(1_234_567);
        let document = roxmltree::Document::parse(&svg).expect("valid XML");
        let root = document.root_element();
        assert_eq!(root.attribute("width"), Some("289"), "188, and a tab of 20 + 9 × 9 for nine characters");
        assert!(svg.contains(">1,234,567</text>") && svg.contains("deployed 1,234,567 times"));
        assert!(counted_button(12).contains(">12</text>"));
        assert!(!svg.contains("<script") && !svg.contains("href"));
    }

    #[test]
    fn the_button_is_plain_svg_with_no_script_and_no_outside_reference() {
        assert!(BUTTON.starts_with("<?xml") && BUTTON.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        for refused in ["<script", "href", "xlink", "url(", "@import", "on"] {
            let lower = BUTTON.to_lowercase();
            let found = match refused {
                // Attributes such as onload, not the word "on" in the text.
                "on" => lower.contains(" onload") || lower.contains(" onclick") || lower.contains(" onerror"),
                other => lower.contains(other),
            };
            assert!(!found, "{refused}");
        }
    }
}
