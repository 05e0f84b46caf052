//! A run: every feed refreshed concurrently under the state file's lock, then the discovery
//! files, then the WebSub hub told what changed.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, SubsecRound as _, Utc};
use futures::StreamExt as _;
use url::Url;

use super::refresh::{RunContext, refresh};
use super::{Deadline, FeedResult};
use crate::error::{Budget, Error, FeedError, FeedErrorKind, Result, chain};
use crate::fetch::Fetcher;
use crate::output::{WriteOutcome, publish, remove_stale_temps};
use crate::site::{self, FeedEntry, Outline};
use crate::spec::{Config, FeedSpec, Format};
use crate::store::{History, StateLock, Store};

/// What a run did.
#[derive(Debug)]
pub struct RunReport {
    /// Each feed's result, in the order the feeds finished.
    pub feeds: Vec<FeedResult>,
    /// Why `index.html` and `feeds.opml` were not brought up to date, when they were not (the
    /// feeds' own files were still written).
    pub site_error: Option<Error>,
}

impl RunReport {
    /// Feeds that failed or that a time budget cut short, and whether the discovery files
    /// failed: what makes a run exit 1.
    pub fn failures(&self) -> usize {
        let feeds = self
            .feeds
            .iter()
            .filter(|r| {
                r.result
                    .as_ref()
                    .map_or(true, |report| report.cut_short.is_some())
            })
            .count();
        feeds + usize::from(self.site_error.is_some())
    }
}

/// Refreshes `feeds` of `config` concurrently (at most `[fetch] concurrency` at a time), under
/// the state file's lock. `on_done` is called as each feed finishes. Fails before any feed is
/// tried when the lock is held or the state file cannot be opened. Needs a Tokio runtime with
/// its timers and I/O enabled (the run keeps time budgets).
pub async fn run(
    config: &Config,
    feeds: &[&FeedSpec],
    now: DateTime<Utc>,
    on_done: &(dyn Fn(&FeedResult) + Sync),
) -> Result<RunReport> {
    run_until(config, feeds, now, on_done, None).await
}

/// [`run`], starting no more feeds once `stop` turns true (the feeds already started finish).
pub async fn run_until(
    config: &Config,
    feeds: &[&FeedSpec],
    now: DateTime<Utc>,
    on_done: &(dyn Fn(&FeedResult) + Sync),
    stop: Option<tokio::sync::watch::Receiver<bool>>,
) -> Result<RunReport> {
    let state = config.output.state.clone();
    let run_lock = tokio::task::spawn_blocking(move || StateLock::acquire(&state))
        .await
        .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))?;
    let history = History::open(&config.output.state).await?;
    // Feeds gone from the configuration lose their files once their `keep_days` are over.
    super::prune::remove_expired_in_run(config, &history, now).await;
    let mut names: Vec<String> = config
        .feeds
        .iter()
        .flat_map(|spec| Format::ALL.map(|format| spec.file_name(format)))
        .collect();
    names.extend([site::INDEX.to_string(), site::OPML.to_string()]);
    remove_switched_off(config);
    let removed = remove_stale_temps(&config.output.dir, &names);
    if removed > 0 {
        tracing::info!(
            "removed {removed} temporary files an interrupted run left in {}",
            config.output.dir.display()
        );
    }
    // Hosts that asked on earlier runs to be left alone for a while are left alone.
    let pauses = match history.call(move |store| store.host_pauses(now)).await {
        Ok(Ok(pauses)) => pauses,
        Ok(Err(err)) => return Err(err.into()),
        Err(_) => Default::default(),
    };
    let fetcher = Fetcher::new(&config.run).with_host_pauses(pauses);
    let context = RunContext {
        output: &config.output,
        fetcher: &fetcher,
        history: &history,
        backfill: config.run.backfill,
        reference: config.run.reference,
        deadline: Deadline {
            at: tokio::time::Instant::now() + config.run.run_timeout,
            budget: Budget::Run(config.run.run_timeout),
        },
        unchanged: std::sync::Mutex::new(Vec::new()),
    };
    let now = now.trunc_subsecs(0);
    let started = |_: &&&FeedSpec| {
        let stopped = stop.as_ref().is_some_and(|stop| *stop.borrow());
        std::future::ready(!stopped)
    };
    let results: Vec<FeedResult> = futures::stream::iter(feeds.iter())
        .take_while(started)
        .map(|spec| {
            let context = &context;
            async move {
                // Past the run's budget, no feed starts: each says so.
                let result = if context.deadline.passed() {
                    Err(FeedError::new(
                        &spec.id,
                        None,
                        FeedErrorKind::OutOfTime {
                            budget: context.deadline.budget,
                            stage: crate::error::NOT_STARTED,
                        },
                    ))
                } else {
                    refresh(spec, context, now).await
                };
                FeedResult {
                    feed: spec.id.clone(),
                    result,
                }
            }
        })
        .buffer_unordered(config.run.concurrency)
        .inspect(on_done)
        .collect()
        .await;
    // The browser of rendered pages, if one was started, is gone before the run ends.
    fetcher.close_browser().await;
    let pauses = fetcher.host_pauses();
    let kept = history
        .call(move |store| store.keep_host_pauses(&pauses, Utc::now()))
        .await;
    if let Ok(Err(err)) = kept {
        tracing::warn!("cannot keep the hosts' Retry-After pauses: {}", chain(&err));
    }
    let unchanged =
        std::mem::take(&mut *context.unchanged.lock().unwrap_or_else(|e| e.into_inner()));
    if !unchanged.is_empty() {
        let logged = history.call(move |store| store.log_runs(&unchanged)).await;
        if let Ok(Err(err)) = logged {
            tracing::warn!("cannot log the unchanged feeds' runs: {}", chain(&err));
        }
    }
    let discovery_config = config.clone();
    let mut outlines: HashMap<String, Outline> = HashMap::new();
    for report in results.iter().filter_map(|r| r.result.as_ref().ok()) {
        if let Some(outline) = &report.outline {
            outlines.insert(report.feed.clone(), outline.clone());
        }
    }
    let site_error = match history
        .call(move |store| write_discovery(&discovery_config, store, &outlines, now))
        .await
    {
        Ok(Ok(())) => None,
        Ok(Err(err)) => Some(err),
        Err(_) => Some(Error::Panicked("writing the index page")),
    };
    // The hub may be slow: the next run need not wait for it.
    drop(run_lock);
    after_publish(config, &results).await;
    Ok(RunReport {
        feeds: results,
        site_error,
    })
}

/// Removes the files of formats a feed no longer writes (they would be served, frozen).
fn remove_switched_off(config: &Config) {
    for spec in &config.feeds {
        for format in Format::ALL {
            if spec.formats.contains(&format) {
                continue;
            }
            let path = config.output.dir.join(spec.file_name(format));
            if std::fs::remove_file(&path).is_ok() {
                tracing::info!(
                    "feed \"{}\": removed {} (format switched off)",
                    spec.id,
                    path.display()
                );
            }
        }
    }
}

/// Writes `index.html` and `feeds.opml` for every configured feed (only when their bytes
/// change). `rendered` holds what the feeds whose files this run rendered now publish; when
/// there are none, the configuration is as when the files were last written and both are in
/// place, they are left alone without a look; otherwise the other feeds' outlines are read
/// from the history.
fn write_discovery(
    config: &Config,
    store: &mut Store,
    rendered: &HashMap<String, Outline>,
    now: DateTime<Utc>,
) -> Result<()> {
    let index = config.output.dir.join(site::INDEX);
    let opml = config.output.dir.join(site::OPML);
    let print = crate::digest::settings_print(&[&config.output, &config.feeds]);
    let in_place = index.is_file() && opml.is_file();
    if rendered.is_empty() && in_place && store.site_print()?.as_deref() == Some(print.as_str()) {
        return Ok(());
    }
    let mut outlines = Vec::with_capacity(config.feeds.len());
    for spec in &config.feeds {
        let outline = match rendered.get(&spec.id) {
            Some(outline) => outline.clone(),
            None => Outline::of(&store.published_outline(&spec.id, spec.window(), now)?),
        };
        outlines.push(outline);
    }
    let entries: Vec<FeedEntry<'_>> = config
        .feeds
        .iter()
        .zip(&outlines)
        .map(|(spec, outline)| FeedEntry { spec, outline })
        .collect();
    let files = [
        (index, site::index_html(&config.output, &entries)),
        (opml, site::opml(&config.output, &entries)),
    ];
    publish(&files)?;
    store.keep_site_print(&print)?;
    Ok(())
}

/// What follows a run that may have changed files: the WebSub hub is told, and the
/// `on_change` hooks run.
async fn after_publish(config: &Config, results: &[FeedResult]) {
    if let Some(hub) = &config.output.websub_hub {
        notify_hub(config, hub, results).await;
    }
    let changed: Vec<(&str, Vec<PathBuf>)> = results
        .iter()
        .filter_map(|r| r.result.as_ref().ok())
        .map(|report| {
            let written = report
                .files
                .iter()
                .filter(|(_, outcome)| *outcome == WriteOutcome::Written);
            (
                report.feed.as_str(),
                written.map(|(path, _)| path.clone()).collect(),
            )
        })
        .collect();
    crate::hook::run_hooks(config, &changed).await;
}

/// Writes `index.html` and `feeds.opml` for `config`'s feeds as the history has them, under
/// the run lock, when either is missing or they were written from other settings: what
/// `serve` does at start and when its configuration changes. Fails at once when a run holds
/// the lock (that run writes them).
pub fn write_site(config: &Config, now: DateTime<Utc>) -> Result<()> {
    let _lock = StateLock::acquire(&config.output.state)?;
    let mut store = Store::open(&config.output.state)?;
    write_discovery(config, &mut store, &HashMap::new(), now.trunc_subsecs(0))
}

/// Tells the WebSub hub about every feed file this run rewrote.
async fn notify_hub(config: &Config, hub: &Url, results: &[FeedResult]) {
    let topics: Vec<String> = results
        .iter()
        .filter_map(|r| r.result.as_ref().ok())
        .flat_map(|report| &report.files)
        .filter(|(_, outcome)| *outcome == WriteOutcome::Written)
        .filter_map(|(path, _)| {
            let name = path.file_name()?.to_str()?;
            config.output.served_url(name).map(String::from)
        })
        .collect();
    if topics.is_empty() {
        return;
    }
    let policy = crate::notify::hub_policy(&config.run);
    let failed = crate::notify::publish(hub, &topics, &config.fetch, policy).await;
    for (topic, why) in &failed {
        tracing::warn!(
            "WebSub hub {hub} did not take the update of {topic}: {}",
            chain(why)
        );
    }
    tracing::info!(
        "told WebSub hub {hub} about {} changed feed files",
        topics.len() - failed.len()
    );
}
