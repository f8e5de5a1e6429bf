//! `GET /admin`: the publisher's dashboard. Only when `APP_ADMIN_TOKEN` is
//! set (else there is no such page), and only with that token: the password
//! of HTTP Basic sign-in (any user name), so a browser asks for it, or an
//! `Authorization: Bearer` header, for scripts. Both are compared in
//! constant time (`subtle`, over SHA-256 digests so lengths leak nothing);
//! the route table limits requests per client ([`super::super::rate_limit`]).
//!
//! Per app, for the last 24 hours and 7 days: deploys started, abandoned at
//! the consent page, created, reaching their app, failed by stage and
//! reason, the median time to ready, the plans and regions chosen, and a
//! seven-day chart. Counts only ([`crate::stores::tally`]).

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::catalog::CatalogData;
use crate::stores::tally::{self, Tally};
use crate::web::dashboard::{self, Summary};
use crate::web::error::AppError;
use crate::web::pages::configure::region_label;
use crate::web::pages::{AdminApp, AdminPage, FailureRow, WindowView};
use crate::web::state::AppState;

/// Requests one client may make to `/admin` a minute.
pub const PER_MINUTE: u32 = 30;

/// The dashboard.
pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let Some(token) = &state.settings.admin_token else {
        return Err(AppError::NotFound);
    };
    if !signed_in(&headers, token) {
        if headers.contains_key(header::AUTHORIZATION) {
            tracing::warn!("dashboard sign-in refused: wrong token");
        }
        return Err(AppError::AdminSignIn);
    }
    let now = tally::this_hour();
    let mut apps = Vec::new();
    for app in state.apps.iter() {
        let hours =
            state.tally.hours(app.slug(), now, 7 * 24).await.map_err(|_| AppError::StoreUnavailable)?;
        let week = Summary::of(&hours, now);
        let day = Summary::of(&hours[hours.len().saturating_sub(24)..], now);
        // Labels from the catalog when it is at hand; ids otherwise.
        let catalog = app.catalog.get().await.ok();
        apps.push(AdminApp {
            slug: app.slug().to_owned(),
            name: app.spec.name.clone(),
            checks_app: app.spec.ready_url.is_some(),
            chart: dashboard::chart(&dashboard::days(&hours, now)),
            plans: labelled(&week.plans, |id| plan_label(catalog.as_deref(), id)),
            regions: labelled(&week.regions, |id| {
                catalog.as_deref().and_then(|c| c.region_by_id(id)).map(region_label)
            }),
            week: view(&week, Some(&day)),
            day: view(&day, None),
        });
    }
    let page = AdminPage {
        chrome: state.chrome.clone(),
        apps,
        store: match state.tally {
            Tally::Memory(_) => "this replica's memory (since it started)",
            Tally::Redis(_) => "Redis (every replica; kept across restarts for 8 days)",
        },
        generated: {
            let now = time::OffsetDateTime::now_utc();
            let (date, hour, minute) = (now.date(), now.hour(), now.minute());
            format!("{date} {hour:02}:{minute:02}")
        },
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response())
}

/// Whether the request carries the dashboard's token.
fn signed_in(headers: &HeaderMap, token: &SecretString) -> bool {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let given = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim().to_owned(),
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => {
            let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest.trim()) else {
                return false;
            };
            let decoded = String::from_utf8_lossy(&decoded).into_owned();
            match decoded.split_once(':') {
                Some((_user, password)) => password.to_owned(),
                None => return false,
            }
        }
        _ => return false,
    };
    let given = Sha256::digest(given.as_bytes());
    let expected = Sha256::digest(token.expose_secret().as_bytes());
    given.ct_eq(&expected).into()
}

/// A window's counts as the page shows them; the 7-day window lists its
/// failures with the 24-hour count of each next to it.
fn view(summary: &Summary, day: Option<&Summary>) -> WindowView {
    WindowView {
        started: summary.started,
        abandoned: summary.abandoned,
        created: summary.created,
        reached: summary.reached,
        failed: summary.failed(),
        median: summary.median_to_ready.map_or_else(|| "none yet".to_owned(), dashboard::duration_words),
        failures: summary
            .failures
            .iter()
            .map(|(stage, reason, week)| FailureRow {
                stage: stage.replace('_', " "),
                reason: reason.replace('_', " "),
                day: day
                    .and_then(|d| d.failures.iter().find(|(s, r, _)| s == stage && r == reason))
                    .map_or(0, |(_, _, n)| *n),
                week: *week,
            })
            .collect(),
    }
}

fn plan_label(catalog: Option<&CatalogData>, id: &str) -> Option<String> {
    catalog.and_then(|c| c.type_by_id(id)).map(|t| t.label.clone())
}

fn labelled(counts: &[(String, u64)], label: impl Fn(&str) -> Option<String>) -> Vec<(String, u64)> {
    counts
        .iter()
        .map(|(id, n)| (label(id).map_or_else(|| id.clone(), |l| format!("{l} ({id})")), *n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn the_token_opens_the_dashboard_as_a_bearer_or_a_basic_password_and_nothing_else_does() {
        let token = SecretString::from("a-token-of-24-characters");
        let basic = |credentials: &str| {
            with(&format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials)))
        };
        assert!(signed_in(&with("Bearer a-token-of-24-characters"), &token));
        assert!(signed_in(&with("bearer a-token-of-24-characters"), &token));
        assert!(signed_in(&basic("anyone:a-token-of-24-characters"), &token));
        assert!(!signed_in(&basic("a-token-of-24-characters:"), &token), "the token is the password");
        assert!(!signed_in(&with("Bearer a-token-of-24-character"), &token));
        assert!(!signed_in(&with("Basic !!!"), &token));
        assert!(!signed_in(&with("Token a-token-of-24-characters"), &token));
        assert!(!signed_in(&HeaderMap::new(), &token));
    }
}
