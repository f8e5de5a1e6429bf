//! How many deploys each client has waiting on Linode's login, so one client
//! cannot fill the session store with pending deploys by posting the form
//! from ever new sessions.
//!
//! Each pending deploy holds a ticket under its client's key until it is
//! taken by its callback, abandoned, replaced, or its session expires
//! ([`IDLE_TIMEOUT`]). In this process the tickets live in a bounded `moka`
//! cache; with Redis, in one sorted set per client (score: when the ticket
//! lapses), admitted by one script so two replicas never both take the last
//! place.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fred::prelude::*;
use moka::sync::Cache;

use super::{IDLE_TIMEOUT, StoreUnavailable};

/// At most this many clients are tracked in memory.
const MEMORY_CAPACITY: u64 = 100_000;

/// Drops lapsed tickets, then admits `ARGV[4]` if fewer than `ARGV[3]` are left.
const ADMIT: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
";

/// The cap on pending deploys per client.
#[derive(Debug, Clone)]
pub struct PendingCap {
    cap: u32,
    tickets: Tickets,
}

/// One client's tickets in memory, each with when it was admitted.
type Held = Arc<Mutex<Vec<(String, Instant)>>>;

#[derive(Debug, Clone)]
enum Tickets {
    Memory(Cache<String, Held>),
    Redis(Pool),
}

impl PendingCap {
    /// At most `cap` pending deploys per client (0: no cap), counted in
    /// Redis when there is one.
    pub fn new(cap: u32, redis: Option<Pool>) -> Self {
        let tickets = match redis {
            Some(pool) => Tickets::Redis(pool),
            None => Tickets::Memory(
                Cache::builder().max_capacity(MEMORY_CAPACITY).time_to_idle(IDLE_TIMEOUT).build(),
            ),
        };
        Self { cap, tickets }
    }

    /// Admits `ticket` for `client`; false when the client already has `cap`.
    pub async fn admit(&self, client: &str, ticket: &str) -> Result<bool, StoreUnavailable> {
        if self.cap == 0 {
            return Ok(true);
        }
        match &self.tickets {
            Tickets::Memory(cache) => {
                let entry = cache.get_with(client.to_owned(), Arc::default);
                let mut held = entry.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let now = Instant::now();
                held.retain(|(_, since)| now.duration_since(*since) < IDLE_TIMEOUT);
                if held.len() >= self.cap as usize {
                    return Ok(false);
                }
                held.push((ticket.to_owned(), now));
                Ok(true)
            }
            Tickets::Redis(pool) => {
                let now = unix_millis(SystemTime::now());
                let lapses = now + IDLE_TIMEOUT.as_millis() as i64;
                let args = vec![
                    now.to_string(),
                    lapses.to_string(),
                    self.cap.to_string(),
                    ticket.to_owned(),
                    IDLE_TIMEOUT.as_millis().to_string(),
                ];
                let admitted: i64 = pool
                    .eval(ADMIT, vec![key(client)], args)
                    .await
                    .map_err(|e| StoreUnavailable::new(e.to_string()))?;
                Ok(admitted == 1)
            }
        }
    }

    /// Gives `ticket`'s place back. A store that does not answer only means
    /// the place comes back when the ticket lapses.
    pub async fn release(&self, client: &str, ticket: &str) {
        if self.cap == 0 {
            return;
        }
        match &self.tickets {
            Tickets::Memory(cache) => {
                if let Some(entry) = cache.get(client) {
                    entry
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .retain(|(t, _)| t != ticket);
                }
            }
            Tickets::Redis(pool) => {
                let removed: Result<i64, _> = pool.zrem(key(client), ticket).await;
                if let Err(error) = removed {
                    tracing::debug!(%error, "a pending deploy's place lapses on its own");
                }
            }
        }
    }
}

fn key(client: &str) -> String {
    format!("iol:pending:{client}")
}

fn unix_millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_millis() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_client_gets_cap_places_and_a_released_one_comes_back() {
        let cap = PendingCap::new(2, None);
        assert!(cap.admit("192.0.2.1", "a").await.unwrap());
        assert!(cap.admit("192.0.2.1", "b").await.unwrap());
        assert!(!cap.admit("192.0.2.1", "c").await.unwrap(), "the third waits");
        assert!(cap.admit("192.0.2.2", "d").await.unwrap(), "another client does not");
        cap.release("192.0.2.1", "a").await;
        assert!(cap.admit("192.0.2.1", "c").await.unwrap());
    }

    #[tokio::test]
    async fn zero_is_no_cap() {
        let cap = PendingCap::new(0, None);
        for ticket in 0..100 {
            assert!(cap.admit("192.0.2.1", &ticket.to_string()).await.unwrap());
        }
    }
}
