//! Deploy outcomes counted per app and per hour, for the publisher's
//! dashboard: how many deploys started, came back from Linode's consent
//! page, were created, reached their app, and failed where and why; the
//! plans and regions chosen; the time to ready, to the second.
//!
//! Counts only: an event names its app, hour and a fixed word (or a plan or
//! region id the form offered), never a visitor, address, token or label.
//! Kept [`KEEP_HOURS`] in memory (one replica, gone at restart) or in Redis
//! (one hash per app and hour, `HINCRBY`, expiring), where every replica
//! counts into the same hours and the counts outlive a restart. Bounded
//! either way: old hours are dropped, and every field comes from a small set
//! (plans, regions, reasons, and times to ready capped at [`MAX_SECONDS`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use fred::prelude::*;

use super::claims::StoreUnavailable;

/// How many hours of counts are kept: a week and a day.
pub const KEEP_HOURS: u64 = 8 * 24;
/// Times to ready are counted to the second up to this, and at this beyond.
pub const MAX_SECONDS: u64 = 2 * 60 * 60;

/// Something that happened to a deploy, as it is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// The form was accepted and the visitor sent to Linode's consent page.
    Started {
        /// The plan's id.
        plan: &'a str,
        /// The region's id.
        region: &'a str,
    },
    /// The visitor came back with a code (counted in the hour the deploy started).
    Returned,
    /// The visitor declined at the consent page (counted in the hour the deploy started).
    Denied,
    /// Linode created the server.
    Created,
    /// The server reached `running`, for an app without a ready check.
    Running,
    /// The app answered, this long after the create.
    Ready {
        /// Seconds from the create to the first answer.
        seconds: u64,
    },
    /// The deploy failed at this stage for this reason (short fixed words).
    Failed {
        /// Where: `sign_in`, `create`, or the server's stage.
        stage: &'a str,
        /// Why, as the logs and metrics name it.
        reason: &'a str,
    },
}

impl Event<'_> {
    /// The counters this event adds one to.
    fn fields(&self) -> Vec<String> {
        match self {
            Self::Started { plan, region } => {
                vec!["started".into(), format!("plan|{plan}"), format!("region|{region}")]
            }
            Self::Returned => vec!["returned".into()],
            Self::Denied => vec!["denied".into()],
            Self::Created => vec!["created".into()],
            Self::Running => vec!["running".into()],
            Self::Ready { seconds } => vec!["ready".into(), format!("ttr|{}", seconds.min(&MAX_SECONDS))],
            Self::Failed { stage, reason } => vec![format!("failed|{stage}|{reason}")],
        }
    }
}

/// The counts of one app in one hour: counter name to count.
pub type Counts = HashMap<String, u64>;

/// The hour (since the Unix epoch) of a time in seconds since the epoch.
pub fn hour_of(unix_seconds: u64) -> u64 {
    unix_seconds / 3600
}

/// The hour now.
pub fn this_hour() -> u64 {
    hour_of(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs()))
}

/// Where the counts live.
#[derive(Debug, Clone)]
pub enum Tally {
    /// In this process.
    Memory(Arc<Mutex<BTreeMap<(u64, String), Counts>>>),
    /// In Redis, shared by every replica.
    Redis(Pool),
}

impl Tally {
    /// Counts kept in this process's memory.
    pub fn memory() -> Self {
        Self::Memory(Arc::default())
    }

    /// Counts kept in Redis.
    pub fn redis(pool: Pool) -> Self {
        Self::Redis(pool)
    }

    fn key(app: &str, hour: u64) -> String {
        format!("iol:tally:{app}:{hour}")
    }

    /// Counts `event` for `app` in this hour, without waiting for the store.
    pub fn record_now(&self, app: &str, event: Event<'_>) {
        self.record_later(app, this_hour(), event);
    }

    /// Counts `event` for `app` in `hour`, without waiting for the store: in
    /// memory it is done at once; a Redis round trip is not worth a visitor's
    /// wait, so it runs on its own, and a Redis that does not answer loses
    /// the count and says so in the log.
    pub fn record_later(&self, app: &str, hour: u64, event: Event<'_>) {
        match self {
            Self::Memory(hours) => count(hours, app, hour, event.fields()),
            Self::Redis(pool) => {
                let (pool, key, fields) = (pool.clone(), Self::key(app, hour), event.fields());
                tokio::spawn(async move {
                    let pipeline = pool.next().pipeline();
                    let written = async {
                        for field in &fields {
                            let () = pipeline.hincrby(&key, field, 1).await?;
                        }
                        let () = pipeline.expire(&key, (KEEP_HOURS * 3600) as i64, None).await?;
                        pipeline.all::<()>().await
                    };
                    if let Err(error) = written.await {
                        tracing::warn!(%error, "could not count a deploy event in Redis");
                    }
                });
            }
        }
    }

    /// The counts of `app` for the `hours` hours up to and including `now`,
    /// oldest first (hours with nothing counted are empty).
    pub async fn hours(
        &self,
        app: &str,
        now: u64,
        hours: u64,
    ) -> Result<Vec<(u64, Counts)>, StoreUnavailable> {
        let first = now + 1 - hours.min(now + 1);
        match self {
            Self::Memory(kept) => {
                let kept = kept.lock().unwrap_or_else(|p| p.into_inner());
                Ok((first..=now)
                    .map(|h| (h, kept.get(&(h, app.to_owned())).cloned().unwrap_or_default()))
                    .collect())
            }
            Self::Redis(pool) => {
                let pipeline = pool.next().pipeline();
                for h in first..=now {
                    let () = pipeline.hgetall(Self::key(app, h)).await.map_err(unavailable)?;
                }
                let all: Vec<HashMap<String, u64>> = pipeline.all().await.map_err(unavailable)?;
                Ok((first..=now).zip(all).collect())
            }
        }
    }
}

/// Adds one to each of `fields` of `app` in `hour`, dropping hours older than [`KEEP_HOURS`].
fn count(hours: &Mutex<BTreeMap<(u64, String), Counts>>, app: &str, hour: u64, fields: Vec<String>) {
    let mut hours = hours.lock().unwrap_or_else(|p| p.into_inner());
    let oldest = this_hour().saturating_sub(KEEP_HOURS);
    if hour < oldest {
        return;
    }
    while hours.first_key_value().is_some_and(|((h, _), _)| *h < oldest) {
        hours.pop_first();
    }
    let counts = hours.entry((hour, app.to_owned())).or_default();
    for field in fields {
        *counts.entry(field).or_default() += 1;
    }
}

fn unavailable(error: Error) -> StoreUnavailable {
    StoreUnavailable::new(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_are_counted_per_app_and_hour_and_old_hours_are_dropped() {
        let tally = Tally::memory();
        let now = this_hour();
        tally.record_later("blog", now, Event::Started { plan: "g6-nanode-1", region: "us-east" });
        tally.record_later("blog", now, Event::Started { plan: "g6-nanode-1", region: "eu-west" });
        tally.record_later("blog", now - 1, Event::Ready { seconds: 95 });
        tally.record_later("blog", now, Event::Ready { seconds: 1_000_000 });
        tally.record_later("shop", now, Event::Failed { stage: "create", reason: "create_refused" });
        tally.record_later("blog", now - KEEP_HOURS - 1, Event::Created);
        let hours = tally.hours("blog", now, 3).await.unwrap();
        assert_eq!(hours.iter().map(|(h, _)| *h).collect::<Vec<_>>(), [now - 2, now - 1, now]);
        let this = &hours[2].1;
        assert_eq!((this["started"], this["plan|g6-nanode-1"], this["region|eu-west"]), (2, 2, 1));
        assert_eq!(this["ttr|7200"], 1, "times to ready are capped");
        assert_eq!(hours[1].1["ttr|95"], 1);
        assert!(!this.contains_key("failed|create|create_refused"), "another app's counts are its own");
        let old = tally.hours("blog", now - KEEP_HOURS - 1, 1).await.unwrap();
        assert!(old[0].1.is_empty(), "an hour past keeping is not counted");
    }
}
