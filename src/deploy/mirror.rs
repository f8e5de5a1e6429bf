//! A watch's progress mirrored into Redis, so that with several replicas the
//! progress pages work on whichever replica a visitor's request lands. The
//! token itself never leaves the replica that watches; only the progress (no
//! secret) and a "the visitor still looks" mark are shared.

use std::time::{Duration, SystemTime};

use fred::prelude::*;
use fred::types::Expiration;

use super::stage::Progress;

/// How long a mirrored progress is kept.
const KEEP: Duration = Duration::from_secs(30 * 60);

/// The Redis side of the watches.
#[derive(Debug, Clone)]
pub struct Mirror(Pool);

impl Mirror {
    /// Mirrors into `pool`.
    pub fn new(pool: Pool) -> Self {
        Self(pool)
    }

    fn key(id: &str) -> String {
        format!("iol:deploy:{id}")
    }

    /// Publishes a progress; a failure only costs other replicas an update.
    pub fn publish(&self, id: &str, progress: &Progress) {
        let Ok(json) = serde_json::to_string(progress) else { return };
        let (pool, key) = (self.0.clone(), Self::key(id));
        tokio::spawn(async move {
            let set: Result<(), _> =
                pool.set(key, json, Some(Expiration::EX(KEEP.as_secs() as i64)), None, false).await;
            if let Err(error) = set {
                tracing::debug!(%error, "could not mirror a deploy's progress");
            }
        });
    }

    /// The mirrored progress of deploy `id`, if any.
    pub async fn read(&self, id: &str) -> Option<Progress> {
        let json: Option<String> = self.0.get(Self::key(id)).await.ok()?;
        serde_json::from_str(&json?).ok()
    }

    /// Marks that a visitor looked at deploy `id` through another replica.
    pub async fn seen(&self, id: &str) {
        let now = unix_now().to_string();
        let _: Result<(), _> =
            self.0.set(format!("{}:seen", Self::key(id)), now, Some(Expiration::EX(300)), None, false).await;
    }

    /// Whether a visitor looked at deploy `id` through another replica within `within`.
    pub async fn seen_within(&self, id: &str, within: Duration) -> bool {
        let seen: Option<String> = self.0.get(format!("{}:seen", Self::key(id))).await.unwrap_or(None);
        seen.and_then(|s| s.parse::<u64>().ok())
            .is_some_and(|at| unix_now().saturating_sub(at) <= within.as_secs())
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
