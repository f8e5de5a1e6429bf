//! A deploy as a job with a life of its own: the callback hands "exchange
//! the code, create the server, start watching it" to a task that the
//! request does not own, and waits for its result for at most
//! `APP_RESULT_WAIT_SECONDS`. A visitor who closes the tab, a connection that
//! drops, or a request that times out changes nothing for the job: the
//! server is created or not, the token is revoked or held by the watch,
//! and the outcome is logged just the same.
//!
//! Every result is also kept ([`crate::stores::Outcomes`], sealed, 10
//! minutes) until it reaches the visitor: the request that waited takes it
//! when it renders it; otherwise the visitor's next visit to `/` or to
//! `/deploys/latest` shows it, root password and generated values
//! included, exactly once.

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::deploy::stage::Progress;
use crate::deploy::watch::Started;
use crate::deploy::{DeployError, Deployed};
use crate::form::Offer;
use crate::form::conventions::SshLogin;
use crate::stores::tally::Event;
use crate::web::apps::App;
use crate::web::error::AppError;
use crate::web::pages::ShownSecret;
use crate::web::session::PendingDeploy;
use crate::web::state::AppState;

/// A created server, as the success page shows it once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Created {
    /// The slug of its app.
    #[serde(default)]
    pub app: String,
    /// Its label.
    pub label: String,
    /// Its group.
    pub group: String,
    /// Its first public IPv4 address.
    pub ip: Option<String>,
    /// How to sign in, for scripts that create a sudo user.
    pub login: Option<SshLogin>,
    /// The generated root password; none when the visitor chose one.
    pub password: Option<String>,
    /// Generated StackScript values.
    pub secrets: Vec<ShownSecret>,
    /// The deploy's id, when it is watched.
    pub deploy_id: Option<String>,
    /// Why it is not watched, when it is not.
    pub refused_note: Option<String>,
    /// The instance as created (for its stage when nothing watches it).
    pub instance: crate::linode::models::Instance,
}

/// What a job ended with, as kept for a visitor it has not reached yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Kept {
    /// The server was created.
    Created(Box<Created>),
    /// Nothing was created, for this reason (in the error page's words).
    Failed {
        /// The slug of the app.
        app: String,
        /// Why, in the error page's words.
        words: String,
    },
}

/// Starts the deploy of `pending` with `code` as a job, and gives the
/// channel its result arrives on.
pub async fn start(
    state: &AppState,
    app: Arc<App>,
    pending: PendingDeploy,
    code: String,
    deploy_id: String,
) -> oneshot::Receiver<Result<Created, DeployError>> {
    let (sender, receiver) = oneshot::channel();
    if let Err(error) = state.outcomes.running(&pending.state).await {
        tracing::warn!(%error, "could not note the running deploy; its page cannot wait for it");
    }
    let job = state.clone();
    state.watches.spawn_job(async move {
        let result = run(&job, &app, &pending, &code, deploy_id).await;
        let kept = match &result {
            Ok(created) => Kept::Created(Box::new(created.clone())),
            Err(error) => Kept::Failed { app: pending.app.clone(), words: failure_words(error) },
        };
        let json = serde_json::to_vec(&kept).unwrap_or_default();
        if let Err(error) = job.outcomes.keep(&job.seal, &pending.state, &json).await {
            tracing::error!(%error, "could not keep the deploy's result for the visitor");
        }
        if sender.send(result).is_err() {
            tracing::info!("the visitor left before the result; it is kept for their next visit");
        }
    });
    receiver
}

async fn run(
    state: &AppState,
    app: &App,
    pending: &PendingDeploy,
    code: &str,
    deploy_id: String,
) -> Result<Created, DeployError> {
    let hour = crate::stores::tally::hour_of(pending.started);
    state.tally.record_later(app.slug(), hour, Event::Returned);
    let deployed = app.deployer.deploy(&pending.choice, code).await;
    match &deployed {
        Ok(_) => state.tally.record_now(app.slug(), Event::Created),
        Err(error) => {
            state.tally.record_now(app.slug(), Event::Failed { stage: error.stage(), reason: error.reason() })
        }
    }
    let Deployed { instance, generated_root_pass, token } = deployed?;
    let login = match app.catalog.get().await {
        Ok(catalog) => pending.choice.ssh_login(catalog.udf_fields()),
        Err(_) => None,
    };
    let ssh_user = login.as_ref().map(|l| l.user.clone());
    let started = state.watches.start_as(deploy_id, app.slug(), &instance, ssh_user, token).await;
    let (deploy_id, refused_note) = match started {
        Started::Watching(id) => (Some(id), None),
        Started::Refused(progress) => (None, progress.access.note()),
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
    Ok(Created {
        app: app.slug().to_owned(),
        label: instance.label.clone(),
        group: instance.group.clone(),
        ip: instance.ipv4.first().cloned(),
        login,
        password: generated_root_pass.map(|p| p.expose_secret().to_owned()),
        secrets,
        deploy_id,
        refused_note,
        instance,
    })
}

/// The error page's words for a deploy that created nothing.
fn failure_words(error: &DeployError) -> String {
    AppError::from(error.clone()).words()
}

/// A created server's stage now, from its watch (here or mirrored) or as created.
pub async fn progress_of(state: &AppState, created: &Created) -> Progress {
    if let Some(id) = &created.deploy_id {
        if let Some(progress) = state.watches.peek(id) {
            return progress;
        }
        if let Some(mirror) = state.watches.mirror()
            && let Some(progress) = mirror.read(id).await
        {
            return progress;
        }
    }
    Progress::created(&created.instance, created.login.as_ref().map(|l| l.user.clone()), Duration::ZERO)
}
