//! `GET /` shows the form (preselected by a deep link); `POST /` checks it
//! and sends the visitor to Linode's login with a fresh OAuth state kept in
//! the server-side session.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::catalog::CatalogData;
use crate::form::choice::{Choice, FieldError, FormValues};
use crate::form::{Field, Offer};
use crate::web::client::ClientKey;
use crate::web::delivery;
use crate::web::error::AppError;
use crate::web::pages::configure::configure_page;
use crate::web::security;
use crate::web::session::{DeploySession, PendingDeploy};
use crate::web::state::AppState;

/// `GET /`: the form. Values in the query (`type`, `region`, `image` and
/// StackScript fields that are not secret) preselect it; values the form
/// does not offer are ignored with a notice. Sets no cookie. A visitor
/// whose last deploy's result never reached them sees that result instead,
/// once ([`delivery`]).
pub async fn show(
    State(state): State<AppState>,
    session: DeploySession,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    if let Some(page) = delivery::kept(&state, &session).await? {
        return Ok(page);
    }
    let catalog = state.catalog.get().await.map_err(AppError::CatalogUnavailable)?;
    as_reviewed(&state, &catalog)?;
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        let page = state.page_cache.get_or_render(&catalog, || {
            let page = configure_page(&state.chrome, &catalog, &FormValues::default(), &[], Vec::new());
            askama::Template::render(&page).unwrap_or_default()
        });
        return Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response());
    };
    let pairs = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let (values, notices) = deep_link(pairs, &catalog);
    Ok(configure_page(&state.chrome, &catalog, &values, &[], notices).into_response())
}

/// The button that asks for the price of the choice instead of deploying it.
const PRICE_ACTION: (&str, &str) = ("action", "price");

/// `POST /`: the "Update the price" button shows the form again with the
/// price of what is chosen; otherwise a valid choice goes into the session and the visitor to Linode's login.
pub async fn submit(
    State(state): State<AppState>,
    client: ClientKey,
    headers: HeaderMap,
    session: DeploySession,
    body: Bytes,
) -> Result<Response, AppError> {
    if !security::is_same_origin(&headers, &state.settings.public_url) {
        return Err(AppError::CrossSite);
    }
    let catalog = state.catalog.get().await.map_err(AppError::CatalogUnavailable)?;
    as_reviewed(&state, &catalog)?;
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/x-www-form-urlencoded"));
    let pairs = is_form.then(|| serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body).ok()).flatten();
    let Some(pairs) = pairs else {
        let unreadable = FieldError::form("The form could not be read. Please choose again.");
        return Ok(invalid(&state, &catalog, &FormValues::default(), &[unreadable]));
    };
    let wants_price = pairs.iter().any(|(key, value)| key == PRICE_ACTION.0 && value == PRICE_ACTION.1);
    let form = FormValues::from_pairs(pairs);
    if wants_price {
        // Without scripts, this is how the price follows the choice: the
        // same form, with the price of what is selected now. Nothing starts.
        let page = configure_page(&state.chrome, &catalog, &form, &[], Vec::new());
        return Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response());
    }
    let choice = match Choice::parse(&form, catalog.as_ref(), &state.settings.application_name) {
        Ok(choice) => choice,
        Err(errors) => return Ok(invalid(&state, &catalog, &form, &errors)),
    };
    let pending = PendingDeploy::new(choice, client);
    session.begin(&pending, &state.pending).await?;
    let url = state.login.authorize_url(&state.scopes, &state.settings.redirect_uri(), &pending.state);
    // A serialized URL is always printable ASCII, so it is always a valid header value.
    let location = HeaderValue::from_str(url.as_str()).expect("a URL is a valid header value");
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

/// Refuses to offer or deploy a StackScript that is not the one its
/// publisher reviewed (`APP_SCRIPT_SHA256`), and says so in the log and metrics.
pub fn as_reviewed(state: &AppState, catalog: &CatalogData) -> Result<(), AppError> {
    if catalog.script_as_pinned(state.settings.script_sha256.as_deref()) {
        return Ok(());
    }
    tracing::error!(
        stackscript_id = catalog.stackscript.id,
        found = %catalog.script_sha256,
        "the StackScript differs from APP_SCRIPT_SHA256: not deploying it"
    );
    crate::metrics::script_pin_mismatch();
    Err(AppError::ScriptChanged)
}

/// The form again, with status 400 and the visitor's values. The page may
/// hold passwords the visitor typed, so it is never cached.
pub fn invalid(
    state: &AppState,
    catalog: &CatalogData,
    form: &FormValues,
    errors: &[FieldError],
) -> Response {
    let page = configure_page(&state.chrome, catalog, form, errors, Vec::new());
    (StatusCode::BAD_REQUEST, [(header::CACHE_CONTROL, "no-store")], page).into_response()
}

/// Keeps the deep link's values the form offers and names the others.
/// A link can preselect the plan, region, image and StackScript fields that
/// are not secret; nothing else.
fn deep_link(pairs: Vec<(String, String)>, catalog: &CatalogData) -> (FormValues, Vec<String>) {
    let mut kept = Vec::new();
    let mut ignored = Vec::new();
    for (key, value) in pairs {
        let field = Field::from_link_key(&key, |name| catalog.udf_field(name).is_some());
        let offered = match &field {
            Some(Field::Plan) => catalog.offers_plan(&value),
            Some(Field::Region) => catalog.offers_region(&value),
            Some(Field::Image) => catalog.offers_image(&value),
            Some(Field::Udf(name)) => catalog
                .udf_field(name)
                .is_some_and(|f| !f.is_secret() && value.split(',').all(|v| f.check(v).is_ok())),
            Some(_) | None => false,
        };
        match field {
            // A manyof's choices come comma-joined, as Linode takes them.
            Some(field @ Field::Udf(_)) if offered => {
                let input = field.input_name();
                kept.extend(value.split(',').map(|v| (input.to_string(), v.to_owned())));
            }
            Some(field) if offered => kept.push((field.input_name().into_owned(), value)),
            _ => ignored.push(key),
        }
    }
    let notices = if ignored.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "The link named values this form does not offer, so they were ignored: {}.",
            ignored.join(", ")
        )]
    };
    (FormValues::from_pairs(kept), notices)
}
