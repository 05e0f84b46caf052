//! The fields inside a group's items, each chosen by trying it: candidate selectors are run
//! on every item the way a feed run reads them, and the one that reads the most items right
//! (the simplest among equals) is proposed.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use scraper::{ElementRef, Selector};

use super::groups::{classes_of, shape, words_of};
use super::{DateField, DatePlace};
use crate::dates::{matches_format, parse_date_as_of};
use crate::extract::{date_candidates, field_element, title_of};
use crate::spec::{FieldSelector, Scope};
use crate::text::{is_placeholder_link, is_read_more, starts_read_more, text_of};

/// An item and its main link: the one a feed entry should point to.
#[derive(Clone)]
pub(super) struct Linked<'a> {
    pub(super) item: ElementRef<'a>,
    pub(super) link: ElementRef<'a>,
    /// The link's `href` as written.
    pub(super) href: String,
    /// The item's title as a reader would want it.
    pub(super) title: String,
    /// Where the title is when it is not the link's: the heading of an item whose only link
    /// is a "Read more".
    pub(super) title_at: Option<ElementRef<'a>>,
}

const HEADINGS: [&str; 6] = ["h1", "h2", "h3", "h4", "h5", "h6"];

fn is_heading(element: ElementRef<'_>) -> bool {
    HEADINGS.contains(&element.value().name())
}

/// Whether the element's classes call it a title or headline.
fn is_title_class(element: ElementRef<'_>) -> bool {
    element.value().classes().any(|c| {
        let c = c.to_ascii_lowercase();
        c.contains("title") || c.contains("headline") || c.contains("heading")
    })
}

/// What a link says, and whether it says it in words on the page: its text, else its
/// image's `alt`, its `title` or `aria-label`.
fn link_text(link: ElementRef<'_>) -> (String, bool) {
    let text = text_of(link);
    if !text.is_empty() {
        return (text, true);
    }
    let said = link
        .descendent_elements()
        .find(|e| e.value().name() == "img")
        .and_then(|img| img.value().attr("alt"))
        .or_else(|| link.value().attr("title"))
        .or_else(|| link.value().attr("aria-label"))
        .map(crate::text::clean_text)
        .unwrap_or_default();
    (said, false)
}

/// Whether a text is cut short by the site ("…", "...", "..").
fn is_cut(text: &str) -> bool {
    let text = text.trim_end();
    text.ends_with("..") || text.ends_with('…')
}

/// Elements that start a block of text: a card link's parts.
fn is_block(element: ElementRef<'_>) -> bool {
    matches!(
        element.value().name(),
        "div" | "p" | "header" | "section" | "figure" | "figcaption" | "li" | "dl" | "dt" | "dd"
    )
}

/// The element inside a card link that holds the title: a heading, one classed as a title,
/// or the first of several blocks of text (the link's text would run them together).
fn inner_title(link: ElementRef<'_>) -> Option<ElementRef<'_>> {
    let candidates = || {
        link.descendent_elements()
            .filter(|e| !text_of(*e).is_empty())
    };
    candidates()
        .find(|e| is_heading(*e))
        .or_else(|| candidates().find(|e| is_title_class(*e) && e.value().name() != "a"))
        .or_else(|| {
            let blocks: Vec<ElementRef<'_>> = candidates()
                .filter(|e| is_block(*e) && !e.descendent_elements().skip(1).any(is_block))
                .collect();
            (blocks.len() >= 2).then(|| blocks[0])
        })
}

/// Whether a link's text is only a "read more" (or a date, or a number).
fn says_nothing(text: &str) -> bool {
    is_read_more(text)
        || starts_read_more(text)
        || text.chars().filter(|c| c.is_alphanumeric()).count() < 2
        || text.chars().all(|c| !c.is_alphabetic())
}

/// The item's main link: the one whose text says most (a heading's link first), with the
/// title a reader would want for it.
pub(super) fn main_link(item: ElementRef<'_>) -> Option<Linked<'_>> {
    let own = (item.value().name() == "a").then_some(item);
    own.into_iter()
        .chain(
            item.descendent_elements()
                .skip(1)
                .filter(|e| e.value().name() == "a"),
        )
        .filter_map(|a| Some((link_weight(item, a)?, a)))
        // The first of equal weight: the page's order.
        .fold(
            None,
            |best: Option<(usize, ElementRef<'_>)>, next| match &best {
                Some(b) if b.0 >= next.0 => best,
                _ => Some(next),
            },
        )
        .and_then(|(_, link)| linked(item, link))
        .or_else(|| read_more_link(item))
}

/// An item whose only link is a "Read more" (or says nothing), titled by its heading (or an
/// element classed as a title, or bold text) when it has one.
fn read_more_link(item: ElementRef<'_>) -> Option<Linked<'_>> {
    let link = item
        .descendent_elements()
        .filter(|e| e.value().name() == "a")
        .find(|a| {
            a.value()
                .attr("href")
                .is_some_and(|h| !is_placeholder_link(h.trim()))
        })?;
    let title_at = item.descendent_elements().skip(1).find(|e| {
        let name = e.value().name();
        (is_heading(*e) || is_title_class(*e) || matches!(name, "strong" | "b"))
            && name != "a"
            && !e.descendent_elements().any(|d| d.value().name() == "a")
            && !says_nothing(&text_of(*e))
    })?;
    Some(Linked {
        item,
        link,
        href: link.value().attr("href")?.trim().to_string(),
        title: text_of(title_at),
        title_at: Some(title_at),
    })
}

/// How much the link `a` of `item` looks like the item's title link; `None` for a link that
/// says nothing ("Read more", a number) or leads nowhere.
fn link_weight(item: ElementRef<'_>, a: ElementRef<'_>) -> Option<usize> {
    let href = a.value().attr("href")?.trim();
    if is_placeholder_link(href) {
        return None;
    }
    let (text, in_words) = link_text(a);
    if says_nothing(&text) {
        return None;
    }
    let in_heading = std::iter::successors(Some(a), |e| {
        e.parent()
            .and_then(ElementRef::wrap)
            .filter(|p| p.id() != item.id())
    })
    .any(|e| is_heading(e) || is_title_class(e))
        || a.descendent_elements().any(is_heading);
    // An image's `alt` is a title only when no link says one in words.
    Some(if in_words {
        text.chars().count().min(200) + if in_heading { 60 } else { 0 }
    } else {
        text.chars().count().min(200) / 4
    })
}

/// `item` with `link` as its main link, and the title a reader would want for it; `None`
/// when the link says nothing.
pub(super) fn linked<'a>(item: ElementRef<'a>, link: ElementRef<'a>) -> Option<Linked<'a>> {
    link_weight(item, link)?;
    let href = link.value().attr("href")?.trim().to_string();
    let (text, _) = link_text(link);
    let title = match inner_title(link) {
        Some(inner) if link.id() != item.id() || inner.id() != link.id() => text_of(inner),
        _ => text,
    };
    // A title the site cut short is whole in the link's `title` attribute.
    let title = match link.value().attr("title").map(crate::text::clean_text) {
        Some(full) if is_cut(&title) && full.chars().count() > title.chars().count() => full,
        _ => title,
    };
    Some(Linked {
        item,
        link,
        href,
        title,
        title_at: None,
    })
}

/// A field read from inside each item by `css`, as a feed reads it.
pub(super) fn field(css: &str, attr: Option<&str>) -> Option<FieldSelector> {
    let selector = if css.is_empty() {
        None
    } else {
        Some(Selector::parse(css).ok()?)
    };
    Some(FieldSelector {
        scope: Scope::Item,
        selector,
        css: css.to_string(),
        attr: attr.map(str::to_string),
        path: None,
        regex: None,
        replace: Vec::new(),
        template: None,
    })
}

/// The first of `candidates` (in order) that reads the most items right, by `right`.
pub(super) fn best_by<'c>(
    candidates: impl IntoIterator<Item = &'c String>,
    right: impl Fn(&str) -> usize,
) -> Option<(String, usize)> {
    let mut best: Option<(String, usize)> = None;
    for css in candidates {
        let hits = right(css);
        if best.as_ref().is_none_or(|(_, b)| hits > *b) {
            best = Some((css.clone(), hits));
        }
    }
    best
}

/// Candidate selectors for the element `target` inside `item`, most telling first.
pub(super) fn selectors_for(item: ElementRef<'_>, target: ElementRef<'_>) -> Vec<String> {
    let tag = target.value().name();
    let mut out = Vec::new();
    let parent = target.parent().and_then(ElementRef::wrap);
    let heading = std::iter::successors(parent, |e| e.parent().and_then(ElementRef::wrap))
        .take_while(|e| e.id() != item.id())
        .find(|e| is_heading(*e));
    if let Some(heading) = heading {
        out.push(format!("{} {tag}", shape(heading)));
        out.push(format!("{} {tag}", heading.value().name()));
    }
    for class in classes_of(target) {
        out.push(format!("{tag}.{class}"));
    }
    if let Some(inner) = target.descendent_elements().find(|e| is_heading(*e)) {
        out.push(format!("{tag}:has({})", inner.value().name()));
    }
    if let Some(parent) = parent.filter(|p| p.id() != item.id()) {
        let parent_shape = shape(parent);
        out.push(format!("{parent_shape} > {tag}"));
        out.push(format!("{parent_shape} {tag}"));
    }
    out.push(tag.to_string());
    // Unclassed cells: by position.
    if parent.is_some_and(|p| p.id() == item.id()) && target.value().classes().next().is_none() {
        let position = target
            .prev_siblings()
            .filter(|s| s.value().is_element())
            .count()
            + 1;
        out.push(format!("{tag}:nth-child({position})"));
    }
    out.dedup();
    out
}

/// The link's selector relative to each item (`None`: the item is the link), chosen by
/// vote: the one whose first match is a link that says something in the most items (the
/// longer texts among equals), and the items re-read with it.
pub(super) fn link_selector<'a>(links: &[Linked<'a>]) -> Option<(Option<String>, Vec<Linked<'a>>)> {
    if links.iter().all(|l| l.item.id() == l.link.id()) {
        return Some((None, links.to_vec()));
    }
    let mut candidates: Vec<String> = Vec::new();
    for linked in links.iter().take(10) {
        for css in selectors_for(linked.item, linked.link) {
            if !candidates.contains(&css) {
                candidates.push(css);
            }
        }
    }
    let read = |css: &str| -> Vec<Linked<'a>> {
        let Some(field) = field(css, None) else {
            return Vec::new();
        };
        links
            .iter()
            .filter_map(|l| {
                let element = field_element(l.item, &field)?;
                let a = if element.value().name() == "a" {
                    element
                } else {
                    element
                        .descendent_elements()
                        .find(|e| e.value().name() == "a")?
                };
                // A "Read more" link is the link of an item titled elsewhere.
                linked(l.item, a)
                    .or_else(|| (l.title_at.is_some() && a.id() == l.link.id()).then(|| l.clone()))
            })
            .collect()
    };
    let mut best: Option<(String, Vec<Linked<'a>>, usize)> = None;
    for css in &candidates {
        let found = read(css);
        let length: usize = found
            .iter()
            .filter_map(|l| link_weight(l.item, l.link))
            .sum();
        let better = best.as_ref().is_none_or(|(_, b, b_length)| {
            found.len() > b.len() || (found.len() == b.len() && length > *b_length)
        });
        if better {
            best = Some((css.clone(), found, length));
        }
    }
    best.map(|(css, found, _)| (Some(css), found))
}

/// The title's selector and attribute, and how many items they read right.
pub(super) fn title_selector(
    links: &[Linked<'_>],
    link_css: Option<&str>,
) -> (String, Option<String>, usize) {
    let link_css = link_css.unwrap_or("");
    let mut candidates: Vec<(String, Option<String>)> = vec![(link_css.to_string(), None)];
    for linked in links.iter().take(5) {
        if let Some(inner) = inner_title(linked.link).filter(|i| i.id() != linked.link.id()) {
            let inner_shape = shape(inner);
            for css in [
                inner_shape.clone(),
                inner.value().name().to_string(),
                format!("{link_css} {inner_shape}").trim().to_string(),
            ] {
                candidates.push((css, None));
            }
        }
    }
    for linked in links.iter().take(5) {
        if let Some(title_at) = linked.title_at {
            for css in selectors_for(linked.item, title_at) {
                candidates.push((css, None));
            }
        }
    }
    candidates.push((link_css.to_string(), Some("title".to_string())));
    candidates.dedup();
    let mut best = (link_css.to_string(), None, 0);
    for (css, attr) in candidates {
        let Some(field) = field(&css, attr.as_deref()) else {
            continue;
        };
        let hits = links
            .iter()
            .filter(|l| {
                field_element(l.item, &field)
                    .and_then(|e| title_of(e, &field))
                    .is_some_and(|t| t == l.title)
            })
            .count();
        if hits > best.2 {
            best = (css, attr, hits);
        }
    }
    best
}

/// What the dates of a group look like.
pub(super) struct DateGuess {
    pub(super) field: Option<DateField>,
    pub(super) format: Option<String>,
    /// Whether some dates lie ahead of the page's time (events, on-sale dates).
    pub(super) future: bool,
    /// Share of the items whose date was found.
    pub(super) share: f64,
}

impl DateGuess {
    fn none() -> Self {
        DateGuess {
            field: None,
            format: None,
            future: false,
            share: 0.0,
        }
    }
}

/// Date forms to cut out of longer text ("Posted on March 12, 2024 by Staff").
pub(super) const DATE_LIKE: &str = r"(\d{4}-\d{1,2}-\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日|\d{1,2}\.? ?[^\s\d,.:;()]{3,}\.?,? \d{4}|[^\s\d,.:;()]{3,}\.? \d{1,2},? \d{4}|\d{1,2}[./]\d{1,2}[./]\d{4}|\d{4}[./]\d{1,2}[./]\d{1,2})";

/// Dates in a link's path (`/2016/03/10/slug`, `/2016/0422/106.html`, `/2016-03-10-slug`).
const URL_DATES: &[&str] = &[
    r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/",
    r"/((?:19|20)\d{2})/(\d{2})(\d{2})/",
    r"/((?:19|20)\d{2})(\d{2})(\d{2})/",
    r"[/_-]((?:19|20)\d{2})-(\d{2})-(\d{2})[/_.-]",
];

/// Formats offered as `date_formats` when one reads every date found.
const FORMATS: &[&str] = &[
    "%d %B %Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%Y.%m.%d",
    "%d. %B %Y",
    "%m/%d/%Y",
    "%d/%m/%Y",
];

/// Reads dates as a feed of this page would (without its own formats), as of `now`.
struct DateReader {
    now: DateTime<Utc>,
    date_like: regex::Regex,
}

impl DateReader {
    /// The date `text` gives, and whether it lies ahead of the page's time.
    fn read(&self, text: &str) -> Option<DateTime<chrono::FixedOffset>> {
        if text.chars().count() > 200 {
            return None;
        }
        parse_date_as_of(text, &[], chrono_tz::Tz::UTC, (self.now, true))
            .ok()
            .map(|d| d.date)
    }

    /// The first date of `candidates`, whole, or cut by [`DATE_LIKE`].
    fn read_any(&self, candidates: &[String], cut: bool) -> Option<(String, bool)> {
        candidates.iter().find_map(|c| {
            if !cut {
                return self.read(c).map(|_| (c.clone(), true));
            }
            let found = self.date_like.find_iter(c).last()?;
            self.read(found.as_str())
                .map(|_| (found.as_str().to_string(), false))
        })
    }
}

/// The date's place (and regex), a format, and the share of items whose date parses.
#[expect(clippy::cast_precision_loss, reason = "item counts are far below 2^52")]
pub(super) fn date_field(links: &[Linked<'_>], now: DateTime<Utc>, day_first: bool) -> DateGuess {
    let Ok(date_like) = regex::Regex::new(DATE_LIKE) else {
        return DateGuess::none();
    };
    let reader = DateReader { now, date_like };
    let wanted = links.len().div_ceil(2).max(2);
    // Candidate selectors, by how many items have an element they match with a date in it.
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for linked in links.iter().take(40) {
        let mut seen = std::collections::HashSet::new();
        for element in linked.item.descendent_elements().skip(1) {
            let text = text_of(element);
            let machine = element.value().attr("datetime").is_some()
                || element.value().attr("content").is_some();
            if !machine && (text.is_empty() || !text.chars().any(|c| c.is_ascii_digit())) {
                continue;
            }
            if !machine && text.chars().count() > 300 {
                continue;
            }
            for css in selectors_for(linked.item, element) {
                if seen.insert(css.clone()) {
                    if !counts.contains_key(&css) {
                        order.push(css.clone());
                    }
                    *counts.entry(css).or_default() += 1;
                }
            }
        }
    }
    // The item's own text ("14 March 2024 – <a>Title</a>"): the date is cut out of it.
    order.push(String::new());
    counts.insert(String::new(), links.len());
    let sample = links.len().min(40);
    let mut best: Option<(usize, bool, String, Vec<String>)> = None;
    for css in order
        .iter()
        .filter(|css| counts.get(*css).copied().unwrap_or(0) * 2 >= sample)
    {
        let Some(field) = field(css, None) else {
            continue;
        };
        for cut in [false, true] {
            let texts: Vec<String> = links
                .iter()
                .filter_map(|l| {
                    let element = field_element(l.item, &field)?;
                    // The title's own element holds a date only as part of the title
                    // ("(May 2, 2024)"): it is cut out, never read whole.
                    let titled = element.id() == l.link.id()
                        || element.descendent_elements().any(|d| d.id() == l.link.id());
                    if titled && !cut {
                        return None;
                    }
                    reader
                        .read_any(&date_candidates(element, &field), cut)
                        .map(|(text, _)| text)
                })
                .collect();
            // Among equals, the first date of the item (a thread's start, not its last
            // reply), unless the new one is inside it (less text around the date).
            let inside = |outer: &str| {
                let (Some(first), Some(outer)) = (links.first(), self::field(outer, None)) else {
                    return false;
                };
                match (
                    field_element(first.item, &outer),
                    field_element(first.item, &field),
                ) {
                    (Some(outer), Some(inner)) => {
                        outer.id() != inner.id() && inner.ancestors().any(|a| a.id() == outer.id())
                    }
                    _ => false,
                }
            };
            let better = best.as_ref().is_none_or(|(hits, whole, b, _)| {
                texts.len() > *hits
                    || (texts.len() == *hits && !cut && !*whole)
                    || (texts.len() == *hits && cut != *whole && inside(b))
            });
            if texts.len() >= wanted && better {
                best = Some((texts.len(), !cut, css.clone(), texts));
            }
        }
    }
    let guess = match best {
        Some((_, whole, css, texts)) => Some(found(
            DatePlace::Inside(css),
            (!whole).then(|| DATE_LIKE.to_string()),
            texts,
        )),
        None => sibling_date(links, &reader, wanted)
            .or_else(|| url_date(links, &reader, wanted))
            .or_else(|| heading_date(links, &reader, wanted)),
    };
    let Some((field, hits, texts)) = guess else {
        return DateGuess::none();
    };
    let later = now + Duration::days(1);
    let future = texts
        .iter()
        .filter_map(|t| reader.read(t))
        .any(|d| d > later);
    let readable = |f: &&str| texts.iter().all(|t| matches_format(t, f));
    let format = match (readable(&"%m/%d/%Y"), readable(&"%d/%m/%Y")) {
        // Both orders read every date: the page's language says which it is.
        (true, true) if day_first => Some("%d/%m/%Y"),
        (true, true) => Some("%m/%d/%Y"),
        _ => FORMATS.iter().copied().find(|f| readable(f)),
    }
    .filter(|_| field.place != DatePlace::Link);
    DateGuess {
        field: Some(field),
        format: format.map(str::to_string),
        future,
        share: hits as f64 / links.len() as f64,
    }
}

/// A date field found, with how many items it reads and the date texts it read.
type Found = (DateField, usize, Vec<String>);

fn found(place: DatePlace, regex: Option<String>, texts: Vec<String>) -> Found {
    (
        DateField {
            place,
            attr: None,
            regex,
        },
        texts.len(),
        texts,
    )
}

/// The item's following siblings up to the next item (of its shape): where a `dt`'s `dd`
/// or a heading's paragraphs are.
fn following<'a>(item: ElementRef<'a>) -> impl Iterator<Item = ElementRef<'a>> {
    let item_shape = shape(item);
    item.next_siblings()
        .filter_map(ElementRef::wrap)
        .take_while(move |s| shape(*s) != item_shape)
        .take(6)
}

/// A date in an element after the item, before the next one (`<dt>` title, `<dd>` date):
/// `"~ dd.date"`.
fn sibling_date(links: &[Linked<'_>], reader: &DateReader, wanted: usize) -> Option<Found> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for linked in links.iter().take(40) {
        let mut seen = std::collections::HashSet::new();
        for sibling in following(linked.item) {
            for element in sibling.descendent_elements() {
                let text = text_of(element);
                if text.chars().count() > 80 || reader.read(&text).is_none() {
                    continue;
                }
                let mut forms = vec![shape(element), element.value().name().to_string()];
                forms.extend(
                    classes_of(element)
                        .into_iter()
                        .map(|c| format!("{}.{c}", element.value().name())),
                );
                for css in forms {
                    if seen.insert(css.clone()) {
                        if !counts.contains_key(&css) {
                            order.push(css.clone());
                        }
                        *counts.entry(css).or_default() += 1;
                    }
                }
            }
        }
    }
    let mut best: Option<(String, Vec<String>)> = None;
    for css in order
        .iter()
        .filter(|css| counts[*css] >= wanted.min(links.len()))
    {
        let Ok(selector) = Selector::parse(css) else {
            continue;
        };
        let texts: Vec<String> = links
            .iter()
            .filter_map(|l| {
                let element = following(l.item).find_map(|sibling| {
                    if selector.matches(&sibling) {
                        Some(sibling)
                    } else {
                        sibling.select(&selector).next()
                    }
                })?;
                let text = text_of(element);
                reader.read(&text).map(|_| text)
            })
            .collect();
        if texts.len() >= wanted && best.as_ref().is_none_or(|(_, b)| texts.len() > b.len()) {
            best = Some((css.clone(), texts));
        }
    }
    let following = best.map(|(css, texts)| found(DatePlace::Following(css), None, texts));
    // The element just before each item (`<dt>` date, `<dd>` title): the last one before it
    // in page order, `{ before = "dt" }`. The following one then is the next item's.
    let preceding = preceding_sibling_date(links, reader, wanted);
    match (following, preceding) {
        (Some(f), Some(p)) if p.1 > f.1 => Some(p),
        (Some(f), _) => Some(f),
        (None, p) => p,
    }
}

/// A date in the element just before each item, of one shape in most items.
fn preceding_sibling_date(
    links: &[Linked<'_>],
    reader: &DateReader,
    wanted: usize,
) -> Option<Found> {
    fn previous(item: ElementRef<'_>) -> Option<ElementRef<'_>> {
        item.prev_siblings()
            .find_map(ElementRef::wrap)
            .filter(|p| shape(*p) != shape(item))
    }
    let mut shapes: HashMap<String, Vec<String>> = HashMap::new();
    for linked in links {
        let Some(before) = previous(linked.item) else {
            continue;
        };
        let text = text_of(before);
        if text.chars().count() <= 80 && reader.read(&text).is_some() {
            shapes.entry(shape(before)).or_default().push(text);
        }
    }
    let (css, texts) = shapes
        .into_iter()
        .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(&a.0)))?;
    (texts.len() >= wanted).then(|| found(DatePlace::Before(css), None, texts))
}

/// A date in the items' link paths: `{ from = "link", regex = … }`.
fn url_date(links: &[Linked<'_>], reader: &DateReader, wanted: usize) -> Option<Found> {
    URL_DATES.iter().find_map(|pattern| {
        let regex = regex::Regex::new(pattern).ok()?;
        let texts: Vec<String> = links
            .iter()
            .filter_map(|l| {
                let captures = regex.captures(&l.href)?;
                let text = captures
                    .iter()
                    .skip(1)
                    .flatten()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join("-");
                reader.read(&text).map(|_| text)
            })
            .collect();
        (texts.len() >= wanted).then(|| found(DatePlace::Link, Some((*pattern).to_string()), texts))
    })
}

/// A date in the heading of each item's group (`<h3>May 2024</h3><ul>…`): the nearest element
/// before the item, outside it, whose text is a date: `{ before = … }`.
fn heading_date(links: &[Linked<'_>], reader: &DateReader, wanted: usize) -> Option<Found> {
    let mut shapes: HashMap<String, usize> = HashMap::new();
    let mut headings = std::collections::HashSet::new();
    for linked in links {
        let Some(heading) = preceding_date(linked.item, reader) else {
            continue;
        };
        headings.insert(heading.id());
        *shapes.entry(shape(heading)).or_default() += 1;
    }
    // A group's heading heads several items; one per item is part of the item.
    if headings.len() * 4 > links.len() * 3 {
        return None;
    }
    let (css, _) = shapes
        .into_iter()
        .filter(|(_, n)| *n >= wanted)
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
    let selector = Selector::parse(&css).ok()?;
    let texts: Vec<String> = links
        .iter()
        .filter_map(|l| {
            let heading = preceding_date(l.item, reader)?;
            selector
                .matches(&heading)
                .then(|| text_of(heading))
                .filter(|t| reader.read(t).is_some())
        })
        .collect();
    (texts.len() >= wanted).then(|| found(DatePlace::Before(css), None, texts))
}

/// The nearest element before `item` (its earlier siblings', its ancestors' earlier
/// siblings', three levels up) whose short text reads as a date: the innermost such element.
fn preceding_date<'a>(item: ElementRef<'a>, reader: &DateReader) -> Option<ElementRef<'a>> {
    let item_shape = shape(item);
    std::iter::successors(Some(item), |e| e.parent().and_then(ElementRef::wrap))
        .take(4)
        .find_map(|level| {
            level
                .prev_siblings()
                .filter_map(ElementRef::wrap)
                .filter(|s| shape(*s) != item_shape)
                .take(6)
                .find_map(|sibling| {
                    let text = text_of(sibling);
                    if text.chars().count() > 120 || reader.read(&text).is_none() {
                        return None;
                    }
                    // The innermost element with the same text.
                    let mut inner = sibling;
                    while let Some(child) = inner.child_elements().find(|c| text_of(*c) == text) {
                        inner = child;
                    }
                    Some(inner)
                })
        })
}

/// A paragraph-like element with longer text than the title, in at least 40 % of the items,
/// that is not the title's, the date's or a share box's.
pub(super) fn summary_selector(links: &[Linked<'_>], date_css: Option<&str>) -> Option<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for linked in links.iter().take(40) {
        let mut seen = std::collections::HashSet::new();
        for element in linked.item.descendent_elements().skip(1) {
            if !matches!(
                element.value().name(),
                "p" | "div" | "dd" | "td" | "span" | "a" | "section"
            ) {
                continue;
            }
            if element
                .descendent_elements()
                .any(|e| e.id() == linked.link.id())
                || element.id() == linked.link.id()
                || words_of(element)
                    .iter()
                    .any(|w| w.contains("share") || w.contains("social"))
            {
                continue;
            }
            let text = text_of(element);
            if text.chars().count() < 40 || text == linked.title {
                continue;
            }
            for css in selectors_for(linked.item, element) {
                if Some(css.as_str()) == date_css || css == "a" {
                    continue;
                }
                if seen.insert(css.clone()) {
                    if !counts.contains_key(&css) {
                        order.push(css.clone());
                    }
                    *counts.entry(css).or_default() += 1;
                }
            }
        }
    }
    let sample = links.len().min(40);
    let candidates: Vec<String> = order
        .into_iter()
        .filter(|css| counts.get(css).copied().unwrap_or(0) * 10 >= sample * 4)
        .collect();
    let date = date_css.and_then(|css| field(css, None));
    let (css, hits) = best_by(&candidates, |css| {
        let Some(field) = field(css, None) else {
            return 0;
        };
        links
            .iter()
            .filter(|l| {
                let date = date.as_ref().and_then(|d| field_element(l.item, d));
                field_element(l.item, &field).is_some_and(|e| {
                    let text = text_of(e);
                    if date.is_some_and(|d| {
                        d.id() == e.id() || d.ancestors().any(|a| a.id() == e.id())
                    }) {
                        return false;
                    }
                    text.chars().count() >= 40
                        && text != l.title
                        && !e.descendent_elements().any(|d| d.id() == l.link.id())
                        && !is_read_more(&text)
                })
            })
            .count()
    })?;
    (hits * 10 >= links.len() * 4).then_some(css)
}
