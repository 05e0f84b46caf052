//! What each fuzz target checks, one function per target: a panic is a bug.
//!
//! One copy, used by the fuzz targets (`fuzz/fuzz_targets/`) and by the main crate's
//! regression test (`tests/it/regressions.rs`), which replays every input kept under
//! `fixtures/fuzz/<target>/`. The structured targets (`dates`, `render`) read their bytes with
//! [`Input`] rather than `arbitrary`, so that the replay needs no fuzzing crate.

use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Offset, Utc};
use chrono_tz::{TZ_VARIANTS, Tz};
use pressfeed::{
    Body, Config, DateFormat, FeedItem, FeedMeta, Format, ListingPage, PLAUSIBLE_YEARS, PageFacts,
    Validators, feed_block, matches_format, parse_date_at, parse_dates, parse_relative, read_items,
    strip_forbidden_chars, suggest,
};
use url::Url;

/// The shipped configuration (the ILO feed).
const SHIPPED_CONFIG: &str = include_str!("../../config.toml");

/// The address `suggest` is told the page has, as `pressfeed suggest FILE` does.
const SUGGEST_URL: &str = "https://example.org/news/";

/// A small listing page for the `config` target: the ILO page's shape plus common list shapes,
/// so that most mutated configs still find items.
const SMALL_PAGE: &str = r#"<!DOCTYPE html><html lang="en"><head><title>News</title>
<base href="/beijing/"></head><body><div class="press-releases"><ol class="item-list">
<li class="item"><h3 class="item-title"><a href="a.htm" title="First &amp; best">First &amp; best</a></h3>
<span class="date">25 April 2014</span><time datetime="2014-04-25T10:00:00+08:00">Apr 25</time>
<p class="item-summary">A <b>bold</b> summary <script>x()</script> with a <a href="/x">link</a>.</p></li>
<li class="item"><h3 class="item-title"><a href="https://example.org/b?x=1&amp;y=2">Second</a></h3>
<span class="date">3 hours ago</span><p class="item-summary">Plain</p></li>
<li class="item"><h3 class="item-title"><a>Linkless</a></h3><span class="date">1 May</span></li>
<li class="item"><h3 class="item-title"><a href="javascript:void(0)">Script link</a></h3></li>
</ol></div><ul><li><a href="/c">C</a> <span>2020-01-02</span></li><li><a href="/d">D</a></li></ul>
<table><tr><td><a href="/e">E</a></td><td>02.03.2021</td></tr></table></body></html>"#;

/// Two JSON feeds for the `json_source` target: an API read by JSONPath (descendant paths,
/// a regex, HTML summaries), and the same shapes embedded in an HTML page.
const JSON_CONFIG: &str = r#"[[feed]]
id = "api"
title = "API"
url = "https://example.org/news/"
format = "json"
summary_format = "html"
max_items = 5
[feed.selectors]
item = "$..items[*]"
title = "$.title"
link = { selector = "$.url", regex = "(\\S+)" }
date = "$.date"
summary = "$.body"

[[feed]]
id = "embedded"
title = "Embedded"
url = "https://example.org/news/"
format = "json"
embedded = "script#__NEXT_DATA__"
[feed.selectors]
item = "$.props.pageProps.posts[*]"
title = "$['title', 'headline']"
link = "$.slug"
date = "$.meta.published"
summary = "$.excerpt"
"#;

/// The JSON feeds' configuration, loaded once.
fn json_feeds() -> &'static Config {
    static JSON: OnceLock<Config> = OnceLock::new();
    JSON.get_or_init(|| {
        Config::parse(JSON_CONFIG, Path::new("json.toml"))
            .unwrap_or_else(|err| panic!("the JSON feeds' config does not load: {err}"))
    })
}

/// The shipped configuration, loaded once.
fn shipped() -> &'static Config {
    static SHIPPED: OnceLock<Config> = OnceLock::new();
    SHIPPED.get_or_init(|| {
        Config::parse(SHIPPED_CONFIG, Path::new("config.toml"))
            .unwrap_or_else(|err| panic!("the shipped config.toml does not load: {err}"))
    })
}

/// `data` decoded as a fetched page is (no HTTP charset), with `encoding` the feed's override.
fn decode(data: &[u8], encoding: Option<&'static encoding_rs::Encoding>) -> String {
    let body = Body {
        url: Url::parse(SUGGEST_URL).expect("a literal URL"),
        bytes: data.to_vec(),
        http_charset: None,
        validators: Validators::default(),
        served_at: None,
    };
    body.decode(encoding).text
}

/// The run's time in every check, so that inputs replay identically.
fn now() -> DateTime<Utc> {
    // 2024-06-15T12:34:56Z; a literal in range cannot fail.
    DateTime::from_timestamp(1_718_454_896, 0).expect("a timestamp in chrono's range")
}

/// `extract_ilo`: `data` as the page of the shipped ILO feed, decoded, extracted, built into
/// items and rendered as the pipeline does.
pub fn extract_ilo(data: &[u8]) {
    let config = shipped();
    let spec = &config.feeds[0];
    let text = decode(data, spec.encoding);
    feed_of_page(config, 0, &text);
}

/// `json_source`: `data` as the body of a JSON API feed and as the HTML page of a feed reading
/// embedded JSON, decoded, extracted, built into items and rendered as the pipeline does. Not
/// JSON, too deep or without items is an error, never a panic.
pub fn json_source(data: &[u8]) {
    let config = json_feeds();
    for index in 0..config.feeds.len() {
        let text = decode(data, config.feeds[index].encoding);
        feed_of_page(config, index, &text);
    }
}

/// `extract_suggested`: `data` as a page for `pressfeed suggest`; the best suggestion's block
/// must load as a config whose item selector finds items, and the feed it gives must render.
pub fn extract_suggested(data: &[u8]) {
    let html = decode(data, None);
    let found = suggest(&html, now(), 1);
    let Some(best) = found.first() else {
        return;
    };
    let facts = PageFacts::read(&html, url::Url::parse(SUGGEST_URL).ok().as_ref());
    let title = facts
        .title
        .clone()
        .unwrap_or_else(|| "suggested".to_string());
    let block = feed_block(best, "suggested", &title, SUGGEST_URL, None, &facts);
    let config = Config::parse(&block, Path::new("suggest.toml"))
        .unwrap_or_else(|err| panic!("the suggested block does not load: {err}\n{block}"));
    assert!(
        feed_of_page(&config, 0, &html),
        "the suggested item selector finds nothing:\n{block}"
    );
}

/// `dates`: arbitrary text, formats and time zone through the date parsers, read as of a fixed
/// time: no panic, no hang. `item::parse_dates`, the gate between the parsers and the feeds,
/// must give only dates with four-digit years (readers, RFC 2822 and RFC 3339 need them); the
/// parsers themselves may read "3000 years ago" as the year -974, for its warning to say so.
pub fn dates(data: &[u8]) {
    let mut input = Input::new(data);
    let tz: Tz = TZ_VARIANTS[usize::from(input.u16()) % TZ_VARIANTS.len()];
    let text = input.text();
    let written: Vec<String> = input.rest().into_iter().take(4).collect();
    // Formats chrono cannot use are refused when the config loads.
    let formats: Vec<DateFormat> = written.iter().filter_map(|f| DateFormat::new(f)).collect();
    if let Ok(date) = parse_date_at(&text, &formats, tz, now()) {
        let _ = date.date.to_rfc3339();
    }
    let _ = parse_relative(&text, tz, now());
    for format in &written {
        matches_format(&text, format);
    }
    let mut spec = shipped().feeds[0].clone();
    spec.timezone = tz;
    spec.date_formats = formats;
    if let Ok(Some(date)) = parse_dates(std::slice::from_ref(&text), &spec, now()) {
        let date = date.date;
        assert!(
            PLAUSIBLE_YEARS.contains(&date.year()),
            "{text:?} reads as {date:?}, outside four-digit years"
        );
        let _ = date.to_rfc2822();
    }
}

/// `config`: `data` as a config file. Loading it fails or succeeds, and what loads is usable:
/// each feed's names and fingerprint, and a small page read and rendered with it.
pub fn config(data: &[u8]) {
    // `Config::load` reads the file as UTF-8 and fails on anything else.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let config = match Config::parse(text, Path::new("fuzz/config.toml")) {
        Ok(config) => config,
        Err(err) => {
            // The message quotes the input at the error's place.
            let _ = format!("{err:#}");
            return;
        }
    };
    assert!(!config.feeds.is_empty(), "a config loaded without feeds");
    for (index, spec) in config.feeds.iter().enumerate() {
        assert!(
            !spec.formats.is_empty(),
            "feed {:?} writes no format",
            spec.id
        );
        assert!(spec.max_items > 0, "feed {:?} lists no item", spec.id);
        let _ = spec.fingerprint();
        let _ = spec.source.to_string();
        for format in Format::ALL {
            let _ = spec.file_name(format);
        }
        if let Some(pagination) = &spec.pagination {
            // The pages a backfill asks for.
            for number in 2..=pagination.max_pages {
                let _ = pagination.pattern_url(number);
            }
        }
        feed_of_page(&config, index, SMALL_PAGE);
    }
}

/// `render`: arbitrary item fields and feed metadata through every format. The text fields
/// are any text; the fields that are URLs (links, ids, the feed's addresses) are URLs made from
/// any text, the language is a tag, and dates have four-digit years, as the rest of pressfeed
/// gives them (the config, `url`, `item::parse_dates`).
pub fn render(data: &[u8]) {
    let mut input = Input::new(data);
    let item_count = usize::from(input.u8() % 8);
    let flags = input.u8();
    let page_url = input.url(None);
    let meta = FeedMeta {
        title: input.text(),
        description: input.text(),
        // A tag: the config accepts nothing else.
        language: (flags & 1 != 0).then(|| {
            let text = input.text();
            text.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "")
        }),
        author: input.text(),
        rss_url: (flags & 2 != 0).then(|| input.url(Some(&page_url))),
        atom_url: (flags & 4 != 0).then(|| input.url(Some(&page_url))),
        json_url: (flags & 8 != 0).then(|| input.url(Some(&page_url))),
        hub: (flags & 16 != 0).then(|| input.url(Some(&page_url))),
        summary_is_html: flags & 32 != 0,
        updated: input.date(),
        page_url: page_url.clone(),
    };
    let items: Vec<FeedItem> = (0..item_count)
        .map(|_| {
            let flags = input.u8();
            let more = input.u8();
            let link = input.url(Some(&page_url));
            let id = if flags & 1 != 0 {
                // A linkless item's id, as `item::build_items` makes it.
                format!("{page_url}#pressfeed-{:016x}", input.i64())
            } else {
                link.clone()
            };
            FeedItem {
                id,
                link,
                title: input.text(),
                summary: (flags & 2 != 0).then(|| input.text()),
                date: (flags & 4 != 0).then(|| input.date()),
                updated: (flags & 8 != 0).then(|| input.date()),
                // (flag 16 once marked an inferred date, which feeds do not show.)
                content: (flags & 32 != 0).then(|| input.text()),
                author: (flags & 64 != 0).then(|| input.text()),
                image: (flags & 128 != 0).then(|| input.url(Some(&page_url))),
                categories: (0..more & 3).map(|_| input.text()).collect(),
                enclosures: (0..(more >> 2) & 3)
                    .map(|_| pressfeed::Enclosure {
                        url: input.url(Some(&page_url)),
                        mime_type: "application/pdf".to_string(),
                        length: (more & 16 != 0).then(|| u64::from(input.u16())),
                    })
                    .collect(),
            }
        })
        .collect();
    // Ids are unique in a feed: the history keys items by id.
    let mut seen = HashSet::new();
    let items: Vec<FeedItem> = items
        .into_iter()
        .filter(|item| seen.insert(item.id.clone()))
        .collect();
    check_feeds(&meta, &items, usize::MAX, false);
}

/// Reads feed `index` of `config` from `html` (the page's text) and renders it as a refresh
/// does, without the history; whether the item selector found anything.
fn feed_of_page(config: &Config, index: usize, html: &str) -> bool {
    let spec = &config.feeds[index];
    let Ok(page) = ListingPage::parse(html, &spec.page_url, spec) else {
        return false;
    };
    let built = read_items(&page, spec, now());
    drop(page);
    let mut ids = HashSet::new();
    for item in &built.items {
        assert!(!item.title.is_empty(), "an item without a title: {item:?}");
        assert!(ids.insert(&item.id), "two items with id {:?}", item.id);
    }
    let (meta, items) = crate::feeds::arrange(spec, &config.output, built.items, now());
    check_feeds(&meta, &items, spec.max_items, true);
    true
}

/// Renders `items` in every format and reads each document back with real parsers. With
/// `exact`, the items are as `item::build_items` makes them, and their titles, links and ids
/// must read back unchanged.
fn check_feeds(meta: &FeedMeta, items: &[FeedItem], max_items: usize, exact: bool) {
    assert!(
        items.len() <= max_items,
        "{} items, more than max_items = {max_items}",
        items.len()
    );
    let mut ids = HashSet::new();
    for item in items {
        assert!(ids.insert(&item.id), "two items with id {:?}", item.id);
        let link = Url::parse(&item.link)
            .unwrap_or_else(|err| panic!("item link {:?} is not a URL: {err}", item.link));
        assert!(
            matches!(link.scheme(), "http" | "https"),
            "item link {:?} is not http(s)",
            item.link
        );
    }
    let title = |item: &FeedItem| strip_forbidden_chars(&item.title).into_owned();
    let categories = |item: &FeedItem| -> Vec<String> {
        item.categories
            .iter()
            .map(|c| strip_forbidden_chars(c).into_owned())
            .collect()
    };
    for format in Format::ALL {
        let bytes = pressfeed::render(format, meta, items)
            .unwrap_or_else(|err| panic!("{format:?} does not render: {err:#?}"));
        let text = std::str::from_utf8(&bytes)
            .unwrap_or_else(|err| panic!("{format:?} is not UTF-8: {err}"));
        match format {
            Format::Rss => {
                well_formed(format, text);
                let channel = rss::Channel::read_from(&bytes[..])
                    .unwrap_or_else(|err| panic!("rss does not read the RSS: {err}\n{text}"));
                assert_eq!(channel.items.len(), items.len(), "RSS items\n{text}");
                for (read, item) in channel.items.iter().zip(items) {
                    assert_eq!(read.link.as_deref(), Some(&*item.link), "RSS link\n{text}");
                    let guid = read.guid.as_ref().map(|g| g.value.as_str());
                    assert_eq!(guid, Some(&*item.id), "RSS guid\n{text}");
                    if exact {
                        assert_eq!(read.title, Some(title(item)), "RSS title\n{text}");
                        let names: Vec<&str> =
                            read.categories.iter().map(|c| c.name.as_str()).collect();
                        assert_eq!(names, categories(item), "RSS categories\n{text}");
                    }
                    let enclosure = read.enclosure.as_ref().map(|e| e.url.as_str());
                    let first = item.enclosures.first().map(|e| e.url.as_str());
                    assert_eq!(enclosure, first, "RSS enclosure\n{text}");
                }
            }
            Format::Atom => {
                well_formed(format, text);
                let feed = atom_syndication::Feed::read_from(&bytes[..])
                    .unwrap_or_else(|err| panic!("atom does not read the Atom: {err}\n{text}"));
                assert_eq!(feed.entries.len(), items.len(), "Atom entries\n{text}");
                for (read, item) in feed.entries.iter().zip(items) {
                    assert_eq!(read.id, item.id, "Atom id\n{text}");
                    let href = read.links.first().map(|l| l.href.as_str());
                    assert_eq!(href, Some(&*item.link), "Atom link\n{text}");
                    if exact {
                        assert_eq!(read.title.value, title(item), "Atom title\n{text}");
                        let terms: Vec<&str> =
                            read.categories.iter().map(|c| c.term.as_str()).collect();
                        assert_eq!(terms, categories(item), "Atom categories\n{text}");
                    }
                    let enclosures: Vec<&str> = read
                        .links
                        .iter()
                        .filter(|l| l.rel == "enclosure")
                        .map(|l| l.href.as_str())
                        .collect();
                    let given: Vec<&str> = item.enclosures.iter().map(|e| e.url.as_str()).collect();
                    assert_eq!(enclosures, given, "Atom enclosures\n{text}");
                }
            }
            Format::Json => {
                let feed: serde_json::Value = serde_json::from_str(text)
                    .unwrap_or_else(|err| panic!("JSON Feed is not JSON: {err}\n{text}"));
                let read = feed["items"]
                    .as_array()
                    .unwrap_or_else(|| panic!("JSON Feed without items\n{text}"));
                assert_eq!(read.len(), items.len(), "JSON Feed items\n{text}");
                for (read, item) in read.iter().zip(items) {
                    assert_eq!(read["id"].as_str(), Some(&*item.id), "JSON id\n{text}");
                    assert_eq!(read["url"].as_str(), Some(&*item.link), "JSON url\n{text}");
                    if exact {
                        let tags: Vec<&str> = read["tags"]
                            .as_array()
                            .map(|tags| tags.iter().filter_map(|t| t.as_str()).collect())
                            .unwrap_or_default();
                        assert_eq!(tags, categories(item), "JSON tags\n{text}");
                        let read = read["title"].as_str().map(str::to_string);
                        assert_eq!(read, Some(title(item)), "JSON title\n{text}");
                    }
                }
            }
        }
    }
}

fn well_formed(format: Format, text: &str) {
    if let Err(err) = roxmltree::Document::parse(text) {
        panic!("{format:?} is not well-formed XML: {err}\n{text}");
    }
}

/// Fuzz bytes read as structured values, as `arbitrary::Unstructured` would. Byte 0xFF (never
/// part of UTF-8) splits the input in parts: the first holds the numbers, read little-endian
/// (zeros once it runs out); each later part is a text (lossy UTF-8; empty once they run out).
struct Input<'a> {
    numbers: &'a [u8],
    texts: std::slice::Split<'a, u8, fn(&u8) -> bool>,
}

impl<'a> Input<'a> {
    fn new(data: &'a [u8]) -> Self {
        let split: fn(&u8) -> bool = |&b| b == 0xFF;
        let mut parts = data.split(split);
        let numbers = parts.next().unwrap_or_default();
        Input {
            numbers,
            texts: parts,
        }
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        let n = N.min(self.numbers.len());
        out[..n].copy_from_slice(&self.numbers[..n]);
        self.numbers = &self.numbers[n..];
        out
    }

    fn u8(&mut self) -> u8 {
        self.bytes::<1>()[0]
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.bytes())
    }

    fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.bytes())
    }

    fn text(&mut self) -> String {
        self.texts
            .next()
            .map(|part| String::from_utf8_lossy(part).into_owned())
            .unwrap_or_default()
    }

    fn rest(&mut self) -> Vec<String> {
        self.texts
            .by_ref()
            .map(|part| String::from_utf8_lossy(part).into_owned())
            .collect()
    }

    /// A URL from the next text: absolute, else relative to `base`, else `base` itself (or a
    /// fixed address).
    fn url(&mut self, base: Option<&str>) -> String {
        let text = self.text();
        let base = base.and_then(|b| Url::parse(b).ok());
        Url::parse(&text)
            .ok()
            .or_else(|| base.as_ref().and_then(|b| b.join(&text).ok()))
            .or(base)
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .map_or_else(|| "https://example.org/news/".to_string(), String::from)
    }

    /// A date with a four-digit year, in its own offset.
    fn date(&mut self) -> DateTime<FixedOffset> {
        // A day's margin at both ends keeps the year four-digit in any offset.
        let timestamp = |y, m, d| {
            NaiveDate::from_ymd_opt(y, m, d)
                .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp())
                .unwrap_or_default()
        };
        let (first, last) = (timestamp(1000, 1, 2), timestamp(9999, 12, 30));
        let seconds = first + self.i64().rem_euclid(last - first);
        // Any offset chrono allows (less than a day either way), seconds included.
        let offset = u32::from_le_bytes(self.bytes()) % (2 * 86_400 - 1);
        let offset = FixedOffset::east_opt(offset as i32 - 86_399).unwrap_or(Utc.fix());
        DateTime::from_timestamp(seconds, 0)
            .unwrap_or_default()
            .with_timezone(&offset)
    }
}
