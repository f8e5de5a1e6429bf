//! The settings as the layers give them: typed (numbers, booleans, lists),
//! but not yet checked against each other or against what the app needs.
//!
//! Layers, later ones winning: the defaults in `config/default.toml`
//! (compiled into the binary, so it runs from any directory), an optional
//! untracked `config/local.toml` in the working directory, then `APP_*`
//! environment variables (key `client_id` is `APP_CLIENT_ID`). A value of the
//! wrong type is reported with the variable to fix, not the `config` crate's
//! key path.

use std::collections::HashMap;
use std::fmt;

use config::{Config, ConfigError, Environment, File, FileFormat};
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use url::Url;

use super::{LogFormat, SettingsError, invalid, required, web_url};

/// The defaults, embedded so the binary needs no files beside it.
pub const DEFAULTS: &str = include_str!("../../config/default.toml");

/// The settings as the layers give them, before any check.
#[derive(Debug, Default, Deserialize)]
pub struct RawSettings {
    pub(super) host: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) public_url: Option<String>,
    pub(super) client_id: Option<String>,
    pub(super) client_secret: Option<SecretString>,
    pub(super) secret_key: Option<SecretString>,
    pub(super) stackscript_id: Option<u64>,
    pub(super) application_name: Option<String>,
    pub(super) linode_api_url: Option<String>,
    pub(super) linode_login_url: Option<String>,
    pub(super) log_format: Option<LogFormat>,
    pub(super) http_timeout_seconds: Option<u64>,
    pub(super) catalog_ttl_seconds: Option<u64>,
    pub(super) sandbox: Option<bool>,
    pub(super) session_store: Option<String>,
    pub(super) metrics_addr: Option<String>,
    #[serde(default, deserialize_with = "comma_list")]
    pub(super) trusted_proxies: Option<Vec<String>>,
    pub(super) rate_limit_per_minute: Option<u32>,
    pub(super) pending_per_client: Option<u32>,
    pub(super) sandbox_latency_ms: Option<u64>,
    pub(super) sandbox_token: Option<SecretString>,
    pub(super) result_wait_seconds: Option<u64>,
    pub(super) script_sha256: Option<String>,
    pub(super) ready_url: Option<String>,
    pub(super) open_url: Option<String>,
    pub(super) ready_timeout_seconds: Option<u64>,
    pub(super) ready_allow_private: Option<bool>,
    pub(super) sandbox_script: Option<String>,
    pub(super) apps_file: Option<String>,
    pub(super) admin_token: Option<SecretString>,
}

impl RawSettings {
    /// Reads every layer without checking anything.
    pub fn load() -> Result<Self, SettingsError> {
        Self::from_layers(true, None)
    }

    /// Reads the defaults, `config/local.toml` when `local` is set, and the
    /// environment: the process's own, or `env` (variable name to value) when given.
    pub fn from_layers(local: bool, env: Option<HashMap<String, String>>) -> Result<Self, SettingsError> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if local {
            builder = builder.add_source(File::with_name("config/local.toml").required(false));
        }
        builder
            .add_source(Environment::with_prefix("APP").source(env))
            .build()
            .and_then(Config::try_deserialize::<RawSettings>)
            .map_err(from_config_error)
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
        let port = self.port.ok_or(SettingsError::Missing { var: "APP_PORT".into(), what: "a port" })?;
        let host = match host.as_str() {
            "0.0.0.0" => "127.0.0.1".to_owned(),
            "::" | "[::]" => "[::1]".to_owned(),
            h if h.contains(':') && !h.starts_with('[') => format!("[{h}]"),
            _ => host,
        };
        Ok((host, port))
    }
}

/// A `config` error, named by the environment variable of its key.
fn from_config_error(error: ConfigError) -> SettingsError {
    match &error {
        ConfigError::Type { key: Some(key), unexpected, expected, .. } => {
            // `config` says `string "http"`; the variable's value reads better alone.
            let given = unexpected.to_string();
            let given = given.strip_prefix("string ").unwrap_or(&given);
            invalid(&variable(key), &format!("{}, not {given}", what(key, expected)))
        }
        ConfigError::At { key: Some(key), error: inner, .. } => {
            invalid(&variable(key), &format!("{}, not usable: {inner}", what(key, "a value")))
        }
        _ => SettingsError::Source(error.to_string()),
    }
}

/// `APP_` and the key in capitals.
fn variable(key: &str) -> String {
    format!("APP_{}", key.to_ascii_uppercase())
}

/// What a typed key takes, in words.
fn what<'a>(key: &str, expected: &'a str) -> &'a str {
    match key {
        "port" => "a port number from 0 to 65535",
        "stackscript_id" => "a StackScript id",
        "http_timeout_seconds" | "catalog_ttl_seconds" => "a whole number of seconds",
        "sandbox_latency_ms" => "a whole number of milliseconds",
        "rate_limit_per_minute" => "a whole number of requests a minute (0 turns the limit off)",
        "pending_per_client" => "a whole number of sign-ins (0 turns the cap off)",
        "sandbox" | "ready_allow_private" => "true or false",
        "ready_timeout_seconds" => "a whole number of seconds",
        "result_wait_seconds" => "a whole number of seconds from 1 to 55",
        "log_format" => "pretty or json",
        _ => expected,
    }
}

/// A list given as a sequence (TOML) or as one comma-separated string (the
/// environment), with blanks dropped.
fn comma_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<String>>, D::Error> {
    struct CommaList;

    impl<'de> Visitor<'de> for CommaList {
        type Value = Option<Vec<String>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list, or a comma-separated string")
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
            Ok(Some(value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect()))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<String>()? {
                items.extend(CommaList.visit_str::<A::Error>(&item)?.unwrap_or_default());
            }
            Ok(Some(items))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    deserializer.deserialize_any(CommaList)
}
