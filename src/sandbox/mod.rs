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
//! - [`data`]: the demo catalog (plans, regions, the demo StackScript).
//! - [`state`]: registered clients, consents, codes, tokens and instances.
//! - [`login`]: `/sandbox/login/oauth/*`, with the consent page.
//! - [`api`]: `/sandbox/v4/*`, the API endpoints the app and its set-up commands call.
//! - [`validate`]: what a create body must satisfy.
//! - [`wire`]: Linode's error shape, paging and `X-Filter`.

pub mod api;
pub mod data;
pub mod login;
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
    Router::new().nest(API_PREFIX, api::routes()).nest(LOGIN_PREFIX, login::routes()).with_state(state)
}

/// The sandbox as start-up mounts it: its state and the login URL browsers use.
pub struct Mount {
    /// The sandbox's memory.
    pub state: Arc<SandboxState>,
    /// The login server's base as the visitor's browser reaches it.
    pub browser_login_url: Url,
    /// Delay added to every answer (benchmarks).
    pub latency: std::time::Duration,
}

impl Mount {
    /// Points `settings` at a sandbox served by this very process on `address`,
    /// and registers the app as the sandbox's OAuth client.
    pub fn prepare(settings: &mut Settings, address: SocketAddr) -> Self {
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
        let browser_login_url =
            Url::parse(&format!("{}{LOGIN_PREFIX}", settings.public_url.as_str().trim_end_matches('/')))
                .expect("valid URL");
        let client = OAuthClientRecord {
            id: settings.client_id.clone(),
            secret: secrecy::ExposeSecret::expose_secret(&settings.client_secret).to_owned(),
            label: settings.application_name.clone(),
            redirect_uri: settings.redirect_uri(),
        };
        let state = Arc::new(SandboxState::new(client, settings.stackscript_id));
        tracing::warn!(
            public_url = %settings.public_url,
            "sandbox mode: Linode is simulated under /sandbox/; nothing is created on Linode"
        );
        Self { state, browser_login_url, latency: settings.sandbox_latency }
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
