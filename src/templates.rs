//! The pages, as askama templates compiled into the binary.
//!
//! askama escapes every `{{ }}` for HTML, so Linode's strings, the visitor's
//! input and the password are all safe to show. Responses go through
//! askama_web's `IntoResponse`.

use askama::Template;
use askama_web::WebTemplate;

use crate::error::ErrorPage;

/// What every page shows around its content.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The publisher's application name.
    pub application_name: String,
    /// Whether the sandbox banner is shown.
    pub sandbox: bool,
}

/// One `<option>`.
#[derive(Debug, Clone)]
pub struct SelectOption {
    /// The value posted.
    pub value: String,
    /// What the visitor reads.
    pub label: String,
    /// Whether it is preselected.
    pub selected: bool,
}

/// One `<select>` with its label and message.
#[derive(Debug, Clone)]
pub struct Select {
    /// Field name and element id.
    pub name: &'static str,
    /// The label's text.
    pub label: &'static str,
    /// The options.
    pub options: Vec<SelectOption>,
    /// A message next to the field, after a failed post.
    pub error: Option<&'static str>,
}

/// A message listed at the top of the form.
#[derive(Debug, Clone)]
pub struct FormMessage {
    /// The text.
    pub message: &'static str,
}

/// `GET /` and a re-shown `POST /`.
#[derive(Template, WebTemplate)]
#[template(path = "configure.html")]
pub struct ConfigurePage {
    /// Page chrome.
    pub chrome: Chrome,
    /// Plan, region and distribution.
    pub selects: Vec<Select>,
    /// Messages after a failed post.
    pub errors: Vec<FormMessage>,
}

/// The deploy went through.
#[derive(Template, WebTemplate)]
#[template(path = "success.html")]
pub struct SuccessPage {
    /// Page chrome.
    pub chrome: Chrome,
    /// The Linode's label.
    pub label: String,
    /// Its group.
    pub group: String,
    /// Its first public IPv4 address.
    pub ip: Option<String>,
    /// The root password, shown this once.
    pub password: String,
}

/// Something went wrong.
#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorTemplate {
    /// Page chrome.
    pub chrome: Chrome,
    /// What to show.
    pub page: ErrorPage,
}
