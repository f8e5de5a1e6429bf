//! The session store the app was configured with: this process's memory
//! ([`super::memory`]) or Redis (`tower-sessions-redis-store`), behind one type.

use async_trait::async_trait;
use fred::prelude::Pool;
use tower_sessions::session::{Id, Record};
use tower_sessions::{SessionStore, session_store};
use tower_sessions_redis_store::RedisStore;

use super::memory::MemoryStore;

/// The session store the app was configured with.
#[derive(Debug, Clone)]
pub enum Sessions {
    /// This process's memory.
    Memory(MemoryStore),
    /// Redis, shared.
    Redis(RedisStore<Pool>),
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
