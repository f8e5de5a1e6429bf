//! The sandbox's catalog, shaped like Linode's today.

use serde_json::{Value, json};

/// Id of the demo StackScript when the app is configured with the default.
pub const DEMO_STACKSCRIPT_ID: u64 = 320826;

/// Plans: shared, dedicated and high-memory, as `GET /linode/types` lists them.
pub fn types() -> Vec<Value> {
    [
        ("g6-nanode-1", "Nanode 1GB", "nanode", 1, 1024, 25600, 5.0, 0.0075),
        ("g6-standard-1", "Linode 2GB", "standard", 1, 2048, 51200, 12.0, 0.018),
        ("g6-standard-2", "Linode 4GB", "standard", 2, 4096, 81920, 24.0, 0.036),
        ("g6-standard-4", "Linode 8GB", "standard", 4, 8192, 163840, 48.0, 0.072),
        ("g6-standard-6", "Linode 16GB", "standard", 6, 16384, 327680, 96.0, 0.144),
        ("g6-dedicated-2", "Dedicated 4GB", "dedicated", 2, 4096, 81920, 36.0, 0.054),
        ("g7-highmem-1", "Linode 24GB", "highmem", 2, 24576, 20480, 60.0, 0.09),
    ]
    .into_iter()
    .map(|(id, label, class, vcpus, memory, disk, monthly, hourly)| {
        json!({
            "id": id, "label": label, "class": class, "vcpus": vcpus, "memory": memory, "disk": disk,
            "transfer": memory / 1024 * 1000, "network_out": 1000, "gpus": 0, "successor": null,
            "price": {"monthly": monthly, "hourly": hourly},
            "region_prices": region_prices(monthly, hourly, PLAN_MARKUP),
            "addons": {"backups": {
                "price": {"monthly": monthly / 5.0, "hourly": hourly / 5.0},
                "region_prices": region_prices(monthly / 5.0, hourly / 5.0, BACKUPS_MARKUP)
            }}
        })
    })
    .collect()
}

/// Regions where Linode charges more than its default prices, as it does
/// in Jakarta and São Paulo.
pub const PRICIER_REGIONS: [&str; 2] = ["id-cgk", "br-gru"];
const PLAN_MARKUP: f64 = 1.2;
const BACKUPS_MARKUP: f64 = 1.25;

/// The `region_prices` of a price in [`PRICIER_REGIONS`]: monthly to the
/// cent, hourly to five decimals, as Linode lists them.
fn region_prices(monthly: f64, hourly: f64, markup: f64) -> Value {
    let round = |x: f64, places: i32| (x * 10f64.powi(places)).round() / 10f64.powi(places);
    PRICIER_REGIONS
        .iter()
        .map(|id| json!({"id": id, "monthly": round(monthly * markup, 2), "hourly": round(hourly * markup, 5)}))
        .collect()
}

/// Regions with labels and countries.
pub fn regions() -> Vec<Value> {
    [
        ("us-east", "Newark, NJ", "us"),
        ("us-central", "Dallas, TX", "us"),
        ("us-west", "Fremont, CA", "us"),
        ("us-southeast", "Atlanta, GA", "us"),
        ("ca-central", "Toronto, CA", "ca"),
        ("eu-west", "London, UK", "gb"),
        ("eu-central", "Frankfurt, DE", "de"),
        ("ap-south", "Singapore, SG", "sg"),
        ("ap-northeast", "Tokyo, JP", "jp"),
        ("ap-southeast", "Sydney, AU", "au"),
        ("id-cgk", "Jakarta, ID", "id"),
        ("br-gru", "São Paulo, BR", "br"),
    ]
    .into_iter()
    .map(|(id, label, country)| {
        json!({
            "id": id, "label": label, "country": country, "status": "ok", "site_type": "core",
            "capabilities": ["Linodes", "Block Storage", "Cloud Firewall", "NodeBalancers"],
            "resolvers": {"ipv4": "192.0.2.53", "ipv6": "2001:db8::53"}
        })
    })
    .chain([json!({
        // A distributed site: it takes Linodes but runs no StackScripts, so
        // the form must not offer it.
        "id": DISTRIBUTED_REGION, "label": "Denver, CO", "country": "us", "status": "ok",
        "site_type": "distributed", "capabilities": ["Linodes", "Cloud Firewall", "Distributed Plans"],
        "resolvers": {"ipv4": "192.0.2.53", "ipv6": "2001:db8::53"}
    })])
    .collect()
}

/// The sandbox's distributed region.
pub const DISTRIBUTED_REGION: &str = "us-den-edge-1";

/// Now, as Linode writes times: UTC, to the second, no zone (`2026-11-23T10:00:00`).
pub fn now() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The images, as `GET /images` lists them.
pub fn images() -> Vec<Value> {
    IMAGES
        .iter()
        .map(|id| {
            let name = id.trim_start_matches("linode/");
            let split = name.find(|c: char| c.is_ascii_digit()).unwrap_or(name.len());
            let (distro, version) = name.split_at(split);
            let vendor = match distro {
                "debian" => "Debian",
                "ubuntu" => "Ubuntu",
                "almalinux" => "AlmaLinux",
                _ => "Rocky",
            };
            json!({
                "id": id, "label": format!("{vendor} {version}"), "vendor": vendor,
                "description": "", "type": "manual", "is_public": true, "deprecated": false,
                "size": 2500, "status": "available", "tags": [], "capabilities": ["cloud-init"],
                "created": "2026-01-01T00:00:00", "created_by": "linode", "updated": "2026-01-01T00:00:00",
                "expiry": null, "eol": null, "total_size": 2500, "regions": []
            })
        })
        .collect()
}

/// Image ids the sandbox knows, as `linode/…`.
pub const IMAGES: [&str; 6] = [
    "linode/debian12",
    "linode/debian11",
    "linode/ubuntu24.04",
    "linode/ubuntu22.04",
    "linode/almalinux9",
    "linode/rocky9",
];

/// The demo StackScript, written the way Linode Marketplace scripts are: a
/// sudo user to create (`user_name`), root's SSH login to turn off
/// (`disable_root`), an email for certificates and the DNS zone
/// (`soa_email_address`), an optional API token (`token_password`), labels
/// with Markdown-ish emphasis, and `oneof`, `manyof`, defaults and a
/// password without a default (so required).
pub fn demo_stackscript(id: u64) -> Value {
    json!({
        "id": id,
        "username": "sandbox-publisher",
        "user_gravatar_id": "",
        "label": "Demo web server",
        "description": "Installs a web server and a database, for trying install-on-linode.",
        "images": ["linode/debian12", "linode/ubuntu24.04", "linode/ubuntu22.04"],
        "deployments_total": 0,
        "deployments_active": 0,
        "is_public": true,
        "mine": false,
        "created": "2026-01-05T10:00:00",
        "updated": "2026-11-01T10:00:00",
        "rev_note": "Demo",
        "script": DEMO_SCRIPT,
        "user_defined_fields": [
            {"name": "user_name", "label": "The limited sudo user to be created for the Linode: *No Capital Letters or Special Characters*"},
            {"name": "disable_root", "label": "Disable root access over SSH?", "oneof": "Yes,No", "default": "No"},
            {"name": "site_name", "label": "Site name", "example": "My blog", "default": "My site"},
            {"name": "web_server", "label": "Web server", "oneof": "nginx,apache", "default": "nginx"},
            {"name": "php_version", "label": "PHP version", "oneof": "8.1,8.2,8.3,8.4,none", "default": "8.3"},
            {"name": "extras", "label": "Extra packages", "manyof": "git,htop,ufw,fail2ban,certbot", "default": "ufw"},
            {"name": "soa_email_address", "label": "Email address (for the Let's Encrypt certificate and the DNS SOA record)", "example": "you@example.com"},
            {"name": "db_password", "label": "Database password", "example": "a long random string"},
            {"name": "token_password", "label": "Your Linode API token. This is needed to create your server's DNS records", "default": ""},
            {"name": "domain", "label": "Domain", "example": "The domain for the DNS record: example.com (Requires API token)", "default": ""},
            {"name": "simulate_failure", "label": "Simulate an install failure (sandbox demo: the server stops instead of its app answering)", "oneof": "No,Yes", "default": "No"}
        ]
    })
}

const DEMO_SCRIPT: &str = r#"#!/bin/bash
#<UDF name="user_name" label="The limited sudo user to be created for the Linode: *No Capital Letters or Special Characters*">
#<UDF name="disable_root" label="Disable root access over SSH?" oneOf="Yes,No" default="No">
#<UDF name="site_name" label="Site name" example="My blog" default="My site">
#<UDF name="web_server" label="Web server" oneOf="nginx,apache" default="nginx">
#<UDF name="php_version" label="PHP version" oneOf="8.1,8.2,8.3,8.4,none" default="8.3">
#<UDF name="extras" label="Extra packages" manyOf="git,htop,ufw,fail2ban,certbot" default="ufw">
#<UDF name="soa_email_address" label="Email address (for the Let's Encrypt certificate and the DNS SOA record)" example="you@example.com">
#<UDF name="db_password" label="Database password" example="a long random string">
#<UDF name="token_password" label="Your Linode API token. This is needed to create your server's DNS records" default="">
#<UDF name="domain" label="Domain" example="The domain for the DNS record: example.com (Requires API token)" default="">
#<UDF name="simulate_failure" label="Simulate an install failure (sandbox demo: the server stops instead of its app answering)" oneOf="No,Yes" default="No">
set -euo pipefail
apt-get update && apt-get install -y "$WEB_SERVER"
useradd -m -s /bin/bash -G sudo "$USER_NAME"
printf 'Database password: %s\n' "$DB_PASSWORD" > "/home/$USER_NAME/.credentials"
if [ "$DISABLE_ROOT" = "Yes" ]; then
    sed -i 's/^#\?PermitRootLogin.*/PermitRootLogin no/; s/^#\?PasswordAuthentication.*/PasswordAuthentication no/' /etc/ssh/sshd_config
    systemctl restart ssh
fi
"#;
