//! One vocabulary for the form: every field the visitor fills knows the name
//! of its input on our form, the key a deep link uses for it, and the field
//! of Linode's create body it becomes. Nowhere else spells these names.

use std::borrow::Cow;

/// Prefix of UDF inputs in the form, so they cannot clash with our own fields.
pub const UDF_INPUT_PREFIX: &str = "udf_";
/// The checkbox input asking the app to generate a secret UDF's value (its
/// value is the UDF's name).
pub const GENERATE_INPUT: &str = "generate";

/// A field of the form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    /// The plan (`type` on the form and at Linode).
    Plan,
    /// The region.
    Region,
    /// The image: `distribution` on the form (the original's name), `image` at Linode.
    Image,
    /// The new Linode's label.
    Label,
    /// SSH public keys: `ssh_keys` on the form, `authorized_keys` at Linode.
    SshKeys,
    /// The visitor's own root password.
    RootPass,
    /// Linode's Backup service: a checkbox `backups`, `backups_enabled` at Linode.
    Backups,
    /// The SSH keys of the visitor's Linode profile: a checkbox
    /// `profile_keys`, the profile's user name in `authorized_users` at Linode.
    ProfileKeys,
    /// A StackScript field, by UDF name: `udf_<name>` on the form, a key of
    /// `stackscript_data` at Linode.
    Udf(String),
}

impl Field {
    /// The input's name (and element id) on the form.
    pub fn input_name(&self) -> Cow<'static, str> {
        match self {
            Self::Plan => "type".into(),
            Self::Region => "region".into(),
            Self::Image => "distribution".into(),
            Self::Label => "label".into(),
            Self::SshKeys => "ssh_keys".into(),
            Self::RootPass => "root_pass".into(),
            Self::Backups => "backups".into(),
            Self::ProfileKeys => "profile_keys".into(),
            Self::Udf(name) => format!("{UDF_INPUT_PREFIX}{name}").into(),
        }
    }

    /// The field of Linode's create body it is sent as.
    pub fn linode_field(&self) -> Cow<'static, str> {
        match self {
            Self::Plan => "type".into(),
            Self::Region => "region".into(),
            Self::Image => "image".into(),
            Self::Label => "label".into(),
            Self::SshKeys => "authorized_keys".into(),
            Self::RootPass => "root_pass".into(),
            Self::Backups => "backups_enabled".into(),
            Self::ProfileKeys => "authorized_users".into(),
            Self::Udf(name) => format!("stackscript_data.{name}").into(),
        }
    }

    /// The field a posted input names (`image` is taken for `distribution` too).
    pub fn from_input(name: &str) -> Option<Self> {
        Some(match name {
            "type" => Self::Plan,
            "region" => Self::Region,
            "distribution" | "image" => Self::Image,
            "label" => Self::Label,
            "ssh_keys" => Self::SshKeys,
            "root_pass" => Self::RootPass,
            "backups" => Self::Backups,
            "profile_keys" => Self::ProfileKeys,
            other => Self::Udf(other.strip_prefix(UDF_INPUT_PREFIX)?.to_owned()),
        })
    }

    /// The field a deep link's key names: `type`, `region`, `image` (or
    /// `distribution`) and a StackScript field by its bare UDF name.
    pub fn from_link_key(key: &str, is_udf: impl Fn(&str) -> bool) -> Option<Self> {
        match key {
            "type" => Some(Self::Plan),
            "region" => Some(Self::Region),
            "distribution" | "image" => Some(Self::Image),
            name if is_udf(name) => Some(Self::Udf(name.to_owned())),
            _ => None,
        }
    }

    /// The field a Linode error's `field` names; a bare name counts as a UDF
    /// when `is_udf` says the StackScript has it.
    pub fn from_linode(field: &str, is_udf: impl Fn(&str) -> bool) -> Option<Self> {
        Some(match field {
            "type" => Self::Plan,
            "region" => Self::Region,
            "image" => Self::Image,
            "label" => Self::Label,
            "authorized_keys" => Self::SshKeys,
            "root_pass" => Self::RootPass,
            "backups_enabled" => Self::Backups,
            "authorized_users" => Self::ProfileKeys,
            other => {
                let name = other.strip_prefix("stackscript_data.").unwrap_or(other);
                return is_udf(name).then(|| Self::Udf(name.to_owned()));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Field; 8] = [
        Field::Plan,
        Field::Region,
        Field::Image,
        Field::Label,
        Field::SshKeys,
        Field::RootPass,
        Field::Backups,
        Field::ProfileKeys,
    ];

    #[test]
    fn every_field_reads_back_from_its_input_and_its_linode_name() {
        let udf = |name: &str| name == "db_password";
        for field in ALL.into_iter().chain([Field::Udf("db_password".into())]) {
            assert_eq!(Field::from_input(&field.input_name()), Some(field.clone()));
            assert_eq!(Field::from_linode(&field.linode_field(), udf), Some(field));
        }
    }

    #[test]
    fn the_form_and_linode_name_the_image_and_keys_differently() {
        assert_eq!(
            (Field::Image.input_name(), Field::Image.linode_field()),
            ("distribution".into(), "image".into())
        );
        assert_eq!(Field::SshKeys.linode_field(), "authorized_keys");
        assert_eq!(Field::Udf("web".into()).input_name(), "udf_web");
    }

    #[test]
    fn unknown_names_are_no_field() {
        assert_eq!(Field::from_input("admin"), None);
        assert_eq!(Field::from_linode("stackscript_data.nope", |_| false), None);
        assert_eq!(Field::from_link_key("root_pass", |_| false), None, "a link never sets a password");
        assert_eq!(Field::from_link_key("web", |n| n == "web"), Some(Field::Udf("web".into())));
    }
}
