//! The account side of the API, used by the set-up commands with a personal
//! access token: OAuth clients and StackScripts.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::api::{LinodeClient, send};
use super::error::LinodeError;
use super::models::StackScript;

/// An OAuth client as `/account/oauth-clients` returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OAuthClient {
    /// Client id (public).
    pub id: String,
    /// Name shown to users on the consent page.
    pub label: String,
    /// Where the login server sends users back.
    pub redirect_uri: String,
    /// Whether it is a public client.
    #[serde(default)]
    pub public: bool,
    /// `active`, `disabled` or `suspended`.
    #[serde(default)]
    pub status: Option<String>,
    /// The secret, only on create and reset (elsewhere Linode sends `<REDACTED>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl OAuthClient {
    /// The plaintext secret, if this answer carries one.
    pub fn plaintext_secret(&self) -> Option<&str> {
        self.secret.as_deref().filter(|s| !s.is_empty() && *s != "<REDACTED>")
    }
}

/// Body of `POST /account/oauth-clients`.
#[derive(Debug, Serialize)]
pub struct NewOAuthClient<'a> {
    /// Name shown to users.
    pub label: &'a str,
    /// Where users are sent back.
    pub redirect_uri: &'a str,
    /// Public or private client.
    pub public: bool,
}

/// Body of `PUT /account/oauth-clients/{id}`: only the fields given change.
#[derive(Debug, Serialize)]
pub struct OAuthClientUpdate<'a> {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<&'a str>,
    /// New redirect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<&'a str>,
}

/// Body of `POST /linode/stackscripts`.
#[derive(Debug, Serialize)]
pub struct NewStackScript<'a> {
    /// Display name.
    pub label: &'a str,
    /// The script.
    pub script: &'a str,
    /// Images it may be deployed on.
    pub images: &'a [String],
    /// Whether other accounts may deploy it (visitors need this).
    pub is_public: bool,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
}

impl LinodeClient {
    fn authed(&self, method: Method, path: &str, token: &SecretString) -> reqwest::RequestBuilder {
        self.request(method, path).bearer_auth(token.expose_secret())
    }

    /// Every OAuth client of the account, every page.
    pub async fn oauth_clients(&self, token: &SecretString) -> Result<Vec<OAuthClient>, LinodeError> {
        let mut clients = Vec::new();
        let mut page = 1u32;
        loop {
            let mut request = self.authed(Method::GET, "/account/oauth-clients", token);
            if page > 1 {
                request = request.query(&[("page", page)]);
            }
            let answer: super::models::Page<OAuthClient> = send(request, "list_oauth_clients").await?;
            clients.extend(answer.data);
            if answer.page >= answer.pages || page >= 50 {
                return Ok(clients);
            }
            page += 1;
        }
    }

    /// One OAuth client.
    pub async fn oauth_client(&self, token: &SecretString, id: &str) -> Result<OAuthClient, LinodeError> {
        send(
            self.authed(Method::GET, &format!("/account/oauth-clients/{}", path_segment(id)), token),
            "get_oauth_client",
        )
        .await
    }

    /// Registers an OAuth client; the answer carries its secret.
    pub async fn create_oauth_client(
        &self,
        token: &SecretString,
        body: &NewOAuthClient<'_>,
    ) -> Result<OAuthClient, LinodeError> {
        send(self.authed(Method::POST, "/account/oauth-clients", token).json(body), "create_oauth_client")
            .await
    }

    /// Changes an OAuth client's label or redirect.
    pub async fn update_oauth_client(
        &self,
        token: &SecretString,
        id: &str,
        body: &OAuthClientUpdate<'_>,
    ) -> Result<OAuthClient, LinodeError> {
        let path = format!("/account/oauth-clients/{}", path_segment(id));
        send(self.authed(Method::PUT, &path, token).json(body), "update_oauth_client").await
    }

    /// Issues a new secret; the old one stops working.
    pub async fn reset_oauth_client_secret(
        &self,
        token: &SecretString,
        id: &str,
    ) -> Result<OAuthClient, LinodeError> {
        let path = format!("/account/oauth-clients/{}/reset-secret", path_segment(id));
        send(self.authed(Method::POST, &path, token), "reset_oauth_client_secret").await
    }

    /// Deletes an OAuth client.
    pub async fn delete_oauth_client(&self, token: &SecretString, id: &str) -> Result<(), LinodeError> {
        let path = format!("/account/oauth-clients/{}", path_segment(id));
        let _: serde_json::Value =
            send(self.authed(Method::DELETE, &path, token), "delete_oauth_client").await?;
        Ok(())
    }

    /// Publishes a StackScript.
    pub async fn create_stackscript(
        &self,
        token: &SecretString,
        body: &NewStackScript<'_>,
    ) -> Result<StackScript, LinodeError> {
        send(self.authed(Method::POST, "/linode/stackscripts", token).json(body), "create_stackscript").await
    }

    /// Reads a StackScript with a token, so a private one of the account is found too.
    pub async fn stackscript_with_token(
        &self,
        token: &SecretString,
        id: u64,
    ) -> Result<StackScript, LinodeError> {
        send(self.authed(Method::GET, &format!("/linode/stackscripts/{id}"), token), "get_stackscript").await
    }
}

/// An id as one path segment: anything but letters, digits, `-` and `_` is escaped.
fn path_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}
