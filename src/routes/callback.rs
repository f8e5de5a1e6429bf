//! `GET /auth_callback`: the visitor comes back from Linode's login.
//!
//! Every check that needs no outbound call comes first: an error from the
//! login server, a missing code, no pending deploy, a state that is not the
//! session's. Only then is the state claimed (once, process-wide) and the
//! pending deploy taken out of the session, so a replayed or concurrent
//! callback creates nothing.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use secrecy::ExposeSecret;
use serde::Deserialize;
use tower_sessions::Session;

use crate::error::AppError;
use crate::session;
use crate::state::AppState;
use crate::templates::SuccessPage;

/// What the login server puts on the callback URL.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Finishes the deploy the session is waiting for.
#[tracing::instrument(skip_all)]
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> Result<SuccessPage, AppError> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let returned_state = query.state.as_deref().unwrap_or("");
    let pending = session::pending(&session).await?;

    if query.error.is_some() {
        // The visitor said no. Forget the pending deploy only if this really is its callback.
        if pending.as_ref().is_some_and(|p| p.state_matches(returned_state)) {
            session::clear_pending(&session).await?;
        }
        return Err(AppError::LoginDenied);
    }
    let Some(code) = query.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(AppError::MissingCode);
    };
    let pending = match pending {
        Some(pending) => pending,
        None if session::was_used(&session, returned_state).await? => {
            return Err(AppError::AlreadyUsed);
        }
        None => return Err(AppError::NoPendingDeploy),
    };
    if !pending.state_matches(returned_state) {
        return Err(AppError::StateMismatch);
    }
    if !state.used_states.claim(&pending.state) {
        return Err(AppError::AlreadyUsed);
    }
    session::consume_pending(&session, &pending).await?;

    let deployed = state.deployer.deploy(&pending.choice, code).await?;
    Ok(SuccessPage {
        chrome: state.chrome.clone(),
        label: deployed.instance.label,
        group: deployed.instance.group,
        ip: deployed.instance.ipv4.into_iter().next(),
        password: deployed.root_pass.expose_secret().to_owned(),
    })
}
