//! The refresh of one feed, step by step: load, extract, build items, order, render, write.
//!
//! Only this module knows the order of the steps; `now` comes in from the caller.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, SubsecRound as _, Utc};

use crate::config::{FeedSpec, OutputSettings, SummaryFormat};
use crate::error::Result;
use crate::extract::{ExtractError, Page};
use crate::fetch;
use crate::item::{Built, Item, build_items, parse_dates};
use crate::output::{WriteOutcome, publish};
use crate::render::{self, FeedMeta};

/// What a successful refresh did.
#[derive(Debug, Clone)]
pub struct FeedReport {
    /// The feed.
    pub feed: String,
    /// Items published.
    pub items: usize,
    /// Items on the page without a date of their own (those published are dated by the run's
    /// start).
    pub undated: usize,
    /// The files and whether each was rewritten.
    pub files: Vec<(PathBuf, WriteOutcome)>,
}

/// Loads and reads a feed's page: the items it yields, with per-item warnings and counts.
/// Fails when the page cannot be loaded or yields no usable item.
pub async fn scrape(spec: &FeedSpec) -> Result<Built> {
    let loaded = fetch::load(spec).await?;
    let built = {
        let page = Page::parse(&loaded.body, &loaded.url, spec)?;
        read_items(&page, spec)
    };
    if built.items.is_empty() {
        return Err(ExtractError::NoUsableItems {
            feed: spec.id.clone(),
            selector: spec.selectors.item_css.clone(),
            matched: built.counts.matched,
            titles: built.counts.title,
            links: built.counts.link,
        }
        .into());
    }
    if let Some(date) = &spec.selectors.date
        && built.counts.date_parsed == 0
    {
        return Err(ExtractError::NoDates {
            feed: spec.id.clone(),
            selector: date.css.clone(),
            found: built.counts.date_found,
            matched: built.counts.matched,
            example: built.warnings.iter().find_map(|w| match w {
                crate::item::ItemWarning::BadDate { source, .. } => Some(source.text.clone()),
                _ => None,
            }),
        }
        .into());
    }
    Ok(built)
}

/// Reads the items of `page` that the feed can publish.
///
/// Every item's date is read; when the page lists more items than the feed publishes and has a
/// date selector, the other fields are read only for the newest `max_items` candidates (undated
/// items first, as they are dated by the run), plus as many more as are needed to replace
/// candidates that turn out unusable or repeated. Otherwise every item is read.
pub fn read_items(page: &Page, spec: &FeedSpec) -> Built {
    let wanted = spec.max_items;
    if spec.selectors.date.is_none() || page.len() <= wanted {
        return build_items(page.extraction(0..page.len(), spec), spec);
    }
    let mut date_found = 0;
    let mut order: Vec<(usize, Option<DateTime<FixedOffset>>)> = (0..page.len())
        .map(|index| {
            let candidates = page.dates(index, spec);
            date_found += usize::from(!candidates.is_empty());
            (index, parse_dates(&candidates, spec).ok().flatten())
        })
        .collect();
    let date_parsed = order.iter().filter(|(_, date)| date.is_some()).count();
    // Undated first, then newest first; the sort is stable, so ties keep page order.
    order.sort_by_key(|&(_, date)| (date.is_some(), std::cmp::Reverse(date)));
    let mut take = wanted;
    loop {
        let mut chosen: Vec<usize> = order[..take].iter().map(|&(index, _)| index).collect();
        chosen.sort_unstable();
        let mut built = build_items(page.extraction(chosen, spec), spec);
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
/// newest `max_items`, and describes the feed. The feed's `updated` is its newest item date.
pub fn arrange(
    spec: &FeedSpec,
    output: &OutputSettings,
    mut items: Vec<Item>,
    now: DateTime<Utc>,
) -> (FeedMeta, Vec<Item>) {
    // Whole seconds: RSS dates cannot carry fractions, and both files must agree.
    let now: DateTime<FixedOffset> = now.trunc_subsecs(0).fixed_offset();
    for item in &mut items {
        item.date.get_or_insert(now);
    }
    items.sort_by_key(|item| std::cmp::Reverse(item.date));
    items.truncate(spec.max_items);
    let updated = items.iter().filter_map(|i| i.date).max().unwrap_or(now);
    let served = |ext: &str| {
        output
            .base_url
            .as_ref()
            .and_then(|base| base.join(&format!("{}.{ext}", spec.id)).ok())
            .map(String::from)
    };
    let meta = FeedMeta {
        title: spec.title.clone(),
        description: spec.description.clone(),
        page_url: spec.page_url.to_string(),
        language: spec.language.clone(),
        author: spec.author.clone(),
        rss_url: served("rss"),
        atom_url: served("atom"),
        summary_is_html: spec.summary_format == SummaryFormat::Html,
        updated,
    };
    (meta, items)
}

/// Refreshes one feed: on success both files hold the new feed (or were already identical);
/// on failure neither file is touched.
pub async fn refresh(
    spec: &FeedSpec,
    output: &OutputSettings,
    now: DateTime<Utc>,
) -> Result<FeedReport> {
    let built = scrape(spec).await?;
    for warning in &built.warnings {
        tracing::warn!("feed \"{}\": {warning}", spec.id);
    }
    let undated = built.items.iter().filter(|i| i.date.is_none()).count();
    let (meta, items) = arrange(spec, output, built.items, now);
    let rss = render::rss(&spec.id, &meta, &items)?;
    let atom = render::atom(&spec.id, &meta, &items)?;
    let files: Vec<(PathBuf, Vec<u8>)> = [("rss", rss), ("atom", atom)]
        .into_iter()
        .map(|(ext, bytes)| (output.dir.join(format!("{}.{ext}", spec.id)), bytes))
        .collect();
    let outcomes = publish(&spec.id, &files)?;
    let files = files
        .into_iter()
        .map(|(path, _)| path)
        .zip(outcomes)
        .collect();
    Ok(FeedReport {
        feed: spec.id.clone(),
        items: items.len(),
        undated,
        files,
    })
}
