//! Deploy results that have not reached their visitor yet. A deploy runs as
//! a job of its own; what it ends with (the server's address and passwords,
//! or why nothing was created) is kept here for [`KEEP`], sealed ([`Seal`],
//! bound to the deploy's OAuth state), until the visitor's session takes it,
//! once. While the job runs, a marker says so, so a page can wait for it.
//!
//! In memory (`moka`, expiring) for one replica, or in Redis (`SET … EX`,
//! taken with `GETDEL`) so any replica can hand the result over. Keys are a
//! hash of the state, never the state itself.

use std::time::Duration;

use fred::prelude::*;
use fred::types::Expiration;
use moka::sync::Cache;
use sha2::{Digest, Sha256};

use super::claims::StoreUnavailable;
use super::seal::Seal;

/// How long an undelivered result is kept for its visitor.
pub const KEEP: Duration = Duration::from_secs(10 * 60);
/// At most this many results are kept in memory.
const MEMORY_CAPACITY: u64 = 10_000;

/// Where undelivered results wait.
#[derive(Debug, Clone)]
pub enum Outcomes {
    /// In this process.
    Memory(Cache<String, String>),
    /// In Redis, shared by every replica.
    Redis(Pool),
}

impl Outcomes {
    /// Results kept in this process's memory.
    pub fn memory() -> Self {
        Self::Memory(Cache::builder().max_capacity(MEMORY_CAPACITY).time_to_live(KEEP).build())
    }

    /// Results kept in Redis.
    pub fn redis(pool: Pool) -> Self {
        Self::Redis(pool)
    }

    fn key(kind: &str, state: &str) -> String {
        format!("iol:{kind}:{:x}", Sha256::digest(state.as_bytes()))
    }

    /// Notes that the deploy of `state` is running.
    pub async fn running(&self, state: &str) -> Result<(), StoreUnavailable> {
        self.set(&Self::key("job", state), "running").await
    }

    /// Whether the deploy of `state` is still running.
    pub async fn is_running(&self, state: &str) -> Result<bool, StoreUnavailable> {
        let key = Self::key("job", state);
        match self {
            Self::Memory(cache) => Ok(cache.contains_key(&key)),
            Self::Redis(pool) => {
                let found: Option<String> =
                    pool.get(&key).await.map_err(|e| StoreUnavailable::new(e.to_string()))?;
                Ok(found.is_some())
            }
        }
    }

    /// Keeps the result of the deploy of `state`, sealed, and clears its marker.
    pub async fn keep(&self, seal: &Seal, state: &str, result: &[u8]) -> Result<(), StoreUnavailable> {
        self.set(&Self::key("outcome", state), &seal.seal(result, state)).await?;
        self.delete(&Self::key("job", state)).await
    }

    /// Takes the result of the deploy of `state`, once: a second take finds nothing.
    pub async fn take(&self, seal: &Seal, state: &str) -> Result<Option<Vec<u8>>, StoreUnavailable> {
        let key = Self::key("outcome", state);
        let sealed = match self {
            Self::Memory(cache) => cache.remove(&key),
            Self::Redis(pool) => pool.getdel(&key).await.map_err(|e| StoreUnavailable::new(e.to_string()))?,
        };
        Ok(sealed.and_then(|s| seal.open(&s, state).ok()))
    }

    async fn set(&self, key: &str, value: &str) -> Result<(), StoreUnavailable> {
        match self {
            Self::Memory(cache) => {
                cache.insert(key.to_owned(), value.to_owned());
                Ok(())
            }
            Self::Redis(pool) => pool
                .set::<(), _, _>(key, value, Some(Expiration::EX(KEEP.as_secs() as i64)), None, false)
                .await
                .map_err(|e| StoreUnavailable::new(e.to_string())),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreUnavailable> {
        match self {
            Self::Memory(cache) => {
                cache.remove(key);
                Ok(())
            }
            Self::Redis(pool) => {
                pool.del::<(), _>(key).await.map_err(|e| StoreUnavailable::new(e.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_kept_result_is_taken_once_and_only_with_its_state() {
        let (outcomes, seal) = (Outcomes::memory(), Seal::new(b"0123456789abcdef0123456789abcdef"));
        outcomes.running("state-1").await.unwrap();
        assert!(outcomes.is_running("state-1").await.unwrap());
        outcomes.keep(&seal, "state-1", b"the result").await.unwrap();
        assert!(!outcomes.is_running("state-1").await.unwrap(), "kept means done");
        assert_eq!(outcomes.take(&seal, "state-2").await.unwrap(), None);
        assert_eq!(outcomes.take(&seal, "state-1").await.unwrap().as_deref(), Some(&b"the result"[..]));
        assert_eq!(outcomes.take(&seal, "state-1").await.unwrap(), None, "exactly once");
    }
}
