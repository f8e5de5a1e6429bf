//! The one way a visitor's token ends. Every place that is done with a
//! token (a deploy that failed after the exchange, a watch that ends for any
//! reason) calls [`revoke`], which asks Linode's login server to expire it
//! and logs the outcome once, with the reason.
//!
//! A refused revoke is a warning, not a failed deploy: the token still
//! expires on its own at the end of Linode's lifetime for it.

use secrecy::SecretString;

use super::stage::Revoked;
use crate::linode::LoginClient;

/// Revokes `token` for `reason`; true when Linode confirmed it.
pub async fn revoke(login: &LoginClient, token: &SecretString, reason: Revoked) -> bool {
    match login.expire(token).await {
        Ok(()) => {
            tracing::info!(reason = ?reason, "token revoked");
            true
        }
        Err(error) => {
            tracing::warn!(%error, reason = ?reason, "could not revoke the token; it expires on its own");
            false
        }
    }
}
