//! Items: what a listing entry becomes once cleaned, validated, dated and given a stable id
//! ([`PageItem`]), and what a feed publishes from the history ([`FeedItem`]).

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use url::Url;

use crate::dates::{DateError, PageDate, parse_date_as_of};
use crate::extract::{Detail, Extraction, RawItem};
use crate::spec::{FeedSpec, SummaryFormat};
use crate::text::{LinkError, clean_text, escape_html, resolve_link, sanitise_html};

/// One entry as a page gave it, ready for the history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageItem {
    /// Stable id: the item's absolute link (or, without one, the page's with a hash).
    pub id: String,
    /// Title, plain text.
    pub title: String,
    /// Absolute http(s) link.
    pub link: String,
    /// Summary: plain text, or sanitised HTML when the feed publishes HTML.
    pub summary: Option<String>,
    /// When the page says the item was published; `None` when it gives no usable date.
    pub date: Option<DateTime<FixedOffset>>,
    /// Whether `date` was worked out from the run's time (a relative date, a date without a
    /// year): the history keeps the first one instead of letting it drift.
    pub date_inferred: bool,
    /// Full text from the item's own page (sanitised HTML), when `[feed.detail]` reads it.
    pub content: Option<String>,
    /// Author from the item's own page.
    pub author: Option<String>,
    /// Image (absolute URL): the listing's, or the item's own page's.
    pub image: Option<String>,
    /// Categories, each once.
    pub categories: Vec<String>,
    /// Enclosures (absolute http(s) URLs), in page order.
    pub enclosures: Vec<Enclosure>,
    /// Whether the item's own page has been read (it is read once).
    pub detail_done: bool,
    /// Whether reading the item's own page failed this run (it is tried again later, after
    /// a pause that grows with each failure).
    pub detail_failed: bool,
    /// 1-based position on the page.
    pub position: usize,
}

/// One entry of a feed, as the history publishes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedItem {
    /// Stable id.
    pub id: String,
    /// Title, plain text.
    pub title: String,
    /// Absolute http(s) link.
    pub link: String,
    /// Summary: plain text, or sanitised HTML when the feed publishes HTML.
    pub summary: Option<String>,
    /// When it was published (by the page, or when first seen); `None` only for a history
    /// entry that no longer reads as a date.
    pub date: Option<DateTime<FixedOffset>>,
    /// When its title or summary last changed after it was first seen, if ever.
    pub updated: Option<DateTime<FixedOffset>>,
    /// Full text (sanitised HTML).
    pub content: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Image (absolute URL).
    pub image: Option<String>,
    /// Categories.
    pub categories: Vec<String>,
    /// Enclosures.
    pub enclosures: Vec<Enclosure>,
}

impl PageItem {
    /// What `[feed.filter]` matches of the item.
    pub fn filter_view(&self) -> crate::spec::FilterItem<'_> {
        crate::spec::FilterItem {
            title: &self.title,
            summary: self.summary.as_deref(),
            link: &self.link,
            categories: &self.categories,
        }
    }
}

/// A file an item links to as its attachment (a PDF, a recording): an RSS `enclosure`, an
/// Atom `link rel="enclosure"`, a JSON Feed attachment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Enclosure {
    /// Absolute http(s) URL.
    pub url: String,
    /// Media type: configured, or from the link's extension
    /// (`application/octet-stream` when it says none).
    #[serde(rename = "type")]
    pub mime_type: String,
    /// Size in bytes, when known (it is never fetched to find out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
}

/// Most categories an item keeps.
const MAX_CATEGORIES: usize = 16;
/// Most enclosures an item keeps.
const MAX_ENCLOSURES: usize = 8;

impl Enclosure {
    /// The enclosure at `href` (resolved against `base`), of `mime_type` or the type its
    /// extension says; `None` when it is no http(s) link.
    fn of(href: &str, base: &Url, mime_type: Option<&str>) -> Option<Enclosure> {
        let url = resolve_link(base, href).ok()?;
        let mime_type = match mime_type {
            Some(given) => given.to_string(),
            None => {
                let path = Url::parse(&url).ok()?.path().to_string();
                mime_guess::from_path(&path)
                    .first_raw()
                    .unwrap_or("application/octet-stream")
                    .to_string()
            }
        };
        Some(Enclosure {
            url,
            mime_type,
            length: None,
        })
    }
}

/// Which field made an item unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemField {
    /// The title.
    Title,
    /// The link.
    Link,
}

impl fmt::Display for ItemField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ItemField::Title => "title",
            ItemField::Link => "link",
        })
    }
}

/// Why an item was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The title selector found no text (`None`: the selector is the item element).
    NoTitle(Option<String>),
    /// The link is not one a feed can carry.
    BadLink(LinkError),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NoTitle(Some(css)) => write!(f, "\"{css}\" finds no text in the item"),
            SkipReason::NoTitle(None) => f.write_str("the item element finds no text in the item"),
            SkipReason::BadLink(error) => write!(f, "{error}"),
        }
    }
}

/// Something wrong with one item; the feed goes on without it (or without its date).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemWarning {
    /// The item lacks a title or a usable link and is left out.
    #[error(
        "item {position}{}: field \"{field}\": {reason}; the item is skipped",
        describe(title, link)
    )]
    Skipped {
        /// Position on the page.
        position: usize,
        /// The title, when there is one.
        title: Option<String>,
        /// The link as written, when there is one.
        link: Option<String>,
        /// The field at fault.
        field: ItemField,
        /// What is wrong.
        reason: SkipReason,
    },
    /// The item's date could not be parsed; it is kept undated.
    #[error("item {position} \"{title}\": field \"date\": {source}; the item is kept undated")]
    BadDate {
        /// Position on the page.
        position: usize,
        /// The item's title.
        title: String,
        /// The parse failure, quoting the text.
        #[source]
        source: DateError,
    },
    /// The item's date is more than a day after the page was read (a typo, a
    /// placeholder like 9999-12-31, an event's date): it would sit above every newer item, so
    /// the item is dated when first seen instead.
    #[error(
        "item {position} \"{title}\": field \"date\": {date} is more than a day after the page was read; the item is dated when first seen"
    )]
    FutureDate {
        /// Position on the page.
        position: usize,
        /// The item's title.
        title: String,
        /// The date the page gives (RFC 3339).
        date: String,
    },
    /// The item has no link: it links to the listing page, with an id from its title and date.
    #[error(
        "item {position} \"{title}\": field \"link\": no link found; the item links to the page, with an id from its title and date"
    )]
    Linkless {
        /// Position on the page.
        position: usize,
        /// The item's title.
        title: String,
    },
    /// A JSON field whose value is an array or an object where text is expected: the field
    /// is left out (and the item too when it is the title or the link).
    #[error(
        "item {position}{}: field \"{field}\": \"{path}\" is {found}, not text; the field is left out",
        describe(title, link)
    )]
    WrongType {
        /// Position on the page.
        position: usize,
        /// The title, when there is one.
        title: Option<String>,
        /// The link as written, when there is one.
        link: Option<String>,
        /// The field: `title`, `link`, `date` or `summary`.
        field: &'static str,
        /// The field's JSONPath.
        path: String,
        /// What the value is (`an array`, `an object`).
        found: &'static str,
    },
    /// A second item with the same link and title; the first one is kept.
    #[error(
        "item {position} \"{title}\": field \"link\": {link} was already listed by item {first}; the repeat is skipped"
    )]
    Duplicate {
        /// Position on the page.
        position: usize,
        /// The item's title.
        title: String,
        /// The shared link.
        link: String,
        /// Position of the item kept.
        first: usize,
    },
    /// A field's `replace` or `template` left nothing but whitespace: the field keeps its
    /// value from before that rewrite.
    #[error(
        "item {position}{}: field \"{field}\": its `{rewrite}` leaves nothing; the value from before it is kept",
        describe(title, link)
    )]
    EmptyRewrite {
        /// Position on the page.
        position: usize,
        /// The title, when there is one.
        title: Option<String>,
        /// The link as written, when there is one.
        link: Option<String>,
        /// The field: `title`, `link`, `date` or `summary`.
        field: &'static str,
        /// The rewrite: `replace` or `template`.
        rewrite: &'static str,
    },
}

fn describe(title: &Option<String>, link: &Option<String>) -> String {
    match (title, link) {
        (Some(t), _) => format!(" \"{t}\""),
        (None, Some(l)) => format!(" (link {l})"),
        (None, None) => String::new(),
    }
}

/// How far after the page was read a date may be (time zones, a clock a little ahead); later
/// ones are not taken as publication dates.
pub(crate) const FUTURE_SLACK: TimeDelta = TimeDelta::days(1);

/// Whether `date` is too far after `now` to be a publication date.
pub(crate) fn is_future(date: DateTime<FixedOffset>, now: DateTime<Utc>) -> bool {
    date.with_timezone(&Utc) > now + FUTURE_SLACK
}

/// How many items had each field, for `check`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldCounts {
    /// Elements the item selector matched.
    pub matched: usize,
    /// Items with a title.
    pub title: usize,
    /// Items with a usable link.
    pub link: usize,
    /// Items with date text.
    pub date_found: usize,
    /// Items whose date parsed.
    pub date_parsed: usize,
    /// Items with a summary.
    pub summary: usize,
}

/// The items a page gave, with what went wrong on the way.
#[derive(Debug, Clone, Default)]
pub struct PageItems {
    /// Usable items, in page order, ids unique.
    pub items: Vec<PageItem>,
    /// Problems with single items.
    pub warnings: Vec<ItemWarning>,
    /// Per-field counts. `matched` and the date counts cover every matched element; the others
    /// cover the items read (all of them, except when a page lists more dated items than the
    /// feed publishes: then only the newest are read, see `read_items`).
    pub counts: FieldCounts,
}

/// The id of an item without a link: the page's address and a hash of its title and date
/// text, stable across runs.
fn linkless_id(spec: &FeedSpec, title: &str, date_text: &str) -> String {
    let hash = crate::digest::content_hash(title, Some(date_text));
    format!("{}#pressfeed-{hash}", spec.page_url)
}

/// The id of an item whose link an earlier item of the page with another title has (two
/// release rows pointing at one notes page): the link without its fragment, and a hash of
/// the title and link, stable across runs. The first item keeps the link itself as its id.
pub(crate) fn shared_link_id(link: &str, title: &str) -> String {
    let hash = crate::digest::content_hash(title, Some(link));
    let bare = link.split_once('#').map_or(link, |(bare, _)| bare);
    format!("{bare}#pressfeed-{hash}")
}

/// Cleans, validates and dates what extraction found; relative dates are read as of `now`.
pub fn build_items(extraction: Extraction, spec: &FeedSpec, now: DateTime<Utc>) -> PageItems {
    let mut built = PageItems {
        counts: FieldCounts {
            matched: extraction.items.len(),
            ..FieldCounts::default()
        },
        ..PageItems::default()
    };
    // Id → position and title of the item that first had it.
    let mut seen: HashMap<String, (usize, String)> = HashMap::new();
    let base_url = &extraction.base_url;
    for mut raw in extraction.items {
        for wrong in std::mem::take(&mut raw.wrong_types) {
            built.warnings.push(ItemWarning::WrongType {
                position: raw.position,
                title: raw.title.clone(),
                link: raw.link.clone(),
                field: wrong.field,
                path: wrong.path,
                found: wrong.found,
            });
        }
        // A linkless id is made from the title and date as found: a changed rewrite keeps it.
        let found_title = raw.title.clone();
        let found_date = raw.dates.first().cloned().unwrap_or_default();
        rewrite(&mut raw, spec, base_url, &mut built.warnings);
        // Extraction returns clean, non-empty text.
        let title = raw.title.take();
        let link = raw.link.as_deref().map(|href| resolve_link(base_url, href));
        built.counts.title += usize::from(title.is_some());
        built.counts.link += usize::from(matches!(link, Some(Ok(_))));
        built.counts.date_found += usize::from(!raw.dates.is_empty());
        let summary = summary_of(raw.summary.take(), spec, base_url);
        built.counts.summary += usize::from(summary.is_some());
        let (title, link, linkless) = match (title, link) {
            (Some(title), Some(Ok(link))) => (title, link, false),
            // No link at all: the item links to the page, with an id of its own.
            (Some(title), None) => (title, spec.page_url.to_string(), true),
            (title, link) => {
                let error = link.and_then(Result::err);
                built.warnings.push(skipped(&raw, title, error, spec));
                continue;
            }
        };
        let date = match parse_dates(&raw.dates, spec, now) {
            Ok(Some(date)) if !spec.future_dates && is_future(date.date, now) => {
                built.counts.date_parsed += 1;
                built.warnings.push(ItemWarning::FutureDate {
                    position: raw.position,
                    title: title.clone(),
                    date: date.date.to_rfc3339(),
                });
                None
            }
            Ok(date) => {
                built.counts.date_parsed += usize::from(date.is_some());
                date
            }
            Err(source) => {
                built.warnings.push(ItemWarning::BadDate {
                    position: raw.position,
                    title: title.clone(),
                    source,
                });
                None
            }
        };
        let mut id = if linkless {
            linkless_id(spec, found_title.as_deref().unwrap_or(&title), &found_date)
        } else {
            link.clone()
        };
        // Another item with this link: the same title is a repeat, another is an item of
        // its own.
        if !linkless
            && seen
                .get(&id)
                .is_some_and(|(_, first_title)| *first_title != title)
        {
            id = shared_link_id(&link, &title);
        }
        if let Some(&(first, _)) = seen.get(&id) {
            built.warnings.push(ItemWarning::Duplicate {
                position: raw.position,
                title,
                link,
                first,
            });
            continue;
        }
        if linkless {
            built.warnings.push(ItemWarning::Linkless {
                position: raw.position,
                title: title.clone(),
            });
        }
        seen.insert(id.clone(), (raw.position, title.clone()));
        built.items.push(PageItem {
            id,
            title,
            link,
            summary,
            date: date.map(|d| d.date),
            date_inferred: date.is_some_and(|d| d.inferred),
            content: None,
            author: raw.author.take(),
            image: raw
                .image
                .as_deref()
                .and_then(|src| resolve_link(base_url, src).ok()),
            categories: take_categories(&mut raw.categories),
            enclosures: enclosures(&raw.enclosures, base_url, spec),
            detail_done: false,
            detail_failed: false,
            position: raw.position,
        });
    }
    built
}

/// The categories found, each once (case aside), at most [`MAX_CATEGORIES`].
fn take_categories(found: &mut Vec<String>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for category in std::mem::take(found) {
        let category = clean_text(&category);
        if !category.is_empty()
            && kept.len() < MAX_CATEGORIES
            && !kept
                .iter()
                .any(|k| k.to_lowercase() == category.to_lowercase())
        {
            kept.push(category);
        }
    }
    kept
}

/// The enclosures found, resolved, each once, at most [`MAX_ENCLOSURES`].
fn enclosures(found: &[String], base: &Url, spec: &FeedSpec) -> Vec<Enclosure> {
    let mime_type = spec
        .selectors
        .enclosure
        .as_ref()
        .and_then(|e| e.mime_type.as_deref());
    let mut kept: Vec<Enclosure> = Vec::new();
    for enclosure in found
        .iter()
        .filter_map(|href| Enclosure::of(href, base, mime_type))
    {
        if kept.len() < MAX_ENCLOSURES && !kept.iter().any(|k| k.url == enclosure.url) {
            kept.push(enclosure);
        }
    }
    kept
}

/// Applies the feed's `replace` pairs and templates to `raw` (see [`crate::rewrite`]),
/// warning of those that leave a field empty.
fn rewrite(raw: &mut RawItem, spec: &FeedSpec, base: &Url, warnings: &mut Vec<ItemWarning>) {
    let summary_html = spec.summary_format == SummaryFormat::Html
        && spec
            .selectors
            .summary
            .as_ref()
            .is_some_and(|s| s.attr.is_none());
    for emptied in crate::rewrite::rewrite_item(raw, &spec.selectors, base, summary_html) {
        warnings.push(ItemWarning::EmptyRewrite {
            position: raw.position,
            title: raw.title.clone(),
            link: raw.link.clone(),
            field: emptied.field,
            rewrite: emptied.rewrite.key(),
        });
    }
}

/// The warning for an item left out: `title` when it has one, else the title is at fault.
fn skipped(
    raw: &RawItem,
    title: Option<String>,
    link: Option<LinkError>,
    spec: &FeedSpec,
) -> ItemWarning {
    let (field, reason) = match (&title, link) {
        (Some(_), Some(error)) => (ItemField::Link, SkipReason::BadLink(error)),
        _ => {
            let css = &spec.selectors.title.css;
            (
                ItemField::Title,
                SkipReason::NoTitle((!css.is_empty()).then(|| css.clone())),
            )
        }
    };
    ItemWarning::Skipped {
        position: raw.position,
        title,
        link: raw.link.clone(),
        field,
        reason,
    }
}

/// Parses the first date candidate that parses to a year feeds can carry
/// ([`crate::dates::PLAUSIBLE_YEARS`]); when none does, the error of the last one (the text). `Ok(None)`
/// when there is no candidate.
pub fn parse_dates(
    candidates: &[String],
    spec: &FeedSpec,
    now: DateTime<Utc>,
) -> Result<Option<PageDate>, DateError> {
    let mut last_error = None;
    for candidate in candidates {
        let as_of = (now, spec.future_dates);
        // Dates outside PLAUSIBLE_YEARS ("3000 years ago") are errors already.
        match parse_date_as_of(candidate, &spec.date_formats, spec.timezone, as_of) {
            Ok(date) => return Ok(Some(date)),
            Err(err) => last_error = Some(err),
        }
    }
    match last_error {
        Some(err) => Err(err),
        None => Ok(None),
    }
}

fn summary_of(summary: Option<String>, spec: &FeedSpec, base: &Url) -> Option<String> {
    let summary = summary?;
    let attr_given = spec
        .selectors
        .summary
        .as_ref()
        .is_some_and(|s| s.attr.is_some());
    let cleaned = match spec.summary_format {
        SummaryFormat::Html if !attr_given => sanitise_html(&summary, base),
        // An attribute's text is text, even in a feed that publishes HTML.
        SummaryFormat::Html => escape_html(&summary),
        // Extraction returns clean text already.
        SummaryFormat::Text => summary,
    };
    (!cleaned.is_empty()).then_some(cleaned)
}

/// Completes `item` with what its own page gave: content (sanitised HTML, links and images
/// made absolute), author, image, and the summary and date when the listing had none.
pub fn apply_detail(item: &mut PageItem, mut detail: Detail, spec: &FeedSpec, now: DateTime<Utc>) {
    if let Some(fields) = &spec.detail {
        for emptied in crate::rewrite::rewrite_detail(&mut detail, fields) {
            tracing::warn!(
                "feed \"{}\": item \"{}\": field \"{}\": its `{}` leaves nothing; the value from before it is kept",
                spec.id,
                item.title,
                emptied.field,
                emptied.rewrite.key()
            );
        }
    }
    let base = detail.base_url;
    item.content = detail
        .content
        .map(|html| sanitise_html(&html, &base))
        .filter(|html| !html.is_empty());
    // The item's own page's author and image, else the listing's.
    item.author = detail.author.or(item.author.take());
    item.image = detail
        .image
        .and_then(|src| resolve_link(&base, &src).ok())
        .or(item.image.take());
    if item.summary.is_none() {
        // The page's summary is text: escaped where the feed publishes HTML.
        item.summary = detail.summary.map(|text| match spec.summary_format {
            SummaryFormat::Html => escape_html(&text),
            SummaryFormat::Text => text,
        });
    }
    if item.date.is_none()
        && let Ok(Some(date)) = parse_dates(&detail.dates, spec, now)
    {
        if !spec.future_dates && is_future(date.date, now) {
            tracing::warn!(
                "feed \"{}\": item \"{}\": field \"detail.date\": {} is more than a day after the page was read; the item is dated when first seen",
                spec.id,
                item.title,
                date.date.to_rfc3339()
            );
        } else {
            item.date = Some(date.date);
            item.date_inferred = date.inferred;
        }
    }
    item.detail_done = true;
}
