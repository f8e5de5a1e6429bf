//! What the configure form offers: plans, regions and the StackScript's
//! images and fields, read from Linode's public API and cached in memory.
//! A snapshot builds the StackScript's form fields once, so no request does.
//!
//! The cache is stale-while-revalidate: a fresh copy is served as is; a stale
//! one is served at once while one background task fetches a new one; if that
//! fails, the stale copy stays and the next attempt waits [`RETRY_AFTER`].
//! Only a process with nothing cached yet makes a visitor wait for Linode, and
//! then for at most [`FIRST_FETCH_BOUND`]. In steady state no request calls Linode.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, RwLock};
use tokio::time::Instant;

use crate::form::Offer;
use crate::form::udf::{self, FormField};
use crate::linode::models::{LinodeType, Region, StackScript};
use crate::linode::{LinodeClient, LinodeError};

/// How long to wait after a failed refresh before trying again.
pub const RETRY_AFTER: Duration = Duration::from_secs(30);
/// The longest a visitor waits when nothing is cached.
pub const FIRST_FETCH_BOUND: Duration = Duration::from_secs(12);

/// What the form offers, as one consistent snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogData {
    /// Plans whose label contains "Linode".
    pub types: Vec<LinodeType>,
    /// Regions that take new Linodes now.
    pub regions: Vec<Region>,
    /// The configured StackScript, for its images.
    pub stackscript: StackScript,
    /// The StackScript's fields as the form shows them, built once per snapshot.
    pub fields: Vec<FormField>,
    /// The SHA-256 of the StackScript's script, hashed once per snapshot.
    pub script_sha256: String,
}

impl CatalogData {
    /// Builds a snapshot, keeping only regions that take new Linodes.
    pub fn new(types: Vec<LinodeType>, regions: Vec<Region>, stackscript: StackScript) -> Self {
        let regions = regions.into_iter().filter(Region::accepts_linodes).collect();
        let fields = udf::fields(&stackscript.user_defined_fields);
        let script_sha256 = stackscript.script_sha256();
        Self { types, regions, stackscript, fields, script_sha256 }
    }

    /// The plan with this id, if offered.
    pub fn type_by_id(&self, id: &str) -> Option<&LinodeType> {
        self.types.iter().find(|t| t.id == id)
    }

    /// Whether the script is the one pinned (`APP_SCRIPT_SHA256`), or nothing is pinned.
    pub fn script_as_pinned(&self, pin: Option<&str>) -> bool {
        pin.is_none_or(|pin| self.script_sha256 == pin)
    }

    /// The region with this id, if offered.
    pub fn region_by_id(&self, id: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.id == id)
    }
}

impl Offer for CatalogData {
    fn offers_plan(&self, id: &str) -> bool {
        self.type_by_id(id).is_some()
    }

    fn offers_region(&self, id: &str) -> bool {
        self.region_by_id(id).is_some()
    }

    fn offers_image(&self, id: &str) -> bool {
        self.stackscript.images.iter().any(|i| i == id)
    }

    fn offers_backups(&self, plan: &str) -> bool {
        self.type_by_id(plan).is_some_and(|t| t.addons.as_ref().is_some_and(|a| a.backups.is_some()))
    }

    fn udf_fields(&self) -> &[FormField] {
        &self.fields
    }
}

struct Cached {
    data: Arc<CatalogData>,
    next_refresh: Instant,
}

/// The cached catalog, shared by every request.
pub struct Catalog {
    api: LinodeClient,
    stackscript_id: u64,
    fresh_for: Duration,
    cached: RwLock<Option<Cached>>,
    first_fetch: Mutex<()>,
    refreshing: AtomicBool,
}

impl Catalog {
    /// An empty cache that reads from `api` and keeps a copy `fresh_for` before refreshing it.
    pub fn new(api: LinodeClient, stackscript_id: u64, fresh_for: Duration) -> Arc<Self> {
        Arc::new(Self {
            api,
            stackscript_id,
            fresh_for,
            cached: RwLock::new(None),
            first_fetch: Mutex::new(()),
            refreshing: AtomicBool::new(false),
        })
    }

    /// The catalog: cached if there is one (refreshing it behind the scenes
    /// when stale), else fetched now within [`FIRST_FETCH_BOUND`].
    pub async fn get(self: &Arc<Self>) -> Result<Arc<CatalogData>, LinodeError> {
        if let Some(data) = self.cached_or_refresh().await {
            return Ok(data);
        }
        crate::metrics::catalog("miss");
        // One fetch for all the visitors who arrive before the first answer.
        let _guard = self.first_fetch.lock().await;
        if let Some(data) = self.cached_or_refresh().await {
            return Ok(data);
        }
        let data = tokio::time::timeout(FIRST_FETCH_BOUND, self.fetch())
            .await
            .map_err(|_| LinodeError::Timeout)??;
        Ok(self.store(data).await)
    }

    /// The cached copy, if any; starts a background refresh when it is stale.
    async fn cached_or_refresh(self: &Arc<Self>) -> Option<Arc<CatalogData>> {
        let cached = self.cached.read().await;
        let entry = cached.as_ref()?;
        if Instant::now() >= entry.next_refresh {
            crate::metrics::catalog("stale");
            if !self.refreshing.swap(true, Ordering::AcqRel) {
                let catalog = Arc::clone(self);
                tokio::spawn(async move { catalog.refresh().await });
            }
        } else {
            crate::metrics::catalog("hit");
        }
        Some(Arc::clone(&entry.data))
    }

    /// Whether a catalog has been fetched (for readiness).
    pub async fn is_loaded(&self) -> bool {
        self.cached.read().await.is_some()
    }

    /// Fetches a fresh copy now and serves it from the next request on (the
    /// sandbox calls this when the publisher's script file changes).
    pub async fn refresh_now(&self) {
        match self.fetch().await {
            Ok(data) => {
                self.store(data).await;
            }
            Err(error) => tracing::warn!(%error, "catalog refresh failed; serving the cached copy"),
        }
    }

    async fn refresh(&self) {
        match self.fetch().await {
            Ok(data) => {
                self.store(data).await;
                tracing::debug!("catalog refreshed");
            }
            Err(error) => {
                tracing::warn!(%error, "catalog refresh failed; serving the cached copy");
                if let Some(entry) = self.cached.write().await.as_mut() {
                    entry.next_refresh = Instant::now() + RETRY_AFTER;
                }
            }
        }
        self.refreshing.store(false, Ordering::Release);
    }

    async fn store(&self, data: CatalogData) -> Arc<CatalogData> {
        let data = Arc::new(data);
        *self.cached.write().await =
            Some(Cached { data: Arc::clone(&data), next_refresh: Instant::now() + self.fresh_for });
        data
    }

    async fn fetch(&self) -> Result<CatalogData, LinodeError> {
        let (types, regions, stackscript) = tokio::try_join!(
            self.api.types(),
            self.api.regions(),
            self.api.stackscript(self.stackscript_id)
        )?;
        Ok(CatalogData::new(types, regions, stackscript))
    }
}
