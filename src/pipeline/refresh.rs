//! One feed's refresh, as a straight line: what the history knows → fetch (conditionally) →
//! read and check → older pages and item pages → what the history will publish → render →
//! publish → commit to the history. On failure the feed's files and history are as they were,
//! and the failure is logged in the state file.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use futures::FutureExt as _;

use super::read::{ListingRead, add_older_pages, read_item_pages, read_listing};
use super::{Deadline, FeedReport};
use crate::checks::CheckError;
use crate::error::{FeedError, FeedErrorKind};
use crate::faults::pause_point;
use crate::fetch::{Fetched, Fetcher, Request};
use crate::item::FeedItem;
use crate::output::publish;
use crate::render::{FeedMeta, render};
use crate::spec::{FeedSpec, OutputSettings};
use crate::store::{History, Outcome, PageRead, RunRecord, StoreError};

/// What every feed of a run shares.
pub(super) struct RunContext<'a> {
    /// Where and how feeds are published.
    pub(super) output: &'a OutputSettings,
    /// The run's fetcher.
    pub(super) fetcher: &'a Fetcher,
    /// The run's history.
    pub(super) history: &'a History,
    /// Whether older pages are read even for feeds that have a history.
    pub(super) backfill: bool,
    /// The time dates are read against, when `--now` gave one.
    pub(super) reference: Option<DateTime<Utc>>,
    /// When the run must stop fetching.
    pub(super) deadline: Deadline,
}

/// Refreshes one feed. A panic in it (a bug) fails this feed only; one while reading an older
/// page or an item's own page only ends that reading, with a warning.
pub(super) async fn refresh(
    spec: &FeedSpec,
    run: &RunContext<'_>,
    now: DateTime<Utc>,
) -> Result<FeedReport, FeedError> {
    let started = Utc::now();
    let outcome = std::panic::AssertUnwindSafe(try_refresh(spec, run, started, now))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err(FeedError::panicked(&spec.id)));
    if let Err(error) = &outcome {
        log_failure(spec, run.history, error, started).await;
    }
    outcome
}

async fn try_refresh(
    spec: &FeedSpec,
    run: &RunContext<'_>,
    started: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<FeedReport, FeedError> {
    let fingerprint = spec.fingerprint();
    let (feed, print) = (spec.id.clone(), fingerprint.clone());
    let known = run
        .history
        .call(move |store| {
            Ok((
                store.validators(&feed, &print)?,
                store.last_good_run(&feed)?,
            ))
        })
        .await
        .map_err(|_| FeedError::panicked(&spec.id))?;
    let (validators, last_run) =
        known.map_err(|e: StoreError| FeedError::new(&spec.id, None, e))?;
    let deadline = Deadline::for_feed(spec, run.deadline);
    let request = Request::listing(spec, &validators);
    let fetched = deadline
        .within(run.fetcher.get(&request))
        .await
        .ok_or_else(|| {
            FeedError::new(
                &spec.id,
                None,
                FeedErrorKind::OutOfTime {
                    budget: deadline.budget,
                    stage: "while loading its page",
                },
            )
        })?
        .map_err(|e| FeedError::new(&spec.id, Some(request.field), e))?;
    let mut cut_short = None;
    let read = match fetched {
        Fetched::NotModified => None,
        Fetched::Page(body) => {
            let reference = super::reference_time(run.reference, &body, now);
            let mut read = read_listing(spec, body, last_run, reference).await?;
            if last_run.is_none() || run.backfill {
                let (fetcher, read) = (run.fetcher, &mut read);
                cut_short = add_older_pages(spec, fetcher, read, reference, deadline).await;
            }
            let items = &mut read.items;
            let detail = read_item_pages(spec, run.fetcher, run.history, items, now, deadline);
            cut_short = cut_short.or(detail.await);
            Some(read)
        }
    };
    let (spec_owned, output, history) = (spec.clone(), run.output.clone(), run.history.clone());
    let mut report = super::blocking(&spec.id, move || {
        publish_and_commit(
            &spec_owned,
            &output,
            &history,
            read,
            &fingerprint,
            started,
            now,
        )
    })
    .await?;
    report.cut_short = cut_short;
    Ok(report)
}

/// The synchronous end of a refresh, after the pages are read: work out the feed the history
/// will give, publish it, and only then keep the page in the history with the run's log entry
/// (one transaction). A failure anywhere before that commit leaves the history as it was; a
/// kill between the publish and the commit leaves the new files and the old history, which
/// the next run reconciles. The history is held only for the preview and for the commit, so
/// other feeds render and write their files meanwhile.
fn publish_and_commit(
    spec: &FeedSpec,
    output: &OutputSettings,
    history: &History,
    read: Option<ListingRead>,
    fingerprint: &str,
    started: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<FeedReport, FeedError> {
    let fail = |kind: FeedErrorKind| FeedError::new(&spec.id, None, kind);
    let page = read.as_ref().map(|read| PageRead {
        items: &read.items.items,
        validators: &read.validators,
        fingerprint,
        keep_summaries: spec.detail.as_ref().is_some_and(|d| d.summary.is_some()),
        future_dates: spec.future_dates,
    });
    let preview = history
        .blocking()
        .preview(&spec.id, page.as_ref(), spec.window(), now);
    let (merge, items) = preview.map_err(|e| fail(e.into()))?;
    pause_point("merged");
    if items.is_empty() {
        // Only a state file emptied behind pressfeed's back gets here: never publish nothing.
        return Err(FeedError::check(
            &spec.id,
            CheckError::NothingToPublish {
                selector: spec.selectors.item_css.clone(),
            },
        ));
    }
    let files = render_feed(spec, output, &items, now)?;
    pause_point("rendered");
    let outcomes = publish(&files).map_err(|e| fail(e.into()))?;
    pause_point("published");
    let counts = read.as_ref().map(|read| read.items.counts);
    let record = RunRecord {
        feed: spec.id.clone(),
        started,
        finished: Utc::now(),
        outcome: if read.is_some() {
            Outcome::Updated
        } else {
            Outcome::NotModified
        },
        items_found: counts.map(|c| u64::try_from(c.matched).unwrap_or(u64::MAX)),
        new_items: Some(merge.new_items),
        dates_parsed: counts.map(|c| u64::try_from(c.date_parsed).unwrap_or(u64::MAX)),
        error: None,
    };
    let committed = history
        .blocking()
        .commit(&spec.id, page.as_ref(), spec.window(), &record, now);
    committed.map_err(|e| fail(FeedErrorKind::NotRecorded(e)))?;
    let files = files
        .into_iter()
        .map(|(path, _)| path)
        .zip(outcomes)
        .collect();
    Ok(FeedReport {
        feed: spec.id.clone(),
        page_read: read.is_some(),
        items: items.len(),
        new_items: merge.new_items,
        warnings: read.map(|r| r.items.warnings).unwrap_or_default(),
        files,
        cut_short: None,
    })
}

/// `spec`'s feed of `items` (newest first) in each of its formats: each file's path in the
/// output folder and its bytes.
pub fn render_feed(
    spec: &FeedSpec,
    output: &OutputSettings,
    items: &[FeedItem],
    now: DateTime<Utc>,
) -> Result<Vec<(PathBuf, Vec<u8>)>, FeedError> {
    let meta = FeedMeta::of(spec, output, items, now);
    spec.formats
        .iter()
        .map(|&format| {
            let bytes =
                render(format, &meta, items).map_err(|e| FeedError::new(&spec.id, None, e))?;
            Ok((output.dir.join(spec.file_name(format)), bytes))
        })
        .collect()
}

/// Keeps a failed refresh in the run log (best effort: a log that cannot be written is
/// reported, not a second failure).
async fn log_failure(
    spec: &FeedSpec,
    history: &History,
    error: &FeedError,
    started: DateTime<Utc>,
) {
    let record = RunRecord {
        feed: spec.id.clone(),
        started,
        finished: Utc::now(),
        outcome: Outcome::Failed,
        items_found: None,
        new_items: None,
        dates_parsed: None,
        error: Some(crate::error::chain(error)),
    };
    let logged = history.call(move |store| store.log_run(&record)).await;
    if let Ok(Err(err)) = logged {
        tracing::warn!(
            "feed \"{}\": cannot log the failed run: {}",
            spec.id,
            crate::error::chain(&err)
        );
    }
}
