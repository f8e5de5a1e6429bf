//! Typed settings, read once at start-up.
//!
//! Layers, later ones winning: the defaults in `config/default.toml` (compiled
//! into the binary, so it runs from any directory), an optional untracked
//! `config/local.toml` in the working directory, then `APP_*` environment
//! variables. Every key is flat: key `client_id` is `APP_CLIENT_ID`.
//!
//! Loading is "parse, don't validate": the raw layers are read into optional
//! fields, and [`Settings::from_raw`] turns them into a [`Settings`] whose
//! every value is known good, or into a [`SettingsError`] that names the
//! environment variable to fix.

use std::time::Duration;

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

/// The defaults, embedded so the binary needs no files beside it.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

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
    /// Delay added to every answer of the sandbox's simulated Linode (`APP_SANDBOX_LATENCY_MS`, default 0).
    pub sandbox_latency: Duration,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable, one line per event.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// The settings as the layers give them, before any check.
#[derive(Debug, Default, Deserialize)]
pub struct RawSettings {
    host: Option<String>,
    port: Option<String>,
    public_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    secret_key: Option<SecretString>,
    stackscript_id: Option<String>,
    application_name: Option<String>,
    linode_api_url: Option<String>,
    linode_login_url: Option<String>,
    log_format: Option<String>,
    http_timeout_seconds: Option<String>,
    catalog_ttl_seconds: Option<String>,
    sandbox: Option<String>,
    session_store: Option<String>,
    metrics_addr: Option<String>,
    trusted_proxies: Option<String>,
    rate_limit_per_minute: Option<String>,
    sandbox_latency_ms: Option<String>,
}

impl RawSettings {
    /// Reads every layer without checking anything.
    pub fn load() -> Result<Self, SettingsError> {
        Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::with_name("config/local.toml").required(false))
            .add_source(Environment::with_prefix("APP"))
            .build()
            .and_then(Config::try_deserialize::<RawSettings>)
            .map_err(|e| SettingsError::Source(e.to_string()))
    }

    /// The API base and public URL, for the set-up commands (no secrets needed).
    pub fn setup_urls(&self) -> Result<(Url, String), SettingsError> {
        let api = web_url(self.linode_api_url.clone(), "APP_LINODE_API_URL")?;
        let public = web_url(self.public_url.clone(), "APP_PUBLIC_URL")?;
        Ok((api, public.as_str().trim_end_matches('/').to_owned()))
    }

    /// Where a local client reaches the server: its host (loopback when it
    /// listens on every address) and port. Needs none of the secrets.
    pub fn local_address(&self) -> Result<(String, u16), SettingsError> {
        let host = required(self.host.clone(), "APP_HOST", "the address to listen on")?;
        let port = number(self.port.clone(), "APP_PORT", "a port number from 0 to 65535")?;
        let host = match host.as_str() {
            "0.0.0.0" => "127.0.0.1".to_owned(),
            "::" | "[::]" => "[::1]".to_owned(),
            h if h.contains(':') && !h.starts_with('[') => format!("[{h}]"),
            _ => host,
        };
        Ok((host, port))
    }
}

/// A setting that is missing or wrong, named by its environment variable.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A required key has no value.
    #[error("{var} is required: {what}")]
    Missing {
        /// The environment variable to set.
        var: &'static str,
        /// What the value is.
        what: &'static str,
    },
    /// A key has a value that cannot be used.
    #[error("{var} is invalid: {why}")]
    Invalid {
        /// The environment variable to fix.
        var: &'static str,
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
            raw.sandbox = Some("true".into());
        }
        Self::from_raw(raw)
    }

    /// Checks every raw value and builds the settings.
    pub fn from_raw(mut raw: RawSettings) -> Result<Self, SettingsError> {
        let sandbox = match raw.sandbox.as_deref().map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            None | Some("" | "false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(_) => return Err(invalid("APP_SANDBOX", "use true or false")),
        };
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
            port: number(raw.port, "APP_PORT", "a port number from 0 to 65535")?,
            public_url: web_url(raw.public_url, "APP_PUBLIC_URL")?,
            client_id: required(raw.client_id, "APP_CLIENT_ID", CLIENT_ID_WHAT)?,
            client_secret: required_secret(
                raw.client_secret,
                "APP_CLIENT_SECRET",
                "the OAuth client's secret, shown once when the client is created",
            )?,
            secret_key,
            stackscript_id: number(raw.stackscript_id, "APP_STACKSCRIPT_ID", "a StackScript id")?,
            application_name,
            linode_api_url: web_url(raw.linode_api_url, "APP_LINODE_API_URL")?,
            linode_login_url: web_url(raw.linode_login_url, "APP_LINODE_LOGIN_URL")?,
            log_format: match raw.log_format.as_deref().map(str::trim) {
                None | Some("pretty") => LogFormat::Pretty,
                Some("json") => LogFormat::Json,
                Some(_) => return Err(invalid("APP_LOG_FORMAT", "use pretty or json")),
            },
            http_timeout: Duration::from_secs(number::<u64>(
                raw.http_timeout_seconds,
                "APP_HTTP_TIMEOUT_SECONDS",
                "a whole number of seconds from 1 to 120",
            )?)
            .clamp(Duration::from_secs(1), Duration::from_secs(120)),
            catalog_ttl: Duration::from_secs(number(
                raw.catalog_ttl_seconds,
                "APP_CATALOG_TTL_SECONDS",
                "a whole number of seconds",
            )?),
            sandbox,
            session_store: match raw.session_store.as_deref().map(str::trim) {
                None | Some("" | "memory") => SessionStoreSetting::Memory,
                Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
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
                .as_deref()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    p.parse::<ipnet::IpNet>()
                        .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| {
                            invalid("APP_TRUSTED_PROXIES", &format!("IP addresses or CIDRs, not {p:?}"))
                        })
                })
                .collect::<Result<_, _>>()?,
            rate_limit_per_minute: number(
                raw.rate_limit_per_minute,
                "APP_RATE_LIMIT_PER_MINUTE",
                "a whole number of requests a minute (0 turns the limit off)",
            )?,
            sandbox_latency: Duration::from_millis(number(
                raw.sandbox_latency_ms,
                "APP_SANDBOX_LATENCY_MS",
                "a whole number of milliseconds",
            )?),
        })
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

const CLIENT_ID_WHAT: &str = "the id of your OAuth client (Cloud Manager > My Profile > OAuth Apps)";
const SECRET_KEY_WHAT: &str =
    "a random key of at least 32 bytes that signs session cookies (try: openssl rand -hex 32)";

fn invalid(var: &'static str, why: &str) -> SettingsError {
    SettingsError::Invalid { var, why: why.to_owned() }
}

fn required(value: Option<String>, var: &'static str, what: &'static str) -> Result<String, SettingsError> {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(SettingsError::Missing { var, what }),
    }
}

fn required_secret(
    value: Option<SecretString>,
    var: &'static str,
    what: &'static str,
) -> Result<SecretString, SettingsError> {
    match value {
        Some(v) if !v.expose_secret().trim().is_empty() => Ok(v),
        _ => Err(SettingsError::Missing { var, what }),
    }
}

fn number<T: std::str::FromStr>(
    value: Option<String>,
    var: &'static str,
    what: &'static str,
) -> Result<T, SettingsError> {
    let value = required(value, var, what)?;
    value.parse().map_err(|_| invalid(var, &format!("{what}, not {value:?}")))
}

fn web_url(value: Option<String>, var: &'static str) -> Result<Url, SettingsError> {
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

    fn complete() -> RawSettings {
        let defaults: RawSettings = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .build()
            .and_then(Config::try_deserialize)
            .expect("defaults parse");
        RawSettings {
            client_id: Some("client".into()),
            client_secret: Some("shh".into()),
            secret_key: Some("k".repeat(32).into()),
            ..defaults
        }
    }

    #[test]
    fn defaults_plus_the_three_secrets_are_enough() {
        let settings = Settings::from_raw(complete()).expect("valid");
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
    fn redis_metrics_and_proxies_are_parsed() {
        let raw = RawSettings {
            session_store: Some("redis://127.0.0.1:6379/0".into()),
            metrics_addr: Some("127.0.0.1:9100".into()),
            trusted_proxies: Some("10.0.0.0/8, 192.168.1.1".into()),
            ..complete()
        };
        let settings = Settings::from_raw(raw).unwrap();
        assert_eq!(settings.session_store, SessionStoreSetting::Redis("redis://127.0.0.1:6379/0".into()));
        assert_eq!(settings.metrics_addr.unwrap().port(), 9100);
        assert_eq!(settings.trusted_proxies.len(), 2);
        let bad = RawSettings { trusted_proxies: Some("everyone".into()), ..complete() };
        assert!(Settings::from_raw(bad).unwrap_err().to_string().contains("APP_TRUSTED_PROXIES"));
        let bad = RawSettings { session_store: Some("postgres://x".into()), ..complete() };
        assert!(Settings::from_raw(bad).unwrap_err().to_string().contains("APP_SESSION_STORE"));
    }

    #[test]
    fn the_sandbox_needs_no_secrets_and_makes_its_own() {
        let raw = RawSettings {
            client_id: None,
            client_secret: None,
            secret_key: None,
            sandbox: Some("true".into()),
            ..complete()
        };
        let settings = Settings::from_raw(raw).expect("valid");
        assert!(settings.sandbox);
        assert!(settings.client_id.starts_with("sandbox-"));
        assert!(settings.secret_key.expose_secret().len() >= 32);
    }

    #[test]
    fn a_missing_client_id_names_its_variable() {
        let err = Settings::from_raw(RawSettings { client_id: None, ..complete() }).unwrap_err();
        assert!(err.to_string().starts_with("APP_CLIENT_ID is required"), "{err}");
    }

    #[test]
    fn a_short_secret_key_is_refused() {
        let raw = RawSettings { secret_key: Some("short".into()), ..complete() };
        let err = Settings::from_raw(raw).unwrap_err();
        assert!(err.to_string().contains("APP_SECRET_KEY"), "{err}");
        assert!(err.to_string().contains("32 bytes"), "{err}");
    }

    #[test]
    fn a_port_that_is_not_a_number_is_refused() {
        let err = Settings::from_raw(RawSettings { port: Some("http".into()), ..complete() }).unwrap_err();
        assert!(err.to_string().starts_with("APP_PORT is invalid"), "{err}");
    }

    #[test]
    fn a_public_url_without_http_is_refused() {
        let raw = RawSettings { public_url: Some("ftp://example.com".into()), ..complete() };
        assert!(Settings::from_raw(raw).unwrap_err().to_string().contains("APP_PUBLIC_URL"));
    }

    #[test]
    fn an_https_public_url_makes_cookies_secure_and_keeps_the_callback_path() {
        let raw = RawSettings { public_url: Some("https://deploy.example.com/".into()), ..complete() };
        let settings = Settings::from_raw(raw).unwrap();
        assert!(settings.is_https());
        assert_eq!(settings.redirect_uri(), "https://deploy.example.com/auth_callback");
    }

    #[test]
    fn an_unknown_log_format_is_refused() {
        let raw = RawSettings { log_format: Some("xml".into()), ..complete() };
        assert!(Settings::from_raw(raw).unwrap_err().to_string().contains("APP_LOG_FORMAT"));
    }
}
