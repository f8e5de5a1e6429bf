//! What replicas share: the visitors' sessions and the once-only claim on an
//! OAuth state (with what a session keeps sealed, [`seal`]), deploy results
//! not yet shown ([`outcomes`]) and the outcomes counted for the dashboard
//! ([`tally`]). In memory for one replica (the default), or in Redis so that
//! any number of replicas behind a load balancer serve one visitor's flow.
//!
//! Redis is reached through `fred` (the client `tower-sessions-redis-store`
//! builds on), set to fail fast: while Redis is down, a request that needs it
//! gets a 503 page at once instead of waiting, and the pool reconnects on its
//! own, so the next visitor after Redis returns succeeds.

use std::time::Duration;

use fred::prelude::*;
use tower_sessions_redis_store::RedisStore;

use crate::settings::SessionStoreSetting;

pub mod claims;
pub mod outcomes;
pub mod pending;
pub mod seal;
pub mod sessions;
pub mod tally;

pub use claims::{Claims, StoreUnavailable};
pub use outcomes::Outcomes;
pub use pending::PendingCap;
pub use seal::Seal;
pub use sessions::Sessions;
pub use tally::Tally;

/// How long a session lives without activity.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The shared stores, connected.
#[derive(Debug, Clone)]
pub struct Shared {
    /// Sessions.
    pub sessions: Sessions,
    /// The Redis pool, when there is one.
    pub redis: Option<Pool>,
}

impl Shared {
    /// Connects to what `setting` names. Redis connects in the background: a
    /// Redis that is not up yet makes the app unready, not dead.
    pub fn connect(setting: &SessionStoreSetting) -> Result<(Self, Claims), String> {
        match setting {
            SessionStoreSetting::Memory => {
                Ok((Self { sessions: Sessions::memory(), redis: None }, Claims::memory()))
            }
            SessionStoreSetting::Redis(url) => {
                let config =
                    Config::from_url(url).map_err(|e| format!("APP_SESSION_STORE is invalid: {e}"))?;
                let pool = Builder::from_config(config)
                    .with_connection_config(|c| {
                        c.connection_timeout = Duration::from_secs(2);
                        c.internal_command_timeout = Duration::from_secs(2);
                        c.max_command_attempts = 1;
                    })
                    .with_performance_config(|p| p.default_command_timeout = Duration::from_secs(2))
                    .set_policy(ReconnectPolicy::new_constant(0, 500))
                    .build_pool(4)
                    .map_err(|e| format!("APP_SESSION_STORE could not be used: {e}"))?;
                pool.connect();
                let waiting = pool.clone();
                tokio::spawn(async move {
                    if tokio::time::timeout(Duration::from_secs(5), waiting.wait_for_connect()).await.is_err()
                    {
                        tracing::warn!("Redis is not reachable yet; visitors get a 503 page until it is");
                    }
                });
                let shared = Self {
                    sessions: Sessions::Redis(RedisStore::new(pool.clone())),
                    redis: Some(pool.clone()),
                };
                Ok((shared, Claims::Redis(pool)))
            }
        }
    }

    /// Whether the session store answers now.
    pub async fn ready(&self) -> bool {
        match &self.redis {
            None => true,
            Some(pool) => {
                let ping = pool.ping::<String>(None);
                matches!(tokio::time::timeout(Duration::from_secs(2), ping).await, Ok(Ok(_)))
            }
        }
    }
}
