//! Typed clients for Linode: the public and authenticated API v4
//! ([`LinodeClient`]) and the OAuth login server ([`LoginClient`]).
//!
//! Everything here follows what Linode speaks on the wire, which sometimes
//! differs from its OpenAPI document: unknown fields are ignored, UDF keys are
//! accepted in both casings, and error bodies may be JSON or a CDN's HTML.

pub mod account;
mod api;
mod error;
mod http;
mod login;
pub mod models;
pub mod scopes;

pub use api::LinodeClient;
pub use error::{ErrorReason, LinodeError};
pub use http::{USER_AGENT, http_client};
pub use login::{LoginClient, TokenGrant};
pub use scopes::{Access, OAuthScopes, Scope};
