//! `install-on-linode healthcheck`: asks a running server's `/healthz` and
//! exits 0 when it answers 200, 1 otherwise. The container's `HEALTHCHECK`
//! uses it, so the image needs no curl or shell.

use std::process::ExitCode;
use std::time::Duration;

use crate::settings::RawSettings;

/// Checks the server this machine's settings describe, or `url` when given.
pub fn run(url: Option<String>) -> ExitCode {
    let url = match url {
        Some(url) => url,
        None => match RawSettings::load().and_then(|raw| raw.local_address()) {
            Ok((host, port)) => format!("http://{host}:{port}/healthz"),
            Err(error) => {
                eprintln!("install-on-linode healthcheck: {error}");
                return ExitCode::from(2);
            }
        },
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("install-on-linode healthcheck: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(check(&url))
}

async fn check(url: &str) -> ExitCode {
    let client = match reqwest::Client::builder().timeout(Duration::from_secs(3)).build() {
        Ok(client) => client,
        Err(error) => {
            eprintln!("install-on-linode healthcheck: {error}");
            return ExitCode::FAILURE;
        }
    };
    match client.get(url).send().await {
        Ok(response) if response.status().is_success() => {
            println!("healthy: {url} answered {}", response.status());
            ExitCode::SUCCESS
        }
        Ok(response) => {
            eprintln!("unhealthy: {url} answered {}", response.status());
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("unhealthy: {url}: {}", error.without_url());
            ExitCode::FAILURE
        }
    }
}
