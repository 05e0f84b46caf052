//! `serve --refresh`: the feeds refreshed at start and then on an interval with ±10 % jitter,
//! on a thread of their own (as `pressfeed run` does), under the same lock and state.

use std::time::Duration;

use chrono::Utc;
use std::sync::Arc;

use tokio::sync::watch;

use super::ServeState;

use crate::error::chain;
use crate::pipeline::{FeedResult, run_until};
use crate::spec::{Config, FeedSpec};

/// Starts the refresh thread: every `interval` until `stop` turns true. A refresh in progress
/// when it does finishes its writes first.
/// After each refresh, `/healthz`'s snapshot of `state` is read again.
pub(super) fn start(
    config: Config,
    interval: Duration,
    stop: watch::Receiver<bool>,
    state: Arc<ServeState>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(refresh_loop(config, interval, stop, &state)),
            Err(err) => tracing::error!("cannot start the refresh: {err}"),
        }
    })
}

async fn refresh_loop(
    config: Config,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
    state: &ServeState,
) {
    let feeds: Vec<&FeedSpec> = config.feeds.iter().collect();
    loop {
        let report = |done: &FeedResult| match &done.result {
            Err(err) => tracing::error!("{}", chain(err)),
            Ok(report) => {
                if let Some(cut_short) = &report.cut_short {
                    tracing::error!("feed \"{}\": {cut_short}", report.feed);
                }
            }
        };
        match run_until(&config, &feeds, Utc::now(), &report, Some(stop.clone())).await {
            Ok(results) => {
                if let Some(err) = &results.site_error {
                    tracing::error!("{}", chain(err));
                }
                let failed = results.feeds.iter().filter(|r| r.result.is_err()).count();
                tracing::info!("refreshed {} feeds ({failed} failed)", results.feeds.len());
            }
            Err(err) => tracing::warn!("refresh skipped: {}", chain(&err)),
        }
        state.health.invalidate();
        let pause = interval.mul_f64(0.9 + 0.2 * fastrand::f64());
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}
