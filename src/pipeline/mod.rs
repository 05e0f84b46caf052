//! The refresh of feeds, step by step: fetch, decode, extract, build items, check against the
//! last good run, merge into the history, render, publish. Only this module knows the order of
//! the steps; `now` comes in from the caller.
//!
//! [`mod@run`] refreshes feeds ([`refresh`] is one feed, [`read`] its pages); [`inspect`] holds the
//! operations beside a run, which publish nothing (`check`, `suggest`, `status`, `reset`);
//! [`mod@prune`] the feeds gone from the configuration.

mod inspect;
mod listings;
mod prune;
mod read;
mod refresh;
mod run;

use std::path::PathBuf;

pub use inspect::{
    DetailFound, Preview, SuggestError, Suggested, Tried, forget, preview, statuses, suggest_page,
};
pub use prune::{Pruned, prune};
pub use read::{ListingRead, read_items, read_page};
pub use run::{RunReport, run, run_until, write_site};

use crate::error::{Budget, FeedError};
use crate::fetch::Body;
use crate::item::ItemWarning;
use crate::output::WriteOutcome;
use crate::site::Outline;
use crate::spec::FeedSpec;

/// What a successful refresh did.
#[derive(Debug, Clone)]
pub struct FeedReport {
    /// The feed.
    pub feed: String,
    /// What became of the listing page.
    pub page: PageOutcome,
    /// Items published.
    pub items: usize,
    /// Items new to the history.
    pub new_items: u64,
    /// Item-level problems on the page.
    pub warnings: Vec<ItemWarning>,
    /// The files and whether each was rewritten.
    pub files: Vec<(PathBuf, WriteOutcome)>,
    /// What the feed publishes, for the discovery files, when its files were rendered (else
    /// they hold what they held).
    pub outline: Option<Outline>,
    /// Whether a time budget cut the reading short (what was read is published).
    pub cut_short: Option<CutShort>,
}

/// What a refresh made of the listing page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageOutcome {
    /// It was read and merged into the history.
    Read,
    /// The server said it had not changed (304).
    NotModified,
    /// It came with the same bytes as when last read, under the same settings: not parsed.
    Unchanged,
}

/// A refresh that a time budget cut short: what was read is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{budget} ran out while reading {reading}")]
pub struct CutShort {
    /// Which budget.
    pub budget: Budget,
    /// What was being read.
    pub reading: Reading,
}

/// The pages a refresh reads after the listing's first page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Older listing pages (`[feed.pagination]`): read on a first run and with `--backfill`.
    OlderPages,
    /// Item pages (`[feed.detail]`): the ones not read are read on later runs.
    ItemPages,
}

impl std::fmt::Display for Reading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Reading::OlderPages => {
                "older pages; the pages not reached are read by `pressfeed run --backfill`"
            }
            Reading::ItemPages => "item pages; the rest is read on a later run",
        })
    }
}

/// When a feed must stop fetching, and which budget says so.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    at: tokio::time::Instant,
    budget: Budget,
}

impl Deadline {
    /// The sooner of `feed_timeout` from now and the run's own deadline.
    fn for_feed(spec: &FeedSpec, run: Deadline) -> Deadline {
        let own = tokio::time::Instant::now() + spec.fetch.feed_timeout;
        if own < run.at {
            Deadline {
                at: own,
                budget: Budget::Feed(spec.fetch.feed_timeout),
            }
        } else {
            run
        }
    }

    fn passed(&self) -> bool {
        tokio::time::Instant::now() >= self.at
    }

    /// `future`, unless the deadline comes first.
    async fn within<F: std::future::Future>(&self, future: F) -> Option<F::Output> {
        tokio::time::timeout_at(self.at, future).await.ok()
    }
}

/// One feed's result in a run.
#[derive(Debug)]
pub struct FeedResult {
    /// The feed.
    pub feed: String,
    /// What the refresh did, or why it failed (files and history untouched).
    pub result: Result<FeedReport, FeedError>,
}

/// Runs `work` on a blocking thread (parsing, SQLite, rendering, writing); a panic in it (a
/// bug) fails `feed` only.
async fn blocking<T, F>(feed: &str, work: F) -> Result<T, FeedError>
where
    F: FnOnce() -> Result<T, FeedError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|_| Err(FeedError::panicked(feed)))
}

/// The earliest year a server's `Date` is believed from (HTTP/1.0 came in 1996).
const FIRST_SERVER_YEAR: i32 = 1995;

/// The time `body`'s year-less and relative dates are read against: `--now` when given, else
/// when the server says it sent the page (unless that is before 1995 or more than a day
/// after `now`: a server clock that is plainly wrong), else `now`.
fn reference_time(
    given: Option<chrono::DateTime<chrono::Utc>>,
    body: &Body,
    now: chrono::DateTime<chrono::Utc>,
) -> chrono::DateTime<chrono::Utc> {
    use chrono::Datelike as _;
    given
        .or(body.served_at.filter(|served| {
            served.year() >= FIRST_SERVER_YEAR && *served <= now + chrono::TimeDelta::days(1)
        }))
        .unwrap_or(now)
}

/// The text of `body`, a page of `spec`'s: decoded as the feed says, with a note in the log
/// when a declaration was overruled or bytes were replaced.
fn decode(spec: &FeedSpec, body: &Body) -> String {
    let decoded = body.decode(spec.encoding);
    if let Some(note) = decoded.note {
        tracing::info!("feed \"{}\": {note}", spec.id);
    }
    decoded.text
}
