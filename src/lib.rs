//! install-on-linode: deploy a publisher's StackScript onto a visitor's own
//! Linode in one visit.
//!
//! # Layout
//! - [`settings`]: typed settings from `config/default.toml`, `config/local.toml` and `APP_*`.
//! - [`startup`]: [`startup::Application`], built on any port and run until stopped.
//! - [`routes`]: the route table and one file per page (configure, callback, progress, health, assets).
//! - [`middleware`]: the edge of every request: ids, limits, error pages, security headers, logs;
//!   [`rate_limit`]: per-client limits; [`metrics`]: Prometheus metrics on their own listener.
//! - [`state`]: what handlers share; [`page_cache`]: the plain form, rendered once per catalog.
//! - [`catalog`]: what the form offers, cached from Linode's public API.
//! - [`choice`]: the posted form, parsed into a validated [`choice::Choice`].
//! - [`session`]: typed session keys (the pending deploy and its OAuth state).
//! - [`session_store`]: the bounded in-memory session store; [`stores`]: memory or Redis, shared by replicas.
//! - [`deploy`]: code -> token -> instance, independent of HTTP.
//! - [`password`]: root password generation; [`random`]: states, ids and made-up secrets.
//! - [`linode`]: `LinodeClient`, `LoginClient`, scopes and API models.
//! - [`templates`]: the askama pages; [`error`]: the one error type at the edge.
//! - [`telemetry`]: the tracing subscriber.
//! - [`cli`]: the command line; [`healthcheck`]: the container's health probe.
//! - [`setup`]: `client …` and `stackscript …`, set-up with a personal access token.
//! - [`sandbox`]: the simulated Linode behind `--sandbox`.
//! - [`watch`]: holding a token while a new server starts, and letting go of it;
//!   [`watch_mirror`]: its progress shared through Redis with the other replicas.
//! - [`udf`], [`label`], [`ssh_keys`], [`form_view`]: the form's fields and rules.

pub mod catalog;
pub mod choice;
pub mod cli;
pub mod deploy;
pub mod error;
pub mod form_view;
pub mod healthcheck;
pub mod label;
pub mod linode;
pub mod metrics;
pub mod middleware;
pub mod page_cache;
pub mod password;
pub mod random;
pub mod rate_limit;
pub mod routes;
pub mod sandbox;
pub mod session;
pub mod session_store;
pub mod settings;
pub mod setup;
pub mod ssh_keys;
pub mod startup;
pub mod state;
pub mod stores;
pub mod telemetry;
pub mod templates;
pub mod udf;
pub mod watch;
pub mod watch_mirror;
