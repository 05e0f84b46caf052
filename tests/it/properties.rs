//! Property tests (issue 6, item 2): whatever strings an item carries (controls, NUL, `]]>`,
//! markup, bidi marks, 1 MB runs), every format renders, is well-formed, and reads back with
//! the rss, atom_syndication and serde_json parsers to the values put in, minus what render
//! strips by design; ids stay unique; output is deterministic.
//!
//! The expected values are stated here as functions of the input (`kept`, `clean`,
//! `html_escaped`, `rss_read`, `xml_read`), written from the formats' rules rather than by
//! calling the code under test. Failures are not persisted to files (`failure_persistence`),
//! so a run never writes into the source tree; proptest prints the failing input instead.
//! `PROPTEST_CASES=2000 cargo test --test it properties` runs longer searches.

use std::collections::HashSet;
use std::fmt::Display;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use pressfeed::{
    Config, FeedItem, FeedMeta, FeedSpec, Format, ItemWarning, PageItems, build_items,
    content_hash, extract, render, sanitise_html,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};
use url::Url;

/// The listing page of the generated pages and feeds of `built_ids_are_unique_in_every_format`.
const PAGE_URL: &str = "https://example.org/news/";

/// Pieces hostile to XML writers, HTML parsers, JSON and terminals.
const HOSTILE_PIECES: &[&str] = &[
    "\u{0}",
    "\u{1}",
    "\u{8}",
    "\u{B}",
    "\u{C}",
    "\u{1B}[31m",
    "\u{1F}",
    "\u{7F}",
    "\u{80}",
    "\u{85}",
    "\u{9F}",
    "\u{D7FF}",
    "\u{E000}",
    "\u{FFFD}",
    "\u{FFFE}",
    "\u{FFFF}",
    "\u{10FFFF}",
    "]]>",
    "]]",
    "<![CDATA[",
    "]]]]><![CDATA[>",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<b>bold</b>",
    "<!--",
    "-->",
    "<?xml version=\"1.0\"?>",
    "<!DOCTYPE x [<!ENTITY e \"boom\">]>",
    "&e;",
    "&amp;",
    "&lt;",
    "&#0;",
    "&#x1F600;",
    "&",
    "<",
    ">",
    "\"",
    "'",
    "\u{200F}",
    "\u{202E}",
    "\u{2066}",
    "\u{2069}",
    "\u{FEFF}",
    "e\u{301}",
    "\u{338}",
    "👍",
    "👩‍👩‍👧",
    "\r",
    "\n",
    "\r\n",
    "\t",
    " ",
    "\u{A0}",
    "\u{2028}",
    "\u{3000}",
    "ℌ𝔢𝔩𝔩𝔬",
    "مرحبا",
    "word",
];

/// Units repeated into very long runs.
const LONG_RUN_UNITS: &[&str] = &[
    "a", " ", "]]>", "\u{0}", "é", "\u{202E}", "&", "<b>", "\r\n",
];

/// Date texts of the generated pages: two that parse, one that does not, one too far back for
/// a feed.
const PAGE_DATES: &[&str] = &["2024-05-01", "2024-05-02", "soon", "3000 years ago"];

/// Links written on the generated pages: placeholders, other schemes, unparsable, and several
/// spellings of the same address.
const SPECIAL_HREFS: &[&str] = &[
    "",
    "#",
    " # ",
    "javascript:alert(1)",
    "JavaScript:void(0)",
    "mailto:desk@example.org",
    "ftp://example.org/a",
    "http://[bad",
    "a",
    "./a",
    " a ",
    "/news/a",
    "https://example.org/news/a",
    "HTTPS://EXAMPLE.ORG/news/a",
    "//example.org/news/a",
    "https://example.org/news/a#x",
    "#frag",
    "?q=1&r=<2>",
    "../up",
];

/// Markup put raw into the summaries of the generated pages, and the text a reader shows of it.
const SUMMARY_MARKUP: &[(&str, &str)] = &[
    ("<script>alert(1)</script>", ""),
    ("<b onclick=\"x()\">bold</b>", "bold"),
    ("<a href=\"rel/x\">relative</a>", "relative"),
    ("<img src=\"/i.png\" onerror=\"y()\">", ""),
    ("<iframe src=\"//evil.example\"></iframe>", ""),
    ("<a href=\"javascript:alert(1)\">js</a>", "js"),
    ("<style>p { color: red }</style>", ""),
    ("<SCRIPT>alert(2)</SCRIPT>", ""),
];

/// A run config of `cases` cases (`PROPTEST_CASES` overrides it, for longer runs) with no
/// persisted failures.
fn cases(cases: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            default.cases
        } else {
            cases
        },
        failure_persistence: None,
        ..default
    }
}

// ---------------------------------------------------------------------------------------------
// Expected transforms.

/// What render keeps of any text: XML 1.0's `Char` minus DEL and the C1 controls.
fn is_kept(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\r'
            | '\u{20}'..='\u{7E}'
            | '\u{A0}'..='\u{D7FF}'
            | '\u{E000}'..='\u{FFFD}'
            | '\u{10000}'..='\u{10FFFF}'
    )
}

/// Text with the characters render strips removed (item titles, summaries, content).
fn kept(text: &str) -> String {
    text.chars().filter(|&c| is_kept(c)).collect()
}

/// Clean text (feed title, description, authors): stripped characters removed, whitespace runs
/// (Unicode White_Space) made one space, none at the ends.
fn clean(text: &str) -> String {
    kept(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text escaped as HTML, as RSS's `description` carries plain-text summaries.
fn html_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What the rss crate reads back from an element: the text trimmed, `None` when empty.
fn rss_read(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// What atom_syndication reads back from an element it keeps optional: `None` when empty.
fn non_empty(text: String) -> Option<String> {
    Some(text).filter(|t| !t.is_empty())
}

/// What a conforming XML parser reads from text: line ends normalised (XML 1.0 §2.11).
fn xml_read(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// An instant to the second, with its offset.
fn to_second(date: DateTime<FixedOffset>) -> (i64, i32) {
    (date.timestamp(), date.offset().local_minus_utc())
}

/// The date an item is published under: its own, or the feed's.
fn published(item: &FeedItem, meta: &FeedMeta) -> DateTime<FixedOffset> {
    item.date.unwrap_or(meta.updated)
}

/// The date an item was last changed: its change, never before it was published.
fn modified(item: &FeedItem, meta: &FeedMeta) -> DateTime<FixedOffset> {
    let date = published(item, meta);
    item.updated.filter(|u| *u > date).unwrap_or(date)
}

/// A JSON Feed date: RFC 3339 to the second, `Z` for UTC.
fn json_date(date: DateTime<FixedOffset>) -> String {
    date.to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------------------------------------
// Strategies.

/// One piece of a hostile string: any characters, a hostile piece, or a long run.
fn piece(max_run: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => vec(any::<char>(), 0..12).prop_map(String::from_iter),
        5 => select(HOSTILE_PIECES).prop_map(str::to_string),
        1 => (select(LONG_RUN_UNITS), 1..=max_run).prop_map(|(unit, n)| unit.repeat(n)),
    ]
}

/// A hostile string of up to `pieces` pieces.
fn hostile(pieces: usize) -> impl Strategy<Value = String> {
    vec(piece(3000), 0..=pieces).prop_map(|p| p.concat())
}

/// A short hostile string, for URL parts.
fn hostile_short() -> impl Strategy<Value = String> {
    vec(piece(8), 0..3).prop_map(|p| p.concat())
}

/// A valid http(s) URL with arbitrary (percent-encoded) path, query and fragment.
fn web_url() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        select(
            &[
                "example.org",
                "xn--bcher-kva.example",
                "127.0.0.1",
                "[::1]",
                "example.org:8443",
            ][..],
        ),
        vec(hostile_short(), 0..4),
        vec((hostile_short(), hostile_short()), 0..3),
        option::of(hostile_short()),
    )
        .prop_map(|(https, host, path, query, fragment)| {
            let scheme = if https { "https" } else { "http" };
            let mut url = Url::parse(&format!("{scheme}://{host}/")).unwrap();
            url.path_segments_mut().unwrap().clear().extend(&path);
            if !query.is_empty() {
                url.query_pairs_mut().extend_pairs(&query);
            }
            url.set_fragment(fragment.as_deref());
            url.into()
        })
}

/// A date between 1970 and 2100 in an offset of whole minutes, sometimes with a fraction.
fn date() -> impl Strategy<Value = DateTime<FixedOffset>> {
    (
        0i64..4_102_444_800,
        prop_oneof![3 => Just(0u32), 1 => 0u32..1_000_000_000],
        -1439i32..=1439,
    )
        .prop_map(|(secs, nanos, minutes)| {
            let offset = FixedOffset::east_opt(minutes * 60).unwrap();
            DateTime::from_timestamp(secs, nanos)
                .unwrap()
                .with_timezone(&offset)
        })
}

/// Feed metadata with hostile text. Language tags and URLs come from the config, which
/// validates them: they are valid here too.
fn feed_meta() -> impl Strategy<Value = FeedMeta> {
    (
        (hostile(6), hostile(6), hostile(4)),
        web_url(),
        option::of("[a-z]{2,3}(-[A-Z]{2})?"),
        (
            option::of(web_url()),
            option::of(web_url()),
            option::of(web_url()),
            option::of(web_url()),
        ),
        any::<bool>(),
        date(),
    )
        .prop_map(
            |(
                (title, description, author),
                page_url,
                language,
                (rss_url, atom_url, json_url, hub),
                summary_is_html,
                updated,
            )| FeedMeta {
                title,
                description,
                page_url,
                language,
                author,
                rss_url,
                atom_url,
                json_url,
                hub,
                summary_is_html,
                updated,
            },
        )
}

/// An item of a feed whose page is `page_url`, with hostile text in every text field. Linkless
/// items link to the page and have a hash id, as `build_items` gives them. In a feed of HTML
/// summaries, half the summaries are sanitised as `build_items` does, half are left raw.
fn item(page_url: String, html_summaries: bool) -> impl Strategy<Value = FeedItem> {
    (
        any::<bool>(),
        (web_url(), option::of("[0-9a-f]{32}")),
        hostile(8),
        (
            option::of(hostile(8)),
            option::of(hostile(8)),
            option::of(hostile(3)),
        ),
        (option::of(date()), option::of(date())),
        option::of(web_url()),
    )
        .prop_map(
            move |(
                sanitise,
                (link, hash),
                title,
                (summary, content, author),
                (date, updated),
                image,
            )| {
                let summary = match summary {
                    Some(html) if html_summaries && sanitise => {
                        Some(sanitise_html(&html, &Url::parse(&page_url).unwrap()))
                    }
                    summary => summary,
                };
                let (id, link) = match hash {
                    Some(hash) => (format!("{page_url}#pressfeed-{hash}"), page_url.clone()),
                    None => (link.clone(), link),
                };
                FeedItem {
                    id,
                    title,
                    link,
                    summary,
                    date,
                    updated,
                    content,
                    author,
                    image,
                    categories: Vec::new(),
                    enclosures: Vec::new(),
                }
            },
        )
}

/// A feed: its metadata and up to 5 items.
fn feed() -> impl Strategy<Value = (FeedMeta, Vec<FeedItem>)> {
    feed_meta().prop_flat_map(|meta| {
        let items = vec(item(meta.page_url.clone(), meta.summary_is_html), 0..=5);
        (Just(meta), items)
    })
}

/// One `li` of a generated listing page.
#[derive(Debug, Clone)]
struct PageItem {
    /// The text of the item's link, as the page shows it (escaped when written).
    title: Option<String>,
    /// The link's `href`, when it has one.
    href: Option<String>,
    /// The text of the item's date element, when it has one.
    date: Option<&'static str>,
    /// Summary text and raw markup appended to it (with its text), when the item has a
    /// summary.
    summary: Option<(String, Option<(&'static str, &'static str)>)>,
}

/// A generated listing page and whether its feed publishes HTML summaries.
#[derive(Debug, Clone)]
struct PageCase {
    items: Vec<PageItem>,
    html_summaries: bool,
}

/// A page of up to 12 items whose titles and links come from small pools, so some repeat;
/// some titles are empty or clean to nothing, some links are missing, placeholders, or other
/// spellings of the same address.
fn page_case() -> impl Strategy<Value = PageCase> {
    let href = prop_oneof![
        3 => select(SPECIAL_HREFS).prop_map(str::to_string),
        2 => vec("[^\\x00-\\x08\\x0B-\\x1F\\x7F]{0,8}", 1..4).prop_map(|s| s.join("/")),
        1 => web_url(),
    ];
    // Most titles have a visible word among the hostile pieces; some clean to nothing.
    let title = prop_oneof![
        1 => hostile(4),
        3 => (hostile(2), "[A-Za-z0-9]{1,6}", hostile(2))
            .prop_map(|(a, b, c)| format!("{a}{b}{c}")),
    ];
    (
        vec(option::weighted(0.9, title), 1..5),
        vec(option::weighted(0.8, href), 1..7),
        vec(
            (
                any::<Index>(),
                any::<Index>(),
                option::of(select(PAGE_DATES)),
                option::of((hostile(4), option::of(select(SUMMARY_MARKUP)))),
            ),
            1..=12,
        ),
        any::<bool>(),
    )
        .prop_map(|(titles, hrefs, picks, html_summaries)| PageCase {
            items: picks
                .into_iter()
                .map(|(title, href, date, summary)| PageItem {
                    title: title.get(&titles).clone(),
                    href: href.get(&hrefs).clone(),
                    date,
                    summary,
                })
                .collect(),
            html_summaries,
        })
}

// ---------------------------------------------------------------------------------------------
// Pages and specs.

/// Text escaped for an HTML attribute value in double quotes or for element content.
fn html_attr(text: &str) -> String {
    html_escaped(text).replace('"', "&quot;")
}

/// The HTML of a generated listing page.
fn page_html(case: &PageCase) -> String {
    let mut html = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>News</title></head>\n\
         <body><ul>\n",
    );
    for item in &case.items {
        html.push_str("<li>");
        match &item.href {
            Some(href) => html.push_str(&format!("<a href=\"{}\">", html_attr(href))),
            None => html.push_str("<a>"),
        }
        html.push_str(&html_escaped(item.title.as_deref().unwrap_or("")));
        html.push_str("</a>");
        if let Some(date) = item.date {
            html.push_str(&format!(" <span class=\"date\">{date}</span>"));
        }
        if let Some((text, markup)) = &item.summary {
            html.push_str(&format!(
                "<p class=\"s\">{}{}</p>",
                html_escaped(text),
                markup.map_or("", |(markup, _)| markup)
            ));
        }
        html.push_str("</li>\n");
    }
    html.push_str("</ul></body></html>\n");
    html
}

/// The spec of the generated pages' feed.
fn page_spec(html_summaries: bool) -> FeedSpec {
    let summary_format = if html_summaries { "html" } else { "text" };
    let text = format!(
        "[[feed]]\nid = \"prop\"\ntitle = \"Properties\"\nurl = \"{PAGE_URL}\"\n\
         source = \"unused.html\"\ntimezone = \"UTC\"\ndate_formats = [\"%Y-%m-%d\"]\n\
         summary_format = \"{summary_format}\"\n\
         [feed.selectors]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a\"\ndate = \"span.date\"\n\
         summary = \"p.s\"\n"
    );
    let config = Config::parse(&text, std::path::Path::new("properties.toml")).unwrap();
    config.feeds.into_iter().next().unwrap()
}

/// A fixed run time, so relative dates (none here) and item building are reproducible.
fn fixed_now() -> DateTime<chrono::Utc> {
    DateTime::from_timestamp(1_714_600_000, 0).unwrap()
}

/// Items built from `html` with `spec`, as the pipeline builds them.
fn build(html: &str, spec: &FeedSpec) -> PageItems {
    let page_url = Url::parse(PAGE_URL).unwrap();
    let extraction = extract(html, &page_url, spec).unwrap();
    build_items(extraction, spec, fixed_now())
}

/// Whether the page's `href` is a placeholder the item is treated as linkless for.
fn is_placeholder(href: &str) -> bool {
    let href = href.trim();
    href.is_empty() || href == "#" || href.to_ascii_lowercase().starts_with("javascript:")
}

/// An item `build_items` should give: id, title, link.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ExpectedItem {
    id: String,
    title: String,
    link: String,
}

/// The items a generated page should give, in page order, each with the index of the page item
/// it comes from, and how many repeats are skipped. An item needs a title that cleans to
/// something, and a link that resolves to http(s) or no link (then it links to the page, with an
/// id from its title and date text); the first item with an id is kept.
fn expected_items(case: &PageCase) -> (Vec<(usize, ExpectedItem)>, usize) {
    let base = Url::parse(PAGE_URL).unwrap();
    let mut items: Vec<(usize, ExpectedItem)> = Vec::new();
    let mut repeats = 0;
    for (index, item) in case.items.iter().enumerate() {
        let title = clean(item.title.as_deref().unwrap_or(""));
        if title.is_empty() {
            continue;
        }
        let link = match item.href.as_deref().filter(|h| !is_placeholder(h)) {
            None => None,
            Some(href) => match base.join(href.trim()) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => Some(String::from(url)),
                _ => continue,
            },
        };
        let (id, link) = match link {
            // A second item with this link and another title is an item of its own.
            Some(link) => match items.iter().find(|(_, e)| e.id == link) {
                Some((_, first)) if first.title != title => {
                    let mut bare = Url::parse(&link).unwrap();
                    bare.set_fragment(None);
                    let hash = content_hash(&title, Some(&link));
                    (format!("{bare}#pressfeed-{hash}"), link)
                }
                _ => (link.clone(), link),
            },
            None => {
                let hash = content_hash(&title, Some(item.date.unwrap_or("")));
                (format!("{PAGE_URL}#pressfeed-{hash}"), PAGE_URL.to_string())
            }
        };
        if items.iter().any(|(_, e)| e.id == id) {
            repeats += 1;
            continue;
        }
        items.push((index, ExpectedItem { id, title, link }));
    }
    (items, repeats)
}

/// The plain-text summary an item of a generated page should have: the text of its summary
/// element, cleaned; `None` when it cleans to nothing.
fn expected_summary(item: &PageItem) -> Option<String> {
    let (text, markup) = item.summary.as_ref()?;
    non_empty(clean(&format!("{text}{}", markup.map_or("", |(_, t)| t))))
}

/// The elements and attributes of an HTML fragment that run scripts, embed other pages or
/// style the reader's page.
fn unsafe_markup(html: &str) -> Vec<String> {
    let fragment = scraper::Html::parse_fragment(html);
    let mut found = Vec::new();
    for node in fragment.tree.nodes() {
        let scraper::Node::Element(element) = node.value() else {
            continue;
        };
        if matches!(
            element.name(),
            "script" | "style" | "iframe" | "object" | "embed"
        ) {
            found.push(format!("<{}>", element.name()));
        }
        for (name, value) in element.attrs() {
            let value = value.trim().to_ascii_lowercase();
            if name.starts_with("on") || name == "style" || value.starts_with("javascript:") {
                found.push(format!("{name}={value:?}"));
            }
        }
    }
    found
}

/// Feed metadata for the generated pages' feed.
fn page_meta(html_summaries: bool) -> FeedMeta {
    FeedMeta {
        title: "Properties".to_string(),
        description: "Generated pages".to_string(),
        page_url: PAGE_URL.to_string(),
        language: Some("en".to_string()),
        author: "example.org".to_string(),
        rss_url: Some("https://feeds.example.org/prop.rss".to_string()),
        atom_url: Some("https://feeds.example.org/prop.atom".to_string()),
        json_url: Some("https://feeds.example.org/prop.json".to_string()),
        hub: None,
        summary_is_html: html_summaries,
        updated: DateTime::parse_from_rfc3339("2024-05-02T00:00:00Z").unwrap(),
    }
}

// ---------------------------------------------------------------------------------------------
// Checks: each renders one format, parses it back and compares with the expected values.

/// A failed step as a test failure.
fn ok<T, E: Display>(result: Result<T, E>, what: &str) -> Result<T, TestCaseError> {
    result.map_err(|err| TestCaseError::fail(format!("{what}: {err}")))
}

/// A well-formed XML document (roxmltree), or the failure.
fn well_formed(bytes: &[u8]) -> Result<roxmltree::Document<'_>, TestCaseError> {
    let text = ok(std::str::from_utf8(bytes), "the document is not UTF-8")?;
    ok(
        roxmltree::Document::parse(text),
        "the document is not well-formed XML",
    )
}

/// The text of `node`'s first child element `name` in namespace `ns`, as an XML parser reads
/// it, line ends normalised (roxmltree normalises a CR in some texts and not in others).
fn child_text(node: roxmltree::Node<'_, '_>, ns: Option<&str>, name: &str) -> Option<String> {
    let child = node.children().find(|c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == ns
    })?;
    let text: String = child
        .descendants()
        .filter_map(|d| if d.is_text() { d.text() } else { None })
        .collect();
    Some(xml_read(&text))
}

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const CONTENT_NS: &str = "http://purl.org/rss/1.0/modules/content/";

/// The RSS document: well-formed, and read back by an XML parser and the rss crate to the
/// expected values.
fn check_rss(
    meta: &FeedMeta,
    items: &[FeedItem],
    want: &[FeedItem],
) -> Result<Vec<u8>, TestCaseError> {
    let bytes = ok(render(Format::Rss, meta, items), "RSS does not render")?;
    let descriptions: Vec<Option<String>> = want
        .iter()
        .map(|item| {
            let summary = item.summary.as_deref()?;
            Some(if meta.summary_is_html {
                summary.to_string()
            } else {
                html_escaped(summary)
            })
        })
        .collect();

    let doc = well_formed(&bytes)?;
    let nodes: Vec<_> = doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "item")
        .collect();
    prop_assert_eq!(nodes.len(), want.len());
    for ((node, item), description) in nodes.iter().zip(want).zip(&descriptions) {
        prop_assert_eq!(
            child_text(*node, None, "title"),
            Some(xml_read(&item.title))
        );
        prop_assert_eq!(
            child_text(*node, None, "description"),
            description.as_deref().map(xml_read)
        );
        prop_assert_eq!(
            child_text(*node, Some(CONTENT_NS), "encoded"),
            item.content.as_deref().map(xml_read)
        );
    }

    let channel = ok(rss::Channel::read_from(&bytes[..]), "RSS does not parse")?;
    prop_assert_eq!(&channel.title, &clean(&meta.title));
    prop_assert_eq!(&channel.description, &clean(&meta.description));
    prop_assert_eq!(&channel.link, &meta.page_url);
    prop_assert_eq!(&channel.language, &meta.language);
    let build_date = ok(
        DateTime::parse_from_rfc2822(channel.last_build_date.as_deref().unwrap_or("")),
        "lastBuildDate",
    )?;
    prop_assert_eq!(to_second(build_date), to_second(meta.updated));
    let links: Vec<(String, String)> = channel
        .atom_ext
        .iter()
        .flat_map(|ext| ext.links())
        .map(|l| (l.rel.clone(), l.href.clone()))
        .collect();
    let expected_links: Vec<(String, String)> = [("self", &meta.rss_url), ("hub", &meta.hub)]
        .into_iter()
        .filter_map(|(rel, url)| Some((rel.to_string(), url.clone()?)))
        .collect();
    prop_assert_eq!(links, expected_links);

    prop_assert_eq!(channel.items.len(), want.len());
    for ((read, item), description) in channel.items.iter().zip(want).zip(&descriptions) {
        prop_assert_eq!(&read.title, &rss_read(&item.title));
        prop_assert_eq!(read.link.as_deref(), Some(item.link.as_str()));
        prop_assert_eq!(
            &read.description,
            &description.as_deref().and_then(rss_read)
        );
        prop_assert_eq!(&read.content, &item.content.as_deref().and_then(rss_read));
        let guid = read.guid.as_ref();
        prop_assert_eq!(guid.map(|g| g.value.as_str()), Some(item.id.as_str()));
        prop_assert_eq!(
            guid.map(|g| g.permalink),
            Some(item.id == item.link),
            "a non-URL id must say isPermaLink=\"false\""
        );
        let date = ok(
            DateTime::parse_from_rfc2822(read.pub_date.as_deref().unwrap_or("")),
            "pubDate",
        )?;
        prop_assert_eq!(to_second(date), to_second(published(item, meta)));
        // RSS 2.0's `author` must be an email address: names are left out.
        prop_assert_eq!(&read.author, &None);
    }
    Ok(bytes)
}

/// The Atom document: well-formed, and read back by an XML parser and atom_syndication to the
/// expected values.
fn check_atom(
    meta: &FeedMeta,
    items: &[FeedItem],
    want: &[FeedItem],
) -> Result<Vec<u8>, TestCaseError> {
    use atom_syndication::TextType;

    let bytes = ok(render(Format::Atom, meta, items), "Atom does not render")?;
    let doc = well_formed(&bytes)?;
    let nodes: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name((ATOM_NS, "entry")))
        .collect();
    prop_assert_eq!(nodes.len(), want.len());
    for (node, item) in nodes.iter().zip(want) {
        prop_assert_eq!(
            child_text(*node, Some(ATOM_NS), "title"),
            Some(xml_read(&item.title))
        );
        // An entry without summary or content has its title as summary.
        let summary = match (&item.summary, &item.content) {
            (Some(summary), _) => Some(summary.as_str()),
            (None, None) => Some(item.title.as_str()),
            (None, Some(_)) => None,
        };
        prop_assert_eq!(
            child_text(*node, Some(ATOM_NS), "summary"),
            summary.map(xml_read)
        );
        prop_assert_eq!(
            child_text(*node, Some(ATOM_NS), "content"),
            item.content.as_deref().map(xml_read)
        );
    }

    let feed = ok(
        atom_syndication::Feed::read_from(&bytes[..]),
        "Atom does not parse",
    )?;
    prop_assert_eq!(feed.title.as_str(), clean(&meta.title));
    prop_assert_eq!(
        feed.subtitle.as_ref().map(|s| s.value.clone()),
        Some(clean(&meta.description))
    );
    let feed_id = meta.atom_url.as_ref().unwrap_or(&meta.page_url);
    prop_assert_eq!(&feed.id, feed_id);
    prop_assert_eq!(to_second(feed.updated), to_second(meta.updated));
    prop_assert_eq!(&feed.lang, &meta.language);
    let authors: Vec<&str> = feed.authors.iter().map(|a| a.name.as_str()).collect();
    prop_assert_eq!(authors, vec![clean(&meta.author)]);
    let links: Vec<(&str, &str)> = feed
        .links
        .iter()
        .map(|l| (l.rel.as_str(), l.href.as_str()))
        .collect();
    let expected_links: Vec<(&str, &str)> = [
        ("alternate", Some(&meta.page_url)),
        ("self", meta.atom_url.as_ref()),
        ("hub", meta.hub.as_ref()),
    ]
    .into_iter()
    .filter_map(|(rel, url)| Some((rel, url?.as_str())))
    .collect();
    prop_assert_eq!(links, expected_links);

    prop_assert_eq!(feed.entries.len(), want.len());
    let summary_type = if meta.summary_is_html {
        TextType::Html
    } else {
        TextType::Text
    };
    for (entry, item) in feed.entries.iter().zip(want) {
        prop_assert_eq!(&entry.id, &item.id);
        prop_assert_eq!(&entry.title.value, &item.title);
        prop_assert_eq!(entry.title.r#type, TextType::Text);
        let links: Vec<(&str, &str)> = entry
            .links
            .iter()
            .map(|l| (l.rel.as_str(), l.href.as_str()))
            .collect();
        prop_assert_eq!(links, vec![("alternate", item.link.as_str())]);
        // Without summary or content, the title is the summary, as text.
        let summary = match (&item.summary, &item.content) {
            (Some(summary), _) => Some((summary.clone(), summary_type)),
            (None, None) => Some((item.title.clone(), TextType::Text)),
            (None, Some(_)) => None,
        };
        prop_assert_eq!(
            entry.summary.as_ref().map(|s| (s.value.clone(), s.r#type)),
            summary
        );
        prop_assert_eq!(
            entry.content.as_ref().map(|c| c.content_type.as_deref()),
            item.content.as_ref().map(|_| Some("html"))
        );
        prop_assert_eq!(
            entry.content.as_ref().and_then(|c| c.value.clone()),
            item.content.clone().and_then(non_empty)
        );
        let authors: Vec<String> = entry.authors.iter().map(|a| a.name.clone()).collect();
        let expected_authors: Vec<String> = item.author.iter().map(|a| clean(a)).collect();
        prop_assert_eq!(authors, expected_authors);
        prop_assert_eq!(
            entry.published.map(to_second),
            Some(to_second(published(item, meta)))
        );
        prop_assert_eq!(to_second(entry.updated), to_second(modified(item, meta)));
    }
    Ok(bytes)
}

/// The JSON Feed object `item` (its text fields as render keeps them) should appear as.
fn expected_json_item(item: &FeedItem, meta: &FeedMeta) -> Value {
    let mut value = json!({
        "id": item.id,
        "url": item.link,
        "title": item.title,
        "date_published": json_date(published(item, meta)),
        "date_modified": json_date(modified(item, meta)),
    });
    // JSON Feed requires content: the page's full text, else the summary, else the title. Its
    // `summary` is plain text, so an HTML summary beside full text is left out.
    match (&item.content, &item.summary) {
        (Some(content), summary) => {
            value["content_html"] = json!(content);
            if let Some(summary) = summary.as_deref().filter(|_| !meta.summary_is_html) {
                value["summary"] = json!(summary);
            }
        }
        (None, Some(summary)) if meta.summary_is_html => {
            value["content_html"] = json!(summary);
        }
        (None, Some(summary)) => value["content_text"] = json!(summary),
        (None, None) => value["content_text"] = json!(item.title),
    }
    if let Some(image) = &item.image {
        value["image"] = json!(image);
    }
    if let Some(author) = &item.author {
        value["authors"] = json!([{ "name": clean(author) }]);
    }
    value
}

/// The JSON Feed document: parses with serde_json and equals the expected document.
fn check_json(
    meta: &FeedMeta,
    items: &[FeedItem],
    want: &[FeedItem],
) -> Result<Vec<u8>, TestCaseError> {
    let bytes = ok(
        render(Format::Json, meta, items),
        "JSON Feed does not render",
    )?;
    let read: Value = ok(serde_json::from_slice(&bytes), "JSON Feed does not parse")?;
    let mut expected = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": clean(&meta.title),
        "home_page_url": meta.page_url,
        "description": clean(&meta.description),
        "authors": [{ "name": clean(&meta.author) }],
        "items": want.iter().map(|i| expected_json_item(i, meta)).collect::<Vec<_>>(),
    });
    if let Some(url) = &meta.json_url {
        expected["feed_url"] = json!(url);
    }
    if let Some(language) = &meta.language {
        expected["language"] = json!(language);
    }
    if let Some(hub) = &meta.hub {
        expected["hubs"] = json!([{ "type": "WebSub", "url": hub }]);
    }
    prop_assert_eq!(read, expected);
    Ok(bytes)
}

/// The items of a page as render takes them, undated ones left undated (the feed's date
/// stands in): what the history would publish of a first run, without its ordering.
fn as_feed_items(items: &[pressfeed::PageItem]) -> Vec<FeedItem> {
    items
        .iter()
        .map(|item| FeedItem {
            id: item.id.clone(),
            title: item.title.clone(),
            link: item.link.clone(),
            summary: item.summary.clone(),
            date: item.date,
            updated: None,
            content: item.content.clone(),
            author: item.author.clone(),
            image: item.image.clone(),
            categories: item.categories.clone(),
            enclosures: item.enclosures.clone(),
        })
        .collect()
}

/// Every format: renders, is well-formed and reads back to the expected values. Returns the
/// documents in `Format::ALL` order.
fn check_feeds(meta: &FeedMeta, items: &[FeedItem]) -> Result<[Vec<u8>; 3], TestCaseError> {
    // The items as render should write them: their text without the characters it strips.
    let want: Vec<FeedItem> = items
        .iter()
        .map(|item| FeedItem {
            title: kept(&item.title),
            summary: item.summary.as_deref().map(kept),
            content: item.content.as_deref().map(kept),
            ..item.clone()
        })
        .collect();
    Ok([
        check_rss(meta, items, &want)?,
        check_atom(meta, items, &want)?,
        check_json(meta, items, &want)?,
    ])
}

/// The ids each format gives its items: RSS guids, Atom entry ids, JSON Feed item ids.
fn rendered_ids(documents: &[Vec<u8>; 3]) -> [Vec<String>; 3] {
    let channel = rss::Channel::read_from(&documents[0][..]).unwrap();
    let feed = atom_syndication::Feed::read_from(&documents[1][..]).unwrap();
    let json: Value = serde_json::from_slice(&documents[2]).unwrap();
    [
        channel
            .items
            .iter()
            .map(|i| i.guid.as_ref().unwrap().value.clone())
            .collect(),
        feed.entries.iter().map(|e| e.id.clone()).collect(),
        json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect(),
    ]
}

/// Whether `ids` has no repeat.
fn all_unique(ids: &[String]) -> bool {
    ids.iter().collect::<HashSet<_>>().len() == ids.len()
}

// ---------------------------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(cases(96))]

    /// Any text in any item or feed field: every format renders, is well-formed, and reads
    /// back with its parser to the values put in, minus the characters stripped by design.
    #[test]
    fn every_format_round_trips_hostile_items((meta, items) in feed()) {
        check_feeds(&meta, &items)?;
    }
}

proptest! {
    #![proptest_config(cases(64))]

    /// Items built from a page whose titles and links repeat, are missing or are hostile have
    /// the expected unique ids, titles and links, and every format lists them under those ids;
    /// HTML summaries are sanitised.
    #[test]
    fn built_ids_are_unique_in_every_format(case in page_case()) {
        let spec = page_spec(case.html_summaries);
        let built = build(&page_html(&case), &spec);
        let (expected, repeats) = expected_items(&case);
        let (sources, expected): (Vec<usize>, Vec<ExpectedItem>) = expected.into_iter().unzip();
        let got: Vec<ExpectedItem> = built
            .items
            .iter()
            .map(|i| ExpectedItem {
                id: i.id.clone(),
                title: i.title.clone(),
                link: i.link.clone(),
            })
            .collect();
        prop_assert_eq!(&got, &expected);
        let ids: Vec<String> = built.items.iter().map(|i| i.id.clone()).collect();
        prop_assert!(all_unique(&ids), "repeated ids: {:?}", ids);
        let duplicates = built
            .warnings
            .iter()
            .filter(|w| matches!(w, ItemWarning::Duplicate { .. }))
            .count();
        prop_assert_eq!(duplicates, repeats);

        if case.html_summaries {
            // Sanitised: no markup that runs or hides anything is left (text is escaped).
            for item in &built.items {
                let summary = item.summary.as_deref().unwrap_or("");
                prop_assert_eq!(unsafe_markup(summary), Vec::<String>::new(), "in {:?}", summary);
            }
        } else {
            // Plain text: the text a reader sees, cleaned.
            let summaries: Vec<Option<String>> =
                built.items.iter().map(|i| i.summary.clone()).collect();
            let expected: Vec<Option<String>> =
                sources.iter().map(|&i| expected_summary(&case.items[i])).collect();
            prop_assert_eq!(summaries, expected);
        }

        let meta = page_meta(case.html_summaries);
        let documents = check_feeds(&meta, &as_feed_items(&built.items))?;
        for format_ids in rendered_ids(&documents) {
            prop_assert!(all_unique(&format_ids), "repeated ids: {:?}", format_ids);
            prop_assert_eq!(&format_ids, &ids);
        }
    }
}

proptest! {
    #![proptest_config(cases(48))]

    /// The same feed rendered twice, from the same values or from copies, gives the same
    /// bytes.
    #[test]
    fn rendering_is_deterministic((meta, items) in feed()) {
        let copies = (meta.clone(), items.clone());
        for format in Format::ALL {
            let first = ok(render(format, &meta, &items), "render")?;
            let again = ok(render(format, &copies.0, &copies.1), "render")?;
            prop_assert!(first == again, "{} differs between two renders", format.label());
        }
    }

    /// The same page built twice gives the same items, warnings and counts, and the same
    /// documents.
    #[test]
    fn building_items_is_deterministic(case in page_case()) {
        let spec = page_spec(case.html_summaries);
        let html = page_html(&case);
        let first = build(&html, &spec);
        let again = build(&html, &spec);
        prop_assert_eq!(&first.items, &again.items);
        prop_assert_eq!(&first.warnings, &again.warnings);
        prop_assert_eq!(first.counts, again.counts);
        let meta = page_meta(case.html_summaries);
        for format in Format::ALL {
            let a = ok(render(format, &meta, &as_feed_items(&first.items)), "render")?;
            let b = ok(render(format, &meta, &as_feed_items(&again.items)), "render")?;
            prop_assert!(a == b, "{} differs between two builds", format.label());
        }
    }
}

/// `len` bytes or a little more of every hostile piece in turn, with words between them.
fn megabyte_of_hostile_text(len: usize) -> String {
    let mut text = String::with_capacity(len + 64);
    for n in 0.. {
        if text.len() >= len {
            break;
        }
        text.push_str(HOSTILE_PIECES[n % HOSTILE_PIECES.len()]);
        text.push_str(LONG_RUN_UNITS[n % LONG_RUN_UNITS.len()]);
        text.push_str(" word ");
    }
    text
}

/// The sanitiser check sees the markup the pages put in raw: it would catch a summary that
/// is not sanitised.
#[test]
fn unsafe_markup_sees_raw_markup() {
    let found: Vec<Vec<String>> = SUMMARY_MARKUP
        .iter()
        .map(|(markup, _)| unsafe_markup(markup))
        .collect();
    assert_eq!(
        found,
        [
            vec!["<script>"],
            vec!["onclick=\"x()\""],
            vec![],
            vec!["onerror=\"y()\""],
            vec!["<iframe>"],
            vec!["href=\"javascript:alert(1)\""],
            vec!["<style>"],
            vec!["<script>"],
        ]
    );
    assert_eq!(
        unsafe_markup("&lt;script&gt; onerror=x"),
        Vec::<String>::new()
    );
}

/// A 1 MB title and a 1 MB summary holding every hostile piece: every format renders, is
/// well-formed and reads back, with plain summaries, then with HTML summaries beside 1 MB of
/// content; a page with such a title builds to its clean text and renders.
#[test]
fn one_megabyte_hostile_fields_round_trip() {
    const MB: usize = 1 << 20;
    let title = megabyte_of_hostile_text(MB);
    let summary = format!("{}\u{0}]]>", megabyte_of_hostile_text(MB));
    assert!(title.len() >= MB && summary.len() >= MB);
    for piece in HOSTILE_PIECES {
        assert!(title.contains(piece) && summary.contains(piece));
    }
    let item = FeedItem {
        id: "https://example.org/news/big#pressfeed-0123456789abcdef0123456789abcdef".into(),
        title: title.clone(),
        link: "https://example.org/news/".into(),
        summary: Some(summary.clone()),
        date: Some(DateTime::parse_from_rfc3339("2024-05-01T10:20:30.5+05:30").unwrap()),
        updated: None,
        content: None,
        author: Some(title.chars().take(1000).collect()),
        image: None,
        categories: Vec::new(),
        enclosures: Vec::new(),
    };
    // Plain summaries (RSS escapes them), then HTML summaries beside 1 MB of content; the
    // feed's own title and description hold every piece too.
    let small_hostile = megabyte_of_hostile_text(16 * 1024);
    for html_summaries in [false, true] {
        let mut meta = page_meta(html_summaries);
        meta.title = small_hostile.clone();
        meta.description = small_hostile.clone();
        let item = FeedItem {
            content: html_summaries.then(|| summary.clone()),
            ..item.clone()
        };
        let documents = check_feeds(&meta, std::slice::from_ref(&item)).unwrap();
        for document in &documents {
            assert!(document.len() > 2 * MB, "{} bytes", document.len());
        }
    }

    // The same title on a page: extraction and item building keep its clean text.
    let case = PageCase {
        items: vec![PageItem {
            title: Some(title.clone()),
            href: Some("big.html".into()),
            date: Some("2024-05-01"),
            summary: Some((small_hostile, Some(SUMMARY_MARKUP[0]))),
        }],
        html_summaries: true,
    };
    let built = build(&page_html(&case), &page_spec(true));
    assert_eq!(built.items.len(), 1, "{:?}", built.warnings);
    let built_item = &built.items[0];
    assert!(
        built_item.title == clean(&title),
        "the title is not its clean text"
    );
    assert_eq!(built_item.link, "https://example.org/news/big.html");
    let built_summary = built_item.summary.as_deref().unwrap();
    assert!(!built_summary.to_ascii_lowercase().contains("<script"));
    check_feeds(&page_meta(true), &as_feed_items(&built.items)).unwrap();
}

/// Relative dates before the year 1000 ("3000 years ago" is the year -974 or so) are no dates:
/// the item is kept undated with a warning, and every format renders. RSS's RFC 2822 writer
/// panicked on a negative year, taking the whole run down.
#[test]
fn issue_6_relative_dates_before_the_year_1000_are_no_dates() {
    let dates = ["3000 years ago", "1500 years ago", "2 years ago"];
    let case = PageCase {
        items: dates
            .iter()
            .enumerate()
            .map(|(n, &date)| PageItem {
                title: Some(format!("Item {n}")),
                href: Some(format!("item-{n}.html")),
                date: Some(date),
                summary: None,
            })
            .collect(),
        html_summaries: false,
    };
    let built = build(&page_html(&case), &page_spec(false));
    let years: Vec<Option<i32>> = built
        .items
        .iter()
        .map(|i| i.date.map(|d| chrono::Datelike::year(&d)))
        .collect();
    assert_eq!(years, [None, None, Some(2022)]);
    let warnings: Vec<String> = built.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "item 1 \"Item 0\": field \"date\": \"3000 years ago\" matches none of the date \
             formats tried (read as the year -974; feeds carry the years 1000 to 9999 only); the \
             item is kept undated",
            "item 2 \"Item 1\": field \"date\": \"1500 years ago\" matches none of the date \
             formats tried (read as the year 525; feeds carry the years 1000 to 9999 only); the \
             item is kept undated",
        ]
    );
    check_feeds(&page_meta(false), &as_feed_items(&built.items)).unwrap();
}

/// Pieces of date texts as pages write them: numbers of every size, month names in several
/// languages, era names, relative words, separators and noise.
fn date_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        (0u32..100_000).prop_map(|n| n.to_string()),
        (1u32..32).prop_map(|n| format!("{n:02}")),
        (0u32..10_000).prop_map(|n| format!("{n}年")),
        select(vec![
            "March",
            "Mar",
            "marzo",
            "März",
            "марта",
            "Μαρτίου",
            "marca",
            "مارس",
            "มีนาคม",
            "令和",
            "平成",
            "民國",
            "元年",
            "月",
            "日",
            "年",
            "ago",
            "hours",
            "days",
            "yesterday",
            "前",
            "小时前",
            "vor",
            "Tagen",
            "Gestern",
            "at",
            "pm",
            "Uhr",
            "-",
            "|",
            ",",
            "/",
            ".",
            ":",
            "(火)",
            "T",
            "Z",
            "+02:00",
            "10:30",
            "2016",
            "9999",
            "0000",
            "12/31/9999",
        ])
        .prop_map(str::to_string),
    ];
    vec(word, 1..8).prop_map(|words| words.join(" "))
}

proptest! {
    #![proptest_config(cases(512))]

    /// Issue 13: whatever the text, a date read is within the years a feed carries, and one
    /// worked out from the reference time (relative, year-less) is not after it by more
    /// than a day; only a date the page writes whole may lie beyond.
    #[test]
    fn dates_read_stay_in_range_and_before_the_reference(
        text in date_text(),
        days in 0i64..3_000_000,
    ) {
        let reference = chrono::DateTime::from_timestamp(0, 0).unwrap()
            + chrono::TimeDelta::days(days % 2_900_000);
        if let Ok(read) = pressfeed::parse_date_at(&text, &[], chrono_tz::Tz::UTC, reference) {
            let year = chrono::Datelike::year(&read.date);
            prop_assert!(pressfeed::PLAUSIBLE_YEARS.contains(&year), "{text:?}: {}", read.date);
            if read.inferred {
                prop_assert!(
                    read.date <= reference + chrono::TimeDelta::days(1),
                    "{text:?} read as {} with the reference {reference}",
                    read.date
                );
            }
        }
    }
}
