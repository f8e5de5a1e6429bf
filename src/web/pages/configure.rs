//! Builds the configure page from the catalog, what the visitor entered and
//! what was wrong with it.

use crate::catalog::CatalogData;
use crate::form::Field;
use crate::form::choice::{FieldError, FormValues};
use crate::form::udf::{FieldKind, RADIO_LIMIT};
use crate::linode::models::{LinodeType, Region};
use crate::web::pages::{Chrome, ConfigurePage, Select, SelectOption, TextInput, UdfInput};

/// The page for `values`, with `errors` next to their fields.
pub fn configure_page(
    chrome: &Chrome,
    catalog: &CatalogData,
    values: &FormValues,
    errors: &[FieldError],
    notices: Vec<String>,
) -> ConfigurePage {
    let error_for =
        |field: &Field| errors.iter().find(|e| e.field.as_ref() == Some(field)).map(|e| e.message.clone());
    let options = |items: Vec<(String, String)>, chosen: &Option<String>| -> Vec<SelectOption> {
        items
            .into_iter()
            .map(|(value, label)| SelectOption {
                selected: chosen.as_deref() == Some(value.as_str()),
                value,
                label,
            })
            .collect()
    };
    let types = catalog.types.iter().map(|t| (t.id.clone(), plan_label(t))).collect();
    let regions = catalog.regions.iter().map(|r| (r.id.clone(), region_label(r))).collect();
    let images = catalog.stackscript.images.iter().map(|i| (i.clone(), image_label(i))).collect();
    let selects = vec![
        Select {
            name: Field::Plan.input_name(),
            label: "Plan",
            options: options(types, &values.type_id),
            error: error_for(&Field::Plan),
        },
        Select {
            name: Field::Region.input_name(),
            label: "Region",
            options: options(regions, &values.region),
            error: error_for(&Field::Region),
        },
        Select {
            name: Field::Image.input_name(),
            label: "Distribution",
            options: options(images, &values.image),
            error: error_for(&Field::Image),
        },
    ];
    let text = |field: Field, label: &'static str, value: &str, hint: &'static str| TextInput {
        kind: match field {
            Field::SshKeys => "textarea",
            Field::RootPass => "password",
            _ => "text",
        },
        name: field.input_name(),
        label,
        value: value.to_owned(),
        hint,
        error: error_for(&field),
    };
    let instance_options = vec![
        text(
            Field::Label,
            "Label",
            &values.label,
            "Leave empty for one made from the app and region. Letters, digits, - _ and .",
        ),
        text(
            Field::SshKeys,
            "SSH public keys",
            &values.ssh_keys,
            "One per line; they are added to root's authorized keys.",
        ),
        text(
            Field::RootPass,
            "Root password",
            &values.root_pass,
            "Leave empty to have a strong one generated.",
        ),
    ];
    let udfs = catalog
        .fields
        .iter()
        .map(|field| {
            let posted = values.udf.get(&field.name);
            let current: Vec<String> = match posted {
                Some(values) => values.clone(),
                None => field.default.iter().flat_map(|d| d.split(',').map(str::to_owned)).collect(),
            };
            let choices = |list: &[String]| -> Vec<SelectOption> {
                list.iter()
                    .map(|o| SelectOption {
                        value: o.clone(),
                        label: o.clone(),
                        selected: current.contains(o),
                    })
                    .collect()
            };
            let (kind, options) = match &field.kind {
                FieldKind::Text => ("text", Vec::new()),
                FieldKind::Secret => ("secret", Vec::new()),
                FieldKind::OneOf(list) if list.len() <= RADIO_LIMIT => ("radio", choices(list)),
                FieldKind::OneOf(list) => ("select", choices(list)),
                FieldKind::ManyOf(list) => ("checkbox", choices(list)),
            };
            UdfInput {
                name: field.field().input_name(),
                error: error_for(&field.field()),
                field_name: field.name.clone(),
                label: field.label.clone(),
                hint: field.example.clone().filter(|e| !e.is_empty()),
                required: field.required(),
                kind,
                value: current.join(","),
                options,
                generate: values.generate.contains(&field.name),
                generatable: field.generatable,
            }
        })
        .collect();
    ConfigurePage {
        options_open: instance_options.iter().any(|o| o.error.is_some() || !o.value.is_empty()),
        chrome: chrome.clone(),
        stackscript_label: catalog.stackscript.label.clone(),
        selects,
        options: instance_options,
        udfs,
        errors: errors.iter().map(|e| e.message.clone()).collect(),
        notices,
    }
}

/// "Linode 4GB · 2 vCPU · 4 GB RAM · 80 GB disk · $24/mo ($0.036/h)".
pub fn plan_label(plan: &LinodeType) -> String {
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
    if let Some(price) = &plan.price {
        match (price.monthly, price.hourly) {
            (Some(m), Some(h)) => parts.push(format!("${}/mo (${h}/h)", money(m))),
            (Some(m), None) => parts.push(format!("${}/mo", money(m))),
            (None, Some(h)) => parts.push(format!("${h}/h")),
            (None, None) => {}
        }
    }
    parts.join(" · ")
}

fn gigabytes(megabytes: u64) -> String {
    if megabytes.is_multiple_of(1024) {
        format!("{} GB", megabytes / 1024)
    } else {
        format!("{:.1} GB", megabytes as f64 / 1024.0)
    }
}

fn money(amount: f64) -> String {
    if amount.fract() == 0.0 { format!("{amount:.0}") } else { format!("{amount:.2}") }
}

/// "Newark, NJ (US)", or the id when Linode gives no label.
pub fn region_label(region: &Region) -> String {
    match (&region.label, &region.country) {
        (Some(label), Some(country)) => format!("{label} ({})", country.to_uppercase()),
        (Some(label), None) => label.clone(),
        _ => region.id.clone(),
    }
}

/// "Debian 12", "Ubuntu 24.04" from `linode/debian12`, `linode/ubuntu24.04`; others as they are.
pub fn image_label(id: &str) -> String {
    let name = id.strip_prefix("linode/").unwrap_or(id);
    let split = name.find(|c: char| c.is_ascii_digit()).unwrap_or(name.len());
    let (distro, version) = name.split_at(split);
    let known = [
        ("debian", "Debian"),
        ("ubuntu", "Ubuntu"),
        ("almalinux", "AlmaLinux"),
        ("rocky", "Rocky Linux"),
        ("centos-stream", "CentOS Stream"),
        ("fedora", "Fedora"),
        ("alpine", "Alpine"),
        ("arch", "Arch Linux"),
        ("opensuse", "openSUSE"),
        ("gentoo", "Gentoo"),
    ];
    match known.iter().find(|(key, _)| *key == distro) {
        Some((_, pretty)) if version.is_empty() => (*pretty).to_owned(),
        Some((_, pretty)) => format!("{pretty} {version}"),
        None => id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linode::models::Price;

    #[test]
    fn a_plan_shows_cpus_memory_disk_and_prices() {
        let plan = LinodeType {
            id: "g6-standard-2".into(),
            label: "Linode 4GB".into(),
            price: Some(Price { monthly: Some(24.0), hourly: Some(0.036) }),
            memory: Some(4096),
            vcpus: Some(2),
            disk: Some(81920),
        };
        assert_eq!(plan_label(&plan), "Linode 4GB · 2 vCPU · 4 GB RAM · 80 GB disk · $24/mo ($0.036/h)");
    }

    #[test]
    fn a_region_shows_its_label_and_country() {
        let region = Region {
            id: "us-east".into(),
            label: Some("Newark, NJ".into()),
            country: Some("us".into()),
            status: None,
            capabilities: None,
            site_type: None,
        };
        assert_eq!(region_label(&region), "Newark, NJ (US)");
    }

    #[test]
    fn images_get_readable_names() {
        assert_eq!(image_label("linode/debian12"), "Debian 12");
        assert_eq!(image_label("linode/ubuntu24.04"), "Ubuntu 24.04");
        assert_eq!(image_label("private/1234"), "private/1234");
    }
}
