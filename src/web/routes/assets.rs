//! `GET /static/{file}`: the app's own stylesheet and script, compiled into the binary
//! so the container needs no files beside it.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::web::error::AppError;

/// Every static file: name, content type, body.
const FILES: &[(&str, &str, &str)] = &[
    ("style.css", "text/css; charset=utf-8", include_str!("../../../static/style.css")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../../static/app.js")),
];

/// Serves one embedded file.
pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, ..)| *name == file) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
            ],
            *body,
        )
            .into_response(),
        None => AppError::NotFound.into_response(),
    }
}
