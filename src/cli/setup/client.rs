//! `install-on-linode client …`: the OAuth client visitors sign in through.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Subcommand;

use super::env_file::EnvFile;
use super::{Context, Failure, Needs, explain, output};
use crate::linode::account::{NewOAuthClient, OAuthClient, OAuthClientUpdate};

/// The OAuth client commands.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a new OAuth client; prints APP_CLIENT_ID and APP_CLIENT_SECRET.
    Create {
        /// Name shown to visitors on Linode's consent page.
        #[arg(long)]
        label: String,
        /// Where Linode sends visitors back [default: $APP_PUBLIC_URL/auth_callback].
        #[arg(long)]
        redirect_uri: Option<String>,
        /// Write the two settings to this file (a new one gets mode 0600) instead of printing them.
        #[arg(long)]
        env_file: Option<PathBuf>,
        /// Set the two keys in an existing env file, keeping its other lines and mode.
        #[arg(long, requires = "env_file")]
        force: bool,
    },
    /// List the account's OAuth clients.
    List,
    /// Show one OAuth client.
    Show {
        /// The client id.
        id: String,
    },
    /// Change an OAuth client's label or redirect URI.
    Update {
        /// The client id.
        id: String,
        /// New name shown to visitors.
        #[arg(long)]
        label: Option<String>,
        /// New redirect URI.
        #[arg(long)]
        redirect_uri: Option<String>,
    },
    /// Issue a new secret (the old one stops working); printed like `create`.
    ResetSecret {
        /// The client id.
        id: String,
        /// Write the two settings to this file (a new one gets mode 0600) instead of printing them.
        #[arg(long)]
        env_file: Option<PathBuf>,
        /// Set the two keys in an existing env file, keeping its other lines and mode.
        #[arg(long, requires = "env_file")]
        force: bool,
    },
    /// Delete an OAuth client (asks first unless --yes).
    Delete {
        /// The client id.
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

/// Runs one client command.
pub async fn run(ctx: &Context, command: ClientCommand) -> Result<(), Failure> {
    let api = &ctx.api;
    let token = &ctx.token;
    let refused = |e| explain(e, Needs::Account);
    match command {
        ClientCommand::Create { label, redirect_uri, env_file, force } => {
            let redirect_uri = redirect_uri.unwrap_or_else(|| format!("{}/auth_callback", ctx.public_url));
            check_redirect(&redirect_uri)?;
            let env_file = env_file.map(|path| EnvFile::check(&path, force)).transpose()?;
            let body = NewOAuthClient { label: &label, redirect_uri: &redirect_uri, public: false };
            let client = api.create_oauth_client(token, &body).await.map_err(refused)?;
            eprintln!(
                "Created OAuth client {:?} ({}), redirecting to {}.",
                client.label, client.id, client.redirect_uri
            );
            hand_over(ctx, &client, env_file)
        }
        ClientCommand::List => {
            let clients = api.oauth_clients(token).await.map_err(refused)?;
            if ctx.json {
                output::json(&clients);
            } else if clients.is_empty() {
                eprintln!("The account has no OAuth clients.");
            } else {
                for client in &clients {
                    println!("{}", describe(client));
                }
            }
            Ok(())
        }
        ClientCommand::Show { id } => {
            let client = api.oauth_client(token, &id).await.map_err(refused)?;
            if ctx.json {
                output::json(&without_secret(client))
            } else {
                println!("{}", describe(&client))
            }
            Ok(())
        }
        ClientCommand::Update { id, label, redirect_uri } => {
            if label.is_none() && redirect_uri.is_none() {
                return Err(Failure::Usage("nothing to change: give --label or --redirect-uri.".into()));
            }
            if let Some(uri) = &redirect_uri {
                check_redirect(uri)?;
            }
            let body = OAuthClientUpdate { label: label.as_deref(), redirect_uri: redirect_uri.as_deref() };
            let client = api.update_oauth_client(token, &id, &body).await.map_err(refused)?;
            if ctx.json {
                output::json(&without_secret(client))
            } else {
                println!("{}", describe(&client))
            }
            Ok(())
        }
        ClientCommand::ResetSecret { id, env_file, force } => {
            let env_file = env_file.map(|path| EnvFile::check(&path, force)).transpose()?;
            let client = api.reset_oauth_client_secret(token, &id).await.map_err(refused)?;
            eprintln!(
                "Issued a new secret for OAuth client {:?} ({}); the old one no longer works.",
                client.label, client.id
            );
            hand_over(ctx, &client, env_file)
        }
        ClientCommand::Delete { id, yes } => {
            if !yes && !confirm(&id)? {
                return Err(Failure::Usage("not deleted.".into()));
            }
            api.delete_oauth_client(token, &id).await.map_err(refused)?;
            eprintln!("Deleted OAuth client {id}.");
            if ctx.json {
                output::json(&serde_json::json!({"deleted": id}));
            }
            Ok(())
        }
    }
}

/// Prints or writes the client id and secret, the only place the secret goes.
/// Linode has already answered, so a file that cannot be written after all
/// gets the secret printed on standard output instead of lost.
fn hand_over(ctx: &Context, client: &OAuthClient, env_file: Option<EnvFile>) -> Result<(), Failure> {
    let secret = client
        .plaintext_secret()
        .ok_or_else(|| Failure::Linode("Linode's answer carried no secret.".into()))?;
    let pairs = [("APP_CLIENT_ID", client.id.as_str()), ("APP_CLIENT_SECRET", secret)];
    match env_file {
        Some(file) => match file.write(&pairs) {
            Ok(()) => {
                eprintln!(
                    "Wrote APP_CLIENT_ID and APP_CLIENT_SECRET to {}{}.",
                    file.path().display(),
                    if file.shared() {
                        " (its mode is kept; others can read it)"
                    } else {
                        " (readable by you only)"
                    }
                );
                if ctx.json {
                    output::json(&without_secret(client.clone()));
                }
            }
            Err(Failure::Local(why) | Failure::Usage(why) | Failure::Linode(why)) => {
                print!("{}", output::env_lines(&pairs));
                return Err(Failure::Local(format!(
                    "{why}; the id and secret are on standard output instead, shown this once."
                )));
            }
        },
        None if ctx.json => output::json(client),
        None => {
            eprintln!("The secret is shown this once; keep it in your environment or an env file:");
            print!("{}", output::env_lines(&pairs));
        }
    }
    Ok(())
}

fn without_secret(mut client: OAuthClient) -> OAuthClient {
    client.secret = None;
    client
}

fn describe(client: &OAuthClient) -> String {
    format!(
        "{}  {}  {}  {}{}",
        client.id,
        client.label,
        client.redirect_uri,
        if client.public { "public" } else { "private" },
        client.status.as_deref().map(|s| format!("  {s}")).unwrap_or_default()
    )
}

/// Linode needs an absolute https URL, except for localhost.
fn check_redirect(uri: &str) -> Result<(), Failure> {
    let bad =
        || Failure::Usage(format!("--redirect-uri {uri:?} must be an https URL (http only for localhost)."));
    let url = url::Url::parse(uri).map_err(|_| bad())?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => Ok(()),
        "http" if local => Ok(()),
        _ => Err(bad()),
    }
}

fn confirm(id: &str) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(format!(
            "deleting OAuth client {id} needs confirmation: run it in a terminal or pass --yes."
        )));
    }
    eprint!("Delete OAuth client {id}? Visitors will no longer be able to sign in through it. [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|e| Failure::Local(e.to_string()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_must_be_https_except_on_localhost() {
        assert!(check_redirect("https://deploy.example.com/auth_callback").is_ok());
        assert!(check_redirect("http://localhost:5000/auth_callback").is_ok());
        assert!(check_redirect("http://deploy.example.com/auth_callback").is_err());
        assert!(check_redirect("deploy.example.com").is_err());
    }
}
