//! One file per page: the handlers the route table in [`super`] names.

pub mod admin;
pub mod assets;
pub mod callback;
pub mod configure;
pub mod health;
pub mod listing;
pub mod progress;
pub mod share;
