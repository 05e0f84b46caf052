//! The state file: every item seen, each page's HTTP validators and a log of runs, in SQLite.
//!
//! One [`Store`] per run. A page's items are merged in one transaction, so a run killed at any
//! moment leaves the history as it was before or after that page, never in between. The lock
//! that keeps two runs apart is [`StateLock`]; a run reaches the store through a [`History`],
//! which keeps every SQLite call off the async threads.

mod history;
mod lock;
mod merge;
mod orphans;
mod runs;
mod schema;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, Transaction, params};

pub use history::History;
pub use lock::StateLock;
pub use merge::{Merge, PageRead, Plan};
pub use orphans::Orphan;
use runs::insert_run;
pub use runs::{FeedStatus, GoodRun, Outcome, RunRecord};
use schema::MIGRATIONS;
pub use schema::SCHEMA_VERSION;

use crate::fetch::Validators;
use crate::item::FeedItem;
use crate::spec::Window;

/// What can go wrong with the state file or its lock.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("state file {}", path.display())]
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

/// The state file, open.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// What a feed last published: enough to tell, without parsing, rendering or reading a file
/// back, that a run would publish the same again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// The digest of the listing page's bytes as last read.
    pub page_digest: Option<String>,
    /// The print of what the files were rendered from (the feed's and the output's settings
    /// and pressfeed's version).
    pub print: String,
    /// When they were rendered (RFC 3339).
    pub at: String,
    /// How many items they hold.
    pub items: i64,
    /// The oldest time an item that left the page was last seen, among those the window
    /// holds: the window changes once it is more than `keep_days` ago.
    pub window_floor: Option<String>,
}

impl Publication {
    /// Whether files rendered from `print` at this publication's time hold, at `now`, what a
    /// render would give: the same settings, the clock not set back, and no item aged out of
    /// the window (`keep_days`).
    pub fn current(&self, print: &str, window: Window, now: DateTime<Utc>) -> bool {
        let now_text = timestamp(now);
        let cutoff = timestamp(now - chrono::TimeDelta::days(i64::from(window.keep_days)));
        self.print == print
            && self.at <= now_text
            && self
                .window_floor
                .as_ref()
                .is_none_or(|floor| cutoff <= *floor)
    }
}

/// Timestamps are stored as RFC 3339 UTC text with whole seconds, which sorts as text.
pub(crate) fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
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

    /// Opens an existing state file for reading; `None` when there is none yet (or it is
    /// empty). A file of an older schema, not yet migrated by a run (just after an upgrade),
    /// is read as it is: what is read here ([`Store::status`]: the run log and the item
    /// count) has the shape of schema 1.
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
        if version < 1 {
            // Created, never written: nothing to report from it.
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
        // killed process and consistent against power loss. A 16 MiB page cache (SQLite's
        // default is 2 MiB) holds a large feed's rows, so a commit does not spill pages to the
        // WAL before it is done; pages are only taken as they are used.
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
                 PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY;",
            )
            .map_err(|e| self.sqlite(e))?;
        // The WAL is checkpointed as it grows (every 1,000 pages), not also when the run
        // closes the file: a run that logged one line need not write the database file.
        self.conn
            .set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
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
        let done = usize::try_from(version).unwrap_or(0);
        if done >= MIGRATIONS.len() {
            return Ok(());
        }
        // Every step in one transaction: a new file is made in one write.
        let sqlite = |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sqlite)?;
        for (to, step) in (1_i64..).zip(MIGRATIONS).skip(done) {
            tx.execute_batch(step)
                .and_then(|()| tx.execute_batch(&format!("PRAGMA user_version = {to}")))
                .map_err(sqlite)?;
        }
        tx.commit().map_err(sqlite)?;
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

    /// What `feed` last published, when it was published since this state file knew of it.
    pub fn publication(&self, feed: &str) -> Result<Option<Publication>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT page_digest, published_print, published_at, published_items, window_floor
                 FROM feeds WHERE id = ?1 AND published_print IS NOT NULL",
            )
            .and_then(|mut query| {
                query
                    .query_row([feed], |row| {
                        Ok(Publication {
                            page_digest: row.get(0)?,
                            print: row.get(1)?,
                            at: row.get(2)?,
                            items: row.get(3)?,
                            window_floor: row.get(4)?,
                        })
                    })
                    .optional()
            })
            .map_err(|e| self.sqlite(e))
    }

    /// Whether items on `feed`'s page as last read still wait for their own page to be read
    /// at `now` (never read, or a failure's pause over).
    pub fn details_due(&self, feed: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM items WHERE feed = ?1 AND detail_done = 0
                    AND filtered IS NULL
                    AND (detail_retry_at IS NULL OR detail_retry_at <= ?2)
                    AND last_seen >= coalesce((SELECT last_page_seen FROM feeds WHERE id = ?1), ''))",
                params![feed, timestamp(now)],
                |row| row.get(0),
            )
            .map_err(|e| self.sqlite(e))
    }

    /// The discovery files' print as last written (see [`Store::keep_site_print`]).
    pub fn site_print(&self) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT value FROM site WHERE key = 'discovery'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    /// Keeps the print of what the discovery files were last written from.
    pub fn keep_site_print(&self, print: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO site (key, value) VALUES ('discovery', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [print],
            )
            .map(drop)
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

    /// What merging `page` (if it was read) into `feed`'s history at `now` would change, and
    /// what the feed would then publish: read, nothing written (see [`Plan`]). Only the
    /// run that holds the lock plans, so the plan stays true until [`Store::commit`].
    pub fn plan(
        &self,
        feed: &str,
        page: Option<&PageRead<'_>>,
        window: Window,
        future_dates: bool,
        now: DateTime<Utc>,
    ) -> Result<Plan, StoreError> {
        merge::plan(&self.conn, feed, page, window, future_dates, now).map_err(|e| self.sqlite(e))
    }

    /// Writes `plan` and logs `run`, in one transaction. `published` is the print of what
    /// the feed's files were rendered from, when they were rendered from the plan (see
    /// [`Publication`]).
    pub fn commit(
        &mut self,
        plan: &Plan,
        published: Option<&str>,
        run: &RunRecord,
    ) -> Result<(), StoreError> {
        if crate::faults::fails_at("commit") {
            // The file may not grow: the commit fails as on a full disk.
            let pages: i64 = self
                .conn
                .query_row("PRAGMA page_count", [], |row| row.get(0))
                .map_err(|e| self.sqlite(e))?;
            self.conn
                .pragma_update(None, "max_page_count", pages)
                .map_err(|e| self.sqlite(e))?;
        }
        self.transaction(|tx| {
            merge::apply(tx, plan, published)?;
            insert_run(tx, run)?;
            Ok(())
        })
    }

    /// Runs `work` in a transaction, then commits it.
    fn transaction<T>(
        &mut self,
        work: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let run = |conn: &mut Connection| {
            let tx = conn.transaction()?;
            let value = work(&tx)?;
            tx.commit()?;
            Ok(value)
        };
        run(&mut self.conn).map_err(|source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }

    /// The items `feed` publishes at `now` (see [`Window`]), without their summaries and
    /// contents: what the index page and OPML show of a feed.
    pub fn published_outline(
        &self,
        feed: &str,
        window: Window,
        now: DateTime<Utc>,
    ) -> Result<Vec<FeedItem>, StoreError> {
        merge::published_outline(&self.conn, feed, window, now).map_err(|e| self.sqlite(e))
    }

    /// Forgets `feed`'s items and page validators (its run log stays): its next run reads the
    /// page afresh and everything on it is new. Returns how many items were forgotten.
    pub fn forget(&mut self, feed: &str) -> Result<usize, StoreError> {
        self.transaction(|tx| {
            let items = tx.execute("DELETE FROM items WHERE feed = ?1", [feed])?;
            tx.execute("DELETE FROM feeds WHERE id = ?1", [feed])?;
            Ok(items)
        })
    }

    /// Which of `ids` still need their own page read at `now`: not in the history, or not read
    /// yet, not waiting out a failure's pause, and not dropped by a filter.
    pub fn needs_detail(
        &self,
        feed: &str,
        ids: &[&str],
        now: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        let now = timestamp(now);
        let mut query = self
            .conn
            .prepare_cached(
                "SELECT detail_done OR filtered IS NOT NULL, detail_retry_at FROM items
                 WHERE feed = ?1 AND id = ?2",
            )
            .map_err(|e| self.sqlite(e))?;
        ids.iter()
            .map(|id| {
                let known: Option<(bool, Option<String>)> = query
                    .query_row(params![feed, id], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
                    .map_err(|e| self.sqlite(e))?;
                Ok(match known {
                    None => true,
                    Some((done, retry_at)) => !done && retry_at.is_none_or(|at| at <= now),
                })
            })
            .collect()
    }

    /// The hosts that asked (`Retry-After`) not to be sent requests before a time still to
    /// come at `now`, with that time. A time more than a day ahead (the longest `Retry-After`
    /// honoured) was written by a clock that was ahead, and is ignored.
    pub fn host_pauses(
        &self,
        now: DateTime<Utc>,
    ) -> Result<HashMap<String, DateTime<Utc>>, StoreError> {
        let latest = now + chrono::TimeDelta::days(1);
        let mut query = self
            .conn
            .prepare_cached("SELECT host, until FROM host_pauses WHERE until > ?1")
            .map_err(|e| self.sqlite(e))?;
        let rows = query
            .query_map([timestamp(now)], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(|e| self.sqlite(e))?;
        Ok(rows
            .into_iter()
            .filter_map(|(host, until)| {
                let until = parse_date(&until)?.with_timezone(&Utc);
                (until <= latest).then_some((host, until))
            })
            .collect())
    }

    /// Keeps `pauses` (host → not before), forgetting those over at `now`.
    pub fn keep_host_pauses(
        &mut self,
        pauses: &HashMap<String, DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.transaction(|tx| {
            tx.execute(
                "DELETE FROM host_pauses WHERE until <= ?1",
                [timestamp(now)],
            )?;
            let mut keep = tx.prepare_cached(
                "INSERT INTO host_pauses (host, until) VALUES (?1, ?2)
                 ON CONFLICT (host) DO UPDATE SET until = excluded.until",
            )?;
            for (host, until) in pauses.iter().filter(|(_, until)| **until > now) {
                keep.execute(params![host, timestamp(*until)])?;
            }
            Ok(())
        })
    }

    /// Appends `runs` to the log in one transaction (see [`Store::log_run`]).
    pub fn log_runs(&mut self, runs: &[RunRecord]) -> Result<(), StoreError> {
        self.transaction(|tx| runs.iter().try_for_each(|run| insert_run(tx, run)))
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

fn parse_date(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state file of schema version 1 in `dir`, with `rows` written into it.
    fn version_1_file(dir: &tempfile::TempDir, rows: &str) -> std::path::PathBuf {
        let path = dir.path().join("state.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = 1;\n{rows}"))
            .unwrap();
        path
    }

    #[test]
    fn a_version_1_file_is_migrated_and_its_validators_are_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let path = version_1_file(
            &dir,
            "INSERT INTO feeds (id, etag, last_modified, last_page_seen)
             VALUES ('demo', '\"v1\"', NULL, '2026-01-01T00:00:00Z');",
        );
        let store = Store::open(&path).unwrap();
        assert_eq!(store.version().unwrap(), SCHEMA_VERSION);
        // Written before fingerprints existed: the page is read whole once more.
        assert_eq!(
            store.validators("demo", "any").unwrap(),
            Validators::default()
        );
    }

    #[test]
    fn the_status_of_a_file_not_yet_migrated_is_read_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = version_1_file(
            &dir,
            "INSERT INTO runs (feed, started, finished, outcome, items_found)
             VALUES ('demo', '2026-01-01T00:00:00Z', '2026-01-01T00:00:05Z', 'updated', 7);",
        );
        // Just after an upgrade, before a run migrated it: status still says what it knows.
        let store = Store::open_read_only(&path).unwrap().unwrap();
        let status = store.status("demo").unwrap();
        assert_eq!(status.last_success.as_deref(), Some("2026-01-01T00:00:05Z"));
        assert_eq!(status.items_on_page, Some(7));
        assert_eq!(store.version().unwrap(), 1);
    }
}
