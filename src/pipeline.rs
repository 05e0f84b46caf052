//! The refresh of one feed, step by step: load, extract, build items, order, render, write.
//!
//! Only this module knows the order of the steps; `now` comes in from the caller.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, SubsecRound as _, Utc};

use crate::config::{FeedSpec, OutputSettings, SummaryFormat};
use crate::error::Result;
use crate::extract::{ExtractError, extract};
use crate::fetch;
use crate::item::{Built, Item, build_items};
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
    let page = fetch::load(spec).await?;
    let extraction = extract(&page.body, &page.url, spec)?;
    drop(page);
    let built = build_items(extraction, spec);
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
