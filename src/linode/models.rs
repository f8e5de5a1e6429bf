//! The shapes of Linode's API objects, as far as this app reads them.
//!
//! Unknown fields are ignored everywhere and every field that Linode may
//! leave out is optional, so a new API release does not break the app.

use serde::{Deserialize, Deserializer, Serialize};

/// One page of a list: `{"data":[…],"page":N,"pages":P,"results":R}`.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    /// The items on this page.
    pub data: Vec<T>,
    /// This page's number, from 1.
    #[serde(default = "one")]
    pub page: u32,
    /// How many pages there are.
    #[serde(default = "one")]
    pub pages: u32,
}

fn one() -> u32 {
    1
}

/// A plan (`GET /linode/types`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinodeType {
    /// Such as `g6-standard-2`.
    pub id: String,
    /// Such as `Linode 4GB`.
    pub label: String,
    /// Prices in US dollars.
    #[serde(default)]
    pub price: Option<Price>,
    /// Memory in MB.
    #[serde(default)]
    pub memory: Option<u64>,
    /// Virtual CPUs.
    #[serde(default)]
    pub vcpus: Option<u64>,
    /// Disk in MB.
    #[serde(default)]
    pub disk: Option<u64>,
    /// Prices that differ from `price` in some regions.
    #[serde(default)]
    pub region_prices: Vec<RegionPrice>,
    /// Optional services, such as Backups, and their prices.
    #[serde(default)]
    pub addons: Option<Addons>,
}

impl LinodeType {
    /// What the plan costs in `region`: its region price where Linode lists
    /// one, else the default price.
    pub fn price_in(&self, region: &str) -> Option<Price> {
        in_region(self.price.as_ref(), &self.region_prices, region)
    }

    /// What Backups for this plan cost in `region`, when Linode offers them.
    pub fn backups_price_in(&self, region: &str) -> Option<Price> {
        let backups = self.addons.as_ref()?.backups.as_ref()?;
        in_region(backups.price.as_ref(), &backups.region_prices, region)
    }
}

fn in_region(default: Option<&Price>, by_region: &[RegionPrice], region: &str) -> Option<Price> {
    match by_region.iter().find(|p| p.id == region) {
        Some(p) => Some(Price { monthly: p.monthly, hourly: p.hourly }),
        None => default.cloned(),
    }
}

/// A price that applies in one region only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionPrice {
    /// The region's id, such as `id-cgk`.
    pub id: String,
    /// US dollars a month there.
    #[serde(default)]
    pub monthly: Option<f64>,
    /// US dollars an hour there.
    #[serde(default)]
    pub hourly: Option<f64>,
}

/// A plan's optional services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Addons {
    /// Linode's Backup service.
    #[serde(default)]
    pub backups: Option<BackupsAddon>,
}

/// What Backups cost for a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupsAddon {
    /// The default price.
    #[serde(default)]
    pub price: Option<Price>,
    /// Prices that differ in some regions.
    #[serde(default)]
    pub region_prices: Vec<RegionPrice>,
}

/// Monthly and hourly price of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// US dollars a month.
    #[serde(default)]
    pub monthly: Option<f64>,
    /// US dollars an hour.
    #[serde(default)]
    pub hourly: Option<f64>,
}

/// A data centre (`GET /regions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// Such as `us-east`.
    pub id: String,
    /// Such as `Newark, NJ`; older answers have none.
    #[serde(default)]
    pub label: Option<String>,
    /// Two-letter country code.
    #[serde(default)]
    pub country: Option<String>,
    /// `ok` or `outage`.
    #[serde(default)]
    pub status: Option<String>,
    /// Such as `Linodes`, `Block Storage`.
    #[serde(default)]
    pub capabilities: Option<Vec<String>>,
    /// `core` or `distributed`; the wire says `site_type`, the schema `site-type`.
    #[serde(default, alias = "site-type")]
    pub site_type: Option<String>,
}

impl Region {
    /// Whether a StackScript deploy can be placed here now, as far as Linode
    /// says: up, listing the `Linodes` capability, and a core site
    /// (distributed sites run no StackScripts; Cloud Manager hides them too).
    pub fn accepts_linodes(&self) -> bool {
        let up = self.status.as_deref().is_none_or(|s| s == "ok");
        let has_linodes = self.capabilities.as_ref().is_some_and(|caps| caps.iter().any(|c| c == "Linodes"));
        let core = self.site_type.as_deref().is_none_or(|t| t == "core");
        up && has_linodes && core
    }
}

/// A StackScript (`GET /linode/stackscripts/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StackScript {
    /// Its id.
    pub id: u64,
    /// Its name.
    #[serde(default)]
    pub label: String,
    /// The images it may be deployed on, such as `linode/debian12`.
    #[serde(default)]
    pub images: Vec<String>,
    /// Values the script asks for.
    #[serde(default)]
    pub user_defined_fields: Vec<UserDefinedField>,
    /// Whether other accounts may deploy it.
    #[serde(default)]
    pub is_public: Option<bool>,
    /// What it does, as its author wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its author's user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// When it was last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// How many Linodes were ever deployed from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployments_total: Option<u64>,
    /// The script itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
}

impl StackScript {
    /// The SHA-256 of its script, in hex, as a pin compares it.
    pub fn script_sha256(&self) -> String {
        use sha2::Digest;
        format!("{:x}", sha2::Sha256::digest(self.script.as_deref().unwrap_or_default().as_bytes()))
    }
}

/// One `<UDF>` of a StackScript. Linode's wire and first-party clients use
/// lowercase `oneof`/`manyof`; its OpenAPI document says `oneOf`/`manyOf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserDefinedField {
    /// Key in `stackscript_data`.
    pub name: String,
    /// What the form shows.
    #[serde(default)]
    pub label: String,
    /// A hint.
    #[serde(default)]
    pub example: Option<String>,
    /// Pick one of these (comma list).
    #[serde(default, alias = "oneOf")]
    pub oneof: Option<String>,
    /// Pick any of these (comma list).
    #[serde(default, alias = "manyOf")]
    pub manyof: Option<String>,
    /// The value when none is given; a field without one is required.
    #[serde(default)]
    pub default: Option<String>,
}

/// The body of `POST /linode/instances`. Only the fields that are set are sent.
#[derive(Debug, Clone, Serialize)]
pub struct CreateInstance {
    /// Plan id.
    #[serde(rename = "type")]
    pub type_id: String,
    /// Region id.
    pub region: String,
    /// Image id.
    pub image: String,
    /// The StackScript to run on first boot.
    pub stackscript_id: u64,
    /// Display group (the application's name).
    pub group: String,
    /// The root password; sent once, never stored.
    #[serde(serialize_with = "expose")]
    pub root_pass: secrecy::SecretString,
    /// The label; Linode makes one up when none is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// SSH public keys for root.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorized_keys: Vec<String>,
    /// Values for the StackScript's fields, by UDF name.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub stackscript_data: std::collections::BTreeMap<String, String>,
    /// Enrols the new Linode in Backups (billed); sent only when chosen.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub backups_enabled: bool,
    /// Profile users whose SSH keys go to root's authorized keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorized_users: Vec<String>,
}

fn expose<S: serde::Serializer>(secret: &secrecy::SecretString, s: S) -> Result<S::Ok, S::Error> {
    use secrecy::ExposeSecret;
    s.serialize_str(secret.expose_secret())
}

/// A Linode instance, as create and get return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// Its id.
    pub id: u64,
    /// The label Linode gave it.
    #[serde(default)]
    pub label: String,
    /// Its display group.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub group: String,
    /// `provisioning`, `booting`, `running`, …
    #[serde(default)]
    pub status: String,
    /// Public and private IPv4 addresses; the first is public.
    #[serde(default)]
    pub ipv4: Vec<String>,
    /// The IPv6 SLAAC address, when there is one.
    #[serde(default)]
    pub ipv6: Option<String>,
    /// Region id.
    #[serde(default)]
    pub region: String,
}

/// The signed-in user (`GET /profile`), as far as this app reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The user name, which `authorized_users` takes.
    pub username: String,
    /// Whether the user is limited by grants.
    #[serde(default)]
    pub restricted: bool,
}

/// A restricted user's grants (`GET /profile/grants`, 200); an unrestricted
/// user gets a 204 and no body instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grants {
    /// Account-wide grants.
    #[serde(default)]
    pub global: GlobalGrants,
}

/// Account-wide grants, as far as a deploy needs them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GlobalGrants {
    /// Whether the user may create Linodes.
    #[serde(default)]
    pub add_linodes: bool,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udf_keys_are_read_in_both_casings() {
        let wire: UserDefinedField =
            serde_json::from_str(r#"{"name":"a","label":"A","oneof":"x,y"}"#).unwrap();
        let spec: UserDefinedField =
            serde_json::from_str(r#"{"name":"a","label":"A","oneOf":"x,y","manyOf":"p,q"}"#).unwrap();
        assert_eq!(wire.oneof.as_deref(), Some("x,y"));
        assert_eq!(spec.oneof.as_deref(), Some("x,y"));
        assert_eq!(spec.manyof.as_deref(), Some("p,q"));
    }

    #[test]
    fn without_options_create_sends_exactly_the_original_six_fields() {
        let body = CreateInstance {
            type_id: "g6-nanode-1".into(),
            region: "us-east".into(),
            image: "linode/debian12".into(),
            stackscript_id: 7,
            group: "app".into(),
            root_pass: "pw".into(),
            label: None,
            authorized_keys: Vec::new(),
            stackscript_data: Default::default(),
            backups_enabled: false,
            authorized_users: Vec::new(),
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type":"g6-nanode-1","region":"us-east","image":"linode/debian12",
                "stackscript_id":7,"group":"app","root_pass":"pw"})
        );
    }

    #[test]
    fn only_core_regions_that_are_up_and_list_linodes_take_a_deploy() {
        let region = |json: &str| serde_json::from_str::<Region>(json).unwrap().accepts_linodes();
        assert!(region(r#"{"id":"r","status":"ok","capabilities":["Linodes"],"site_type":"core"}"#));
        assert!(region(r#"{"id":"r","status":"ok","capabilities":["Linodes"],"site-type":"core"}"#));
        assert!(region(r#"{"id":"r","status":"ok","capabilities":["Linodes"]}"#), "no site type is core");
        assert!(!region(r#"{"id":"r","status":"outage","capabilities":["Linodes"]}"#));
        assert!(!region(r#"{"id":"r","status":"ok","capabilities":["Object Storage"]}"#));
        assert!(!region(r#"{"id":"r","status":"ok"}"#), "no capabilities listed");
        assert!(!region(r#"{"id":"r","status":"ok","capabilities":["Linodes"],"site_type":"distributed"}"#));
        assert!(!region(r#"{"id":"r","status":"ok","capabilities":["Linodes"],"site-type":"distributed"}"#));
    }

    #[test]
    fn a_region_price_wins_over_the_default_for_the_plan_and_its_backups() {
        let plan: LinodeType = serde_json::from_str(
            r#"{"id":"g6-nanode-1","label":"Nanode 1GB",
                "price":{"monthly":5.0,"hourly":0.0075},
                "region_prices":[{"id":"id-cgk","monthly":6.0,"hourly":0.009}],
                "addons":{"backups":{"price":{"monthly":2.0,"hourly":0.003},
                    "region_prices":[{"id":"br-gru","monthly":3.0,"hourly":0.0045}]}}}"#,
        )
        .unwrap();
        let price = |m: f64, h: f64| Some(Price { monthly: Some(m), hourly: Some(h) });
        assert_eq!(plan.price_in("us-east"), price(5.0, 0.0075));
        assert_eq!(plan.price_in("id-cgk"), price(6.0, 0.009));
        assert_eq!(plan.backups_price_in("id-cgk"), price(2.0, 0.003));
        assert_eq!(plan.backups_price_in("br-gru"), price(3.0, 0.0045));
        let bare: LinodeType = serde_json::from_str(r#"{"id":"x","label":"X"}"#).unwrap();
        assert_eq!((bare.price_in("us-east"), bare.backups_price_in("us-east")), (None, None));
    }

    #[test]
    fn unknown_fields_and_a_null_group_are_fine() {
        let instance: Instance = serde_json::from_str(
            r#"{"id":1,"label":"l","group":null,"status":"provisioning","ipv4":["192.0.2.1"],"hypervisor":"kvm"}"#,
        )
        .unwrap();
        assert_eq!(instance.group, "");
    }
}
