//! The visitor's choice: what the form asks and the rules each answer keeps.
//! Nothing here does I/O; a posted form becomes a validated
//! [`choice::Choice`] or a message per field before anything leaves for
//! Linode.
//!
//! # Layout
//! - [`field`]: [`Field`], each field's input name, deep-link key and Linode field.
//! - [`choice`]: the posted form ([`choice::FormValues`]) and the validated [`choice::Choice`].
//! - [`udf`]: the StackScript's user-defined fields as form fields, and their checks.
//! - [`conventions`]: what Marketplace-style fields mean (`user_name`, `disable_root`, emails).
//! - [`label`]: the new Linode's label; [`ssh_keys`]: the public keys for root.
//! - [`password`]: how root passwords and secret values are generated, and the visitor's own checked.

pub mod choice;
pub mod conventions;
pub mod field;
pub mod label;
pub mod password;
pub mod ssh_keys;
pub mod udf;

pub use field::Field;

/// What the form offers, as the catalog knows it: the only thing a choice
/// is checked against.
pub trait Offer {
    /// Whether the plan with this id is offered.
    fn offers_plan(&self, id: &str) -> bool;
    /// Whether the region with this id is offered.
    fn offers_region(&self, id: &str) -> bool;
    /// Whether the StackScript may be deployed on this image.
    fn offers_image(&self, id: &str) -> bool;
    /// Whether Backups can be added to the plan with this id.
    fn offers_backups(&self, plan: &str) -> bool;
    /// The StackScript's fields, built once per catalog.
    fn udf_fields(&self) -> &[udf::FormField];
    /// The StackScript field called `name`, if it has one.
    fn udf_field(&self, name: &str) -> Option<&udf::FormField> {
        self.udf_fields().iter().find(|f| f.name == name)
    }
}
