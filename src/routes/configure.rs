//! `GET /` shows the form; `POST /` checks it and sends the visitor to
//! Linode's login with a fresh OAuth state kept in the session.

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::catalog::CatalogData;
use crate::choice::{Choice, ChoiceForm, FieldError};
use crate::error::AppError;
use crate::session::{PendingDeploy, store_pending};
use crate::state::AppState;
use crate::templates::{ConfigurePage, FormMessage, Select, SelectOption};

/// `GET /`: the form. Sets no cookie.
pub async fn show(State(state): State<AppState>) -> Result<ConfigurePage, AppError> {
    let catalog = state.catalog.get().await.map_err(AppError::CatalogUnavailable)?;
    Ok(page(&state, &catalog, &ChoiceForm::default(), &[]))
}

/// `POST /`: a valid choice goes into the session and the visitor to Linode's login.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    form: Result<Form<ChoiceForm>, FormRejection>,
) -> Result<Response, AppError> {
    if !is_same_origin(&headers, &state.settings.public_url) {
        return Err(AppError::CrossSite);
    }
    let catalog = state.catalog.get().await.map_err(AppError::CatalogUnavailable)?;
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(AppError::TooLarge);
        }
        Err(_) => {
            let message =
                FieldError { field: "", message: "The form could not be read. Please choose again." };
            return Ok(invalid(&state, &catalog, &ChoiceForm::default(), &[message]));
        }
    };
    let choice = match Choice::parse(&form, &catalog) {
        Ok(choice) => choice,
        Err(errors) => return Ok(invalid(&state, &catalog, &form, &errors)),
    };
    let pending = PendingDeploy::new(choice);
    // A new id for the session that now holds a login in progress (no fixation).
    session.cycle_id().await?;
    store_pending(&session, &pending).await?;
    let url = state.login.authorize_url(&state.scopes, &state.settings.redirect_uri(), &pending.state);
    // A serialized URL is always printable ASCII, so it is always a valid header value.
    let location = HeaderValue::from_str(url.as_str()).expect("a URL is a valid header value");
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

/// Whether a form post comes from our own pages. Browsers send `Origin` on
/// every POST; older ones send only `Sec-Fetch-Site`. A client that sends
/// neither is not a browser, so no visitor can be tricked through it.
fn is_same_origin(headers: &HeaderMap, public_url: &url::Url) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ours = public_url.origin().ascii_serialization();
        return origin.to_str().is_ok_and(|o| o.trim_end_matches('/') == ours);
    }
    match headers.get("sec-fetch-site").map(|v| v.to_str().unwrap_or("")) {
        Some(site) => matches!(site, "same-origin" | "none"),
        None => true,
    }
}

fn invalid(state: &AppState, catalog: &CatalogData, form: &ChoiceForm, errors: &[FieldError]) -> Response {
    (StatusCode::BAD_REQUEST, page(state, catalog, form, errors)).into_response()
}

fn page(state: &AppState, catalog: &CatalogData, form: &ChoiceForm, errors: &[FieldError]) -> ConfigurePage {
    let error_for = |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.message);
    let options = |items: Vec<(String, String)>, chosen: &Option<String>| {
        items
            .into_iter()
            .map(|(value, label)| SelectOption {
                selected: chosen.as_deref() == Some(value.as_str()),
                value,
                label,
            })
            .collect()
    };
    let types = catalog.types.iter().map(|t| (t.id.clone(), t.label.clone())).collect();
    let regions = catalog
        .regions
        .iter()
        .map(|r| {
            let label = match &r.label {
                Some(label) => format!("{label} ({})", r.id),
                None => r.id.clone(),
            };
            (r.id.clone(), label)
        })
        .collect();
    let images = catalog.stackscript.images.iter().map(|i| (i.clone(), i.clone())).collect();
    ConfigurePage {
        chrome: state.chrome.clone(),
        selects: vec![
            Select {
                name: "type",
                label: "Plan",
                options: options(types, &form.type_id),
                error: error_for("type"),
            },
            Select {
                name: "region",
                label: "Region",
                options: options(regions, &form.region),
                error: error_for("region"),
            },
            Select {
                name: "distribution",
                label: "Distribution",
                options: options(images, &form.distribution),
                error: error_for("distribution"),
            },
        ],
        errors: errors.iter().map(|e| FormMessage { message: e.message }).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_our_own_origin_may_post_the_form() {
        let ours = url::Url::parse("https://deploy.example.com").unwrap();
        assert!(is_same_origin(&headers(&[("origin", "https://deploy.example.com")]), &ours));
        assert!(!is_same_origin(&headers(&[("origin", "https://evil.example")]), &ours));
        assert!(!is_same_origin(&headers(&[("origin", "http://deploy.example.com")]), &ours));
        assert!(!is_same_origin(&headers(&[("origin", "null")]), &ours));
    }

    #[test]
    fn without_origin_sec_fetch_site_decides() {
        let ours = url::Url::parse("http://localhost:5000").unwrap();
        assert!(is_same_origin(&headers(&[("sec-fetch-site", "same-origin")]), &ours));
        assert!(!is_same_origin(&headers(&[("sec-fetch-site", "cross-site")]), &ours));
        assert!(!is_same_origin(&headers(&[("sec-fetch-site", "same-site")]), &ours));
        assert!(is_same_origin(&HeaderMap::new(), &ours));
    }
}
