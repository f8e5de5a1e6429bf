//! `GET /auth_callback`: the visitor comes back from Linode's login.
//!
//! Every check that needs no outbound call comes first: an error from the
//! login server, a missing code, no pending deploy, a state that is not the
//! session's. Only then is the state claimed (once, process-wide) and the
//! pending deploy taken out of the session, so a replayed or concurrent
//! callback creates nothing. A created server is handed to the watcher with
//! the token; the page shows the credentials once.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Deserialize;

use crate::deploy::stage::Progress;
use crate::deploy::watch::Started;
use crate::deploy::{DeployError, Deployed};
use crate::form::choice::{FieldError, FormValues};
use crate::form::{Field, Offer};
use crate::linode::LinodeError;
use crate::web::error::AppError;
use crate::web::pages::{ShownSecret, StageView, SuccessPage};
use crate::web::session::{DeploySession, PendingDeploy};
use crate::web::state::AppState;

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
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let returned_state = query.state.as_deref().unwrap_or("");
    if query.error.is_some() {
        session.abandon(returned_state, &state.pending).await?;
        return Err(AppError::LoginDenied);
    }
    let Some(code) = query.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(AppError::MissingCode);
    };
    let pending = session.take(returned_state, &state.claims, &state.pending).await?;
    match state.deployer.deploy(&pending.choice, code).await {
        Ok(deployed) => success(&state, &session, &pending, deployed).await,
        Err(error) => refused_fields(&state, &pending, error).await,
    }
}

async fn success(
    state: &AppState,
    session: &DeploySession,
    pending: &PendingDeploy,
    deployed: Deployed,
) -> Result<Response, AppError> {
    let Deployed { instance, generated_root_pass, token } = deployed;
    let login = match state.catalog.get().await {
        Ok(catalog) => pending.choice.ssh_login(catalog.udf_fields()),
        Err(_) => None,
    };
    let ssh_user = login.as_ref().map(|l| l.user.clone());
    let (progress_url, refused_note, stage, checks_app) = match state
        .watches
        .start(&instance, ssh_user, token)
        .await
    {
        Started::Watching(id) => {
            // The server exists: a store that fails now must not turn the
            // page with its address and passwords into an error page.
            if let Err(error) = session.remember(&id).await {
                tracing::error!(%error, "could not keep the deploy in the session; showing the result anyway");
            }
            let progress = state.watches.peek(&id);
            let stage = progress.as_ref().map(|p| (StageView::new(p, &id), p.checks_app));
            let (stage, checks_app) = stage.unwrap_or_else(|| {
                (StageView::new(&Progress::created(&instance, None, std::time::Duration::ZERO), &id), false)
            });
            (Some(format!("/deploys/{id}")), None, stage, checks_app)
        }
        Started::Refused(progress) => {
            (None, progress.access.note(), StageView::new(&progress, ""), progress.checks_app)
        }
    };
    let secrets = pending
        .choice
        .generated
        .iter()
        .enumerate()
        .map(|(i, generated)| ShownSecret {
            id: format!("secret-{i}"),
            label: generated.label.clone(),
            value: generated.value.clone(),
        })
        .collect();
    Ok(SuccessPage {
        chrome: state.chrome.clone(),
        label: instance.label,
        group: instance.group,
        ip: instance.ipv4.into_iter().next(),
        login,
        password: generated_root_pass.map(|p| p.expose_secret().to_owned()),
        secrets,
        stage,
        checks_app,
        progress_url,
        refused_note,
    }
    .into_response())
}

/// A create refused for values of the form shows the form again, filled in,
/// with Linode's reasons next to the fields; any other failure is an error page.
async fn refused_fields(
    state: &AppState,
    pending: &PendingDeploy,
    error: DeployError,
) -> Result<Response, AppError> {
    let DeployError::Create(LinodeError::Status { status, reasons, .. }) = &error else {
        return Err(error.into());
    };
    if status.as_u16() != 400 || reasons.is_empty() {
        return Err(error.into());
    }
    let Ok(catalog) = state.catalog.get().await else {
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
    Ok(super::configure::invalid(state, &catalog, &form, &errors))
}
