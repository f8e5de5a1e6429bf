//! The price is the price: what the form shows before the visitor leaves
//! for Linode is what Linode bills for that plan, in that region, with or
//! without Backups, with scripts or without.

use serde_json::Value;

use crate::helpers::*;

/// The plan's price in the region, from the simulated Linode's own catalog,
/// worded as Linode bills it: "$M/mo ($H/h)".
pub async fn billed(app: &TestApp, plan: &str, region: &str, backups: bool) -> String {
    let types: Value = app.get("/sandbox/v4/linode/types").await.json().await.unwrap();
    let plan = types["data"].as_array().unwrap().iter().find(|t| t["id"] == plan).unwrap();
    let price_of = |price: &Value, regional: &Value| {
        let own = regional.as_array().and_then(|r| r.iter().find(|p| p["id"] == region));
        let chosen = own.unwrap_or(price);
        (chosen["monthly"].as_f64().unwrap(), chosen["hourly"].as_f64().unwrap())
    };
    let (mut monthly, mut hourly) = price_of(&plan["price"], &plan["region_prices"]);
    if backups {
        let addon = &plan["addons"]["backups"];
        let (m, h) = price_of(&addon["price"], &addon["region_prices"]);
        monthly += m;
        hourly += h;
    }
    let monthly = if monthly.fract() == 0.0 { format!("{monthly:.0}") } else { format!("{monthly:.2}") };
    let hourly = format!("{hourly:.5}").trim_end_matches('0').trim_end_matches('.').to_owned();
    format!("${monthly}/mo (${hourly}/h)")
}

fn form(plan: &'static str, region: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut fields = DEMO_FIELDS.to_vec();
    fields.retain(|(k, _)| *k != "type" && *k != "region");
    fields.extend([("type", plan), ("region", region)]);
    fields
}

#[tokio::test]
async fn the_form_shows_the_price_of_the_plan_in_the_chosen_region_before_login() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;

    let newark = html(&app.get("/?type=g6-standard-1&region=us-east").await.text().await.unwrap());
    let jakarta = html(&app.get("/?type=g6-standard-1&region=id-cgk").await.text().await.unwrap());

    let newark_price = billed(&app, "g6-standard-1", "us-east", false).await;
    let jakarta_price = billed(&app, "g6-standard-1", "id-cgk", false).await;
    assert_ne!(newark_price, jakarta_price, "Jakarta is priced apart");
    assert_eq!(text_of(&newark, "#price-total"), Some(newark_price.clone()));
    assert_eq!(text_of(&jakarta, "#price-total"), Some(jakarta_price.clone()));
    let option = text_of(&jakarta, "select[name=type] option[selected]").unwrap();
    assert!(option.ends_with(&jakarta_price), "the plan's own label says the region's price: {option}");
    assert_eq!(text_of(&jakarta, "#price-plan"), Some(jakarta_price));
}

#[tokio::test]
async fn without_scripts_update_the_price_shows_it_for_the_choice_and_starts_nothing() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let mut fields = form("g6-standard-2", "br-gru");
    fields.extend([("backups", "yes"), ("action", "price")]);

    let response = app.post_form(&fields).await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = html(&response.text().await.unwrap());
    assert_eq!(text_of(&page, "#price-total"), Some(billed(&app, "g6-standard-2", "br-gru", true).await));
    assert_eq!(attr(&page, "#backups", "checked").as_deref(), Some(""), "the choice is kept");
    assert_eq!(attr(&page, "#udf_user_name", "value").as_deref(), Some("alex"));
    assert!(text_of(&page, "#form-errors").is_none(), "asking for the price is not a mistake");
    assert_eq!(app.simulation().instance_count(), 0);
}

#[tokio::test]
async fn backups_show_their_regional_price_and_are_enrolled_when_chosen() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;
    let page = html(&app.get("/?type=g6-standard-1&region=id-cgk").await.text().await.unwrap());
    let with_backups = billed(&app, "g6-standard-1", "id-cgk", true).await;
    let plan_only = billed(&app, "g6-standard-1", "id-cgk", false).await;
    let backups = text_of(&page, "#price-backups").unwrap();
    assert!(text_of(&page, "#backups-hint").unwrap().contains(&backups), "the checkbox says what it costs");
    let table: Value = serde_json::from_str(&attr(&page, "#price", "data-prices").unwrap()).unwrap();
    assert_eq!(table["g6-standard-1"]["id-cgk"][3], Value::from(with_backups), "the script's total");
    assert_eq!(table["g6-standard-1"]["id-cgk"][1], Value::from(plan_only));

    let mut fields = form("g6-standard-1", "id-cgk");
    fields.push(("backups", "yes"));
    let response = app.deploy(&fields, "authorize", "read_write").await;

    assert_eq!(response.status(), 200);
    let created = app.simulation().instances();
    assert_eq!(created[0]["backups"]["enabled"], true);
}

#[tokio::test]
async fn without_backups_the_create_body_does_not_mention_them() {
    let app = spawn_app(|_| {}).await;
    mount_happy_deploy(&app.linode, "c").await;
    let state = app.start_deploy().await;

    app.callback(&[("code", "c"), ("state", &state)]).await;

    let create = &app.requests_to("POST", "/v4/linode/instances").await[0];
    let body: Value = serde_json::from_slice(&create.body).unwrap();
    assert!(body.get("backups_enabled").is_none() && body.get("authorized_users").is_none(), "{body}");
}

#[tokio::test]
async fn the_distributed_region_and_its_prices_are_not_offered() {
    let app = spawn_app(|s| {
        s.sandbox();
    })
    .await;

    let page = html(&app.get("/").await.text().await.unwrap());

    let table = attr(&page, "#price", "data-prices").unwrap();
    assert!(!table.contains("us-den-edge-1"));
    assert!(attr(&page, "select[name=region] option[value=us-den-edge-1]", "value").is_none());
}
