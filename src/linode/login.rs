//! `LoginClient`: the OAuth side of Linode, the typed equivalent of
//! `linode_api4`'s `LinodeLoginClient`.
//!
//! The token exchange sends exactly the original's form fields (`code`,
//! `client_id`, `client_secret`). Revoking uses `POST /oauth/revoke`; Linode's
//! CDN has blocked automated calls to it before, so callers treat a failed
//! revoke as a warning, never as a failed deploy.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::api::send;
use super::error::LinodeError;
use super::scopes::OAuthScopes;

/// Client of Linode's OAuth login server.
#[derive(Debug, Clone)]
pub struct LoginClient {
    http: reqwest::Client,
    base: String,
    browser_base: String,
    client_id: String,
    client_secret: SecretString,
}

/// What a successful token exchange or refresh gives.
#[derive(Debug)]
pub struct TokenGrant {
    /// The bearer token.
    pub access_token: SecretString,
    /// What the visitor granted, which may be less than was asked.
    pub scopes: OAuthScopes,
    /// Lifetime of the token, when Linode says.
    pub expires_in: Option<Duration>,
    /// Token to get a new access token with.
    pub refresh_token: Option<SecretString>,
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: SecretString,
    #[serde(default)]
    scopes: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<SecretString>,
}

impl From<TokenBody> for TokenGrant {
    fn from(body: TokenBody) -> Self {
        // Linode sends `scopes`; the OAuth standard's `scope` is the fallback.
        let granted = body.scopes.or(body.scope).unwrap_or_default();
        Self {
            access_token: body.access_token,
            scopes: OAuthScopes::parse_lenient(&granted),
            expires_in: body.expires_in.map(Duration::from_secs),
            refresh_token: body.refresh_token,
        }
    }
}

impl LoginClient {
    /// A client of the login server at `base` for one registered OAuth client.
    pub fn new(http: reqwest::Client, base: &Url, client_id: String, client_secret: SecretString) -> Self {
        let base = base.as_str().trim_end_matches('/').to_owned();
        Self { http, browser_base: base.clone(), base, client_id, client_secret }
    }

    /// Sends browsers to `base` while this server calls the other: for a login
    /// server whose address differs from outside and inside (the sandbox).
    pub fn with_browser_base(mut self, base: &Url) -> Self {
        self.browser_base = base.as_str().trim_end_matches('/').to_owned();
        self
    }

    /// The login server's origin as browsers see it.
    pub fn browser_origin(&self) -> String {
        Url::parse(&self.browser_base).map(|u| u.origin().ascii_serialization()).unwrap_or_default()
    }

    /// Where to send the visitor to sign in and grant `scopes`.
    pub fn authorize_url(&self, scopes: &OAuthScopes, redirect_uri: &str, state: &str) -> Url {
        let mut url =
            Url::parse(&format!("{}/oauth/authorize", self.browser_base)).expect("base is a valid URL");
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("response_type", "code")
            .append_pair("scopes", &scopes.to_string())
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state);
        url
    }

    /// Exchanges an authorization code for a token. Codes are single-use.
    #[tracing::instrument(skip_all)]
    pub async fn finish_oauth(&self, code: &str) -> Result<TokenGrant, LinodeError> {
        let form = [
            ("code", code),
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose_secret()),
        ];
        let body: TokenBody =
            send(self.http.post(self.url("/oauth/token")).form(&form), "oauth_token").await?;
        Ok(body.into())
    }

    /// Gets a fresh access token with a refresh token.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, LinodeError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose_secret()),
            ("refresh_token", refresh_token.expose_secret()),
        ];
        let body: TokenBody =
            send(self.http.post(self.url("/oauth/token")).form(&form), "oauth_refresh").await?;
        Ok(body.into())
    }

    /// Revokes an access token so it can do nothing more.
    #[tracing::instrument(skip_all)]
    pub async fn expire(&self, token: &SecretString) -> Result<(), LinodeError> {
        let form = [
            ("token_type_hint", "access_token"),
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose_secret()),
            ("token", token.expose_secret()),
        ];
        let started = std::time::Instant::now();
        let outcome = async {
            let response = self
                .http
                .post(self.url("/oauth/revoke"))
                .form(&form)
                .send()
                .await
                .map_err(LinodeError::transport)?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(LinodeError::from_response(response).await)
            }
        }
        .await;
        crate::metrics::linode_call("oauth_revoke", &super::api::outcome_label(&outcome), started);
        outcome
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}
