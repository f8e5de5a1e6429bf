//! The once-only claim on an OAuth state, so that a replayed callback, or
//! two callbacks racing on two replicas, deploy once: a bounded, expiring
//! `moka` cache in this process, or `SET … NX` in Redis. Both remember a
//! claim for [`CLAIM_TTL`].

use std::time::Duration;

use fred::prelude::*;
use fred::types::{Expiration, SetOptions};
use moka::sync::Cache;

/// How long a used OAuth state is remembered, in memory and in Redis alike:
/// longer than any session (30 minutes idle) and any token Linode issues
/// (two hours), so no replay outlives its claim.
pub const CLAIM_TTL: Duration = Duration::from_secs(2 * 60 * 60);
/// At most this many claims are kept in memory.
pub const MEMORY_CAPACITY: u64 = 100_000;

/// The once-only claim on an OAuth state.
#[derive(Debug)]
pub enum Claims {
    /// In this process.
    Memory(Cache<String, ()>),
    /// `SET … NX` in Redis.
    Redis(Pool),
}

/// Redis did not answer.
#[derive(Debug, thiserror::Error)]
#[error("the shared store did not answer: {0}")]
pub struct StoreUnavailable(String);

impl StoreUnavailable {
    /// The store's own words for what went wrong.
    pub(crate) fn new(why: String) -> Self {
        Self(why)
    }
}

impl Claims {
    /// Claims kept in this process's memory.
    pub fn memory() -> Self {
        Self::Memory(Cache::builder().max_capacity(MEMORY_CAPACITY).time_to_live(CLAIM_TTL).build())
    }

    /// Claims `state`; true for the first caller across every replica.
    pub async fn claim(&self, state: &str) -> Result<bool, StoreUnavailable> {
        match self {
            // `or_insert_with` coalesces racing callers into one insert, so
            // exactly one finds the entry fresh; `or_insert` does not (it
            // checks, then inserts).
            Self::Memory(cache) => Ok(cache.entry(state.to_owned()).or_insert_with(|| ()).is_fresh()),
            Self::Redis(pool) => {
                let set: Option<String> = pool
                    .set(
                        format!("iol:used-state:{state}"),
                        "1",
                        Some(Expiration::EX(CLAIM_TTL.as_secs() as i64)),
                        Some(SetOptions::NX),
                        false,
                    )
                    .await
                    .map_err(|e| StoreUnavailable(e.to_string()))?;
                Ok(set.is_some())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn a_state_can_be_claimed_once() {
        let claims = Claims::memory();
        assert!(claims.claim("s").await.unwrap());
        assert!(!claims.claim("s").await.unwrap());
        assert!(claims.claim("other").await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn of_many_racing_callers_exactly_one_claims_a_state() {
        let claims = Arc::new(Claims::memory());
        let racers: Vec<_> = (0..16)
            .map(|_| {
                let claims = Arc::clone(&claims);
                tokio::spawn(async move { claims.claim("race").await.unwrap() })
            })
            .collect();
        let mut won = 0;
        for racer in racers {
            won += usize::from(racer.await.unwrap());
        }
        assert_eq!(won, 1);
    }
}
