//! Watches that outlive their replica: with Redis, every watch is also a job
//! record that any replica can carry on. The replica that watches owns the
//! job through a lease it renews ([`LEASE`]); when its process dies (or
//! hands its jobs over on SIGTERM), the lease lapses or is given up, and
//! another replica, which looks for such jobs every [`SCAN_EVERY`], takes
//! it over and goes on watching, probing and revoking. A dead replica's
//! tokens are thus revoked within about half a minute, not left live for
//! Linode's two hours.
//!
//! The token is in Redis only while a watch holds it, sealed with AEAD
//! (XChaCha20-Poly1305, key derived from `APP_SECRET_KEY` with HKDF under
//! its own label, bound to the deploy's id), and deleted with the record's
//! next write once it is revoked.

use std::time::Duration;

use fred::prelude::*;
use fred::types::Expiration;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::stage::Progress;
use crate::stores::Seal;

/// How long a lease stands unless renewed.
pub const LEASE: Duration = Duration::from_secs(10);
/// How often a replica looks for jobs whose lease lapsed.
pub const SCAN_EVERY: Duration = Duration::from_secs(5);
/// How long a job record is kept at most.
const KEEP: Duration = Duration::from_secs(60 * 60);
/// The set of job ids.
const JOBS: &str = "iol:jobs";

/// The HKDF label of the key that seals held tokens.
pub const TOKEN_SEAL_LABEL: &[u8] = b"install-on-linode/seal/held-token/v1";

// Renews or gives up a lease only while this replica holds it.
const RENEW: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE: &str =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/// A job as Redis keeps it.
#[derive(Serialize, Deserialize)]
struct Record {
    instance_id: u64,
    progress: Progress,
    /// The token, sealed for the deploy's id; none once revoked.
    token: Option<String>,
}

/// A job taken over from Redis.
pub struct Adopted {
    /// Linode's id of the instance.
    pub instance_id: u64,
    /// Its progress as last written.
    pub progress: Progress,
    /// The token, when the watch still held it.
    pub token: Option<SecretString>,
}

/// The jobs every replica shares.
#[derive(Debug, Clone)]
pub struct JobStore {
    pool: Pool,
    seal: Seal,
    replica: String,
}

impl JobStore {
    /// Jobs in `pool`, tokens sealed with `seal`, leases taken as a replica with a new random id.
    pub fn new(pool: Pool, seal: Seal) -> Self {
        Self { pool, seal, replica: crate::random::hex(8) }
    }

    fn job_key(id: &str) -> String {
        format!("iol:job:{id}")
    }

    fn lease_key(id: &str) -> String {
        format!("iol:lease:{id}")
    }

    /// Takes the lease of job `id` if nobody holds it; true when taken.
    pub async fn acquire(&self, id: &str) -> bool {
        let set: Result<Option<String>, _> = self
            .pool
            .set(
                Self::lease_key(id),
                self.replica.as_str(),
                Some(Expiration::PX(LEASE.as_millis() as i64)),
                Some(fred::types::SetOptions::NX),
                false,
            )
            .await;
        matches!(set, Ok(Some(_)))
    }

    /// Renews this replica's lease of job `id`; false when it is no longer
    /// this replica's (another took it over) or Redis did not answer.
    pub async fn renew(&self, id: &str) -> Option<bool> {
        let renewed: Result<i64, _> = self
            .pool
            .next()
            .eval(RENEW, vec![Self::lease_key(id)], vec![self.replica.clone(), LEASE.as_millis().to_string()])
            .await;
        renewed.ok().map(|r| r == 1)
    }

    /// Gives up this replica's lease of job `id`, so another takes it at once.
    pub async fn release(&self, id: &str) {
        let _: Result<i64, _> =
            self.pool.next().eval(RELEASE, vec![Self::lease_key(id)], vec![self.replica.clone()]).await;
    }

    /// Writes job `id`: its progress and, while held, its token, sealed.
    pub async fn save(&self, id: &str, instance_id: u64, progress: &Progress, token: Option<&SecretString>) {
        let record = Record {
            instance_id,
            progress: progress.clone(),
            token: token.map(|t| self.seal.seal(t.expose_secret().as_bytes(), id)),
        };
        let Ok(json) = serde_json::to_string(&record) else { return };
        let saved: Result<(), _> = self
            .pool
            .set(Self::job_key(id), json, Some(Expiration::EX(KEEP.as_secs() as i64)), None, false)
            .await;
        let added: Result<(), _> = self.pool.sadd(JOBS, id).await;
        if let Err(error) = saved.and(added) {
            tracing::warn!(%error, "could not write the job for the other replicas");
        }
    }

    /// Forgets job `id`: done, its token revoked.
    pub async fn finish(&self, id: &str) {
        let _: Result<(), _> = self.pool.del((Self::job_key(id), Self::lease_key(id))).await;
        let _: Result<(), _> = self.pool.srem(JOBS, id).await;
    }

    /// Jobs whose lease lapsed, taken over by this replica.
    pub async fn adopt(&self) -> Vec<(String, Adopted)> {
        let ids: Vec<String> = self.pool.smembers(JOBS).await.unwrap_or_default();
        let mut adopted = Vec::new();
        for id in ids {
            let leased: i64 = self.pool.exists(Self::lease_key(&id)).await.unwrap_or(1);
            if leased > 0 || !self.acquire(&id).await {
                continue;
            }
            let json: Option<String> = self.pool.get(Self::job_key(&id)).await.unwrap_or(None);
            let Some(record) = json.and_then(|j| serde_json::from_str::<Record>(&j).ok()) else {
                // Gone or unreadable: nothing to carry on.
                self.finish(&id).await;
                continue;
            };
            let token = record
                .token
                .and_then(|sealed| self.seal.open(&sealed, &id).ok())
                .and_then(|plain| String::from_utf8(plain).ok())
                .map(SecretString::from);
            adopted.push((id, Adopted { instance_id: record.instance_id, progress: record.progress, token }));
        }
        adopted
    }
}
