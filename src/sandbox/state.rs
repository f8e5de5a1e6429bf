//! The sandbox's memory: OAuth clients, consent requests, codes, tokens,
//! instances and StackScripts. Bounded, so a benchmark can run for hours.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::linode::OAuthScopes;

/// How long a consent page or an authorization code stays good.
pub const CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// How long an access token stays good.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);
/// How long a personal access token stays good: as long as a sandbox runs.
pub const PERSONAL_TOKEN_LIFETIME: Duration = Duration::from_secs(365 * 24 * 60 * 60);
/// How many of each record the sandbox keeps before dropping the oldest.
pub const MAX_RECORDS: usize = 20_000;

/// A registered OAuth client.
#[derive(Debug, Clone)]
pub struct OAuthClientRecord {
    /// Client id.
    pub id: String,
    /// Its secret.
    pub secret: String,
    /// Its label (shown on the consent page).
    pub label: String,
    /// Where codes may be sent.
    pub redirect_uri: String,
    /// Whether it is a public client (no secret needed at the token endpoint).
    pub public: bool,
}

/// A consent page shown and not yet answered.
#[derive(Debug, Clone)]
pub struct ConsentRequest {
    /// The client asking.
    pub client_id: String,
    /// Where to send the answer.
    pub redirect_uri: String,
    /// What it asked for.
    pub scopes: OAuthScopes,
    /// Echoed back.
    pub state: Option<String>,
    /// When it was shown.
    pub at: Instant,
}

/// Who signs in to the simulated account: its owner, or a restricted user
/// who was not granted "Add Linodes" (chosen on the consent page), so the
/// refusal a restricted visitor meets can be tried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SimUser {
    /// The account's unrestricted user.
    #[default]
    Owner,
    /// A restricted user who may not add Linodes.
    Restricted,
}

impl SimUser {
    /// Every user of the simulated account.
    pub const ALL: [Self; 2] = [Self::Owner, Self::Restricted];

    /// The user's name, as `GET /profile` gives it.
    pub fn username(self) -> &'static str {
        match self {
            Self::Owner => "sandbox-user",
            Self::Restricted => "sandbox-restricted",
        }
    }

    /// Whether the user may create Linodes.
    pub fn may_add_linodes(self) -> bool {
        self == Self::Owner
    }
}

/// An authorization code.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    /// The client it was issued to.
    pub client_id: String,
    /// What the visitor granted.
    pub scopes: OAuthScopes,
    /// Who granted it.
    pub user: SimUser,
    /// When.
    pub at: Instant,
    /// Whether it was exchanged already.
    pub used: bool,
}

/// An access token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// What it may do.
    pub scopes: OAuthScopes,
    /// When it stops working.
    pub expires: Instant,
    /// Whether it was revoked.
    pub revoked: bool,
    /// The client it belongs to (none for a personal access token).
    pub client_id: Option<String>,
    /// The user it acts for.
    pub user: SimUser,
}

/// A refresh token: what a new access token made from it may do.
#[derive(Debug, Clone)]
pub struct IssuedRefresh {
    /// The client it was issued to.
    pub client_id: String,
    /// The scopes of the grant.
    pub scopes: OAuthScopes,
    /// The user it acts for.
    pub user: SimUser,
}

/// A simulated instance.
#[derive(Debug, Clone)]
pub struct SimInstance {
    /// The instance as created (status is computed on read).
    pub body: Value,
    /// When it was created.
    pub created: Instant,
    /// Whether its simulated install fails (the demo field `simulate_failure`).
    pub fails_install: bool,
}

impl SimInstance {
    /// Its status now: provisioning, booting, running for `boot_time`; then
    /// its app answers, or (a failing install) the server goes offline.
    pub fn status(&self, boot_time: std::time::Duration) -> &'static str {
        let elapsed = self.created.elapsed();
        if elapsed < boot_time / 2 {
            "provisioning"
        } else if elapsed < boot_time {
            "booting"
        } else if self.fails_install && elapsed >= boot_time * 2 {
            "offline"
        } else {
            "running"
        }
    }

    /// Whether its simulated app answers: a while after it runs, unless its install fails.
    pub fn app_answers(&self, boot_time: std::time::Duration) -> bool {
        !self.fails_install && self.created.elapsed() >= boot_time * 2
    }
}

/// Everything the sandbox remembers.
#[derive(Debug, Default)]
pub struct Records {
    /// OAuth clients by id.
    pub clients: HashMap<String, OAuthClientRecord>,
    /// Consent requests by id.
    pub consents: Expiring<ConsentRequest>,
    /// Codes by value.
    pub codes: Expiring<IssuedCode>,
    /// Tokens by value.
    pub tokens: Expiring<IssuedToken>,
    /// Refresh tokens by value; each works once.
    pub refreshes: Expiring<IssuedRefresh>,
    /// Instances by id.
    pub instances: HashMap<u64, SimInstance>,
    /// Instance ids, oldest first.
    pub instance_order: VecDeque<u64>,
    /// StackScripts by id.
    pub stackscripts: HashMap<u64, Value>,
    /// Next id for instances, clients and StackScripts.
    pub next_id: u64,
}

/// A map that forgets its oldest entries past [`MAX_RECORDS`].
#[derive(Debug)]
pub struct Expiring<T> {
    map: HashMap<String, T>,
    order: VecDeque<String>,
}

impl<T> Default for Expiring<T> {
    fn default() -> Self {
        Self { map: HashMap::new(), order: VecDeque::new() }
    }
}

impl<T> Expiring<T> {
    /// Adds an entry, forgetting the oldest if full.
    pub fn insert(&mut self, key: String, value: T) {
        while self.order.len() >= MAX_RECORDS {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
        self.order.push_back(key.clone());
        self.map.insert(key, value);
    }

    /// Every entry.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.map.values()
    }

    /// The entry for `key`.
    pub fn get(&self, key: &str) -> Option<&T> {
        self.map.get(key)
    }

    /// The entry for `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut T> {
        self.map.get_mut(key)
    }

    /// Takes the entry for `key` out.
    pub fn remove(&mut self, key: &str) -> Option<T> {
        self.map.remove(key)
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The sandbox, shared by its handlers.
#[derive(Debug)]
pub struct SandboxState {
    records: Mutex<Records>,
    boot_millis: std::sync::atomic::AtomicU64,
}

impl SandboxState {
    /// A sandbox with one registered client and the demo StackScript.
    pub fn new(client: OAuthClientRecord, stackscript_id: u64) -> Self {
        let mut records = Records { next_id: 1000, ..Default::default() };
        records.clients.insert(client.id.clone(), client);
        records.stackscripts.insert(stackscript_id, super::data::demo_stackscript(stackscript_id));
        Self { records: Mutex::new(records), boot_millis: std::sync::atomic::AtomicU64::new(6_000) }
    }

    /// Serves `script` as the StackScript with this id, replacing what was there.
    pub fn set_stackscript(&self, id: u64, script: Value) {
        self.records().stackscripts.insert(id, script);
    }

    /// How long an instance takes from provisioning to running (half of it booting).
    pub fn boot_time(&self) -> Duration {
        Duration::from_millis(self.boot_millis.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Changes how long instances take to boot (tests make it short).
    pub fn set_boot_time(&self, boot_time: Duration) {
        self.boot_millis.store(boot_time.as_millis() as u64, std::sync::atomic::Ordering::Relaxed);
    }

    /// The OAuth client registered for the app itself.
    pub fn registered_client(&self, id: &str) -> Option<OAuthClientRecord> {
        self.records().clients.get(id).cloned()
    }

    /// How many tokens the login server issued are still live (neither
    /// revoked nor expired); personal access tokens are not counted.
    pub fn live_tokens(&self) -> usize {
        let records = self.records();
        records
            .tokens
            .values()
            .filter(|t| t.client_id.is_some() && !t.revoked && Instant::now() < t.expires)
            .count()
    }

    /// How many instances were created.
    pub fn instance_count(&self) -> usize {
        self.records().instances.len()
    }

    /// The create bodies' instances, newest last.
    pub fn instances(&self) -> Vec<Value> {
        let records = self.records();
        records
            .instance_order
            .iter()
            .filter_map(|id| records.instances.get(id))
            .map(|i| i.body.clone())
            .collect()
    }

    /// Locks the records.
    pub fn records(&self) -> MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Issues a personal access token with `scopes` (for the set-up commands and tests).
    pub fn issue_personal_token(&self, scopes: OAuthScopes) -> String {
        self.keep_personal_token(random_token(), scopes)
    }

    /// Keeps `token` as a personal access token of the account's owner
    /// with `scopes`, for as long as the sandbox runs; returns it.
    pub fn keep_personal_token(&self, token: String, scopes: OAuthScopes) -> String {
        let record = IssuedToken {
            scopes,
            expires: Instant::now() + TOKEN_LIFETIME,
            revoked: false,
            client_id: None,
            user: SimUser::Owner,
        };
        self.records().tokens.insert(token.clone(), record);
        token
    }

    /// The scopes of a live token, or why it is not live.
    pub fn token_scopes(&self, token: &str) -> Option<OAuthScopes> {
        self.live_token(token).map(|t| t.scopes)
    }

    /// A token's record, while it is live.
    pub fn live_token(&self, token: &str) -> Option<IssuedToken> {
        let records = self.records();
        let record = records.tokens.get(token)?;
        (!record.revoked && Instant::now() < record.expires).then(|| record.clone())
    }
}

/// 32 random bytes as 64 hex characters.
pub fn random_token() -> String {
    crate::random::hex(32)
}
