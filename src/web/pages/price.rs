//! What the chosen server costs, in the words the form shows.
//!
//! Linode prices some plans (and their Backups) differently per region, so a
//! price is always "this plan in this region" ([`LinodeType::price_in`]).
//! The page carries the prices that differ from a plan's default as a small
//! table (`data-prices`), already worded here, so the script that updates the
//! summary as the visitor picks formats nothing itself; without scripts, the
//! form's "Update the price" button asks the server for the same words.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::CatalogData;
use crate::linode::models::{LinodeType, Price};

/// The key of a plan's default prices in the table (no region id is empty).
pub const DEFAULT_REGION: &str = "";

/// The price box for one plan in one region.
#[derive(Debug, Clone)]
pub struct PriceView {
    /// The plan in the region, such as "$5/mo ($0.0075/h)".
    pub plan: String,
    /// Backups for the plan in the region, such as "+$2/mo ($0.003/h)".
    pub backups: Option<String>,
    /// What Linode bills with the Backups choice applied.
    pub total: String,
    /// Whether Backups are chosen.
    pub backups_chosen: bool,
    /// The table of every plan's words by region, as JSON (see [`Words`]).
    pub table: String,
}

/// A plan's words in a region: its option label, its price, its Backups'
/// price and the total with Backups. Serialized as a four-item array.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Words(pub String, pub String, pub String, pub String);

impl PriceView {
    /// The box for `plan` in `region`, with or without Backups.
    pub fn new(catalog: &CatalogData, plan: &LinodeType, region: &str, backups_chosen: bool) -> Self {
        let plan_price = plan.price_in(region);
        let backups_price = plan.backups_price_in(region);
        let chosen = if backups_chosen { backups_price.as_ref() } else { None };
        Self {
            plan: plan_price.as_ref().map(describe).unwrap_or_else(|| "not listed by Linode".into()),
            backups: backups_price.as_ref().map(|p| format!("+{}", describe(p))),
            total: total(plan_price.as_ref(), chosen),
            backups_chosen,
            table: serde_json::to_string(&table(catalog)).unwrap_or_default(),
        }
    }
}

/// Every plan's words: under [`DEFAULT_REGION`] for regions priced as the
/// default, and under each region whose prices differ.
pub fn table(catalog: &CatalogData) -> BTreeMap<String, BTreeMap<String, Words>> {
    catalog
        .types
        .iter()
        .map(|plan| {
            let mut by_region = BTreeMap::from([(DEFAULT_REGION.to_owned(), words(plan, DEFAULT_REGION))]);
            for region in &catalog.regions {
                let own = words(plan, &region.id);
                if own != by_region[DEFAULT_REGION] {
                    by_region.insert(region.id.clone(), own);
                }
            }
            (plan.id.clone(), by_region)
        })
        .collect()
}

fn words(plan: &LinodeType, region: &str) -> Words {
    let price = plan.price_in(region);
    let backups = plan.backups_price_in(region);
    Words(
        plan_label(plan, price.as_ref()),
        price.as_ref().map(describe).unwrap_or_default(),
        backups.as_ref().map(|p| format!("+{}", describe(p))).unwrap_or_default(),
        total(price.as_ref(), backups.as_ref()),
    )
}

/// "Linode 4GB · 2 vCPU · 4 GB RAM · 80 GB disk · $24/mo ($0.036/h)".
pub fn plan_label(plan: &LinodeType, price: Option<&Price>) -> String {
    let mut parts = vec![plan.label.clone()];
    if let Some(vcpus) = plan.vcpus {
        parts.push(format!("{vcpus} vCPU"));
    }
    if let Some(memory) = plan.memory {
        parts.push(format!("{} RAM", gigabytes(memory)));
    }
    if let Some(disk) = plan.disk {
        parts.push(format!("{} disk", gigabytes(disk)));
    }
    if let Some(price) = price.filter(|p| p.monthly.is_some() || p.hourly.is_some()) {
        parts.push(describe(price));
    }
    parts.join(" · ")
}

/// "$24/mo ($0.036/h)", or whichever half Linode gives.
pub fn describe(price: &Price) -> String {
    match (price.monthly, price.hourly) {
        (Some(m), Some(h)) => format!("${}/mo (${}/h)", monthly(m), hourly(h)),
        (Some(m), None) => format!("${}/mo", monthly(m)),
        (None, Some(h)) => format!("${}/h", hourly(h)),
        (None, None) => String::new(),
    }
}

fn total(plan: Option<&Price>, backups: Option<&Price>) -> String {
    let Some(plan) = plan else { return "not listed by Linode".into() };
    let add = |a: Option<f64>, b: Option<f64>| a.map(|a| a + b.unwrap_or(0.0));
    let sum = Price {
        monthly: add(plan.monthly, backups.and_then(|b| b.monthly)),
        hourly: add(plan.hourly, backups.and_then(|b| b.hourly)),
    };
    describe(&sum)
}

fn gigabytes(megabytes: u64) -> String {
    if megabytes.is_multiple_of(1024) {
        format!("{} GB", megabytes / 1024)
    } else {
        format!("{:.1} GB", megabytes as f64 / 1024.0)
    }
}

/// Whole dollars as such, else cents: "5", "14.40".
fn monthly(amount: f64) -> String {
    let cents = (amount * 100.0).round() / 100.0;
    if cents.fract() == 0.0 { format!("{cents:.0}") } else { format!("{cents:.2}") }
}

/// Up to five decimals, trailing zeros dropped: "0.0075", "0.036", "1.5".
fn hourly(amount: f64) -> String {
    let text = format!("{amount:.5}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linode::models::{Addons, BackupsAddon, Region, RegionPrice, StackScript};

    fn nanode() -> LinodeType {
        let regional = |id: &str, monthly: f64, hourly: f64| RegionPrice {
            id: id.into(),
            monthly: Some(monthly),
            hourly: Some(hourly),
        };
        LinodeType {
            id: "g6-nanode-1".into(),
            label: "Nanode 1GB".into(),
            price: Some(Price { monthly: Some(5.0), hourly: Some(0.0075) }),
            memory: Some(1024),
            vcpus: Some(1),
            disk: Some(25600),
            region_prices: vec![regional("id-cgk", 6.0, 0.009)],
            addons: Some(Addons {
                backups: Some(BackupsAddon {
                    price: Some(Price { monthly: Some(2.0), hourly: Some(0.003) }),
                    region_prices: vec![regional("id-cgk", 2.5, 0.004)],
                }),
            }),
        }
    }

    fn region(id: &str) -> Region {
        Region {
            id: id.into(),
            label: Some(id.into()),
            country: None,
            status: Some("ok".into()),
            capabilities: Some(vec!["Linodes".into()]),
            site_type: None,
        }
    }

    fn catalog() -> CatalogData {
        let script = StackScript {
            id: 1,
            label: "s".into(),
            images: vec![],
            user_defined_fields: vec![],
            is_public: None,
            ..Default::default()
        };
        CatalogData::new(vec![nanode()], vec![region("us-east"), region("id-cgk")], script)
    }

    #[test]
    fn the_box_shows_the_region_price_and_adds_backups_only_when_chosen() {
        let catalog = catalog();
        let plain = PriceView::new(&catalog, &nanode(), "us-east", false);
        assert_eq!((plain.plan.as_str(), plain.total.as_str()), ("$5/mo ($0.0075/h)", "$5/mo ($0.0075/h)"));
        assert_eq!(plain.backups.as_deref(), Some("+$2/mo ($0.003/h)"));
        let jakarta = PriceView::new(&catalog, &nanode(), "id-cgk", true);
        assert_eq!(jakarta.plan, "$6/mo ($0.009/h)");
        assert_eq!(jakarta.backups.as_deref(), Some("+$2.50/mo ($0.004/h)"));
        assert_eq!(jakarta.total, "$8.50/mo ($0.013/h)");
    }

    #[test]
    fn the_table_lists_only_regions_priced_apart_from_the_default() {
        let table = table(&catalog());
        let regions: Vec<&str> = table["g6-nanode-1"].keys().map(String::as_str).collect();
        assert_eq!(regions, [DEFAULT_REGION, "id-cgk"]);
        assert_eq!(
            table["g6-nanode-1"]["id-cgk"],
            Words(
                "Nanode 1GB · 1 vCPU · 1 GB RAM · 25 GB disk · $6/mo ($0.009/h)".into(),
                "$6/mo ($0.009/h)".into(),
                "+$2.50/mo ($0.004/h)".into(),
                "$8.50/mo ($0.013/h)".into()
            )
        );
    }

    #[test]
    fn amounts_read_as_linode_writes_them() {
        assert_eq!(monthly(5.0), "5");
        assert_eq!(monthly(14.4), "14.40");
        assert_eq!(monthly(5.0 + 2.0), "7");
        assert_eq!(hourly(0.0075 + 0.003), "0.0105");
        assert_eq!(hourly(0.036), "0.036");
        assert_eq!(hourly(1.5), "1.5");
    }
}
