//! The one error type at the HTTP edge.
//!
//! Each variant maps to a status and to words a visitor can act on. Turning
//! an [`AppError`] into a response logs its cause chain and attaches an
//! [`ErrorPage`]; the `error_pages` middleware renders that into
//! `error.html` with the application's name. Linode's own reasons are shown,
//! HTML-escaped; raw bodies and internals never are.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::linode::LinodeError;

/// Everything that ends a request with the error page.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Plans, regions or the StackScript could not be read and none are cached.
    #[error("the catalog could not be fetched")]
    CatalogUnavailable(#[source] LinodeError),
    /// A form post from another site.
    #[error("cross-site form post refused")]
    CrossSite,
    /// The login server came back with an error (the visitor said no).
    #[error("the login server returned an error")]
    LoginDenied,
    /// A callback without a code.
    #[error("callback without a code")]
    MissingCode,
    /// A callback with no deploy waiting in the session.
    #[error("callback without a pending deploy")]
    NoPendingDeploy,
    /// A callback whose state is not the session's.
    #[error("callback state does not match the session")]
    StateMismatch,
    /// A second callback for a deploy that has already started.
    #[error("callback for a deploy already started")]
    AlreadyUsed {
        /// The deploy's id, when this session knows it.
        deploy: Option<String>,
    },
    /// The visitor granted less than `linodes:read_write`.
    #[error("granted scopes {granted:?} do not allow creating Linodes")]
    InsufficientScopes {
        /// What was granted.
        granted: String,
    },
    /// The visitor's Linode user may not add Linodes.
    #[error("the Linode user may not add Linodes")]
    NotPermitted,
    /// The profile could not be read for the visitor's SSH keys.
    #[error("the profile could not be read")]
    ProfileUnreadable(#[source] LinodeError),
    /// The code could not be exchanged for a token.
    #[error("token exchange failed")]
    TokenExchange(#[source] LinodeError),
    /// Linode did not create the instance (or did not say it did).
    #[error("instance create failed")]
    CreateFailed(#[source] LinodeError),
    /// The session store failed.
    #[error("session store failed")]
    Session(#[from] tower_sessions::session::Error),
    /// The store shared by replicas did not answer.
    #[error("the shared store did not answer")]
    StoreUnavailable,
    /// A client over its rate limit.
    #[error("rate limited for {retry_after} s")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// A client with as many sign-ins in progress as it may have.
    #[error("too many sign-ins in progress")]
    TooManyPending,
    /// No such page.
    #[error("no such page")]
    NotFound,
    /// The dashboard was asked for without its token, or with another.
    #[error("the dashboard's token is missing or wrong")]
    AdminSignIn,
    /// The StackScript is not the one the publisher reviewed (`APP_SCRIPT_SHA256`).
    #[error("the StackScript changed since it was reviewed")]
    ScriptChanged,
    /// A failed server could not be deleted from here.
    #[error("the server was not deleted")]
    NotDeleted {
        /// Its page in Cloud Manager, when known.
        cloud_manager: Option<String>,
    },
}

/// The sign-in a browser offers for the dashboard.
pub const ADMIN_REALM: &str = r#"Basic realm="install-on-linode dashboard", charset="UTF-8""#;

/// What the error page shows, attached to the response for rendering.
#[derive(Debug, Clone, Default)]
pub struct ErrorPage {
    /// The heading.
    pub title: &'static str,
    /// What happened, in one or two sentences.
    pub message: String,
    /// Linode's own reasons, when it gave any.
    pub reasons: Vec<String>,
    /// What the visitor can do next.
    pub next_step: Option<String>,
    /// A link to follow, as (address, text).
    pub link: Option<(String, String)>,
}

impl AppError {
    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::CatalogUnavailable(_) | Self::Session(_) | Self::StoreUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::CrossSite | Self::InsufficientScopes { .. } | Self::NotPermitted => StatusCode::FORBIDDEN,
            Self::LoginDenied | Self::MissingCode | Self::NoPendingDeploy | Self::StateMismatch => {
                StatusCode::BAD_REQUEST
            }
            Self::AlreadyUsed { .. } => StatusCode::CONFLICT,
            Self::RateLimited { .. } | Self::TooManyPending => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::AdminSignIn => StatusCode::UNAUTHORIZED,
            Self::ScriptChanged => StatusCode::SERVICE_UNAVAILABLE,
            Self::NotDeleted { .. } => StatusCode::CONFLICT,
            Self::TokenExchange(e) | Self::CreateFailed(e) => upstream_status(e),
            Self::ProfileUnreadable(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// What the error page says, as one paragraph (for a result shown later).
    pub fn words(&self) -> String {
        let page = self.page();
        let mut words = vec![format!("{}.", page.title), page.message];
        words.extend(page.reasons.into_iter().map(|r| format!("Linode said: {r}.")));
        words.extend(page.next_step);
        words.join(" ")
    }

    fn page(&self) -> ErrorPage {
        let start_again = Some("Start again from the first page.".to_owned());
        match self {
            Self::CatalogUnavailable(_) => ErrorPage {
                title: "Linode is not answering",
                message: "The list of plans and regions could not be read from Linode just now.".into(),
                next_step: Some("Try again in a minute.".into()),
                ..Default::default()
            },
            Self::CrossSite => ErrorPage {
                title: "Form sent from another site",
                message: "This deploy form was sent from a page that is not ours, so nothing was started."
                    .into(),
                next_step: start_again,
                ..Default::default()
            },
            Self::LoginDenied => ErrorPage {
                title: "Access not granted",
                message: "Linode's login did not grant access, so nothing was created.".into(),
                next_step: Some("Start again and choose Authorize when Linode asks.".into()),
                ..Default::default()
            },
            Self::MissingCode | Self::NoPendingDeploy | Self::StateMismatch => ErrorPage {
                title: "This sign-in link is not valid",
                message: "This page can only be reached by coming back from Linode's login after choosing \
                          a plan here, in the same browser. Nothing was created."
                    .into(),
                next_step: start_again,
                ..Default::default()
            },
            Self::AlreadyUsed { deploy } => ErrorPage {
                title: "Deploy already started",
                message: "This deploy has already been sent to Linode, so it was not sent again. \
                          Passwords are shown only once, so they are not shown here."
                    .into(),
                next_step: Some("To deploy another server, start again from the first page.".into()),
                link: deploy
                    .as_ref()
                    .map(|id| (format!("/deploys/{id}"), "See the server's progress".to_owned())),
                ..Default::default()
            },
            Self::InsufficientScopes { .. } => ErrorPage {
                title: "Permission to create Linodes is needed",
                message: "The access you granted does not include read/write access to Linodes, \
                          so nothing was created. The access has been revoked."
                    .into(),
                next_step: Some("Start again and leave the Linodes permission at read/write.".into()),
                ..Default::default()
            },
            Self::NotPermitted => not_permitted_page(),
            Self::ProfileUnreadable(_) => ErrorPage {
                title: "Your SSH keys could not be read",
                message: "Linode did not tell us your profile's user name, which is needed to install the \
                          SSH keys of your profile, so nothing was created. The access has been revoked."
                    .into(),
                next_step: Some(
                    "Start again; or leave \"Also install the SSH keys from my Linode profile\" unticked \
                     and paste your keys instead."
                        .into(),
                ),
                ..Default::default()
            },
            Self::TokenExchange(e) => ErrorPage {
                title: "Sign-in could not be completed",
                message: "Linode did not accept the sign-in, so nothing was created.".into(),
                reasons: reasons(e),
                next_step: Some(retry_hint(e).unwrap_or_else(|| "Start again from the first page.".into())),
                link: None,
            },
            Self::CreateFailed(e) => create_failed_page(e),
            Self::Session(_) | Self::StoreUnavailable => ErrorPage {
                title: "Service unavailable",
                message: "Your visit could not be stored just now, so nothing was created.".into(),
                next_step: Some("Try again in a minute.".into()),
                ..Default::default()
            },
            Self::RateLimited { retry_after } => ErrorPage {
                title: "Too many attempts",
                message: "This browser or network started more deploys than this site allows in a minute, \
                          so nothing was started."
                    .into(),
                next_step: Some(format!("Try again in {retry_after} seconds.")),
                ..Default::default()
            },
            Self::TooManyPending => ErrorPage {
                title: "Too many sign-ins in progress",
                message: "This browser or network has several sign-ins to Linode under way that have not \
                          come back yet, so no new one was started."
                    .into(),
                next_step: Some(
                    "Finish one of them, or try again in 30 minutes, when unfinished ones lapse.".to_owned(),
                ),
                ..Default::default()
            },
            Self::ScriptChanged => ErrorPage {
                title: "This app cannot be deployed right now",
                message: "The script that installs it has changed since its publisher reviewed it, so it is \
                          not deployed until they review it again. Nothing was sent to Linode."
                    .into(),
                next_step: Some("Try again later, or ask the publisher.".into()),
                ..Default::default()
            },
            Self::NotDeleted { cloud_manager } => ErrorPage {
                title: "The server was not deleted",
                message: "This page can no longer delete the server: Linode did not confirm the delete, or \
                          this service no longer holds access to your account."
                    .into(),
                next_step: Some(
                    "Delete it in Cloud Manager: open the server, then Settings, Delete Linode. Linode bills \
                     the time it has run."
                        .into(),
                ),
                link: Some((
                    cloud_manager.clone().unwrap_or_else(|| "https://cloud.linode.com/linodes".into()),
                    "Open Cloud Manager".into(),
                )),
                ..Default::default()
            },
            Self::AdminSignIn => ErrorPage {
                title: "Sign in to the dashboard",
                message: "The dashboard needs its token (APP_ADMIN_TOKEN): as the password of HTTP Basic \
                          sign-in, with any user name, or as a Bearer token."
                    .into(),
                ..Default::default()
            },
            Self::NotFound => ErrorPage {
                title: "Page not found",
                message: "There is no page at this address.".into(),
                next_step: start_again,
                ..Default::default()
            },
        }
    }
}

/// A restricted user without the "Add Linodes" grant: what to ask for.
fn not_permitted_page() -> ErrorPage {
    ErrorPage {
        title: "Your Linode user may not add Linodes",
        message: "You signed in as a restricted user of a Linode account, and that user has not been \
                  granted permission to add Linodes, so nothing was created. The access has been revoked."
            .into(),
        next_step: Some(
            "Ask your account's administrator for the \"Add Linodes\" permission: in Cloud Manager, \
             Account > Users & Grants, your user, General Permissions, \"Can add Linodes to this \
             account\" (servers are billed to that account). Then start again."
                .into(),
        ),
        ..Default::default()
    }
}

fn create_failed_page(e: &LinodeError) -> ErrorPage {
    let unknown_outcome = "Linode did not confirm whether the server was created. Look in Cloud Manager \
                           before you try again, so that you do not pay for two servers.";
    let (message, next_step): (&str, String) = match e {
        LinodeError::Status { status, .. } if status.is_server_error() => {
            (unknown_outcome, "Check Cloud Manager, then start again if there is no new server.".into())
        }
        LinodeError::Timeout | LinodeError::Unreachable(_) | LinodeError::Decode(_) => {
            (unknown_outcome, "Check Cloud Manager, then start again if there is no new server.".into())
        }
        LinodeError::Status { status, .. } => {
            let hint = retry_hint(e).unwrap_or_else(|| match status.as_u16() {
                401 => "The access expired or was revoked. Start again and authorize once more.".into(),
                403 => not_permitted_page().next_step.unwrap_or_default(),
                _ => "Start again and pick another plan, region or distribution.".into(),
            });
            ("Linode refused to create the server, so nothing was created.", hint)
        }
    };
    ErrorPage {
        title: "The server was not created",
        message: message.into(),
        reasons: reasons(e),
        next_step: Some(next_step),
        link: None,
    }
}

fn reasons(e: &LinodeError) -> Vec<String> {
    match e {
        LinodeError::Status { reasons, .. } => reasons
            .iter()
            .map(|r| match &r.field {
                Some(field) => format!("{field}: {}", r.reason),
                None => r.reason.clone(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn retry_after(e: &LinodeError) -> Option<Duration> {
    match e {
        LinodeError::Status { status, retry_after, .. } if *status == StatusCode::TOO_MANY_REQUESTS => {
            Some(retry_after.unwrap_or(Duration::from_secs(30)))
        }
        _ => None,
    }
}

fn retry_hint(e: &LinodeError) -> Option<String> {
    retry_after(e).map(|after| {
        format!("Linode is limiting how fast requests may be made. Try again in {} seconds.", after.as_secs())
    })
}

/// Linode's 4xx pass through; its 5xx and a dead link become 502; a timeout 504.
fn upstream_status(e: &LinodeError) -> StatusCode {
    match e {
        LinodeError::Status { status, .. } if status.is_client_error() => {
            StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY)
        }
        LinodeError::Timeout => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::BAD_GATEWAY,
    }
}

impl From<crate::deploy::DeployError> for AppError {
    fn from(e: crate::deploy::DeployError) -> Self {
        use crate::deploy::DeployError;
        match e {
            DeployError::TokenExchange(e) => Self::TokenExchange(e),
            DeployError::InsufficientScopes { granted } => Self::InsufficientScopes { granted },
            DeployError::NotPermitted => Self::NotPermitted,
            DeployError::Profile(e) => Self::ProfileUnreadable(e),
            DeployError::Create(e) => Self::CreateFailed(e),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, cause = ?std::error::Error::source(&self).map(|s| s.to_string()), "request failed");
        } else {
            tracing::info!(error = %self, cause = ?std::error::Error::source(&self).map(|s| s.to_string()), "request refused");
        }
        let page = self.page();
        let mut response = (status, page.message.clone()).into_response();
        let retry = match &self {
            Self::TokenExchange(e) | Self::CreateFailed(e) => retry_after(e),
            Self::RateLimited { retry_after } => Some(Duration::from_secs(*retry_after)),
            _ => None,
        };
        if let Some(after) = retry
            && let Ok(value) = HeaderValue::from_str(&after.as_secs().to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let Self::AdminSignIn = self {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(ADMIN_REALM));
        }
        response.extensions_mut().insert(page);
        response
    }
}
