//! `pressfeed suggest`: finds the repeated item structure of a listing page without any
//! selectors and proposes a `[[feed]]` block for it.
//!
//! Items are the largest group of elements with the same shape (tag and classes, under a parent
//! of the same shape) that each hold a link with real text, preferring groups whose items also
//! hold a date. Navigation, headers, footers, sidebars, hidden panels and carousels are left
//! out. Field selectors are then chosen among the shapes inside the items that give a title
//! link, a date and a summary in most of them ([`fields`]); [`block`] writes the proposal.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};

use crate::text::{is_placeholder_link, is_read_more, starts_read_more, text_of};

mod block;
mod fields;

pub use block::{feed_block, page_title, toml_string};
use fields::{
    DateGuess, date_selector, field_selector, summary_selector, title_attribute, title_selector,
};

/// A proposed set of selectors, with how many items they find.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// Selects each item.
    pub item: String,
    /// The title, relative to the item (the link's own text, or a heading inside it).
    pub title: String,
    /// An attribute of the title element holding the full title (link texts cut with "…").
    pub title_attr: Option<String>,
    /// The link, relative to the item; `None`: the item is the link.
    pub link: Option<String>,
    /// The date, relative to the item.
    pub date: Option<DateField>,
    /// A format that reads every date found, when one of the usual ones does.
    pub date_format: Option<String>,
    /// The summary, relative to the item.
    pub summary: Option<String>,
    /// Elements the item selector matches.
    pub items: usize,
    /// How good the group looked (higher is better).
    pub score: f64,
}

/// Where an item's date is: a selector, and a regex when the date sits in longer text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateField {
    /// Relative to the item.
    pub selector: String,
    /// Cuts the date out of the element's text.
    pub regex: Option<String>,
}

/// Words in classes and ids of page furniture, not content.
const FURNITURE: &[&str] = &[
    "nav",
    "menu",
    "footer",
    "sidebar",
    "breadcrumb",
    "pagination",
    "pager",
    "widget",
    "cookie",
    "social",
    "share",
    "related",
    "tablist",
    "toolbar",
    "skip",
];
/// Words in classes of carousels: their items repeat the list's.
const CAROUSEL: &[&str] = &["slide", "carousel", "slider", "swiper", "ticker", "marquee"];

/// The best groups of `html` (best first, at most `limit`), read as of `now`.
/// A page nested deeper than [`crate::extract::MAX_DEPTH`] yields none.
pub fn suggest(html: &str, now: DateTime<Utc>, limit: usize) -> Vec<Suggestion> {
    let Ok(document) = crate::extract::parse_html(html) else {
        return Vec::new();
    };
    let mut groups: HashMap<(String, String), Vec<NodeId>> = HashMap::new();
    for element in document.root_element().descendent_elements() {
        let Some(parent) = element.parent().and_then(ElementRef::wrap) else {
            continue;
        };
        let name = element.value().name();
        let card_link = name == "a"
            && element.descendent_elements().any(|e| {
                matches!(
                    e.value().name(),
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "p" | "div"
                )
            });
        if matches!(name, "a" | "span" | "img" | "br" | "option" | "script") && !card_link {
            continue;
        }
        let key = (shape(parent), shape(element));
        groups.entry(key).or_default().push(element.id());
    }
    let mut found: Vec<Suggestion> = groups
        .into_iter()
        .filter(|(_, members)| members.len() >= 3)
        .filter_map(|((parent, child), members)| {
            let items: Vec<ElementRef<'_>> = members
                .iter()
                .filter_map(|id| document.tree.get(*id).and_then(ElementRef::wrap))
                .filter(|e| !is_furniture(*e))
                .collect();
            judge(&document, &parent, &child, &items, now)
        })
        .collect();
    found.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.item.cmp(&b.item)));
    // One suggestion per item selector.
    let mut seen = std::collections::HashSet::new();
    found.retain(|s| seen.insert(s.item.clone()));
    found.truncate(limit);
    found
}

/// `tag.class1.class2`, with classes that look generated (digits) left out.
pub(super) fn shape(element: ElementRef<'_>) -> String {
    let mut out = element.value().name().to_string();
    // The first class that names what the element is: not a generated one (digits), not a
    // state ("sticky", "odd"), so items of one list share it whatever else they carry.
    let class = element.value().attr("class").and_then(|classes| {
        classes.split_whitespace().find(|c| {
            is_css_ident(c)
                && !c.chars().any(|ch| ch.is_ascii_digit())
                && !STATE_CLASSES.contains(&c.to_ascii_lowercase().as_str())
        })
    });
    if let Some(class) = class {
        out.push('.');
        out.push_str(class);
    }
    out
}

/// Classes that say how an element is, not what it is.
const STATE_CLASSES: &[&str] = &[
    "active",
    "is-active",
    "current",
    "selected",
    "first",
    "last",
    "odd",
    "even",
    "sticky",
    "featured",
    "new",
    "hidden",
    "visible",
    "clearfix",
    "row",
    "col",
    "container",
];

fn is_css_ident(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '-')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn words_of(element: ElementRef<'_>) -> Vec<String> {
    let mut words = Vec::new();
    if let Some(id) = element.value().id() {
        words.push(id.to_ascii_lowercase());
    }
    words.extend(element.value().classes().map(str::to_ascii_lowercase));
    if let Some(role) = element.value().attr("role") {
        words.push(role.to_ascii_lowercase());
    }
    words
}

/// Whether `element` sits in page furniture or hidden content.
fn is_furniture(element: ElementRef<'_>) -> bool {
    std::iter::successors(Some(element), |e| e.parent().and_then(ElementRef::wrap)).any(|e| {
        let value = e.value();
        matches!(
            value.name(),
            "nav" | "header" | "footer" | "aside" | "template" | "noscript" | "select" | "form"
        ) || value.attr("hidden").is_some()
            || value.attr("aria-hidden") == Some("true")
            || value
                .attr("style")
                .is_some_and(|s| s.replace(' ', "").contains("display:none"))
            || words_of(e).iter().any(|w| {
                matches!(
                    w.as_str(),
                    "navigation" | "banner" | "contentinfo" | "menubar"
                ) || FURNITURE
                    .iter()
                    .any(|f| w.split(['-', '_']).any(|part| part == *f))
            })
    })
}

/// The item's main link: the one with the longest text that is not "read more".
fn main_link(item: ElementRef<'_>) -> Option<(ElementRef<'_>, String)> {
    let own = (item.value().name() == "a").then_some(item);
    own.into_iter()
        .chain(
            item.descendent_elements()
                .filter(|e| e.value().name() == "a"),
        )
        .filter(|a| {
            a.value()
                .attr("href")
                .is_some_and(|h| !is_placeholder_link(h))
        })
        .map(|a| (a, text_of(a)))
        .filter(|(_, text)| is_real_text(text) && !is_read_more(text) && !starts_read_more(text))
        .max_by_key(|(_, text)| text.chars().count())
}

/// Text a title could be: a few words, or a few CJK characters (no spaces there).
fn is_real_text(text: &str) -> bool {
    let wide = text
        .chars()
        .filter(|c| !c.is_ascii() && c.is_alphabetic())
        .count();
    (text.chars().count() >= 8 && text.contains(' ')) || wide >= 4
}

/// The suggestion for the group `parent > child` of `items`, scored, when most of them hold a
/// link with real text.
#[expect(
    clippy::cast_precision_loss,
    reason = "item and character counts are far below 2^52"
)]
fn judge(
    document: &Html,
    parent: &str,
    child: &str,
    items: &[ElementRef<'_>],
    now: DateTime<Utc>,
) -> Option<Suggestion> {
    let links: Vec<(ElementRef<'_>, ElementRef<'_>, String)> = items
        .iter()
        .filter_map(|&item| main_link(item).map(|(a, text)| (item, a, text)))
        .collect();
    if links.len() < 3 || links.len() * 2 < items.len() {
        return None;
    }
    let with_links: Vec<ElementRef<'_>> = links.iter().map(|(item, _, _)| *item).collect();
    let item_css = item_selector(document, parent, child, &with_links)?;
    let link = if links.iter().all(|(item, link, _)| item.id() == link.id()) {
        None
    } else {
        Some(field_selector(&links)?)
    };
    let title = title_selector(&links, link.as_deref());
    let title_attr = title_attribute(&links);
    let DateGuess {
        field: date,
        format: date_format,
        share: dated,
    } = date_selector(&with_links, now);
    let summary = summary_selector(&links);
    let average_title = links
        .iter()
        .map(|(_, _, t)| t.chars().count().min(80) as f64)
        .sum::<f64>()
        / links.len() as f64;
    let carousel = words_of(items[0])
        .iter()
        .any(|w| CAROUSEL.iter().any(|c| w.contains(c)));
    let mut score = links.len() as f64 * (average_title / 40.0).min(1.5);
    score *= 1.0 + 1.5 * dated;
    if summary.is_some() {
        score *= 1.2;
    }
    if carousel {
        score *= 0.2;
    }
    // Main content outranks "most read" and "popular" boxes, whatever their size.
    let ancestry: Vec<String> =
        std::iter::successors(Some(items[0]), |e| e.parent().and_then(ElementRef::wrap))
            .flat_map(|e| {
                let mut words = words_of(e);
                words.push(e.value().name().to_string());
                words
            })
            .collect();
    if ancestry.iter().any(|w| {
        [
            "popular",
            "mostread",
            "most-read",
            "most_read",
            "trending",
            "top-stories",
        ]
        .iter()
        .any(|p| w.contains(p))
    }) {
        score *= 0.3;
    }
    if ancestry
        .iter()
        .any(|w| w == "main" || w == "content" || w == "maincontent" || w == "main-content")
    {
        score *= 1.5;
    }
    Some(Suggestion {
        item: item_css,
        title,
        title_attr,
        link,
        date,
        date_format,
        summary,
        items: with_links.len(),
        score,
    })
}

/// `parent > child`, narrowed by an ancestor until it selects only the group's items (or
/// nearly: at most a tenth more).
fn item_selector(
    document: &Html,
    parent: &str,
    child: &str,
    items: &[ElementRef<'_>],
) -> Option<String> {
    let base = format!("{parent} > {child}");
    let wanted: std::collections::HashSet<NodeId> = items.iter().map(|e| e.id()).collect();
    let fits = |css: &str| {
        let Ok(selector) = Selector::parse(css) else {
            return false;
        };
        let got: Vec<NodeId> = document.select(&selector).map(|e| e.id()).collect();
        let inside = got.iter().filter(|id| wanted.contains(id)).count();
        inside * 10 >= wanted.len() * 9 && got.len() * 10 <= wanted.len() * 11
    };
    // Elements of the same tag but other classes (a table's month rows) are left out by name.
    let excluded = Selector::parse(&base).ok().map(|selector| {
        let mut classes: Vec<String> = document
            .select(&selector)
            .filter(|e| !wanted.contains(&e.id()))
            .flat_map(|e| e.value().classes().map(str::to_string).collect::<Vec<_>>())
            .filter(|c| {
                is_css_ident(c)
                    && items.iter().all(|i| {
                        !i.value()
                            .has_class(c, scraper::CaseSensitivity::CaseSensitive)
                    })
            })
            .collect();
        classes.sort();
        classes.dedup();
        classes
    });
    let mut bases = vec![base.clone()];
    if let Some(classes) = excluded.filter(|c| !c.is_empty() && c.len() <= 3) {
        let nots: String = classes.iter().map(|c| format!(":not(.{c})")).collect();
        bases.push(format!("{parent} > {child}{nots}"));
    }
    if let Some(css) = bases.iter().find(|css| fits(css)) {
        return Some(css.clone());
    }
    let first = items.first()?;
    let ancestors = std::iter::successors(first.parent().and_then(ElementRef::wrap), |e| {
        e.parent().and_then(ElementRef::wrap)
    })
    .skip(1);
    for ancestor in ancestors {
        let qualifier = match ancestor.value().id().filter(|id| is_css_ident(id)) {
            Some(id) => format!("#{id}"),
            None => shape(ancestor),
        };
        if matches!(qualifier.as_str(), "html" | "body") {
            break;
        }
        for base in &bases {
            let css = format!("{qualifier} {base}");
            if fits(&css) {
                return Some(css);
            }
        }
    }
    None
}
