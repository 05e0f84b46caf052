//! Reading a feed's pages: the listing (decoded and parsed once, its items read date first,
//! checked), its older pages when the history is being filled, and items' own pages.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, Utc};
use url::Url;

use super::{CutShort, Deadline, Reading, blocking, decode};
use crate::checks::{CheckError, check_against_history, check_dates, check_usable};
use crate::error::FeedError;
use crate::extract::{ListingPage, read_detail};
use crate::fetch::{Body, Fetcher, Request, Validators};
use crate::item::{PageItems, apply_detail, build_items, parse_dates};
use crate::spec::{FeedSpec, Field, NextPage};
use crate::store::{GoodRun, History};

/// A listing page, read and checked.
#[derive(Debug)]
pub struct ListingRead {
    /// Its items.
    pub items: PageItems,
    /// The validators to keep for it.
    pub validators: Validators,
    /// The address it was read from.
    pub url: Url,
    /// The next page's address, when pagination follows a next link and the page has one.
    pub next: Option<Url>,
}

/// Decodes, parses and reads the listing `body` on a blocking thread (see [`read_page`]).
pub(super) async fn read_listing(
    spec: &FeedSpec,
    body: Body,
    last: Option<GoodRun>,
    now: DateTime<Utc>,
) -> Result<ListingRead, FeedError> {
    let spec = spec.clone();
    blocking(&spec.id.clone(), move || read_page(&spec, body, last, now)).await
}

/// Decodes, parses and reads the listing `body` of `spec`'s feed as of `now`, and checks its
/// items against what the page alone shows and against `last`, the last good run. Synchronous:
/// call it off the async threads.
pub fn read_page(
    spec: &FeedSpec,
    body: Body,
    last: Option<GoodRun>,
    now: DateTime<Utc>,
) -> Result<ListingRead, FeedError> {
    let text = decode(spec, &body);
    // What is no longer needed goes before the next step takes memory: the bytes once decoded,
    // the text once parsed.
    let Body {
        url, validators, ..
    } = body;
    let page =
        ListingPage::parse(&text, &url, spec).map_err(|e| FeedError::extract(&spec.id, e))?;
    drop(text);
    let items = read_items(&page, spec, now);
    let next = linked_next_page(spec, &page, &url);
    drop(page);
    let check = |result: Result<(), CheckError>| result.map_err(|e| FeedError::check(&spec.id, e));
    check(check_usable(spec, &items))?;
    // The history's judgement first: it can say more ("where 20 did last time").
    check(check_against_history(spec, &items, last))?;
    check(check_dates(spec, &items))?;
    Ok(ListingRead {
        items,
        validators,
        url,
        next,
    })
}

/// The address `page` (read from `url`) links to as its next page, when the feed's pagination
/// follows links.
pub(super) fn linked_next_page(spec: &FeedSpec, page: &ListingPage, url: &Url) -> Option<Url> {
    match &spec.pagination.as_ref()?.next {
        NextPage::Selector(selector) => page.next_page_url(selector, url),
        NextPage::Pattern { .. } => None,
    }
}

/// Reads the items of `page` that the feed can publish: when the page lists more items than the
/// feed publishes, only the newest `max_items`, plus as many more as are needed to replace
/// candidates that turn out unusable or repeated. So the history never holds more of a page
/// than the feed can show.
///
/// With a date selector, every item's date is read, and the newest are the latest dates
/// (undated items first, as they are dated by the run). Without one, the page's own order says
/// which are newest: its first items.
pub fn read_items(page: &ListingPage, spec: &FeedSpec, now: DateTime<Utc>) -> PageItems {
    let wanted = spec.max_items;
    if page.len() <= wanted {
        return build_items(page.extract_all(spec), spec, now);
    }
    if spec.selectors.date.is_none() {
        let order: Vec<usize> = (0..page.len()).collect();
        return read_first(page, spec, now, &order, (0, 0));
    }
    let mut date_found = 0;
    let mut order: Vec<(usize, Option<DateTime<FixedOffset>>)> = (0..page.len())
        .map(|index| {
            let mut candidates = page.dates(index, spec);
            crate::rewrite::replace_dates(&mut candidates, spec.selectors.date.as_ref());
            date_found += usize::from(!candidates.is_empty());
            let date = parse_dates(&candidates, spec, now).ok().flatten();
            (index, date.map(|d| d.date))
        })
        .collect();
    let date_parsed = order.iter().filter(|(_, date)| date.is_some()).count();
    // Undated first, then newest first; the sort is stable, so ties keep page order.
    order.sort_by_key(|&(_, date)| (date.is_some(), std::cmp::Reverse(date)));
    let order: Vec<usize> = order.into_iter().map(|(index, _)| index).collect();
    read_first(page, spec, now, &order, (date_found, date_parsed))
}

/// Reads the first `max_items` items of `order` (indices of `page`, newest first), and more
/// of them in turn while some turn out unusable or repeated; `dates` are the page's counts of
/// items with date text and with a date that parsed.
fn read_first(
    page: &ListingPage,
    spec: &FeedSpec,
    now: DateTime<Utc>,
    order: &[usize],
    (date_found, date_parsed): (usize, usize),
) -> PageItems {
    let wanted = spec.max_items;
    let mut take = wanted.min(order.len());
    loop {
        let mut chosen: Vec<usize> = order[..take].to_vec();
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

/// An older page of the listing, read.
struct OlderPage {
    /// Its items (none when its item selector matched nothing).
    items: Option<PageItems>,
    /// The next page's address, when pagination follows a next link and the page has one.
    next: Option<Url>,
}

/// Adds the items of the listing's older pages to `first` (after its own, in page order; items
/// already listed are not repeated), reading at most `max_pages` pages in all. A page that
/// cannot be loaded ends the walk, with a warning; what was read is kept. So does the
/// `deadline`, which the returned [`CutShort`] reports.
pub(super) async fn add_older_pages(
    spec: &FeedSpec,
    fetcher: &Fetcher,
    first: &mut ListingRead,
    now: DateTime<Utc>,
    deadline: Deadline,
) -> Option<CutShort> {
    let cut_short = CutShort {
        budget: deadline.budget,
        reading: Reading::OlderPages,
    };
    let pagination = spec.pagination.as_ref()?;
    let mut seen = vec![first.url.clone()];
    let mut ids: HashSet<String> = first.items.items.iter().map(|i| i.id.clone()).collect();
    let mut offset = first.items.counts.matched;
    let mut next = first.next.take();
    for number in 2..=pagination.max_pages {
        let url = match &pagination.next {
            NextPage::Pattern { .. } => pagination.pattern_url(number),
            NextPage::Selector(_) => next.take(),
        };
        let Some(url) = url.filter(|url| !seen.contains(url)) else {
            break;
        };
        let request = Request::page(spec, &url, Field::Pagination);
        let fetched = match deadline.within(fetcher.get_body(&request)).await {
            Some(fetched) if !deadline.passed() => fetched,
            _ => return Some(cut_short),
        };
        let body = match fetched {
            Ok(body) => body,
            Err(err) => {
                let err = FeedError::new(&spec.id, Some(Field::Pagination), err);
                tracing::warn!(
                    "{}; the history is filled from the pages before it",
                    crate::error::chain(&err)
                );
                break;
            }
        };
        seen.push(url);
        let older = match read_older_page(spec, body, now).await {
            Ok(older) => older,
            Err(err) => {
                tracing::warn!(
                    "{}; the history is filled from the pages before it",
                    crate::error::chain(&err)
                );
                break;
            }
        };
        if let Some(items) = older.items {
            for mut item in items.items {
                if ids.insert(item.id.clone()) {
                    item.position += offset;
                    first.items.items.push(item);
                }
            }
            offset += items.counts.matched;
        }
        next = older.next;
    }
    None
}

/// Decodes, parses and reads an older listing page on a blocking thread: every item, and the
/// next page's address.
async fn read_older_page(
    spec: &FeedSpec,
    body: Body,
    now: DateTime<Utc>,
) -> Result<OlderPage, FeedError> {
    let spec = spec.clone();
    blocking(&spec.id.clone(), move || {
        let text = decode(&spec, &body);
        // A page without items may still lead on; one nested too deep is no page.
        let Ok(page) = ListingPage::parse_any(&text, &body.url, &spec) else {
            return Ok(OlderPage {
                items: None,
                next: None,
            });
        };
        Ok(OlderPage {
            items: (!page.is_empty()).then(|| build_items(page.extract_all(&spec), &spec, now)),
            next: linked_next_page(&spec, &page, &body.url),
        })
    })
    .await
}

/// Whether `spec`'s filter drops `item` whatever its own page adds: an `exclude` pattern
/// matches what the listing gives (an `include` may match a summary the page adds).
fn dropped(spec: &FeedSpec, item: &crate::item::PageItem) -> bool {
    spec.filter
        .as_ref()
        .is_some_and(|filter| filter.excludes(item.filter_view()))
}

/// Reads the own pages of items that need it (new to the history, or not read yet) when the
/// feed has `[feed.detail]`, with the fetcher's politeness and at most
/// [`FeedSpec::detail_budget`] a run. A page that cannot be read leaves its item as the listing
/// gave it, to be tried again next run.
///
/// A page that fails is tried again after a pause that grows with each failure (kept in the
/// history). When `deadline` comes, no more pages are read: the returned [`CutShort`] says so.
pub(super) async fn read_item_pages(
    spec: &FeedSpec,
    fetcher: &Fetcher,
    history: &History,
    items: &mut PageItems,
    now: DateTime<Utc>,
    deadline: Deadline,
) -> Option<CutShort> {
    let fields = spec.detail.as_ref()?;
    let feed = spec.id.clone();
    let ids: Vec<String> = items.items.iter().map(|i| i.id.clone()).collect();
    let needed = history
        .call(move |store| {
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            store.needs_detail(&feed, &ids, now)
        })
        .await;
    let needed = match needed {
        Ok(Ok(needed)) => needed,
        Ok(Err(err)) => {
            tracing::warn!("feed \"{}\": {}", spec.id, crate::error::chain(&err));
            return None;
        }
        Err(_) => return None,
    };
    let mut budget = spec.detail_budget();
    for (item, needed) in items.items.iter_mut().zip(needed) {
        // Items without a link of their own link to the listing: nothing more to read; nor
        // are the pages of items the filter drops.
        if !needed || item.id != item.link || budget == 0 || dropped(spec, item) {
            continue;
        }
        let Ok(url) = Url::parse(&item.link) else {
            continue;
        };
        budget -= 1;
        let cut_short = CutShort {
            budget: deadline.budget,
            reading: Reading::ItemPages,
        };
        if deadline.passed() {
            return Some(cut_short);
        }
        let request = Request::page(spec, &url, Field::Detail);
        let Some(fetched) = deadline.within(fetcher.get_body(&request)).await else {
            // The page that was being read when time ran out counts as a failure.
            item.detail_failed = true;
            return Some(cut_short);
        };
        let body = match fetched {
            Ok(body) => body,
            Err(err) => {
                item.detail_failed = true;
                let err = FeedError::new(&spec.id, Some(Field::Detail), err);
                tracing::warn!(
                    "item {} \"{}\": {}; it is published as the listing gives it and its page is tried again later",
                    item.position,
                    item.title,
                    crate::error::chain(&err)
                );
                continue;
            }
        };
        // Parsing runs off the async thread, and a panic in it (a bug) fails nothing.
        let (owned_spec, owned_fields, mut owned_item) =
            (spec.clone(), fields.clone(), item.clone());
        let read = blocking(&spec.id, move || {
            let detail = read_detail(&decode(&owned_spec, &body), &body.url, &owned_fields);
            apply_detail(&mut owned_item, detail, &owned_spec, now);
            Ok(owned_item)
        })
        .await;
        if let Ok(read) = read {
            *item = read;
        }
    }
    None
}
