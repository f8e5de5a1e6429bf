//! The visitor's choice: what the form asks and the rules each answer keeps.
//! Nothing here does I/O; a posted form becomes a validated
//! [`choice::Choice`] or a message per field before anything leaves for
//! Linode.
//!
//! # Layout
//! - [`choice`]: the posted form ([`choice::FormValues`]) and the validated [`choice::Choice`].
//! - [`udf`]: the StackScript's user-defined fields as form fields, and their checks.
//! - [`label`]: the new Linode's label; [`ssh_keys`]: the public keys for root.
//! - [`password`]: how root passwords and secret values are generated, and the visitor's own checked.

pub mod choice;
pub mod label;
pub mod password;
pub mod ssh_keys;
pub mod udf;
