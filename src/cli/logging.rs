//! Logs on stderr as `pressfeed: LEVEL: message`, and the progress bar they are printed
//! around. Default level: info on a terminal, errors only otherwise (silent under cron unless a
//! feed fails); `-v`, `-q` and `PRESSFEED_LOG` change it.

use std::io::{IsTerminal as _, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing::Level;
use tracing_subscriber::EnvFilter;

use super::Cli;

/// Sets up logging for `cli`'s options.
pub(crate) fn init(cli: &Cli) {
    let level = if cli.quiet {
        Level::ERROR
    } else {
        match cli.verbose {
            0 if std::io::stderr().is_terminal() => Level::INFO,
            0 => Level::ERROR,
            1 => Level::INFO,
            _ => Level::DEBUG,
        }
    };
    // `run --report changes` says "works again" even at the default level under cron.
    let report = if cli.quiet { Level::ERROR } else { Level::INFO };
    let mut filter = EnvFilter::try_from_env("PRESSFEED_LOG").unwrap_or_else(|_| {
        EnvFilter::new(format!("pressfeed={level},pressfeed::report={report}"))
    });
    // chromiumoxide traces every DevTools command whole, `[feed.request]` cookies among them:
    // never below info unless asked for by name.
    let named = std::env::var("PRESSFEED_LOG").is_ok_and(|v| v.contains("chromiumoxide"));
    if !named && let Ok(directive) = "chromiumoxide=info".parse() {
        filter = filter.add_directive(directive);
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| LogLine(Vec::new()))
        .event_format(PlainFormat)
        .init();
}

/// The progress bar over the feeds, when one is shown; log lines are printed around it.
static PROGRESS: std::sync::OnceLock<ProgressBar> = std::sync::OnceLock::new();

/// One log line, written to stderr in one piece when dropped (above the progress bar).
struct LogLine(Vec<u8>);

impl Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        // Log lines quote page text: it must not drive the terminal.
        let line = String::from_utf8_lossy(&self.0);
        let line = pressfeed::for_terminal(&line);
        let write = || {
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        };
        match PROGRESS.get() {
            Some(bar) if !bar.is_finished() => bar.suspend(write),
            _ => write(),
        }
    }
}

/// `pressfeed: warning: message`, for people and cron mail alike.
struct PlainFormat;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for PlainFormat
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        write!(writer, "pressfeed: {level}: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// A progress bar over `feeds` on a terminal, unless the user asked for quiet or detail.
pub(crate) fn progress_bar(feeds: usize) -> Option<ProgressBar> {
    let wanted = std::io::stderr().is_terminal()
        && !tracing::enabled!(Level::DEBUG)
        && tracing::enabled!(Level::INFO)
        && feeds > 1;
    if !wanted {
        return None;
    }
    let bar = PROGRESS
        .get_or_init(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()))
        .clone();
    bar.set_length(u64::try_from(feeds).unwrap_or(u64::MAX));
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} feeds {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Some(bar)
}
