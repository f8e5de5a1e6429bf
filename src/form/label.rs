//! Linode labels: 3 to 64 characters, starting with a letter, ending with a
//! letter or digit, only `A-Za-z0-9._-`, and no `--`, `__` or `..`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A label that Linode will accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Label(String);

/// Why a label is refused, in words for the visitor.
pub const RULES: &str = "Use 3 to 64 letters, digits, dots, dashes or underscores, starting with a letter \
                         and ending with a letter or digit, without two of - _ or . in a row.";

impl Label {
    /// Parses a label by Linode's rules.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let bytes = s.as_bytes();
        let ok = (3..=64).contains(&bytes.len())
            && bytes[0].is_ascii_alphabetic()
            && bytes[bytes.len() - 1].is_ascii_alphanumeric()
            && bytes.iter().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(b))
            && !["--", "__", ".."].iter().any(|twice| s.contains(twice));
        if ok { Ok(Self(s.to_owned())) } else { Err(RULES) }
    }

    /// `<app>-<region>-<short random>`, with the app's name made to fit.
    pub fn generate(application_name: &str, region: &str) -> Self {
        let suffix = crate::random::hex(3);
        let app = slug(application_name);
        let app = if app.starts_with(|c: char| c.is_ascii_alphabetic()) { app } else { format!("app-{app}") };
        let region = slug(region);
        let room = 64 - suffix.len() - region.len() - 2;
        let app: String = app.chars().take(room.max(3)).collect::<String>().trim_end_matches('-').to_owned();
        let label = format!("{app}-{region}-{suffix}");
        Self::parse(&label).unwrap_or_else(|_| Self(format!("app-{suffix}")))
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lowercase letters and digits, other runs made one dash, no dash at the ends.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

impl TryFrom<String> for Label {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Label> for String {
    fn from(label: Label) -> Self {
        label.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn linodes_rules_hold() {
        for good in ["web", "web-1", "a.b_c-d9", &"a".repeat(64)] {
            assert!(Label::parse(good).is_ok(), "{good}");
        }
        for bad in ["ab", "9web", "-web", "web-", "we--b", "we__b", "we..b", "w b c", "wéb", &"a".repeat(65)]
        {
            assert!(Label::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_generated_label_names_the_app_and_region() {
        let label = Label::generate("My Application!", "us-east");
        assert!(label.as_str().starts_with("my-application-us-east-"), "{label}");
    }

    proptest! {
        #[test]
        fn every_generated_label_is_valid(app in ".{0,100}", region in "[a-z]{2}-[a-z]{2,12}") {
            let label = Label::generate(&app, &region);
            prop_assert!(Label::parse(label.as_str()).is_ok(), "{}", label);
        }
    }
}
