//! Real StackScripts: the user-defined fields of 60 Linode Marketplace
//! StackScripts, exactly as Linode's API returns them
//! (`../shared/linode/marketplace-udfs.json`), each rendered as a form,
//! filled in the way a browser submits it with the defaults kept, and
//! deployed against the fake Linode.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::helpers::*;

const UDFS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/linode/marketplace-udfs.json");

/// One field as the test reads it from the file.
struct Udf {
    name: String,
    label: String,
    example: Option<String>,
    default: Option<String>,
    one_of: Option<Vec<String>>,
    many_of: Option<Vec<String>>,
}

impl Udf {
    fn read(json: &Value) -> Self {
        let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
        let list = |key: &str| {
            text(key)
                .map(|l| l.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect())
        };
        Self {
            name: text("name").unwrap(),
            label: text("label").unwrap_or_default(),
            example: text("example"),
            default: text("default"),
            one_of: list("oneOf").or_else(|| list("oneof")),
            many_of: list("manyOf").or_else(|| list("manyof")),
        }
    }

    fn input(&self) -> String {
        format!("udf_{}", self.name)
    }

    fn is_password(&self) -> bool {
        self.one_of.is_none() && self.many_of.is_none() && self.name.to_lowercase().contains("password")
    }

    /// What a visitor types into a required free-text field.
    fn typed_value(&self) -> String {
        let name = self.name.to_lowercase();
        if name == "user_name" {
            "alex".into()
        } else if name.ends_with("email") || name.ends_with("email_address") {
            "you@example.com".into()
        } else if self.is_password() {
            "Typed-Secret-value-1".into()
        } else {
            format!("value-for-{}", self.name)
        }
    }
}

/// The label as a visitor should read it: no Markdown-ish markers.
fn plain(text: &str) -> String {
    text.replace(['*', '`'], "").split_whitespace().collect::<Vec<_>>().join(" ")
}

fn all_text(page: &scraper::Html, selector: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(selector).unwrap();
    page.select(&selector)
        .map(|e| e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn values_of(page: &scraper::Html, selector: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(selector).unwrap();
    page.select(&selector).filter_map(|e| e.value().attr("value")).map(str::to_owned).collect()
}

fn count(page: &scraper::Html, selector: &str) -> usize {
    page.select(&scraper::Selector::parse(selector).unwrap()).count()
}

/// Checks that `udf` is on the form as its kind says, and returns what a
/// browser submits for it with the defaults kept and required fields filled.
fn check_field_and_fill(app: &str, page: &scraper::Html, udf: &Udf) -> Vec<String> {
    let input = udf.input();
    let context = format!("{app}: {}", udf.name);
    let label_text = all_text(page, &format!("label[for={input}], fieldset#{input} > legend"));
    let label = label_text.first().unwrap_or_else(|| panic!("{context}: no label"));
    let expected = if plain(&udf.label).is_empty() { udf.name.clone() } else { plain(&udf.label) };
    assert!(label.starts_with(&expected), "{context}: label {label:?}, expected {expected:?}");
    assert!(!label.contains('*') && !label.contains('`'), "{context}: {label:?} shows markup");
    assert_eq!(
        label.contains("(required)"),
        udf.default.is_none(),
        "{context}: required marker in {label:?}"
    );
    if let Some(example) = udf.example.as_deref().map(plain).filter(|e| !e.is_empty()) {
        let hints = all_text(page, &format!("#{input} ~ p.hint, fieldset#{input} ~ p.hint"));
        assert!(
            hints.iter().any(|h| h.contains(example.trim_start_matches("Example:").trim())),
            "{context}: hint {hints:?}"
        );
    }
    let defaults: Vec<String> = udf
        .default
        .iter()
        .flat_map(|d| d.split(',').map(|v| v.trim().to_owned()))
        .filter(|v| !v.is_empty())
        .collect();
    if let Some(options) = &udf.one_of {
        let radios = values_of(page, &format!("input[type=radio][name={input}]"));
        let offered = if radios.is_empty() {
            values_of(page, &format!("select[name={input}] option"))
                .into_iter()
                .filter(|v| !v.is_empty())
                .collect()
        } else {
            radios
        };
        assert_eq!(&offered, options, "{context}: a oneOf offers exactly its values");
        let chosen = [
            values_of(page, &format!("input[name={input}][checked]")),
            values_of(page, &format!("select[name={input}] option[selected]")),
        ]
        .concat();
        assert_eq!(chosen, defaults, "{context}: the default is preselected");
        return if chosen.is_empty() { vec![options[0].clone()] } else { chosen };
    }
    if let Some(options) = &udf.many_of {
        let boxes = values_of(page, &format!("input[type=checkbox][name={input}]"));
        assert_eq!(&boxes, options, "{context}: a manyOf is a multiple choice of exactly its values");
        let chosen = values_of(page, &format!("input[type=checkbox][name={input}][checked]"));
        assert_eq!(chosen, defaults, "{context}: the defaults are ticked");
        return if chosen.is_empty() && udf.default.is_none() { vec![options[0].clone()] } else { chosen };
    }
    let kind = attr(page, &format!("#{input}"), "type").unwrap_or_else(|| panic!("{context}: no input"));
    assert_eq!(
        kind == "password",
        udf.is_password(),
        "{context}: masked exactly when its name says password"
    );
    let value = attr(page, &format!("#{input}"), "value").unwrap_or_default();
    assert_eq!(value, udf.default.clone().unwrap_or_default(), "{context}: the default prefills it");
    if value.is_empty() && udf.default.is_none() { vec![udf.typed_value()] } else { vec![value] }
}

#[tokio::test]
#[cfg_attr(
    missing_marketplace_udfs,
    ignore = "needs ../shared/linode/marketplace-udfs.json beside the project"
)]
async fn every_real_marketplace_stackscript_renders_and_deploys_with_its_defaults() {
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(UDFS).expect("the Marketplace fields")).unwrap();
    let apps = file["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 60, "the whole file is checked");
    for entry in apps {
        let name = entry["app"].as_str().unwrap();
        let udfs: Vec<Udf> = entry["user_defined_fields"].as_array().unwrap().iter().map(Udf::read).collect();
        let app = spawn_app(|s| {
            s.bare();
        })
        .await;
        mount_plans_and_regions(&app.linode).await;
        mount_stackscript(&app.linode, entry["user_defined_fields"].clone()).await;

        let page = app.get("/").await;
        assert_eq!(page.status(), 200, "{name}: the form renders");
        let page = html(&page.text().await.unwrap());
        let mut form = vec![
            ("type".to_owned(), "g6-nanode-1".to_owned()),
            ("region".to_owned(), "us-east".to_owned()),
            ("distribution".to_owned(), "linode/debian12".to_owned()),
        ];
        let mut expected = BTreeMap::new();
        for udf in &udfs {
            let submitted = check_field_and_fill(name, &page, udf);
            let joined = submitted.join(",");
            if !joined.is_empty() {
                expected.insert(udf.name.clone(), joined);
            }
            form.extend(submitted.into_iter().map(|v| (udf.input(), v)));
        }

        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let posted = app.post_form(&fields).await;
        assert_eq!(posted.status(), 302, "{name}: the defaults and required fields reach Linode's login");
        let login = url::Url::parse(posted.headers()["location"].to_str().unwrap()).unwrap();
        let query: BTreeMap<String, String> = login.query_pairs().into_owned().collect();
        assert_eq!(query.get("scopes").map(String::as_str), Some("linodes:read_write"), "{name}");
        mount_happy_deploy(&app.linode, "code-1").await;
        let done = app.callback(&[("code", "code-1"), ("state", &query["state"])]).await;
        assert_eq!(done.status(), 200, "{name}: deployed");

        let creates = app.requests_to("POST", "/v4/linode/instances").await;
        let body: Value = serde_json::from_slice(&creates[0].body).unwrap();
        let sent: BTreeMap<String, String> =
            serde_json::from_value(body["stackscript_data"].clone()).unwrap_or_default();
        assert_eq!(sent, expected, "{name}: stackscript_data carries exactly the values chosen");
    }
}

#[tokio::test]
#[cfg_attr(
    missing_marketplace_udfs,
    ignore = "needs ../shared/linode/marketplace-udfs.json beside the project"
)]
async fn a_link_never_prefills_a_password_field_of_a_real_stackscript() {
    let file: Value = serde_json::from_str(&std::fs::read_to_string(UDFS).unwrap()).unwrap();
    let passbolt = file["apps"].as_array().unwrap().iter().find(|a| a["app"] == "passbolt").unwrap();
    let app = spawn_app(|s| {
        s.bare();
    })
    .await;
    mount_plans_and_regions(&app.linode).await;
    mount_stackscript(&app.linode, passbolt["user_defined_fields"].clone()).await;

    let page = html(&app.get("/?token_password=from-a-link&user_name=alex").await.text().await.unwrap());

    assert_eq!(attr(&page, "#udf_token_password", "type").as_deref(), Some("password"));
    assert_eq!(attr(&page, "#udf_token_password", "value").as_deref(), Some(""));
    assert_eq!(
        attr(&page, "#udf_user_name", "value").as_deref(),
        Some("alex"),
        "other fields may come from a link"
    );
    assert!(text_of(&page, "#form-notices").unwrap().contains("token_password"));
    assert_eq!(
        count(&page, "input[name=generate][value=token_password]"),
        0,
        "an API token is never generated"
    );
}
