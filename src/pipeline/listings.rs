//! A feed of several listing pages (`url` as a list): each page fetched through the run's
//! polite fetcher, conditionally on its own validators; read and checked as a single listing
//! is; then their items merged in page order, each id once (the first page listing an item
//! wins), before the per-feed steps (the check against the last good run, items' own pages,
//! the history). Any page failing fails the feed's run, naming the page.
//!
//! The state file keeps one pair of validators per feed: a feed of several pages keeps its
//! pages' `ETag`s (and `Last-Modified`s) there one per line, in page order, under the feed's
//! fingerprint (which holds the addresses). Header values cannot hold a line break, so the
//! lines are the pages'.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use url::Url;

use super::read::{ListingRead, read_item_pages, read_listing};
use super::refresh::{Known, Loaded, RunContext, load_listing, out_of_time_loading};
use super::{Deadline, PageOutcome};
use crate::checks::check_against_history;
use crate::digest::{hex16, page_digest};
use crate::error::{FeedError, FeedErrorKind};
use crate::fetch::{Body, FetchError, Fetched, Request, Validators};
use crate::item::{FieldCounts, PageItems};
use crate::spec::{FeedSpec, Field};

/// Loads every listing page of `spec` (each conditionally); when any changed, reads and
/// checks each, merges their items and reads items' own pages.
pub(super) async fn load_all(
    spec: &FeedSpec,
    run: &RunContext<'_>,
    known: &Known,
    now: DateTime<Utc>,
    deadline: Deadline,
) -> Result<Loaded, FeedError> {
    let urls: Vec<&Url> = spec.listings().collect();
    let stored = unpack(&known.validators, urls.len());
    let mut answers = Vec::with_capacity(urls.len());
    for (&url, validators) in urls.iter().zip(&stored) {
        answers.push(fetch(spec, run, url, validators, deadline).await?);
    }
    if answers.iter().all(|a| matches!(a, Fetched::NotModified)) {
        return Ok(Loaded {
            read: None,
            page: PageOutcome::NotModified,
            cut_short: None,
        });
    }
    // A page changed: every page's items are needed, so those that had not are read whole.
    let mut bodies = Vec::with_capacity(urls.len());
    for (&url, answer) in urls.iter().zip(answers) {
        let body = match answer {
            Fetched::Page(body) => body,
            Fetched::NotModified => {
                match fetch(spec, run, url, &Validators::default(), deadline).await? {
                    Fetched::Page(body) => body,
                    Fetched::NotModified => {
                        let url = url.clone();
                        let err = FetchError::NotConditional { url };
                        return Err(FeedError::new(&spec.id, Some(Field::Url), err));
                    }
                }
            }
        };
        bodies.push(body);
    }
    let digest = listings_digest(&bodies);
    if known.same_page(run.backfill, &digest) {
        return Ok(Loaded {
            read: None,
            page: PageOutcome::Unchanged,
            cut_short: None,
        });
    }
    let mut pages = Vec::with_capacity(bodies.len());
    for (&url, body) in urls.iter().zip(bodies) {
        let reference = super::reference_time(run.reference, &body, now);
        // Items without a link of their own link to the page that lists them.
        let page_spec = FeedSpec {
            page_url: url.clone(),
            ..spec.clone()
        };
        // Each page alone must give usable items (and dates, when read); the last good run
        // is held against the pages together, below.
        let read = read_listing(&page_spec, body, None, reference).await;
        pages.push(read.map_err(|err| on_page(err, url))?);
    }
    let mut read = merge(spec, pages);
    check_against_history(spec, &read.items, known.last_run)
        .map_err(|err| FeedError::check(&spec.id, err))?;
    let items = &mut read.items;
    let cut_short = read_item_pages(spec, run.fetcher, run.history, items, now, deadline).await;
    Ok(Loaded {
        read: Some((read, digest)),
        page: PageOutcome::Read,
        cut_short,
    })
}

/// Fetches (or renders) the listing page at `url`, conditionally on `validators`.
async fn fetch(
    spec: &FeedSpec,
    run: &RunContext<'_>,
    url: &Url,
    validators: &Validators,
    deadline: Deadline,
) -> Result<Fetched, FeedError> {
    let request = Request::listed(spec, url, validators);
    deadline
        .within(load_listing(spec, run.fetcher, &request))
        .await
        .ok_or_else(|| out_of_time_loading(spec, deadline))?
        .map_err(|err| FeedError::new(&spec.id, Some(Field::Url), err))
}

/// `err`, a failure reading the listing page at `url`, saying which page it was.
pub(super) fn on_page(err: FeedError, url: &Url) -> FeedError {
    FeedError {
        kind: Box::new(FeedErrorKind::Listing {
            url: url.clone(),
            source: err.kind,
        }),
        ..err
    }
}

/// The pages' items in page order, each id once (the first page listing it wins), positions
/// running on from page to page; their counts added up, the validators packed for the state
/// file (see [`pack`]), the first page's address.
fn merge(spec: &FeedSpec, pages: Vec<ListingRead>) -> ListingRead {
    let mut ids: HashSet<String> = HashSet::new();
    let mut merged = PageItems::default();
    let mut validators = Vec::with_capacity(pages.len());
    let mut offset = 0;
    for page in pages {
        for mut item in page.items.items {
            if ids.insert(item.id.clone()) {
                item.position += offset;
                merged.items.push(item);
            }
        }
        merged.warnings.extend(page.items.warnings);
        add_counts(&mut merged.counts, page.items.counts);
        offset += page.items.counts.matched;
        validators.push(page.validators);
    }
    ListingRead {
        items: merged,
        validators: pack(&validators),
        url: spec.page_url.clone(),
        next: None,
    }
}

/// Adds a page's counts to `total`.
fn add_counts(total: &mut FieldCounts, page: FieldCounts) {
    // Every field named: a count added to `FieldCounts` must be added up here too.
    let FieldCounts {
        matched,
        title,
        link,
        date_found,
        date_parsed,
        summary,
    } = page;
    total.matched += matched;
    total.title += title;
    total.link += link;
    total.date_found += date_found;
    total.date_parsed += date_parsed;
    total.summary += summary;
}

/// The digest of the pages as read: of each page's digest (see [`page_digest`]), in order.
fn listings_digest(bodies: &[Body]) -> String {
    let digests: Vec<String> = bodies
        .iter()
        .map(|body| page_digest(body.url.as_str(), body.http_charset.as_deref(), &body.bytes))
        .collect();
    let parts: Vec<&[u8]> = digests
        .iter()
        .flat_map(|digest| [digest.as_bytes(), b"\n"])
        .collect();
    format!("pages-{}", hex16(&parts))
}

/// The validators of several pages as one pair, for the state file: each page's value on a
/// line of its own, in page order (an empty line when it has none); `None` when no page has
/// one.
fn pack(pages: &[Validators]) -> Validators {
    let lines = |value: fn(&Validators) -> Option<&String>| {
        pages.iter().any(|page| value(page).is_some()).then(|| {
            let values: Vec<&str> = pages
                .iter()
                .map(|page| value(page).map_or("", String::as_str))
                .collect();
            values.join("\n")
        })
    };
    Validators {
        etag: lines(|page| page.etag.as_ref()),
        last_modified: lines(|page| page.last_modified.as_ref()),
    }
}

/// The validators of each of `count` pages, from what [`pack`] kept; none for any page when
/// the lines are not one per page.
fn unpack(kept: &Validators, count: usize) -> Vec<Validators> {
    let lines = |value: &Option<String>| -> Option<Vec<Option<String>>> {
        let Some(text) = value else {
            return Some(vec![None; count]);
        };
        let values: Vec<Option<String>> = text
            .split('\n')
            .map(|line| (!line.is_empty()).then(|| line.to_string()))
            .collect();
        (values.len() == count).then_some(values)
    };
    match (lines(&kept.etag), lines(&kept.last_modified)) {
        (Some(etags), Some(dates)) => etags
            .into_iter()
            .zip(dates)
            .map(|(etag, last_modified)| Validators {
                etag,
                last_modified,
            })
            .collect(),
        _ => vec![Validators::default(); count],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validators(etag: Option<&str>, last_modified: Option<&str>) -> Validators {
        Validators {
            etag: etag.map(str::to_string),
            last_modified: last_modified.map(str::to_string),
        }
    }

    #[test]
    fn each_page_keeps_its_own_validators() {
        let pages = vec![
            validators(Some("\"a1\""), None),
            validators(None, Some("Tue, 15 Nov 1994 12:45:26 GMT")),
            validators(Some("W/\"c3\""), Some("Wed, 16 Nov 1994 08:00:00 GMT")),
        ];
        let kept = pack(&pages);
        assert_eq!(kept.etag.as_deref(), Some("\"a1\"\n\nW/\"c3\""));
        assert_eq!(
            kept.last_modified.as_deref(),
            Some("\nTue, 15 Nov 1994 12:45:26 GMT\nWed, 16 Nov 1994 08:00:00 GMT")
        );
        assert_eq!(unpack(&kept, 3), pages);
    }

    #[test]
    fn pages_without_validators_or_of_another_count_are_asked_whole() {
        let none = vec![Validators::default(); 2];
        assert_eq!(pack(&none), Validators::default());
        assert_eq!(unpack(&Validators::default(), 2), none);
        // Kept for three pages, read for two: no page is asked conditionally.
        let kept = validators(Some("\"a\"\n\"b\"\n\"c\""), None);
        assert_eq!(unpack(&kept, 2), none);
    }
}
