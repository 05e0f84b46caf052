//! The domain model: what a loaded configuration says, compiled. Every step reads these types;
//! the `config` module is the one place that makes them from `config.toml` (and gives
//! [`Config::load`] and [`Config::parse`]).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use chrono_tz::Tz;
use encoding_rs::Encoding;
use scraper::Selector;
use serde::Deserialize;
use url::Url;

use crate::dates::DateFormat;

/// A loaded, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file the configuration was read from.
    pub path: PathBuf,
    /// Where and how feeds are published.
    pub output: OutputSettings,
    /// How a run fetches: concurrency, politeness, retries.
    pub run: RunSettings,
    /// The `[fetch]` defaults, for requests that belong to no feed (the WebSub hub).
    pub fetch: FetchSettings,
    /// The feeds, in file order.
    pub feeds: Vec<FeedSpec>,
    /// How the file was found and where its unset paths went (for `pressfeed paths`).
    pub origin: Origin,
}

/// How a configuration was found, and which of its paths it set itself.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// Why this file was read; `None` for text parsed directly.
    pub source: Option<ConfigSource>,
    /// Where the output folder and state file go when the file does not set them.
    pub places: DefaultPlaces,
    /// Whether `[output] dir` is set.
    pub output_set: bool,
    /// Whether `[output] state` is set.
    pub state_set: bool,
}

impl Config {
    /// The feed with `id`, if there is one.
    pub fn feed(&self, id: &str) -> Option<&FeedSpec> {
        self.feeds.iter().find(|f| f.id == id)
    }
}

/// Why a config file was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// `--config`.
    Flag,
    /// `$PRESSFEED_CONFIG`.
    Variable,
    /// `./config.toml`.
    CurrentDir,
    /// `$XDG_CONFIG_HOME/pressfeed/config.toml`.
    UserConfig,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConfigSource::Flag => "given with --config",
            ConfigSource::Variable => "given by $PRESSFEED_CONFIG",
            ConfigSource::CurrentDir => "./config.toml, in the current folder",
            ConfigSource::UserConfig => {
                "the user's config ($XDG_CONFIG_HOME/pressfeed/config.toml): no --config, \
                 $PRESSFEED_CONFIG or ./config.toml"
            }
        })
    }
}

/// Where the output folder and the state file go when `[output]` does not set them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DefaultPlaces {
    /// `public/` and `pressfeed-state.sqlite` beside the config file.
    #[default]
    BesideConfig,
    /// Folders of their own.
    Folders {
        /// The output folder.
        output: PathBuf,
        /// The folder of the state file.
        state_dir: PathBuf,
        /// Why these folders (for `pressfeed paths`).
        why: &'static str,
    },
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
    /// A command run after a run that changed feed files (`[output] on_change`).
    pub on_change: Option<Hook>,
}

/// A command run after files changed: a program and its arguments, run without a shell in
/// the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// The program (looked up in `PATH` unless it has a `/`) and its arguments.
    pub argv: Vec<String>,
}

impl OutputSettings {
    /// Where the file `name` of the output folder is served, when `base_url` is known.
    pub fn served_url(&self, name: &str) -> Option<Url> {
        self.base_url.as_ref()?.join(name).ok()
    }
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
    /// Internal hosts and address ranges that pages may lead to (`allow_internal`).
    pub allow_internal: AllowList,
    /// Longest a run may take: past it, no feed is started, and feeds being read stop
    /// fetching (`run_timeout`).
    pub run_timeout: Duration,
    /// The time pages' year-less and relative dates are read against (`--now`); by default
    /// when the server says it sent the page (`Date`), else the clock.
    pub reference: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `[fetch] allow_internal` lets pages lead to although it is internal: host names, and
/// address ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    /// Host names (lower case) fetched whatever they resolve to.
    pub hosts: Vec<String>,
    /// Address ranges fetched although internal.
    pub nets: Vec<ipnet::IpNet>,
}

impl AllowList {
    /// Whether `host` is listed (case aside).
    pub fn allows_host(&self, host: &str) -> bool {
        self.hosts
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(host))
    }

    /// Whether `ip` is in a listed range.
    pub fn allows_ip(&self, ip: std::net::IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(&ip))
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
    /// Longest the fetching of one feed may take in all: its page, older pages and item
    /// pages (`feed_timeout`).
    pub feed_timeout: Duration,
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
    /// The listing pages after the first when `url` lists several: each is read as the first
    /// is, and their items merged after its own (empty for a single `url`).
    pub more_listings: Vec<Url>,
    /// The listing's own hosts (of each `url`, and of an http(s) `source`), lower case: pages there
    /// are fetched without the egress policy's address check.
    pub own_hosts: Vec<String>,
    /// Where the page's bytes come from.
    pub source: Source,
    /// What the page is: HTML read with CSS selectors, or JSON read with JSONPaths.
    pub format: PageFormat,
    /// Feed author name (defaults to the page's host).
    pub author: String,
    /// Time zone for dates that carry none.
    pub timezone: Tz,
    /// The feed's own date formats, tried before the common ones.
    pub date_formats: Vec<DateFormat>,
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
    /// Whether dates after the page was read (events, on-sale dates) are kept as the page
    /// gives them (`future_dates = true`); by default such an item is dated when first seen.
    pub future_dates: bool,
    /// The formats written, in [`Format::ALL`] order, never empty.
    pub formats: Vec<Format>,
    /// How to reach older pages of the listing, to fill the history.
    pub pagination: Option<Pagination>,
    /// What to read from each item's own page, if anything.
    pub detail: Option<DetailSelectors>,
    /// A command run after a run that changed this feed's files (`on_change`).
    pub on_change: Option<Hook>,
    /// Whether the page is read as served or as a browser renders it (`render`).
    pub render: Render,
    /// `[feed.filter]`: which items the feed keeps, if not all.
    pub filter: Option<Filter>,
    /// Headers and cookies the feed's requests carry (`[feed.request]`).
    pub request: RequestHeaders,
}

/// `[feed.filter]`: items kept or dropped by patterns (case-insensitive regexes) matched
/// against some of their fields.
#[derive(Debug, Clone)]
pub struct Filter {
    /// When any, an item is kept only when one of them matches.
    pub include: Vec<regex::Regex>,
    /// An item one of them matches is dropped.
    pub exclude: Vec<regex::Regex>,
    /// The fields matched, never empty.
    pub fields: Vec<FilterField>,
}

/// A field `[feed.filter]` patterns are matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterField {
    /// The title.
    Title,
    /// The summary (its HTML in a feed that publishes HTML).
    Summary,
    /// The absolute link.
    Link,
    /// Each category.
    Category,
}

impl FilterField {
    /// The fields matched when `fields` is not given.
    pub const DEFAULT: [FilterField; 3] = [
        FilterField::Title,
        FilterField::Summary,
        FilterField::Category,
    ];

    /// Its name in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            FilterField::Title => "title",
            FilterField::Summary => "summary",
            FilterField::Link => "link",
            FilterField::Category => "category",
        }
    }
}

/// What a filter is shown of an item.
#[derive(Debug, Clone, Copy)]
pub struct FilterItem<'a> {
    /// The title.
    pub title: &'a str,
    /// The summary, if any.
    pub summary: Option<&'a str>,
    /// The link.
    pub link: &'a str,
    /// The categories.
    pub categories: &'a [String],
}

impl Filter {
    /// Whether an `exclude` pattern drops `item` (what its own page adds cannot change that;
    /// an `include` may yet match what it adds).
    pub fn excludes(&self, item: FilterItem<'_>) -> bool {
        self.first_match(&self.exclude, item).is_some()
    }

    /// Why `item` is dropped (`exclude "sport" matched the title`), or `None` when it is kept.
    pub fn drops(&self, item: FilterItem<'_>) -> Option<String> {
        if let Some((pattern, field)) = self.first_match(&self.exclude, item) {
            return Some(format!(
                "exclude \"{}\" matched the {}",
                pattern.as_str(),
                field.name()
            ));
        }
        if !self.include.is_empty() && self.first_match(&self.include, item).is_none() {
            let fields: Vec<&str> = self.fields.iter().map(|f| f.name()).collect();
            return Some(format!(
                "no include pattern matched its {}",
                fields.join(", ")
            ));
        }
        None
    }

    /// The first of `patterns` that matches one of `item`'s fields (in `fields` order), and
    /// that field.
    fn first_match<'p>(
        &self,
        patterns: &'p [regex::Regex],
        item: FilterItem<'_>,
    ) -> Option<(&'p regex::Regex, FilterField)> {
        self.fields.iter().find_map(|&field| {
            let texts: Vec<&str> = match field {
                FilterField::Title => vec![item.title],
                FilterField::Summary => item.summary.into_iter().collect(),
                FilterField::Link => vec![item.link],
                FilterField::Category => item.categories.iter().map(String::as_str).collect(),
            };
            patterns
                .iter()
                .find(|p| texts.iter().any(|t| p.is_match(t)))
                .map(|p| (p, field))
        })
    }

    /// The filter as text, for the feed's fingerprint.
    fn fingerprint(&self) -> String {
        let patterns = |list: &[regex::Regex]| {
            list.iter()
                .map(regex::Regex::as_str)
                .collect::<Vec<_>>()
                .join("\u{1f}")
        };
        let fields: Vec<&str> = self.fields.iter().map(|f| f.name()).collect();
        format!(
            "filter:{}\u{1d}{}\u{1d}{}",
            patterns(&self.include),
            patterns(&self.exclude),
            fields.join(",")
        )
    }
}

/// `[feed.request]`: headers and cookies sent to the listing's own origins and item pages'
/// origins (the fetcher decides where). Its `Debug` names them and gives their sizes, never
/// their values (a spec may be logged; a cookie may be a secret).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RequestHeaders {
    headers: Vec<(String, String)>,
    cookies: Vec<(String, String)>,
}

impl RequestHeaders {
    /// Headers (name as written, value) and cookies (name, value), both checked already: no
    /// `Cookie` among the headers, names and values that can be sent.
    pub fn new(headers: Vec<(String, String)>, cookies: Vec<(String, String)>) -> Self {
        RequestHeaders { headers, cookies }
    }

    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty() && self.cookies.is_empty()
    }

    /// The headers, in file order, then `Cookie` with every cookie (`a=b; c=d`).
    pub fn lines(&self) -> Vec<(&str, String)> {
        let mut lines: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.clone()))
            .collect();
        if !self.cookies.is_empty() {
            lines.push(("Cookie", self.cookie()));
        }
        lines
    }

    /// The cookies as one `Cookie` header value, `a=b; c=d` (empty without cookies).
    pub fn cookie(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The names of the headers sent, `Cookie` included, for log lines.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.lines().into_iter().map(|(name, _)| name).collect();
        names.join(", ")
    }
}

impl fmt::Debug for RequestHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// A value shown by its size only.
        struct Redacted(usize);
        impl fmt::Debug for Redacted {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "<redacted, {} bytes>", self.0)
            }
        }
        let redacted = |pairs: &[(String, String)]| {
            pairs
                .iter()
                .map(|(name, value)| (name.clone(), Redacted(value.len())))
                .collect::<Vec<_>>()
        };
        f.debug_struct("RequestHeaders")
            .field("headers", &redacted(&self.headers))
            .field("cookies", &redacted(&self.cookies))
            .finish()
    }
}

/// How a feed's page is turned into the HTML its items are read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Render {
    /// The HTML as served (`render = "none"`, the default).
    #[default]
    None,
    /// The DOM after headless Chromium ran the page's scripts (`render = "browser"`).
    Browser {
        /// A CSS selector waited for (`wait_for`); without one, the network going idle.
        wait_for: Option<String>,
    },
}

impl FeedSpec {
    /// The name of the feed's file in `format`: `<id>.<extension>`.
    pub fn file_name(&self, format: Format) -> String {
        format!("{}.{}", self.id, format.extension())
    }

    /// The listing pages the feed reads, in order: `page_url`, then `more_listings`.
    pub fn listings(&self) -> impl Iterator<Item = &Url> {
        std::iter::once(&self.page_url).chain(&self.more_listings)
    }

    /// Which items of the history the feed publishes.
    pub fn window(&self) -> Window {
        Window {
            max_items: self.max_items,
            keep_days: self.keep_days,
        }
    }

    /// Most item pages read in one run (`[feed.detail]`): a first run or a backfill of a long
    /// listing fills in over the next runs rather than all at once.
    pub fn detail_budget(&self) -> usize {
        self.max_items
    }

    /// A hash of everything that decides what is read from the page (address, selectors,
    /// encoding, dates, how many items): when it changes, the page is fetched whole again
    /// instead of conditionally, so the change shows at once.
    pub fn fingerprint(&self) -> String {
        let field = |f: &FieldSelector| {
            format!(
                "{}@{}~{}{}",
                f.css,
                f.attr.as_deref().unwrap_or(""),
                f.regex.as_ref().map(regex::Regex::as_str).unwrap_or(""),
                f.rewrite_print()
            )
        };
        let optional = |f: &Option<FieldSelector>| f.as_ref().map(field).unwrap_or_default();
        let selectors = &self.selectors;
        let mut text = vec![
            self.source.to_string(),
            self.page_url.to_string(),
            selectors.item_css.clone(),
            field(&selectors.title),
            field(&selectors.link),
            optional(&selectors.date),
            optional(&selectors.summary),
            self.encoding
                .map(|e| e.name().to_string())
                .unwrap_or_default(),
            self.date_formats
                .iter()
                .map(DateFormat::as_str)
                .collect::<Vec<_>>()
                .join("\u{1f}"),
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
        ];
        // Only feeds of several listing pages add them: other fingerprints stay those stored.
        if !self.more_listings.is_empty() {
            let more: Vec<&str> = self.more_listings.iter().map(Url::as_str).collect();
            text.push(format!("listings:{}", more.join(" ")));
        }
        // Only JSON feeds add to it: the fingerprints of HTML feeds stay those stored.
        if let PageFormat::Json(json) = &self.format {
            text.push(format!(
                "json:{}",
                json.embedded.as_ref().map_or("", |e| e.css.as_str())
            ));
        }
        // Only feeds with item images, authors, categories or enclosures add to it.
        let more = [&selectors.image, &selectors.author, &selectors.category]
            .into_iter()
            .map(optional)
            .chain(selectors.enclosure.as_ref().map(|e| {
                format!(
                    "{}#{}",
                    field(&e.field),
                    e.mime_type.as_deref().unwrap_or("")
                )
            }))
            .collect::<Vec<_>>();
        if more.iter().any(|f| !f.is_empty()) {
            text.push(format!("fields:{}", more.join("\u{1f}")));
        }
        if let Some(filter) = &self.filter {
            text.push(filter.fingerprint());
        }
        let text = text.join("\u{1e}");
        // Only rendered feeds add to the text: the fingerprints of the others stay as stored.
        let text = match &self.render {
            Render::None => text,
            Render::Browser { wait_for } => {
                format!("{text}\u{1e}browser:{}", wait_for.as_deref().unwrap_or(""))
            }
        };
        // Headers may change what is served (`Accept-Language`): only feeds with some add to
        // the text, so the others' fingerprints stay as stored.
        let text = if self.request.is_empty() {
            text
        } else {
            let lines = self.request.lines();
            let lines: Vec<String> = lines.iter().map(|(n, v)| format!("{n}: {v}")).collect();
            format!("{text}\u{1e}request:{}", lines.join("\u{1f}"))
        };
        // The NUL after the text keeps the digest of fingerprints stored before it was
        // computed here (state files keep them).
        crate::digest::hex16(&[text.as_bytes(), &[0]])
    }
}

/// Which items of the history a feed publishes: the newest `max_items` of those on the page
/// when it was last read and those that left it less than `keep_days` ago. Newest first; items
/// of the same date keep page order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Most items.
    pub max_items: usize,
    /// Days an item that left the page stays.
    pub keep_days: u32,
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

/// What a listing page is, and so how its selectors read it (`format`).
#[derive(Debug, Clone, Default)]
pub enum PageFormat {
    /// HTML, read with CSS selectors (the default, `format = "html"`).
    #[default]
    Html,
    /// JSON, read with JSONPaths (`format = "json"`).
    Json(JsonFormat),
}

/// How a JSON listing is found.
#[derive(Debug, Clone, Default)]
pub struct JsonFormat {
    /// `embedded`: the page is HTML and the JSON is the text of the first element this
    /// selector matches (`script#__NEXT_DATA__`); `None`: the body is the JSON.
    pub embedded: Option<Embedded>,
}

/// Where JSON sits in an HTML page (`embedded`).
#[derive(Debug, Clone)]
pub struct Embedded {
    /// The element holding the JSON as its text.
    pub selector: Selector,
    /// The selector as written, for messages.
    pub css: String,
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

/// What selects a listing's items.
#[derive(Debug, Clone)]
pub enum ItemSelector {
    /// Elements of an HTML page.
    Css(Selector),
    /// Values of a JSON document (JSONPath, RFC 9535).
    Json(serde_json_path::JsonPath),
}

impl ItemSelector {
    /// The CSS selector of an HTML feed; `None` for a JSON feed.
    pub fn css(&self) -> Option<&Selector> {
        match self {
            ItemSelector::Css(selector) => Some(selector),
            ItemSelector::Json(_) => None,
        }
    }
}

/// The compiled selectors of a feed (CSS, or JSONPath for JSON feeds).
#[derive(Debug, Clone)]
pub struct Selectors {
    /// Selects each item on the page.
    pub item: ItemSelector,
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
    /// The item's image: the `src` of an `<img>` (or the named attribute), linked, never
    /// fetched.
    pub image: Option<FieldSelector>,
    /// The item's author.
    pub author: Option<FieldSelector>,
    /// The item's categories: every element the selector matches in the item (every value
    /// its JSONPath selects).
    pub category: Option<FieldSelector>,
    /// The item's enclosures (a PDF, a recording): every link the selector matches.
    pub enclosure: Option<EnclosureSelector>,
}

/// `selectors.enclosure`: where an item's enclosures are, and their media type when the
/// extension does not say it.
#[derive(Debug, Clone)]
pub struct EnclosureSelector {
    /// The links (`href` unless another attribute is named).
    pub field: FieldSelector,
    /// `type = "application/pdf"`: the media type of every enclosure, instead of the one
    /// their extension gives.
    pub mime_type: Option<String>,
}

/// Where one field of an item is found: an element under the item (or the item itself), and
/// optionally the attribute holding the value.
#[derive(Debug, Clone)]
pub struct FieldSelector {
    /// Where the field is looked for: in the item, or around it.
    pub scope: Scope,
    /// Selector relative to the item (or to what `scope` names); `None` means the item
    /// element itself.
    pub selector: Option<Selector>,
    /// The selector as written, for messages (empty for the item itself; with its place
    /// when outside the item: `+ dd`, `before = "h3"`, `from = "link"`).
    pub css: String,
    /// Attribute to read instead of the element's text.
    pub attr: Option<String>,
    /// For JSON feeds: the JSONPath of the value, with the item as root (`css` holds it as
    /// written; `selector` is `None`).
    pub path: Option<serde_json_path::JsonPath>,
    /// Cuts the value out of the text: the first capture group, or the whole match.
    pub regex: Option<regex::Regex>,
    /// `replace`: rewrites applied in order to the value found, after `regex`.
    pub replace: Vec<Replace>,
    /// `template`: the field built from the item's fields (titles and summaries only).
    pub template: Option<Template>,
}

/// One `replace` pair: every match of `regex` is replaced by `replacement` (`$1`, `${name}`
/// name its groups, as [`regex::Regex::replace_all`] reads them).
#[derive(Debug, Clone)]
pub struct Replace {
    /// The pattern.
    pub regex: regex::Regex,
    /// What each match becomes.
    pub replacement: String,
}

/// A `template`: text with `{field}` placeholders, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// As written, for messages and the fingerprint.
    pub text: String,
    /// The text and placeholders, in order.
    pub parts: Vec<TemplatePart>,
}

/// A piece of a [`Template`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    /// Text written as is (`{{` and `}}` already read as braces).
    Text(String),
    /// A placeholder: the name of an item field (one of `crate::rewrite::TEMPLATE_FIELDS`).
    Field(&'static str),
}

/// Where a field is looked for, relative to its item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scope {
    /// Inside the item (the usual case).
    #[default]
    Item,
    /// The item's next element sibling, or inside it (`"+ dd"`).
    Next,
    /// The item's following siblings up to the next item, or inside them (`"~ dd"`).
    Following,
    /// The nearest element before the item that matches, in page order: the heading of its
    /// group (`{ before = "h3" }`).
    Before,
    /// The item's link as the page writes it (`{ from = "link" }`).
    Link,
    /// The item's title text (`{ from = "title" }`).
    Title,
}

impl FieldSelector {
    /// The field's `replace` pairs and `template` as text for the feed's fingerprint; empty
    /// without any, so fingerprints stored before rewrites existed stay as they were.
    pub fn rewrite_print(&self) -> String {
        let mut text = String::new();
        for replace in &self.replace {
            text.push_str("\u{1d}r:");
            text.push_str(replace.regex.as_str());
            text.push('\u{1c}');
            text.push_str(&replace.replacement);
        }
        if let Some(template) = &self.template {
            text.push_str("\u{1d}t:");
            text.push_str(&template.text);
        }
        text
    }

    /// `value` cut by the field's `regex` (unchanged without one): its first capture group,
    /// or its groups joined by `-` when it has several (`(\d{4})/(\d{2})(\d{2})` reads
    /// `2016-04-22` from `/2016/0422/`), or the whole match; `None` when it does not match or
    /// leaves nothing.
    pub fn cut(&self, value: String) -> Option<String> {
        let Some(regex) = &self.regex else {
            return Some(value);
        };
        let captures = regex.captures(&value)?;
        let part = if captures.len() > 2 {
            let groups: Vec<&str> = captures
                .iter()
                .skip(1)
                .flatten()
                .map(|group| group.as_str().trim())
                .filter(|group| !group.is_empty())
                .collect();
            groups.join("-")
        } else {
            captures
                .get(1)
                .or_else(|| captures.get(0))?
                .as_str()
                .trim()
                .to_string()
        };
        (!part.is_empty()).then_some(part)
    }
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

/// The configuration field a feed's failure concerns, as messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `url`: the listing page's public address (fetched when there is no `source`).
    Url,
    /// `source`: where the page's bytes come from, when not `url`.
    Source,
    /// `embedded`: the element of an HTML page holding a JSON feed's document.
    Embedded,
    /// `[feed.pagination]`: an older page of the listing.
    Pagination,
    /// `[feed.detail]`: an item's own page.
    Detail,
    /// `selectors.item`.
    Item,
    /// `selectors.title` and `selectors.link` together.
    TitleAndLink,
    /// `selectors.date`.
    Date,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Field::Url => "url",
            Field::Source => "source",
            Field::Embedded => "embedded",
            Field::Pagination => "pagination",
            Field::Detail => "detail",
            Field::Item => "selectors.item",
            Field::TitleAndLink => {
                return f.write_str("fields \"selectors.title\" and \"selectors.link\"");
            }
            Field::Date => "selectors.date",
        };
        write!(f, "field \"{name}\"")
    }
}
