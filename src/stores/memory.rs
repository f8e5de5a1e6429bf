//! The in-memory session store: bounded, and rid of expired sessions.
//!
//! tower-sessions' own `MemoryStore` never deletes a session, so a busy
//! server would grow without end. This one deletes expired sessions on a
//! timer ([`MemoryStore::spawn_cleanup`]) and, when full, makes room by
//! dropping expired sessions first and then the ones closest to expiry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::{ExpiredDeletion, SessionStore, session_store};

/// Default bound on live sessions.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Sessions kept in this process's memory.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    records: Arc<Mutex<HashMap<Id, Record>>>,
    capacity: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl MemoryStore {
    /// A store that holds at most `capacity` sessions.
    pub fn with_capacity(capacity: usize) -> Self {
        Self { records: Arc::default(), capacity: capacity.max(1) }
    }

    /// How many sessions are held, expired or not.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the store holds no session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Deletes expired sessions every `period`, for as long as the runtime runs.
    pub fn spawn_cleanup(&self, period: Duration) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(period);
            loop {
                interval.tick().await;
                store.remove_expired();
            }
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Id, Record>> {
        self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn remove_expired(&self) {
        let now = OffsetDateTime::now_utc();
        self.lock().retain(|_, record| record.expiry_date > now);
    }

    fn make_room(records: &mut HashMap<Id, Record>, capacity: usize) {
        if records.len() < capacity {
            return;
        }
        let now = OffsetDateTime::now_utc();
        records.retain(|_, record| record.expiry_date > now);
        while records.len() >= capacity {
            let oldest = records.iter().min_by_key(|(_, r)| r.expiry_date).map(|(id, _)| *id);
            match oldest {
                Some(id) => records.remove(&id),
                None => break,
            };
        }
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut records = self.lock();
        while records.contains_key(&record.id) {
            record.id = Id::default();
        }
        Self::make_room(&mut records, self.capacity);
        records.insert(record.id, record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut records = self.lock();
        if !records.contains_key(&record.id) {
            Self::make_room(&mut records, self.capacity);
        }
        records.insert(record.id, record.clone());
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        Ok(self.lock().get(id).filter(|r| r.expiry_date > now).cloned())
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.lock().remove(id);
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for MemoryStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.remove_expired();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(expires_in: time::Duration) -> Record {
        Record {
            id: Id::default(),
            data: HashMap::new(),
            expiry_date: OffsetDateTime::now_utc() + expires_in,
        }
    }

    #[tokio::test]
    async fn an_expired_session_is_not_loaded_and_is_deleted() {
        let store = MemoryStore::default();
        let mut old = record(time::Duration::seconds(-1));
        let mut live = record(time::Duration::minutes(30));
        store.create(&mut old).await.unwrap();
        store.create(&mut live).await.unwrap();
        assert!(store.load(&old.id).await.unwrap().is_none());
        store.delete_expired().await.unwrap();
        assert_eq!(store.len(), 1);
        assert!(store.load(&live.id).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_full_store_drops_the_session_closest_to_expiry() {
        let store = MemoryStore::with_capacity(2);
        let mut soon = record(time::Duration::minutes(1));
        let mut later = record(time::Duration::minutes(20));
        let mut newest = record(time::Duration::minutes(30));
        for r in [&mut soon, &mut later, &mut newest] {
            store.create(r).await.unwrap();
        }
        assert_eq!(store.len(), 2);
        assert!(store.load(&soon.id).await.unwrap().is_none());
        assert!(store.load(&newest.id).await.unwrap().is_some());
    }
}
