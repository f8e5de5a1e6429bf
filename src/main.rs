//! Entry point: parse the command line, load settings, start logging, serve.

use std::process::ExitCode;

use clap::Parser;
use install_on_linode::cli::{Cli, Command};
use install_on_linode::settings::Settings;
use install_on_linode::startup::{Application, shutdown_signal};
use install_on_linode::telemetry;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve { sandbox: false }) {
        Command::Serve { sandbox } => serve(cli.sandbox || sandbox || cli.script.is_some(), cli.script),
        Command::Healthcheck { url } => install_on_linode::cli::healthcheck::run(url),
        Command::Client { json, command } => {
            setup(json, |ctx| async move { install_on_linode::cli::setup::client::run(&ctx, command).await })
        }
        Command::Canary { json, args } => {
            setup(json, |ctx| async move { install_on_linode::cli::canary::run(&ctx, args).await })
        }
        Command::Stackscript { json, command } => {
            setup(
                json,
                |ctx| async move { install_on_linode::cli::setup::stackscript::run(&ctx, command).await },
            )
        }
    }
}

/// Runs a set-up command: exit 0, 1 (Linode refused) or 2 (usage).
fn setup<F, Fut>(json: bool, command: F) -> ExitCode
where
    F: FnOnce(install_on_linode::cli::setup::Context) -> Fut,
    Fut: std::future::Future<Output = Result<(), install_on_linode::cli::setup::Failure>>,
{
    let outcome = install_on_linode::cli::setup::context(json)
        .and_then(|ctx| install_on_linode::cli::setup::block_on(command(ctx)));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

fn serve(sandbox: bool, script: Option<std::path::PathBuf>) -> ExitCode {
    let settings = match Settings::load(sandbox) {
        Ok(mut settings) => {
            settings.sandbox_script = script.or(settings.sandbox_script);
            settings
        }
        Err(error) => {
            eprintln!("install-on-linode: {error}");
            return ExitCode::from(2);
        }
    };
    let _logs = telemetry::init(settings.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("install-on-linode: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let (host, port) = (settings.host.clone(), settings.port);
        let app = match Application::build(settings).await {
            Ok(app) => app,
            Err(error) => {
                tracing::error!(%error, "could not listen on {host}:{port}");
                return ExitCode::FAILURE;
            }
        };
        tracing::info!(address = %app.local_addr(), apps = %app.app_slugs().join(","), "install-on-linode is listening");
        if let Some(line) = app.sandbox_for_clients() {
            // Printed, not logged: this made-up token opens only the simulated
            // account, and outside clients need it. One write, so that no log
            // line lands in the middle of it.
            let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), format!("{line}\n").as_bytes());
        }
        app.prefetch_catalog();
        match app.run_until_stopped(shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                tracing::error!(%error, "server stopped with an error");
                ExitCode::FAILURE
            }
        }
    })
}
