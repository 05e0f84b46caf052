//! `serve --refresh`: the feeds refreshed at start and then on an interval with ±10 % jitter,
//! on a thread of their own (as `pressfeed run` does), under the same lock and state. Each
//! round refreshes the feeds of the configuration in force then; a feed that a new
//! configuration adds is refreshed as soon as it is in force.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use super::ServeState;

use crate::error::chain;
use crate::pipeline::{FeedResult, run_until};
use crate::spec::{Config, FeedSpec};

/// Starts the refresh thread: every `interval` until `stop` turns true. A refresh in progress
/// when it does finishes its writes first.
/// After each refresh, `/healthz`'s snapshot of `state` is read again.
pub(super) fn start(
    interval: Duration,
    stop: watch::Receiver<bool>,
    state: Arc<ServeState>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(refresh_loop(interval, stop, &state)),
            Err(err) => tracing::error!("cannot start the refresh: {err}"),
        }
    })
}

/// Refreshes `feeds` of `config` once.
async fn refresh(
    config: &Config,
    feeds: &[&FeedSpec],
    stop: &watch::Receiver<bool>,
    state: &ServeState,
) {
    let report = |done: &FeedResult| match &done.result {
        Err(err) => tracing::error!("{}", chain(err)),
        Ok(report) => {
            if let Some(cut_short) = &report.cut_short {
                tracing::error!("feed \"{}\": {cut_short}", report.feed);
            }
        }
    };
    match run_until(config, feeds, Utc::now(), &report, Some(stop.clone())).await {
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
}

fn ids(config: &Config) -> HashSet<String> {
    config.feeds.iter().map(|spec| spec.id.clone()).collect()
}

async fn refresh_loop(interval: Duration, mut stop: watch::Receiver<bool>, state: &ServeState) {
    loop {
        let config = state.config();
        let feeds: Vec<&FeedSpec> = config.feeds.iter().collect();
        refresh(&config, &feeds, &stop, state).await;
        let mut known = ids(&config);
        let next = tokio::time::Instant::now() + interval.mul_f64(0.9 + 0.2 * fastrand::f64());
        loop {
            let reloaded = tokio::select! {
                () = tokio::time::sleep_until(next) => false,
                _ = stop.wait_for(|stopped| *stopped) => return,
                () = state.reloaded.notified() => true,
            };
            if *stop.borrow() {
                return;
            }
            if !reloaded {
                break;
            }
            let config = state.config();
            let added: Vec<&FeedSpec> = config
                .feeds
                .iter()
                .filter(|spec| !known.contains(&spec.id))
                .collect();
            if added.is_empty() {
                // Feeds removed or changed: the discovery files list what is in force.
                super::reload::write_site(Config::clone(&config)).await;
            } else {
                refresh(&config, &added, &stop, state).await;
            }
            known = ids(&config);
        }
    }
}
