//! Merging a page's items into the history, and what a feed publishes, worked out in memory
//! from one read of the feed's rows ([`plan`]) and written by the commit ([`apply`]): the
//! history is read once and written once per refresh, and nothing is written before the
//! feed's files are published.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use super::{parse_date, timestamp};
use crate::digest::content_hash;
use crate::fetch::Validators;
use crate::item::{FUTURE_SLACK, FeedItem, PageItem, is_future, shared_link_id};
use crate::spec::{Filter, FilterItem, Window};

/// What merging a page into the history did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Merge {
    /// Items never seen before.
    pub new_items: u64,
    /// Known items whose title or summary changed.
    pub changed_items: u64,
}

/// A page's items and what to remember of the page, for [`super::Store::plan`].
#[derive(Debug, Clone, Copy)]
pub struct PageRead<'a> {
    /// The usable items read, ids unique.
    pub items: &'a [PageItem],
    /// The page's validators.
    pub validators: &'a Validators,
    /// The feed's configuration, as [`crate::spec::FeedSpec::fingerprint`] gives it.
    pub fingerprint: &'a str,
    /// The digest of the page's bytes (XXH3-128 of its address, charset and bytes).
    pub page_digest: &'a str,
    /// Whether summaries come from items' own pages, so one the listing lacks is kept.
    pub keep_summaries: bool,
    /// Whether dates after the run's time are the page's word (`future_dates`).
    pub future_dates: bool,
    /// `[feed.filter]`, when the feed has one.
    pub filter: Option<&'a Filter>,
}

/// One row of the `items` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ItemRow {
    id: String,
    title: String,
    link: String,
    summary: Option<String>,
    /// RFC 3339, in the offset the page gave.
    date: String,
    date_unix: i64,
    /// Whether a page dated it (else it was dated when first seen).
    dated_by_page: bool,
    first_seen: String,
    last_seen: String,
    /// When its title or summary last changed, if ever.
    updated: Option<String>,
    hash: String,
    position: i64,
    content: Option<String>,
    author: Option<String>,
    image: Option<String>,
    detail_done: bool,
    /// How often its own page failed in a row.
    detail_failures: u32,
    /// When its own page is tried again after failing.
    detail_retry_at: Option<String>,
    /// Categories, a JSON array of strings.
    categories: Option<String>,
    /// Enclosures, a JSON array of [`crate::item::Enclosure`]s.
    enclosures: Option<String>,
    /// Why a filter dropped it (never published while it is in the history); `None`: kept.
    filtered: Option<String>,
}

const ITEM_COLUMNS: &str = "id, title, link, summary, date, date_unix, dated_by_page, first_seen,
    last_seen, updated, hash, position, content, author, image, detail_done, detail_failures,
    detail_retry_at, categories, enclosures, filtered";

/// `values` as the JSON array a column keeps; `None` when there are none.
fn json_column<T: serde::Serialize>(values: &[T]) -> Option<String> {
    (!values.is_empty())
        .then(|| serde_json::to_string(values).ok())
        .flatten()
}

/// The values of a JSON array column (none when `NULL` or unreadable).
fn from_json_column<T: serde::de::DeserializeOwned>(column: Option<&str>) -> Vec<T> {
    column
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

impl ItemRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRow> {
        Ok(ItemRow {
            id: row.get(0)?,
            title: row.get(1)?,
            link: row.get(2)?,
            summary: row.get(3)?,
            date: row.get(4)?,
            date_unix: row.get(5)?,
            dated_by_page: row.get(6)?,
            first_seen: row.get(7)?,
            last_seen: row.get(8)?,
            updated: row.get(9)?,
            hash: row.get(10)?,
            position: row.get(11)?,
            content: row.get(12)?,
            author: row.get(13)?,
            image: row.get(14)?,
            detail_done: row.get(15)?,
            detail_failures: row.get(16)?,
            detail_retry_at: row.get(17)?,
            categories: row.get(18)?,
            enclosures: row.get(19)?,
            filtered: row.get(20)?,
        })
    }

    /// Whether `self` says what `known` says but for the sighting (`last_seen`, `position`).
    fn only_seen_again(&self, known: &ItemRow) -> bool {
        fn content(row: &ItemRow) -> impl PartialEq + '_ {
            (
                (&row.id, &row.title, &row.link, &row.summary, &row.date),
                (
                    row.date_unix,
                    row.dated_by_page,
                    &row.first_seen,
                    &row.updated,
                ),
                (&row.hash, &row.content, &row.author, &row.image),
                (row.detail_done, row.detail_failures, &row.detail_retry_at),
                (&row.categories, &row.enclosures, &row.filtered),
            )
        }
        content(self) == content(known)
    }

    /// The item as a feed publishes it.
    fn feed_item(&self) -> FeedItem {
        FeedItem {
            id: self.id.clone(),
            title: self.title.clone(),
            link: self.link.clone(),
            summary: self.summary.clone(),
            date: parse_date(&self.date),
            updated: self.updated.as_deref().and_then(parse_date),
            content: self.content.clone(),
            author: self.author.clone(),
            image: self.image.clone(),
            categories: from_json_column(self.categories.as_deref()),
            enclosures: from_json_column(self.enclosures.as_deref()),
        }
    }
}

/// How a row changes when the plan is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Written whole (new, or more than its sighting changed).
    Row,
    /// Only seen again: its `last_seen` and `position`.
    Sighting,
}

/// What the page's read changes in the `feeds` row.
#[derive(Debug, Clone)]
struct PageRecord {
    validators: Validators,
    fingerprint: String,
    page_digest: String,
}

/// What a refresh will change in a feed's history, worked out without writing anything
/// ([`super::Store::plan`]), and what the feed publishes once it is written
/// ([`super::Store::commit`] writes it).
#[derive(Debug)]
pub struct Plan {
    feed: String,
    now: String,
    merge: Merge,
    /// Rows to write, with how much of each changed.
    rows: Vec<(ItemRow, Change)>,
    /// Items the feed can never publish again: forgotten.
    forgotten: Vec<String>,
    /// The page's record, when it was read.
    page: Option<PageRecord>,
    /// The `feeds` row's `last_page_seen` after the plan, when it changes.
    last_page_seen: Option<String>,
    /// What the feed publishes, newest first.
    items: Vec<FeedItem>,
    /// The oldest `last_seen` of the items that are in the window only for `keep_days`: the
    /// window changes once it is more than `keep_days` ago.
    window_floor: Option<String>,
}

impl Plan {
    /// What the merge did.
    pub fn merge(&self) -> Merge {
        self.merge
    }

    /// What the feed publishes, newest first.
    pub fn items(&self) -> &[FeedItem] {
        &self.items
    }
}

/// The pause before an item's own page is tried again after `failures` failures in a row: an
/// hour, doubling each time, at most a week.
fn detail_backoff(failures: u32) -> TimeDelta {
    let hours = 1_i64 << failures.saturating_sub(1).min(10);
    TimeDelta::hours(hours.min(7 * 24))
}

/// Brings back to `now` the times in a row that lie after it: a run whose clock was ahead (a
/// wrong clock, `faketime`) wrote them. Left alone, they would keep items dated in the future
/// on top of the feed, keep items in the window and out of pruning, and put off item pages'
/// retries, long after the clock was set right. A date the page gave to a feed whose dates
/// lie ahead (`future_dates`) is the page's word, and stays.
fn heal_clock(row: &mut ItemRow, now: DateTime<Utc>, now_text: &str, future_dates: bool) {
    let later = |time: &mut String| {
        if time.as_str() > now_text {
            *time = now_text.to_string();
        }
    };
    later(&mut row.first_seen);
    later(&mut row.last_seen);
    if let Some(updated) = &mut row.updated {
        later(updated);
    }
    let keeps_its_date = future_dates && row.dated_by_page;
    if row.date_unix > (now + FUTURE_SLACK).timestamp() && !keeps_its_date {
        row.date = now_text.to_string();
        row.dated_by_page = false;
        row.date_unix = now.timestamp();
    }
    let longest_pause = timestamp(now + detail_backoff(u32::MAX));
    if row
        .detail_retry_at
        .as_ref()
        .is_some_and(|at| *at > longest_pause)
    {
        row.detail_retry_at = Some(now_text.to_string());
    }
}

/// Ids that differ from the page's for items sharing a link. The page gives the link itself
/// to the first item with it and ids of their own to the others; when the history already
/// has the link as the id of another of them (a new row with the same link came in above
/// it), that one keeps it, and the first takes an id of its own: ids never move between
/// items. By position in `items`.
fn known_shared_ids(
    known: &HashMap<String, ItemRow>,
    items: &[PageItem],
) -> HashMap<usize, String> {
    let mut ids = HashMap::new();
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
        let known_title = known.get(&item.link).map(|row| row.title.as_str());
        if known_title == Some(item.title.as_str()) && items[holder].title != item.title {
            ids.insert(index, item.link.clone());
            ids.insert(holder, shared_link_id(&item.link, &items[holder].title));
        }
    }
    ids
}

/// `item`'s row once merged at `now` into what the history knows of it (`known`).
fn merged_row(
    item: &PageItem,
    id: &str,
    known: Option<&ItemRow>,
    page: &PageRead<'_>,
    now: DateTime<Utc>,
    now_text: &str,
    merge: &mut Merge,
) -> ItemRow {
    // A summary read from the item's own page (which is read once) is kept.
    let summary = item.summary.clone().or_else(|| {
        page.keep_summaries
            .then(|| known.and_then(|k| k.summary.clone()))
            .flatten()
    });
    let hash = content_hash(&item.title, summary.as_deref());
    // Once dropped by a filter, always dropped while the history holds it: a changed filter
    // does not bring it back as a new item (`reset` forgets it).
    let filtered = known.and_then(|k| k.filtered.clone()).or_else(|| {
        page.filter?.drops(FilterItem {
            title: &item.title,
            summary: summary.as_deref(),
            link: &item.link,
            categories: &item.categories,
        })
    });
    // A date far ahead is no publication date (extraction warned of it).
    let page_date = item
        .date
        .filter(|date| page.future_dates || !is_future(*date, now));
    let (date, updated) = match known {
        None => {
            merge.new_items += u64::from(filtered.is_none());
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
                Some(now_text.to_string())
            } else {
                known.updated.clone()
            };
            (date, updated)
        }
    };
    let (detail_failures, detail_retry_at) = match (known, item.detail_done, item.detail_failed) {
        (_, true, _) => (0, None),
        (known, false, true) => {
            let failures = known.map_or(0, |k| k.detail_failures) + 1;
            (failures, Some(timestamp(now + detail_backoff(failures))))
        }
        (Some(known), false, false) => (known.detail_failures, known.detail_retry_at.clone()),
        (None, false, false) => (0, None),
    };
    let kept = |new: &Option<String>, old: Option<&Option<String>>| {
        new.clone().or_else(|| old.cloned().flatten())
    };
    // What an item's own page gave (read once) wins over the listing's on later runs.
    let page_read_before = !item.detail_done && known.is_some_and(|k| k.detail_done);
    let from_own_page = |new: &Option<String>, old: Option<&Option<String>>| {
        if page_read_before {
            old.cloned().flatten().or_else(|| new.clone())
        } else {
            kept(new, old)
        }
    };
    ItemRow {
        id: id.to_string(),
        title: item.title.clone(),
        link: item.link.clone(),
        summary,
        date: date.to_rfc3339_opts(SecondsFormat::Secs, true),
        date_unix: date.timestamp(),
        dated_by_page: page_date.is_some() || known.is_some_and(|k| k.dated_by_page),
        first_seen: known.map_or_else(|| now_text.to_string(), |k| k.first_seen.clone()),
        last_seen: now_text.to_string(),
        updated,
        hash,
        position: i64::try_from(item.position).unwrap_or(i64::MAX),
        content: kept(&item.content, known.map(|k| &k.content)),
        author: from_own_page(&item.author, known.map(|k| &k.author)),
        image: from_own_page(&item.image, known.map(|k| &k.image)),
        detail_done: item.detail_done || known.is_some_and(|k| k.detail_done),
        detail_failures,
        detail_retry_at,
        categories: json_column(&item.categories),
        enclosures: json_column(&item.enclosures),
        filtered,
    }
}

/// Judges by `filter` the items not on the page now (`on_page`) and not dropped yet: a
/// changed filter takes those it drops out of the feed too, as it does the page's.
fn judge_left_items(
    rows: &mut HashMap<String, ItemRow>,
    changes: &mut HashMap<String, Change>,
    filter: &Filter,
    on_page: &HashSet<String>,
) {
    for row in rows.values_mut() {
        if row.filtered.is_some() || on_page.contains(&row.id) {
            continue;
        }
        let categories: Vec<String> = from_json_column(row.categories.as_deref());
        row.filtered = filter.drops(FilterItem {
            title: &row.title,
            summary: row.summary.as_deref(),
            link: &row.link,
            categories: &categories,
        });
        if row.filtered.is_some() {
            changes.insert(row.id.clone(), Change::Row);
        }
    }
}

/// Works out what merging `page` (if it was read) into `feed`'s history at `now` changes, and
/// what the feed then publishes, from one read of the feed's rows; writes nothing.
///
/// New items are first seen now; an item without a date of its own is dated by when it was
/// first seen; a known item whose title or summary changed keeps its id and is marked
/// updated now; an item that comes back after leaving the page is not new. Times a clock
/// that was ahead wrote are taken back to now (see [`heal_clock`]). Items the feed can never
/// publish again are forgotten: those not on the page as last read and not seen for
/// `window`'s `keep_days`. So the history holds at most what a page gives in `keep_days`,
/// whatever the page does.
pub(super) fn plan(
    conn: &Connection,
    feed: &str,
    page: Option<&PageRead<'_>>,
    window: Window,
    future_dates: bool,
    now: DateTime<Utc>,
) -> rusqlite::Result<Plan> {
    let now_text = timestamp(now);
    let stored_page_seen: Option<String> = conn
        .prepare_cached("SELECT last_page_seen FROM feeds WHERE id = ?1")?
        .query_row([feed], |row| row.get(0))
        .optional()?
        .flatten();
    let mut query =
        conn.prepare_cached(&format!("SELECT {ITEM_COLUMNS} FROM items WHERE feed = ?1"))?;
    let mut rows: HashMap<String, ItemRow> =
        HashMap::with_capacity(page.map_or(0, |page| page.items.len()));
    let mut healed = Vec::new();
    for row in query.query_map([feed], ItemRow::read)? {
        let mut row = row?;
        let before = row.clone();
        heal_clock(&mut row, now, &now_text, future_dates);
        if row != before {
            healed.push(row.id.clone());
        }
        rows.insert(row.id.clone(), row);
    }
    let mut changes: HashMap<String, Change> =
        healed.into_iter().map(|id| (id, Change::Row)).collect();
    let mut merge = Merge::default();
    let last_page_seen = match page {
        Some(page) => {
            let shared = known_shared_ids(&rows, page.items);
            let mut on_page: HashSet<String> = HashSet::with_capacity(page.items.len());
            for (index, item) in page.items.iter().enumerate() {
                let id = shared.get(&index).unwrap_or(&item.id);
                on_page.insert(id.clone());
                let known = rows.get(id.as_str());
                let row = merged_row(item, id, known, page, now, &now_text, &mut merge);
                let change = match known {
                    Some(known) if row.only_seen_again(known) => Change::Sighting,
                    _ => Change::Row,
                };
                let change = match changes.get(id.as_str()) {
                    Some(Change::Row) => Change::Row,
                    _ => change,
                };
                changes.insert(id.clone(), change);
                rows.insert(id.clone(), row);
            }
            if let Some(filter) = page.filter {
                judge_left_items(&mut rows, &mut changes, filter, &on_page);
            }
            Some(now_text.clone())
        }
        None => stored_page_seen
            .as_ref()
            .filter(|seen| seen.as_str() > now_text.as_str())
            .map(|_| now_text.clone()),
    };
    let page_seen = last_page_seen.as_ref().or(stored_page_seen.as_ref());
    let on_last_page = |row: &ItemRow| page_seen.is_some_and(|seen| row.last_seen >= *seen);
    let cutoff = timestamp(now - TimeDelta::days(i64::from(window.keep_days)));
    let forgotten: Vec<String> = rows
        .values()
        .filter(|row| row.last_seen < cutoff && !on_last_page(row))
        .map(|row| row.id.clone())
        .collect();
    let mut eligible: Vec<&ItemRow> = rows
        .values()
        .filter(|row| row.filtered.is_none())
        .filter(|row| row.last_seen >= cutoff || on_last_page(row))
        .collect();
    let window_floor = eligible
        .iter()
        .filter(|row| !on_last_page(row))
        .map(|row| row.last_seen.clone())
        .min();
    eligible.sort_unstable_by(|a, b| {
        b.date_unix
            .cmp(&a.date_unix)
            .then(a.position.cmp(&b.position))
            .then_with(|| a.id.as_bytes().cmp(b.id.as_bytes()))
    });
    let items = eligible
        .iter()
        .take(window.max_items)
        .map(|row| row.feed_item())
        .collect();
    let mut rows_to_write: Vec<(ItemRow, Change)> = changes
        .into_iter()
        .filter_map(|(id, change)| rows.remove(&id).map(|row| (row, change)))
        .collect();
    // Written in key order: the table is kept in (feed, id) order.
    rows_to_write.sort_unstable_by(|a, b| a.0.id.as_bytes().cmp(b.0.id.as_bytes()));
    Ok(Plan {
        feed: feed.to_string(),
        now: now_text,
        merge,
        rows: rows_to_write,
        forgotten,
        page: page.map(|page| PageRecord {
            validators: page.validators.clone(),
            fingerprint: page.fingerprint.to_string(),
            page_digest: page.page_digest.to_string(),
        }),
        last_page_seen,
        items,
        window_floor,
    })
}

/// Writes `plan` in `tx`. With `published` (the print of what was rendered, see
/// [`super::Publication`]), the feed's files were rendered from the plan and published.
pub(super) fn apply(
    tx: &Transaction<'_>,
    plan: &Plan,
    published: Option<&str>,
) -> rusqlite::Result<()> {
    let feed = plan.feed.as_str();
    let mut write = tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO items (feed, {ITEM_COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21, ?22)"
    ))?;
    let mut seen = tx.prepare_cached(
        "UPDATE items SET last_seen = ?3, position = ?4 WHERE feed = ?1 AND id = ?2",
    )?;
    for (row, change) in &plan.rows {
        match change {
            Change::Sighting => {
                seen.execute(params![feed, row.id, row.last_seen, row.position])?;
            }
            Change::Row => {
                write.execute(params![
                    feed,
                    row.id,
                    row.title,
                    row.link,
                    row.summary,
                    row.date,
                    row.date_unix,
                    row.dated_by_page,
                    row.first_seen,
                    row.last_seen,
                    row.updated,
                    row.hash,
                    row.position,
                    row.content,
                    row.author,
                    row.image,
                    row.detail_done,
                    row.detail_failures,
                    row.detail_retry_at,
                    row.categories,
                    row.enclosures,
                    row.filtered,
                ])?;
            }
        }
    }
    let mut forget = tx.prepare_cached("DELETE FROM items WHERE feed = ?1 AND id = ?2")?;
    for id in &plan.forgotten {
        forget.execute(params![feed, id])?;
    }
    if let Some(page) = &plan.page {
        tx.prepare_cached(
            "INSERT INTO feeds (id, etag, last_modified, fingerprint, last_page_seen, page_digest)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET etag = excluded.etag,
                last_modified = excluded.last_modified, fingerprint = excluded.fingerprint,
                last_page_seen = excluded.last_page_seen, page_digest = excluded.page_digest",
        )?
        .execute(params![
            feed,
            page.validators.etag,
            page.validators.last_modified,
            page.fingerprint,
            plan.now,
            page.page_digest,
        ])?;
    } else if let Some(seen) = &plan.last_page_seen {
        tx.prepare_cached("UPDATE feeds SET last_page_seen = ?2 WHERE id = ?1")?
            .execute(params![feed, seen])?;
    }
    if let Some(print) = published {
        tx.prepare_cached(
            "UPDATE feeds SET published_print = ?2, published_at = ?3, published_items = ?4,
                window_floor = ?5 WHERE id = ?1",
        )?
        .execute(params![
            feed,
            print,
            plan.now,
            i64::try_from(plan.items.len()).unwrap_or(i64::MAX),
            plan.window_floor,
        ])?;
    }
    Ok(())
}

/// What a feed publishes at `now`, read without its summaries and contents: for the index
/// page and OPML, which show a count, the newest three titles and a date.
pub(super) fn published_outline(
    conn: &Connection,
    feed: &str,
    window: Window,
    now: DateTime<Utc>,
) -> rusqlite::Result<Vec<FeedItem>> {
    let cutoff = timestamp(now - TimeDelta::days(i64::from(window.keep_days)));
    let mut query = conn.prepare_cached(
        "SELECT id, title, link, date, updated FROM items
         WHERE feed = ?1 AND filtered IS NULL AND (last_seen >= ?2
            OR last_seen >= (SELECT last_page_seen FROM feeds WHERE id = ?1))
         ORDER BY date_unix DESC, position ASC, id ASC
         LIMIT ?3",
    )?;
    let limit = i64::try_from(window.max_items).unwrap_or(i64::MAX);
    let rows = query.query_map(params![feed, cutoff, limit], |row| {
        let date: String = row.get(3)?;
        let updated: Option<String> = row.get(4)?;
        Ok(FeedItem {
            id: row.get(0)?,
            title: row.get(1)?,
            link: row.get(2)?,
            summary: None,
            date: parse_date(&date),
            updated: updated.as_deref().and_then(parse_date),
            ..FeedItem::default()
        })
    })?;
    rows.collect()
}
