//! `LinodeClient`: the calls this app makes to Linode's API v4.
//!
//! Public reads (types, regions, the StackScript) carry no `Authorization`
//! header at all: the original sent a dummy bearer token, which is a needless
//! credential-shaped value on the wire. Creating an instance is never retried:
//! a retry after a timeout or 5xx can bill the visitor for a second server.

use reqwest::{Method, RequestBuilder};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use super::error::LinodeError;
use super::models::{CreateInstance, Grants, Instance, LinodeType, Page, Profile, Region, StackScript};

/// Filter Linode applies to `GET /linode/types`: plans whose label contains "Linode".
pub const TYPES_FILTER: &str = r#"{"label":{"+contains":"Linode"}}"#;

/// Pages followed at most for one list, against a server that never ends.
const MAX_PAGES: u32 = 50;

/// Client of Linode's API v4 at a configurable base URL.
#[derive(Debug, Clone)]
pub struct LinodeClient {
    http: reqwest::Client,
    base: String,
}

impl LinodeClient {
    /// A client of the API at `base` (such as `https://api.linode.com/v4`).
    pub fn new(http: reqwest::Client, base: &Url) -> Self {
        Self { http, base: base.as_str().trim_end_matches('/').to_owned() }
    }

    pub(super) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// Plan types whose label contains "Linode", every page.
    #[tracing::instrument(skip(self))]
    pub async fn types(&self) -> Result<Vec<LinodeType>, LinodeError> {
        self.list("/linode/types", Some(TYPES_FILTER)).await
    }

    /// Every region, every page.
    #[tracing::instrument(skip(self))]
    pub async fn regions(&self) -> Result<Vec<Region>, LinodeError> {
        self.list("/regions", None).await
    }

    /// One StackScript, read without a token (it must be public).
    #[tracing::instrument(skip(self))]
    pub async fn stackscript(&self, id: u64) -> Result<StackScript, LinodeError> {
        send(self.request(Method::GET, &format!("/linode/stackscripts/{id}")), "get_stackscript").await
    }

    /// Creates an instance with the visitor's token. Sent once, never retried.
    #[tracing::instrument(skip_all, fields(region = %body.region, type_id = %body.type_id))]
    pub async fn create_instance(
        &self,
        token: &SecretString,
        body: &CreateInstance,
    ) -> Result<Instance, LinodeError> {
        let request =
            self.request(Method::POST, "/linode/instances").bearer_auth(token.expose_secret()).json(body);
        send(request, "create_instance").await
    }

    /// Reads one instance with the visitor's token.
    #[tracing::instrument(skip(self, token))]
    pub async fn instance(&self, token: &SecretString, id: u64) -> Result<Instance, LinodeError> {
        let request =
            self.request(Method::GET, &format!("/linode/instances/{id}")).bearer_auth(token.expose_secret());
        send(request, "get_instance").await
    }

    /// Deletes an instance with the visitor's token (a failed deploy, on request).
    #[tracing::instrument(skip(self, token))]
    pub async fn delete_instance(&self, token: &SecretString, id: u64) -> Result<(), LinodeError> {
        let request = self
            .request(Method::DELETE, &format!("/linode/instances/{id}"))
            .bearer_auth(token.expose_secret());
        send::<serde_json::Value>(request, "delete_instance").await.map(|_| ())
    }

    /// The reverse DNS name Linode gives an instance's public IPv4 address.
    #[tracing::instrument(skip(self, token))]
    pub async fn rdns(&self, token: &SecretString, id: u64) -> Result<Option<String>, LinodeError> {
        let request = self
            .request(Method::GET, &format!("/linode/instances/{id}/ips"))
            .bearer_auth(token.expose_secret());
        let ips: serde_json::Value = send(request, "get_instance_ips").await?;
        Ok(ips["ipv4"]["public"][0]["rdns"].as_str().map(str::to_owned))
    }

    /// The visitor's profile (any scope may read it): their user name.
    #[tracing::instrument(skip_all)]
    pub async fn profile(&self, token: &SecretString) -> Result<Profile, LinodeError> {
        send(self.request(Method::GET, "/profile").bearer_auth(token.expose_secret()), "get_profile").await
    }

    /// What the visitor may do on the account (any scope may read it):
    /// `None` for an unrestricted user, whom Linode answers with a bare 204.
    #[tracing::instrument(skip_all)]
    pub async fn grants(&self, token: &SecretString) -> Result<Option<Grants>, LinodeError> {
        let request = self.request(Method::GET, "/profile/grants").bearer_auth(token.expose_secret());
        let started = std::time::Instant::now();
        let outcome = async {
            let response = request.send().await.map_err(LinodeError::transport)?;
            match response.status() {
                reqwest::StatusCode::NO_CONTENT => Ok(None),
                status if status.is_success() => {
                    response.json().await.map(Some).map_err(LinodeError::transport)
                }
                _ => Err(LinodeError::from_response(response).await),
            }
        }
        .await;
        crate::metrics::linode_call("get_profile_grants", &outcome_label(&outcome), started);
        outcome
    }

    /// Follows every page of a list, with the same filter on each.
    async fn list<T: DeserializeOwned>(
        &self,
        path: &'static str,
        filter: Option<&str>,
    ) -> Result<Vec<T>, LinodeError> {
        let mut items = Vec::new();
        let mut page = 1;
        loop {
            let mut request = self.request(Method::GET, path);
            // The first page is asked for plainly, as Linode's own library does.
            if page > 1 {
                request = request.query(&[("page", page)]);
            }
            if let Some(filter) = filter {
                request = request.header("X-Filter", filter);
            }
            let answer: Page<T> = send(request, path).await?;
            items.extend(answer.data);
            if answer.page >= answer.pages || page >= MAX_PAGES {
                return Ok(items);
            }
            page += 1;
        }
    }
}

/// Sends a request and reads a JSON answer, or Linode's error; `endpoint`
/// names the call in metrics.
pub(crate) async fn send<T: DeserializeOwned>(
    request: RequestBuilder,
    endpoint: &'static str,
) -> Result<T, LinodeError> {
    let started = std::time::Instant::now();
    let outcome = async {
        let response = request.send().await.map_err(LinodeError::transport)?;
        if !response.status().is_success() {
            return Err(LinodeError::from_response(response).await);
        }
        response.json().await.map_err(LinodeError::transport)
    }
    .await;
    crate::metrics::linode_call(endpoint, &outcome_label(&outcome), started);
    outcome
}

/// `ok`, the status Linode sent, `timeout` or `unreachable`.
pub(crate) fn outcome_label<T>(outcome: &Result<T, LinodeError>) -> String {
    match outcome {
        Ok(_) => "ok".to_owned(),
        Err(LinodeError::Status { status, .. }) => status.as_u16().to_string(),
        Err(LinodeError::Timeout) => "timeout".to_owned(),
        Err(LinodeError::Unreachable(_)) => "unreachable".to_owned(),
        Err(LinodeError::Decode(_)) => "undecodable".to_owned(),
    }
}
