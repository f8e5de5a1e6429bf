//! Who a request to the simulated API acts for: its bearer token, and
//! whether that token's scopes cover what an endpoint needs.

use axum::http::HeaderMap;

use super::state::{IssuedToken, SandboxState};
use super::wire::ApiError;
use crate::linode::{OAuthScopes, Scope};

/// The token's scopes, if it is a live bearer token that covers `needed`.
pub fn authorize(
    sandbox: &SandboxState,
    headers: &HeaderMap,
    needed: Scope,
) -> Result<OAuthScopes, ApiError> {
    let scopes = bearer(sandbox, headers)?.scopes;
    if scopes.allows(needed) { Ok(scopes) } else { Err(ApiError::scope()) }
}

/// The live token in the `Authorization` header, whatever its scopes.
pub fn bearer(sandbox: &SandboxState, headers: &HeaderMap) -> Result<IssuedToken, ApiError> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(ApiError::invalid_token)?;
    sandbox.live_token(token.trim()).ok_or_else(ApiError::invalid_token)
}
