//! Set-up from the command line: register the OAuth client and publish the
//! StackScript with a personal access token, without Cloud Manager.
//!
//! The token comes from `LINODE_TOKEN` (the variable Linode's own tools use)
//! or standard input, never from a flag, where it would land in shell history
//! and process lists. These commands need none of the server's settings; they
//! honour `APP_LINODE_API_URL` and `APP_PUBLIC_URL`.
//!
//! Exit status: 0 on success, 1 when Linode refuses or cannot be reached,
//! 2 on bad usage (including a missing token).

pub mod client;
pub mod env_file;
pub mod output;
pub mod stackscript;

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use secrecy::SecretString;

use crate::linode::{LinodeClient, LinodeError, http_client};
use crate::settings::RawSettings;

/// What a set-up command needs: the API client and the token.
pub struct Context {
    /// Linode's API at `APP_LINODE_API_URL`.
    pub api: LinodeClient,
    /// The personal access token.
    pub token: SecretString,
    /// `APP_PUBLIC_URL`, for the default redirect.
    pub public_url: String,
    /// Print JSON rather than sentences.
    pub json: bool,
}

/// Why a command stopped.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage: exit 2.
    Usage(String),
    /// Linode refused or was not reached: exit 1.
    Linode(String),
    /// Something local (a file): exit 1.
    Local(String),
}

impl Failure {
    /// Prints the message and gives the exit status.
    pub fn report(self) -> ExitCode {
        let (message, code) = match self {
            Self::Usage(m) => (m, 2),
            Self::Linode(m) | Self::Local(m) => (m, 1),
        };
        eprintln!("install-on-linode: {message}");
        ExitCode::from(code)
    }
}

/// The token's purpose, for the sentence when Linode says it may not do something.
#[derive(Debug, Clone, Copy)]
pub enum Needs {
    /// `account:read_write`.
    Account,
    /// `stackscripts:read_write`.
    StackScripts,
    /// `linodes:read_write`.
    Linodes,
}

/// One clear sentence for each way Linode can refuse, then its reasons.
pub fn explain(error: LinodeError, needs: Needs) -> Failure {
    let scope = match needs {
        Needs::Account => "Account (read/write)",
        Needs::StackScripts => "StackScripts (read/write)",
        Needs::Linodes => "Linodes (read/write)",
    };
    let message = match &error {
        LinodeError::Status { status, reasons, .. } if status.as_u16() == 401 => {
            if reasons.iter().any(|r| r.reason.contains("not authorized")) {
                format!(
                    "the token is not allowed to do this: create a personal access token with {scope} access."
                )
            } else {
                "Linode did not accept the token: it is wrong, expired or revoked.".to_owned()
            }
        }
        LinodeError::Status { status, .. } if status.as_u16() == 403 => {
            format!("your Linode user may not do this: ask the account's administrator for {scope} access.")
        }
        LinodeError::Status { status, .. } if status.as_u16() == 404 => {
            "Linode found no such object.".to_owned()
        }
        LinodeError::Status { reasons, .. } if !reasons.is_empty() => {
            let list: Vec<String> = reasons
                .iter()
                .map(|r| match &r.field {
                    Some(f) => format!("{f}: {}", r.reason),
                    None => r.reason.clone(),
                })
                .collect();
            format!("Linode refused: {}", list.join("; "))
        }
        LinodeError::Status { status, .. } => format!("Linode answered {status}."),
        LinodeError::Timeout => "Linode did not answer in time; try again.".to_owned(),
        LinodeError::Unreachable(_) => {
            "Linode could not be reached: check the network (and APP_LINODE_API_URL).".to_owned()
        }
        LinodeError::Decode(_) => "Linode's answer could not be read.".to_owned(),
    };
    Failure::Linode(message)
}

/// Builds the context: settings for the API URL and the token from the
/// environment or standard input.
pub fn context(json: bool) -> Result<Context, Failure> {
    let raw = RawSettings::load().map_err(|e| Failure::Usage(e.to_string()))?;
    let (api_url, public_url) = raw.setup_urls().map_err(|e| Failure::Usage(e.to_string()))?;
    let token = read_token()?;
    let api = LinodeClient::new(http_client(std::time::Duration::from_secs(20)), &api_url);
    Ok(Context { api, token, public_url, json })
}

/// `LINODE_TOKEN`, or one line of standard input (prompted, unechoed, on a terminal).
fn read_token() -> Result<SecretString, Failure> {
    if let Ok(token) = std::env::var("LINODE_TOKEN")
        && !token.trim().is_empty()
    {
        return Ok(token.trim().to_owned().into());
    }
    let missing = || {
        Failure::Usage(
            "no token: set LINODE_TOKEN to a personal access token (Cloud Manager > My Profile > API Tokens) \
             or pass it on standard input."
                .to_owned(),
        )
    };
    let line = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Linode personal access token: ").map_err(|_| missing())?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|_| missing())?;
        line
    };
    let token = line.trim().to_owned();
    if token.is_empty() { Err(missing()) } else { Ok(token.into()) }
}

/// Runs a future to its end on a small runtime.
pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a single-threaded runtime starts")
        .block_on(future)
}
