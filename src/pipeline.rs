//! The refresh of feeds, step by step: fetch, extract, build items, check against the last
//! good run, merge into the history, render, write.
//!
//! Only this module knows the order of the steps; `now` comes in from the caller.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset, SubsecRound as _, Utc};
use futures::{FutureExt as _, StreamExt as _};

use crate::config::{Config, FeedSpec, Format, OutputSettings, SummaryFormat};
use crate::error::{Error, Result};
use crate::extract::{ExtractError, Page};
use crate::fetch::{FetchError, Fetched, Fetcher};
use crate::item::{Built, Item, ItemWarning, build_items, parse_dates};
use crate::output::{WriteOutcome, publish};
use crate::render::{self, FeedMeta};
use crate::site::{self, FeedEntry};
use crate::store::{Outcome, PageRead, RunRecord, StateLock, Store, Validators, Window};
use url::Url;

/// What a successful refresh did.
#[derive(Debug, Clone)]
pub struct FeedReport {
    /// The feed.
    pub feed: String,
    /// Whether the page was read (else the server said it had not changed).
    pub page_read: bool,
    /// Items published.
    pub items: usize,
    /// Items new to the history.
    pub new_items: u64,
    /// Item-level problems on the page.
    pub warnings: Vec<ItemWarning>,
    /// The files and whether each was rewritten.
    pub files: Vec<(PathBuf, WriteOutcome)>,
}

/// What `check` shows of a page.
#[derive(Debug)]
pub struct Scraped {
    /// Every item, with per-item warnings and counts.
    pub built: Built,
    /// Why a run would fail on this page alone (no usable item, no date parsed), if it would.
    pub problem: Option<ExtractError>,
    /// Fields whose selector matches more than one element in some items, and in how many.
    pub ambiguous: Vec<(&'static str, usize)>,
}

/// Loads and reads a feed's page without touching history or files (what `check` shows).
/// Fails when the page cannot be loaded or its item selector matches nothing.
pub async fn scrape(spec: &FeedSpec, fetcher: &Fetcher) -> Result<Scraped> {
    let page = match fetcher.fetch(spec, &Validators::default()).await? {
        Fetched::Page(page) => page,
        // No validators were sent, so a 304 is the server's mistake.
        Fetched::NotModified => {
            return Err(FetchError::Status {
                feed: spec.id.clone(),
                field: "url",
                url: spec.source.to_string(),
                status: reqwest::StatusCode::NOT_MODIFIED,
                attempts: " to a request that was not conditional".to_string(),
            }
            .into());
        }
    };
    let (built, ambiguous) = {
        let text = page.text(spec);
        let parsed = Page::parse(&text, &page.url, spec)?;
        let built = build_items(parsed.extraction(0..parsed.len(), spec), spec, Utc::now());
        (built, parsed.ambiguous_fields(spec))
    };
    let problem = check_built(spec, &built).err();
    Ok(Scraped {
        built,
        problem,
        ambiguous,
    })
}

/// Forgets the history of the feeds `ids` of `config` (items and validators; run logs stay),
/// under the run lock. Returns how many items each had.
pub fn forget(config: &Config, ids: &[&str]) -> Result<Vec<usize>> {
    let _lock = StateLock::acquire(&config.output.state)?;
    let mut store = Store::open(&config.output.state)?;
    let mut counts = Vec::with_capacity(ids.len());
    for id in ids {
        counts.push(store.forget(id)?);
    }
    Ok(counts)
}

/// The failures a page alone shows: no usable item, or dates configured but none parsed.
fn check_built(spec: &FeedSpec, built: &Built) -> Result<(), ExtractError> {
    check_usable(spec, built)?;
    check_dates(spec, built)
}

fn check_usable(spec: &FeedSpec, built: &Built) -> Result<(), ExtractError> {
    if built.items.is_empty() {
        return Err(ExtractError::NoUsableItems {
            feed: spec.id.clone(),
            selector: spec.selectors.item_css.clone(),
            matched: built.counts.matched,
            titles: built.counts.title,
            links: built.counts.link,
        });
    }
    Ok(())
}

fn check_dates(spec: &FeedSpec, built: &Built) -> Result<(), ExtractError> {
    if let Some(date) = &spec.selectors.date
        && built.counts.date_parsed == 0
    {
        return Err(ExtractError::NoDates {
            feed: spec.id.clone(),
            selector: date.css.clone(),
            found: built.counts.date_found,
            matched: built.counts.matched,
            example: built.warnings.iter().find_map(|w| match w {
                ItemWarning::BadDate { source, .. } => Some(source.text.clone()),
                _ => None,
            }),
        });
    }
    Ok(())
}

/// The failures only the history shows: far fewer items than the last good run, or no dates
/// where there were dates.
fn check_against_history(spec: &FeedSpec, built: &Built, store: &Store) -> Result<(), Error> {
    let Some(last) = store.last_good_run(&spec.id)? else {
        return Ok(());
    };
    let found = built.counts.matched as u64;
    let floor = (last.items_found as f64 * spec.min_item_share).ceil() as u64;
    if found < floor {
        return Err(ExtractError::TooFewItems {
            feed: spec.id.clone(),
            selector: spec.selectors.item_css.clone(),
            found,
            last: last.items_found,
            share: spec.min_item_share,
        }
        .into());
    }
    if last.dates_parsed > 0 && built.counts.date_parsed == 0 {
        return Err(ExtractError::DatesLost {
            feed: spec.id.clone(),
            last: last.dates_parsed,
        }
        .into());
    }
    Ok(())
}

/// Reads the items of `page` that the feed can publish.
///
/// Every item's date is read; when the page lists more items than the feed publishes and has a
/// date selector, the other fields are read only for the newest `max_items` candidates (undated
/// items first, as they are dated by the run), plus as many more as are needed to replace
/// candidates that turn out unusable or repeated. Otherwise every item is read.
pub fn read_items(page: &Page, spec: &FeedSpec, now: DateTime<Utc>) -> Built {
    let wanted = spec.max_items;
    if spec.selectors.date.is_none() || page.len() <= wanted {
        return build_items(page.extraction(0..page.len(), spec), spec, now);
    }
    let mut date_found = 0;
    let mut order: Vec<(usize, Option<DateTime<FixedOffset>>)> = (0..page.len())
        .map(|index| {
            let candidates = page.dates(index, spec);
            date_found += usize::from(!candidates.is_empty());
            let date = parse_dates(&candidates, spec, now).ok().flatten();
            (index, date.map(|d| d.date))
        })
        .collect();
    let date_parsed = order.iter().filter(|(_, date)| date.is_some()).count();
    // Undated first, then newest first; the sort is stable, so ties keep page order.
    order.sort_by_key(|&(_, date)| (date.is_some(), std::cmp::Reverse(date)));
    let mut take = wanted;
    loop {
        let mut chosen: Vec<usize> = order[..take].iter().map(|&(index, _)| index).collect();
        chosen.sort_unstable();
        let mut built = build_items(page.extraction(chosen, spec), spec, now);
        if built.items.len() >= wanted || take == order.len() {
            built.counts.matched = page.len();
            built.counts.date_found = date_found;
            built.counts.date_parsed = date_parsed;
            return built;
        }
        take = (take + wanted - built.items.len()).min(order.len());
    }
}

/// Orders items newest first (ties keep page order), dates undated ones by `now`, keeps the
/// newest `max_items`, and describes the feed: the feed as it would be without a history.
pub fn arrange(
    spec: &FeedSpec,
    output: &OutputSettings,
    mut items: Vec<Item>,
    now: DateTime<Utc>,
) -> (FeedMeta, Vec<Item>) {
    // Whole seconds: RSS dates cannot carry fractions, and both files must agree.
    let now_fixed: DateTime<FixedOffset> = now.trunc_subsecs(0).fixed_offset();
    for item in &mut items {
        item.date.get_or_insert(now_fixed);
    }
    items.sort_by_key(|item| std::cmp::Reverse(item.date));
    items.truncate(spec.max_items);
    let meta = feed_meta(spec, output, &items, now);
    (meta, items)
}

/// What a feed says about itself; its `updated` is its newest item date or change.
pub fn feed_meta(
    spec: &FeedSpec,
    output: &OutputSettings,
    items: &[Item],
    now: DateTime<Utc>,
) -> FeedMeta {
    let updated = items
        .iter()
        .flat_map(|i| [i.date, i.updated])
        .flatten()
        .max()
        .unwrap_or_else(|| now.trunc_subsecs(0).fixed_offset());
    let served = |ext: &str| {
        output
            .base_url
            .as_ref()
            .and_then(|base| base.join(&format!("{}.{ext}", spec.id)).ok())
            .map(String::from)
    };
    FeedMeta {
        title: spec.title.clone(),
        description: spec.description.clone(),
        page_url: spec.page_url.to_string(),
        language: spec.language.clone(),
        author: spec.author.clone(),
        rss_url: served("rss"),
        atom_url: served("atom"),
        json_url: served("json"),
        hub: output.websub_hub.as_ref().map(Url::to_string),
        summary_is_html: spec.summary_format == SummaryFormat::Html,
        updated,
    }
}

/// One feed's result in a run.
#[derive(Debug)]
pub struct FeedResult {
    /// The feed.
    pub feed: String,
    /// What the refresh did, or why it failed (files and history untouched).
    pub result: Result<FeedReport>,
}

/// Refreshes `feeds` of `config` concurrently (at most `[fetch] concurrency` at a time), under
/// the state file's lock. `on_done` is called as each feed finishes. Fails before any feed is
/// tried when the lock is held or the state file cannot be opened.
pub async fn run(
    config: &Config,
    feeds: &[&FeedSpec],
    now: DateTime<Utc>,
    on_done: &(dyn Fn(&FeedResult) + Sync),
) -> Result<Vec<FeedResult>> {
    run_until(config, feeds, now, on_done, None).await
}

/// [`run`], starting no more feeds once `stop` turns true (the feeds already started finish).
pub async fn run_until(
    config: &Config,
    feeds: &[&FeedSpec],
    now: DateTime<Utc>,
    on_done: &(dyn Fn(&FeedResult) + Sync),
    stop: Option<tokio::sync::watch::Receiver<bool>>,
) -> Result<Vec<FeedResult>> {
    let run_lock = StateLock::acquire(&config.output.state)?;
    let store = Arc::new(Mutex::new(Store::open(&config.output.state)?));
    let mut names: Vec<String> = config
        .feeds
        .iter()
        .flat_map(|spec| Format::ALL.map(|format| spec.file_name(format)))
        .collect();
    names.extend([site::INDEX.to_string(), site::OPML.to_string()]);
    remove_switched_off(config);
    let removed = crate::output::remove_stale_temps(&config.output.dir, &names);
    if removed > 0 {
        tracing::info!(
            "removed {removed} temporary files an interrupted run left in {}",
            config.output.dir.display()
        );
    }
    let fetcher = Fetcher::new(config.run.clone());
    let now = now.trunc_subsecs(0);
    let started = |_: &&&FeedSpec| {
        let stopped = stop.as_ref().is_some_and(|stop| *stop.borrow());
        std::future::ready(!stopped)
    };
    let results: Vec<FeedResult> = futures::stream::iter(feeds.iter())
        .take_while(started)
        .map(|spec| {
            let store = Arc::clone(&store);
            let fetcher = &fetcher;
            async move {
                let result = refresh(spec, &config.output, fetcher, store, now).await;
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
    let discovery_store = Arc::clone(&store);
    let discovery_config = config.clone();
    let written = tokio::task::spawn_blocking(move || {
        write_discovery(&discovery_config, &lock(&discovery_store), now)
    })
    .await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::error!("{}", crate::error::chain(&err)),
        Err(_) => {
            tracing::error!("internal error writing the index page (a bug: please report it)")
        }
    }
    // The hub may be slow: the next run need not wait for it.
    drop(run_lock);
    if let Some(hub) = &config.output.websub_hub {
        notify_hub(config, hub, &results).await;
    }
    Ok(results)
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

/// Writes `index.html` and `feeds.opml` for every configured feed, from the history (only
/// when their bytes change).
fn write_discovery(config: &Config, store: &Store, now: DateTime<Utc>) -> Result<()> {
    let mut items = Vec::with_capacity(config.feeds.len());
    for spec in &config.feeds {
        let window = Window {
            max_items: spec.max_items,
            keep_days: spec.keep_days,
        };
        items.push(store.feed_items(&spec.id, window, now)?);
    }
    let entries: Vec<FeedEntry<'_>> = config
        .feeds
        .iter()
        .zip(&items)
        .map(|(spec, items)| FeedEntry {
            spec,
            items,
            updated: items
                .iter()
                .flat_map(|i| [i.date, i.updated])
                .flatten()
                .max(),
        })
        .collect();
    let files = [
        (
            config.output.dir.join(site::INDEX),
            site::index_html(&config.output, &entries),
        ),
        (
            config.output.dir.join(site::OPML),
            site::opml(&config.output, &entries),
        ),
    ];
    publish("index", &files)?;
    Ok(())
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
            let base = config.output.base_url.as_ref()?;
            base.join(name).ok().map(String::from)
        })
        .collect();
    if topics.is_empty() {
        return;
    }
    let failed = crate::notify::publish(hub, &topics, crate::config::DEFAULT_USER_AGENT).await;
    for (topic, why) in &failed {
        tracing::warn!("WebSub hub {hub} did not take the update of {topic}: {why}");
    }
    tracing::info!(
        "told WebSub hub {hub} about {} changed feed files",
        topics.len() - failed.len()
    );
}

/// Refreshes one feed: fetch (conditionally), read, check, publish what the history will hold,
/// then keep it in the history. On failure the feed's files and history are as they were, and
/// the failure is logged in the state file.
pub async fn refresh(
    spec: &FeedSpec,
    output: &OutputSettings,
    fetcher: &Fetcher,
    store: Arc<Mutex<Store>>,
    now: DateTime<Utc>,
) -> Result<FeedReport> {
    let started = Utc::now();
    let fingerprint = spec.fingerprint();
    // Bound first: a guard in a `match` scrutinee would live through the whole match.
    let validators = lock(&store).validators(&spec.id, &fingerprint);
    let outcome = match validators {
        Ok(validators) => {
            // A panic in a fetch (a bug) fails this feed only.
            let fetch = std::panic::AssertUnwindSafe(fetcher.fetch(spec, &validators));
            match fetch.catch_unwind().await {
                Ok(Ok(fetched)) => {
                    let older = older_pages(spec, fetcher, &store, &fetched).await;
                    let owned = (spec.clone(), Arc::clone(&store));
                    let read = tokio::task::spawn_blocking(move || {
                        let (spec, store) = owned;
                        read_fetched(&spec, &store, fetched, &older, now)
                    })
                    .await
                    .unwrap_or_else(|_| {
                        Err(Error::Panicked {
                            feed: spec.id.clone(),
                        })
                    });
                    match read {
                        Ok((mut built, validators)) => {
                            if let Some(built) = built.as_mut() {
                                read_item_pages(spec, fetcher, &store, built, now).await;
                            }
                            let owned = (spec.clone(), output.clone(), Arc::clone(&store));
                            tokio::task::spawn_blocking(move || {
                                let (spec, output, store) = owned;
                                let read = (built, validators);
                                process(&spec, &output, &store, read, &fingerprint, started, now)
                            })
                            .await
                            .unwrap_or_else(|_| {
                                Err(Error::Panicked {
                                    feed: spec.id.clone(),
                                })
                            })
                        }
                        Err(err) => Err(err),
                    }
                }
                Ok(Err(err)) => Err(err.into()),
                Err(_) => Err(Error::Panicked {
                    feed: spec.id.clone(),
                }),
            }
        }
        Err(err) => Err(err.into()),
    };
    let Err(error) = outcome else {
        return outcome;
    };
    let error = match error {
        Error::Store(source) => Error::FeedState {
            feed: spec.id.clone(),
            source,
        },
        other => other,
    };
    let record = RunRecord {
        feed: spec.id.clone(),
        started,
        finished: Utc::now(),
        outcome: Outcome::Failed,
        items_found: None,
        new_items: None,
        dates_parsed: None,
        error: Some(crate::error::chain(&error)),
    };
    let logged = tokio::task::spawn_blocking(move || {
        lock(&store).log_run(&record).map_err(|e| e.to_string())
    })
    .await;
    if let Ok(Err(err)) = logged {
        tracing::warn!("feed \"{}\": cannot log the failed run: {err}", spec.id);
    }
    Err(error)
}

/// The listing's older pages, read when the feed has pagination and either has no history yet
/// or the run backfills. A page that cannot be read ends the walk (with a warning); what was
/// read is kept.
async fn older_pages(
    spec: &FeedSpec,
    fetcher: &Fetcher,
    store: &Mutex<Store>,
    first: &Fetched,
) -> Vec<crate::fetch::Page> {
    let (Fetched::Page(first), Some(pagination)) = (first, &spec.pagination) else {
        return Vec::new();
    };
    let fresh = matches!(lock(store).last_good_run(&spec.id), Ok(None));
    if !(fresh || fetcher.backfill()) {
        return Vec::new();
    }
    let mut pages: Vec<crate::fetch::Page> = Vec::new();
    let mut seen = vec![first.url.clone()];
    for number in 2..=pagination.max_pages {
        let next = match &pagination.next {
            crate::config::NextPage::Pattern { .. } => pagination.pattern_url(number),
            crate::config::NextPage::Selector(selector) => {
                let previous = pages.last().unwrap_or(first);
                crate::extract::next_page_url(&previous.text(spec), &previous.url, selector)
            }
        };
        let Some(url) = next.filter(|url| !seen.contains(url)) else {
            break;
        };
        match fetcher.fetch_page(spec, &url, "pagination").await {
            Ok(page) => {
                seen.push(url);
                pages.push(page);
            }
            Err(err) => {
                tracing::warn!(
                    "{}; the history is filled from the pages before it",
                    crate::error::chain(&err)
                );
                break;
            }
        }
    }
    pages
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    // A panic while holding the lock leaves SQLite consistent (its transaction rolls back).
    store.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads what was fetched (if the page changed) and checks it: the items, and the validators
/// to keep.
fn read_fetched(
    spec: &FeedSpec,
    store: &Mutex<Store>,
    fetched: Fetched,
    older: &[crate::fetch::Page],
    now: DateTime<Utc>,
) -> Result<(Option<Built>, Validators)> {
    match fetched {
        Fetched::Page(page) => {
            let text = page.text(spec);
            let built = {
                let parsed = Page::parse(&text, &page.url, spec)?;
                read_items(&parsed, spec, now)
            };
            check_usable(spec, &built)?;
            // The history's judgement first: it can say more ("where 20 did last time").
            check_against_history(spec, &built, &lock(store))?;
            check_dates(spec, &built)?;
            let mut built = built;
            add_older_pages(spec, &mut built, older, now);
            Ok((Some(built), page.validators))
        }
        Fetched::NotModified => Ok((None, Validators::default())),
    }
}

/// Reads the own pages of items that need it (new to the history, or not read yet) when the
/// feed has `[feed.detail]`, with the fetcher's politeness. A page that cannot be read leaves
/// its item as the listing gave it, to be tried again next run.
async fn read_item_pages(
    spec: &FeedSpec,
    fetcher: &Fetcher,
    store: &Mutex<Store>,
    built: &mut Built,
    now: DateTime<Utc>,
) {
    let Some(fields) = &spec.detail else {
        return;
    };
    let ids: Vec<&str> = built.items.iter().map(|i| i.id.as_str()).collect();
    let needed = match lock(store).needs_detail(&spec.id, &ids) {
        Ok(needed) => needed,
        Err(err) => {
            tracing::warn!("feed \"{}\": {err}", spec.id);
            return;
        }
    };
    // At most `max_items` item pages a run: a first run or a backfill of a long listing
    // fills in over the next runs rather than all at once.
    let mut budget = spec.max_items;
    for (item, needed) in built.items.iter_mut().zip(needed) {
        // Items without a link of their own link to the listing: nothing more to read.
        if !needed || item.id != item.link || budget == 0 {
            continue;
        }
        let Ok(url) = Url::parse(&item.link) else {
            continue;
        };
        budget -= 1;
        match fetcher.fetch_page(spec, &url, "detail").await {
            Ok(page) => {
                // Parsing runs off the async thread, and a panic in it (a bug) fails nothing.
                let (owned_spec, owned_fields, owned_item) =
                    (spec.clone(), fields.clone(), item.clone());
                let read = tokio::task::spawn_blocking(move || {
                    let detail = crate::extract::read_detail(
                        &page.text(&owned_spec),
                        &page.url,
                        &owned_fields,
                    );
                    let mut item = owned_item;
                    crate::item::apply_detail(&mut item, detail, &owned_spec, now);
                    item
                })
                .await;
                if let Ok(read) = read {
                    *item = read;
                }
            }
            Err(err) => tracing::warn!(
                "item {} \"{}\": {}; it is published as the listing gives it and its page is tried again next run",
                item.position,
                item.title,
                crate::error::chain(&err)
            ),
        }
    }
}

/// The synchronous part of a refresh, after the pages are read: work out the feed the history
/// will give, publish it, and only then keep the page in the history with the run's log entry
/// (one transaction). A failure anywhere before that commit leaves the history as it was; a
/// kill between the publish and the commit leaves the new files and the old history, which
/// the next run reconciles.
fn process(
    spec: &FeedSpec,
    output: &OutputSettings,
    store: &Mutex<Store>,
    (built, validators): (Option<Built>, Validators),
    fingerprint: &str,
    started: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<FeedReport> {
    let window = Window {
        max_items: spec.max_items,
        keep_days: spec.keep_days,
    };
    let page = built.as_ref().map(|built| PageRead {
        items: &built.items,
        validators: &validators,
        fingerprint,
        keep_summaries: spec.detail.as_ref().is_some_and(|d| d.summary.is_some()),
    });
    let (merge, items) = lock(store).preview(&spec.id, page.as_ref(), window, now)?;
    pause_point("merged");
    if items.is_empty() {
        // Only a state file emptied behind pressfeed's back gets here: never publish nothing.
        return Err(ExtractError::NoItems {
            feed: spec.id.clone(),
            selector: spec.selectors.item_css.clone(),
            bytes: 0,
        }
        .into());
    }
    let meta = feed_meta(spec, output, &items, now);
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::with_capacity(spec.formats.len());
    for &format in &spec.formats {
        let bytes = render::document(format, &spec.id, &meta, &items)?;
        files.push((output.dir.join(spec.file_name(format)), bytes));
    }
    pause_point("rendered");
    let outcomes = publish(&spec.id, &files)?;
    pause_point("published");
    let record = RunRecord {
        feed: spec.id.clone(),
        started,
        finished: Utc::now(),
        outcome: if built.is_some() {
            Outcome::Updated
        } else {
            Outcome::NotModified
        },
        items_found: built.as_ref().map(|b| b.counts.matched as u64),
        new_items: Some(merge.new_items),
        dates_parsed: built.as_ref().map(|b| b.counts.date_parsed as u64),
        error: None,
    };
    lock(store).commit(&spec.id, page.as_ref(), &record, now)?;
    let files = files
        .into_iter()
        .map(|(path, _)| path)
        .zip(outcomes)
        .collect();
    Ok(FeedReport {
        feed: spec.id.clone(),
        page_read: built.is_some(),
        items: items.len(),
        new_items: merge.new_items,
        warnings: built.map(|b| b.warnings).unwrap_or_default(),
        files,
    })
}

/// Adds the items of the listing's older pages to `built` (after the first page's, in page
/// order; items already listed are not repeated).
fn add_older_pages(
    spec: &FeedSpec,
    built: &mut Built,
    older: &[crate::fetch::Page],
    now: DateTime<Utc>,
) {
    let mut ids: std::collections::HashSet<String> =
        built.items.iter().map(|i| i.id.clone()).collect();
    let mut offset = built.counts.matched;
    for page in older {
        let text = page.text(spec);
        let Ok(parsed) = Page::parse(&text, &page.url, spec) else {
            continue;
        };
        let more = build_items(parsed.extraction(0..parsed.len(), spec), spec, now);
        for mut item in more.items {
            if ids.insert(item.id.clone()) {
                item.position += offset;
                built.items.push(item);
            }
        }
        offset += parsed.len();
    }
}

/// A place where a debug build can be made to stop (`PRESSFEED_PAUSE_AT=<name>`), so tests can
/// kill a run there. Release builds compile it to nothing.
pub fn pause_point(name: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("PRESSFEED_PAUSE_AT").is_ok_and(|at| at.split(',').any(|n| n == name)) {
        eprintln!("pressfeed: debug: paused at {name}");
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}
