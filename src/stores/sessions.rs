//! The session store the app was configured with, behind one type: this
//! process's memory (`tower-sessions-moka-store`: bounded, and each session
//! expires on its own at its expiry date, so nothing scans for old ones) or
//! Redis (`tower-sessions-redis-store`).

use async_trait::async_trait;
use fred::prelude::Pool;
use tower_sessions::session::{Id, Record};
use tower_sessions::{SessionStore, session_store};
use tower_sessions_redis_store::RedisStore;

use tower_sessions_moka_store::MokaStore;

/// The session store the app was configured with.
#[derive(Debug, Clone)]
pub enum Sessions {
    /// This process's memory.
    Memory(MokaStore),
    /// Redis, shared.
    Redis(RedisStore<Pool>),
}

/// At most this many sessions are kept in memory.
pub const MEMORY_CAPACITY: u64 = 100_000;

impl Sessions {
    /// Sessions in this process's memory.
    pub fn memory() -> Self {
        Self::Memory(MokaStore::new(Some(MEMORY_CAPACITY)))
    }
}

#[async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Memory(store) => store.create(record).await,
            Self::Redis(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Memory(store) => store.save(record).await,
            Self::Redis(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Memory(store) => store.load(id).await,
            Self::Redis(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Memory(store) => store.delete(id).await,
            Self::Redis(store) => store.delete(id).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use time::OffsetDateTime;

    use super::*;

    fn record(expires_in: time::Duration) -> Record {
        Record {
            id: Id::default(),
            data: HashMap::new(),
            expiry_date: OffsetDateTime::now_utc() + expires_in,
        }
    }

    #[tokio::test]
    async fn a_memory_session_is_loaded_until_it_expires() {
        let store = Sessions::memory();
        let mut old = record(time::Duration::seconds(-1));
        let mut live = record(time::Duration::minutes(30));
        store.create(&mut old).await.unwrap();
        store.create(&mut live).await.unwrap();
        assert!(store.load(&old.id).await.unwrap().is_none());
        assert!(store.load(&live.id).await.unwrap().is_some());
        store.delete(&live.id).await.unwrap();
        assert!(store.load(&live.id).await.unwrap().is_none());
    }
}
