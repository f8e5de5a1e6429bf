//! Integration tests: the real app on port 0 against a local fake of Linode's
//! API and login server (wiremock) that follows the wire contract.
//! One binary, so the crate links once.

mod access;
mod apps;
mod browser;
mod callback;
mod canary;
mod cli;
mod configure;
mod dashboard;
mod experience;
mod fuzz;
mod helpers;
mod job;
mod layout;
mod lifecycle;
mod local_linode;
mod logs;
mod marketplace;
mod pages;
mod pinning;
mod pricing;
mod production;
mod readiness;
mod sandbox;
mod setup;
mod share;
mod takeover;
mod watch;
