//! The visitor's choice: plan, region, image, the instance options and the
//! StackScript's fields. A posted form (or a deep link) becomes
//! [`FormValues`], what the visitor typed, kept to show the form again; those
//! are checked against what the form offered and become a [`Choice`], or a
//! message per field. Nothing leaves for Linode's login before this passes.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::field::GENERATE_INPUT;
use super::{Field, Offer};
use crate::form::conventions::{self, SshLogin};
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
    /// Whether Backups are ticked.
    #[serde(default)]
    pub backups: bool,
    /// Whether the keys of the visitor's Linode profile are to be installed.
    #[serde(default)]
    pub profile_keys: bool,
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
            if key == GENERATE_INPUT {
                values.generate.push(value);
                continue;
            }
            match Field::from_input(&key) {
                Some(Field::Plan) => values.type_id = Some(value),
                Some(Field::Region) => values.region = Some(value),
                Some(Field::Image) => values.image = Some(value),
                Some(Field::Label) => values.label = value,
                Some(Field::SshKeys) => values.ssh_keys = value,
                Some(Field::RootPass) => values.root_pass = value,
                Some(Field::Backups) => values.backups = !value.is_empty(),
                Some(Field::ProfileKeys) => values.profile_keys = !value.is_empty(),
                Some(Field::Udf(name)) => values.udf.entry(name).or_default().push(value),
                None => {}
            }
        }
        values
    }

    /// The form as the visitor filled it, made again from the choice it
    /// became: a pending deploy keeps only its [`Choice`], once, and this is
    /// what is shown again if Linode refuses a value. Values the app
    /// generated are left out, their "generate" boxes checked instead;
    /// fields left to their defaults show their defaults.
    pub fn from_choice(choice: &Choice, fields: &[FormField]) -> Self {
        let generated: Vec<String> = choice.generated.iter().map(|g| g.name.clone()).collect();
        let udf = choice
            .stackscript_data
            .iter()
            .filter(|(name, _)| !generated.contains(name))
            .map(|(name, value)| {
                let many = fields.iter().any(|f| &f.name == name && matches!(f.kind, FieldKind::ManyOf(_)));
                let values =
                    if many { value.split(',').map(str::to_owned).collect() } else { vec![value.clone()] };
                (name.clone(), values)
            })
            .collect();
        Self {
            type_id: Some(choice.type_id.clone()),
            region: Some(choice.region.clone()),
            image: Some(choice.image.clone()),
            label: choice.label.to_string(),
            ssh_keys: choice.authorized_keys.join("\n"),
            root_pass: choice.root_pass.clone().unwrap_or_default(),
            udf,
            generate: generated,
            backups: choice.backups,
            profile_keys: choice.profile_keys,
        }
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
    /// Secret fields the app generated, to show once.
    pub generated: Vec<Generated>,
    /// Whether the new Linode is enrolled in Backups.
    #[serde(default)]
    pub backups: bool,
    /// Whether the SSH keys of the visitor's Linode profile go to root.
    #[serde(default)]
    pub profile_keys: bool,
}

/// A value the app generated for a secret StackScript field.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generated {
    /// The UDF's name.
    pub name: String,
    /// What the visitor reads.
    pub label: String,
    /// The value sent in `stackscript_data`.
    pub value: String,
}

impl fmt::Debug for Generated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generated").field("name", &self.name).finish_non_exhaustive()
    }
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
    /// The field; none for the form as a whole.
    pub field: Option<Field>,
    /// What to do about it.
    pub message: String,
}

impl FieldError {
    /// A message about `field`.
    pub fn new(field: Field, message: impl Into<String>) -> Self {
        Self { field: Some(field), message: message.into() }
    }

    /// A message about the form as a whole.
    pub fn form(message: impl Into<String>) -> Self {
        Self { field: None, message: message.into() }
    }
}

impl Choice {
    /// Checks every value; reports all faults at once.
    pub fn parse(
        form: &FormValues,
        offer: &impl Offer,
        application_name: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut offered =
            |value: &Option<String>, ok: &dyn Fn(&str) -> bool, field: Field, what: &str| match value
                .as_deref()
                .map(str::trim)
            {
                Some(v) if ok(v) => Some(v.to_owned()),
                _ => {
                    errors.push(FieldError::new(field, format!("Choose one of the {what} in the list.")));
                    None
                }
            };
        let type_id = offered(&form.type_id, &|v| offer.offers_plan(v), Field::Plan, "plans");
        let region = offered(&form.region, &|v| offer.offers_region(v), Field::Region, "regions");
        let image = offered(&form.image, &|v| offer.offers_image(v), Field::Image, "distributions");

        let label = match form.label.trim() {
            "" => region.as_deref().map(|r| Label::generate(application_name, r)),
            given => {
                Label::parse(given).map_err(|rule| errors.push(FieldError::new(Field::Label, rule))).ok()
            }
        };
        let authorized_keys =
            ssh_keys::parse(&form.ssh_keys).map_err(|m| errors.push(FieldError::new(Field::SshKeys, m))).ok();
        let root_pass = match form.root_pass.as_str() {
            "" => None,
            given => match password::check_visitor_password(given) {
                Ok(()) => Some(given.to_owned()),
                Err(rule) => {
                    errors.push(FieldError::new(Field::RootPass, rule));
                    None
                }
            },
        };
        let (stackscript_data, generated) =
            udf_values(form, offer.udf_fields()).map_err(|e| errors.extend(e)).unwrap_or_default();
        let login = ssh_login(&stackscript_data, offer.udf_fields());
        let has_keys = authorized_keys.as_ref().is_some_and(|k| !k.is_empty()) || form.profile_keys;
        if login.is_some_and(|l| l.root_off) && !has_keys {
            errors.push(FieldError::new(
                Field::Udf(conventions::DISABLE_ROOT.to_owned()),
                "With root and password logins over SSH off, only an SSH key lets you in: add one under \
                 Optional (or tick \"Also install the SSH keys from my Linode profile\"), or choose No.",
            ));
        }
        if form.backups && type_id.as_deref().is_some_and(|plan| !offer.offers_backups(plan)) {
            errors.push(FieldError::new(Field::Backups, "Linode offers no Backups for this plan."));
        }

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
                    backups: form.backups,
                    profile_keys: form.profile_keys,
                })
            }
            _ => Err(errors),
        }
    }
}

impl Choice {
    /// How the visitor will sign in over SSH, when the StackScript creates a
    /// sudo user (Marketplace style); `None` means as root.
    pub fn ssh_login(&self, fields: &[FormField]) -> Option<SshLogin> {
        ssh_login(&self.stackscript_data, fields)
    }
}

fn ssh_login(data: &BTreeMap<String, String>, fields: &[FormField]) -> Option<SshLogin> {
    let field = |name: &str| fields.iter().find(|f| f.name == name);
    field(conventions::USER_NAME)?;
    SshLogin::from_values(
        data.get(conventions::USER_NAME).map(String::as_str),
        data.get(conventions::DISABLE_ROOT).map(String::as_str),
        field(conventions::DISABLE_ROOT).and_then(|f| f.default.as_deref()),
    )
}

type UdfValues = (BTreeMap<String, String>, Vec<Generated>);

/// The StackScript's values, with generated secrets filled in where asked.
fn udf_values(form: &FormValues, fields: &[FormField]) -> Result<UdfValues, Vec<FieldError>> {
    let mut values = BTreeMap::new();
    let mut generated = Vec::new();
    for field in fields {
        let mut value = form.udf_value(&field.name);
        if field.generatable && value.is_empty() && form.generate.contains(&field.name) {
            use secrecy::ExposeSecret;
            value = password::generate().expose_secret().to_owned();
            generated.push(Generated {
                name: field.name.clone(),
                label: field.label.clone(),
                value: value.clone(),
            });
        }
        values.insert(field.name.clone(), value);
    }
    match udf::validate(fields, &values) {
        Ok(data) => Ok((data, generated)),
        Err(errors) => Err(errors
            .into_iter()
            .map(|(name, message)| FieldError::new(Field::Udf(name), message))
            .collect()),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::linode::models::UserDefinedField;

    /// Two plans, two regions, one image, and a StackScript with an optional
    /// field and a required password.
    struct TestOffer(Vec<FormField>);

    impl Offer for TestOffer {
        fn offers_plan(&self, id: &str) -> bool {
            ["g6-nanode-1", "g6-standard-2"].contains(&id)
        }
        fn offers_region(&self, id: &str) -> bool {
            ["us-east", "eu-west"].contains(&id)
        }
        fn offers_image(&self, id: &str) -> bool {
            id == "linode/debian12"
        }
        fn offers_backups(&self, plan: &str) -> bool {
            plan == "g6-nanode-1"
        }
        fn udf_fields(&self) -> &[FormField] {
            &self.0
        }
    }

    fn catalog() -> TestOffer {
        let udf = |name: &str, default: Option<&str>| UserDefinedField {
            name: name.into(),
            label: name.into(),
            example: None,
            oneof: None,
            manyof: None,
            default: default.map(Into::into),
        };
        TestOffer(udf::fields(&[udf("site", Some("x")), udf("db_password", None)]))
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
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_ref().unwrap().input_name()).collect();
        assert_eq!(fields, ["type", "region", "label", "ssh_keys", "root_pass", "udf_db_password"]);
    }

    #[test]
    fn a_secret_field_can_be_generated() {
        let mut pairs = BASE.to_vec();
        pairs.push(("generate", "db_password"));
        let choice = Choice::parse(&form(&pairs), &catalog(), "app").unwrap();
        let value = &choice.stackscript_data["db_password"];
        assert_eq!(choice.generated.len(), 1);
        assert_eq!((choice.generated[0].name.as_str(), &choice.generated[0].value), ("db_password", value));
        assert!(value.len() >= 22);
    }

    #[test]
    fn backups_and_profile_keys_are_kept_when_ticked_and_backups_need_an_offer() {
        let mut pairs = BASE.to_vec();
        pairs.extend([("generate", "db_password"), ("backups", "yes"), ("profile_keys", "yes")]);
        let choice = Choice::parse(&form(&pairs), &catalog(), "app").unwrap();
        assert!(choice.backups && choice.profile_keys);
        let shown = FormValues::from_choice(&choice, catalog().udf_fields());
        assert!(shown.backups && shown.profile_keys, "shown again as ticked");

        pairs[0] = ("type", "g6-standard-2");
        let errors = Choice::parse(&form(&pairs), &catalog(), "app").unwrap_err();
        assert_eq!(errors[0].field, Some(Field::Backups));

        let unticked = Choice::parse(
            &form(&[BASE.as_slice(), &[("generate", "db_password")]].concat()),
            &catalog(),
            "app",
        );
        let unticked = unticked.unwrap();
        assert!(!unticked.backups && !unticked.profile_keys);
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

    #[test]
    fn the_form_made_again_from_its_choice_is_the_form_as_typed_but_generated_values() {
        let mut pairs = BASE.to_vec();
        pairs.extend([
            ("label", "my-web"),
            ("root_pass", "Visitor-Secret-77"),
            ("udf_db_password", "Udf-Secret-88"),
            ("udf_site", "s, with a comma"),
        ]);
        let typed = form(&pairs);
        let offer = catalog();
        let choice = Choice::parse(&typed, &offer, "app").unwrap();
        assert!(FormValues::from_choice(&choice, offer.udf_fields()) == typed);

        let mut pairs = BASE.to_vec();
        pairs.extend([("label", "my-web"), ("generate", "db_password")]);
        let typed = form(&pairs);
        let choice = Choice::parse(&typed, &offer, "app").unwrap();
        let shown = FormValues::from_choice(&choice, offer.udf_fields());
        assert!(shown.root_pass.is_empty() && shown.udf_value("db_password").is_empty());
        assert_eq!(shown.generate, ["db_password"]);
    }

    proptest! {
        #[test]
        fn a_value_not_in_the_catalog_is_never_accepted(t in ".{0,40}", r in ".{0,40}", d in ".{0,40}") {
            let catalog = catalog();
            let values = form(&[("type", &t), ("region", &r), ("distribution", &d), ("generate", "db_password")]);
            if let Ok(choice) = Choice::parse(&values, &catalog, "app") {
                prop_assert!(catalog.offers_plan(&choice.type_id));
                prop_assert!(catalog.offers_region(&choice.region));
                prop_assert!(catalog.offers_image(&choice.image));
            }
        }
    }
}
