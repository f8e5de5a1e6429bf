//! Typed settings, read once at start-up.
//!
//! Loading is "parse, don't validate": [`raw`] reads the layers (defaults,
//! `config/local.toml`, `APP_*`) into typed optional fields, and
//! [`Settings::from_raw`] turns them into a [`Settings`] whose every value is
//! known good, or into a [`SettingsError`] that names the environment
//! variable to fix.

pub mod apps;
pub mod raw;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

pub use apps::AppSpec;
pub use raw::{DEFAULTS, RawSettings};

/// Everything the server needs to run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to bind (`APP_HOST`, default `127.0.0.1`).
    pub host: String,
    /// Port to bind (`APP_PORT`, default 5000; 0 picks a free one).
    pub port: u16,
    /// Public origin of the app (`APP_PUBLIC_URL`, default `http://localhost:5000`).
    pub public_url: Url,
    /// OAuth client id (`APP_CLIENT_ID`, required).
    pub client_id: String,
    /// OAuth client secret (`APP_CLIENT_SECRET`, required).
    pub client_secret: SecretString,
    /// Key that signs the session cookie (`APP_SECRET_KEY`, required, at least 32 bytes).
    pub secret_key: SecretString,
    /// StackScript every deploy runs (`APP_STACKSCRIPT_ID`, default 320826).
    pub stackscript_id: u64,
    /// Name shown on the pages and used as the Linode's group (`APP_APPLICATION_NAME`).
    pub application_name: String,
    /// Base of Linode's API (`APP_LINODE_API_URL`, default `https://api.linode.com/v4`).
    pub linode_api_url: Url,
    /// Base of Linode's login server (`APP_LINODE_LOGIN_URL`, default `https://login.linode.com`).
    pub linode_login_url: Url,
    /// Log output (`APP_LOG_FORMAT`, `pretty` or `json`).
    pub log_format: LogFormat,
    /// Total time for one call to Linode (`APP_HTTP_TIMEOUT_SECONDS`, default 10).
    pub http_timeout: Duration,
    /// How long the plans, regions and StackScript are cached (`APP_CATALOG_TTL_SECONDS`, default 300).
    pub catalog_ttl: Duration,
    /// Run against the built-in simulated Linode (`APP_SANDBOX` or `--sandbox`, default false).
    pub sandbox: bool,
    /// Where sessions live (`APP_SESSION_STORE`: `memory`, the default, or a `redis://` URL).
    pub session_store: SessionStoreSetting,
    /// Listener for Prometheus metrics (`APP_METRICS_ADDR`, such as `127.0.0.1:9100`; off by default).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Proxies whose `X-Forwarded-For` is believed (`APP_TRUSTED_PROXIES`, comma-separated IPs or CIDRs).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Form posts and callbacks one client may make a minute (`APP_RATE_LIMIT_PER_MINUTE`, default 20; 0 is off).
    pub rate_limit_per_minute: u32,
    /// Deploys one client may have waiting on Linode's login at once (`APP_PENDING_PER_CLIENT`, default 10; 0 is off).
    pub pending_per_client: u32,
    /// Delay added to every answer of the sandbox's simulated Linode (`APP_SANDBOX_LATENCY_MS`, default 0).
    pub sandbox_latency: Duration,
    /// The personal access token the sandbox's simulated account accepts from
    /// outside clients (`APP_SANDBOX_TOKEN`; made up at each start when empty).
    pub sandbox_token: Option<SecretString>,
    /// The SHA-256 of the StackScript's script as the publisher reviewed it
    /// (`APP_SCRIPT_SHA256`, 64 hex digits; empty: not pinned). While the
    /// script differs, nothing is deployed.
    pub script_sha256: Option<String>,
    /// How long the callback waits for its deploy before answering with a
    /// page that waits on its own (`APP_RESULT_WAIT_SECONDS`, default 45,
    /// under the 60-second request timeout).
    pub result_wait: Duration,
    /// What says the app on a new server answers (`APP_READY_URL`, such as
    /// `http://{ipv4}/` or `tcp://{ipv4}:22`; empty: no app stage, done at `running`).
    pub ready_url: Option<String>,
    /// Where the visitor opens the app (`APP_OPEN_URL`; empty: the ready URL
    /// when it is http(s), else `http://{ipv4}/`).
    pub open_url: Option<String>,
    /// From the create to the app answering, at most (`APP_READY_TIMEOUT_SECONDS`, default 1200).
    pub ready_timeout: Duration,
    /// Whether private, loopback and documentation addresses may be probed
    /// (`APP_READY_ALLOW_PRIVATE`, default false; tests and the sandbox).
    pub ready_allow_private: bool,
    /// Set by the sandbox only: its simulated servers answer under its own
    /// port, so the ready URL need not name the server's address.
    pub ready_anywhere: bool,
    /// A script file the sandbox serves as its StackScript, read again when it
    /// changes (`APP_SANDBOX_SCRIPT` or `--script`; empty: the demo script).
    pub sandbox_script: Option<std::path::PathBuf>,
    /// The token of the publisher's dashboard at `/admin` (`APP_ADMIN_TOKEN`,
    /// at least 16 characters; empty: no dashboard, `/admin` is a 404).
    pub admin_token: Option<SecretString>,
    /// The apps of the apps file (`APP_APPS_FILE`); empty without one, when
    /// the settings above describe the one app ([`Self::app_list`]).
    pub apps: Vec<AppSpec>,
}

/// Where sessions are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionStoreSetting {
    /// In this process's memory (one replica).
    Memory,
    /// In Redis at this URL, shared by every replica.
    Redis(String),
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, one line per event.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// A setting that is missing or wrong, named by its environment variable.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A required key has no value.
    #[error("{var} is required: {what}")]
    Missing {
        /// The environment variable to set.
        var: String,
        /// What the value is.
        what: &'static str,
    },
    /// A key has a value that cannot be used.
    #[error("{var} is invalid: {why}")]
    Invalid {
        /// The environment variable to fix.
        var: String,
        /// What the value needs.
        why: String,
    },
    /// A configuration file could not be read.
    #[error("could not read the settings: {0}")]
    Source(String),
}

impl Settings {
    /// Reads the embedded defaults, `config/local.toml` and the `APP_*` environment;
    /// `sandbox` (the `--sandbox` flag) turns the sandbox on whatever they say.
    pub fn load(sandbox: bool) -> Result<Self, SettingsError> {
        let mut raw = RawSettings::load()?;
        if sandbox {
            raw.sandbox = Some(true);
        }
        Self::from_raw(raw)
    }

    /// The defaults alone (no `config/local.toml`, no environment) with these
    /// secrets: a starting point for tests and tools, which then change what
    /// they need.
    pub fn from_defaults(
        client_id: &str,
        client_secret: &str,
        secret_key: &str,
    ) -> Result<Self, SettingsError> {
        let mut raw = RawSettings::from_layers(false, Some(Default::default()))?;
        raw.client_id = Some(client_id.to_owned());
        raw.client_secret = Some(client_secret.to_owned().into());
        raw.secret_key = Some(secret_key.to_owned().into());
        Self::from_raw(raw)
    }

    /// Checks every raw value and builds the settings.
    pub fn from_raw(mut raw: RawSettings) -> Result<Self, SettingsError> {
        let sandbox = raw.sandbox.unwrap_or(false);
        if sandbox {
            // The sandbox registers its own OAuth client and needs no real secrets.
            raw.client_id = Some(format!("sandbox-{}", &crate::random::hex(8)));
            raw.client_secret = Some(crate::random::hex(32).into());
            raw.secret_key = Some(crate::random::hex(32).into());
        }
        let secret_key = required_secret(raw.secret_key, "APP_SECRET_KEY", SECRET_KEY_WHAT)?;
        if secret_key.expose_secret().len() < 32 {
            return Err(invalid(
                "APP_SECRET_KEY",
                "it must be at least 32 bytes long (try: openssl rand -hex 32)",
            ));
        }
        let application_name =
            required(raw.application_name, "APP_APPLICATION_NAME", "the name shown to visitors")?;
        if application_name.chars().count() > 50 {
            return Err(invalid("APP_APPLICATION_NAME", "at most 50 characters"));
        }
        Ok(Self {
            host: required(raw.host, "APP_HOST", "the address to listen on")?,
            port: present(raw.port, "APP_PORT", "a port number from 0 to 65535")?,
            public_url: web_url(raw.public_url, "APP_PUBLIC_URL")?,
            client_id: required(raw.client_id, "APP_CLIENT_ID", CLIENT_ID_WHAT)?,
            client_secret: required_secret(
                raw.client_secret,
                "APP_CLIENT_SECRET",
                "the OAuth client's secret, shown once when the client is created",
            )?,
            secret_key,
            stackscript_id: present(raw.stackscript_id, "APP_STACKSCRIPT_ID", "a StackScript id")?,
            application_name,
            linode_api_url: web_url(raw.linode_api_url, "APP_LINODE_API_URL")?,
            linode_login_url: web_url(raw.linode_login_url, "APP_LINODE_LOGIN_URL")?,
            log_format: raw.log_format.unwrap_or(LogFormat::Pretty),
            http_timeout: Duration::from_secs(present(
                raw.http_timeout_seconds,
                "APP_HTTP_TIMEOUT_SECONDS",
                "a whole number of seconds from 1 to 120",
            )?)
            .clamp(Duration::from_secs(1), Duration::from_secs(120)),
            catalog_ttl: Duration::from_secs(present(
                raw.catalog_ttl_seconds,
                "APP_CATALOG_TTL_SECONDS",
                "a whole number of seconds",
            )?),
            sandbox,
            session_store: match raw.session_store.as_deref().map(str::trim) {
                None | Some("" | "memory") => SessionStoreSetting::Memory,
                Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
                    // Checked here, so a bad URL stops start-up like any other setting.
                    fred::types::config::Config::from_url(url)
                        .map_err(|e| invalid("APP_SESSION_STORE", &format!("a Redis URL ({e})")))?;
                    SessionStoreSetting::Redis(url.to_owned())
                }
                Some(_) => return Err(invalid("APP_SESSION_STORE", "use memory or a redis:// URL")),
            },
            metrics_addr: match raw.metrics_addr.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(addr) => Some(addr.parse().map_err(|_| {
                    invalid("APP_METRICS_ADDR", &format!("an address such as 127.0.0.1:9100, not {addr:?}"))
                })?),
            },
            trusted_proxies: raw
                .trusted_proxies
                .unwrap_or_default()
                .iter()
                .map(|p| {
                    p.parse::<ipnet::IpNet>()
                        .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| {
                            invalid("APP_TRUSTED_PROXIES", &format!("IP addresses or CIDRs, not {p:?}"))
                        })
                })
                .collect::<Result<_, _>>()?,
            rate_limit_per_minute: present(
                raw.rate_limit_per_minute,
                "APP_RATE_LIMIT_PER_MINUTE",
                "a whole number of requests a minute (0 turns the limit off)",
            )?,
            pending_per_client: present(
                raw.pending_per_client,
                "APP_PENDING_PER_CLIENT",
                "a whole number of sign-ins (0 turns the cap off)",
            )?,
            sandbox_latency: Duration::from_millis(present(
                raw.sandbox_latency_ms,
                "APP_SANDBOX_LATENCY_MS",
                "a whole number of milliseconds",
            )?),
            sandbox_token: raw.sandbox_token.filter(|t| !t.expose_secret().trim().is_empty()),
            script_sha256: apps::script_sha256(raw.script_sha256.as_deref())
                .map_err(|why| invalid("APP_SCRIPT_SHA256", &why))?,
            result_wait: match present(
                raw.result_wait_seconds,
                "APP_RESULT_WAIT_SECONDS",
                "a whole number of seconds",
            )? {
                seconds @ 1..=55 => Duration::from_secs(seconds),
                _ => {
                    return Err(invalid("APP_RESULT_WAIT_SECONDS", "a whole number of seconds from 1 to 55"));
                }
            },
            ready_url: apps::ready_url(raw.ready_url.as_deref())
                .map_err(|why| invalid("APP_READY_URL", &why))?,
            open_url: apps::open_url(raw.open_url.as_deref()).map_err(|why| invalid("APP_OPEN_URL", &why))?,
            ready_timeout: Duration::from_secs(present(
                raw.ready_timeout_seconds,
                "APP_READY_TIMEOUT_SECONDS",
                "a whole number of seconds",
            )?),
            ready_allow_private: raw.ready_allow_private.unwrap_or(false),
            ready_anywhere: false,
            sandbox_script: raw.sandbox_script.filter(|s| !s.trim().is_empty()).map(Into::into),
            admin_token: match raw.admin_token.filter(|t| !t.expose_secret().trim().is_empty()) {
                Some(token) if token.expose_secret().trim().chars().count() < 16 => {
                    return Err(invalid(
                        "APP_ADMIN_TOKEN",
                        "at least 16 characters (try: openssl rand -hex 24)",
                    ));
                }
                token => token.map(|t| t.expose_secret().trim().to_owned().into()),
            },
            apps: match raw.apps_file.as_deref().map(str::trim) {
                None | Some("") => Vec::new(),
                Some(path) => apps::read(std::path::Path::new(path))?,
            },
        })
    }

    /// Every app this service deploys: the apps file's, or else the one the
    /// single-app settings describe (its slug made from its name).
    pub fn app_list(&self) -> Vec<AppSpec> {
        if !self.apps.is_empty() {
            return self.apps.clone();
        }
        vec![AppSpec {
            slug: slug(&self.application_name),
            stackscript_id: self.stackscript_id,
            name: self.application_name.clone(),
            ready_url: self.ready_url.clone(),
            open_url: self.open_url.clone(),
            script_sha256: self.script_sha256.clone(),
        }]
    }

    /// The address the OAuth login server sends visitors back to.
    pub fn redirect_uri(&self) -> String {
        format!("{}/auth_callback", self.public_url.as_str().trim_end_matches('/'))
    }

    /// Whether cookies must be `Secure`.
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

/// A name made URL-safe for `/apps/{slug}`: lowercase, every run of other
/// characters a single `-`, as labels are made ([`crate::form::label::slug`]).
pub fn slug(name: &str) -> String {
    let slug = crate::form::label::slug(name);
    if slug.is_empty() { "app".to_owned() } else { slug }
}

const CLIENT_ID_WHAT: &str = "the id of your OAuth client (Cloud Manager > My Profile > OAuth Apps)";
const SECRET_KEY_WHAT: &str =
    "a random key of at least 32 bytes that signs session cookies (try: openssl rand -hex 32)";

fn invalid(var: &str, why: &str) -> SettingsError {
    SettingsError::Invalid { var: var.to_owned(), why: why.to_owned() }
}

fn required(value: Option<String>, var: &str, what: &'static str) -> Result<String, SettingsError> {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(SettingsError::Missing { var: var.to_owned(), what }),
    }
}

fn required_secret(
    value: Option<SecretString>,
    var: &str,
    what: &'static str,
) -> Result<SecretString, SettingsError> {
    match value {
        Some(v) if !v.expose_secret().trim().is_empty() => Ok(v),
        _ => Err(SettingsError::Missing { var: var.to_owned(), what }),
    }
}

fn present<T>(value: Option<T>, var: &str, what: &'static str) -> Result<T, SettingsError> {
    value.ok_or_else(|| SettingsError::Missing { var: var.to_owned(), what })
}

fn web_url(value: Option<String>, var: &str) -> Result<Url, SettingsError> {
    let value = required(value, var, "an http or https URL")?;
    let url = Url::parse(value.trim_end_matches('/'))
        .map_err(|e| invalid(var, &format!("an http or https URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid(var, "an http or https URL with a host"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings from the defaults and `env`, with the three secrets set
    /// unless `env` names them.
    fn load(env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let mut vars: std::collections::HashMap<String, String> = [
            ("APP_CLIENT_ID", "client"),
            ("APP_CLIENT_SECRET", "shh"),
            ("APP_SECRET_KEY", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in env {
            vars.insert((*k).to_owned(), (*v).to_owned());
        }
        vars.retain(|_, v| !v.is_empty());
        Settings::from_raw(RawSettings::from_layers(false, Some(vars))?)
    }

    fn error(env: &[(&str, &str)]) -> String {
        load(env).unwrap_err().to_string()
    }

    #[test]
    fn defaults_plus_the_three_secrets_are_enough() {
        let settings = load(&[]).expect("valid");
        assert_eq!(settings.port, 5000);
        assert_eq!(settings.host, "127.0.0.1");
        assert_eq!(settings.stackscript_id, 320826);
        assert_eq!(settings.redirect_uri(), "http://localhost:5000/auth_callback");
        assert!(!settings.is_https());
        assert_eq!(settings.log_format, LogFormat::Pretty);
        assert!(!settings.sandbox);
        assert_eq!(settings.session_store, SessionStoreSetting::Memory);
        assert_eq!(settings.metrics_addr, None);
        assert!(settings.trusted_proxies.is_empty());
    }

    #[test]
    fn numbers_booleans_and_lists_are_typed_from_the_environment() {
        let settings = load(&[
            ("APP_PORT", "8080"),
            ("APP_SANDBOX_LATENCY_MS", "80"),
            ("APP_LOG_FORMAT", "json"),
            ("APP_SESSION_STORE", "redis://127.0.0.1:6379/0"),
            ("APP_METRICS_ADDR", "127.0.0.1:9100"),
            ("APP_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1"),
        ])
        .unwrap();
        assert_eq!(settings.port, 8080);
        assert_eq!(settings.sandbox_latency, Duration::from_millis(80));
        assert_eq!(settings.log_format, LogFormat::Json);
        assert_eq!(settings.session_store, SessionStoreSetting::Redis("redis://127.0.0.1:6379/0".into()));
        assert_eq!(settings.metrics_addr.unwrap().port(), 9100);
        assert_eq!(settings.trusted_proxies.len(), 2);
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_variable_and_what_it_takes() {
        let message = error(&[("APP_PORT", "http")]);
        assert!(message.starts_with("APP_PORT is invalid: a port number"), "{message}");
        assert!(message.contains("http"), "{message}");
        assert!(error(&[("APP_SANDBOX", "maybe")]).starts_with("APP_SANDBOX is invalid: true or false"));
        assert!(error(&[("APP_LOG_FORMAT", "xml")]).starts_with("APP_LOG_FORMAT is invalid"));
        assert!(
            error(&[("APP_RATE_LIMIT_PER_MINUTE", "-1")]).starts_with("APP_RATE_LIMIT_PER_MINUTE is invalid")
        );
    }

    #[test]
    fn a_secret_made_of_digits_stays_as_written() {
        let key = "1234567890123456789012345678901234567890";
        let settings = load(&[("APP_SECRET_KEY", key), ("APP_CLIENT_SECRET", "00012")]).unwrap();
        assert_eq!(settings.secret_key.expose_secret(), key);
        assert_eq!(settings.client_secret.expose_secret(), "00012");
    }

    #[test]
    fn values_that_parse_but_cannot_be_used_are_refused_by_name() {
        assert!(error(&[("APP_TRUSTED_PROXIES", "everyone")]).contains("APP_TRUSTED_PROXIES"));
        assert!(error(&[("APP_SESSION_STORE", "postgres://x")]).contains("APP_SESSION_STORE"));
        assert!(error(&[("APP_SESSION_STORE", "redis://host:port/0")]).contains("APP_SESSION_STORE"));
        assert!(error(&[("APP_METRICS_ADDR", "nine-one-hundred")]).contains("APP_METRICS_ADDR"));
        assert!(error(&[("APP_PUBLIC_URL", "ftp://example.com")]).contains("APP_PUBLIC_URL"));
    }

    #[test]
    fn the_sandbox_needs_no_secrets_and_makes_its_own() {
        let settings = load(&[
            ("APP_CLIENT_ID", ""),
            ("APP_CLIENT_SECRET", ""),
            ("APP_SECRET_KEY", ""),
            ("APP_SANDBOX", "yes"),
        ])
        .expect("valid");
        assert!(settings.sandbox);
        assert!(settings.client_id.starts_with("sandbox-"));
        assert!(settings.secret_key.expose_secret().len() >= 32);
    }

    #[test]
    fn a_missing_client_id_names_its_variable() {
        let message = error(&[("APP_CLIENT_ID", "")]);
        assert!(message.starts_with("APP_CLIENT_ID is required"), "{message}");
    }

    #[test]
    fn a_short_secret_key_is_refused() {
        let message = error(&[("APP_SECRET_KEY", "short")]);
        assert!(message.contains("APP_SECRET_KEY") && message.contains("32 bytes"), "{message}");
    }

    #[test]
    fn an_https_public_url_makes_cookies_secure_and_keeps_the_callback_path() {
        let settings = load(&[("APP_PUBLIC_URL", "https://deploy.example.com/")]).unwrap();
        assert!(settings.is_https());
        assert_eq!(settings.redirect_uri(), "https://deploy.example.com/auth_callback");
    }

    #[test]
    fn an_application_name_becomes_a_url_safe_slug() {
        assert_eq!(slug("my-application-name"), "my-application-name");
        assert_eq!(slug("WordPress & Co."), "wordpress-co");
        assert_eq!(slug("  Gitea  "), "gitea");
        assert_eq!(slug("日本"), "app", "a name of no ASCII letters still has an address");
    }

    #[test]
    fn without_an_apps_file_the_single_app_settings_are_the_one_app() {
        let settings =
            load(&[("APP_APPLICATION_NAME", "My Blog"), ("APP_READY_URL", "http://{ipv4}/")]).unwrap();
        let apps = settings.app_list();
        assert_eq!(apps.len(), 1);
        assert_eq!((apps[0].slug.as_str(), apps[0].name.as_str()), ("my-blog", "My Blog"));
        assert_eq!(apps[0].stackscript_id, 320826);
        assert_eq!(apps[0].ready_url.as_deref(), Some("http://{ipv4}/"));
    }

    #[test]
    fn an_apps_file_that_cannot_be_used_stops_start_up_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("apps.toml");
        std::fs::write(&path, "[[app]]\nslug = \"a\"\nstackscript_id = 1\nname = \"A\"\n").unwrap();
        let settings = load(&[("APP_APPS_FILE", path.to_str().unwrap())]).unwrap();
        assert_eq!(settings.app_list()[0].slug, "a");
        std::fs::write(&path, "[[app]]\nslug = \"a\"\n").unwrap();
        let message = error(&[("APP_APPS_FILE", path.to_str().unwrap())]);
        assert!(
            message.starts_with("APP_APPS_FILE is invalid") && message.contains("apps.toml"),
            "{message}"
        );
        assert!(error(&[("APP_APPS_FILE", "/nonexistent/apps.toml")]).contains("readable"));
    }

    #[test]
    fn a_short_admin_token_is_refused_and_an_empty_one_means_no_dashboard() {
        assert!(error(&[("APP_ADMIN_TOKEN", "secret")]).starts_with("APP_ADMIN_TOKEN is invalid"));
        assert!(load(&[("APP_ADMIN_TOKEN", "  ")]).unwrap().admin_token.is_none());
        let settings = load(&[("APP_ADMIN_TOKEN", "0123456789abcdef")]).unwrap();
        assert_eq!(settings.admin_token.unwrap().expose_secret(), "0123456789abcdef");
    }

    #[test]
    fn the_test_constructor_starts_from_the_defaults() {
        let settings = Settings::from_defaults("id", "secret", &"k".repeat(32)).unwrap();
        assert_eq!((settings.port, settings.client_id.as_str()), (5000, "id"));
    }
}
