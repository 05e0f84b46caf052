//! One feed's refresh, as a straight line: what the history knows → fetch (conditionally) →
//! read and check → older pages and item pages → what the history will publish → render →
//! publish → commit to the history. A page that did not change (a 304, or the same bytes read
//! under the same settings) whose files are as last published costs no parse, render or file
//! read. On failure the feed's files and history are as they were, and the failure is logged
//! in the state file.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use futures::FutureExt as _;

use super::read::{ListingRead, add_older_pages, read_item_pages, read_listing};
use super::{CutShort, Deadline, FeedReport, PageOutcome};
use crate::checks::CheckError;
use crate::digest::{page_digest, settings_print};
use crate::error::{FeedError, FeedErrorKind};
use crate::faults::pause_point;
use crate::fetch::{Fetched, Fetcher, Request, Validators};
use crate::item::FeedItem;
use crate::output::{Staged, WriteOutcome, put_in_place};
use crate::render::{FeedMeta, render_to};
use crate::site::Outline;
use crate::spec::{FeedSpec, Format, OutputSettings, Render};
use crate::store::{GoodRun, History, Outcome, PageRead, Publication, RunRecord, StoreError};

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
    /// The log entries of feeds found unchanged, written together at the end of the run.
    pub(super) unchanged: std::sync::Mutex<Vec<RunRecord>>,
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
    // What the files are rendered from: the feed's and the output's settings.
    let print = settings_print(&[spec, run.output]);
    let (feed, validators_print) = (spec.id.clone(), fingerprint.clone());
    let reads_details = spec.detail.is_some();
    let known = run
        .history
        .call(move |store| {
            Ok((
                store.validators(&feed, &validators_print)?,
                store.last_good_run(&feed)?,
                store.publication(&feed)?,
                reads_details && store.details_due(&feed, now)?,
            ))
        })
        .await
        .map_err(|_| FeedError::panicked(&spec.id))?;
    let (validators, last_run, publication, details_due) =
        known.map_err(|e: StoreError| FeedError::new(&spec.id, None, e))?;
    let known = Known {
        validators,
        last_run,
        publication,
        details_due,
        print,
    };
    let deadline = Deadline::for_feed(spec, run.deadline);
    let Loaded {
        read,
        page,
        cut_short,
    } = if spec.more_listings.is_empty() {
        load_one(spec, run, &known, now, deadline).await?
    } else {
        super::listings::load_all(spec, run, &known, now, deadline).await?
    };
    let Known {
        publication, print, ..
    } = known;
    if read.is_none()
        && let Some(publication) = publication
            .as_ref()
            .filter(|p| p.current(&print, spec.window(), now))
            .filter(|_| files_in_place(spec, run.output))
    {
        // Nothing to parse, render or read back: the files hold what a render would give.
        return Ok(unchanged(spec, run, publication, page, started));
    }
    let (spec_owned, output, history) = (spec.clone(), run.output.clone(), run.history.clone());
    let facts = Facts {
        fingerprint,
        publish: print,
        started,
        now,
    };
    let mut report = super::blocking(&spec.id, move || {
        publish_and_commit(&spec_owned, &output, &history, read, page, &facts)
    })
    .await?;
    report.cut_short = cut_short;
    Ok(report)
}

/// What the history knows of a feed before its refresh.
pub(super) struct Known {
    /// The validators kept for its page(s), under its current fingerprint.
    pub(super) validators: Validators,
    /// What the last run that read its page(s) found.
    pub(super) last_run: Option<GoodRun>,
    /// What it last published.
    pub(super) publication: Option<Publication>,
    /// Whether items' own pages are due.
    pub(super) details_due: bool,
    /// The print of what its files are rendered from (see [`settings_print`]).
    pub(super) print: String,
}

impl Known {
    /// Whether pages read with `digest` give what was last published: the same bytes read
    /// the same way give the same items, as good as a 304, unless a backfill reads older
    /// pages or items' own pages are due, which only a read page leads to.
    pub(super) fn same_page(&self, backfill: bool, digest: &str) -> bool {
        !backfill
            && !self.details_due
            && self
                .publication
                .as_ref()
                .is_some_and(|p| p.print == self.print && p.page_digest.as_deref() == Some(digest))
    }
}

/// What loading a feed's listing gave: the pages read (with their digest), or why they were
/// not read, and whether a time budget cut the reading short.
pub(super) struct Loaded {
    /// The listing read and checked, with the digest of its bytes; `None` when unchanged.
    pub(super) read: Option<(ListingRead, String)>,
    /// What became of the listing.
    pub(super) page: PageOutcome,
    /// Whether a time budget cut the reading of older or item pages short.
    pub(super) cut_short: Option<CutShort>,
}

/// The out-of-time error of a feed whose listing was still loading.
pub(super) fn out_of_time_loading(spec: &FeedSpec, deadline: Deadline) -> FeedError {
    FeedError::new(
        &spec.id,
        None,
        FeedErrorKind::OutOfTime {
            budget: deadline.budget,
            stage: "while loading its page",
        },
    )
}

/// Loads a feed's one listing page (conditionally), and unless it is unchanged reads and
/// checks it, then its older pages and items' own pages.
async fn load_one(
    spec: &FeedSpec,
    run: &RunContext<'_>,
    known: &Known,
    now: DateTime<Utc>,
    deadline: Deadline,
) -> Result<Loaded, FeedError> {
    let request = Request::listing(spec, &known.validators);
    let fetched = deadline
        .within(load_listing(spec, run.fetcher, &request))
        .await
        .ok_or_else(|| out_of_time_loading(spec, deadline))?
        .map_err(|e| FeedError::new(&spec.id, Some(request.field), e))?;
    let body = match fetched {
        Fetched::NotModified => {
            return Ok(Loaded {
                read: None,
                page: PageOutcome::NotModified,
                cut_short: None,
            });
        }
        Fetched::Page(body) => body,
    };
    let digest = page_digest(body.url.as_str(), body.http_charset.as_deref(), &body.bytes);
    if known.same_page(run.backfill, &digest) {
        return Ok(Loaded {
            read: None,
            page: PageOutcome::Unchanged,
            cut_short: None,
        });
    }
    let reference = super::reference_time(run.reference, &body, now);
    let mut read = read_listing(spec, body, known.last_run, reference).await?;
    let mut cut_short = None;
    if known.last_run.is_none() || run.backfill {
        cut_short = add_older_pages(spec, run.fetcher, &mut read, reference, deadline).await;
    }
    let items = &mut read.items;
    let detail = read_item_pages(spec, run.fetcher, run.history, items, now, deadline);
    cut_short = cut_short.or(detail.await);
    Ok(Loaded {
        read: Some((read, digest)),
        page: PageOutcome::Read,
        cut_short,
    })
}

/// The listing page: fetched (conditionally), or rendered in the run's browser.
pub(super) async fn load_listing(
    spec: &FeedSpec,
    fetcher: &Fetcher,
    request: &Request<'_>,
) -> Result<Fetched, crate::fetch::FetchError> {
    match &spec.render {
        Render::None => fetcher.get(request).await,
        Render::Browser { wait_for } => fetcher
            .render(request, wait_for.as_deref())
            .await
            .map(Fetched::Page),
    }
}

/// Whether every file `spec`'s feed publishes is in the output folder.
fn files_in_place(spec: &FeedSpec, output: &OutputSettings) -> bool {
    spec.formats
        .iter()
        .all(|&format| output.dir.join(spec.file_name(format)).is_file())
}

/// Reports the refresh of a feed whose page and files are as last published, and keeps its
/// log entry for the end of the run.
fn unchanged(
    spec: &FeedSpec,
    run: &RunContext<'_>,
    publication: &Publication,
    page: PageOutcome,
    started: DateTime<Utc>,
) -> FeedReport {
    let record = RunRecord {
        feed: spec.id.clone(),
        started,
        finished: Utc::now(),
        outcome: Outcome::NotModified,
        items_found: None,
        new_items: Some(0),
        dates_parsed: None,
        error: None,
    };
    // Logged with the others at the end of the run: one write for a thousand unchanged feeds.
    run.unchanged
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(record);
    FeedReport {
        feed: spec.id.clone(),
        page,
        items: usize::try_from(publication.items).unwrap_or(0),
        new_items: 0,
        warnings: Vec::new(),
        files: spec
            .formats
            .iter()
            .map(|&format| {
                let path = run.output.dir.join(spec.file_name(format));
                (path, WriteOutcome::Unchanged)
            })
            .collect(),
        outline: None,
        cut_short: None,
    }
}

/// What a refresh's end needs to know besides the page: the feed's configuration fingerprint
/// (kept with the page's validators), its publish print (see [`settings_print`]), and when the
/// refresh started and the time it runs at.
struct Facts {
    fingerprint: String,
    publish: String,
    started: DateTime<Utc>,
    now: DateTime<Utc>,
}

/// The synchronous end of a refresh, after the pages are read: work out from the history what
/// merging the page changes and what the feed then publishes (nothing written), publish it,
/// and only then write the merge with the run's log entry (one transaction). A failure
/// anywhere before that commit leaves the history as it was; a kill between the publish and
/// the commit leaves the new files and the old history, which the next run reconciles. The
/// history is held only to plan and to commit, so other feeds render and write their files
/// meanwhile.
fn publish_and_commit(
    spec: &FeedSpec,
    output: &OutputSettings,
    history: &History,
    read: Option<(ListingRead, String)>,
    page_outcome: PageOutcome,
    facts: &Facts,
) -> Result<FeedReport, FeedError> {
    let Facts {
        fingerprint,
        publish: print,
        started,
        now,
    } = facts;
    let (started, now) = (*started, *now);
    let fail = |kind: FeedErrorKind| FeedError::new(&spec.id, None, kind);
    let page = read.as_ref().map(|(read, digest)| PageRead {
        items: &read.items.items,
        validators: &read.validators,
        fingerprint,
        page_digest: digest,
        keep_summaries: spec.detail.as_ref().is_some_and(|d| d.summary.is_some()),
        future_dates: spec.future_dates,
        filter: spec.filter.as_ref(),
    });
    let plan = history.blocking().plan(
        &spec.id,
        page.as_ref(),
        spec.window(),
        spec.future_dates,
        now,
    );
    let plan = plan.map_err(|e| fail(e.into()))?;
    pause_point("merged");
    if plan.items().is_empty() {
        // Only a state file emptied behind pressfeed's back gets here: never publish nothing.
        return Err(FeedError::check(
            &spec.id,
            CheckError::NothingToPublish {
                selector: spec.selectors.item_css.clone(),
            },
        ));
    }
    // The page's items are in the plan now.
    let (read, counts) = match read {
        Some((read, _)) => (Some(read.items.warnings), Some(read.items.counts)),
        None => (None, None),
    };
    let staged = render_and_stage(spec, output, plan.items(), now)?;
    pause_point("rendered");
    let paths: Vec<PathBuf> = staged
        .iter()
        .map(|file| file.path().to_path_buf())
        .collect();
    let outcomes = put_in_place(staged).map_err(|e| fail(e.into()))?;
    pause_point("published");
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
        new_items: Some(plan.merge().new_items),
        dates_parsed: counts.map(|c| u64::try_from(c.date_parsed).unwrap_or(u64::MAX)),
        error: None,
    };
    let committed = history.blocking().commit(&plan, Some(print), &record);
    committed.map_err(|e| fail(FeedErrorKind::NotRecorded(e)))?;
    Ok(FeedReport {
        feed: spec.id.clone(),
        page: page_outcome,
        items: plan.items().len(),
        new_items: plan.merge().new_items,
        warnings: read.unwrap_or_default(),
        files: paths.into_iter().zip(outcomes).collect(),
        outline: Some(Outline::of(plan.items())),
        cut_short: None,
    })
}

/// Feeds of at least this many items render on two threads.
const RENDERED_ON_THREADS: usize = 500;

/// Renders `spec`'s feed of `items` (newest first) in each of its formats and stages each file
/// (see [`Staged`]), dropping its bytes once staged. A large feed's first format is rendered
/// on this thread while a second thread renders the others: two at a time, as many as most
/// servers have cores, and only one more allocator arena to fill.
fn render_and_stage(
    spec: &FeedSpec,
    output: &OutputSettings,
    items: &[FeedItem],
    now: DateTime<Utc>,
) -> Result<Vec<Staged>, FeedError> {
    let meta = FeedMeta::of(spec, output, items, now);
    let one = |format: Format| -> Result<Staged, FeedError> {
        let path = output.dir.join(spec.file_name(format));
        let staged = Staged::streamed(&path, |out| render_to(format, &meta, items, out).map(drop));
        let fail = |kind: FeedErrorKind| FeedError::new(&spec.id, None, kind);
        staged
            .map_err(|e| fail(e.into()))?
            .map_err(|e| fail(e.into()))
    };
    let in_turn = |formats: &[Format]| formats.iter().map(|&format| one(format)).collect();
    let Some((&first, others)) = spec.formats.split_first() else {
        return Ok(Vec::new());
    };
    if items.len() < RENDERED_ON_THREADS || others.is_empty() {
        return in_turn(&spec.formats);
    }
    std::thread::scope(|scope| {
        let helper = scope.spawn(|| in_turn(others));
        let first = one(first);
        let others: Result<Vec<Staged>, FeedError> = helper
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let mut staged = vec![first?];
        staged.extend(others?);
        Ok(staged)
    })
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
