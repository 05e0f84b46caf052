//! The run log: how each refresh of a feed ended, kept for `status`, `/healthz` and the next
//! run's checks.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::Serialize;

use super::timestamp;

/// Runs kept in the log per feed.
const RUNS_KEPT: i64 = 1000;

/// What a good run found, to judge the next one by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoodRun {
    /// Elements the item selector matched.
    pub items_found: u64,
    /// Items whose date parsed.
    pub dates_parsed: u64,
}

/// How a run of one feed ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The page was read and the feed published.
    Updated,
    /// The server answered 304: the page did not change.
    NotModified,
    /// The run failed; files and history were left as they were.
    Failed,
}

impl Outcome {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Outcome::Updated => "updated",
            Outcome::NotModified => "not_modified",
            Outcome::Failed => "failed",
        }
    }
}

/// One entry of the run log.
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// The feed.
    pub feed: String,
    /// When the feed's refresh started.
    pub started: DateTime<Utc>,
    /// When it ended.
    pub finished: DateTime<Utc>,
    /// How it ended.
    pub outcome: Outcome,
    /// Elements the item selector matched, when the page was read.
    pub items_found: Option<u64>,
    /// Items new to the history.
    pub new_items: Option<u64>,
    /// Items whose date parsed, when the page was read.
    pub dates_parsed: Option<u64>,
    /// The error, for a failed run.
    pub error: Option<String>,
}

/// A feed's state, for `pressfeed status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeedStatus {
    /// The feed.
    pub feed: String,
    /// End of the last successful run (RFC 3339, UTC).
    pub last_success: Option<String>,
    /// End of the last failed run (RFC 3339, UTC).
    pub last_failure: Option<String>,
    /// The last failure's error.
    pub last_error: Option<String>,
    /// Whether the newest run failed.
    pub failing: bool,
    /// End of the first failed run since the last success, while the feed is failing.
    pub failing_since: Option<String>,
    /// Items in the history.
    pub items_in_history: u64,
    /// Elements the item selector matched the last time the page was read.
    pub items_on_page: Option<u64>,
}

pub(super) fn insert_run(conn: &Connection, run: &RunRecord) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO runs (feed, started, finished, outcome, items_found, new_items,
                           dates_parsed, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            run.feed,
            timestamp(run.started),
            timestamp(run.finished),
            run.outcome.as_str(),
            run.items_found,
            run.new_items,
            run.dates_parsed,
            run.error,
        ],
    )?;
    conn.execute(
        "DELETE FROM runs WHERE feed = ?1 AND id <= (
            SELECT id FROM runs WHERE feed = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
        params![run.feed, RUNS_KEPT],
    )?;
    Ok(())
}
