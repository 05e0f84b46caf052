//! `pressfeed suggest`: finds the repeated item structure of a listing page without any
//! selectors and proposes a `[[feed]]` block for it.
//!
//! A scored method in three steps:
//! 1. [`groups`]: candidate item groups, elements of one shape that repeat (under one parent,
//!    or across the page), outside navigation, headers, footers, forms' controls and hidden
//!    content;
//! 2. [`fields`]: each group's fields, each chosen by trying candidate selectors on every
//!    item the way a run reads them (the link a heading holds, the title a card's heading
//!    holds or a cut link's `title` attribute, a date in an element, in the link's path or in
//!    the group's heading, a summary), and the group scored by what a feed needs: a link and
//!    a title-like text per item, dates that parse, main content rather than a carousel or a
//!    "most read" box;
//! 3. the best groups' blocks ([`block`]) are run on the page as a feed would run them, and
//!    only blocks whose items have titles and links, and that pass a run's checks, are
//!    proposed.

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Utc};
use ego_tree::NodeId;
use scraper::{ElementRef, Html};

mod block;
mod embedded;
mod fields;
mod groups;
mod media;
mod page;

pub use block::{feed_block, toml_string};
pub use embedded::{EmbeddedList, embedded_block, embedded_list, json_list};
use fields::{Linked, date_field, link_selector, main_link, summary_selector, title_selector};
use groups::{
    Group, candidate_groups, in_carousel, in_main_content, in_popular_box, item_selector,
};
pub use page::PageFacts;

/// A proposed set of selectors, with how many items they find.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Suggestion {
    /// Selects each item.
    pub item: String,
    /// The title, relative to the item (the link's own text, or a heading inside it); empty:
    /// the item itself.
    pub title: String,
    /// An attribute of the title element holding the full title (link texts cut with "…").
    pub title_attr: Option<String>,
    /// The link, relative to the item; `None`: the item is the link.
    pub link: Option<String>,
    /// The date, if the items have one.
    pub date: Option<DateField>,
    /// A format that reads every date found, when one of the usual ones does.
    pub date_format: Option<String>,
    /// Whether the dates lie ahead of the page's time (events, on-sale dates):
    /// `future_dates = true`.
    pub future_dates: bool,
    /// The summary, relative to the item.
    pub summary: Option<String>,
    /// The image, relative to the item, when most items have one.
    pub image: Option<String>,
    /// The category labels, relative to the item, when most items have one.
    pub category: Option<String>,
    /// Elements the item selector matches.
    pub items: usize,
    /// How good the group looked (higher is better).
    pub score: f64,
}

/// Where an item's date is, and how it is cut out of longer text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DateField {
    /// Where the date is read.
    pub place: DatePlace,
    /// The attribute holding it, instead of the text.
    pub attr: Option<String>,
    /// Cuts the date out of the text.
    pub regex: Option<String>,
}

/// Where a date is read, relative to its item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "from", content = "selector")]
pub enum DatePlace {
    /// An element inside the item.
    Inside(String),
    /// The nearest element before the item that matches (its group's heading).
    Before(String),
    /// An element after the item, before the next item (a `dt`'s `dd`).
    Following(String),
    /// The item's link (a date in its path).
    Link,
}

/// A group judged: its suggestion, and how deep its items sit (outer groups win ties).
struct Judged {
    suggestion: Suggestion,
    depth: usize,
    /// The items (members with a main link).
    members: HashSet<NodeId>,
}

/// The best groups of `html` (best first, at most `limit`), read as of `now`, each proposed
/// only when its block reads items with titles and links from the page. A page nested deeper
/// than [`crate::extract::MAX_DEPTH`] yields none.
pub fn suggest(html: &str, now: DateTime<Utc>, limit: usize) -> Vec<Suggestion> {
    let Ok(document) = crate::extract::parse_html(html) else {
        return Vec::new();
    };
    let day_first = day_first(&document);
    // A cheap first look at every group, the fields only for the likeliest.
    let mut groups: Vec<(f64, Group)> = candidate_groups(&document)
        .into_iter()
        .filter_map(|group| Some((first_look(&document, &group)?, group)))
        .collect();
    groups.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (score, group) in &groups {
        tracing::debug!(
            "suggest: first look {score:.1} {:?} > {} ({} members)",
            group.parent,
            group.child,
            group.members.len()
        );
    }
    groups.truncate(16);
    let mut judged: Vec<Judged> = groups
        .iter()
        .filter_map(|(_, group)| judge(&document, group, now, day_first))
        .collect();
    outer_groups_first(&document, &mut judged);
    judged.sort_by(|a, b| {
        b.suggestion
            .score
            .total_cmp(&a.suggestion.score)
            .then(a.depth.cmp(&b.depth))
            .then(a.suggestion.item.cmp(&b.suggestion.item))
    });
    for j in &judged {
        tracing::debug!(
            "suggest: {:.1} {} ({} items)",
            j.suggestion.score,
            j.suggestion.item,
            j.suggestion.items
        );
    }
    let mut seen = HashSet::new();
    judged.retain(|j| seen.insert(j.suggestion.item.clone()));
    judged
        .into_iter()
        .map(|j| j.suggestion)
        .filter(|s| runs_on(html, s, now))
        .take(limit)
        .collect()
}

/// Whether the page writes slash dates day first: its language is not US English.
fn day_first(document: &Html) -> bool {
    let lang = document
        .root_element()
        .value()
        .attr("lang")
        .unwrap_or("")
        .to_ascii_lowercase();
    !(lang.is_empty() || lang == "en" || lang == "en-us" || lang.starts_with("en-us"))
}

fn elements<'a>(document: &'a Html, group: &Group) -> Vec<ElementRef<'a>> {
    group
        .members
        .iter()
        .filter_map(|id| document.tree.get(*id).and_then(ElementRef::wrap))
        .collect()
}

/// A quick score: items with a main link, by how title-like their texts are.
#[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
fn first_look(document: &Html, group: &Group) -> Option<f64> {
    let items = elements(document, group);
    let links: Vec<Linked<'_>> = items.iter().filter_map(|i| main_link(*i)).collect();
    if links.len() < 3 || links.len() * 3 < items.len() {
        return None;
    }
    Some(links.len() as f64 * title_weight(&links))
}

/// How title-like the titles are: long enough (CJK characters count double), and different.
#[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
fn title_weight(links: &[Linked<'_>]) -> f64 {
    let width = |t: &str| -> usize {
        t.chars()
            .map(|c| {
                if c.is_ascii() || !c.is_alphabetic() {
                    1
                } else {
                    2
                }
            })
            .sum()
    };
    let average = links
        .iter()
        .map(|l| width(&l.title).min(80) as f64)
        .sum::<f64>()
        / links.len() as f64;
    let titles: HashSet<&str> = links.iter().map(|l| l.title.as_str()).collect();
    let hrefs: HashSet<&str> = links.iter().map(|l| l.href.as_str()).collect();
    let distinct_titles = titles.len() as f64 / links.len() as f64;
    let distinct_links = hrefs.len() as f64 / links.len() as f64;
    (average / 40.0).min(1.5) * (0.4 + 0.6 * distinct_titles) * (0.4 + 0.6 * distinct_links)
}

/// The group's suggestion, scored, when most of its members hold a main link.
#[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
fn judge(document: &Html, group: &Group, now: DateTime<Utc>, day_first: bool) -> Option<Judged> {
    let items = elements(document, group);
    let links: Vec<Linked<'_>> = items.iter().filter_map(|i| main_link(*i)).collect();
    if links.len() < 3 {
        return None;
    }
    let (link, links) = link_selector(&links)?;
    if links.len() < 3 || links.len() * 3 < items.len() {
        tracing::debug!(
            "suggest: {}: link {link:?} reads {} of {}",
            group.child,
            links.len(),
            items.len()
        );
        return None;
    }
    let (title, title_attr, title_hits) = title_selector(&links, link.as_deref());
    let with_links: Vec<ElementRef<'_>> = links.iter().map(|l| l.item).collect();
    let Some((item_css, fit)) = item_selector(document, group, &with_links, link.as_deref()) else {
        tracing::debug!("suggest: {}: no item selector", group.child);
        return None;
    };
    let guess = date_field(&links, now, day_first);
    let date_css = match &guess.field {
        Some(DateField {
            place: DatePlace::Inside(css),
            ..
        }) if !css.is_empty() => Some(css.as_str()),
        _ => None,
    };
    let summary = summary_selector(&links, date_css);
    let image = media::image_selector(&links);
    let category = media::category_selector(&links);
    let n = links.len() as f64;
    let mut score = n * title_weight(&links);
    score *= 0.5 + 0.5 * (title_hits as f64 / n);
    score *= 1.0 + 1.5 * guess.share;
    if summary.is_some() {
        score *= 1.2;
    }
    let first = items[0];
    if in_carousel(first) {
        score *= 0.2;
    }
    if in_popular_box(first) {
        score *= 0.3;
    }
    if in_main_content(first) {
        score *= 1.5;
    }
    // Members that each hold a whole list are containers of items, not items.
    let lists = links
        .iter()
        .filter(|l| {
            let hrefs: HashSet<&str> = l
                .item
                .descendent_elements()
                .filter(|e| e.value().name() == "a")
                .filter(|a| crate::text::text_of(*a).chars().count() >= 20)
                .filter_map(|a| a.value().attr("href"))
                .collect();
            hrefs.len() >= 4
        })
        .count();
    score *= 1.0 - 0.6 * (lists as f64 / n);
    // Items of one list share a parent; a page-wide group is for lists split into sections
    // (no section holding most of them), not for one list and a few look-alikes elsewhere.
    if group.parent.is_none() {
        let mut parents: std::collections::HashMap<NodeId, usize> =
            std::collections::HashMap::new();
        for item in &with_links {
            if let Some(parent) = item.parent() {
                *parents.entry(parent.id()).or_default() += 1;
            }
        }
        let largest = parents.values().copied().max().unwrap_or(0);
        if largest * 2 > with_links.len() {
            score *= 0.6;
        }
    }
    // A selector that also picks other elements, or misses items, reads a worse feed.
    if fit.extra > 0 || fit.hits < links.len() {
        score *= 0.8;
    }
    let depth = first.ancestors().count();
    let members = with_links.iter().map(|e| e.id()).collect();
    Some(Judged {
        members,
        suggestion: Suggestion {
            item: item_css,
            title,
            title_attr,
            link,
            date: guess.field,
            date_format: guess.format,
            future_dates: guess.future,
            summary,
            image,
            category,
            items: fit.hits + fit.extra,
            score,
        },
        depth,
    })
}

/// Halves the score of a group whose items are each inside one item of another group (a
/// card's heading inside the card): the outer group holds all the inner one does, and more.
fn outer_groups_first(document: &Html, judged: &mut [Judged]) {
    let inner: Vec<bool> = judged
        .iter()
        .map(|b| {
            judged.iter().any(|a| {
                if a.depth >= b.depth
                    || a.members.len() * 5 < b.members.len() * 4
                    || a.members.len() * 4 > b.members.len() * 5
                {
                    return false;
                }
                let inside = b
                    .members
                    .iter()
                    .filter(|id| {
                        document.tree.get(**id).is_some_and(|node| {
                            node.ancestors().any(|up| a.members.contains(&up.id()))
                        })
                    })
                    .count();
                inside * 5 >= b.members.len() * 4
            })
        })
        .collect();
    for (judged, inner) in judged.iter_mut().zip(inner) {
        if inner {
            judged.suggestion.score *= 0.5;
        }
    }
}

/// Whether `suggestion`'s block, run on `html` as a feed run reads it, yields items with
/// titles and links for most of what it selects, and passes a run's checks of a page.
fn runs_on(html: &str, suggestion: &Suggestion, now: DateTime<Utc>) -> bool {
    let block = feed_block(
        suggestion,
        "probe",
        "Probe",
        "https://example.org/",
        None,
        &PageFacts::default(),
    );
    let Ok(config) = crate::spec::Config::parse(&block, Path::new("suggest.toml")) else {
        return false;
    };
    let Some(spec) = config.feeds.first() else {
        return false;
    };
    let Ok(page) = crate::extract::ListingPage::parse(html, &spec.page_url, spec) else {
        return false;
    };
    let items = crate::item::build_items(page.extract_all(spec), spec, now);
    if crate::checks::check_page(spec, &items).is_err() {
        return false;
    }
    let usable = items.counts.title.min(items.counts.link);
    usable * 10 >= items.counts.matched * 8 && !items.items.is_empty()
}
