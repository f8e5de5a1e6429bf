//! `GET /auth_callback`: the visitor comes back from Linode's login.
//!
//! Every check that needs no outbound call comes first: an error from the
//! login server, a missing code, no pending deploy, a state that is not the
//! session's. Only then is the state claimed (once, process-wide) and the
//! pending deploy taken out of the session, so a replayed or concurrent
//! callback creates nothing. The deploy then runs as a job of its own
//! ([`job`]); this request waits for its result a while and shows it once,
//! or leaves it for the visitor's next visit ([`delivery`]).

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::deploy::DeployError;
use crate::form::choice::{FieldError, FormValues};
use crate::form::{Field, Offer};
use crate::linode::LinodeError;
use crate::stores::tally::Event;
use crate::web::apps::App;
use crate::web::error::AppError;
use crate::web::session::{DeploySession, PendingDeploy};
use crate::web::state::AppState;
use crate::web::{delivery, job};

/// What the login server puts on the callback URL.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Finishes the deploy the session is waiting for: query -> take -> deploy
/// -> watch -> page.
#[tracing::instrument(skip_all)]
pub async fn callback(
    State(state): State<AppState>,
    session: DeploySession,
    shown: Option<Extension<delivery::Shown>>,
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let shown = shown.map(|Extension(shown)| shown);
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let returned_state = query.state.as_deref().unwrap_or("");
    if query.error.is_some() {
        if let Some((app, started)) = session.abandon(returned_state, &state.pending).await? {
            state.tally.record_later(&app, crate::stores::tally::hour_of(started), Event::Denied);
        }
        return Err(AppError::LoginDenied);
    }
    let Some(code) = query.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(AppError::MissingCode);
    };
    let pending = match session.take(returned_state, &state.claims, &state.pending).await {
        // A retry after the first answer was lost shows the result kept for it.
        Err(AppError::AlreadyUsed { deploy }) => {
            return match delivery::kept(&state, &session).await? {
                Some(page) => Ok(page),
                None if delivery::still_running(&state, &session).await? => {
                    Ok(delivery::working_page(&state))
                }
                None => Err(AppError::AlreadyUsed { deploy }),
            };
        }
        taken => taken?,
    };
    // A script changed since it was reviewed is not deployed, even for a
    // visitor who saw the form before it changed.
    let app = Arc::clone(state.apps.named(&pending.app).ok_or(AppError::NotFound)?);
    let catalog = app.catalog.get().await.map_err(AppError::CatalogUnavailable)?;
    super::configure::as_reviewed(&app, &catalog)?;
    // The deploy's id is kept before anything is sent to Linode: nothing
    // the session store does after the server exists can hide it.
    let deploy_id = crate::random::hex(16);
    session.remember(&deploy_id).await?;
    session.await_result().await?;
    session.save().await?;
    let result = job::start(&state, Arc::clone(&app), pending.clone(), code.to_owned(), deploy_id).await;
    match tokio::time::timeout(state.settings.result_wait, result).await {
        Ok(Ok(result)) => {
            // Shown here, so not again on a later visit.
            if let Err(error) = state.outcomes.take(&state.seal, &pending.state).await {
                tracing::warn!(%error, "could not mark the deploy's result as shown");
            }
            if let Err(error) = session.result_shown().await {
                tracing::warn!(%error, "could not note in the session that the result was shown");
            }
            match result {
                Ok(created) => Ok(delivery::created_page(&state, &session, created, shown.as_ref()).await),
                Err(error) => refused_fields(&app, &pending, error).await,
            }
        }
        // Linode is slow: the job goes on, and a page waits for it.
        _ => Ok(delivery::working_page(&state)),
    }
}

/// A create refused for values of the form shows the form again, filled in,
/// with Linode's reasons next to the fields; any other failure is an error page.
async fn refused_fields(
    app: &App,
    pending: &PendingDeploy,
    error: DeployError,
) -> Result<Response, AppError> {
    let DeployError::Create(LinodeError::Status { status, reasons, .. }) = &error else {
        return Err(error.into());
    };
    if status.as_u16() != 400 || reasons.is_empty() {
        return Err(error.into());
    }
    let Ok(catalog) = app.catalog.get().await else {
        return Err(error.into());
    };
    let mapped: Option<Vec<FieldError>> = reasons
        .iter()
        .map(|r| {
            let field = Field::from_linode(r.field.as_deref()?, |name| catalog.udf_field(name).is_some())?;
            Some(FieldError::new(field, r.reason.clone()))
        })
        .collect();
    let Some(mut errors) = mapped else {
        return Err(error.into());
    };
    errors.push(FieldError::form(
        "Linode refused the values marked below, so nothing was created. Correct them and deploy again; \
         Linode will ask you to authorize once more.",
    ));
    let form = FormValues::from_choice(&pending.choice, catalog.udf_fields());
    Ok(super::configure::invalid(app, &catalog, &form, &errors))
}
