//! Log output: a tracing subscriber, pretty for people or JSON for collectors.
//!
//! What must never be logged (client secret, codes, states, tokens, root
//! passwords) is kept out at the source: those values are `SecretString`s or
//! are skipped by `#[instrument(skip(...))]`, and request lines carry the path
//! without its query string.
//!
//! Logging never stops serving. Lines go to standard output through a
//! background thread (`tracing-appender`) with a bounded buffer in lossy
//! mode: when whatever reads standard output stalls (a blocked Docker log
//! driver, a dead reader), new lines are dropped rather than making requests
//! wait. Dropped lines are counted in the `log_lines_dropped_total` metric,
//! and the first drop is said once on standard error.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::settings::LogFormat;

/// How many lines wait for a slow reader before new ones are dropped.
pub const BUFFERED_LINES: usize = 128_000;
/// How often the dropped-line count is read into the metric.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// Keeps the log writer alive; drop it at exit to flush what is buffered.
#[derive(Debug)]
pub struct Logs {
    guard: Option<WorkerGuard>,
    dropped: ErrorCounter,
}

impl Drop for Logs {
    fn drop(&mut self) {
        // With lines dropped, the reader is stuck: flushing would wait on it
        // (and the guard then prints to standard output), so exit without.
        if self.dropped.dropped_lines() > 0 {
            std::mem::forget(self.guard.take());
        }
    }
}

/// A writer to `out` that never blocks its callers: past `buffered` lines
/// waiting for `out`, new lines are dropped and counted.
pub fn lossy_writer<W: Write + Send + 'static>(out: W, buffered: usize) -> (NonBlocking, WorkerGuard) {
    NonBlockingBuilder::default().lossy(true).buffered_lines_limit(buffered).finish(out)
}

/// Installs the global subscriber. `RUST_LOG` refines the default level (`info`).
pub fn init(format: LogFormat) -> Logs {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = lossy_writer(std::io::stdout(), BUFFERED_LINES);
    let dropped = writer.error_counter();
    watch_dropped(dropped.clone());
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
    Logs { guard: Some(guard), dropped }
}

/// Reads the dropped-line count into the metric every second, and says on
/// standard error, once, that lines are being dropped. A thread of its own:
/// if standard error is stuck too, only this thread waits.
fn watch_dropped(dropped: ErrorCounter) {
    let spawned = std::thread::Builder::new().name("log-drops".into()).spawn(move || {
        let mut said = false;
        loop {
            std::thread::sleep(WATCH_EVERY);
            let count = dropped.dropped_lines();
            crate::metrics::log_lines_dropped(count as u64);
            if count > 0 && !said {
                said = true;
                eprintln!(
                    "install-on-linode: standard output is not being read fast enough; log lines are \
                     being dropped so that serving goes on (counted in log_lines_dropped_total)"
                );
            }
        }
    });
    if let Err(error) = spawned {
        eprintln!("install-on-linode: could not watch for dropped log lines: {error}");
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    /// A reader that never reads: every write waits forever.
    struct Stuck;

    impl Write for Stuck {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            loop {
                std::thread::park();
            }
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stuck_reader_never_blocks_the_writer_and_drops_are_counted() {
        let (writer, guard) = lossy_writer(Stuck, 8);
        let dropped = writer.error_counter();
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            let mut writer = writer;
            for i in 0..1_000 {
                let _ = writeln!(writer, "line {i}");
            }
            let _ = done.send(());
        });

        assert!(finished.recv_timeout(Duration::from_secs(5)).is_ok(), "writing never waits on the reader");
        assert!(dropped.dropped_lines() >= 1_000 - 8 - 1, "{} dropped", dropped.dropped_lines());
        // The worker is stuck on `Stuck` for good: do not wait for it to flush.
        std::mem::forget(guard);
    }
}
