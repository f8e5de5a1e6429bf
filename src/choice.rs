//! The visitor's choice of plan, region and image: parsed from the posted
//! form and checked against what the form offered, before anything else.

use serde::{Deserialize, Serialize};

use crate::catalog::CatalogData;

/// The configure form as posted. Every field is optional here so a
/// malformed post becomes a message on the form, not a rejection page.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ChoiceForm {
    /// Plan id (`<select name="type">`).
    #[serde(rename = "type", default)]
    pub type_id: Option<String>,
    /// Region id.
    #[serde(default)]
    pub region: Option<String>,
    /// Image id (`distribution`, the original's name for it).
    #[serde(default)]
    pub distribution: Option<String>,
}

/// A choice whose every value is one the form offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// Plan id, such as `g6-nanode-1`.
    pub type_id: String,
    /// Region id, such as `us-east`.
    pub region: String,
    /// Image id, such as `linode/debian12`.
    pub image: String,
}

/// A field of the form with a message for the visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field's name.
    pub field: &'static str,
    /// What to do about it.
    pub message: &'static str,
}

impl Choice {
    /// Checks every field against the catalog; reports all the faults at once.
    pub fn parse(form: &ChoiceForm, catalog: &CatalogData) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut pick = |value: &Option<String>, offered: &dyn Fn(&str) -> bool, field, message| match value
            .as_deref()
            .map(str::trim)
        {
            Some(v) if offered(v) => Some(v.to_owned()),
            _ => {
                errors.push(FieldError { field, message });
                None
            }
        };
        let type_id = pick(
            &form.type_id,
            &|v| catalog.type_by_id(v).is_some(),
            "type",
            "Choose one of the plans in the list.",
        );
        let region = pick(
            &form.region,
            &|v| catalog.region_by_id(v).is_some(),
            "region",
            "Choose one of the regions in the list.",
        );
        let image = pick(
            &form.distribution,
            &|v| catalog.offers_image(v),
            "distribution",
            "Choose one of the distributions in the list.",
        );
        match (type_id, region, image) {
            (Some(type_id), Some(region), Some(image)) => Ok(Self { type_id, region, image }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::linode::models::{LinodeType, Region, StackScript};

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
        CatalogData::new(
            vec![plan("g6-nanode-1"), plan("g6-standard-2")],
            vec![region("us-east"), region("eu-west")],
            StackScript {
                id: 1,
                label: "s".into(),
                images: vec!["linode/debian12".into()],
                user_defined_fields: vec![],
            },
        )
    }

    fn form(t: &str, r: &str, d: &str) -> ChoiceForm {
        ChoiceForm { type_id: Some(t.into()), region: Some(r.into()), distribution: Some(d.into()) }
    }

    #[test]
    fn values_the_form_offered_make_a_choice() {
        let choice = Choice::parse(&form("g6-nanode-1", "eu-west", "linode/debian12"), &catalog());
        assert_eq!(
            choice,
            Ok(Choice {
                type_id: "g6-nanode-1".into(),
                region: "eu-west".into(),
                image: "linode/debian12".into()
            })
        );
    }

    #[test]
    fn every_wrong_field_is_reported_at_once() {
        let errors = Choice::parse(&form("g6-huge", "mars-1", "linode/debian12"), &catalog()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["type", "region"]);
    }

    #[test]
    fn an_empty_form_reports_all_three_fields() {
        let errors = Choice::parse(&ChoiceForm::default(), &catalog()).unwrap_err();
        assert_eq!(errors.len(), 3);
    }

    proptest! {
        #[test]
        fn a_value_not_in_the_catalog_is_never_accepted(t in ".{0,40}", r in ".{0,40}", d in ".{0,40}") {
            let catalog = catalog();
            if let Ok(choice) = Choice::parse(&form(&t, &r, &d), &catalog) {
                prop_assert!(catalog.type_by_id(&choice.type_id).is_some());
                prop_assert!(catalog.region_by_id(&choice.region).is_some());
                prop_assert!(catalog.offers_image(&choice.image));
            }
        }
    }
}
