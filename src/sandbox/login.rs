//! The simulated login server: the consent page, code exchange and revoke.
//!
//! It behaves like an OAuth server should where Linode's documentation is
//! silent: a redirect URI outside the registered one, or an unknown client,
//! gets an error page and no redirect; a code works once, for the client it
//! was issued to, within ten minutes.

use std::sync::Arc;
use std::time::Instant;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::state::{
    CODE_LIFETIME, ConsentRequest, IssuedCode, IssuedRefresh, IssuedToken, SandboxState, SimUser,
    TOKEN_LIFETIME, random_token,
};
use super::wire::ApiError;
use crate::linode::{Access, OAuthScopes, Scope};

/// `/sandbox/login/...` routes.
pub fn routes() -> Router<Arc<SandboxState>> {
    Router::new()
        .route("/oauth/authorize", get(consent_page).post(decide))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
}

#[derive(Template, WebTemplate)]
#[template(path = "sandbox_consent.html")]
struct ConsentPage {
    client_label: String,
    verb: &'static str,
    consent_id: String,
    levels: Vec<LevelOption>,
    other_scopes: Vec<String>,
}

struct LevelOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "sandbox_error.html")]
struct RefusalPage {
    message: String,
}

fn refuse(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, RefusalPage { message: message.to_owned() }).into_response()
}

#[derive(Debug, Deserialize)]
struct AuthorizeQuery {
    client_id: Option<String>,
    response_type: Option<String>,
    scopes: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
}

/// `GET /oauth/authorize`: checks the request and asks the visitor.
async fn consent_page(
    State(sandbox): State<Arc<SandboxState>>,
    query: Result<Query<AuthorizeQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return refuse("The authorize request could not be read.");
    };
    let client = {
        let records = sandbox.records();
        match query.client_id.as_deref().and_then(|id| records.clients.get(id)) {
            Some(client) => client.clone(),
            None => return refuse("Unknown OAuth client."),
        }
    };
    if query.response_type.as_deref() != Some("code") {
        return refuse("response_type must be code.");
    }
    let scopes: OAuthScopes = match query.scopes.as_deref().unwrap_or("").parse::<OAuthScopes>() {
        Ok(scopes) if scopes.iter().next().is_some() => scopes,
        _ => return refuse("The scopes asked for are not valid."),
    };
    let redirect_uri = match &query.redirect_uri {
        None => client.redirect_uri.clone(),
        Some(uri) if lies_under(uri, &client.redirect_uri) => uri.clone(),
        Some(_) => return refuse("The redirect_uri is not the one registered for this client."),
    };
    let requested = linodes_level(&scopes);
    let consent_id = random_token();
    sandbox.records().consents.insert(
        consent_id.clone(),
        ConsentRequest {
            client_id: client.id,
            redirect_uri,
            scopes: scopes.clone(),
            state: query.state,
            at: Instant::now(),
        },
    );
    let level =
        |value, label, access: Option<Access>| LevelOption { value, label, selected: requested == access };
    ConsentPage {
        client_label: client.label,
        verb: if requested >= Some(Access::ReadWrite) { "read and write" } else { "read" },
        consent_id,
        levels: vec![
            level("read_write", "Read/Write", Some(Access::ReadWrite)),
            level("read_only", "Read Only", Some(Access::ReadOnly)),
            level("none", "No access", None),
        ],
        other_scopes: scopes
            .iter()
            .filter(|s| !matches!(s, Scope::Family("linodes", _)))
            .map(ToString::to_string)
            .collect(),
    }
    .into_response()
}

/// The level of access to Linodes a set of scopes asks for.
fn linodes_level(scopes: &OAuthScopes) -> Option<Access> {
    scopes
        .iter()
        .filter_map(|s| match s {
            Scope::Everything => Some(Access::All),
            Scope::Family("linodes", access) => Some(*access),
            _ => None,
        })
        .max()
        .map(|a| a.min(Access::ReadWrite))
}

/// Whether `uri` has the registered URI's origin and lies under its path.
fn lies_under(uri: &str, registered: &str) -> bool {
    match (Url::parse(uri), Url::parse(registered)) {
        (Ok(uri), Ok(registered)) => {
            uri.origin() == registered.origin() && uri.path().starts_with(registered.path())
        }
        _ => false,
    }
}

#[derive(Debug, Deserialize)]
struct Decision {
    consent_id: String,
    decision: String,
    #[serde(default)]
    linodes: Option<String>,
    #[serde(default)]
    user: Option<String>,
}

/// `POST /oauth/authorize`: the visitor's answer; sends them back with a code or an error.
async fn decide(
    State(sandbox): State<Arc<SandboxState>>,
    form: Result<Form<Decision>, FormRejection>,
) -> Response {
    let Ok(Form(decision)) = form else {
        return refuse("The consent form could not be read.");
    };
    let Some(consent) = sandbox.records().consents.remove(&decision.consent_id) else {
        return refuse("This consent page was already answered or has expired. Start again.");
    };
    if consent.at.elapsed() > CODE_LIFETIME {
        return refuse("This consent page has expired. Start again.");
    }
    let Ok(mut target) = Url::parse(&consent.redirect_uri) else {
        return refuse("The redirect_uri is not valid.");
    };
    {
        let mut pairs = target.query_pairs_mut();
        if decision.decision == "authorize" {
            let granted = narrow(&consent.scopes, decision.linodes.as_deref());
            let code = random_token();
            let user = match decision.user.as_deref() {
                Some("restricted") => SimUser::Restricted,
                _ => SimUser::Owner,
            };
            let record = IssuedCode {
                client_id: consent.client_id,
                scopes: granted,
                user,
                at: Instant::now(),
                used: false,
            };
            sandbox.records().codes.insert(code.clone(), record);
            pairs.append_pair("code", &code);
        } else {
            pairs.append_pair("error", "access_denied");
        }
        if let Some(state) = &consent.state {
            pairs.append_pair("state", state);
        }
    }
    let location = HeaderValue::from_str(target.as_str()).expect("a URL is a valid header value");
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// The requested scopes with access to Linodes set to what the visitor chose.
fn narrow(requested: &OAuthScopes, linodes: Option<&str>) -> OAuthScopes {
    let chosen = match linodes {
        Some("read_only") => Some(Access::ReadOnly),
        Some("none") => None,
        _ => return requested.clone(),
    };
    let others =
        requested.iter().filter(|s| !matches!(s, Scope::Family("linodes", _) | Scope::Everything)).copied();
    OAuthScopes::new(others.chain(chosen.map(|a| Scope::Family("linodes", a))))
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    code: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
    refresh_token: Option<String>,
}

fn client_authenticated(sandbox: &SandboxState, id: Option<&str>, secret: Option<&str>) -> bool {
    let records = sandbox.records();
    match (id.and_then(|id| records.clients.get(id)), secret) {
        (Some(client), Some(secret)) => {
            use subtle::ConstantTimeEq;
            bool::from(client.secret.as_bytes().ct_eq(secret.as_bytes()))
        }
        _ => false,
    }
}

/// `POST /oauth/token`: exchanges a code (once) or a refresh token (once)
/// for a new access token.
async fn token(
    State(sandbox): State<Arc<SandboxState>>,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Result<Response, ApiError> {
    let Ok(Form(form)) = form else {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "The request body must be form-encoded"));
    };
    if !client_authenticated(&sandbox, form.client_id.as_deref(), form.client_secret.as_deref()) {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "Invalid client_id or client_secret"));
    }
    let client_id = form.client_id.clone().unwrap_or_default();
    let (scopes, user) = match form.grant_type.as_deref() {
        None | Some("authorization_code") => redeem_code(&sandbox, &form, &client_id)?,
        Some("refresh_token") => redeem_refresh(&sandbox, &form, &client_id)?,
        Some(_) => return Err(ApiError::new(StatusCode::BAD_REQUEST, "Unsupported grant_type")),
    };
    let access_token = random_token();
    let refresh_token = random_token();
    let mut records = sandbox.records();
    let record = IssuedToken {
        scopes: scopes.clone(),
        expires: Instant::now() + TOKEN_LIFETIME,
        revoked: false,
        client_id: Some(client_id.clone()),
        user,
    };
    records.tokens.insert(access_token.clone(), record);
    records
        .refreshes
        .insert(refresh_token.clone(), IssuedRefresh { client_id, scopes: scopes.clone(), user });
    let scopes = scopes.to_string();
    Ok(Json(json!({
        "access_token": access_token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME.as_secs(),
        "refresh_token": refresh_token, "scopes": scopes, "scope": scopes
    }))
    .into_response())
}

fn redeem_code(
    sandbox: &SandboxState,
    form: &TokenForm,
    client_id: &str,
) -> Result<(OAuthScopes, SimUser), ApiError> {
    let refused = |reason: &str| ApiError::new(StatusCode::BAD_REQUEST, reason.to_owned());
    let mut records = sandbox.records();
    match form.code.as_deref().and_then(|c| records.codes.get_mut(c)) {
        None => Err(refused("Invalid authorization code")),
        Some(code) if code.used => Err(refused("Authorization code already used")),
        Some(code) if code.client_id != client_id => {
            Err(refused("Authorization code was not issued to this client"))
        }
        Some(code) if code.at.elapsed() > CODE_LIFETIME => Err(refused("Authorization code expired")),
        Some(code) => {
            code.used = true;
            Ok((code.scopes.clone(), code.user))
        }
    }
}

fn redeem_refresh(
    sandbox: &SandboxState,
    form: &TokenForm,
    client_id: &str,
) -> Result<(OAuthScopes, SimUser), ApiError> {
    let refused = || ApiError::new(StatusCode::BAD_REQUEST, "Invalid refresh token");
    let mut records = sandbox.records();
    let token = form.refresh_token.as_deref().ok_or_else(refused)?;
    match records.refreshes.get(token) {
        Some(grant) if grant.client_id == client_id => {
            let grant = records.refreshes.remove(token).ok_or_else(refused)?;
            Ok((grant.scopes, grant.user))
        }
        _ => Err(refused()),
    }
}

#[derive(Debug, Deserialize)]
struct RevokeForm {
    client_id: Option<String>,
    client_secret: Option<String>,
    token: Option<String>,
}

/// `POST /oauth/revoke`: the token stops working at once.
async fn revoke(
    State(sandbox): State<Arc<SandboxState>>,
    form: Result<Form<RevokeForm>, FormRejection>,
) -> Result<Response, ApiError> {
    let Ok(Form(form)) = form else {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "The request body must be form-encoded"));
    };
    if !client_authenticated(&sandbox, form.client_id.as_deref(), form.client_secret.as_deref()) {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "Invalid client_id or client_secret"));
    }
    let mut records = sandbox.records();
    match form.token.as_deref().and_then(|t| records.tokens.get_mut(t)) {
        Some(token) if token.client_id == form.client_id => {
            token.revoked = true;
            Ok(Json(json!({})).into_response())
        }
        _ => Err(ApiError::new(StatusCode::BAD_REQUEST, "Invalid token")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_must_share_the_registered_origin_and_path() {
        let registered = "http://localhost:5000/auth_callback";
        assert!(lies_under("http://localhost:5000/auth_callback", registered));
        assert!(lies_under("http://localhost:5000/auth_callback/x", registered));
        assert!(!lies_under("http://localhost:5001/auth_callback", registered));
        assert!(!lies_under("http://evil.example/auth_callback", registered));
        assert!(!lies_under("http://localhost:5000/other", registered));
    }

    #[test]
    fn narrowing_replaces_the_linodes_level_only() {
        let asked: OAuthScopes = "linodes:read_write,events:read_only".parse().unwrap();
        assert_eq!(narrow(&asked, Some("read_only")).to_string(), "events:read_only,linodes:read_only");
        assert_eq!(narrow(&asked, Some("none")).to_string(), "events:read_only");
        assert_eq!(narrow(&asked, Some("read_write")), asked);
    }
}
