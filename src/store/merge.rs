//! Merging a page's items into the history, and reading back what a feed publishes.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use super::{parse_date, timestamp};
use crate::digest::content_hash;
use crate::fetch::Validators;
use crate::item::{FUTURE_SLACK, FeedItem, PageItem, is_future, shared_link_id};
use crate::spec::Window;

/// What merging a page into the history did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Merge {
    /// Items never seen before.
    pub new_items: u64,
    /// Known items whose title or summary changed.
    pub changed_items: u64,
}

/// A page's items and what to remember of the page, for [`super::Store::preview`] and
/// [`super::Store::commit`].
#[derive(Debug, Clone, Copy)]
pub struct PageRead<'a> {
    /// The usable items read, ids unique.
    pub items: &'a [PageItem],
    /// The page's validators.
    pub validators: &'a Validators,
    /// The feed's configuration, as [`crate::spec::FeedSpec::fingerprint`] gives it.
    pub fingerprint: &'a str,
    /// Whether summaries come from items' own pages, so one the listing lacks is kept.
    pub keep_summaries: bool,
    /// Whether dates after the run's time are the page's word (`future_dates`).
    pub future_dates: bool,
}

/// Merges `page` into `feed`'s history, when the page was read; first takes back times a
/// clock that was ahead wrote (see [`heal_clock`]).
pub(super) fn merge_if_read(
    tx: &Transaction<'_>,
    feed: &str,
    page: Option<&PageRead<'_>>,
    now: DateTime<Utc>,
) -> rusqlite::Result<Merge> {
    heal_clock(tx, feed, now)?;
    match page {
        Some(page) => merge(tx, feed, page, now),
        None => Ok(Merge::default()),
    }
}

/// What the history knows of an item, to merge its new sighting.
struct KnownItem {
    /// Its date (RFC 3339).
    date: String,
    /// Whether a page dated it (else it was dated when first seen).
    dated_by_page: bool,
    /// Its content hash.
    hash: String,
    /// When it last changed, if ever (RFC 3339).
    updated: Option<String>,
    /// Its summary.
    summary: Option<String>,
    /// How often its own page failed in a row.
    detail_failures: u32,
    /// When its own page is tried again after failing.
    detail_retry_at: Option<String>,
}

/// The pause before an item's own page is tried again after `failures` failures in a row: an
/// hour, doubling each time, at most a week.
fn detail_backoff(failures: u32) -> TimeDelta {
    let hours = 1_i64 << failures.saturating_sub(1).min(10);
    TimeDelta::hours(hours.min(7 * 24))
}

/// Brings back to `now` the times in `feed`'s history that lie after it: a run whose clock
/// was ahead (a wrong clock, `faketime`) wrote them. Left alone, they would keep items
/// dated in the future on top of the feed, keep items in the window and out of pruning, and
/// put off item pages' retries, long after the clock was set right.
fn heal_clock(tx: &Transaction<'_>, feed: &str, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let now_text = timestamp(now);
    let horizon = now + FUTURE_SLACK;
    let longest_pause = timestamp(now + detail_backoff(u32::MAX));
    tx.prepare_cached(
        "UPDATE items SET
            first_seen = min(first_seen, ?2),
            last_seen = min(last_seen, ?2),
            updated = CASE WHEN updated > ?2 THEN ?2 ELSE updated END,
            date = CASE WHEN date_unix > ?3 THEN ?2 ELSE date END,
            dated_by_page = CASE WHEN date_unix > ?3 THEN 0 ELSE dated_by_page END,
            date_unix = CASE WHEN date_unix > ?3 THEN ?4 ELSE date_unix END,
            detail_retry_at = CASE WHEN detail_retry_at > ?5 THEN ?2 ELSE detail_retry_at END
         WHERE feed = ?1 AND (first_seen > ?2 OR last_seen > ?2 OR updated > ?2
            OR date_unix > ?3 OR detail_retry_at > ?5)",
    )?
    .execute(params![
        feed,
        now_text,
        horizon.timestamp(),
        now.timestamp(),
        longest_pause
    ])?;
    tx.prepare_cached(
        "UPDATE feeds SET last_page_seen = ?2 WHERE id = ?1 AND last_page_seen > ?2",
    )?
    .execute(params![feed, now_text])?;
    Ok(())
}

/// Ids that differ from the page's for items sharing a link. The page gives the link itself
/// to the first item with it and ids of their own to the others; when the history already
/// has the link as the id of another of them (a new row with the same link came in above
/// it), that one keeps it, and the first takes an id of its own: ids never move between
/// items. By position in `items`.
fn known_shared_ids(
    tx: &Transaction<'_>,
    feed: &str,
    items: &[PageItem],
) -> rusqlite::Result<HashMap<usize, String>> {
    let mut ids = HashMap::new();
    let mut title_of = tx.prepare_cached("SELECT title FROM items WHERE feed = ?1 AND id = ?2")?;
    for (index, item) in items.iter().enumerate() {
        if item.id == item.link || item.id != shared_link_id(&item.link, &item.title) {
            continue;
        }
        let Some(holder) = items.iter().position(|other| other.id == item.link) else {
            continue;
        };
        if ids.contains_key(&holder) || ids.contains_key(&index) {
            continue;
        }
        let known: Option<String> = title_of
            .query_row(params![feed, item.link], |row| row.get(0))
            .optional()?;
        if known.as_deref() == Some(item.title.as_str()) && items[holder].title != item.title {
            ids.insert(index, item.link.clone());
            ids.insert(holder, shared_link_id(&item.link, &items[holder].title));
        }
    }
    Ok(ids)
}

fn merge(
    tx: &Transaction<'_>,
    feed: &str,
    page: &PageRead<'_>,
    now: DateTime<Utc>,
) -> rusqlite::Result<Merge> {
    let now_text = timestamp(now);
    let mut merge = Merge::default();
    let known_ids = known_shared_ids(tx, feed, page.items)?;
    let mut find = tx.prepare_cached(
        "SELECT date, dated_by_page, hash, updated, summary, detail_failures, detail_retry_at
         FROM items WHERE feed = ?1 AND id = ?2",
    )?;
    let mut upsert = tx.prepare_cached(
        "INSERT INTO items (feed, id, title, link, summary, date, date_unix, dated_by_page,
                            first_seen, last_seen, updated, hash, position, content, author,
                            image, detail_done, detail_failures, detail_retry_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18)
         ON CONFLICT (feed, id) DO UPDATE SET
            title = excluded.title, link = excluded.link, summary = excluded.summary,
            date = excluded.date, date_unix = excluded.date_unix,
            dated_by_page = excluded.dated_by_page, last_seen = excluded.last_seen,
            updated = excluded.updated, hash = excluded.hash, position = excluded.position,
            content = coalesce(excluded.content, items.content),
            author = coalesce(excluded.author, items.author),
            image = coalesce(excluded.image, items.image),
            detail_done = max(excluded.detail_done, items.detail_done),
            detail_failures = excluded.detail_failures,
            detail_retry_at = excluded.detail_retry_at",
    )?;
    for (index, item) in page.items.iter().enumerate() {
        let id = known_ids.get(&index).unwrap_or(&item.id);
        let known: Option<KnownItem> = find
            .query_row(params![feed, id], |row| {
                Ok(KnownItem {
                    date: row.get(0)?,
                    dated_by_page: row.get(1)?,
                    hash: row.get(2)?,
                    updated: row.get(3)?,
                    summary: row.get(4)?,
                    detail_failures: row.get(5)?,
                    detail_retry_at: row.get(6)?,
                })
            })
            .optional()?;
        // A summary read from the item's own page (which is read once) is kept.
        let summary = item.summary.clone().or_else(|| {
            page.keep_summaries
                .then(|| known.as_ref().and_then(|k| k.summary.clone()))
                .flatten()
        });
        let hash = content_hash(&item.title, summary.as_deref());
        // A date far ahead is no publication date (extraction warned of it).
        let page_date = item
            .date
            .filter(|date| page.future_dates || !is_future(*date, now));
        let (date, updated) = match &known {
            None => {
                merge.new_items += 1;
                (page_date.unwrap_or_else(|| now.fixed_offset()), None)
            }
            Some(known) => {
                // A relative date ("3 hours ago") keeps its first reading; it would drift.
                let date = page_date
                    .filter(|_| !item.date_inferred)
                    .or_else(|| parse_date(&known.date))
                    .or(page_date)
                    .unwrap_or_else(|| now.fixed_offset());
                let updated = if known.hash != hash {
                    merge.changed_items += 1;
                    Some(now_text.clone())
                } else {
                    known.updated.clone()
                };
                (date, updated)
            }
        };
        let (failures, retry_at) = match (&known, item.detail_done, item.detail_failed) {
            (_, true, _) => (0, None),
            (known, false, true) => {
                let failures = known.as_ref().map_or(0, |k| k.detail_failures) + 1;
                (failures, Some(timestamp(now + detail_backoff(failures))))
            }
            (Some(known), false, false) => (known.detail_failures, known.detail_retry_at.clone()),
            (None, false, false) => (0, None),
        };
        upsert.execute(params![
            feed,
            id,
            item.title,
            item.link,
            summary,
            date.to_rfc3339_opts(SecondsFormat::Secs, true),
            date.timestamp(),
            page_date.is_some() || known.as_ref().is_some_and(|k| k.dated_by_page),
            now_text,
            updated,
            hash,
            i64::try_from(item.position).unwrap_or(i64::MAX),
            item.content,
            item.author,
            item.image,
            item.detail_done,
            failures,
            retry_at,
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

/// Forgets `feed`'s items that are neither on its page as last read nor seen in the last
/// `keep_days` of `window`: `newest` can never return them. Returns how many.
pub(super) fn prune(
    tx: &Transaction<'_>,
    feed: &str,
    window: Window,
    now: DateTime<Utc>,
) -> rusqlite::Result<usize> {
    let cutoff = timestamp(now - TimeDelta::days(i64::from(window.keep_days)));
    tx.execute(
        "DELETE FROM items WHERE feed = ?1 AND last_seen < ?2
            AND last_seen < coalesce((SELECT last_page_seen FROM feeds WHERE id = ?1), '')",
        params![feed, cutoff],
    )
}

pub(super) fn newest(
    conn: &Connection,
    feed: &str,
    window: Window,
    now: DateTime<Utc>,
) -> rusqlite::Result<Vec<FeedItem>> {
    let cutoff = timestamp(now - TimeDelta::days(i64::from(window.keep_days)));
    let mut query = conn.prepare_cached(
        "SELECT id, title, link, summary, date, updated, content, author, image FROM items
         WHERE feed = ?1 AND (last_seen >= ?2
            OR last_seen >= (SELECT last_page_seen FROM feeds WHERE id = ?1))
         ORDER BY date_unix DESC, position ASC, id ASC
         LIMIT ?3",
    )?;
    let limit = i64::try_from(window.max_items).unwrap_or(i64::MAX);
    let rows = query.query_map(params![feed, cutoff, limit], |row| {
        let date: String = row.get(4)?;
        let updated: Option<String> = row.get(5)?;
        Ok(FeedItem {
            id: row.get(0)?,
            title: row.get(1)?,
            link: row.get(2)?,
            summary: row.get(3)?,
            date: parse_date(&date),
            updated: updated.as_deref().and_then(parse_date),
            content: row.get(6)?,
            author: row.get(7)?,
            image: row.get(8)?,
        })
    })?;
    rows.collect()
}
