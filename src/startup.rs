//! The application as a value: built on any port (0 in tests), asked for its
//! port, and run until a shutdown future resolves, draining in-flight requests.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

use crate::catalog::Catalog;
use crate::deploy::Deployer;
use crate::deploy::jobs::{JobStore, TOKEN_SEAL_LABEL};
use crate::deploy::mirror::Mirror;
use crate::deploy::probe::{Readiness, ReadyCheck};
use crate::deploy::watch::{Timing, WatchParts, Watches};
use crate::linode::{LinodeClient, LoginClient, OAuthScopes, http_client};
use crate::settings::Settings;
use crate::stores::{Claims, Outcomes, PendingCap, Seal, Shared, Tally};
use crate::web::apps::{App, Apps};
use crate::web::client::Clients;
use crate::web::page_cache::PageCache;
use crate::web::pages::Chrome;
use crate::web::state::{AppParts, AppState};

/// A bound, ready-to-run application.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    sandbox: Option<Arc<crate::sandbox::SandboxState>>,
    metrics: Option<(TcpListener, metrics_exporter_prometheus::PrometheusHandle)>,
    script: Option<(crate::sandbox::ScriptFile, String)>,
    sandbox_line: Option<String>,
}

impl Application {
    /// Builds the app from settings and binds its listener.
    pub async fn build(settings: Settings) -> std::io::Result<Self> {
        let listener = TcpListener::bind((settings.host.as_str(), settings.port)).await?;
        Self::with_listener(settings, listener)
    }

    /// Builds the app on a listener bound already (tests bind first to know the public URL).
    pub fn with_listener(mut settings: Settings, listener: TcpListener) -> std::io::Result<Self> {
        let address = listener.local_addr()?;
        let (sandbox, script) = match settings.sandbox {
            true => {
                let (mount, script) = crate::sandbox::Mount::prepare(&mut settings, address)?;
                (Some(mount), script)
            }
            false => (None, None),
        };
        let (shared, claims) = Shared::connect(&settings.session_store).map_err(std::io::Error::other)?;
        let parts = build_state(settings, shared, claims, sandbox.as_ref().map(|m| &m.browser_login_url));
        let state = AppState::new(parts);
        let metrics = match state.settings.metrics_addr {
            Some(address) => {
                let listener = std::net::TcpListener::bind(address)?;
                listener.set_nonblocking(true)?;
                Some((TcpListener::from_std(listener)?, crate::metrics::install()))
            }
            None => None,
        };
        let sandbox_state = sandbox.as_ref().map(|m| Arc::clone(&m.state));
        let sandbox_line = sandbox.as_ref().map(|m| m.for_clients.clone());
        let router = crate::web::router(state.clone(), sandbox.map(crate::sandbox::Mount::router));
        Ok(Self { listener, router, state, sandbox: sandbox_state, sandbox_line, metrics, script })
    }

    /// The port the app listens on.
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// The address the app listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Starts fetching the catalog in the background, so the first visitor does not wait.
    pub fn prefetch_catalog(&self) {
        for app in self.state.apps.iter() {
            let (catalog, slug) = (Arc::clone(&app.catalog), app.spec.slug.clone());
            tokio::spawn(async move {
                if let Err(error) = catalog.get().await {
                    tracing::warn!(%error, app = slug, "could not fetch the catalog at start; will retry on the first visit");
                }
            });
        }
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        if let Some((listener, handle)) = self.metrics {
            let metrics = Router::new()
                .route("/metrics", axum::routing::get(move || std::future::ready(handle.render())));
            tokio::spawn(async move { axum::serve(listener, metrics).await });
        }
        if let Some((file, text)) = self.script {
            let catalogs: Vec<_> = self.state.apps.iter().map(|a| Arc::clone(&a.catalog)).collect();
            tokio::spawn(file.watch(text, move || {
                let catalogs = catalogs.clone();
                async move {
                    for catalog in catalogs {
                        catalog.refresh_now().await;
                    }
                }
            }));
        }
        self.state.watches.adopt_orphans();
        let watches = Arc::clone(&self.state.watches);
        let stopping = Arc::clone(&watches);
        // On the signal, watches end first (revoking their tokens and closing
        // their live pages), so that the connections can drain.
        let shutdown = async move {
            shutdown.await;
            stopping.shutdown().await;
        };
        let served =
            axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(shutdown)
                .await;
        watches.shutdown().await;
        served
    }

    /// The slugs of the apps it deploys, in order.
    pub fn app_slugs(&self) -> Vec<String> {
        self.state.apps.iter().map(|a| a.spec.slug.clone()).collect()
    }

    /// The metrics listener's address, when metrics are on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|(l, _)| l.local_addr().ok())
    }

    /// With the sandbox: the line for outside clients, with the simulated
    /// account's personal access token and the API's address.
    pub fn sandbox_for_clients(&self) -> Option<&str> {
        self.sandbox_line.as_deref()
    }

    /// The simulated Linode, when running as a sandbox.
    pub fn sandbox(&self) -> Option<Arc<crate::sandbox::SandboxState>> {
        self.sandbox.clone()
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

fn build_state(
    settings: Settings,
    shared: Shared,
    claims: Claims,
    browser_login: Option<&url::Url>,
) -> AppParts {
    let http = http_client(settings.http_timeout);
    let api = LinodeClient::new(http.clone(), &settings.linode_api_url);
    let mut login = LoginClient::new(
        http,
        &settings.linode_login_url,
        settings.client_id.clone(),
        settings.client_secret.clone(),
    );
    if let Some(base) = browser_login {
        login = login.with_browser_base(base);
    }
    let specs = settings.app_list();
    let single = specs.len() == 1;
    let apps = Apps::new(
        specs
            .iter()
            .map(|spec| App {
                chrome: Chrome {
                    application_name: spec.name.clone(),
                    sandbox: settings.sandbox,
                    app_slug: spec.slug.clone(),
                    form_url: if single { "/".into() } else { format!("/apps/{}", spec.slug) },
                },
                catalog: Catalog::new(api.clone(), spec.stackscript_id, settings.catalog_ttl),
                page_cache: PageCache::default(),
                deployer: Deployer {
                    api: api.clone(),
                    login: login.clone(),
                    stackscript_id: spec.stackscript_id,
                    group: spec.name.clone(),
                },
                spec: spec.clone(),
            })
            .collect(),
    );
    let readiness = specs
        .iter()
        .filter_map(|spec| {
            let url = spec.ready_url.clone()?;
            let check = if settings.ready_anywhere {
                ReadyCheck::anywhere(url)
            } else {
                ReadyCheck::new(url, settings.ready_allow_private)
            };
            Some((
                spec.slug.clone(),
                Readiness { check, open_url: spec.open_url.clone(), timeout: settings.ready_timeout },
            ))
        })
        .collect();
    let tally = shared.redis.clone().map_or_else(Tally::memory, Tally::redis);
    let chrome = Chrome {
        application_name: settings.application_name.clone(),
        sandbox: settings.sandbox,
        app_slug: specs[0].slug.clone(),
        form_url: "/".into(),
    };
    AppParts {
        apps,
        watches: Watches::new(
            api.clone(),
            login.clone(),
            Timing::default(),
            WatchParts {
                mirror: shared
                    .redis
                    .clone()
                    .map(|pool| Mirror::new(pool, Timing::default().mirror_fresh_for(settings.http_timeout))),
                readiness,
                jobs: shared.redis.clone().map(|pool| {
                    JobStore::new(
                        pool,
                        Seal::with_label(settings.secret_key.expose_secret().as_bytes(), TOKEN_SEAL_LABEL),
                    )
                }),
                tally: Some(tally.clone()),
            },
        ),
        tally,
        login,
        scopes: OAuthScopes::deploy(),
        claims: Arc::new(claims),
        clients: Clients::new(settings.trusted_proxies.clone()),
        pending: PendingCap::new(settings.pending_per_client, shared.redis.clone()),
        seal: Seal::new(settings.secret_key.expose_secret().as_bytes()),
        outcomes: shared.redis.clone().map_or_else(Outcomes::memory, Outcomes::redis),
        shared,
        chrome,
        settings: Arc::new(settings),
    }
}
