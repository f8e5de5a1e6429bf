//! install-on-linode: deploy a publisher's StackScript onto a visitor's own
//! Linode in one visit.
//!
//! # Layout
//! - [`web`]: the HTTP edge: the route table with every layer in order, one
//!   file per page, the typed session, the one error type and the pages.
//! - [`form`]: the visitor's choice: fields, user-defined fields, label, SSH
//!   keys, passwords; parsed into a validated choice before anything leaves.
//! - [`deploy`]: everything from "code in hand" to "token revoked": the
//!   exchange and create, the watch while the server starts, the one revoke.
//! - [`stores`]: what replicas share: sessions, once-only claims, deploy results and
//!   outcome counts (memory or Redis).
//! - [`linode`]: the clients of Linode's API and login server, scopes and models.
//! - [`catalog`]: the plans, regions and StackScript the form offers, cached.
//! - [`sandbox`]: the simulated Linode behind `--sandbox`; nothing depends on it.
//! - [`cli`]: the command line, the container's health probe and the set-up commands.
//! - [`settings`]: typed settings; [`startup`]: the app as a value, run until stopped;
//!   [`telemetry`]: logs; [`metrics`]: Prometheus metrics; [`random`]: random values.

pub mod catalog;
pub mod cli;
pub mod deploy;
pub mod form;
pub mod linode;
pub mod metrics;
pub mod random;
pub mod sandbox;
pub mod settings;
pub mod startup;
pub mod stores;
pub mod telemetry;
pub mod web;
