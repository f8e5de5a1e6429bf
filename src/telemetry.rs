//! Log output: a tracing subscriber, pretty for people or JSON for collectors.
//!
//! What must never be logged (client secret, codes, states, tokens, root
//! passwords) is kept out at the source: those values are `SecretString`s or
//! are skipped by `#[instrument(skip(...))]`, and request lines carry the path
//! without its query string.

use std::io::IsTerminal;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::settings::LogFormat;

/// Installs the global subscriber. `RUST_LOG` refines the default level (`info`).
///
/// Lines are written to standard output by a background thread
/// (`tracing-appender`), so a slow log reader never stalls a request; keep
/// the returned guard alive until exit so the last lines are flushed.
pub fn init(format: LogFormat) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) =
        tracing_appender::non_blocking::NonBlockingBuilder::default().lossy(false).finish(std::io::stdout());
    let registry = tracing_subscriber::registry().with(filter);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = match format {
        LogFormat::Pretty => registry
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_ansi(std::io::stdout().is_terminal())
                    .with_writer(writer),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer),
            )
            .try_init(),
    };
    guard
}
