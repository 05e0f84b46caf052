//! Loading and validating `config.toml`: turns text into compiled [`FeedSpec`]s once, at start.
//!
//! Every error names the file, the line and column, the feed and the field.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::format::{Item as FormatItem, StrftimeItems};
use chrono_tz::Tz;
use encoding_rs::Encoding;
use scraper::Selector;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

/// Default number of items a feed lists.
pub const DEFAULT_MAX_ITEMS: usize = 50;
/// Default days an item that left the listing page stays in the feed.
pub const DEFAULT_KEEP_DAYS: u32 = 30;
/// Default share of the last good run's item count below which a run fails.
pub const DEFAULT_MIN_ITEM_SHARE: f64 = 0.2;
/// Default largest page pressfeed reads (10 MiB).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;
/// The `User-Agent` sent unless a feed or `[fetch]` names another.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "pressfeed/",
    env!("CARGO_PKG_VERSION"),
    " (+",
    env!("CARGO_PKG_REPOSITORY"),
    ")"
);

/// A loaded, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file the configuration was read from.
    pub path: PathBuf,
    /// Where and how feeds are published.
    pub output: OutputSettings,
    /// How a run fetches: concurrency, politeness, retries.
    pub run: RunSettings,
    /// The feeds, in file order.
    pub feeds: Vec<FeedSpec>,
}

/// The `[output]` section.
#[derive(Debug, Clone)]
pub struct OutputSettings {
    /// Folder the feed files are written to (relative paths are taken from the config file's folder).
    pub dir: PathBuf,
    /// Public address of that folder, for the feeds' `rel="self"` links.
    pub base_url: Option<Url>,
    /// The state file (item history, HTTP validators, run log); its lock file sits beside it.
    pub state: PathBuf,
    /// A WebSub hub told about every feed that changed, when set.
    pub websub_hub: Option<Url>,
}

/// A feed format pressfeed writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// RSS 2.0, `<id>.rss`.
    Rss,
    /// Atom 1.0, `<id>.atom`.
    Atom,
    /// JSON Feed 1.1, `<id>.json`.
    Json,
}

impl Format {
    /// Every format, in the order files are written and listed.
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    /// The file extension (and the format's name in the config).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    /// The media type the file is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml",
            Format::Atom => "application/atom+xml",
            Format::Json => "application/feed+json",
        }
    }

    /// The format's name for people.
    pub fn label(self) -> &'static str {
        match self {
            Format::Rss => "RSS",
            Format::Atom => "Atom",
            Format::Json => "JSON Feed",
        }
    }
}

/// Run-wide fetch settings from `[fetch]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    /// Feeds refreshed at the same time.
    pub concurrency: usize,
    /// Pause between two requests to the same host.
    pub host_delay: Duration,
    /// Retries after a connect error, timeout, 5xx or 429.
    pub retries: u32,
    /// Longest a fetch may spend waiting between retries in all.
    pub retry_time: Duration,
    /// Whether this run reads every page of paginated feeds (`run --backfill`), not only
    /// the first (which is what runs do once a feed has a history).
    pub backfill: bool,
}

/// How to reach a listing's older pages.
#[derive(Debug, Clone)]
pub struct Pagination {
    /// Where the next page's address is found.
    pub next: NextPage,
    /// Most pages read, the first included.
    pub max_pages: usize,
}

/// Where a listing's next page is.
#[derive(Debug, Clone)]
pub enum NextPage {
    /// The `href` of the first element this selector matches on the current page.
    Selector(Selector),
    /// An address with `{page}` (2, 3, …) or `{offset}` (`step`, 2 × `step`, …) in it.
    Pattern {
        /// The address pattern.
        pattern: String,
        /// Items per page, for `{offset}`.
        step: usize,
    },
}

impl Pagination {
    /// The address of page `number` (2 or more) by the pattern, when there is one; `None`
    /// also when its offset overflows (a huge `step`).
    pub fn pattern_url(&self, number: usize) -> Option<Url> {
        let NextPage::Pattern { pattern, step } = &self.next else {
            return None;
        };
        let offset = number.checked_sub(1)?.checked_mul(*step)?;
        let text = pattern
            .replace("{page}", &number.to_string())
            .replace("{offset}", &offset.to_string());
        Url::parse(&text).ok()
    }
}

/// How one feed's page is fetched (`[fetch]` defaults, overridden per feed).
#[derive(Debug, Clone, PartialEq)]
pub struct FetchSettings {
    /// `User-Agent` header.
    pub user_agent: String,
    /// Longest wait for a connection.
    pub connect_timeout: Duration,
    /// Longest a whole request (headers and body) may take.
    pub timeout: Duration,
    /// Largest body read, after decompression.
    pub max_body_bytes: u64,
    /// Whether the host's `robots.txt` is honoured.
    pub robots_txt: bool,
}

/// One `[[feed]]`: a listing page and how to read it, compiled.
#[derive(Debug, Clone)]
pub struct FeedSpec {
    /// Short name, used for file names (`<id>.rss`, `<id>.atom`).
    pub id: String,
    /// Feed title.
    pub title: String,
    /// Feed description (defaults to the title).
    pub description: String,
    /// Language tag such as `en` or `zh-CN`.
    pub language: Option<String>,
    /// Public address of the listing page: resolves relative links and is the feed's `link`.
    pub page_url: Url,
    /// Where the page's bytes come from.
    pub source: Source,
    /// Feed author name (defaults to the page's host).
    pub author: String,
    /// Time zone for dates that carry none.
    pub timezone: Tz,
    /// The feed's own date formats (chrono `strftime` syntax), tried before the common ones.
    pub date_formats: Vec<String>,
    /// Most items a feed lists.
    pub max_items: usize,
    /// Whether summaries are published as plain text or sanitised HTML.
    pub summary_format: SummaryFormat,
    /// Where each field is found on the page.
    pub selectors: Selectors,
    /// How the page is fetched.
    pub fetch: FetchSettings,
    /// Character encoding that overrides what the page declares.
    pub encoding: Option<&'static Encoding>,
    /// Days an item that left the listing page stays in the feed.
    pub keep_days: u32,
    /// A run fails when it finds fewer items than this share of the last good run's.
    pub min_item_share: f64,
    /// The formats written, in [`Format::ALL`] order, never empty.
    pub formats: Vec<Format>,
    /// How to reach older pages of the listing, to fill the history.
    pub pagination: Option<Pagination>,
    /// What to read from each item's own page, if anything.
    pub detail: Option<DetailSelectors>,
}

/// `[feed.detail]`: fields read from each item's own page (all relative to the whole page).
#[derive(Debug, Clone)]
pub struct DetailSelectors {
    /// The full text, published as sanitised HTML.
    pub content: Option<FieldSelector>,
    /// The date, used when the listing gives none.
    pub date: Option<FieldSelector>,
    /// The summary, used when the listing gives none.
    pub summary: Option<FieldSelector>,
    /// The author's name.
    pub author: Option<FieldSelector>,
    /// An image (`src`, or the named attribute).
    pub image: Option<FieldSelector>,
}

impl FeedSpec {
    /// The name of the feed's file in `format`: `<id>.<extension>`.
    pub fn file_name(&self, format: Format) -> String {
        format!("{}.{}", self.id, format.extension())
    }
    /// A hash of everything that decides what is read from the page (address, selectors,
    /// encoding, dates, how many items): when it changes, the page is fetched whole again
    /// instead of conditionally, so the change shows at once.
    pub fn fingerprint(&self) -> String {
        let field = |f: &FieldSelector| {
            format!(
                "{}@{}~{}",
                f.css,
                f.attr.as_deref().unwrap_or(""),
                f.regex.as_ref().map(regex::Regex::as_str).unwrap_or("")
            )
        };
        let optional = |f: &Option<FieldSelector>| f.as_ref().map(field).unwrap_or_default();
        let selectors = &self.selectors;
        let text = [
            self.source.to_string(),
            self.page_url.to_string(),
            selectors.item_css.clone(),
            field(&selectors.title),
            field(&selectors.link),
            selectors.date.as_ref().map(field).unwrap_or_default(),
            selectors.summary.as_ref().map(field).unwrap_or_default(),
            self.encoding
                .map(|e| e.name().to_string())
                .unwrap_or_default(),
            self.date_formats.join("\u{1f}"),
            self.timezone.name().to_string(),
            format!("{:?}", self.summary_format),
            self.max_items.to_string(),
            self.detail
                .as_ref()
                .map(|d| {
                    [&d.content, &d.date, &d.summary, &d.author, &d.image]
                        .into_iter()
                        .map(optional)
                        .collect::<Vec<_>>()
                        .join("\u{1f}")
                })
                .unwrap_or_default(),
        ]
        .join("\u{1e}");
        crate::store::content_hash(&text, None)
    }
}

/// Where a page is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Fetched over HTTP(S).
    Http(Url),
    /// Read from a local file.
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Http(url) => write!(f, "{url}"),
            Source::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// How summaries are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SummaryFormat {
    /// Plain text (the default): markup is dropped, whitespace collapsed.
    #[default]
    Text,
    /// HTML, sanitised with ammonia, links made absolute.
    Html,
}

/// The compiled CSS selectors of a feed.
#[derive(Debug, Clone)]
pub struct Selectors {
    /// Selects each item on the page.
    pub item: Selector,
    /// The item selector as written, for messages.
    pub item_css: String,
    /// Item title.
    pub title: FieldSelector,
    /// Item link (`href` unless another attribute is named).
    pub link: FieldSelector,
    /// Item date, if the page shows one.
    pub date: Option<FieldSelector>,
    /// Item summary, if the page shows one.
    pub summary: Option<FieldSelector>,
}

/// Where one field of an item is found: an element under the item (or the item itself), and
/// optionally the attribute holding the value.
#[derive(Debug, Clone)]
pub struct FieldSelector {
    /// Selector relative to the item; `None` means the item element itself.
    pub selector: Option<Selector>,
    /// The selector as written, for messages (empty for the item itself).
    pub css: String,
    /// Attribute to read instead of the element's text.
    pub attr: Option<String>,
    /// Cuts the value out of the text: the first capture group, or the whole match.
    pub regex: Option<regex::Regex>,
}

impl FieldSelector {
    /// `value` cut by the field's `regex` (unchanged without one); `None` when it does not
    /// match or leaves nothing.
    pub fn cut(&self, value: String) -> Option<String> {
        let Some(regex) = &self.regex else {
            return Some(value);
        };
        let captures = regex.captures(&value)?;
        let part = captures.get(1).or_else(|| captures.get(0))?.as_str().trim();
        (!part.is_empty()).then(|| part.to_string())
    }
}

/// What can go wrong loading a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {}", shown_path(path))]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not match the expected shape.
    #[error("{location}{}: {message}", field_label(field))]
    Syntax {
        /// Where the error is.
        location: Location,
        /// The key at that place, when it can be told.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A value is well-formed TOML but not usable.
    #[error("{location}: field \"{field}\": {reason}")]
    Invalid {
        /// Where the value is.
        location: Location,
        /// The field, as a dotted path inside the feed (for example `selectors.title`).
        field: String,
        /// What is wrong, quoting the value.
        reason: String,
    },
    /// The file defines no `[[feed]]`.
    #[error("{}: no [[feed]] is defined", path.display())]
    NoFeeds {
        /// The config file.
        path: PathBuf,
    },
}

/// A path as given, with the folder it is relative to when it is relative.
fn shown_path(path: &Path) -> String {
    match std::env::current_dir() {
        Ok(dir) if path.is_relative() => format!("{} (in {})", path.display(), dir.display()),
        _ => path.display().to_string(),
    }
}

fn field_label(field: &Option<String>) -> String {
    field
        .as_ref()
        .map(|f| format!(": field \"{f}\""))
        .unwrap_or_default()
}

/// A place in the config file: `path:line:column`, and the feed it belongs to.
#[derive(Debug, Clone)]
pub struct Location {
    /// The config file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The id of the `[[feed]]` the place is in, if any.
    pub feed: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)?;
        if let Some(feed) = &self.feed {
            write!(f, ": feed \"{feed}\"")?;
        }
        Ok(())
    }
}

/// Reads and validates the configuration file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Parses and validates configuration text; `path` is used for messages and to resolve
/// relative paths.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let doc = Document { text, path };
    let raw: RawConfig = toml::from_str(text).map_err(|err| {
        let offset = err.span().map(|s| s.start).unwrap_or(0);
        let message = err.message().trim().to_string();
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string);
        ConfigError::Syntax {
            location: doc.location(offset, None),
            field: missing.or_else(|| doc.key_at(offset)),
            message,
        }
    })?;
    let base_dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let dir = base_dir.join(&raw.output.dir);
    let state = match &raw.output.state {
        Some(state) => base_dir.join(state),
        None => default_state_path(&dir),
    };
    let websub_hub = match &raw.output.websub_hub {
        Some(hub) if raw.output.base_url.is_none() => {
            return doc.invalid(
                hub.span(),
                None,
                "output.websub_hub",
                "needs `output.base_url`: the hub is told the feeds' public addresses".into(),
            );
        }
        Some(hub) => Some(doc.hub_url(hub)?),
        None => None,
    };
    let default_formats = match &raw.output.formats {
        Some(formats) => doc.formats(formats, None, "output.formats")?,
        None => Format::ALL.to_vec(),
    };
    let output = OutputSettings {
        dir,
        base_url: match raw.output.base_url {
            Some(spanned) => Some(doc.base_url(&spanned)?),
            None => None,
        },
        state,
        websub_hub,
    };
    let fetch = &raw.fetch;
    let run = RunSettings {
        concurrency: doc.count(&fetch.concurrency, None, "fetch.concurrency", 1..=256, 8)?,
        host_delay: doc.seconds(&fetch.host_delay, None, "fetch.host_delay", 0.0, 1.0)?,
        retries: doc.count(&fetch.retries, None, "fetch.retries", 0..=10, 3)?,
        retry_time: doc.seconds(&fetch.retry_time, None, "fetch.retry_time", 0.0, 60.0)?,
        backfill: false,
    };
    let fetch_defaults = FetchSettings {
        user_agent: doc.user_agent(
            &fetch.user_agent,
            None,
            "fetch.user_agent",
            DEFAULT_USER_AGENT,
        )?,
        connect_timeout: doc.seconds(
            &fetch.connect_timeout,
            None,
            "fetch.connect_timeout",
            0.001,
            10.0,
        )?,
        timeout: doc.seconds(&fetch.timeout, None, "fetch.timeout", 0.001, 30.0)?,
        max_body_bytes: doc.count(
            &fetch.max_body_bytes,
            None,
            "fetch.max_body_bytes",
            1..=u64::MAX,
            DEFAULT_MAX_BODY_BYTES,
        )?,
        robots_txt: fetch.robots_txt.unwrap_or(true),
    };
    if raw.feeds.is_empty() {
        return Err(ConfigError::NoFeeds {
            path: path.to_path_buf(),
        });
    }
    let mut feeds: Vec<FeedSpec> = Vec::with_capacity(raw.feeds.len());
    for raw_feed in raw.feeds {
        let id_span = raw_feed.id.span();
        let feed = doc.feed(raw_feed, &base_dir, &fetch_defaults, &default_formats)?;
        if let Some(first) = feeds.iter().find(|f| f.id == feed.id) {
            // Two feeds with one id would share files and history.
            return doc.invalid(
                id_span,
                Some(&feed.id),
                "id",
                format!(
                    "\"{}\" is already the id of an earlier feed (\"{}\"); each feed needs its own",
                    feed.id, first.title
                ),
            );
        }
        feeds.push(feed);
    }
    Ok(Config {
        path: path.to_path_buf(),
        output,
        run,
        feeds,
    })
}

/// The state file's default place: beside the output folder (not in it: that folder is served).
fn default_state_path(dir: &Path) -> PathBuf {
    match dir.parent() {
        Some(parent) => parent.join("pressfeed-state.sqlite"),
        None => dir.join("pressfeed-state.sqlite"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    output: RawOutput,
    #[serde(default)]
    fetch: RawFetch,
    #[serde(rename = "feed", default)]
    feeds: Vec<RawFeed>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    #[serde(default = "default_output_dir")]
    dir: String,
    base_url: Option<Spanned<String>>,
    state: Option<String>,
    formats: Option<Spanned<Vec<Format>>>,
    websub_hub: Option<Spanned<String>>,
}

impl Default for RawOutput {
    fn default() -> Self {
        RawOutput {
            dir: default_output_dir(),
            base_url: None,
            state: None,
            formats: None,
            websub_hub: None,
        }
    }
}

/// `[fetch]`: run-wide settings and defaults for the per-feed ones.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    concurrency: Option<Spanned<i64>>,
    host_delay: Option<Spanned<Seconds>>,
    retries: Option<Spanned<i64>>,
    retry_time: Option<Spanned<Seconds>>,
    user_agent: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<Seconds>>,
    timeout: Option<Spanned<Seconds>>,
    max_body_bytes: Option<Spanned<i64>>,
    robots_txt: Option<bool>,
}

/// A duration in seconds, written as an integer or a decimal.
#[derive(Clone, Copy)]
struct Seconds(f64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecondsVisitor;
        impl serde::de::Visitor<'_> for SecondsVisitor {
            type Value = Seconds;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of seconds")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Seconds, E> {
                Ok(Seconds(v as f64))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Seconds, E> {
                Ok(Seconds(v))
            }
        }
        deserializer.deserialize_any(SecondsVisitor)
    }
}

fn default_output_dir() -> String {
    "public".to_string()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    id: Spanned<String>,
    title: Spanned<String>,
    description: Option<String>,
    language: Option<Spanned<String>>,
    url: Spanned<String>,
    source: Option<Spanned<String>>,
    author: Option<String>,
    timezone: Option<Spanned<String>>,
    #[serde(default)]
    date_formats: Vec<Spanned<String>>,
    max_items: Option<Spanned<i64>>,
    #[serde(default)]
    summary_format: SummaryFormat,
    encoding: Option<Spanned<String>>,
    keep_days: Option<Spanned<i64>>,
    min_item_share: Option<Spanned<f64>>,
    user_agent: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<Seconds>>,
    timeout: Option<Spanned<Seconds>>,
    max_body_bytes: Option<Spanned<i64>>,
    robots_txt: Option<bool>,
    formats: Option<Spanned<Vec<Format>>>,
    pagination: Option<Spanned<RawPagination>>,
    detail: Option<RawDetail>,
    selectors: RawSelectors,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSelectors {
    item: Spanned<String>,
    title: Spanned<RawField>,
    link: Spanned<RawField>,
    date: Option<Spanned<RawField>>,
    summary: Option<Spanned<RawField>>,
}

/// `[feed.detail]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetail {
    content: Option<Spanned<RawField>>,
    date: Option<Spanned<RawField>>,
    summary: Option<Spanned<RawField>>,
    author: Option<Spanned<RawField>>,
    image: Option<Spanned<RawField>>,
}

/// `[feed.pagination]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPagination {
    next: Option<String>,
    pattern: Option<String>,
    step: Option<i64>,
    max_pages: Option<i64>,
}

/// A field selector as written: `"css"` or `{ selector = "css", attr = "name", regex = "…" }`.
struct RawField {
    selector: Option<String>,
    attr: Option<String>,
    regex: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFieldTable {
    selector: Option<String>,
    attr: Option<String>,
    regex: Option<String>,
}

impl<'de> Deserialize<'de> for RawField {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl<'de> serde::de::Visitor<'de> for FieldVisitor {
            type Value = RawField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a CSS selector string or a table { selector = \"...\", attr = \"...\" }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawField, E> {
                Ok(RawField {
                    selector: Some(v.to_string()),
                    attr: None,
                    regex: None,
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawField, A::Error> {
                let table =
                    RawFieldTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RawField {
                    selector: table.selector,
                    attr: table.attr,
                    regex: table.regex,
                })
            }
        }
        deserializer.deserialize_any(FieldVisitor)
    }
}

/// The config text, for turning byte offsets into places and names.
struct Document<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Document<'_> {
    fn location(&self, offset: usize, feed: Option<&str>) -> Location {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = before[line_start..].chars().count() + 1;
        Location {
            path: self.path.to_path_buf(),
            line,
            column,
            feed: feed
                .map(str::to_string)
                .or_else(|| self.feed_id_before(offset)),
        }
    }

    /// The id of the `[[feed]]` table that contains `offset`, read from the text.
    fn feed_id_before(&self, offset: usize) -> Option<String> {
        // An error at a `[[feed]]` header (a missing key) belongs to that feed.
        let end = (offset + "[[feed]]".len()).min(self.text.len());
        let before = self.text.get(..end)?;
        let start = before.rfind("[[feed]]")?;
        // A later top-level table ends the feed (but `[feed.…]` sub-tables do not).
        let after_header = &before[start + "[[feed]]".len()..];
        if after_header.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with('[') && !l.starts_with("[feed.") && !l.starts_with("[[feed.")
        }) {
            return None;
        }
        let rest = &self.text[start + "[[feed]]".len()..];
        let end = rest.find("[[feed]]").unwrap_or(rest.len());
        rest[..end].lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            if key.trim() != "id" {
                return None;
            }
            let value = value.trim();
            let value = value.split('#').next().unwrap_or(value).trim();
            Some(value.trim_matches(|c| c == '"' || c == '\'').to_string())
        })
    }

    /// The key written at the start of the line that holds `offset`, if any.
    fn key_at(&self, offset: usize) -> Option<String> {
        let offset = offset.min(self.text.len());
        let line_start = self.text.get(..offset)?.rfind('\n').map(|i| i + 1)?;
        let line = self.text[line_start..].lines().next()?;
        let (key, _) = line.split_once('=')?;
        let key = key.trim();
        let valid = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        valid.then(|| key.to_string())
    }

    fn invalid<T>(
        &self,
        span: std::ops::Range<usize>,
        feed: Option<&str>,
        field: &str,
        reason: String,
    ) -> Result<T, ConfigError> {
        Err(ConfigError::Invalid {
            location: self.location(span.start, feed),
            field: field.to_string(),
            reason,
        })
    }

    fn base_url(&self, spanned: &Spanned<String>) -> Result<Url, ConfigError> {
        let raw = spanned.get_ref();
        match Url::parse(raw) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {
                // Make sure joining a file name keeps the last path segment.
                let mut url = url;
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                Ok(url)
            }
            Ok(_) => self.invalid(
                spanned.span(),
                None,
                "output.base_url",
                format!("\"{raw}\" is not an http(s) URL"),
            ),
            Err(err) => self.invalid(
                spanned.span(),
                None,
                "output.base_url",
                format!("\"{raw}\" is not a valid URL: {err}"),
            ),
        }
    }

    /// A whole number in `range`, or `default` when absent.
    fn count<T: TryFrom<i64> + Copy + fmt::Display + PartialOrd>(
        &self,
        raw: &Option<Spanned<i64>>,
        feed: Option<&str>,
        field: &str,
        range: std::ops::RangeInclusive<T>,
        default: T,
    ) -> Result<T, ConfigError> {
        let Some(raw) = raw else {
            return Ok(default);
        };
        match T::try_from(*raw.get_ref()) {
            Ok(v) if range.contains(&v) => Ok(v),
            _ => self.invalid(
                raw.span(),
                feed,
                field,
                format!(
                    "{} is out of range (at least {}{})",
                    raw.get_ref(),
                    range.start(),
                    if field.ends_with("max_body_bytes") {
                        String::new()
                    } else {
                        format!(", at most {}", range.end())
                    }
                ),
            ),
        }
    }

    /// A number of seconds, at least `min` and at most a day, or `default` when absent.
    fn seconds(
        &self,
        raw: &Option<Spanned<Seconds>>,
        feed: Option<&str>,
        field: &str,
        min: f64,
        default: f64,
    ) -> Result<Duration, ConfigError> {
        const DAY: f64 = 86_400.0;
        let Some(raw) = raw else {
            return Ok(Duration::from_secs_f64(default));
        };
        let value = raw.get_ref().0;
        if value.is_finite() && (min..=DAY).contains(&value) {
            Ok(Duration::from_secs_f64(value))
        } else {
            self.invalid(
                raw.span(),
                feed,
                field,
                format!("{value} is not a number of seconds from {min} to {DAY}"),
            )
        }
    }

    fn user_agent(
        &self,
        raw: &Option<Spanned<String>>,
        feed: Option<&str>,
        field: &str,
        default: &str,
    ) -> Result<String, ConfigError> {
        let Some(raw) = raw else {
            return Ok(default.to_string());
        };
        let value = raw.get_ref().trim();
        if value.is_empty() || !value.chars().all(|c| (' '..='~').contains(&c)) {
            return self.invalid(
                raw.span(),
                feed,
                field,
                format!("\"{value}\" is not a usable User-Agent (printable ASCII, not empty)"),
            );
        }
        Ok(value.to_string())
    }

    /// A list of formats: known names, not empty; kept in [`Format::ALL`] order.
    fn formats(
        &self,
        raw: &Spanned<Vec<Format>>,
        feed: Option<&str>,
        field: &str,
    ) -> Result<Vec<Format>, ConfigError> {
        let mut formats = raw.get_ref().clone();
        formats.sort();
        formats.dedup();
        if formats.is_empty() {
            return self.invalid(
                raw.span(),
                feed,
                field,
                "must name at least one of \"rss\", \"atom\", \"json\"".into(),
            );
        }
        Ok(formats)
    }

    fn pagination(
        &self,
        raw: &Spanned<RawPagination>,
        feed: Option<&str>,
    ) -> Result<Pagination, ConfigError> {
        let value = raw.get_ref();
        let span = raw.span();
        let max_pages = match value.max_pages {
            None => 5,
            Some(n) if (1..=100).contains(&n) => n as usize,
            Some(n) => {
                return self.invalid(
                    span,
                    feed,
                    "pagination.max_pages",
                    format!("{n} is out of range (at least 1, at most 100)"),
                );
            }
        };
        let next = match (&value.next, &value.pattern) {
            (Some(css), None) => {
                NextPage::Selector(self.css(css.trim(), span.clone(), feed, "pagination.next")?)
            }
            (None, Some(pattern)) => {
                let step = match value.step {
                    None if pattern.contains("{offset}") => {
                        return self.invalid(
                            span,
                            feed,
                            "pagination.step",
                            "a pattern with {offset} needs `step` (items per page)".into(),
                        );
                    }
                    None => 0,
                    Some(n) if n > 0 => n as usize,
                    Some(n) => {
                        return self.invalid(
                            span,
                            feed,
                            "pagination.step",
                            format!("{n} is not a positive number"),
                        );
                    }
                };
                let sample = pattern.replace("{page}", "2").replace("{offset}", "20");
                let usable = (pattern.contains("{page}") || pattern.contains("{offset}"))
                    && Url::parse(&sample).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
                if !usable {
                    return self.invalid(
                        span,
                        feed,
                        "pagination.pattern",
                        format!(
                            "\"{pattern}\" is not an http(s) URL with {{page}} or {{offset}} in it"
                        ),
                    );
                }
                NextPage::Pattern {
                    pattern: pattern.clone(),
                    step,
                }
            }
            _ => {
                return self.invalid(
                    span,
                    feed,
                    "pagination",
                    "needs one of `next` (a selector) or `pattern` (an address)".into(),
                );
            }
        };
        Ok(Pagination { next, max_pages })
    }

    fn hub_url(&self, raw: &Spanned<String>) -> Result<Url, ConfigError> {
        let text = raw.get_ref().trim();
        match Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
            _ => self.invalid(
                raw.span(),
                None,
                "output.websub_hub",
                format!("\"{text}\" is not an http(s) URL"),
            ),
        }
    }

    fn feed(
        &self,
        raw: RawFeed,
        base_dir: &Path,
        fetch_defaults: &FetchSettings,
        default_formats: &[Format],
    ) -> Result<FeedSpec, ConfigError> {
        let id = raw.id.get_ref().trim().to_string();
        let valid_id = !id.is_empty()
            && !id.starts_with('.')
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid_id {
            return self.invalid(
                raw.id.span(),
                Some(&id),
                "id",
                format!(
                    "\"{id}\" is not a usable id: use letters, digits, '-', '_' or '.' (it names the feed files)"
                ),
            );
        }
        let feed = Some(id.as_str());
        let title = crate::item::clean_text(raw.title.get_ref());
        if title.is_empty() {
            return self.invalid(raw.title.span(), feed, "title", "must not be empty".into());
        }
        let page_url = self.page_url(&raw.url, feed)?;
        let source = match &raw.source {
            None => Source::Http(page_url.clone()),
            Some(spanned) => self.source(spanned, feed, base_dir)?,
        };
        let language = match raw.language {
            Some(lang) => {
                let value = lang.get_ref().trim();
                let valid = !value.is_empty()
                    && value.split('-').all(|part| {
                        (1..=8).contains(&part.len())
                            && part.chars().all(|c| c.is_ascii_alphanumeric())
                    });
                if !valid {
                    return self.invalid(
                        lang.span(),
                        feed,
                        "language",
                        format!("\"{value}\" is not a language tag such as \"en\" or \"zh-CN\""),
                    );
                }
                Some(value.to_string())
            }
            None => None,
        };
        let timezone = match &raw.timezone {
            Some(tz) => tz.get_ref().trim().parse::<Tz>().or_else(|_| {
                self.invalid(
                    tz.span(),
                    feed,
                    "timezone",
                    format!(
                        "\"{}\" is not an IANA time zone name such as \"Asia/Shanghai\" or \"UTC\"",
                        tz.get_ref()
                    ),
                )
            })?,
            None => Tz::UTC,
        };
        let mut date_formats = Vec::with_capacity(raw.date_formats.len());
        for format in &raw.date_formats {
            let text = format.get_ref();
            let broken = text.trim().is_empty()
                || StrftimeItems::new(text).any(|item| matches!(item, FormatItem::Error));
            if broken {
                return self.invalid(
                    format.span(),
                    feed,
                    "date_formats",
                    format!("\"{text}\" is not a valid chrono date format (e.g. \"%d %B %Y\")"),
                );
            }
            date_formats.push(text.clone());
        }
        let max_items = match &raw.max_items {
            Some(n) => match usize::try_from(*n.get_ref()) {
                Ok(v) if v > 0 => v,
                _ => {
                    return self.invalid(
                        n.span(),
                        feed,
                        "max_items",
                        format!("{} is not a positive number", n.get_ref()),
                    );
                }
            },
            None => DEFAULT_MAX_ITEMS,
        };
        let selectors = self.selectors(&raw.selectors, feed)?;
        let fetch = FetchSettings {
            user_agent: self.user_agent(
                &raw.user_agent,
                feed,
                "user_agent",
                &fetch_defaults.user_agent,
            )?,
            connect_timeout: match &raw.connect_timeout {
                Some(_) => {
                    self.seconds(&raw.connect_timeout, feed, "connect_timeout", 0.001, 0.0)?
                }
                None => fetch_defaults.connect_timeout,
            },
            timeout: match &raw.timeout {
                Some(_) => self.seconds(&raw.timeout, feed, "timeout", 0.001, 0.0)?,
                None => fetch_defaults.timeout,
            },
            max_body_bytes: self.count(
                &raw.max_body_bytes,
                feed,
                "max_body_bytes",
                1..=u64::MAX,
                fetch_defaults.max_body_bytes,
            )?,
            robots_txt: raw.robots_txt.unwrap_or(fetch_defaults.robots_txt),
        };
        let encoding = match &raw.encoding {
            Some(label) => Some(
                Encoding::for_label(label.get_ref().trim().as_bytes()).map_or_else(
                    || {
                        self.invalid(
                            label.span(),
                            feed,
                            "encoding",
                            format!(
                                "\"{}\" is not a known character encoding (e.g. \"utf-8\", \"gbk\", \"windows-1252\")",
                                label.get_ref()
                            ),
                        )
                    },
                    Ok,
                )?,
            ),
            None => None,
        };
        let keep_days = self.count(
            &raw.keep_days,
            feed,
            "keep_days",
            0..=36_500,
            DEFAULT_KEEP_DAYS,
        )?;
        let formats = match &raw.formats {
            Some(formats) => self.formats(formats, feed, "formats")?,
            None => default_formats.to_vec(),
        };
        let pagination = match &raw.pagination {
            Some(raw) => Some(self.pagination(raw, feed)?),
            None => None,
        };
        let detail = match &raw.detail {
            Some(detail) => {
                let field = |raw: &Option<Spanned<RawField>>, name: &str, attr: Option<&str>| {
                    raw.as_ref()
                        .map(|f| self.field(f, feed, name, attr))
                        .transpose()
                };
                Some(DetailSelectors {
                    content: field(&detail.content, "detail.content", None)?,
                    date: field(&detail.date, "detail.date", None)?,
                    summary: field(&detail.summary, "detail.summary", None)?,
                    author: field(&detail.author, "detail.author", None)?,
                    image: field(&detail.image, "detail.image", Some("src"))?,
                })
            }
            None => None,
        };
        let min_item_share = match &raw.min_item_share {
            Some(share) if (0.0..=1.0).contains(share.get_ref()) => *share.get_ref(),
            Some(share) => {
                return self.invalid(
                    share.span(),
                    feed,
                    "min_item_share",
                    format!("{} is not a share from 0.0 to 1.0", share.get_ref()),
                );
            }
            None => DEFAULT_MIN_ITEM_SHARE,
        };
        let author = raw
            .author
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .or_else(|| page_url.host_str().map(str::to_string))
            .unwrap_or_else(|| title.clone());
        Ok(FeedSpec {
            description: raw
                .description
                .map(|d| d.trim().to_string())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| title.clone()),
            id,
            title,
            language,
            page_url,
            source,
            author,
            timezone,
            date_formats,
            max_items,
            summary_format: raw.summary_format,
            selectors,
            fetch,
            encoding,
            keep_days,
            min_item_share,
            formats,
            pagination,
            detail,
        })
    }

    fn page_url(&self, raw: &Spanned<String>, feed: Option<&str>) -> Result<Url, ConfigError> {
        let text = raw.get_ref().trim();
        match Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
            Ok(_) => self.invalid(
                raw.span(),
                feed,
                "url",
                format!("\"{text}\" is not an http(s) URL"),
            ),
            Err(err) => self.invalid(
                raw.span(),
                feed,
                "url",
                format!("\"{text}\" is not a valid URL: {err}"),
            ),
        }
    }

    fn source(
        &self,
        raw: &Spanned<String>,
        feed: Option<&str>,
        base_dir: &Path,
    ) -> Result<Source, ConfigError> {
        let text = raw.get_ref().trim();
        if text.is_empty() {
            return self.invalid(
                raw.span(),
                feed,
                "source",
                "must not be empty (remove the line to fetch `url`)".into(),
            );
        }
        if text.starts_with("http://") || text.starts_with("https://") {
            return match Url::parse(text) {
                Ok(url) => Ok(Source::Http(url)),
                Err(err) => self.invalid(
                    raw.span(),
                    feed,
                    "source",
                    format!("\"{text}\" is not a valid URL: {err}"),
                ),
            };
        }
        if text.starts_with("file:") {
            return match Url::parse(text).ok().and_then(|u| u.to_file_path().ok()) {
                Some(path) => Ok(Source::File(path)),
                None => self.invalid(
                    raw.span(),
                    feed,
                    "source",
                    format!("\"{text}\" is not a valid file: URL"),
                ),
            };
        }
        Ok(Source::File(base_dir.join(text)))
    }

    fn selectors(&self, raw: &RawSelectors, feed: Option<&str>) -> Result<Selectors, ConfigError> {
        let item_css = raw.item.get_ref().trim().to_string();
        let item = self.css(&item_css, raw.item.span(), feed, "selectors.item")?;
        let field = |spanned: &Spanned<RawField>, name: &str, default_attr: Option<&str>| {
            self.field(spanned, feed, name, default_attr)
        };
        Ok(Selectors {
            item,
            item_css,
            title: field(&raw.title, "selectors.title", None)?,
            link: field(&raw.link, "selectors.link", Some("href"))?,
            date: raw
                .date
                .as_ref()
                .map(|d| field(d, "selectors.date", None))
                .transpose()?,
            summary: raw
                .summary
                .as_ref()
                .map(|s| field(s, "selectors.summary", None))
                .transpose()?,
        })
    }

    fn field(
        &self,
        raw: &Spanned<RawField>,
        feed: Option<&str>,
        name: &str,
        default_attr: Option<&str>,
    ) -> Result<FieldSelector, ConfigError> {
        let value = raw.get_ref();
        let css = value.selector.as_deref().unwrap_or("").trim().to_string();
        let selector = if css.is_empty() {
            None
        } else {
            Some(self.css(&css, raw.span(), feed, name)?)
        };
        let attr = match value.attr.as_deref().map(str::trim) {
            Some("") => {
                return self.invalid(raw.span(), feed, name, "attr must not be empty".into());
            }
            Some(a) => Some(a.to_ascii_lowercase()),
            None => default_attr.map(str::to_string),
        };
        let regex = match value.regex.as_deref() {
            Some(pattern) => Some(regex::Regex::new(pattern).or_else(|err| {
                self.invalid(
                    raw.span(),
                    feed,
                    name,
                    format!("regex \"{pattern}\" is not valid: {err}"),
                )
            })?),
            None => None,
        };
        Ok(FieldSelector {
            selector,
            css,
            attr,
            regex,
        })
    }

    fn css(
        &self,
        css: &str,
        span: std::ops::Range<usize>,
        feed: Option<&str>,
        field: &str,
    ) -> Result<Selector, ConfigError> {
        if css.is_empty() {
            return self.invalid(span, feed, field, "the CSS selector is empty".into());
        }
        Selector::parse(css).or_else(|err| {
            self.invalid(
                span,
                feed,
                field,
                format!(
                    "\"{css}\" is not a valid CSS selector: {}",
                    describe_selector_error(&err)
                ),
            )
        })
    }
}

/// A readable reason for a selector parse failure (scraper's own text for some kinds is a
/// debug dump).
fn describe_selector_error(err: &scraper::error::SelectorErrorKind) -> String {
    use scraper::error::SelectorErrorKind;
    match err {
        SelectorErrorKind::UnexpectedSelectorParseError(kind) => {
            let name = format!("{kind:?}");
            let name = name.split(['(', ' ', '{']).next().unwrap_or(&name);
            let mut words = String::new();
            for (i, c) in name.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    words.push(' ');
                }
                words.push(c.to_ascii_lowercase());
            }
            words
        }
        SelectorErrorKind::EndOfLine => "it ends too early".to_string(),
        other => other.to_string().to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[output]
dir = "out"
base_url = "https://feeds.example.org/news"

[[feed]]
id = "demo"
title = "Demo"
url = "https://example.org/news/"
source = "page.html"
timezone = "Europe/Paris"
date_formats = ["%d/%m/%Y"]

[feed.selectors]
item = "li.item"
title = "h3 a"
link = "h3 a"
date = { selector = "time", attr = "datetime" }
summary = "p"
"#;

    fn err(text: &str) -> String {
        match parse(text, Path::new("conf/pf.toml")) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn loads_a_good_config() {
        let config = parse(GOOD, Path::new("conf/pf.toml")).unwrap();
        assert_eq!(config.output.dir, PathBuf::from("conf/out"));
        assert_eq!(
            config.output.base_url.unwrap().as_str(),
            "https://feeds.example.org/news/"
        );
        let feed = &config.feeds[0];
        assert_eq!(feed.id, "demo");
        assert_eq!(feed.description, "Demo");
        assert_eq!(feed.author, "example.org");
        assert_eq!(feed.timezone, chrono_tz::Europe::Paris);
        assert_eq!(feed.max_items, DEFAULT_MAX_ITEMS);
        assert_eq!(feed.source, Source::File(PathBuf::from("conf/page.html")));
        assert_eq!(feed.selectors.link.attr.as_deref(), Some("href"));
        assert_eq!(
            feed.selectors.date.as_ref().unwrap().attr.as_deref(),
            Some("datetime")
        );
        assert!(feed.selectors.summary.as_ref().unwrap().attr.is_none());
    }

    #[test]
    fn fetch_settings_default_and_override_per_feed() {
        let config = parse(GOOD, Path::new("conf/pf.toml")).unwrap();
        assert_eq!(
            config.output.state,
            PathBuf::from("conf/pressfeed-state.sqlite")
        );
        assert_eq!(config.run.concurrency, 8);
        assert_eq!(config.run.host_delay, Duration::from_secs(1));
        let feed = &config.feeds[0];
        assert_eq!(feed.fetch.user_agent, DEFAULT_USER_AGENT);
        assert_eq!(feed.fetch.timeout, Duration::from_secs(30));
        assert_eq!(feed.fetch.connect_timeout, Duration::from_secs(10));
        assert_eq!(feed.fetch.max_body_bytes, 10 * 1024 * 1024);
        assert!(feed.fetch.robots_txt);
        assert_eq!((feed.keep_days, feed.min_item_share), (30, 0.2));

        let text = GOOD
            .replace(
                "[[feed]]",
                "[fetch]\ntimeout = 5\nhost_delay = 0.25\nrobots_txt = false\n\n[[feed]]",
            )
            .replace(
                "timezone = ",
                "timeout = 2.5\nencoding = \"GBK\"\nuser_agent = \"Bot/1\"\ntimezone = ",
            );
        let config = parse(&text, Path::new("conf/pf.toml")).unwrap();
        assert_eq!(config.run.host_delay, Duration::from_millis(250));
        let feed = &config.feeds[0];
        assert_eq!(feed.fetch.timeout, Duration::from_millis(2500));
        assert_eq!(feed.fetch.user_agent, "Bot/1");
        assert!(!feed.fetch.robots_txt);
        assert_eq!(feed.encoding, Some(encoding_rs::GBK));

        let text = GOOD.replace("timezone = ", "encoding = \"klingon\"\ntimezone = ");
        assert!(err(&text).starts_with(
            "conf/pf.toml:11:12: feed \"demo\": field \"encoding\": \"klingon\" is not a known character encoding"
        ));
        let text = GOOD.replace("[[feed]]", "[fetch]\nconcurrency = 0\n\n[[feed]]");
        assert_eq!(
            err(&text),
            "conf/pf.toml:7:15: field \"fetch.concurrency\": 0 is out of range (at least 1, at most 256)"
        );
        let text = GOOD.replace("timezone = ", "timeout = -1\ntimezone = ");
        assert!(err(&text).contains("field \"timeout\": -1 is not a number of seconds"));
    }

    #[test]
    fn formats_default_to_all_and_can_be_narrowed() {
        let config = parse(GOOD, Path::new("conf/pf.toml")).unwrap();
        assert_eq!(config.feeds[0].formats, Format::ALL);
        let text = GOOD.replace(
            "dir = \"out\"",
            "dir = \"out\"\nformats = [\"json\", \"rss\"]",
        );
        let config = parse(&text, Path::new("conf/pf.toml")).unwrap();
        assert_eq!(config.feeds[0].formats, [Format::Rss, Format::Json]);
        let text = GOOD.replace("timezone = ", "formats = [\"atom\"]\ntimezone = ");
        let config = parse(&text, Path::new("conf/pf.toml")).unwrap();
        assert_eq!(config.feeds[0].formats, [Format::Atom]);
        assert!(
            err(&GOOD.replace("timezone = ", "formats = []\ntimezone = "))
                .contains("field \"formats\": must name at least one of")
        );
        assert!(
            err(&GOOD.replace("timezone = ", "formats = [\"csv\"]\ntimezone = ")).contains("csv")
        );
        let text = GOOD.replace(
            "dir = \"out\"",
            "dir = \"out\"\nwebsub_hub = \"https://hub.example.org/\"",
        );
        let config = parse(&text, Path::new("conf/pf.toml")).unwrap();
        assert_eq!(
            config.output.websub_hub.unwrap().as_str(),
            "https://hub.example.org/"
        );
        let text = text.replace("base_url = \"https://feeds.example.org/news\"\n", "");
        assert!(err(&text).contains("field \"output.websub_hub\": needs `output.base_url`"));
    }

    #[test]
    fn a_field_can_cut_its_value_with_a_regex() {
        let text = GOOD.replace(
            "summary = \"p\"",
            "summary = { selector = \"p\", regex = \"^Summary: (.*)$\" }",
        );
        let config = parse(&text, Path::new("conf/pf.toml")).unwrap();
        let summary = config.feeds[0].selectors.summary.clone().unwrap();
        assert_eq!(
            summary.cut("Summary: all well".into()).as_deref(),
            Some("all well")
        );
        assert_eq!(summary.cut("Nothing here".into()), None);
        let text = GOOD.replace(
            "summary = \"p\"",
            "summary = { selector = \"p\", regex = \"(\" }",
        );
        assert!(err(&text).contains("field \"selectors.summary\": regex \"(\" is not valid"));
    }

    #[test]
    fn pagination_needs_a_next_link_or_a_pattern() {
        let with = |table: &str| {
            GOOD.replace(
                "[feed.selectors]",
                &format!("[feed.pagination]\n{table}\n\n[feed.selectors]"),
            )
        };
        let config = parse(
            &with("next = \"a.next\"\nmax_pages = 3"),
            Path::new("p.toml"),
        )
        .unwrap();
        assert_eq!(config.feeds[0].pagination.as_ref().unwrap().max_pages, 3);
        let config = parse(
            &with("pattern = \"https://example.org/news/nextRow--{offset}/\"\nstep = 20"),
            Path::new("p.toml"),
        )
        .unwrap();
        let pagination = config.feeds[0].pagination.clone().unwrap();
        assert_eq!(
            pagination.pattern_url(3).unwrap().as_str(),
            "https://example.org/news/nextRow--40/"
        );
        assert!(err(&with("max_pages = 3")).contains("field \"pagination\": needs one of `next`"));
        assert!(
            err(&with("pattern = \"https://example.org/\""))
                .contains("field \"pagination.pattern\"")
        );
        assert!(err(&with("pattern = \"https://e.org/{offset}\"")).contains("needs `step`"));
    }

    /// Found by fuzzing: the largest `step` overflowed the offset of page 4 (a panic in debug
    /// builds, a wrong address in release ones); such a page is no page.
    #[test]
    fn issue_6_pattern_offsets_that_overflow_are_no_page() {
        let text = GOOD.replace(
            "[feed.selectors]",
            "[feed.pagination]\npattern = \"https://example.org/news/?start={offset}\"\nstep = 9223372036854775807\nmax_pages = 100\n\n[feed.selectors]",
        );
        let config = parse(&text, Path::new("p.toml")).unwrap();
        let pagination = config.feeds[0].pagination.clone().unwrap();
        assert_eq!(
            pagination.pattern_url(3).unwrap().as_str(),
            "https://example.org/news/?start=18446744073709551614"
        );
        assert_eq!(pagination.pattern_url(4), None);
    }

    #[test]
    fn duplicate_ids_are_an_error() {
        let second = GOOD[GOOD.find("[[feed]]").unwrap()..].replace("Demo", "Other");
        let text = format!("{GOOD}\n{second}");
        assert_eq!(
            err(&text),
            "conf/pf.toml:22:6: feed \"demo\": field \"id\": \"demo\" is already the id of an earlier feed (\"Demo\"); each feed needs its own"
        );
    }

    #[test]
    fn no_source_means_live_fetch_of_url() {
        let text = GOOD.replace("source = \"page.html\"\n", "");
        let config = parse(&text, Path::new("pf.toml")).unwrap();
        assert_eq!(
            config.feeds[0].source,
            Source::Http(Url::parse("https://example.org/news/").unwrap())
        );
    }

    #[test]
    fn unknown_key_names_file_line_feed_and_key() {
        let text = GOOD.replace("timezone = ", "time_zone = ");
        assert_eq!(
            err(&text).lines().next().unwrap(),
            "conf/pf.toml:11:1: feed \"demo\": field \"time_zone\": unknown field `time_zone`, expected one of `id`, `title`, `description`, `language`, `url`, `source`, `author`, `timezone`, `date_formats`, `max_items`, `summary_format`, `encoding`, `keep_days`, `min_item_share`, `user_agent`, `connect_timeout`, `timeout`, `max_body_bytes`, `robots_txt`, `formats`, `pagination`, `detail`, `selectors`"
        );
    }

    #[test]
    fn unknown_selector_key_is_an_error() {
        let text = GOOD.replace("summary = \"p\"", "sumary = \"p\"");
        let message = err(&text);
        assert!(
            message.starts_with(
                "conf/pf.toml:19:1: feed \"demo\": field \"sumary\": unknown field `sumary`"
            ),
            "{message}"
        );
    }

    #[test]
    fn bad_selector_names_feed_and_field() {
        let text = GOOD.replace("title = \"h3 a\"", "title = \"h3 >> a\"");
        let message = err(&text);
        assert!(
            message.starts_with(
                "conf/pf.toml:16:9: feed \"demo\": field \"selectors.title\": \"h3 >> a\" is not a valid CSS selector"
            ),
            "{message}"
        );
    }

    #[test]
    fn bad_timezone_url_and_format_are_errors() {
        assert_eq!(
            err(&GOOD.replace("Europe/Paris", "Europe/Pariss")),
            "conf/pf.toml:11:12: feed \"demo\": field \"timezone\": \"Europe/Pariss\" is not an IANA time zone name such as \"Asia/Shanghai\" or \"UTC\""
        );
        assert!(
            err(&GOOD.replace("https://example.org/news/", "example.org/news"))
                .starts_with("conf/pf.toml:9:7: feed \"demo\": field \"url\": \"example.org/news\" is not a valid URL")
        );
        assert_eq!(
            err(&GOOD.replace("%d/%m/%Y", "%d/%Q")),
            "conf/pf.toml:12:17: feed \"demo\": field \"date_formats\": \"%d/%Q\" is not a valid chrono date format (e.g. \"%d %B %Y\")"
        );
        assert!(
            err(&GOOD.replace("https://feeds.example.org/news", "ftp://x"))
                .contains("field \"output.base_url\": \"ftp://x\" is not an http(s) URL")
        );
    }

    #[test]
    fn wrong_type_and_missing_field() {
        let message = err(&GOOD.replace("title = \"Demo\"", "title = 5"));
        assert!(
            message.starts_with(
                "conf/pf.toml:8:9: feed \"demo\": field \"title\": invalid type: integer `5`"
            ),
            "{message}"
        );
        let message = err(&GOOD.replace("url = \"https://example.org/news/\"\n", ""));
        assert_eq!(
            message,
            "conf/pf.toml:6:1: feed \"demo\": field \"url\": missing field `url`"
        );
        assert!(
            err(&GOOD.replace("title = \"Demo\"", "title = \"\\u0001 \""))
                .contains("field \"title\": must not be empty")
        );
    }

    #[test]
    fn bad_id_and_no_feeds() {
        assert!(err(&GOOD.replace("id = \"demo\"", "id = \"../x\"")).contains("field \"id\""));
        assert_eq!(err("[output]\n"), "conf/pf.toml: no [[feed]] is defined");
    }
}
