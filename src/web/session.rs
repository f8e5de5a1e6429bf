//! What the app keeps in a visitor's server-side session, behind typed keys.
//!
//! A session holds one [`PendingDeploy`]: the validated choice and the OAuth
//! `state` that must come back on the callback. Taking it out is the only way
//! to deploy, and the claim store makes that "once": two callbacks racing with
//! the same session can both read the pending deploy, but only the first to
//! claim its state goes on
//! ([`crate::stores::Claims`]).

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use crate::form::choice::{Choice, FormValues};

const PENDING_KEY: &str = "pending_deploy";
const USED_STATE_KEY: &str = "used_state";
const DEPLOYS_KEY: &str = "deploys";
/// At most this many deploy ids are remembered per session.
const MAX_DEPLOYS: usize = 20;

/// A deploy waiting for the visitor to come back from the login server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingDeploy {
    /// What to deploy.
    pub choice: Choice,
    /// The form as the visitor filled it, to show again if Linode refuses a value.
    pub form: FormValues,
    /// The OAuth state sent to the login server, 128+ random bits.
    pub state: String,
}

impl PendingDeploy {
    /// A pending deploy with a fresh random state.
    pub fn new(choice: Choice, form: FormValues) -> Self {
        Self { choice, form, state: new_state() }
    }

    /// Whether `state` is this deploy's, compared in constant time.
    pub fn state_matches(&self, state: &str) -> bool {
        same_state(&self.state, state)
    }
}

/// Compares two OAuth states in constant time.
pub fn same_state(expected: &str, given: &str) -> bool {
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

/// 256 random bits from the OS, as 64 hex characters.
fn new_state() -> String {
    crate::random::hex(32)
}

/// Stores the pending deploy, replacing any earlier one.
pub async fn store_pending(
    session: &Session,
    pending: &PendingDeploy,
) -> Result<(), tower_sessions::session::Error> {
    // One JSON string rather than a tree of values: a fraction of the memory
    // per session in the store, and one Redis value.
    let json = serde_json::to_string(pending).map_err(tower_sessions::session::Error::SerdeJson)?;
    session.insert(PENDING_KEY, json).await
}

/// The pending deploy, if the session has one.
pub async fn pending(session: &Session) -> Result<Option<PendingDeploy>, tower_sessions::session::Error> {
    let json: Option<String> = session.get(PENDING_KEY).await?;
    json.map(|j| serde_json::from_str(&j)).transpose().map_err(tower_sessions::session::Error::SerdeJson)
}

/// Removes the pending deploy.
pub async fn clear_pending(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session.remove_value(PENDING_KEY).await.map(|_| ())
}

/// Takes the pending deploy out and remembers its state, so that a replay of
/// the same callback can be told apart from a stray one.
pub async fn consume_pending(
    session: &Session,
    pending: &PendingDeploy,
) -> Result<(), tower_sessions::session::Error> {
    clear_pending(session).await?;
    session.insert(USED_STATE_KEY, &pending.state).await
}

/// Remembers that this session started deploy `id`, so it may watch it.
pub async fn remember_deploy(session: &Session, id: &str) -> Result<(), tower_sessions::session::Error> {
    let mut deploys: Vec<String> = session.get(DEPLOYS_KEY).await?.unwrap_or_default();
    deploys.push(id.to_owned());
    if deploys.len() > MAX_DEPLOYS {
        deploys.remove(0);
    }
    session.insert(DEPLOYS_KEY, deploys).await
}

/// Whether this session started deploy `id`.
pub async fn owns_deploy(session: &Session, id: &str) -> Result<bool, tower_sessions::session::Error> {
    let deploys: Vec<String> = session.get(DEPLOYS_KEY).await?.unwrap_or_default();
    Ok(deploys.iter().any(|d| same_state(d, id)))
}

/// The deploy this session started last, if any.
pub async fn last_deploy(session: &Session) -> Result<Option<String>, tower_sessions::session::Error> {
    let deploys: Vec<String> = session.get(DEPLOYS_KEY).await?.unwrap_or_default();
    Ok(deploys.last().cloned())
}

/// Whether `state` is that of a deploy this session already started.
pub async fn was_used(session: &Session, state: &str) -> Result<bool, tower_sessions::session::Error> {
    let used: Option<String> = session.get(USED_STATE_KEY).await?;
    Ok(used.is_some_and(|used| same_state(&used, state)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> PendingDeploy {
        let choice = Choice {
            type_id: "t".into(),
            region: "r".into(),
            image: "i".into(),
            label: crate::form::label::Label::parse("web").unwrap(),
            authorized_keys: vec![],
            root_pass: None,
            stackscript_data: Default::default(),
            generated: vec![],
        };
        PendingDeploy::new(choice, FormValues::default())
    }

    #[test]
    fn a_state_has_256_bits_and_is_fresh_each_time() {
        let (a, b) = (pending(), pending());
        assert_eq!(a.state.len(), 64);
        assert!(a.state.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.state, b.state);
    }

    #[test]
    fn only_the_exact_state_matches() {
        let pending = pending();
        assert!(pending.state_matches(&pending.state.clone()));
        assert!(!pending.state_matches(""));
        assert!(!pending.state_matches(&pending.state[..63]));
    }
}
