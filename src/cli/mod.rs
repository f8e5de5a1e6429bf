//! The command line: with no subcommand the server runs; the others are
//! short-lived tools that share no state with it. Each exits 0 when done,
//! 1 when what it asked (Linode, a server) refused or did not answer, and
//! 2 for bad usage, printing one sentence per failure.
//!
//! # Layout
//! - this file: the clap commands and the settings `--help` lists.
//! - [`healthcheck`]: the container's health probe.
//! - [`setup`]: `client …` and `stackscript …`, set-up with a personal access token.
//! - [`canary`]: a deploy as a visitor would make it, checked and deleted, for a publisher's CI.

pub mod canary;
pub mod healthcheck;
pub mod setup;

use clap::{Parser, Subcommand};

const SETTINGS_HELP: &str = "\
Settings (environment variables override config/local.toml, which overrides the defaults):
  APP_HOST                  address to listen on                  [default: 127.0.0.1]
  APP_PORT                  port to listen on                     [default: 5000]
  APP_PUBLIC_URL            where visitors reach the app; the OAuth redirect is
                            {public_url}/auth_callback; https makes cookies Secure
                                                                  [default: http://localhost:5000]
  APP_CLIENT_ID             OAuth client id                       [required]
  APP_CLIENT_SECRET         OAuth client secret                   [required]
  APP_SECRET_KEY            signs session cookies, >= 32 bytes    [required]
  APP_STACKSCRIPT_ID        StackScript every deploy runs         [default: 320826]
  APP_APPLICATION_NAME      name shown on the pages, Linode group [default: my-application-name]
  APP_LINODE_API_URL        Linode API base                       [default: https://api.linode.com/v4]
  APP_LINODE_LOGIN_URL      Linode login server                   [default: https://login.linode.com]
  APP_LOG_FORMAT            pretty or json                        [default: pretty]
  APP_HTTP_TIMEOUT_SECONDS  time for one call to Linode           [default: 10]
  APP_CATALOG_TTL_SECONDS   how long plans and regions are cached [default: 300]
  APP_SANDBOX               run against a simulated Linode        [default: false]
  APP_SESSION_STORE         memory, or a redis:// URL shared by replicas [default: memory]
  APP_METRICS_ADDR          Prometheus metrics listener, e.g. 127.0.0.1:9100 [default: off]
  APP_TRUSTED_PROXIES       proxies whose X-Forwarded-For is believed (IPs/CIDRs) [default: none]
  APP_RATE_LIMIT_PER_MINUTE form posts and callbacks per client a minute, 0 = off [default: 20]
  APP_PENDING_PER_CLIENT    sign-ins one client may have in progress, 0 = off [default: 10]
  APP_SANDBOX_LATENCY_MS    delay added to the sandbox's answers  [default: 0]
  APP_SCRIPT_SHA256         the reviewed script's SHA-256; deploy nothing while it differs [default: none]
  APP_RESULT_WAIT_SECONDS   how long the callback waits for Linode [default: 45]
  APP_READY_URL             what says the new server's app answers, e.g. http://{ipv4}/ [default: none]
  APP_OPEN_URL              where the visitor opens the app        [default: the ready URL]
  APP_READY_TIMEOUT_SECONDS how long the app may take to answer    [default: 1200]
  APP_READY_ALLOW_PRIVATE   probe private and loopback addresses too [default: false]
  APP_SANDBOX_TOKEN         the sandbox account's personal access token [default: made up at start]
  APP_SANDBOX_SCRIPT        a script file the sandbox serves as its StackScript (also --script)
  APP_APPS_FILE             a TOML file of several apps, each under /apps/{slug} [default: one app]
  APP_ADMIN_TOKEN           opens the dashboard at /admin, >= 16 characters [default: no dashboard]
  RUST_LOG                  log filter, such as debug              [default: info]

A missing or invalid setting stops start-up with a line naming it (exit status 2).";

/// Deploy a StackScript onto a visitor's own Linode.
#[derive(Debug, Parser)]
#[command(name = "install-on-linode", version, about, after_help = SETTINGS_HELP)]
pub struct Cli {
    /// Run against a built-in simulated Linode: nothing is created on Linode,
    /// and no OAuth client or secret is needed (also APP_SANDBOX=true).
    #[arg(long)]
    pub sandbox: bool,

    /// With the sandbox: serve this script file as the StackScript (its
    /// `<UDF>` lines make the form), read again whenever it changes. Implies
    /// --sandbox (also APP_SANDBOX_SCRIPT).
    #[arg(long, value_name = "FILE")]
    pub script: Option<std::path::PathBuf>,

    /// What to do; the server runs when none is given.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve {
        /// Run against a built-in simulated Linode (as the top-level --sandbox).
        #[arg(long)]
        sandbox: bool,
    },
    /// Manage the OAuth client visitors sign in through (token: LINODE_TOKEN or stdin).
    Client {
        /// Print JSON for scripts.
        #[arg(long, global = true)]
        json: bool,
        /// What to do.
        #[command(subcommand)]
        command: crate::cli::setup::client::ClientCommand,
    },
    /// Publish and inspect the StackScript visitors deploy (token: LINODE_TOKEN or stdin).
    Stackscript {
        /// Print JSON for scripts.
        #[arg(long, global = true)]
        json: bool,
        /// What to do.
        #[command(subcommand)]
        command: crate::cli::setup::stackscript::StackScriptCommand,
    },
    /// Deploy a StackScript as a visitor taking the defaults would, wait for
    /// its app to answer, delete the server: exit 0 if it answered, 1 if not
    /// (token: LINODE_TOKEN or stdin).
    Canary {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// What to deploy.
        #[command(flatten)]
        args: crate::cli::canary::CanaryArgs,
    },
    /// Check that a running server answers /healthz: exit 0 if so, 1 if not.
    Healthcheck {
        /// The URL to check [default: http://127.0.0.1:$APP_PORT/healthz]
        #[arg(long)]
        url: Option<String>,
    },
}
