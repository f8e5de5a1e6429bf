//! The error page, rendered once at the edge for every error response: an
//! [`AppError`](super::error::AppError) attaches an [`ErrorPage`] to its
//! response, and bare error statuses from the layers below (a timeout, a
//! body over the limit, a method not allowed) get a page of their own.
//! HTML and JSON answers are left as they are: they are meant for their reader.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::ErrorPage;
use super::pages::{Chrome, ErrorTemplate};

/// Renders the page of an error response (a `map_response` layer: no
/// future of its own on the hot path).
pub fn render(chrome: &Chrome, response: Response) -> Response {
    let status = response.status();
    let page = match response.extensions().get::<ErrorPage>() {
        Some(page) => page.clone(),
        None if (status.is_client_error() || status.is_server_error())
            && response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_none_or(|t| t.as_bytes().starts_with(b"text/plain")) =>
        {
            fallback_page(status)
        }
        None => return response,
    };
    let (mut parts, _) = response.into_parts();
    let mut rendered = ErrorTemplate { chrome: chrome.clone(), page }.into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    std::mem::swap(rendered.headers_mut(), &mut parts.headers);
    *rendered.status_mut() = status;
    rendered
}

fn fallback_page(status: StatusCode) -> ErrorPage {
    let (title, message): (&'static str, &str) = match status {
        StatusCode::REQUEST_TIMEOUT => ("This took too long", "The request took too long and was stopped."),
        StatusCode::PAYLOAD_TOO_LARGE => ("Too much data", "The form sent more data than it can have."),
        StatusCode::METHOD_NOT_ALLOWED => ("Not allowed", "This page cannot be used that way."),
        s if s.is_server_error() => ("Something went wrong", "The request could not be completed."),
        _ => ("The request could not be used", "The request was not one this site understands."),
    };
    ErrorPage {
        title,
        message: message.to_owned(),
        reasons: Vec::new(),
        next_step: Some("Start again from the first page.".to_owned()),
        link: None,
    }
}
