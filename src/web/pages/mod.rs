//! The pages, as askama templates compiled into the binary.
//!
//! askama escapes every `{{ }}` for HTML, so Linode's strings, the visitor's
//! input and the passwords are all safe to show. Responses go through
//! askama_web's `IntoResponse`. [`configure`] builds the form from the
//! catalog; [`price`] words what a plan costs in a region.

pub mod configure;
pub mod price;

use std::borrow::Cow;

use askama::Template;
use askama_web::WebTemplate;

use crate::web::error::ErrorPage;

/// What every page shows around its content.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The publisher's application name.
    pub application_name: String,
    /// Whether the sandbox banner is shown.
    pub sandbox: bool,
    /// The app's slug in its addresses (`/apps/{slug}`).
    pub app_slug: String,
    /// Where the app's form is and posts to: `/` for a service of one app,
    /// else `/apps/{slug}`.
    pub form_url: String,
}

/// One `<option>`, radio button or checkbox.
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
    pub name: Cow<'static, str>,
    /// The label's text.
    pub label: &'static str,
    /// The options.
    pub options: Vec<SelectOption>,
    /// A message next to the field, after a failed post.
    pub error: Option<String>,
}

/// A text, password or textarea input of the instance options.
#[derive(Debug, Clone)]
pub struct TextInput {
    /// Field name and element id.
    pub name: Cow<'static, str>,
    /// `text`, `password` or `textarea`.
    pub kind: &'static str,
    /// The label's text.
    pub label: &'static str,
    /// What was entered.
    pub value: String,
    /// A hint under the field.
    pub hint: &'static str,
    /// A message next to the field.
    pub error: Option<String>,
}

/// A checkbox of our own, with a hint.
#[derive(Debug, Clone)]
pub struct Toggle {
    /// Field name and element id.
    pub name: Cow<'static, str>,
    /// The label's text.
    pub label: &'static str,
    /// A hint under it.
    pub hint: String,
    /// Whether it is ticked.
    pub checked: bool,
    /// A message next to it.
    pub error: Option<String>,
}

/// One StackScript field on the form.
#[derive(Debug, Clone)]
pub struct UdfInput {
    /// The UDF's name (the value of a `generate` checkbox).
    pub field_name: String,
    /// The input's name and id (`udf_<name>`).
    pub name: Cow<'static, str>,
    /// The label's text.
    pub label: String,
    /// The example, as a hint.
    pub hint: Option<String>,
    /// Whether a value must be given.
    pub required: bool,
    /// `text`, `secret`, `radio`, `select` or `checkbox`.
    pub kind: &'static str,
    /// The current value of a text or secret field.
    pub value: String,
    /// The choices of a radio, select or checkbox field.
    pub options: Vec<SelectOption>,
    /// Whether the app should generate the secret.
    pub generate: bool,
    /// Whether the app offers to generate it (not for tokens).
    pub generatable: bool,
    /// A message next to the field.
    pub error: Option<String>,
}

/// `GET /` and a re-shown `POST /`.
#[derive(Template, WebTemplate)]
#[template(path = "configure.html")]
pub struct ConfigurePage {
    /// Page chrome.
    pub chrome: Chrome,
    /// The StackScript's name.
    pub stackscript_label: String,
    /// Plan, region and distribution.
    pub selects: Vec<Select>,
    /// Label, SSH keys and root password.
    pub options: Vec<TextInput>,
    /// Whether the optional section starts open (a value or an error in it).
    pub options_open: bool,
    /// What the selected plan costs in the selected region; none without plans.
    pub price: Option<price::PriceView>,
    /// The Backups checkbox, when any plan offers Backups.
    pub backups: Option<Toggle>,
    /// The checkbox for the keys of the visitor's Linode profile.
    pub profile_keys: Toggle,
    /// The StackScript's fields.
    pub udfs: Vec<UdfInput>,
    /// About the StackScript.
    pub card: ScriptCard,
    /// Messages about the form as a whole.
    pub errors: Vec<String>,
    /// Things the visitor should know (ignored link values).
    pub notices: Vec<String>,
}

/// A secret shown once on the success page.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ShownSecret {
    /// Element id.
    pub id: String,
    /// What it is.
    pub label: String,
    /// The value.
    pub value: String,
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
    /// The sudo user a Marketplace-style script creates; none: sign in as root.
    pub login: Option<crate::form::conventions::SshLogin>,
    /// The generated root password, or none when the visitor chose their own.
    pub password: Option<String>,
    /// Generated StackScript secrets.
    pub secrets: Vec<ShownSecret>,
    /// Its stage as created.
    pub stage: StageView,
    /// Whether the deploy goes on to check that the app answers.
    pub checks_app: bool,
    /// Where the progress is watched; none when the deploy could not be watched.
    pub progress_url: Option<String>,
    /// Why the deploy is not watched, when it is not.
    pub refused_note: Option<String>,
}

/// A deploy's stage as the success and progress pages show it.
#[derive(Debug, Clone)]
pub struct StageView {
    /// The stage's word (`installing`, `ready`, `failed`, …).
    pub word: String,
    /// What it means, in one sentence.
    pub sentence: String,
    /// Seconds since the server was created.
    pub elapsed_secs: u64,
    /// Where the app opens, once it answers.
    pub open_url: Option<String>,
    /// Whether the deploy failed.
    pub failed: bool,
    /// Whether the page offers to delete the failed server.
    pub can_delete: bool,
    /// Where the delete form posts.
    pub delete_url: String,
    /// The server's page in Cloud Manager.
    pub cloud_manager_url: String,
    /// Whether anything may still change (the page keeps watching).
    pub live: bool,
}

impl StageView {
    /// The view of `progress` for the deploy with this id.
    pub fn new(progress: &crate::deploy::stage::Progress, id: &str) -> Self {
        use crate::deploy::stage::Stage;
        Self {
            word: progress.stage.as_str().to_owned(),
            sentence: progress.stage_sentence(),
            elapsed_secs: progress.elapsed_secs(),
            open_url: progress.open_url.clone(),
            failed: matches!(progress.stage, Stage::Failed(_)),
            can_delete: progress.can_delete(),
            delete_url: format!("/deploys/{id}/delete"),
            cloud_manager_url: format!("https://cloud.linode.com/linodes/{}", progress.instance_id),
            live: progress.is_live(),
        }
    }
}

/// The progress of a deploy, on its own page (no secrets).
#[derive(Template, WebTemplate)]
#[template(path = "progress.html")]
pub struct ProgressPage {
    /// Page chrome.
    pub chrome: Chrome,
    /// The Linode's label.
    pub label: String,
    /// `ssh USER@IP`, once it has an address.
    pub ssh_command: Option<String>,
    /// Its stage.
    pub stage: StageView,
    /// Whether the app still holds access.
    pub watching: bool,
    /// What became of the access, once it is given up.
    pub access_note: Option<String>,
    /// This page's own address (it refreshes itself while watching).
    pub progress_url: String,
}

/// The StackScript's source, to read before granting anything.
#[derive(Template, WebTemplate)]
#[template(path = "script.html")]
pub struct ScriptPage {
    /// Page chrome.
    pub chrome: Chrome,
    /// The StackScript's name.
    pub label: String,
    /// Its source (escaped by the template).
    pub script: String,
    /// Its SHA-256.
    pub sha256: String,
    /// The app's form.
    pub form_url: String,
}

/// What the form says about the StackScript that will run.
#[derive(Debug, Clone)]
pub struct ScriptCard {
    /// What it does, as plain text.
    pub description: Option<String>,
    /// Its author.
    pub author: Option<String>,
    /// When it last changed.
    pub updated: Option<String>,
    /// How many Linodes were deployed from it.
    pub deployments: Option<u64>,
    /// Its source's page.
    pub script_url: String,
}

/// `GET /` of a service of several apps: each app with a Deploy link.
#[derive(Template, WebTemplate)]
#[template(path = "apps.html")]
pub struct AppsPage {
    /// Page chrome (the service's).
    pub chrome: Chrome,
    /// The apps, in the apps file's order.
    pub apps: Vec<AppItem>,
}

/// One app in the list.
#[derive(Debug, Clone)]
pub struct AppItem {
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Its StackScript's description, as plain text.
    pub description: Option<String>,
    /// How many Linodes were deployed from its StackScript.
    pub deployments: Option<u64>,
    /// Whether its StackScript could not be read just now.
    pub unavailable: bool,
}

/// `GET /admin`: the publisher's dashboard.
#[derive(Template, WebTemplate)]
#[template(path = "admin.html")]
pub struct AdminPage {
    /// Page chrome (the service's).
    pub chrome: Chrome,
    /// Each app's outcomes.
    pub apps: Vec<AdminApp>,
    /// Where the counts are kept, in words.
    pub store: &'static str,
    /// When the page was made (UTC).
    pub generated: String,
}

/// One app on the dashboard.
#[derive(Debug, Clone)]
pub struct AdminApp {
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Whether its deploys go on to check the app answers.
    pub checks_app: bool,
    /// The last 24 hours.
    pub day: WindowView,
    /// The last 7 days.
    pub week: WindowView,
    /// Its seven-day chart, an SVG made by [`crate::web::dashboard::chart`] (text escaped there).
    pub chart: String,
    /// Plans chosen in 7 days, as (label, count).
    pub plans: Vec<(String, u64)>,
    /// Regions chosen in 7 days, as (label, count).
    pub regions: Vec<(String, u64)>,
}

/// One window's counts, as shown.
#[derive(Debug, Clone)]
pub struct WindowView {
    /// Started.
    pub started: u64,
    /// Abandoned at the consent page.
    pub abandoned: u64,
    /// Created.
    pub created: u64,
    /// Reached the app.
    pub reached: u64,
    /// Failed.
    pub failed: u64,
    /// The median time to ready, in words ("none yet" without any).
    pub median: String,
    /// Failures by stage and reason (filled for the 7-day window).
    pub failures: Vec<FailureRow>,
}

/// Failures of one stage and reason.
#[derive(Debug, Clone)]
pub struct FailureRow {
    /// Where.
    pub stage: String,
    /// Why.
    pub reason: String,
    /// In the last 24 hours.
    pub day: u64,
    /// In the last 7 days.
    pub week: u64,
}

/// The Deploy button's snippets and a deep-link builder.
#[derive(Template, WebTemplate)]
#[template(path = "share.html")]
pub struct SharePage {
    /// Page chrome.
    pub chrome: Chrome,
    /// The button's address.
    pub button: String,
    /// Whether the button shows the deploy count.
    pub with_count: bool,
    /// The form's address, with the builder's choices.
    pub link: String,
    /// The Markdown snippet.
    pub markdown: String,
    /// The HTML snippet.
    pub html: String,
    /// Plans as (id, label, chosen).
    pub plans: Vec<(String, String, bool)>,
    /// Regions as (id, label, chosen).
    pub regions: Vec<(String, String, bool)>,
    /// Images as (id, label, chosen).
    pub images: Vec<(String, String, bool)>,
    /// The StackScript's fields that are not secret, as (name, label, value).
    pub fields: Vec<(String, String, String)>,
}

/// A deploy still talking to Linode, after the callback stopped waiting.
#[derive(Template, WebTemplate)]
#[template(path = "working.html")]
pub struct WorkingPage {
    /// Page chrome.
    pub chrome: Chrome,
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
