//! A deploy's progress after the success page: `/deploys/{id}` (a page that
//! refreshes itself, for browsers without scripts), `/status` (JSON) and
//! `/events` (server-sent events). Only the session that started the deploy
//! may see it; nothing secret is shown. The replica that watches serves it
//! from memory; another replica serves the copy mirrored in Redis.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::{IntervalStream, WatchStream};

use crate::deploy::mirror::Mirror;
use crate::deploy::stage::{Access, Progress, Revoked};
use crate::deploy::watch::Watch;
use crate::web::delivery;
use crate::web::error::AppError;
use crate::web::pages::{ProgressPage, StageView};
use crate::web::session::DeploySession;
use crate::web::state::AppState;

/// Where a deploy's progress comes from.
enum View {
    /// This replica watches it.
    Local(Arc<Watch>),
    /// Another replica does; its progress is mirrored.
    Remote(Mirror, String),
}

impl View {
    async fn progress(&self) -> Option<Progress> {
        match self {
            Self::Local(watch) => Some(watch.progress()),
            Self::Remote(mirror, id) => {
                mirror.seen(id).await;
                mirror.read(id).await
            }
        }
    }
}

async fn view(state: &AppState, session: &DeploySession, id: &str) -> Result<View, AppError> {
    if !session.owns(id).await? {
        return Err(AppError::NotFound);
    }
    if let Some(watch) = state.watches.get(id) {
        return Ok(View::Local(watch));
    }
    match state.watches.mirror() {
        Some(mirror) if mirror.read(id).await.is_some() => Ok(View::Remote(mirror.clone(), id.to_owned())),
        _ => Err(AppError::NotFound),
    }
}

/// `GET /deploys/{id}`: the progress page.
pub async fn page(
    State(state): State<AppState>,
    session: DeploySession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let progress = view(&state, &session, &id).await?.progress().await.ok_or(AppError::NotFound)?;
    let chrome = state.apps.named(&progress.app).map_or_else(|| state.chrome.clone(), |a| a.chrome.clone());
    Ok(ProgressPage {
        chrome,
        stage: StageView::new(&progress, &id),
        watching: progress.access.is_held(),
        access_note: progress.access.note(),
        ssh_command: progress.ssh_command(),
        label: progress.label,
        progress_url: format!("/deploys/{id}"),
    }
    .into_response())
}

/// `GET /deploys/latest`: the result of this session's last deploy, once,
/// when the request that waited for it was gone; a page that waits while
/// it is still being sent to Linode; otherwise the form.
pub async fn latest(State(state): State<AppState>, session: DeploySession) -> Result<Response, AppError> {
    if let Some(page) = delivery::kept(&state, &session).await? {
        return Ok(page);
    }
    if delivery::still_running(&state, &session).await? {
        return Ok(delivery::working_page(&state));
    }
    Ok(Redirect::to("/").into_response())
}

/// `POST /deploys/{id}/delete`: deletes a failed server with the access the
/// deploy still holds. Only from this site's own page, and only for the
/// session that started the deploy.
pub async fn delete(
    State(state): State<AppState>,
    session: DeploySession,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    if !crate::web::security::is_same_origin(&headers, &state.settings.public_url) {
        return Err(AppError::CrossSite);
    }
    if !session.owns(&id).await? {
        return Err(AppError::NotFound);
    }
    let Some(progress) = state.watches.peek(&id) else {
        // Watched by another replica, or long finished: Cloud Manager can still delete it.
        return Err(AppError::NotDeleted { cloud_manager: None });
    };
    if state.watches.delete(&id).await {
        return Ok(Redirect::to(&format!("/deploys/{id}")).into_response());
    }
    Err(AppError::NotDeleted {
        cloud_manager: Some(format!("https://cloud.linode.com/linodes/{}", progress.instance_id)),
    })
}

/// The JSON a script (and `static/app.js`) reads, rendered from the progress.
#[derive(Serialize)]
struct StatusBody {
    label: String,
    ip: Option<String>,
    status: String,
    created_at: u64,
    elapsed_secs: u64,
    /// Whether anything may still change (access held, or the app still checked).
    watching: bool,
    revoked: Option<Revoked>,
    access_note: Option<String>,
    access: Access,
    /// The stage's word, its sentence, and what the page offers.
    stage: String,
    stage_sentence: String,
    open_url: Option<String>,
    failed: bool,
    can_delete: bool,
}

impl From<Progress> for StatusBody {
    fn from(progress: Progress) -> Self {
        Self {
            elapsed_secs: progress.elapsed_secs(),
            status: progress.stage.as_str().to_owned(),
            watching: progress.is_live(),
            stage: progress.stage.as_str().to_owned(),
            stage_sentence: progress.stage_sentence(),
            open_url: progress.open_url.clone(),
            failed: matches!(progress.stage, crate::deploy::stage::Stage::Failed(_)),
            can_delete: progress.can_delete(),
            revoked: progress.access.revoked(),
            access_note: progress.access.note(),
            access: progress.access,
            created_at: progress.created_at,
            label: progress.label,
            ip: progress.ip,
        }
    }
}

/// `GET /deploys/{id}/status`: the progress as JSON.
pub async fn status(
    State(state): State<AppState>,
    session: DeploySession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let progress = view(&state, &session, &id).await?.progress().await.ok_or(AppError::NotFound)?;
    Ok(Json(StatusBody::from(progress)).into_response())
}

/// `GET /deploys/{id}/events`: every change of progress, until the watch
/// ends. A stream from the mirror also ends when the copy is gone or its
/// replica stopped (the copy reads as lost), and every stream ends within a
/// second of shutdown, so none holds a replica up as it stops.
pub async fn events(
    State(state): State<AppState>,
    session: DeploySession,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let ticks = || IntervalStream::new(tokio::time::interval(Duration::from_secs(1)));
    // The final state is sent, then the stream ends.
    let until_done = || {
        let mut ended = false;
        move |p: &Progress| {
            let go = !ended;
            ended = !p.is_live();
            go
        }
    };
    let watches = Arc::clone(&state.watches);
    let running = move |_: &Progress| !watches.stopping();
    let event = |progress: Progress| {
        Ok::<_, Infallible>(Event::default().json_data(StatusBody::from(progress)).unwrap_or_default())
    };
    let response = match view(&state, &session, &id).await? {
        View::Local(watch) => {
            let (receiver, guard) = watch.subscribe();
            // Each change is sent, and a tick every second keeps the elapsed time moving.
            let stream = WatchStream::new(receiver)
                .merge(ticks().map(move |_| watch.progress()))
                .map(move |progress| {
                    let _present = &guard;
                    progress
                })
                .take_while(until_done())
                .take_while(running)
                .map(event);
            Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
        }
        remote @ View::Remote(..) => {
            let remote = Arc::new(remote);
            let stream = ticks()
                .then(move |_| {
                    let remote = Arc::clone(&remote);
                    async move { remote.progress().await }
                })
                .take_while(Option::is_some)
                .filter_map(|progress| progress)
                .take_while(until_done())
                .take_while(running)
                .map(event);
            Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
        }
    };
    Ok(response)
}
