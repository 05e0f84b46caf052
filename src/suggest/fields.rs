//! The fields inside a group's items: which element is the title link, the date (and how
//! it reads), the summary.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use scraper::{ElementRef, Selector};

use super::{DateField, shape};
use crate::dates::{matches_format, parse_date_at};
use crate::text::text_of;

/// What the dates of a group look like.
pub(super) struct DateGuess {
    pub(super) field: Option<DateField>,
    pub(super) format: Option<String>,
    /// Share of the items whose date was found.
    pub(super) share: f64,
}

/// Date forms to cut out of longer text ("Posted on March 12, 2024 by Staff").
const DATE_LIKE: &str = r"(\d{4}-\d{1,2}-\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日|\d{1,2}\.? ?[^\s\d,.:;]{3,}\.? \d{4}|[^\s\d,.:;]{3,}\.? \d{1,2},? \d{4}|\d{1,2}[./]\d{1,2}[./]\d{4})";

/// Formats offered as `date_formats` when one reads every date found.
const FORMATS: &[&str] = &[
    "%d %B %Y",
    "%B %d, %Y",
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d. %B %Y",
    "%m/%d/%Y",
    "%d/%m/%Y",
];

/// A selector, relative to each item, whose first match is the item's main link in most items.
pub(super) fn field_selector(links: &[(ElementRef<'_>, ElementRef<'_>, String)]) -> Option<String> {
    let (item, link, _) = links.first()?;
    let mut candidates = Vec::new();
    let heading = std::iter::successors(link.parent().and_then(ElementRef::wrap), |e| {
        e.parent().and_then(ElementRef::wrap)
    })
    .take_while(|e| e.id() != item.id())
    .find(|e| matches!(e.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6"));
    if let Some(heading) = heading {
        candidates.push(format!("{} a", shape(heading)));
        candidates.push(format!("{} a", heading.value().name()));
    }
    candidates.push(shape(*link));
    if let Some(parent) = link.parent().and_then(ElementRef::wrap)
        && parent.id() != item.id()
    {
        candidates.push(format!("{} > a", shape(parent)));
    }
    candidates.push("a".to_string());
    candidates.into_iter().find(|css| {
        let Ok(selector) = Selector::parse(css) else {
            return false;
        };
        let hits = links
            .iter()
            .filter(|(item, link, _)| {
                item.select(&selector).next().map(|e| e.id()) == Some(link.id())
            })
            .count();
        hits * 10 >= links.len() * 8
    })
}

/// The title: the link itself, unless the link wraps a whole card, whose heading (or an
/// element classed as a title) is then the title.
pub(super) fn title_selector(
    links: &[(ElementRef<'_>, ElementRef<'_>, String)],
    link_css: Option<&str>,
) -> String {
    let link_css = link_css.unwrap_or("");
    let inner = links.first().and_then(|(_, link, _)| {
        link.descendent_elements().find(|e| {
            matches!(e.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
                || e.value()
                    .attr("class")
                    .is_some_and(|c| c.to_ascii_lowercase().contains("title"))
        })
    });
    match inner {
        Some(inner) if link_css.is_empty() => shape(inner),
        Some(inner) => format!("{link_css} {}", shape(inner)),
        None if link_css.is_empty() => String::new(),
        None => link_css.to_string(),
    }
}

/// `title` when most link texts are cut short ("…", "...") and the link's `title` attribute
/// holds more.
pub(super) fn title_attribute(
    links: &[(ElementRef<'_>, ElementRef<'_>, String)],
) -> Option<String> {
    let cut = links
        .iter()
        .filter(|(_, link, text)| {
            let short = text.trim_end().ends_with("...") || text.trim_end().ends_with('…');
            let full = link
                .value()
                .attr("title")
                .is_some_and(|t| t.trim().chars().count() > text.chars().count());
            short && full
        })
        .count();
    (cut * 2 > links.len()).then(|| "title".to_string())
}

/// The date's selector (and regex), a format, and the share of items whose date parses.
#[expect(clippy::cast_precision_loss, reason = "item counts are far below 2^52")]
pub(super) fn date_selector(items: &[ElementRef<'_>], now: DateTime<Utc>) -> DateGuess {
    let none = DateGuess {
        field: None,
        format: None,
        share: 0.0,
    };
    let Ok(date_like) = regex::Regex::new(DATE_LIKE) else {
        return none;
    };
    let parses = |text: &str| {
        parse_date_at(text, &[], chrono_tz::Tz::UTC, now).is_ok()
            || matches_format(text, "%m/%d/%Y")
            || matches_format(text, "%d/%m/%Y")
    };
    // Shape → (items with a whole date, items with a date inside, texts).
    let mut shapes: HashMap<String, (usize, usize, Vec<String>)> = HashMap::new();
    for item in items {
        let mut seen = std::collections::HashSet::new();
        for element in item.descendent_elements() {
            let key = shape(element);
            if seen.contains(&key) {
                continue;
            }
            let machine = element.value().attr("datetime").map(str::to_string);
            let text = text_of(element);
            if text.is_empty() || text.chars().count() > 120 {
                continue;
            }
            let entry = shapes.entry(key.clone()).or_default();
            if machine.as_deref().is_some_and(parses)
                || (text.chars().count() <= 40 && parses(&text))
            {
                entry.0 += 1;
                entry.2.push(text);
                seen.insert(key);
            } else if let Some(found) = date_like.find(&text).filter(|m| parses(m.as_str())) {
                entry.1 += 1;
                entry.2.push(found.as_str().to_string());
                seen.insert(key);
            }
        }
    }
    let best = shapes
        .into_iter()
        .map(|(key, (whole, inside, texts))| (whole.max(inside), whole >= inside, key, texts))
        .max_by(|a, b| {
            a.0.cmp(&b.0)
                .then(a.1.cmp(&b.1))
                .then(b.2.len().cmp(&a.2.len()))
                .then(b.2.cmp(&a.2))
        });
    let Some((count, whole, key, texts)) = best.filter(|b| b.0 * 2 >= items.len()) else {
        return none;
    };
    let format = FORMATS
        .iter()
        .find(|f| texts.iter().all(|t| matches_format(t, f)))
        .map(|f| (*f).to_string());
    DateGuess {
        field: Some(DateField {
            selector: key,
            regex: (!whole).then(|| DATE_LIKE.to_string()),
        }),
        format,
        share: count as f64 / items.len() as f64,
    }
}

/// A paragraph-like shape with longer text than the title, in at least 40 % of the items.
pub(super) fn summary_selector(
    links: &[(ElementRef<'_>, ElementRef<'_>, String)],
) -> Option<String> {
    let mut shapes: HashMap<String, usize> = HashMap::new();
    for (item, link, title) in links {
        let mut seen = std::collections::HashSet::new();
        for element in item.descendent_elements() {
            if !matches!(element.value().name(), "p" | "div" | "dd" | "td" | "span") {
                continue;
            }
            // Not the title's container.
            if element.descendent_elements().any(|e| e.id() == link.id()) {
                continue;
            }
            let text = text_of(element);
            let long = text.chars().count() >= 40 && text != *title;
            let key = shape(element);
            if long && seen.insert(key.clone()) {
                *shapes.entry(key).or_default() += 1;
            }
        }
    }
    shapes
        .into_iter()
        .filter(|(_, count)| count * 10 >= links.len() * 4)
        .max_by(|a, b| {
            a.1.cmp(&b.1)
                .then(b.0.len().cmp(&a.0.len()))
                .then(b.0.cmp(&a.0))
        })
        .map(|(key, _)| key)
}
