//! The once-only claim on an OAuth state, so that a replayed callback, or
//! two callbacks racing on two replicas, deploy once: in this process's
//! memory, or `SET … NX` in Redis.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fred::prelude::*;
use fred::types::{Expiration, SetOptions};

use super::IDLE_TIMEOUT;

/// How long a used OAuth state is remembered (longer than any session).
const CLAIM_TTL: Duration = Duration::from_secs(2 * 60 * 60);

/// The once-only claim on an OAuth state, so two callbacks racing on two
/// replicas cannot both deploy.
#[derive(Debug)]
pub enum Claims {
    /// In this process.
    Memory(UsedStates),
    /// `SET … NX` in Redis.
    Redis(Pool),
}

/// Redis did not answer.
#[derive(Debug, thiserror::Error)]
#[error("the shared store did not answer: {0}")]
pub struct StoreUnavailable(String);

impl Claims {
    /// Claims `state`; true for the first caller across every replica.
    pub async fn claim(&self, state: &str) -> Result<bool, StoreUnavailable> {
        match self {
            Self::Memory(used) => Ok(used.claim(state)),
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

/// States already used by a callback in this process, so a replayed or
/// concurrent callback cannot deploy twice. Entries outlive any session.
#[derive(Debug, Default)]
pub struct UsedStates(Mutex<HashMap<String, Instant>>);

impl UsedStates {
    /// Claims `state`; true for the first caller only.
    pub fn claim(&self, state: &str) -> bool {
        let mut used = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        used.retain(|_, at| now.duration_since(*at) < IDLE_TIMEOUT * 2);
        match used.entry(state.to_owned()) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_can_be_claimed_once() {
        let used = UsedStates::default();
        assert!(used.claim("s"));
        assert!(!used.claim("s"));
        assert!(used.claim("other"));
    }
}
