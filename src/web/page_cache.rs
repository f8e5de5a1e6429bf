//! The configure page as most visitors get it (`GET /` with no query), kept
//! rendered for as long as the catalog snapshot it was made from is current,
//! so the hot path is a cheap byte copy rather than a template render.

use std::sync::{Arc, RwLock};

use axum::body::Bytes;

use crate::catalog::CatalogData;

/// One rendered page per catalog snapshot.
#[derive(Debug, Default)]
pub struct PageCache {
    entry: RwLock<Option<(Arc<CatalogData>, Bytes)>>,
}

impl PageCache {
    /// The page for `catalog`, rendered by `render` the first time only.
    pub fn get_or_render(&self, catalog: &Arc<CatalogData>, render: impl FnOnce() -> String) -> Bytes {
        if let Some((snapshot, page)) = self.entry.read().unwrap_or_else(|p| p.into_inner()).as_ref()
            && Arc::ptr_eq(snapshot, catalog)
        {
            return page.clone();
        }
        let page = Bytes::from(render());
        *self.entry.write().unwrap_or_else(|p| p.into_inner()) = Some((Arc::clone(catalog), page.clone()));
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linode::models::StackScript;

    fn snapshot() -> Arc<CatalogData> {
        let script = StackScript {
            id: 1,
            label: String::new(),
            images: vec![],
            user_defined_fields: vec![],
            is_public: None,
            ..Default::default()
        };
        Arc::new(CatalogData::new(vec![], vec![], script))
    }

    #[test]
    fn a_page_is_rendered_once_per_catalog_snapshot() {
        let cache = PageCache::default();
        let (first, second) = (snapshot(), snapshot());
        assert_eq!(cache.get_or_render(&first, || "one".into()), "one");
        assert_eq!(cache.get_or_render(&first, || "again".into()), "one");
        assert_eq!(cache.get_or_render(&second, || "two".into()), "two");
    }
}
