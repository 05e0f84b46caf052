//! Feeds read back with the real parsers, and a feed as it would be without a history.

use std::path::Path;

use chrono::{DateTime, FixedOffset, SubsecRound as _, Utc};
use pressfeed::{FeedItem, FeedMeta, FeedSpec, OutputSettings, PageItem};

/// Parses an RSS file with the rss crate.
pub fn parse_rss(path: &Path) -> rss::Channel {
    let bytes = std::fs::read(path).unwrap();
    rss::Channel::read_from(&bytes[..]).unwrap()
}

/// Parses an Atom file with the atom_syndication crate.
pub fn parse_atom(path: &Path) -> atom_syndication::Feed {
    let bytes = std::fs::read(path).unwrap();
    atom_syndication::Feed::read_from(&bytes[..]).unwrap()
}

/// The feed a page's items would make without a history: newest first (ties keep page order),
/// undated items dated `now`, the newest `max_items` kept. The binary never publishes this
/// way (the history decides); tests and fuzz targets use it to check rendering on its own.
pub fn arrange(
    spec: &FeedSpec,
    output: &OutputSettings,
    items: Vec<PageItem>,
    now: DateTime<Utc>,
) -> (FeedMeta, Vec<FeedItem>) {
    // Whole seconds: RSS dates cannot carry fractions, and all files must agree.
    let now_fixed: DateTime<FixedOffset> = now.trunc_subsecs(0).fixed_offset();
    let mut items: Vec<FeedItem> = items
        .into_iter()
        .map(|item| FeedItem {
            id: item.id,
            title: item.title,
            link: item.link,
            summary: item.summary,
            date: Some(item.date.unwrap_or(now_fixed)),
            updated: None,
            content: item.content,
            author: item.author,
            image: item.image,
            categories: item.categories,
            enclosures: item.enclosures,
        })
        .collect();
    items.sort_by_key(|item| std::cmp::Reverse(item.date));
    items.truncate(spec.max_items);
    let meta = FeedMeta::of(spec, output, &items, now);
    (meta, items)
}
