//! A deploy after the create, as one state machine: the [`Stage`] the new
//! server is at, and the visitor's [`Access`], which is either held (until
//! when) or revoked (why, when), never both.
//!
//! Every transition is a method of [`Progress`] in this file: the watch
//! ([`super::watch`]) decides *when* (a read of the instance, a timer, a
//! shutdown) and calls them; the pages and the Redis mirror render the
//! type as it is rather than re-deriving it.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::linode::models::Instance;

/// Where the new server is: as Linode reports it, then (with a ready URL)
/// whether its app answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Linode is setting the server up (`provisioning`).
    Provisioning,
    /// It is starting (`booting`).
    Booting,
    /// It runs (`running`); without a ready URL, the deploy is done.
    Running,
    /// It runs and the StackScript is installing: the app does not answer yet.
    Installing,
    /// The app answers.
    Ready,
    /// The deploy failed, for this reason.
    Failed(Failure),
    /// The visitor had the failed server deleted.
    Deleted,
    /// Any other status Linode reports (`offline`, `rebooting`, …), as Linode spells it.
    Other(String),
}

/// Why a deploy failed after the server was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// The server stopped (Linode's status, such as `offline`) while installing.
    Stopped(String),
    /// The app did not answer within the bound.
    NoAnswer,
    /// The ready check cannot probe this server (why).
    Unprobeable(String),
}

impl Failure {
    /// A short, fixed name for logs, metrics and the dashboard.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Stopped(_) => "stopped",
            Self::NoAnswer => "no_answer",
            Self::Unprobeable(_) => "unprobeable",
        }
    }

    /// The reason in plain words.
    pub fn sentence(&self) -> String {
        match self {
            Self::Stopped(status) => format!(
                "The server stopped while its software was installing (Linode says it is {status}): \
                 the install script most likely failed."
            ),
            Self::NoAnswer => "The app did not answer in time: its install most likely failed.".into(),
            Self::Unprobeable(why) => format!("Whether the app answers cannot be checked: {why}."),
        }
    }
}

impl Stage {
    /// The stage for Linode's `status` of an instance.
    pub fn from_linode(status: &str) -> Self {
        match status {
            "provisioning" => Self::Provisioning,
            "booting" => Self::Booting,
            "running" => Self::Running,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Its word, as the pages show it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Provisioning => "provisioning",
            Self::Booting => "booting",
            Self::Running => "running",
            Self::Installing => "installing",
            Self::Ready => "ready",
            Self::Failed(_) => "failed",
            Self::Deleted => "deleted",
            Self::Other(status) => status,
        }
    }

    /// Whether nothing more will happen to it.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Ready | Self::Failed(_) | Self::Deleted)
    }
}

/// Why the app gave up the visitor's access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Revoked {
    /// The deploy failed after the token was issued; nothing is watched.
    NotCreated,
    /// The server runs.
    Running,
    /// The app answers.
    Ready,
    /// The visitor had the failed server deleted.
    Deleted,
    /// The 10-minute bound passed.
    TimeLimit,
    /// Nobody watched any more.
    VisitorLeft,
    /// The app shut down.
    Shutdown,
    /// Linode no longer accepted the token.
    TokenRejected,
    /// This service was already watching as many servers as it can.
    Busy,
}

impl Revoked {
    /// The sentence the page shows.
    pub fn sentence(self) -> &'static str {
        match self {
            Self::NotCreated => "Nothing was created, so access to your Linode account has been revoked.",
            Self::Running => "The server is running. Access to your Linode account has been revoked.",
            Self::Ready => "Your app answers. Access to your Linode account has been revoked.",
            Self::Deleted => "The server was deleted. Access to your Linode account has been revoked.",
            Self::TimeLimit => {
                "Ten minutes passed, so access to your Linode account has been revoked. \
                 Follow the server in Cloud Manager."
            }
            Self::VisitorLeft => {
                "You left the page, so access to your Linode account has been revoked. \
                 Follow the server in Cloud Manager."
            }
            Self::Shutdown => {
                "This service restarted, so access to your Linode account has been revoked. \
                 Follow the server in Cloud Manager."
            }
            Self::TokenRejected => "Linode ended the access. Follow the server in Cloud Manager.",
            Self::Busy => {
                "This service is watching as many new servers as it can right now, so access to your \
                 Linode account was revoked at once. Your server was created: follow it in Cloud Manager."
            }
        }
    }
}

/// The visitor's access to their account, as this app has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "access")]
pub enum Access {
    /// The app holds the token, at the latest until this Unix time.
    Held {
        /// Seconds since the Unix epoch.
        until: u64,
    },
    /// The token was revoked.
    Revoked {
        /// Why.
        reason: Revoked,
        /// When, in seconds since the Unix epoch.
        at: u64,
    },
    /// The replica that held the token stopped without a word (killed, its
    /// machine lost): nobody can revoke the token now, and it ends on its own
    /// when Linode's lifetime for it does. Seen only through the mirror.
    Lost {
        /// When that replica was last heard from, in seconds since the Unix epoch.
        since: u64,
    },
}

impl Access {
    /// Whether the app still holds the token.
    pub fn is_held(&self) -> bool {
        matches!(self, Self::Held { .. })
    }

    /// Why the token was revoked, once it was.
    pub fn revoked(&self) -> Option<Revoked> {
        match self {
            Self::Held { .. } | Self::Lost { .. } => None,
            Self::Revoked { reason, .. } => Some(*reason),
        }
    }

    /// The sentence the pages show once access was given up, with the time.
    pub fn note(&self) -> Option<String> {
        match self {
            Self::Held { .. } => None,
            Self::Revoked { reason, at } => {
                Some(format!("{} Revoked at {} UTC.", reason.sentence(), clock_time(*at)))
            }
            Self::Lost { since } => Some(format!(
                "The part of this service that was watching your server stopped at {} UTC, so nothing \
                 watches it now. Its access to your Linode account ends on its own within two hours of \
                 your sign-in. Follow the server in Cloud Manager.",
                clock_time(*since)
            )),
        }
    }
}

/// What a visitor sees of a deploy: no secret, so replicas may share it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The Linode's label.
    pub label: String,
    /// Its first public IPv4 address.
    pub ip: Option<String>,
    /// Who signs in over SSH: the sudo user a Marketplace-style script
    /// creates, or root when none.
    #[serde(default)]
    pub ssh_user: Option<String>,
    /// Where it is.
    pub stage: Stage,
    /// When the instance was created (seconds since the Unix epoch).
    pub created_at: u64,
    /// The visitor's access.
    pub access: Access,
    /// Linode's id of the instance (for deleting it, and Cloud Manager's link).
    #[serde(default)]
    pub instance_id: u64,
    /// Whether the deploy goes on to check that the app answers.
    #[serde(default)]
    pub checks_app: bool,
    /// Where the app opens, once it answers.
    #[serde(default)]
    pub open_url: Option<String>,
    /// When the app first answered (seconds since the Unix epoch).
    #[serde(default)]
    pub ready_at: Option<u64>,
    /// The slug of the app deployed (empty: the service's only app).
    #[serde(default)]
    pub app: String,
}

impl Progress {
    /// A server just created, its token held for at most `hold_for`.
    pub fn created(instance: &Instance, ssh_user: Option<String>, hold_for: Duration) -> Self {
        let now = unix_now();
        Self {
            label: instance.label.clone(),
            ip: instance.ipv4.first().cloned(),
            ssh_user,
            stage: Stage::from_linode(&instance.status),
            created_at: now,
            access: Access::Held { until: now + hold_for.as_secs() },
            instance_id: instance.id,
            checks_app: false,
            open_url: None,
            ready_at: None,
            app: String::new(),
        }
    }

    /// The same, going on to check that the app answers.
    pub fn checking_app(mut self) -> Self {
        self.checks_app = true;
        self
    }

    /// The app answers, and opens at `open_url`.
    pub fn ready(&mut self, open_url: String) {
        if !self.stage.is_final() {
            self.stage = Stage::Ready;
            self.open_url = Some(open_url);
            self.ready_at = Some(unix_now());
        }
    }

    /// The deploy failed after the create.
    pub fn fail(&mut self, failure: Failure) {
        if !self.stage.is_final() {
            self.stage = Stage::Failed(failure);
        }
    }

    /// The visitor had the failed server deleted.
    pub fn deleted(&mut self) {
        self.stage = Stage::Deleted;
    }

    /// Whether the visitor may have the server deleted here: it failed and
    /// the app still holds the access that deleting it takes.
    pub fn can_delete(&self) -> bool {
        matches!(self.stage, Stage::Failed(_)) && self.access.is_held()
    }

    /// Whether anything may still change: the app holds the token, or it
    /// still checks whether the app answers (which needs no token).
    pub fn is_live(&self) -> bool {
        match self.access {
            Access::Held { .. } => true,
            Access::Lost { .. } => false,
            Access::Revoked { .. } => self.checks_app && !self.stage.is_final(),
        }
    }

    /// What the stage means, in one sentence for the visitor.
    pub fn stage_sentence(&self) -> String {
        match &self.stage {
            Stage::Provisioning => "Linode is setting up your server.".into(),
            Stage::Booting => "Your server is starting.".into(),
            Stage::Running if self.checks_app => "Your server runs; its software is being installed.".into(),
            Stage::Running => "Your server is running.".into(),
            Stage::Installing => {
                "Your server runs; its software is being installed. This can take several minutes.".into()
            }
            Stage::Ready => "Your app is up.".into(),
            Stage::Failed(failure) => failure.sentence(),
            Stage::Deleted => "The server was deleted. Linode bills the time it ran.".into(),
            Stage::Other(status) => format!("Linode says the server is {status}."),
        }
    }

    /// Seconds from the create to the app answering, once it did.
    pub fn seconds_to_ready(&self) -> Option<u64> {
        self.ready_at.map(|at| at.saturating_sub(self.created_at))
    }

    /// The SSH command that signs in: `ssh USER@IP`, once there is an address.
    pub fn ssh_command(&self) -> Option<String> {
        let user = self.ssh_user.as_deref().unwrap_or("root");
        self.ip.as_ref().map(|ip| format!("ssh {user}@{ip}"))
    }

    /// Takes in a fresh read of the instance; true when anything shown changed.
    /// With the app checked, a running server is `installing` until the app
    /// answers, and one that stops while installing has failed.
    pub fn observe(&mut self, instance: &Instance) -> bool {
        let before = (self.stage.clone(), self.ip.clone());
        self.ip = instance.ipv4.first().cloned().or_else(|| self.ip.clone());
        let reported = Stage::from_linode(&instance.status);
        self.stage = match (&self.stage, reported) {
            (stage, _) if stage.is_final() => stage.clone(),
            (_, Stage::Running) if self.checks_app => Stage::Installing,
            // Stopped once it had booted: its install failed, even when the
            // stop came before a read saw it run (a short boot between two reads).
            (Stage::Installing | Stage::Booting, Stage::Other(status))
                if self.checks_app && matches!(status.as_str(), "offline" | "stopped" | "shutting_down") =>
            {
                Stage::Failed(Failure::Stopped(status))
            }
            (Stage::Installing, Stage::Other(_)) => Stage::Installing,
            (_, reported) => reported,
        };
        (self.stage.clone(), self.ip.clone()) != before
    }

    /// Whether the deploy is done with the token: its server runs (without
    /// an app check) or its app answers.
    pub fn done_with_token(&self) -> Option<Revoked> {
        match self.stage {
            Stage::Running if !self.checks_app => Some(Revoked::Running),
            Stage::Ready => Some(Revoked::Ready),
            Stage::Deleted => Some(Revoked::Deleted),
            _ => None,
        }
    }

    /// Records that the token was revoked for `reason`; the first reason stays.
    pub fn revoke(&mut self, reason: Revoked) {
        if self.access.is_held() {
            self.access = Access::Revoked { reason, at: unix_now() };
        }
    }

    /// Seconds since the instance was created.
    pub fn elapsed_secs(&self) -> u64 {
        unix_now().saturating_sub(self.created_at)
    }
}

/// `HH:MM:SS` of a Unix time, in UTC.
fn clock_time(unix: u64) -> String {
    let seconds = unix % 86_400;
    format!("{:02}:{:02}:{:02}", seconds / 3600, seconds % 3600 / 60, seconds % 60)
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(status: &str, ipv4: &[&str]) -> Instance {
        serde_json::from_value(serde_json::json!({
            "id": 1, "label": "web", "status": status, "ipv4": ipv4
        }))
        .unwrap()
    }

    #[test]
    fn a_new_deploy_holds_access_until_its_bound() {
        let progress = Progress::created(&instance("provisioning", &[]), None, Duration::from_secs(600));
        assert_eq!(progress.stage, Stage::Provisioning);
        let Access::Held { until } = progress.access else { panic!("held") };
        assert!(until >= progress.created_at + 600);
        assert_eq!(progress.access.note(), None);
    }

    #[test]
    fn only_a_running_server_is_done_with_the_token() {
        let mut progress = Progress::created(&instance("provisioning", &[]), None, Duration::from_secs(600));
        assert_eq!(progress.done_with_token(), None);
        assert!(progress.observe(&instance("booting", &["192.0.2.1"])));
        assert_eq!((progress.done_with_token(), progress.ip.as_deref()), (None, Some("192.0.2.1")));
        assert!(!progress.observe(&instance("booting", &[])), "a missing address keeps the known one");
        assert!(progress.observe(&instance("running", &[])));
        assert_eq!(progress.done_with_token(), Some(Revoked::Running));
    }

    #[test]
    fn with_an_app_check_a_running_server_installs_until_its_app_answers() {
        let mut progress =
            Progress::created(&instance("booting", &["192.0.2.1"]), None, Duration::from_secs(600))
                .checking_app();
        assert!(progress.observe(&instance("running", &[])));
        assert_eq!((progress.stage.as_str(), progress.done_with_token()), ("installing", None));
        progress.ready("http://192.0.2.1/".into());
        assert_eq!(progress.done_with_token(), Some(Revoked::Ready));
        assert!(progress.seconds_to_ready().is_some());
        assert!(!progress.observe(&instance("offline", &[])), "a final stage stays");
    }

    #[test]
    fn a_server_that_stops_while_installing_has_failed_and_may_be_deleted() {
        let mut progress =
            Progress::created(&instance("running", &[]), None, Duration::from_secs(600)).checking_app();
        progress.observe(&instance("running", &[]));
        assert!(progress.observe(&instance("offline", &[])));
        assert_eq!(progress.stage, Stage::Failed(Failure::Stopped("offline".into())));
        assert!(progress.can_delete() && progress.done_with_token().is_none(), "held for the delete");
        progress.revoke(Revoked::VisitorLeft);
        assert!(!progress.can_delete(), "without access, Cloud Manager deletes it");
    }

    #[test]
    fn a_server_that_stops_after_booting_unseen_running_has_failed_too() {
        let booting = || Progress::created(&instance("booting", &[]), None, Duration::from_secs(600));
        let mut checked = booting().checking_app();
        assert!(checked.observe(&instance("offline", &[])));
        assert_eq!(checked.stage, Stage::Failed(Failure::Stopped("offline".into())));
        let mut unchecked = booting();
        unchecked.observe(&instance("offline", &[]));
        assert_eq!(
            unchecked.stage,
            Stage::Other("offline".into()),
            "without an app check, Linode's word stands"
        );
        let mut provisioning =
            Progress::created(&instance("provisioning", &[]), None, Duration::from_secs(600)).checking_app();
        provisioning.observe(&instance("offline", &[]));
        assert!(!provisioning.stage.is_final(), "before it boots, offline is no failure");
    }

    #[test]
    fn access_is_revoked_once_and_keeps_its_first_reason() {
        let mut progress = Progress::created(&instance("booting", &[]), None, Duration::from_secs(600));
        progress.revoke(Revoked::VisitorLeft);
        progress.revoke(Revoked::Shutdown);
        assert_eq!(progress.access.revoked(), Some(Revoked::VisitorLeft));
        assert!(!progress.access.is_held());
        let note = progress.access.note().unwrap();
        assert!(note.starts_with("You left the page") && note.ends_with("UTC."), "{note}");
    }

    #[test]
    fn linode_statuses_the_app_does_not_name_are_kept_as_spelled() {
        assert_eq!(Stage::from_linode("offline"), Stage::Other("offline".into()));
        assert_eq!(Stage::from_linode("offline").as_str(), "offline");
        assert_eq!(Stage::from_linode("running").as_str(), "running");
    }
}
