//! Feeds the state file knows that the configuration may no longer have: when each feed was
//! last in the configuration (with its `keep_days` then), which known feeds are not in it now,
//! and dropping everything the file holds of one feed.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, StoreError, timestamp};

/// A feed the state file knows (by its items, validators, run log or configuration seen) that
/// is not in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    /// The feed's id.
    pub feed: String,
    /// When it was last in the configuration (RFC 3339, UTC), or else when it last ran; `None`
    /// when the file knows neither.
    pub last_seen: Option<String>,
    /// Its `keep_days` when it was last in the configuration, when known.
    pub keep_days: Option<u32>,
    /// Items in its history.
    pub items: u64,
}

/// The distinct feeds of a table keyed by feed first, one index step each (not a scan of
/// every row).
fn distinct_feeds(table: &str) -> String {
    format!(
        "WITH RECURSIVE f(feed) AS (
             SELECT min(feed) FROM {table}
             UNION ALL
             SELECT (SELECT min(feed) FROM {table} WHERE feed > f.feed) FROM f
             WHERE f.feed IS NOT NULL)
         SELECT feed FROM f WHERE feed IS NOT NULL"
    )
}

impl Store {
    /// Notes that `feeds` (id and `keep_days`) are in the configuration at `now`. A feed's
    /// time is moved on only when it is an hour old, so most runs write nothing here.
    pub fn keep_configured(
        &mut self,
        feeds: &[(&str, u32)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now_text = timestamp(now);
        let stale = timestamp(now - chrono::TimeDelta::hours(1));
        self.transaction(|tx| {
            let mut keep = tx.prepare_cached(
                "INSERT INTO configured (feed, last_seen, keep_days) VALUES (?1, ?2, ?3)
                 ON CONFLICT (feed) DO UPDATE SET last_seen = excluded.last_seen,
                     keep_days = excluded.keep_days
                 WHERE configured.last_seen < ?4 OR configured.keep_days != excluded.keep_days",
            )?;
            for (feed, keep_days) in feeds {
                keep.execute(params![feed, now_text, keep_days, stale])?;
            }
            Ok(())
        })
    }

    /// Starts the clock of a feed not in the configuration whose last time in it is unknown:
    /// it counts as last seen at `now`, with `keep_days`.
    pub fn start_orphan_clock(
        &self,
        feed: &str,
        keep_days: u32,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO configured (feed, last_seen, keep_days) VALUES (?1, ?2, ?3)",
                params![feed, timestamp(now), keep_days],
            )
            .map(drop)
            .map_err(|e| self.sqlite(e))
    }

    /// The feeds this file knows that are not among `configured`, by id.
    pub fn orphans(&self, configured: &[&str]) -> Result<Vec<Orphan>, StoreError> {
        // The known ids first (cheap: index skips), then details for the few not configured:
        // a run with no orphan, the usual case, reads nothing more.
        let sql = format!(
            "SELECT id FROM feeds UNION SELECT feed FROM configured
             UNION SELECT feed FROM ({items}) UNION SELECT feed FROM ({runs}) ORDER BY 1",
            items = distinct_feeds("items"),
            runs = distinct_feeds("runs"),
        );
        let configured: std::collections::HashSet<&str> = configured.iter().copied().collect();
        let mut query = self.conn.prepare(&sql).map_err(|e| self.sqlite(e))?;
        let known: Vec<String> = query
            .query_map([], |row| row.get(0))
            .and_then(Iterator::collect::<rusqlite::Result<Vec<String>>>)
            .map_err(|e| self.sqlite(e))?;
        let mut detail = self
            .conn
            .prepare_cached(
                "SELECT coalesce((SELECT last_seen FROM configured WHERE feed = ?1),
                                 (SELECT max(finished) FROM runs WHERE feed = ?1)),
                        (SELECT keep_days FROM configured WHERE feed = ?1),
                        (SELECT count(*) FROM items WHERE feed = ?1)",
            )
            .map_err(|e| self.sqlite(e))?;
        known
            .into_iter()
            .filter(|feed| !configured.contains(feed.as_str()))
            .map(|feed| {
                detail
                    .query_row([&feed], |row| {
                        Ok(Orphan {
                            last_seen: row.get(0)?,
                            keep_days: row.get(1)?,
                            items: row.get(2)?,
                            feed: feed.clone(),
                        })
                    })
                    .map_err(|e| self.sqlite(e))
            })
            .collect()
    }

    /// Drops everything this file holds of `feed`: its items, page validators, what it last
    /// published, its run log and when it was last configured. Returns how many items it had.
    pub fn drop_feed(&mut self, feed: &str) -> Result<usize, StoreError> {
        self.transaction(|tx| {
            let items = tx.execute("DELETE FROM items WHERE feed = ?1", [feed])?;
            tx.execute("DELETE FROM feeds WHERE id = ?1", [feed])?;
            tx.execute("DELETE FROM runs WHERE feed = ?1", [feed])?;
            tx.execute("DELETE FROM configured WHERE feed = ?1", [feed])?;
            Ok(items)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Outcome, RunRecord};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn ran(store: &Store, feed: &str, finished: &str) {
        store
            .log_run(&RunRecord {
                feed: feed.to_string(),
                started: at(finished),
                finished: at(finished),
                outcome: Outcome::Failed,
                items_found: None,
                new_items: None,
                dates_parsed: None,
                error: Some("down".to_string()),
            })
            .unwrap();
    }

    #[test]
    fn feeds_out_of_the_configuration_are_orphans_with_their_last_time_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("state.sqlite")).unwrap();
        ran(&store, "kept", "2026-01-01T00:00:00Z");
        ran(&store, "gone", "2026-01-02T00:00:00Z");
        ran(&store, "old", "2025-06-01T00:00:00Z");
        store
            .keep_configured(&[("kept", 30), ("gone", 7)], at("2026-01-03T00:00:00Z"))
            .unwrap();
        // Within the hour: not written again.
        store
            .keep_configured(&[("kept", 30)], at("2026-01-03T00:30:00Z"))
            .unwrap();
        let orphans = store.orphans(&["kept"]).unwrap();
        assert_eq!(
            orphans,
            [
                Orphan {
                    feed: "gone".into(),
                    last_seen: Some("2026-01-03T00:00:00Z".into()),
                    keep_days: Some(7),
                    items: 0,
                },
                Orphan {
                    feed: "old".into(),
                    last_seen: Some("2025-06-01T00:00:00Z".into()),
                    keep_days: None,
                    items: 0,
                },
            ]
        );
        assert_eq!(store.drop_feed("gone").unwrap(), 0);
        let left: Vec<String> = store
            .orphans(&["kept"])
            .unwrap()
            .into_iter()
            .map(|o| o.feed)
            .collect();
        assert_eq!(left, ["old"]);
        assert!(store.status("gone").unwrap().last_failure.is_none());
        assert!(store.status("kept").unwrap().last_failure.is_some());
    }
}
