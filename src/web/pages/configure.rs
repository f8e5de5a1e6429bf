//! Builds the configure page from the catalog, what the visitor entered and
//! what was wrong with it.

use crate::catalog::CatalogData;
use crate::form::choice::{FieldError, FormValues};
use crate::form::udf::{FieldKind, RADIO_LIMIT};
use crate::form::{Field, Offer};
use crate::linode::models::Region;
use crate::web::pages::price::{PriceView, plan_label};
use crate::web::pages::{
    Chrome, ConfigurePage, ScriptCard, Select, SelectOption, TextInput, Toggle, UdfInput,
};

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
    // The price shown is for the plan and region the page selects: the
    // visitor's, else the first of each, as a browser preselects them.
    let plan = values.type_id.as_deref().and_then(|id| catalog.type_by_id(id)).or(catalog.types.first());
    let region = values.region.as_deref().and_then(|id| catalog.region_by_id(id)).or(catalog.regions.first());
    let region_id = region.map_or("", |r| r.id.as_str());
    let types =
        catalog.types.iter().map(|t| (t.id.clone(), plan_label(t, t.price_in(region_id).as_ref()))).collect();
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
    let price = plan.map(|plan| PriceView::new(catalog, plan, region_id, values.backups));
    let backups = catalog.types.iter().any(|t| catalog.offers_backups(&t.id)).then(|| Toggle {
        name: Field::Backups.input_name(),
        label: "Backups",
        hint: price.as_ref().and_then(|p| p.backups.clone()).map_or_else(
            || "Daily and weekly backups of the whole server, kept by Linode.".to_owned(),
            |cost| format!("Daily and weekly backups of the whole server, kept by Linode: {cost} for this plan in this region."),
        ),
        checked: values.backups,
        error: error_for(&Field::Backups),
    });
    let profile_keys = Toggle {
        name: Field::ProfileKeys.input_name(),
        label: "Also install the SSH keys from my Linode profile",
        hint: "After you sign in, the keys saved in your Linode profile (My Profile > SSH Keys) are added to root's authorized keys.".to_owned(),
        checked: values.profile_keys,
        error: error_for(&Field::ProfileKeys),
    };
    let script = &catalog.stackscript;
    let card = ScriptCard {
        description: script
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
        author: script.username.clone().filter(|u| !u.is_empty()),
        updated: script.updated.as_deref().map(|u| u.split('T').next().unwrap_or(u).to_owned()),
        deployments: script.deployments_total,
        script_url: format!("/apps/{}/script", chrome.app_slug),
    };
    ConfigurePage {
        card,
        options_open: instance_options.iter().any(|o| o.error.is_some() || !o.value.is_empty())
            || profile_keys.checked
            || profile_keys.error.is_some(),
        price,
        backups,
        profile_keys,
        chrome: chrome.clone(),
        stackscript_label: catalog.stackscript.label.clone(),
        selects,
        options: instance_options,
        udfs,
        errors: errors.iter().map(|e| e.message.clone()).collect(),
        notices,
    }
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
