//! Items: what a listing entry becomes once cleaned, validated, dated and given a stable id.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Datelike, FixedOffset, Utc};
use url::Url;

use crate::config::{FeedSpec, SummaryFormat};
use crate::dates::{DateError, PageDate, parse_date_at};
pub use crate::extract::clean_text;
use crate::extract::{Extraction, RawItem, is_xml_char};

/// One entry of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Stable id: the item's absolute link.
    pub id: String,
    /// Title, plain text.
    pub title: String,
    /// Absolute http(s) link.
    pub link: String,
    /// Summary: plain text, or sanitised HTML when the feed publishes HTML.
    pub summary: Option<String>,
    /// When the page says the item was published; `None` when it gives no usable date.
    pub date: Option<DateTime<FixedOffset>>,
    /// When the item's title or summary last changed after it was first seen, if ever.
    pub updated: Option<DateTime<FixedOffset>>,
    /// Whether `date` was worked out from the run's time (a relative date, a date without a
    /// year): the history keeps the first one instead of letting it drift.
    pub date_inferred: bool,
    /// Full text from the item's own page (sanitised HTML), when `[feed.detail]` reads it.
    pub content: Option<String>,
    /// Author from the item's own page.
    pub author: Option<String>,
    /// Image (absolute URL) from the item's own page.
    pub image: Option<String>,
    /// Whether the item's own page has been read (it is read once).
    pub detail_done: bool,
    /// 1-based position on the page.
    pub position: usize,
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
        /// `title` or `link`.
        field: &'static str,
        /// What is wrong.
        reason: String,
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
    /// A second item with the same link; the first one is kept.
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
}

fn describe(title: &Option<String>, link: &Option<String>) -> String {
    match (title, link) {
        (Some(t), _) => format!(" \"{t}\""),
        (None, Some(l)) => format!(" (link {l})"),
        (None, None) => String::new(),
    }
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

/// Items built from a page, with what went wrong on the way.
#[derive(Debug, Clone, Default)]
pub struct Built {
    /// Usable items, in page order, ids unique.
    pub items: Vec<Item>,
    /// Problems with single items.
    pub warnings: Vec<ItemWarning>,
    /// Per-field counts. `matched` and the date counts cover every matched element; the others
    /// cover the items read (all of them, except when a page lists more dated items than the
    /// feed publishes: then only the newest are read, see `pipeline::read_items`).
    pub counts: FieldCounts,
}

/// Cleans, validates and dates what extraction found; relative dates are read as of `now`.
pub fn build_items(extraction: Extraction, spec: &FeedSpec, now: DateTime<Utc>) -> Built {
    let mut built = Built {
        counts: FieldCounts {
            matched: extraction.items.len(),
            ..FieldCounts::default()
        },
        ..Built::default()
    };
    // Link → position of the item that first listed it.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let base_url = &extraction.base_url;
    for mut raw in extraction.items {
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
                built.warnings.push(skipped(&raw, title, link, spec));
                continue;
            }
        };
        let date = match parse_dates(&raw.dates, spec, now) {
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
        let id = if linkless {
            // Stable across runs: the same title and date give the same id.
            let date_text = raw.dates.first().map(String::as_str).unwrap_or("");
            let hash = crate::store::content_hash(&title, Some(date_text));
            format!("{}#pressfeed-{hash}", spec.page_url)
        } else {
            link.clone()
        };
        if let Some(&first) = seen.get(&id) {
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
        seen.insert(id.clone(), raw.position);
        built.items.push(Item {
            id,
            title,
            link,
            summary,
            date: date.map(|d| d.date),
            updated: None,
            date_inferred: date.is_some_and(|d| d.inferred),
            content: None,
            author: None,
            image: None,
            detail_done: false,
            position: raw.position,
        });
    }
    built
}

fn skipped(
    raw: &RawItem,
    title: Option<String>,
    link: Option<Result<String, String>>,
    spec: &FeedSpec,
) -> ItemWarning {
    let selectors = &spec.selectors;
    let (field, reason) = match (&title, &link) {
        (None, _) => (
            "title",
            format!(
                "{} finds no text in the item",
                describe_selector(&selectors.title.css)
            ),
        ),
        (_, None) => (
            "link",
            format!(
                "{} finds no {} in the item",
                describe_selector(&selectors.link.css),
                selectors.link.attr.as_deref().unwrap_or("href")
            ),
        ),
        (_, Some(Err(reason))) => ("link", reason.clone()),
        (Some(_), Some(Ok(_))) => ("link", "unexpected".to_string()),
    };
    ItemWarning::Skipped {
        position: raw.position,
        title,
        link: raw.link.clone(),
        field,
        reason,
    }
}

fn describe_selector(css: &str) -> String {
    if css.is_empty() {
        "the item element".to_string()
    } else {
        format!("\"{css}\"")
    }
}

/// Parses the first date candidate that parses to a year feeds can carry (1000 to 9999); when
/// none does, the error of the last one (the text). `Ok(None)` when there is no candidate.
pub fn parse_dates(
    candidates: &[String],
    spec: &FeedSpec,
    now: DateTime<Utc>,
) -> Result<Option<PageDate>, DateError> {
    let mut last_error = None;
    for candidate in candidates {
        match parse_date_at(candidate, &spec.date_formats, spec.timezone, now) {
            // RFC 2822 and RFC 3339 have four-digit years, and RSS cannot write a year below 0:
            // a relative date that far back ("3000 years ago") is no date.
            Ok(date) if (1000..=9999).contains(&date.date.year()) => return Ok(Some(date)),
            Ok(date) => {
                last_error = Some(DateError {
                    text: candidate.clone(),
                    tried: format!(
                        "read as the year {}; feeds carry the years 1000 to 9999 only",
                        date.date.year()
                    ),
                });
            }
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
        _ => summary,
    };
    (!cleaned.is_empty()).then_some(cleaned)
}

/// Completes `item` with what its own page gave: content (sanitised HTML, links and images
/// made absolute), author, image, and the summary and date when the listing had none.
pub fn apply_detail(
    item: &mut Item,
    detail: crate::extract::Detail,
    spec: &FeedSpec,
    now: DateTime<Utc>,
) {
    let base = detail.base_url;
    item.content = detail
        .content
        .map(|html| sanitise_html(&html, &base))
        .filter(|html| !html.is_empty());
    item.author = detail.author;
    item.image = detail.image.and_then(|src| resolve_link(&base, &src).ok());
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
        item.date = Some(date.date);
        item.date_inferred = date.inferred;
    }
    item.detail_done = true;
}

/// Resolves `href` against `base`; only http(s) results are links a feed can carry.
pub fn resolve_link(base: &Url, href: &str) -> Result<String, String> {
    let url = base
        .join(href.trim())
        .map_err(|err| format!("\"{href}\" is not a valid link: {err}"))?;
    if matches!(url.scheme(), "http" | "https") {
        Ok(url.into())
    } else {
        Err(format!("\"{href}\" is not an http(s) link"))
    }
}

/// Escapes text for use as HTML (RSS `description` is HTML).
pub fn escape_html(text: &str) -> String {
    escape(text, false)
}

/// Escapes text for HTML or XML text and attribute values alike (quotes too).
pub fn escape_attribute(text: &str) -> String {
    escape(text, true)
}

fn escape(text: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Removes the characters XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF) and the C1
/// controls, which readers show as garbage; borrows when there is nothing to remove.
pub fn strip_forbidden_chars(text: &str) -> Cow<'_, str> {
    if text.chars().all(is_xml_char) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| is_xml_char(c)).collect())
    }
}

/// Sanitises summary HTML with ammonia: scripts, styles, event handlers and unsafe URLs go;
/// relative links and images become absolute.
pub fn sanitise_html(html: &str, base: &Url) -> String {
    let cleaned = ammonia::Builder::default()
        .url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()))
        .link_rel(Some("noopener noreferrer"))
        .clean(&strip_forbidden_chars(html))
        .to_string();
    cleaned.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_against_the_base() {
        let base = Url::parse("https://www.ilo.org/beijing/press/lang--en/index.htm").unwrap();
        assert_eq!(
            resolve_link(&base, "/global/WCMS_1/lang--en/index.htm").unwrap(),
            "https://www.ilo.org/global/WCMS_1/lang--en/index.htm"
        );
        assert_eq!(
            resolve_link(&base, "../x.pdf").unwrap(),
            "https://www.ilo.org/beijing/press/x.pdf"
        );
        assert_eq!(
            resolve_link(&base, "//cdn.example.org/a").unwrap(),
            "https://cdn.example.org/a"
        );
        assert_eq!(
            resolve_link(&base, "#top").unwrap(),
            "https://www.ilo.org/beijing/press/lang--en/index.htm#top"
        );
        assert!(resolve_link(&base, "javascript:void(0)").is_err());
        assert!(resolve_link(&base, "mailto:a@b.c").is_err());
        assert!(resolve_link(&base, "http://[bad").is_err());
    }

    #[test]
    fn text_is_cleaned_for_xml() {
        assert_eq!(clean_text("  a\u{0}b\u{8}\n\t c\u{FFFF}\u{85}d "), "ab cd");
        assert_eq!(
            clean_text("Rock\u{A0}&\u{A0}roll ]]> 👍"),
            "Rock & roll ]]> 👍"
        );
    }

    #[test]
    fn html_summaries_are_sanitised() {
        let base = Url::parse("https://example.org/news/").unwrap();
        let html = sanitise_html(
            r#"<p onclick="x()">Hi <a href="a.htm">there</a><script>alert(1)</script><img src="/i.png" onerror="y()"><iframe src="//evil"></iframe></p>"#,
            &base,
        );
        assert_eq!(
            html,
            r#"<p>Hi <a href="https://example.org/news/a.htm" rel="noopener noreferrer">there</a><img src="https://example.org/i.png"></p>"#
        );
    }
}
