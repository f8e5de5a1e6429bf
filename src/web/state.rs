//! What every handler shares: settings, clients, the catalog cache.

use std::sync::Arc;

use crate::deploy::watch::Watches;
use crate::linode::{LoginClient, OAuthScopes};
use crate::settings::Settings;
use crate::stores::{Claims, Outcomes, PendingCap, Seal, Shared, Tally};
use crate::web::apps::Apps;
use crate::web::client::Clients;
use crate::web::pages::Chrome;

/// Shared application state: one pointer, so handing it to a handler is one
/// reference-count increment.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    /// Wraps the parts.
    pub fn new(parts: AppParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.0
    }
}

impl axum::extract::FromRef<AppState> for Clients {
    fn from_ref(state: &AppState) -> Self {
        state.clients.clone()
    }
}

impl axum::extract::FromRef<AppState> for Seal {
    fn from_ref(state: &AppState) -> Self {
        state.seal.clone()
    }
}

/// What [`AppState`] holds.
pub struct AppParts {
    /// The settings the app was built with.
    pub settings: Arc<Settings>,
    /// What the service's own pages (the list of apps, errors) show around their content.
    pub chrome: Chrome,
    /// The apps it deploys, each with its catalog and deployer.
    pub apps: Apps,
    /// Builds the authorize URL.
    pub login: LoginClient,
    /// The scopes a deploy asks for.
    pub scopes: OAuthScopes,
    /// The once-only claim on OAuth states, shared by replicas.
    pub claims: Arc<Claims>,
    /// Who a request comes from.
    pub clients: Clients,
    /// The cap on deploys each client has waiting on Linode's login.
    pub pending: PendingCap,
    /// Seals what a session keeps secret, with a key from `APP_SECRET_KEY`.
    pub seal: Seal,
    /// Sessions (and Redis, when configured), shared by replicas.
    pub shared: Shared,
    /// Deploy results that have not reached their visitor yet.
    pub outcomes: Outcomes,
    /// Deploys being watched as their servers start.
    pub watches: Arc<Watches>,
    /// Deploy outcomes counted per app, for the dashboard.
    pub tally: Tally,
}
