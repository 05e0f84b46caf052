//! `pressfeed serve`: binds, says where on stdout, and serves until Ctrl-C or SIGTERM.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use pressfeed::{Config, ServeOptions};

use super::exit::Outcome;

/// Serves `config`'s output folder on `bind` as `options` say.
pub(crate) fn serve(
    config: Config,
    bind: SocketAddr,
    options: ServeOptions,
) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        // Before anything else: a SIGHUP (`systemctl reload`) during start-up must not end
        // the server (the library listens for it once it serves; the handler stays).
        #[cfg(unix)]
        let _hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        let listener = match tokio::net::TcpListener::bind(bind).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::error!("cannot listen on {bind}: {err}");
                return Ok(Outcome::Usage);
            }
        };
        let address = listener.local_addr().context("no local address")?;
        // The address goes to stdout, for whoever started the server (and tests on port 0).
        let mut stdout = std::io::stdout().lock();
        writeln!(
            stdout,
            "pressfeed: serving {} on http://{address}/",
            config.output.dir.display()
        )
        .and_then(|()| stdout.flush())
        .context("cannot write to standard output")?;
        drop(stdout);
        pressfeed::serve(config, options, listener, shutdown_signal())
            .await
            .context("the server failed")?;
        Ok(Outcome::Success)
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down: finishing what is in progress");
}

/// A duration on the command line, as in the config (`90`, `90s`, `30m`, `1h30m`), from 1 s
/// to 366 days.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    const MAX: Duration = Duration::from_secs(366 * 86_400);
    let duration = pressfeed::parse_duration(text)?;
    if duration < Duration::from_secs(1) || duration > MAX {
        return Err(format!(
            "\"{}\" is out of range: a duration from 1s to 366d",
            text.trim()
        ));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("100000d").is_err());
    }
}
