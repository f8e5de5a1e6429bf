//! A watch's progress mirrored into Redis, so that with several replicas the
//! progress pages work on whichever replica a visitor's request lands. Only
//! the progress (no secret) and a "the visitor still looks" mark are shared
//! here; the job that another replica can take over, token sealed, is
//! [`super::jobs`].
//!
//! While it holds the token, the watching replica republishes at least every
//! quarter of [`Mirror::fresh_for`] and says in each copy how long it stays
//! fresh. A copy that still says "held" past that was left by a replica that
//! died: it is read as [`Access::Lost`], so other replicas' pages say so and
//! their live streams end, rather than showing "watching" for half an hour.

use std::time::{Duration, SystemTime};

use fred::prelude::*;
use fred::types::Expiration;
use serde::{Deserialize, Serialize};

use super::stage::{Access, Progress};

/// How long a mirrored progress is kept.
const KEEP: Duration = Duration::from_secs(30 * 60);

/// A progress as mirrored: with when it was written and until when it stands.
#[derive(Serialize, Deserialize)]
struct Mirrored {
    progress: Progress,
    /// Milliseconds since the Unix epoch.
    written: u64,
    /// Past this (milliseconds since the Unix epoch) a held token's copy is stale.
    fresh_until: u64,
}

/// The Redis side of the watches.
#[derive(Debug, Clone)]
pub struct Mirror {
    pool: Pool,
    fresh_for: Duration,
}

impl Mirror {
    /// Mirrors into `pool`; a copy stands for `fresh_for` unless written again.
    /// The watching replica must write more often than that, one read of
    /// Linode (its timeout) and one pause between reads included.
    pub fn new(pool: Pool, fresh_for: Duration) -> Self {
        Self { pool, fresh_for }
    }

    /// How long a copy stands without being written again.
    pub fn fresh_for(&self) -> Duration {
        self.fresh_for
    }

    /// How often a watch that holds a token writes its copy again, changed or not.
    pub fn beat_every(&self) -> Duration {
        self.fresh_for / 4
    }

    fn key(id: &str) -> String {
        format!("iol:deploy:{id}")
    }

    /// Publishes a progress; a failure only costs other replicas an update.
    pub fn publish(&self, id: &str, progress: &Progress) {
        let written = unix_millis();
        let fresh_until = written + self.fresh_for.as_millis() as u64;
        let mirrored = Mirrored { progress: progress.clone(), written, fresh_until };
        let Ok(json) = serde_json::to_string(&mirrored) else { return };
        let (pool, key) = (self.pool.clone(), Self::key(id));
        tokio::spawn(async move {
            let set: Result<(), _> =
                pool.set(key, json, Some(Expiration::EX(KEEP.as_secs() as i64)), None, false).await;
            if let Err(error) = set {
                tracing::debug!(%error, "could not mirror a deploy's progress");
            }
        });
    }

    /// The mirrored progress of deploy `id`, if any; a held token's stale
    /// copy reads as [`Access::Lost`].
    pub async fn read(&self, id: &str) -> Option<Progress> {
        let json: Option<String> = self.pool.get(Self::key(id)).await.ok()?;
        let Mirrored { mut progress, written, fresh_until } = serde_json::from_str(&json?).ok()?;
        if progress.access.is_held() && unix_millis() > fresh_until {
            progress.access = Access::Lost { since: written / 1000 };
        }
        Some(progress)
    }

    /// Marks that a visitor looked at deploy `id` through another replica.
    pub async fn seen(&self, id: &str) {
        let now = unix_now().to_string();
        let _: Result<(), _> = self
            .pool
            .set(format!("{}:seen", Self::key(id)), now, Some(Expiration::EX(300)), None, false)
            .await;
    }

    /// Whether a visitor looked at deploy `id` through another replica within `within`.
    pub async fn seen_within(&self, id: &str, within: Duration) -> bool {
        let seen: Option<String> = self.pool.get(format!("{}:seen", Self::key(id))).await.unwrap_or(None);
        seen.and_then(|s| s.parse::<u64>().ok())
            .is_some_and(|at| unix_now().saturating_sub(at) <= within.as_secs())
    }
}

fn unix_millis() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
