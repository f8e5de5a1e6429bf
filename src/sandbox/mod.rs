//! The sandbox: a faithful, strict stand-in for Linode's API and login
//! server, mounted under `/sandbox/` in the same process when the app runs
//! with `--sandbox` (or `APP_SANDBOX=true`).
//!
//! The app does not know it is talking to a simulation: its own clients are
//! pointed at these routes over HTTP and take the production code path. The
//! simulation is strict on purpose, so a client bug fails here the way it
//! would against Linode: unknown plans, regions or images, weak passwords,
//! missing or revoked tokens, too narrow a scope, replayed or foreign codes
//! and foreign redirect URIs are all refused with Linode's error shape.
//!
//! Nothing outside this module depends on it except start-up, which mounts it.
//!
//! # Layout
//! - [`data`]: the demo catalog (plans, regions, images, the demo StackScript).
//! - [`state`]: registered clients, consents, codes, tokens and instances.
//! - [`login`]: `/sandbox/login/oauth/*`, with the consent page, code and refresh grants.
//! - [`api`]: `/sandbox/v4/*`: the route table, the public catalog and Linode's headers; [`auth`]: bearer tokens.
//! - [`instances`]: create, list, read, addresses and delete; [`validate`]: what a create must satisfy.
//! - [`account`]: the profile, its grants, and the account's OAuth clients.
//! - [`stackscripts`]: the publisher's StackScripts, their `<UDF>` tags parsed.
//! - [`apps`]: the simulated servers' apps, for the deploy's ready check.
//! - [`filter`]: Linode's filter language on every list; [`wire`]: its error shape and paging.

pub mod account;
pub mod api;
pub mod apps;
pub mod auth;
pub mod data;
pub mod filter;
pub mod instances;
pub mod login;
pub mod stackscripts;
pub mod state;
pub mod validate;
pub mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use url::Url;

use crate::settings::Settings;

pub use state::{OAuthClientRecord, SandboxState};

/// Path prefix of the simulated API.
pub const API_PREFIX: &str = "/sandbox/v4";
/// Path prefix of the simulated login server.
pub const LOGIN_PREFIX: &str = "/sandbox/login";

/// The sandbox's routes, to be merged into the app's router.
pub fn router(state: Arc<SandboxState>) -> Router {
    Router::new()
        .nest(API_PREFIX, api::routes(Arc::clone(&state)))
        .nest(LOGIN_PREFIX, login::routes())
        .route(&format!("{}/{{ip}}/", apps::APPS_PREFIX), axum::routing::get(apps::app))
        .with_state(state)
}

/// The sandbox as start-up mounts it: its state and the login URL browsers use.
pub struct Mount {
    /// The sandbox's memory.
    pub state: Arc<SandboxState>,
    /// The login server's base as the visitor's browser reaches it.
    pub browser_login_url: Url,
    /// Delay added to every answer (benchmarks).
    pub latency: std::time::Duration,
    /// The line that tells outside clients the account's token and the API's address.
    pub for_clients: String,
}

/// A publisher's script file served as the sandbox's StackScript, read again
/// whenever it changes, so that reloading the form shows the edit.
#[derive(Debug, Clone)]
pub struct ScriptFile {
    path: std::path::PathBuf,
    id: u64,
    state: Arc<SandboxState>,
}

impl ScriptFile {
    /// Reads the file and serves it; an unreadable file is an error.
    fn load(path: &std::path::Path, id: u64, state: &Arc<SandboxState>) -> std::io::Result<(Self, String)> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("the sandbox script {} cannot be read: {e}", path.display()),
            )
        })?;
        let file = Self { path: path.to_owned(), id, state: Arc::clone(state) };
        file.serve(&text);
        Ok((file, text))
    }

    fn serve(&self, text: &str) {
        let label =
            self.path.file_name().map_or_else(|| "script".into(), |n| n.to_string_lossy().into_owned());
        self.state.set_stackscript(self.id, stackscripts::from_script(self.id, &label, text));
    }

    /// Watches the file until the process ends: each change is served at
    /// once and `changed` runs (the app refreshes its catalog there).
    pub async fn watch<F, Fut>(self, mut last: String, changed: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
        loop {
            tick.tick().await;
            let Ok(text) = tokio::fs::read_to_string(&self.path).await else { continue };
            if text != last {
                self.serve(&text);
                tracing::info!(path = %self.path.display(), "sandbox script changed; serving the new version");
                changed().await;
                last = text;
            }
        }
    }
}

impl Mount {
    /// Points `settings` at a sandbox served by this very process on `address`,
    /// registers the app as the sandbox's OAuth client, keeps the account's
    /// personal access token (printing it with the API's address for outside
    /// clients), and serves the publisher's script file when one is set.
    pub fn prepare(
        settings: &mut Settings,
        address: SocketAddr,
    ) -> std::io::Result<(Self, Option<(ScriptFile, String)>)> {
        let local = match address {
            SocketAddr::V4(a) if a.ip().is_unspecified() => format!("127.0.0.1:{}", a.port()),
            SocketAddr::V6(a) if a.ip().is_unspecified() => format!("[::1]:{}", a.port()),
            other => other.to_string(),
        };
        // Left at its default while the port is another, the public URL would
        // send visitors to a port nobody listens on; follow the port instead.
        if settings.public_url.as_str() == "http://localhost:5000/" && address.port() != 5000 {
            settings.public_url =
                Url::parse(&format!("http://localhost:{}", address.port())).expect("valid URL");
        }
        let base = |path: &str| Url::parse(&format!("http://{local}{path}")).expect("valid URL");
        settings.linode_api_url = base(API_PREFIX);
        settings.linode_login_url = base(LOGIN_PREFIX);
        // The simulated servers' apps answer under this port (see [`apps`]).
        // The app probes them here; the visitor's browser opens them at the public URL.
        let public = settings.public_url.as_str().trim_end_matches('/').to_owned();
        let ready = format!("http://{local}{}/{{ipv4}}/", apps::APPS_PREFIX);
        let open = format!("{public}{}/{{ipv4}}/", apps::APPS_PREFIX);
        if settings.ready_url.is_none() {
            settings.ready_url = Some(ready.clone());
            settings.ready_anywhere = true;
            settings.open_url.get_or_insert_with(|| open.clone());
        }
        // The apps file's apps alike, each with a demo StackScript of its own.
        for app in &mut settings.apps {
            if app.ready_url.is_none() {
                app.ready_url = Some(ready.clone());
                app.open_url.get_or_insert_with(|| open.clone());
                settings.ready_anywhere = true;
            }
        }
        let browser_login_url =
            Url::parse(&format!("{}{LOGIN_PREFIX}", settings.public_url.as_str().trim_end_matches('/')))
                .expect("valid URL");
        let client = OAuthClientRecord {
            id: settings.client_id.clone(),
            secret: secrecy::ExposeSecret::expose_secret(&settings.client_secret).to_owned(),
            label: settings.application_name.clone(),
            redirect_uri: settings.redirect_uri(),
            public: false,
        };
        let state = Arc::new(SandboxState::new(client, settings.stackscript_id));
        for app in &settings.apps {
            let mut script = data::demo_stackscript(app.stackscript_id);
            script["label"] = serde_json::Value::String(app.name.clone());
            state.set_stackscript(app.stackscript_id, script);
        }
        let script = match &settings.sandbox_script {
            Some(path) => Some(ScriptFile::load(path, settings.stackscript_id, &state)?),
            None => None,
        };
        let token = match &settings.sandbox_token {
            Some(token) => secrecy::ExposeSecret::expose_secret(token).trim().to_owned(),
            None => state::random_token(),
        };
        let everything: crate::linode::OAuthScopes = "*".parse().expect("* is a scope");
        let token = state.keep_personal_token(token, everything);
        tracing::warn!(
            public_url = %settings.public_url,
            "sandbox mode: Linode is simulated under /sandbox/; nothing is created on Linode"
        );
        let api = format!("{}{API_PREFIX}", settings.public_url.as_str().trim_end_matches('/'));
        let for_clients = format!("sandbox: LINODE_TOKEN={token} APP_LINODE_API_URL={api}");
        let mount = Self { state, browser_login_url, latency: settings.sandbox_latency, for_clients };
        Ok((mount, script))
    }

    /// The routes to merge into the app.
    pub fn router(self) -> Router {
        let latency = self.latency;
        let routes = router(self.state);
        if latency.is_zero() {
            return routes;
        }
        // Like a faraway Linode: every answer takes `latency` longer.
        routes.layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| async move {
                tokio::time::sleep(latency).await;
                next.run(request).await
            },
        ))
    }
}
