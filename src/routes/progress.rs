//! A deploy's progress after the success page: `/deploys/{id}` (a page that
//! refreshes itself, for browsers without scripts), `/status` (JSON) and
//! `/events` (server-sent events). Only the session that started the deploy
//! may see it; nothing secret is shown.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::WatchStream;
use tower_sessions::Session;

use crate::error::AppError;
use crate::session;
use crate::state::AppState;
use crate::templates::ProgressPage;
use crate::watch::{Progress, Watch};

async fn owned_watch(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<std::sync::Arc<Watch>, AppError> {
    if !session::owns_deploy(session, id).await? {
        return Err(AppError::NotFound);
    }
    state.watches.get(id).ok_or(AppError::NotFound)
}

/// `GET /deploys/{id}`: the progress page.
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let progress = owned_watch(&state, &session, &id).await?.progress();
    Ok(ProgressPage {
        chrome: state.chrome.clone(),
        elapsed_secs: progress.elapsed_secs(),
        label: progress.label,
        ip: progress.ip,
        status: progress.status,
        watching: progress.watching,
        access_note: progress.access_note,
        progress_url: format!("/deploys/{id}"),
    }
    .into_response())
}

/// The JSON a script reads.
#[derive(Serialize)]
struct StatusBody {
    #[serde(flatten)]
    progress: Progress,
    elapsed_secs: u64,
}

impl From<Progress> for StatusBody {
    fn from(progress: Progress) -> Self {
        Self { elapsed_secs: progress.elapsed_secs(), progress }
    }
}

/// `GET /deploys/{id}/status`: the progress as JSON.
pub async fn status(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let progress = owned_watch(&state, &session, &id).await?.progress();
    Ok(Json(StatusBody::from(progress)).into_response())
}

/// `GET /deploys/{id}/events`: every change of progress, until the watch ends.
pub async fn events(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let watch = owned_watch(&state, &session, &id).await?;
    let (receiver, guard) = watch.subscribe();
    // Each change is sent, and a tick every second keeps the elapsed time moving.
    let changes = WatchStream::new(receiver);
    let ticks = tokio_stream::wrappers::IntervalStream::new(tokio::time::interval(Duration::from_secs(1)));
    let watch_for_ticks = std::sync::Arc::clone(&watch);
    let stream = changes
        .merge(ticks.map(move |_| watch_for_ticks.progress()))
        .map(move |progress| {
            let _present = &guard;
            progress
        })
        .take_while({
            // Send the final state, then end.
            let mut ended = false;
            move |p: &Progress| {
                let go = !ended;
                ended = !p.watching;
                go
            }
        })
        .map(|progress| {
            Ok::<_, Infallible>(Event::default().json_data(StatusBody::from(progress)).unwrap_or_default())
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}
