//! The deploy itself, independent of HTTP: exchange the code for a token,
//! check the grant, check that the user may add Linodes, create the instance.
//!
//! A restricted Linode user may lack the "Add Linodes" grant: `GET
//! /profile/grants` (readable with any scope) says so before anything is
//! created. When that read fails, the create goes ahead and Linode decides.
//! With the visitor's keys asked for, `GET /profile` names the user whose
//! keys Linode installs (`authorized_users`); if it cannot be read, nothing
//! is created rather than a server the visitor expected to reach by key.
//!
//! The create call is made once and never retried (a retry after a timeout
//! can bill a second server). On every failure after the token was issued,
//! the token is revoked here; on success it is handed to the caller, who
//! watches the server start ([`watch`]) until it is done with it.
//!
//! # Layout
//! - this file: [`Deployer`], code -> token -> scope check -> instance.
//! - [`stage`]: the state machine after the create: the server's stage and the visitor's access.
//! - [`watch`]: holding the token while the server starts, and when to let go of it.
//! - [`probe`]: whether the app on the new server answers (the ready URL).
//! - [`revoke`]: the one way a token ends.
//! - [`mirror`]: a deploy's progress shared through Redis with the other replicas.
//! - [`jobs`]: with Redis, each watch as a job any replica carries on (leases, takeover).

pub mod jobs;
pub mod mirror;
pub mod probe;
pub mod revoke;
pub mod stage;
pub mod watch;

use secrecy::SecretString;

use crate::form::choice::Choice;
use crate::form::password;
use crate::linode::models::{CreateInstance, Instance};
use crate::linode::{LinodeClient, LinodeError, LoginClient};

/// Makes deploys for one StackScript and application.
#[derive(Debug, Clone)]
pub struct Deployer {
    /// Linode's API.
    pub api: LinodeClient,
    /// Linode's login server.
    pub login: LoginClient,
    /// The StackScript to run.
    pub stackscript_id: u64,
    /// The group new Linodes are put in (the application's name).
    pub group: String,
}

/// A created instance, the password it was given, and the live token.
#[derive(Debug)]
pub struct Deployed {
    /// The instance as Linode returned it.
    pub instance: Instance,
    /// The generated root password, to show once; none when the visitor chose it.
    pub generated_root_pass: Option<SecretString>,
    /// The visitor's token, still live: the caller must see it revoked.
    pub token: SecretString,
}

/// Why a deploy did not happen.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DeployError {
    /// The code was not exchanged for a token.
    #[error("token exchange failed")]
    TokenExchange(#[source] LinodeError),
    /// The visitor granted too little.
    #[error("the grant does not allow creating Linodes")]
    InsufficientScopes {
        /// The granted scopes, comma-joined.
        granted: String,
    },
    /// The user is restricted and may not add Linodes.
    #[error("the Linode user may not add Linodes")]
    NotPermitted,
    /// The profile, for the visitor's own SSH keys, could not be read.
    #[error("the profile could not be read")]
    Profile(#[source] LinodeError),
    /// The create call failed.
    #[error("instance create failed")]
    Create(#[source] LinodeError),
}

impl DeployError {
    /// Where it failed: signing in (the token and its grant) or creating the server.
    pub fn stage(&self) -> &'static str {
        match self {
            Self::TokenExchange(_) | Self::InsufficientScopes { .. } => "sign_in",
            Self::NotPermitted | Self::Profile(_) | Self::Create(_) => "create",
        }
    }

    /// A short, fixed name for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TokenExchange(_) => "token_exchange",
            Self::InsufficientScopes { .. } => "insufficient_scopes",
            Self::NotPermitted => "not_permitted",
            Self::Profile(_) => "profile_unreadable",
            Self::Create(LinodeError::Timeout) => "create_timeout",
            Self::Create(LinodeError::Status { status, .. }) if status.as_u16() == 429 => "rate_limited",
            Self::Create(LinodeError::Status { status, .. }) if status.is_client_error() => "create_refused",
            Self::Create(_) => "create_failed",
        }
    }
}

impl Deployer {
    /// Runs a deploy of `choice` with the authorization `code` from the callback.
    #[tracing::instrument(skip_all, fields(region = %choice.region, type_id = %choice.type_id))]
    pub async fn deploy(&self, choice: &Choice, code: &str) -> Result<Deployed, DeployError> {
        crate::metrics::deploy("started", None);
        let outcome = match self.login.finish_oauth(code).await {
            Err(e) => Err(DeployError::TokenExchange(e)),
            Ok(grant) => match self.create(choice, &grant).await {
                Ok((instance, generated_root_pass)) => {
                    Ok(Deployed { instance, generated_root_pass, token: grant.access_token })
                }
                Err(e) => {
                    revoke::revoke(&self.login, &grant.access_token, stage::Revoked::NotCreated).await;
                    Err(e)
                }
            },
        };
        match &outcome {
            Ok(_) => crate::metrics::deploy("succeeded", None),
            Err(e) => crate::metrics::deploy("failed", Some(e.reason())),
        }
        match &outcome {
            Ok(deployed) => tracing::info!(
                outcome = "created",
                linode_id = deployed.instance.id,
                label = %deployed.instance.label,
                "deploy succeeded"
            ),
            Err(e) => tracing::warn!(
                outcome = "failed",
                reason = e.reason(),
                error = %e,
                cause = ?std::error::Error::source(e).map(ToString::to_string),
                "deploy failed"
            ),
        }
        outcome
    }

    async fn create(
        &self,
        choice: &Choice,
        grant: &crate::linode::TokenGrant,
    ) -> Result<(Instance, Option<SecretString>), DeployError> {
        if !grant.scopes.allows_creating_linodes() {
            return Err(DeployError::InsufficientScopes { granted: grant.scopes.to_string() });
        }
        let token = &grant.access_token;
        match self.api.grants(token).await {
            Ok(Some(grants)) if !grants.global.add_linodes => return Err(DeployError::NotPermitted),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "grants could not be read; Linode will decide on the create")
            }
        }
        let authorized_users = if choice.profile_keys {
            vec![self.api.profile(token).await.map_err(DeployError::Profile)?.username]
        } else {
            Vec::new()
        };
        let (root_pass, generated) = match &choice.root_pass {
            Some(own) => (SecretString::from(own.clone()), None),
            None => {
                let generated = password::generate();
                (generated.clone(), Some(generated))
            }
        };
        let body = CreateInstance {
            type_id: choice.type_id.clone(),
            region: choice.region.clone(),
            image: choice.image.clone(),
            stackscript_id: self.stackscript_id,
            group: self.group.clone(),
            root_pass,
            label: Some(choice.label.to_string()),
            authorized_keys: choice.authorized_keys.clone(),
            stackscript_data: choice.stackscript_data.clone(),
            backups_enabled: choice.backups,
            authorized_users,
        };
        let instance = self.api.create_instance(token, &body).await.map_err(DeployError::Create)?;
        Ok((instance, generated))
    }
}
