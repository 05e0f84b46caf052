//! Discovery files written beside the feeds by every run: `index.html`, a page listing every
//! feed with subscribe links and `<link rel="alternate">` autodiscovery, and `feeds.opml`, an
//! OPML 2.0 subscription list for feed readers' import. Pure: the same feeds give the same
//! bytes, so an unchanged run leaves both files alone.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset};

use crate::item::FeedItem;
use crate::spec::{FeedSpec, Format, OutputSettings};
use crate::text::{escape_attribute, strip_forbidden_chars};

/// The index page's file name.
pub const INDEX: &str = "index.html";
/// The OPML file's name.
pub const OPML: &str = "feeds.opml";

/// What the discovery files show of what a feed publishes: how many items, the newest three
/// and its last change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    /// Items published (0 when the feed has never been published).
    pub count: usize,
    /// The newest three, newest first (their titles and links are shown).
    pub newest: Vec<FeedItem>,
    /// Its last change: the newest item date or change.
    pub updated: Option<DateTime<FixedOffset>>,
}

impl Outline {
    /// The outline of a feed that publishes `items`, newest first.
    pub fn of(items: &[FeedItem]) -> Outline {
        Outline {
            count: items.len(),
            newest: items
                .iter()
                .take(3)
                .map(|item| FeedItem {
                    summary: None,
                    content: None,
                    ..item.clone()
                })
                .collect(),
            updated: items
                .iter()
                .flat_map(|item| [item.date, item.updated])
                .flatten()
                .max(),
        }
    }
}

/// What the discovery files say about one feed.
#[derive(Debug, Clone)]
pub struct FeedEntry<'a> {
    /// The feed's configuration.
    pub spec: &'a FeedSpec,
    /// What it publishes now.
    pub outline: &'a Outline,
}

impl FeedEntry<'_> {
    /// Where the feed's file in `format` is: absolute under `base_url`, else relative.
    fn href(&self, output: &OutputSettings, format: Format) -> String {
        let name = self.spec.file_name(format);
        output.served_url(&name).map_or(name, String::from)
    }

    fn published(&self) -> bool {
        self.outline.count > 0
    }
}

/// Escapes text for HTML and XML, text and attribute values alike, dropping characters XML
/// forbids.
fn escape(text: &str) -> String {
    escape_attribute(&strip_forbidden_chars(text))
}

const STYLE: &str = "
:root { color-scheme: light dark; --muted: #666; --line: #ddd; --accent: #0b57d0; }
@media (prefers-color-scheme: dark) { :root { --muted: #aaa; --line: #444; --accent: #8ab4f8; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 46rem; padding: 1.5rem 1rem 3rem;
  font: 1rem/1.5 system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
header p { color: var(--muted); margin: 0 0 1.5rem; }
article { border-top: 1px solid var(--line); padding: 1.25rem 0; }
h2 { font-size: 1.2rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
p { margin: .25rem 0; }
.meta { color: var(--muted); font-size: .9rem; overflow-wrap: anywhere; }
ul.latest { margin: .5rem 0; padding-left: 1.2rem; }
ul.latest li { margin: .15rem 0; overflow-wrap: anywhere; }
.subscribe { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: .75rem; padding: 0; list-style: none; }
.subscribe a { display: inline-block; padding: .4rem .8rem; border: 1px solid var(--accent);
  border-radius: .4rem; color: var(--accent); text-decoration: none; }
.subscribe a:hover, .subscribe a:focus { background: var(--accent); color: Canvas; }
a { color: var(--accent); }
footer { border-top: 1px solid var(--line); padding-top: 1rem; color: var(--muted); font-size: .9rem; }
";

/// The index page: every feed with its title, description, source page, last change, item
/// count, newest three titles and subscribe links; autodiscovery links in its head.
pub fn index_html(output: &OutputSettings, feeds: &[FeedEntry<'_>]) -> Vec<u8> {
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str("<title>Feeds</title>\n");
    let _ = writeln!(
        html,
        "<meta name=\"generator\" content=\"pressfeed {}\">",
        env!("CARGO_PKG_VERSION")
    );
    for feed in feeds.iter().filter(|f| f.published()) {
        for &format in &feed.spec.formats {
            let _ = writeln!(
                html,
                "<link rel=\"alternate\" type=\"{}\" title=\"{} ({})\" href=\"{}\">",
                format.media_type(),
                escape(&feed.spec.title),
                format.label(),
                escape(&feed.href(output, format))
            );
        }
    }
    let _ = writeln!(
        html,
        "<link rel=\"alternate\" type=\"text/x-opml\" title=\"All feeds (OPML)\" href=\"{OPML}\">"
    );
    let _ = write!(html, "<style>{STYLE}</style>\n</head>\n<body>\n");
    let _ = writeln!(
        html,
        "<header>\n<h1>Feeds</h1>\n<p>{} {}, made from news pages that have no feed of their own. \
         Paste this page's address into a feed reader, or pick a feed below.</p>\n</header>",
        feeds.len(),
        if feeds.len() == 1 { "feed" } else { "feeds" }
    );
    html.push_str("<main>\n");
    for feed in feeds {
        let spec = feed.spec;
        let _ = writeln!(html, "<article id=\"{}\">", escape(&spec.id));
        let _ = writeln!(html, "<h2>{}</h2>", escape(&spec.title));
        if spec.description != spec.title {
            let _ = writeln!(html, "<p>{}</p>", escape(&spec.description));
        }
        let page = spec.page_url.as_str();
        let _ = writeln!(
            html,
            "<p class=\"meta\">From <a href=\"{}\">{}</a></p>",
            escape(page),
            escape(spec.page_url.host_str().unwrap_or(page))
        );
        if !feed.published() {
            html.push_str("<p class=\"meta\">Not published yet.</p>\n</article>\n");
            continue;
        }
        let updated = feed
            .outline
            .updated
            .map(|d| d.format("%Y-%m-%d %H:%M %:z").to_string())
            .unwrap_or_default();
        let _ = writeln!(
            html,
            "<p class=\"meta\">{} {} · last updated <time datetime=\"{}\">{}</time></p>",
            feed.outline.count,
            if feed.outline.count == 1 {
                "item"
            } else {
                "items"
            },
            feed.outline
                .updated
                .map(|d| d.to_rfc3339())
                .unwrap_or_default(),
            escape(&updated)
        );
        html.push_str("<ul class=\"latest\">\n");
        for item in &feed.outline.newest {
            let _ = writeln!(
                html,
                "<li><a href=\"{}\">{}</a></li>",
                escape(&item.link),
                escape(&item.title)
            );
        }
        html.push_str("</ul>\n<ul class=\"subscribe\">\n");
        for &format in &spec.formats {
            let _ = writeln!(
                html,
                "<li><a href=\"{}\" type=\"{}\">{}</a></li>",
                escape(&feed.href(output, format)),
                format.media_type(),
                format.label()
            );
        }
        html.push_str("</ul>\n</article>\n");
    }
    html.push_str("</main>\n");
    let _ = writeln!(
        html,
        "<footer><p><a href=\"{OPML}\">All feeds as OPML</a> · made by pressfeed {}</p>\
         </footer>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    html.into_bytes()
}

/// OPML 2.0: one `rss` outline per published feed, pointing at its first format (RSS when
/// written), for readers' import.
pub fn opml(output: &OutputSettings, feeds: &[FeedEntry<'_>]) -> Vec<u8> {
    let mut xml =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n");
    xml.push_str("  <head>\n    <title>Feeds</title>\n  </head>\n  <body>\n");
    for feed in feeds.iter().filter(|f| f.published()) {
        let Some(&format) = feed.spec.formats.first() else {
            continue;
        };
        let _ = writeln!(
            xml,
            "    <outline type=\"rss\" text=\"{title}\" title=\"{title}\" xmlUrl=\"{}\" htmlUrl=\"{}\"/>",
            escape(&feed.href(output, format)),
            escape(feed.spec.page_url.as_str()),
            title = escape(&feed.spec.title),
        );
    }
    xml.push_str("  </body>\n</opml>\n");
    xml.into_bytes()
}
