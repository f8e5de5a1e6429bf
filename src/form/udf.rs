//! The StackScript's user-defined fields (UDFs) as form fields: how each is
//! shown, and the checks every posted value passes before the visitor is sent
//! to Linode's login.
//!
//! Linode's rules: `oneof` is a comma list to pick one from, `manyof` a comma
//! list to pick any of (sent comma-joined), a field without a default is
//! required, and `stackscript_data` holds at most 65,535 characters in all.
//! Fields whose name contains `password` are masked, as Cloud Manager does.
//! Labels and examples are shown as plain text, and free-text fields follow
//! the Marketplace's conventions ([`conventions`]): a `user_name` is a valid
//! new Linux user, an `…_email` field an email address.

use std::collections::BTreeMap;

use super::Field;
use super::conventions::{self, Rule};
use crate::linode::models::UserDefinedField;

/// Above this many options a `oneof` is a select rather than radio buttons.
pub const RADIO_LIMIT: usize = 4;
/// Linode's bound on `stackscript_data`, in characters.
pub const DATA_LIMIT: usize = 65_535;
/// The most one value may hold, in bytes: far above any real field, and it
/// keeps what a session holds bounded.
pub const VALUE_LIMIT: usize = 4096;

/// How a field is shown and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text.
    Text,
    /// Free text, masked; the app can generate a value.
    Secret,
    /// Pick one of these.
    OneOf(Vec<String>),
    /// Pick any of these.
    ManyOf(Vec<String>),
}

/// One UDF, ready for the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    /// Key in `stackscript_data`.
    pub name: String,
    /// What the visitor reads.
    pub label: String,
    /// A hint.
    pub example: Option<String>,
    /// The value when none is given.
    pub default: Option<String>,
    /// How it is shown.
    pub kind: FieldKind,
    /// What a free-text value must be.
    pub rule: Rule,
    /// Whether the app offers to generate a value (secrets that are not tokens).
    pub generatable: bool,
}

impl FormField {
    /// The form field for a UDF. `oneof` wins over `manyof` if a script has both.
    pub fn from_udf(udf: &UserDefinedField) -> Self {
        let list =
            |s: &str| s.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect();
        let kind = match (&udf.oneof, &udf.manyof) {
            (Some(options), _) => FieldKind::OneOf(list(options)),
            (None, Some(options)) => FieldKind::ManyOf(list(options)),
            _ if udf.name.to_ascii_lowercase().contains("password") => FieldKind::Secret,
            _ => FieldKind::Text,
        };
        let label = conventions::plain_label(&udf.label);
        let label = if label.is_empty() { udf.name.clone() } else { label };
        let generatable = kind == FieldKind::Secret && conventions::can_generate(&udf.name, &label);
        Self {
            name: udf.name.clone(),
            example: udf.example.as_deref().map(conventions::plain_example).filter(|e| !e.is_empty()),
            label,
            default: udf.default.clone(),
            rule: if kind == FieldKind::Text { Rule::for_name(&udf.name) } else { Rule::Any },
            kind,
            generatable,
        }
    }

    /// A field without a default must be given a value.
    pub fn required(&self) -> bool {
        self.default.is_none()
    }

    /// Whether the value must never appear in a URL or be shown back.
    pub fn is_secret(&self) -> bool {
        self.kind == FieldKind::Secret
    }

    /// The form field it is.
    pub fn field(&self) -> Field {
        Field::Udf(self.name.clone())
    }

    /// Checks one posted value (manyof values already comma-joined).
    pub fn check(&self, value: &str) -> Result<(), String> {
        if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err("This value has characters that cannot be sent.".into());
        }
        if value.len() > VALUE_LIMIT {
            return Err(format!("Use at most {VALUE_LIMIT} bytes (4 KiB) here."));
        }
        if value.is_empty() {
            return if self.required() { Err("This field is required.".into()) } else { Ok(()) };
        }
        match &self.kind {
            FieldKind::OneOf(options) if !options.iter().any(|o| o == value) => {
                Err(format!("Choose one of: {}.", options.join(", ")))
            }
            FieldKind::ManyOf(options) if !value.split(',').all(|v| options.iter().any(|o| o == v)) => {
                Err(format!("Choose among: {}.", options.join(", ")))
            }
            _ => self.rule.check(value).map_err(str::to_owned),
        }
    }
}

/// Builds the fields of a StackScript.
pub fn fields(udfs: &[UserDefinedField]) -> Vec<FormField> {
    udfs.iter().map(FormField::from_udf).collect()
}

/// Checks every value; values that are empty and have a default are left out
/// (Linode then uses the default). Returns the `stackscript_data` to send,
/// or a message per field name.
pub fn validate(
    fields: &[FormField],
    values: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Vec<(String, String)>> {
    let mut data = BTreeMap::new();
    let mut errors = Vec::new();
    for field in fields {
        let value = values.get(&field.name).map(String::as_str).unwrap_or("");
        match field.check(value) {
            Err(message) => errors.push((field.name.clone(), message)),
            Ok(()) if value.is_empty() => {}
            Ok(()) => {
                data.insert(field.name.clone(), value.to_owned());
            }
        }
    }
    let size = serde_json::to_string(&data).map_or(0, |s| s.chars().count());
    if errors.is_empty() && size > DATA_LIMIT {
        let biggest = data.iter().max_by_key(|(_, v)| v.len()).map(|(k, _)| k.clone()).unwrap_or_default();
        errors.push((biggest, format!("All the values together must stay under {DATA_LIMIT} characters.")));
    }
    if errors.is_empty() { Ok(data) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn udf(name: &str, oneof: Option<&str>, manyof: Option<&str>, default: Option<&str>) -> UserDefinedField {
        UserDefinedField {
            name: name.into(),
            label: format!("{name} label"),
            example: None,
            oneof: oneof.map(Into::into),
            manyof: manyof.map(Into::into),
            default: default.map(Into::into),
        }
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn kinds_follow_the_udf_and_password_names_are_masked() {
        let f = fields(&[
            udf("web", Some("nginx, apache"), None, None),
            udf("extras", None, Some("git,htop"), None),
            udf("DB_Password", None, None, None),
            udf("site", None, None, Some("x")),
        ]);
        assert_eq!(f[0].kind, FieldKind::OneOf(vec!["nginx".into(), "apache".into()]));
        assert_eq!(f[1].kind, FieldKind::ManyOf(vec!["git".into(), "htop".into()]));
        assert_eq!(f[2].kind, FieldKind::Secret);
        assert_eq!(f[3].kind, FieldKind::Text);
        assert!(f[2].required() && !f[3].required());
    }

    #[test]
    fn required_fields_oneof_and_manyof_are_checked() {
        let f = fields(&[
            udf("web", Some("nginx,apache"), None, Some("nginx")),
            udf("extras", None, Some("git,htop"), Some("git")),
            udf("email", None, None, None),
        ]);
        let errors = validate(&f, &values(&[("web", "iis"), ("extras", "git,vim")])).unwrap_err();
        let names: Vec<&str> = errors.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["web", "extras", "email"]);
    }

    #[test]
    fn empty_values_with_defaults_are_left_to_linode() {
        let f =
            fields(&[udf("web", Some("nginx,apache"), None, Some("nginx")), udf("email", None, None, None)]);
        let data = validate(&f, &values(&[("web", ""), ("email", "a@example.com")])).unwrap();
        assert_eq!(data, values(&[("email", "a@example.com")]));
    }

    #[test]
    fn the_total_size_is_bounded() {
        let names: Vec<String> = (0..17).map(|i| format!("blob{i}")).collect();
        let f: Vec<_> = names.iter().map(|n| FormField::from_udf(&udf(n, None, None, None))).collect();
        let big = "x".repeat(VALUE_LIMIT);
        let all: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), big.as_str())).collect();
        let errors = validate(&f, &values(&all)).unwrap_err();
        assert!(errors[0].1.contains("65535"), "{errors:?}");
    }

    #[test]
    fn one_value_holds_at_most_4_kib() {
        let f = fields(&[udf("blob", None, None, None)]);
        assert!(validate(&f, &values(&[("blob", &"x".repeat(VALUE_LIMIT))])).is_ok());
        let errors = validate(&f, &values(&[("blob", &"x".repeat(VALUE_LIMIT + 1))])).unwrap_err();
        assert_eq!(errors, [("blob".to_owned(), "Use at most 4096 bytes (4 KiB) here.".to_owned())]);
    }

    proptest! {
        #[test]
        fn a_accepted_manyof_value_only_holds_offered_options(value in "[a-z,]{0,20}") {
            let f = fields(&[udf("extras", None, Some("git,htop,ufw"), Some(""))]);
            if let Ok(data) = validate(&f, &values(&[("extras", &value)])) {
                for picked in data.get("extras").map(|v| v.split(',').collect::<Vec<_>>()).unwrap_or_default() {
                    prop_assert!(["git", "htop", "ufw"].contains(&picked));
                }
            }
        }
    }
}
