//! The one HTTP client every call to Linode goes through.
//!
//! reqwest with rustls and Mozilla's roots compiled in (no OpenSSL, no CA
//! files needed at run time). Linode's login edge has answered bare clients
//! with an HTML 403, so every request names itself and asks for JSON.

use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};

/// `User-Agent` sent on every call.
pub const USER_AGENT: &str = concat!("install-on-linode/", env!("CARGO_PKG_VERSION"));

/// Builds the shared client: connect timeout of 5 s (or less), total `timeout`.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .default_headers(headers)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .timeout(timeout)
        // Linode's answers are never redirects; following one could leak a token.
        .redirect(reqwest::redirect::Policy::none())
        // A burst of deploys must not leave hundreds of idle connections (and
        // their buffers) behind.
        .pool_max_idle_per_host(32)
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
        .expect("a TLS backend is compiled in")
}
