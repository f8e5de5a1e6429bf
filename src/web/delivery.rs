//! Showing a deploy's result: at once to the request that waited for its
//! job, or later, once, to the visitor whose request was gone when it came
//! ([`crate::web::job`]). A later visit to `/` or `/deploys/latest` takes a
//! kept result out of the store, so a second visit never shows its secrets.

use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::web::error::AppError;
use crate::web::job::{self, Created, Kept};
use crate::web::pages::configure::configure_page;
use crate::web::pages::{StageView, SuccessPage, WorkingPage};
use crate::web::session::DeploySession;
use crate::web::state::AppState;

/// The page a request showed for a created server, kept aside in case the
/// session store fails as the response leaves ([`keep_shown`]).
#[derive(Debug, Clone, Default)]
pub struct Shown(Arc<Mutex<Option<String>>>);

impl Shown {
    fn keep(&self, page: &str) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(page.to_owned());
    }

    fn take(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Middleware outside the session layer: when saving the session fails
/// after a server was created (the session layer then answers a bare 500),
/// the page that shows the server is sent anyway and the failure logged.
pub async fn keep_shown(mut request: Request, next: Next) -> Response {
    let shown = Shown::default();
    request.extensions_mut().insert(shown.clone());
    let response = next.run(request).await;
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && let Some(page) = shown.take()
    {
        tracing::error!("the session store failed after the server was created; its page is shown anyway");
        return (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
            page,
        )
            .into_response();
    }
    response
}

/// The success page for a created server. The session remembers the deploy
/// so its progress page opens; a store that fails now is logged, never
/// turned into an error page that would hide a server that exists.
pub async fn created_page(
    state: &AppState,
    session: &DeploySession,
    created: Created,
    shown: Option<&Shown>,
) -> Response {
    if let Some(id) = &created.deploy_id
        && let Err(error) = session.remember(id).await
    {
        tracing::error!(%error, "could not keep the deploy in the session; showing the result anyway");
    }
    let progress = job::progress_of(state, &created).await;
    let id = created.deploy_id.clone().unwrap_or_default();
    let chrome = state.apps.named(&created.app).map_or_else(|| state.chrome.clone(), |a| a.chrome.clone());
    let page = SuccessPage {
        chrome,
        stage: StageView::new(&progress, &id),
        checks_app: progress.checks_app,
        progress_url: created.deploy_id.as_ref().map(|id| format!("/deploys/{id}")),
        refused_note: created.refused_note,
        label: created.label,
        group: created.group,
        ip: created.ip,
        login: created.login,
        password: created.password,
        secrets: created.secrets,
    };
    let Ok(html) = askama::Template::render(&page) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Some(shown) = shown {
        shown.keep(&html);
    }
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The result this session's last deploy left for it, taken out once: the
/// success page, or the form with the reason nothing was created. None when
/// there is none (or the store does not answer: the form is shown as usual).
pub async fn kept(state: &AppState, session: &DeploySession) -> Result<Option<Response>, AppError> {
    // Only a session that has not seen its last result looks for it; a
    // session store that does not answer costs the visitor nothing here.
    let Ok(true) = session.awaiting_result().await else { return Ok(None) };
    let Ok(Some(last)) = session.last_state().await else { return Ok(None) };
    let bytes = match state.outcomes.take(&state.seal, &last).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            // Nothing kept and nothing on its way (taken, or lapsed): stop looking.
            if !state.outcomes.is_running(&last).await.unwrap_or(true) {
                let _ = session.result_shown().await;
            }
            return Ok(None);
        }
        Err(error) => {
            tracing::warn!(%error, "could not read kept deploy results");
            return Ok(None);
        }
    };
    let _ = session.result_shown().await;
    let Ok(kept) = serde_json::from_slice::<Kept>(&bytes) else { return Ok(None) };
    tracing::info!("a deploy's result reached its visitor on a later visit");
    Ok(Some(match kept {
        Kept::Created(created) => created_page(state, session, *created, None).await,
        Kept::Failed { app, words } => {
            let app = state.apps.named(&app).ok_or(AppError::NotFound)?;
            let catalog = app.catalog.get().await.map_err(AppError::CatalogUnavailable)?;
            let notice = format!("About your last deploy: {words}");
            let page = configure_page(&app.chrome, &catalog, &Default::default(), &[], vec![notice]);
            ([(header::CACHE_CONTROL, "no-store")], page).into_response()
        }
    }))
}

/// Whether this session's last deploy is still being sent to Linode.
pub async fn still_running(state: &AppState, session: &DeploySession) -> Result<bool, AppError> {
    let Ok(true) = session.awaiting_result().await else { return Ok(false) };
    let Ok(Some(last)) = session.last_state().await else { return Ok(false) };
    Ok(state.outcomes.is_running(&last).await.unwrap_or(false))
}

/// A page that waits for a job still talking to Linode, refreshing itself
/// (no script needed) until the result can be shown.
pub fn working_page(state: &AppState) -> Response {
    let page = WorkingPage { chrome: state.chrome.clone() };
    ([(header::CACHE_CONTROL, "no-store")], page).into_response()
}
