//! The apps this service deploys, each as its pages and deploys need it: its
//! settings ([`AppSpec`]), its page chrome, its own catalog (plans, regions
//! and its StackScript) with the rendered form, and its deployer. One OAuth
//! client and one session store serve every app; a pending deploy names its
//! app by slug.

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::deploy::Deployer;
use crate::settings::AppSpec;
use crate::web::page_cache::PageCache;
use crate::web::pages::Chrome;

/// One app.
pub struct App {
    /// As the settings give it.
    pub spec: AppSpec,
    /// What its pages show around their content.
    pub chrome: Chrome,
    /// Plans, regions and its StackScript.
    pub catalog: Arc<Catalog>,
    /// Its form as rendered for the current catalog.
    pub page_cache: PageCache,
    /// Runs its deploys.
    pub deployer: Deployer,
}

impl App {
    /// The app's slug.
    pub fn slug(&self) -> &str {
        &self.spec.slug
    }
}

/// Every app, in the order the settings list them.
pub struct Apps(Vec<Arc<App>>);

impl Apps {
    /// The apps; at least one.
    pub fn new(apps: Vec<App>) -> Self {
        assert!(!apps.is_empty(), "a service deploys at least one app");
        Self(apps.into_iter().map(Arc::new).collect())
    }

    /// The app with this slug.
    pub fn get(&self, slug: &str) -> Option<&Arc<App>> {
        self.0.iter().find(|a| a.spec.slug == slug)
    }

    /// The app a pending deploy or a watch names; one saved before apps had
    /// slugs (empty) is the first app's.
    pub fn named(&self, slug: &str) -> Option<&Arc<App>> {
        if slug.is_empty() { self.0.first() } else { self.get(slug) }
    }

    /// The one app, when the service deploys just one: `/` is its form.
    pub fn only(&self) -> Option<&Arc<App>> {
        match self.0.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// Every app.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<App>> {
        self.0.iter()
    }
}
