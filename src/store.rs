//! The state file: every item seen, each page's HTTP validators and a log of runs, in SQLite.
//!
//! One [`Store`] per run. A page's items are merged in one transaction, so a run killed at any
//! moment leaves the history as it was before or after that page, never in between. The lock
//! that keeps two runs apart is [`StateLock`].

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeDelta, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, Transaction, params};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::item::Item;

/// The schema version this binary writes; older files are migrated forward to it.
pub const SCHEMA_VERSION: i64 = 3;

/// Schema steps: entry `n` takes a file from version `n` to `n + 1`. Version 2 keeps the
/// feed's configuration fingerprint with the page's validators; version 3 what items' own
/// pages give (content, author, image) and whether they were read.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE feeds (
        id TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        last_page_seen TEXT
    ) WITHOUT ROWID;
    CREATE TABLE items (
        feed TEXT NOT NULL,
        id TEXT NOT NULL,
        title TEXT NOT NULL,
        link TEXT NOT NULL,
        summary TEXT,
        date TEXT NOT NULL,
        date_unix INTEGER NOT NULL,
        dated_by_page INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        updated TEXT,
        hash TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (feed, id)
    ) WITHOUT ROWID;
    CREATE INDEX items_by_date ON items (feed, date_unix DESC);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        feed TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('updated', 'not_modified', 'failed')),
        items_found INTEGER,
        new_items INTEGER,
        dates_parsed INTEGER,
        error TEXT
    );
    CREATE INDEX runs_by_feed ON runs (feed, id);
",
    "
    ALTER TABLE feeds ADD COLUMN fingerprint TEXT;
",
    "
    ALTER TABLE items ADD COLUMN content TEXT;
    ALTER TABLE items ADD COLUMN author TEXT;
    ALTER TABLE items ADD COLUMN image TEXT;
    ALTER TABLE items ADD COLUMN detail_done INTEGER NOT NULL DEFAULT 0;
",
];

/// Runs kept in the log per feed.
const RUNS_KEPT: i64 = 1000;

/// What can go wrong with the state file or its lock.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("state file {}: {source}", path.display())]
    Sqlite {
        /// The state file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The file was written by a newer pressfeed.
    #[error(
        "state file {}: schema version {found} is newer than this pressfeed knows ({known}); run a newer pressfeed, or set `[output] state` to another file",
        path.display()
    )]
    TooNew {
        /// The state file.
        path: PathBuf,
        /// The file's version.
        found: i64,
        /// The newest version this binary knows.
        known: i64,
    },
    /// The state file's folder or lock file could not be made or opened.
    #[error("state file {}: {what}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Another run holds the lock.
    #[error("another pressfeed run{} holds the lock {}; this run does nothing", holder.as_ref().map(|h| format!(" ({h})")).unwrap_or_default(), path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// What the lock file says about its holder.
        holder: Option<String>,
    },
}

/// The HTTP validators of a feed's page, sent back as `If-None-Match` / `If-Modified-Since`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` the server last sent.
    pub etag: Option<String>,
    /// The `Last-Modified` the server last sent.
    pub last_modified: Option<String>,
}

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
    fn as_str(self) -> &'static str {
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

/// What merging a page into the history did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Merge {
    /// Items never seen before.
    pub new_items: u64,
    /// Known items whose title or summary changed.
    pub changed_items: u64,
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

/// The state file, open.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// Timestamps are stored as RFC 3339 UTC text with whole seconds, which sorts as text.
fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A short content hash of what a reader sees of an item.
pub fn content_hash(title: &str, summary: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(title.as_bytes());
    hasher.update([0]);
    hasher.update(summary.unwrap_or("").as_bytes());
    hasher.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store {
    /// Opens (creating it and its folder if needed) and migrates the state file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: path.to_path_buf(),
                what: "cannot create its folder",
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        // Refuse a newer file before changing anything in it (even its journal mode).
        let version = store.version()?;
        if version > SCHEMA_VERSION {
            return Err(store.too_new(version));
        }
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing state file for reading; `None` when there is none yet.
    pub fn open_read_only(path: &Path) -> Result<Option<Self>, StoreError> {
        if !path.exists() {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        })?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        let version = store.version()?;
        if version > SCHEMA_VERSION {
            return Err(store.too_new(version));
        }
        if version < SCHEMA_VERSION {
            // Not migrated yet (a read-only open never writes): nothing to report from it.
            return Ok(None);
        }
        Ok(Some(store))
    }

    fn sqlite(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn too_new(&self, found: i64) -> StoreError {
        StoreError::TooNew {
            path: self.path.clone(),
            found,
            known: SCHEMA_VERSION,
        }
    }

    fn configure(&self) -> Result<(), StoreError> {
        // WAL: readers (`status`) never block the run; NORMAL sync is durable against a
        // killed process and consistent against power loss.
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(|e| self.sqlite(e))?;
        self.conn
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| self.sqlite(e))
    }

    fn version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| self.sqlite(e))
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version = self.version()?;
        if version > SCHEMA_VERSION {
            return Err(self.too_new(version));
        }
        for (from, step) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            let tx = self.conn.transaction().map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
            let to = from as i64 + 1;
            tx.execute_batch(step)
                .and_then(|()| tx.execute_batch(&format!("PRAGMA user_version = {to}")))
                .and_then(|()| tx.commit())
                .map_err(|e| StoreError::Sqlite {
                    path: self.path.clone(),
                    source: e,
                })?;
        }
        Ok(())
    }

    /// The validators stored for `feed`'s page, when the page was last read with the feed
    /// configured as `fingerprint` says (a changed selector or address must read the page
    /// again, not get a 304).
    pub fn validators(&self, feed: &str, fingerprint: &str) -> Result<Validators, StoreError> {
        self.conn
            .query_row(
                "SELECT etag, last_modified FROM feeds WHERE id = ?1 AND fingerprint = ?2",
                [feed, fingerprint],
                |row| {
                    Ok(Validators {
                        etag: row.get(0)?,
                        last_modified: row.get(1)?,
                    })
                },
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| self.sqlite(e))
    }

    /// What the last run that read `feed`'s page found.
    pub fn last_good_run(&self, feed: &str) -> Result<Option<GoodRun>, StoreError> {
        self.conn
            .query_row(
                "SELECT items_found, dates_parsed FROM runs
                 WHERE feed = ?1 AND outcome = 'updated' AND items_found IS NOT NULL
                 ORDER BY id DESC LIMIT 1",
                [feed],
                |row| {
                    Ok(GoodRun {
                        items_found: row.get(0)?,
                        dates_parsed: row.get::<_, Option<u64>>(1)?.unwrap_or(0),
                    })
                },
            )
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    /// What `feed` would publish at `now` once `page` (if it was read) is merged: the merge is
    /// done in a transaction that is rolled back, so nothing is kept.
    pub fn preview(
        &mut self,
        feed: &str,
        page: Option<&PageRead<'_>>,
        window: Window,
        now: DateTime<Utc>,
    ) -> Result<(Merge, Vec<Item>), StoreError> {
        self.transaction(Finish::RollBack, |tx| {
            let merge = merge_if_read(tx, feed, page, now)?;
            Ok((merge, newest(tx, feed, window, now)?))
        })
    }

    /// Merges `page` (if it was read) into the history and logs `run`, in one transaction.
    ///
    /// New items are first seen now; an item without a date of its own is dated by when it was
    /// first seen; a known item whose title or summary changed keeps its id and is marked
    /// updated now; an item that comes back after leaving the page is not new. The page's
    /// validators are kept with the feed's configuration `fingerprint`.
    pub fn commit(
        &mut self,
        feed: &str,
        page: Option<&PageRead<'_>>,
        run: &RunRecord,
        now: DateTime<Utc>,
    ) -> Result<Merge, StoreError> {
        self.transaction(Finish::Commit, |tx| {
            let merge = merge_if_read(tx, feed, page, now)?;
            insert_run(tx, run)?;
            Ok(merge)
        })
    }

    /// Runs `work` in a transaction, then commits or rolls back.
    fn transaction<T>(
        &mut self,
        finish: Finish,
        work: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let run = |conn: &mut Connection| {
            let tx = conn.transaction()?;
            let value = work(&tx)?;
            match finish {
                Finish::Commit => tx.commit()?,
                Finish::RollBack => tx.rollback()?,
            }
            Ok(value)
        };
        run(&mut self.conn).map_err(|source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }

    /// The items `feed` publishes at `now` (see [`Window`]).
    pub fn feed_items(
        &self,
        feed: &str,
        window: Window,
        now: DateTime<Utc>,
    ) -> Result<Vec<Item>, StoreError> {
        newest(&self.conn, feed, window, now).map_err(|e| self.sqlite(e))
    }

    /// Forgets `feed`'s items and page validators (its run log stays): its next run reads the
    /// page afresh and everything on it is new. Returns how many items were forgotten.
    pub fn forget(&mut self, feed: &str) -> Result<usize, StoreError> {
        self.transaction(Finish::Commit, |tx| {
            let items = tx.execute("DELETE FROM items WHERE feed = ?1", [feed])?;
            tx.execute("DELETE FROM feeds WHERE id = ?1", [feed])?;
            Ok(items)
        })
    }

    /// When `feed` last changed for its readers: an item first seen or changed.
    pub fn last_change(&self, feed: &str) -> Result<Option<DateTime<FixedOffset>>, StoreError> {
        let times: (Option<String>, Option<String>) = self
            .conn
            .query_row(
                "SELECT max(first_seen), max(updated) FROM items WHERE feed = ?1",
                [feed],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(|e| self.sqlite(e))?;
        // Both are RFC 3339 UTC text of one shape, which sorts as time.
        Ok([times.0, times.1]
            .into_iter()
            .flatten()
            .max()
            .and_then(|t| parse_date(&t)))
    }

    /// Which of `ids` still need their own page read: not in the history, or not read yet.
    pub fn needs_detail(&self, feed: &str, ids: &[&str]) -> Result<Vec<bool>, StoreError> {
        let mut query = self
            .conn
            .prepare_cached("SELECT detail_done FROM items WHERE feed = ?1 AND id = ?2")
            .map_err(|e| self.sqlite(e))?;
        ids.iter()
            .map(|id| {
                let done: Option<bool> = query
                    .query_row(params![feed, id], |row| row.get(0))
                    .optional()
                    .map_err(|e| self.sqlite(e))?;
                Ok(!done.unwrap_or(false))
            })
            .collect()
    }

    /// Appends a run to the log, keeping the newest runs of each feed.
    pub fn log_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        insert_run(&self.conn, run).map_err(|e| self.sqlite(e))
    }

    /// `feed`'s state as the history and run log tell it.
    pub fn status(&self, feed: &str) -> Result<FeedStatus, StoreError> {
        let one = |sql: &str| -> Result<Option<(String, Option<String>)>, StoreError> {
            self.conn
                .query_row(sql, [feed], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
                .map_err(|e| self.sqlite(e))
        };
        let success = one(
            "SELECT finished, NULL FROM runs WHERE feed = ?1 AND outcome != 'failed'
             ORDER BY id DESC LIMIT 1",
        )?;
        let failure = one(
            "SELECT finished, error FROM runs WHERE feed = ?1 AND outcome = 'failed'
             ORDER BY id DESC LIMIT 1",
        )?;
        let newest =
            one("SELECT outcome, NULL FROM runs WHERE feed = ?1 ORDER BY id DESC LIMIT 1")?;
        // The first failure since the last success: how long the feed has been failing.
        let failing_since = one(
            "SELECT finished, NULL FROM runs WHERE feed = ?1 AND outcome = 'failed'
               AND id > coalesce((SELECT max(id) FROM runs WHERE feed = ?1 AND outcome != 'failed'), 0)
             ORDER BY id ASC LIMIT 1",
        )?;
        let items_in_history = self
            .conn
            .query_row(
                "SELECT count(*) FROM items WHERE feed = ?1",
                [feed],
                |row| row.get(0),
            )
            .map_err(|e| self.sqlite(e))?;
        let items_on_page = self.last_good_run(feed)?.map(|run| run.items_found);
        Ok(FeedStatus {
            feed: feed.to_string(),
            last_success: success.map(|(at, _)| at),
            last_failure: failure.as_ref().map(|(at, _)| at.clone()),
            last_error: failure.and_then(|(_, error)| error),
            failing: newest.is_some_and(|(outcome, _)| outcome == "failed"),
            failing_since: failing_since.map(|(at, _)| at),
            items_in_history,
            items_on_page,
        })
    }
}

/// A page's items and what to remember of the page, for [`Store::preview`] and
/// [`Store::commit`].
#[derive(Debug, Clone, Copy)]
pub struct PageRead<'a> {
    /// The usable items read, ids unique.
    pub items: &'a [Item],
    /// The page's validators.
    pub validators: &'a Validators,
    /// The feed's configuration, as [`crate::config::FeedSpec::fingerprint`] gives it.
    pub fingerprint: &'a str,
    /// Whether summaries come from items' own pages, so one the listing lacks is kept.
    pub keep_summaries: bool,
}

/// Which items of the history a feed publishes: the newest `max_items` of those on the page
/// when it was last read and those that left it less than `keep_days` ago. Newest first; items
/// of the same date keep page order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Most items.
    pub max_items: usize,
    /// Days an item that left the page stays.
    pub keep_days: u32,
}

/// How a transaction ends.
#[derive(Debug, Clone, Copy)]
enum Finish {
    Commit,
    RollBack,
}

fn merge_if_read(
    tx: &Transaction<'_>,
    feed: &str,
    page: Option<&PageRead<'_>>,
    now: DateTime<Utc>,
) -> rusqlite::Result<Merge> {
    match page {
        Some(page) => merge(tx, feed, page, now),
        None => Ok(Merge::default()),
    }
}

/// What the history knows of an item: date, whether the page dated it, content hash, last
/// change, summary.
type Known = (String, bool, String, Option<String>, Option<String>);

fn merge(
    tx: &Transaction<'_>,
    feed: &str,
    page: &PageRead<'_>,
    now: DateTime<Utc>,
) -> rusqlite::Result<Merge> {
    let now_text = timestamp(now);
    let mut merge = Merge::default();
    let mut find = tx.prepare_cached(
        "SELECT date, dated_by_page, hash, updated, summary FROM items WHERE feed = ?1 AND id = ?2",
    )?;
    let mut upsert = tx.prepare_cached(
        "INSERT INTO items (feed, id, title, link, summary, date, date_unix, dated_by_page,
                            first_seen, last_seen, updated, hash, position, content, author,
                            image, detail_done)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
         ON CONFLICT (feed, id) DO UPDATE SET
            title = excluded.title, link = excluded.link, summary = excluded.summary,
            date = excluded.date, date_unix = excluded.date_unix,
            dated_by_page = excluded.dated_by_page, last_seen = excluded.last_seen,
            updated = excluded.updated, hash = excluded.hash, position = excluded.position,
            content = coalesce(excluded.content, items.content),
            author = coalesce(excluded.author, items.author),
            image = coalesce(excluded.image, items.image),
            detail_done = max(excluded.detail_done, items.detail_done)",
    )?;
    for item in page.items {
        let known: Option<Known> = find
            .query_row(params![feed, item.id], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })
            .optional()?;
        // A summary read from the item's own page (which is read once) is kept.
        let summary = item.summary.clone().or_else(|| {
            page.keep_summaries
                .then(|| known.as_ref().and_then(|k| k.4.clone()))
                .flatten()
        });
        let hash = content_hash(&item.title, summary.as_deref());
        let (date, updated) = match &known {
            None => {
                merge.new_items += 1;
                (item.date.unwrap_or_else(|| now.fixed_offset()), None)
            }
            Some((old_date, _, old_hash, old_updated, _)) => {
                // A relative date ("3 hours ago") keeps its first reading; it would drift.
                let page_date = item.date.filter(|_| !item.date_inferred);
                let date = page_date
                    .or_else(|| parse_date(old_date))
                    .or(item.date)
                    .unwrap_or_else(|| now.fixed_offset());
                let updated = if *old_hash != hash {
                    merge.changed_items += 1;
                    Some(now_text.clone())
                } else {
                    old_updated.clone()
                };
                (date, updated)
            }
        };
        upsert.execute(params![
            feed,
            item.id,
            item.title,
            item.link,
            summary,
            date.to_rfc3339_opts(SecondsFormat::Secs, true),
            date.timestamp(),
            item.date.is_some() || known.as_ref().is_some_and(|k| k.1),
            now_text,
            updated,
            hash,
            i64::try_from(item.position).unwrap_or(i64::MAX),
            item.content,
            item.author,
            item.image,
            item.detail_done,
        ])?;
    }
    tx.execute(
        "INSERT INTO feeds (id, etag, last_modified, fingerprint, last_page_seen)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET etag = excluded.etag,
            last_modified = excluded.last_modified, fingerprint = excluded.fingerprint,
            last_page_seen = excluded.last_page_seen",
        params![
            feed,
            page.validators.etag,
            page.validators.last_modified,
            page.fingerprint,
            now_text
        ],
    )?;
    Ok(merge)
}

fn newest(
    conn: &Connection,
    feed: &str,
    window: Window,
    now: DateTime<Utc>,
) -> rusqlite::Result<Vec<Item>> {
    let cutoff = timestamp(now - TimeDelta::days(i64::from(window.keep_days)));
    let mut query = conn.prepare_cached(
        "SELECT id, title, link, summary, date, updated, position, content, author, image,
                detail_done FROM items
         WHERE feed = ?1 AND (last_seen >= ?2
            OR last_seen >= (SELECT last_page_seen FROM feeds WHERE id = ?1))
         ORDER BY date_unix DESC, position ASC, id ASC
         LIMIT ?3",
    )?;
    let limit = i64::try_from(window.max_items).unwrap_or(i64::MAX);
    let rows = query.query_map(params![feed, cutoff, limit], |row| {
        let date: String = row.get(4)?;
        let updated: Option<String> = row.get(5)?;
        Ok(Item {
            id: row.get(0)?,
            title: row.get(1)?,
            link: row.get(2)?,
            summary: row.get(3)?,
            date: parse_date(&date),
            updated: updated.as_deref().and_then(parse_date),
            date_inferred: false,
            content: row.get(7)?,
            author: row.get(8)?,
            image: row.get(9)?,
            detail_done: row.get(10)?,
            position: row.get::<_, i64>(6)?.try_into().unwrap_or(0),
        })
    })?;
    rows.collect()
}

fn insert_run(conn: &Connection, run: &RunRecord) -> rusqlite::Result<()> {
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

fn parse_date(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok()
}

/// An advisory lock on the state file, held for a whole run: a second run started while the
/// first still works stops at once. The operating system drops the lock when the process ends,
/// however it ends.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

impl StateLock {
    /// The lock file that goes with the state file at `state`.
    pub fn path_for(state: &Path) -> PathBuf {
        let mut name = state.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock for the state file at `state`, or fails at once naming its holder.
    pub fn acquire(state: &Path) -> Result<Self, StoreError> {
        let path = Self::path_for(state);
        let io = |what, source| StoreError::Io {
            path: path.clone(),
            what,
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io("cannot create its folder", e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io("cannot open the lock file", e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                if holder.trim().is_empty() {
                    // The holder may be writing its note right now.
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    let _ = file
                        .rewind()
                        .and_then(|()| file.read_to_string(&mut holder));
                }
                let holder = holder.trim();
                return Err(StoreError::Locked {
                    path: path.clone(),
                    holder: (!holder.is_empty()).then(|| holder.to_string()),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("cannot lock the lock file", e)),
        }
        // Who holds it, for the message a second run prints. Best effort: the lock is what counts.
        let note = format!("pid {} since {}", std::process::id(), timestamp(Utc::now()));
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(note.as_bytes()));
        Ok(StateLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_file_is_migrated_and_its_validators_are_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute_batch(
                "PRAGMA user_version = 1;
                 INSERT INTO feeds (id, etag, last_modified, last_page_seen)
                 VALUES ('demo', '\"v1\"', NULL, '2026-01-01T00:00:00Z');",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.version().unwrap(), SCHEMA_VERSION);
        // Written before fingerprints existed: the page is read whole once more.
        assert_eq!(
            store.validators("demo", "any").unwrap(),
            Validators::default()
        );
    }
}
