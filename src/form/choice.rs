//! The visitor's choice: plan, region, image, the instance options and the
//! StackScript's fields. A posted form (or a deep link) becomes
//! [`FormValues`], what the visitor typed, kept to show the form again; those
//! are checked against what the form offered and become a [`Choice`], or a
//! message per field. Nothing leaves for Linode's login before this passes.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::CatalogData;
use crate::form::label::Label;
use crate::form::password;
use crate::form::ssh_keys;
use crate::form::udf::{self, FieldKind, FormField};

/// What the visitor entered, as entered. Secrets stay server-side: this
/// lives only in the page being rendered and in the server-side session.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormValues {
    /// Plan id (`type`).
    pub type_id: Option<String>,
    /// Region id.
    pub region: Option<String>,
    /// Image id (`distribution`, the original's name for it).
    pub image: Option<String>,
    /// Label, or empty to have one made.
    pub label: String,
    /// SSH public keys, one per line.
    pub ssh_keys: String,
    /// Root password, or empty to have one generated.
    pub root_pass: String,
    /// UDF values by UDF name (a manyof has several).
    pub udf: BTreeMap<String, Vec<String>>,
    /// Secret UDFs the visitor asked the app to fill with a generated value.
    pub generate: Vec<String>,
}

impl fmt::Debug for FormValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FormValues")
            .field("type_id", &self.type_id)
            .field("region", &self.region)
            .field("image", &self.image)
            .finish_non_exhaustive()
    }
}

impl FormValues {
    /// Reads a posted form or a query string; repeated keys (checkboxes) are kept.
    /// Inputs named `udf_<name>` are the StackScript's fields.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut values = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "type" => values.type_id = Some(value),
                "region" => values.region = Some(value),
                "distribution" | "image" => values.image = Some(value),
                "label" => values.label = value,
                "ssh_keys" => values.ssh_keys = value,
                "root_pass" => values.root_pass = value,
                "generate" => values.generate.push(value),
                _ => {
                    if let Some(name) = key.strip_prefix(udf::INPUT_PREFIX) {
                        values.udf.entry(name.to_owned()).or_default().push(value);
                    }
                }
            }
        }
        values
    }

    /// The UDF value as Linode takes it (a manyof comma-joined, blanks dropped).
    pub fn udf_value(&self, name: &str) -> String {
        let parts = self.udf.get(name).map(Vec::as_slice).unwrap_or_default();
        parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(",")
    }
}

/// A choice whose every value the form offered or the rules allow.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// Plan id, such as `g6-nanode-1`.
    pub type_id: String,
    /// Region id, such as `us-east`.
    pub region: String,
    /// Image id, such as `linode/debian12`.
    pub image: String,
    /// The new Linode's label.
    pub label: Label,
    /// SSH public keys for root.
    pub authorized_keys: Vec<String>,
    /// The visitor's own root password, if they chose one.
    pub root_pass: Option<String>,
    /// Values for the StackScript, by UDF name.
    pub stackscript_data: BTreeMap<String, String>,
    /// Labels and values of secret fields the app generated, to show once.
    pub generated: Vec<(String, String)>,
}

impl fmt::Debug for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Choice")
            .field("type_id", &self.type_id)
            .field("region", &self.region)
            .field("image", &self.image)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// A form field with a message for the visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The input's id (`type`, `label`, `udf_<name>`, …); empty for the whole form.
    pub field: String,
    /// What to do about it.
    pub message: String,
}

impl FieldError {
    /// A message about `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

impl Choice {
    /// Checks every value; reports all faults at once.
    pub fn parse(
        form: &FormValues,
        catalog: &CatalogData,
        application_name: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut offered =
            |value: &Option<String>, ok: &dyn Fn(&str) -> bool, field: &str, what: &str| match value
                .as_deref()
                .map(str::trim)
            {
                Some(v) if ok(v) => Some(v.to_owned()),
                _ => {
                    errors.push(FieldError::new(field, format!("Choose one of the {what} in the list.")));
                    None
                }
            };
        let type_id = offered(&form.type_id, &|v| catalog.type_by_id(v).is_some(), "type", "plans");
        let region = offered(&form.region, &|v| catalog.region_by_id(v).is_some(), "region", "regions");
        let image = offered(&form.image, &|v| catalog.offers_image(v), "distribution", "distributions");

        let label = match form.label.trim() {
            "" => region.as_deref().map(|r| Label::generate(application_name, r)),
            given => Label::parse(given).map_err(|rule| errors.push(FieldError::new("label", rule))).ok(),
        };
        let authorized_keys =
            ssh_keys::parse(&form.ssh_keys).map_err(|m| errors.push(FieldError::new("ssh_keys", m))).ok();
        let root_pass = match form.root_pass.as_str() {
            "" => None,
            given => match password::check_visitor_password(given) {
                Ok(()) => Some(given.to_owned()),
                Err(rule) => {
                    errors.push(FieldError::new("root_pass", rule));
                    None
                }
            },
        };
        let (stackscript_data, generated) =
            udf_values(form, &udf::fields(&catalog.stackscript.user_defined_fields))
                .map_err(|e| errors.extend(e))
                .unwrap_or_default();

        match (type_id, region, image, label, authorized_keys) {
            (Some(type_id), Some(region), Some(image), Some(label), Some(authorized_keys))
                if errors.is_empty() =>
            {
                Ok(Self {
                    type_id,
                    region,
                    image,
                    label,
                    authorized_keys,
                    root_pass,
                    stackscript_data,
                    generated,
                })
            }
            _ => Err(errors),
        }
    }
}

type UdfValues = (BTreeMap<String, String>, Vec<(String, String)>);

/// The StackScript's values, with generated secrets filled in where asked.
fn udf_values(form: &FormValues, fields: &[FormField]) -> Result<UdfValues, Vec<FieldError>> {
    let mut values = BTreeMap::new();
    let mut generated = Vec::new();
    for field in fields {
        let mut value = form.udf_value(&field.name);
        if field.kind == FieldKind::Secret && value.is_empty() && form.generate.contains(&field.name) {
            use secrecy::ExposeSecret;
            value = password::generate().expose_secret().to_owned();
            generated.push((field.label.clone(), value.clone()));
        }
        values.insert(field.name.clone(), value);
    }
    match udf::validate(fields, &values) {
        Ok(data) => Ok((data, generated)),
        Err(errors) => Err(errors
            .into_iter()
            .map(|(name, message)| FieldError::new(format!("{}{name}", udf::INPUT_PREFIX), message))
            .collect()),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::linode::models::{LinodeType, Region, StackScript, UserDefinedField};

    fn catalog() -> CatalogData {
        let plan = |id: &str| LinodeType {
            id: id.into(),
            label: id.into(),
            price: None,
            memory: None,
            vcpus: None,
            disk: None,
        };
        let region =
            |id: &str| Region { id: id.into(), label: None, country: None, status: None, capabilities: None };
        let udf = |name: &str, default: Option<&str>| UserDefinedField {
            name: name.into(),
            label: name.into(),
            example: None,
            oneof: None,
            manyof: None,
            default: default.map(Into::into),
        };
        CatalogData::new(
            vec![plan("g6-nanode-1"), plan("g6-standard-2")],
            vec![region("us-east"), region("eu-west")],
            StackScript {
                id: 1,
                label: "s".into(),
                images: vec!["linode/debian12".into()],
                user_defined_fields: vec![udf("site", Some("x")), udf("db_password", None)],
                is_public: Some(true),
            },
        )
    }

    fn form(pairs: &[(&str, &str)]) -> FormValues {
        FormValues::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    const BASE: [(&str, &str); 3] =
        [("type", "g6-nanode-1"), ("region", "eu-west"), ("distribution", "linode/debian12")];

    #[test]
    fn values_the_form_offered_make_a_choice_with_a_generated_label() {
        let mut pairs = BASE.to_vec();
        pairs.push(("udf_db_password", "Secret-value-1"));
        let choice = Choice::parse(&form(&pairs), &catalog(), "My App").unwrap();
        assert_eq!((choice.type_id.as_str(), choice.region.as_str()), ("g6-nanode-1", "eu-west"));
        assert!(choice.label.as_str().starts_with("my-app-eu-west-"));
        assert_eq!(choice.stackscript_data.get("db_password").map(String::as_str), Some("Secret-value-1"));
        assert!(!choice.stackscript_data.contains_key("site"), "defaults are left to Linode");
        assert!(choice.root_pass.is_none() && choice.generated.is_empty());
    }

    #[test]
    fn every_wrong_field_is_reported_at_once() {
        let pairs = [
            ("type", "g6-huge"),
            ("region", "mars-1"),
            ("distribution", "linode/debian12"),
            ("label", "-bad"),
            ("ssh_keys", "not a key"),
            ("root_pass", "short"),
        ];
        let errors = Choice::parse(&form(&pairs), &catalog(), "app").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["type", "region", "label", "ssh_keys", "root_pass", "udf_db_password"]);
    }

    #[test]
    fn a_secret_field_can_be_generated() {
        let mut pairs = BASE.to_vec();
        pairs.push(("generate", "db_password"));
        let choice = Choice::parse(&form(&pairs), &catalog(), "app").unwrap();
        let value = &choice.stackscript_data["db_password"];
        assert_eq!(choice.generated, vec![("db_password".to_owned(), value.clone())]);
        assert!(value.len() >= 16);
    }

    #[test]
    fn debug_output_hides_passwords() {
        let mut pairs = BASE.to_vec();
        pairs.extend([("root_pass", "Visitor-Secret-77"), ("udf_db_password", "Udf-Secret-88")]);
        let values = form(&pairs);
        let choice = Choice::parse(&values, &catalog(), "app").unwrap();
        for text in [format!("{values:?}"), format!("{choice:?}")] {
            assert!(!text.contains("Secret-77") && !text.contains("Secret-88"), "{text}");
        }
    }

    proptest! {
        #[test]
        fn a_value_not_in_the_catalog_is_never_accepted(t in ".{0,40}", r in ".{0,40}", d in ".{0,40}") {
            let catalog = catalog();
            let values = form(&[("type", &t), ("region", &r), ("distribution", &d), ("generate", "db_password")]);
            if let Ok(choice) = Choice::parse(&values, &catalog, "app") {
                prop_assert!(catalog.type_by_id(&choice.type_id).is_some());
                prop_assert!(catalog.region_by_id(&choice.region).is_some());
                prop_assert!(catalog.offers_image(&choice.image));
            }
        }
    }
}
