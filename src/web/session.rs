//! What the app keeps in a visitor's server-side session: [`DeploySession`]
//! owns every key and the steps of a deploy that touch it: begin (the form
//! was posted), take once (the callback), remember (the deploy's id, so this
//! session may watch it).
//!
//! A session holds one [`PendingDeploy`]: the validated choice and the OAuth
//! `state` that must come back on the callback. Taking it out is the only way
//! to deploy, and the claim store ([`crate::stores::Claims`]) makes that
//! "once" across every replica. The choice is kept sealed ([`Seal`], bound to
//! the state), so what the visitor typed, root password and secret field
//! values included, is in the store once, and only as ciphertext; the form
//! is made again from it when it must be shown again
//! ([`FormValues::from_choice`]).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tower_sessions::{Session, session};

use super::error::AppError;
use crate::form::choice::Choice;
#[cfg(doc)]
use crate::form::choice::FormValues;
use crate::stores::{Claims, PendingCap, Seal};
use crate::web::client::ClientKey;

const PENDING_KEY: &str = "pending_deploy";
const USED_STATE_KEY: &str = "used_state";
const DEPLOYS_KEY: &str = "deploys";
const AWAITING_KEY: &str = "awaiting_result";
/// At most this many deploy ids are remembered per session.
const MAX_DEPLOYS: usize = 20;

/// A deploy waiting for the visitor to come back from the login server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingDeploy {
    /// What to deploy.
    pub choice: Choice,
    /// The OAuth state sent to the login server, 128+ random bits.
    pub state: String,
    /// The client that posted the form, whose place in the
    /// [`PendingCap`] this deploy holds under `ticket`.
    pub client: String,
    /// This deploy's place in the cap (random, not the state).
    pub ticket: String,
    /// The slug of the app to deploy.
    pub app: String,
    /// When the form was accepted (seconds since the Unix epoch).
    pub started: u64,
}

impl PendingDeploy {
    /// A pending deploy of app `app` for `client`, with a fresh random state.
    pub fn new(app: &str, choice: Choice, client: ClientKey) -> Self {
        Self {
            choice,
            state: new_state(),
            client: client.to_string(),
            ticket: crate::random::hex(16),
            app: app.to_owned(),
            started: std::time::SystemTime::now()
                .duration_since(std::time::SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    /// Whether `state` is this deploy's, compared in constant time.
    pub fn state_matches(&self, state: &str) -> bool {
        same_state(&self.state, state)
    }
}

/// A pending deploy as the store keeps it: the choice sealed for its state.
#[derive(Serialize, Deserialize)]
struct Stored {
    state: String,
    client: String,
    ticket: String,
    /// [`Choice`] as JSON, sealed with the state as its context.
    choice: String,
    #[serde(default)]
    app: String,
    #[serde(default)]
    started: u64,
}

impl Stored {
    fn state_matches(&self, state: &str) -> bool {
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

/// The visitor's session, typed: the only code that knows its keys. Taken
/// by handlers as an extractor, like `tower_sessions::Session` itself.
#[derive(Debug, Clone)]
pub struct DeploySession(Session, Seal);

impl<S: Send + Sync> FromRequestParts<S> for DeploySession
where
    Seal: FromRef<S>,
{
    type Rejection = <Session as FromRequestParts<S>>::Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        Ok(Self(session, Seal::from_ref(state)))
    }
}

impl DeploySession {
    /// Begins a deploy: a place in the client's [`PendingCap`], a new session
    /// id for the session that now holds a login in progress (no fixation),
    /// the pending deploy stored, replacing any earlier one (whose place is
    /// given back), and saved at once, so a store that is down is a 503 page
    /// here rather than a lost login later.
    pub async fn begin(&self, pending: &PendingDeploy, cap: &PendingCap) -> Result<(), AppError> {
        if !cap.admit(&pending.client, &pending.ticket).await.map_err(|_| AppError::StoreUnavailable)? {
            return Err(AppError::TooManyPending);
        }
        if let Ok(Some(earlier)) = self.pending().await {
            cap.release(&earlier.client, &earlier.ticket).await;
        }
        self.0.cycle_id().await?;
        let choice = serde_json::to_vec(&pending.choice).map_err(session::Error::SerdeJson)?;
        let stored = Stored {
            state: pending.state.clone(),
            client: pending.client.clone(),
            ticket: pending.ticket.clone(),
            choice: self.1.seal(&choice, &pending.state),
            app: pending.app.clone(),
            started: pending.started,
        };
        // One JSON string rather than a tree of values: a fraction of the
        // memory per session in the store, and one Redis value.
        let json = serde_json::to_string(&stored).map_err(session::Error::SerdeJson)?;
        self.0.insert(PENDING_KEY, json).await?;
        self.0.save().await?;
        Ok(())
    }

    /// The login server came back with an error for `state`: the pending
    /// deploy is forgotten, but only if this really is its callback; then
    /// its app's slug and when it started are returned.
    pub async fn abandon(&self, state: &str, cap: &PendingCap) -> Result<Option<(String, u64)>, AppError> {
        let Some(pending) = self.pending().await?.filter(|p| p.state_matches(state)) else {
            return Ok(None);
        };
        self.0.remove_value(PENDING_KEY).await?;
        cap.release(&pending.client, &pending.ticket).await;
        Ok(Some((pending.app, pending.started)))
    }

    /// Takes the pending deploy out, once: it must exist, `state` must be its
    /// own, and `claims` must grant the state to this caller first (two
    /// callbacks racing on one session, or on two replicas, both read the
    /// pending deploy; only one claims it). The session then remembers the
    /// state, so a replay is told apart from a stray callback, and is saved
    /// before anything is sent to Linode.
    pub async fn take(
        &self,
        state: &str,
        claims: &Claims,
        cap: &PendingCap,
    ) -> Result<PendingDeploy, AppError> {
        let pending = match self.pending().await? {
            Some(pending) => pending,
            None if self.was_used(state).await? => {
                return Err(AppError::AlreadyUsed { deploy: self.last_deploy().await? });
            }
            None => return Err(AppError::NoPendingDeploy),
        };
        if !pending.state_matches(state) {
            return Err(AppError::StateMismatch);
        }
        // A choice that does not open (sealed under another APP_SECRET_KEY,
        // or altered in the store) is no deploy, and nothing is claimed.
        let choice = self.1.open(&pending.choice, &pending.state).ok();
        let choice: Choice =
            choice.and_then(|json| serde_json::from_slice(&json).ok()).ok_or(AppError::NoPendingDeploy)?;
        if !claims.claim(&pending.state).await.map_err(|_| AppError::StoreUnavailable)? {
            return Err(AppError::AlreadyUsed { deploy: None });
        }
        self.0.remove_value(PENDING_KEY).await?;
        self.0.insert(USED_STATE_KEY, &pending.state).await?;
        self.0.save().await?;
        cap.release(&pending.client, &pending.ticket).await;
        let Stored { state, client, ticket, app, started, .. } = pending;
        Ok(PendingDeploy { choice, state, client, ticket, app, started })
    }

    /// Remembers that this session started deploy `id`, so it may watch it
    /// (changing nothing when it already does).
    pub async fn remember(&self, id: &str) -> Result<(), AppError> {
        let mut deploys = self.deploys().await?;
        if deploys.iter().any(|d| d == id) {
            return Ok(());
        }
        deploys.push(id.to_owned());
        if deploys.len() > MAX_DEPLOYS {
            deploys.remove(0);
        }
        self.0.insert(DEPLOYS_KEY, deploys).await?;
        Ok(())
    }

    /// The OAuth state of the deploy this session last sent to Linode (its
    /// result is kept under it until the visitor sees it).
    pub async fn last_state(&self) -> Result<Option<String>, AppError> {
        Ok(self.0.get(USED_STATE_KEY).await?)
    }

    /// Notes that this session's last deploy has a result it has not seen
    /// yet, so later visits look for it (and only then).
    pub async fn await_result(&self) -> Result<(), AppError> {
        Ok(self.0.insert(AWAITING_KEY, true).await?)
    }

    /// Whether this session's last deploy has a result it has not seen.
    pub async fn awaiting_result(&self) -> Result<bool, AppError> {
        Ok(self.0.get::<bool>(AWAITING_KEY).await?.unwrap_or(false))
    }

    /// The visitor has seen the result (or there is none left to see).
    pub async fn result_shown(&self) -> Result<(), AppError> {
        self.0.remove_value(AWAITING_KEY).await?;
        Ok(())
    }

    /// Writes the session to the store now, so a store that is down is
    /// known before anything is sent to Linode.
    pub async fn save(&self) -> Result<(), AppError> {
        Ok(self.0.save().await?)
    }

    /// Whether this session started deploy `id`.
    pub async fn owns(&self, id: &str) -> Result<bool, AppError> {
        Ok(self.deploys().await?.iter().any(|d| same_state(d, id)))
    }

    async fn pending(&self) -> Result<Option<Stored>, AppError> {
        let json: Option<String> = self.0.get(PENDING_KEY).await?;
        Ok(json.map(|j| serde_json::from_str(&j)).transpose().map_err(session::Error::SerdeJson)?)
    }

    async fn deploys(&self) -> Result<Vec<String>, AppError> {
        Ok(self.0.get(DEPLOYS_KEY).await?.unwrap_or_default())
    }

    async fn last_deploy(&self) -> Result<Option<String>, AppError> {
        Ok(self.deploys().await?.pop())
    }

    async fn was_used(&self, state: &str) -> Result<bool, AppError> {
        let used: Option<String> = self.0.get(USED_STATE_KEY).await?;
        Ok(used.is_some_and(|used| same_state(&used, state)))
    }
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
            backups: false,
            profile_keys: false,
        };
        PendingDeploy::new("my-app", choice, ClientKey::of([192, 0, 2, 1].into()))
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
