//! An app's form: `GET /apps/{slug}` (and `GET /` for a service of one app)
//! shows it, preselected by a deep link; a `POST` to the same address
//! checks it and sends the visitor to Linode's login with a fresh OAuth
//! state kept in the server-side session, naming the app.

use axum::body::Bytes;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::catalog::CatalogData;
use crate::form::choice::{Choice, FieldError, FormValues};
use crate::form::{Field, Offer};
use crate::stores::tally::Event;
use crate::web::apps::App;
use crate::web::client::ClientKey;
use crate::web::delivery;
use crate::web::error::AppError;
use crate::web::pages::configure::configure_page;
use crate::web::security;
use crate::web::session::{DeploySession, PendingDeploy};
use crate::web::state::AppState;

/// `GET /`: the one app's form, or with several apps the list of them
/// ([`super::listing`]). A visitor whose last deploy's result never reached
/// them sees that result instead, once ([`delivery`]).
pub async fn show(
    State(state): State<AppState>,
    session: DeploySession,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    if let Some(page) = delivery::kept(&state, &session).await? {
        return Ok(page);
    }
    match state.apps.only() {
        Some(app) => form(app, query).await,
        None => super::listing::page(&state).await,
    }
}

/// `GET /apps/{slug}`: that app's form, deep links included.
pub async fn show_app(
    State(state): State<AppState>,
    session: DeploySession,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let app = Arc::clone(state.apps.get(&slug).ok_or(AppError::NotFound)?);
    if let Some(page) = delivery::kept(&state, &session).await? {
        return Ok(page);
    }
    form(&app, query).await
}

/// The form of `app`. Values in the query (`type`, `region`, `image` and
/// StackScript fields that are not secret) preselect it; values the form
/// does not offer are ignored with a notice. Sets no cookie.
async fn form(app: &App, query: Option<String>) -> Result<Response, AppError> {
    let catalog = app.catalog.get().await.map_err(AppError::CatalogUnavailable)?;
    as_reviewed(app, &catalog)?;
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        let page = app.page_cache.get_or_render(&catalog, || {
            let page = configure_page(&app.chrome, &catalog, &FormValues::default(), &[], Vec::new());
            askama::Template::render(&page).unwrap_or_default()
        });
        return Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response());
    };
    let pairs = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let (values, notices) = deep_link(pairs, &catalog);
    Ok(configure_page(&app.chrome, &catalog, &values, &[], notices).into_response())
}

/// The button that asks for the price of the choice instead of deploying it.
const PRICE_ACTION: (&str, &str) = ("action", "price");

/// `POST /`: the one app's form posted; with several apps each posts to its own address.
pub async fn submit(
    State(state): State<AppState>,
    client: ClientKey,
    headers: HeaderMap,
    session: DeploySession,
    body: Bytes,
) -> Result<Response, AppError> {
    let app = Arc::clone(state.apps.only().ok_or(AppError::NotFound)?);
    submit_to(&state, &app, client, &headers, &session, &body).await
}

/// `POST /apps/{slug}`: that app's form posted.
pub async fn submit_app(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    client: ClientKey,
    headers: HeaderMap,
    session: DeploySession,
    body: Bytes,
) -> Result<Response, AppError> {
    let app = Arc::clone(state.apps.get(&slug).ok_or(AppError::NotFound)?);
    submit_to(&state, &app, client, &headers, &session, &body).await
}

/// The "Update the price" button shows the form again with the price of
/// what is chosen; otherwise a valid choice goes into the session and the
/// visitor to Linode's login.
async fn submit_to(
    state: &AppState,
    app: &App,
    client: ClientKey,
    headers: &HeaderMap,
    session: &DeploySession,
    body: &[u8],
) -> Result<Response, AppError> {
    if !security::is_same_origin(headers, &state.settings.public_url) {
        return Err(AppError::CrossSite);
    }
    let catalog = app.catalog.get().await.map_err(AppError::CatalogUnavailable)?;
    as_reviewed(app, &catalog)?;
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/x-www-form-urlencoded"));
    let pairs = is_form.then(|| serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).ok()).flatten();
    let Some(pairs) = pairs else {
        let unreadable = FieldError::form("The form could not be read. Please choose again.");
        return Ok(invalid(app, &catalog, &FormValues::default(), &[unreadable]));
    };
    let wants_price = pairs.iter().any(|(key, value)| key == PRICE_ACTION.0 && value == PRICE_ACTION.1);
    let form = FormValues::from_pairs(pairs);
    if wants_price {
        // Without scripts, this is how the price follows the choice: the
        // same form, with the price of what is selected now. Nothing starts.
        let page = configure_page(&app.chrome, &catalog, &form, &[], Vec::new());
        return Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response());
    }
    let choice = match Choice::parse(&form, catalog.as_ref(), &app.spec.name) {
        Ok(choice) => choice,
        Err(errors) => return Ok(invalid(app, &catalog, &form, &errors)),
    };
    let pending = PendingDeploy::new(app.slug(), choice, client);
    session.begin(&pending, &state.pending).await?;
    let (plan, region) = (&pending.choice.type_id, &pending.choice.region);
    state.tally.record_now(app.slug(), Event::Started { plan, region });
    let url = state.login.authorize_url(&state.scopes, &state.settings.redirect_uri(), &pending.state);
    // A serialized URL is always printable ASCII, so it is always a valid header value.
    let location = HeaderValue::from_str(url.as_str()).expect("a URL is a valid header value");
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

/// Refuses to offer or deploy a StackScript that is not the one its
/// publisher reviewed (the app's `script_sha256`), and says so in the log and metrics.
pub fn as_reviewed(app: &App, catalog: &CatalogData) -> Result<(), AppError> {
    if catalog.script_as_pinned(app.spec.script_sha256.as_deref()) {
        return Ok(());
    }
    tracing::error!(
        app = app.slug(),
        stackscript_id = catalog.stackscript.id,
        found = %catalog.script_sha256,
        "the StackScript differs from APP_SCRIPT_SHA256 (or the app's script_sha256): not deploying it"
    );
    crate::metrics::script_pin_mismatch();
    Err(AppError::ScriptChanged)
}

/// The form again, with status 400 and the visitor's values. The page may
/// hold passwords the visitor typed, so it is never cached.
pub fn invalid(app: &App, catalog: &CatalogData, form: &FormValues, errors: &[FieldError]) -> Response {
    let page = configure_page(&app.chrome, catalog, form, errors, Vec::new());
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
