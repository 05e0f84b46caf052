//! What can be wrong with a value of the configuration, one variant per kind of mistake. The
//! messages quote the value as written.

use std::fmt;

use super::defaults::{DAY_SECONDS, MAX_ID_CHARS};

/// What is wrong with a well-formed value.
#[derive(Debug, Clone)]
pub enum Problem {
    /// A text that must say something is blank.
    Empty,
    /// `source = ""`.
    EmptySource,
    /// An id that cannot name files.
    BadId(String),
    /// An id longer than the most allowed, 100 characters (its length).
    LongId(usize),
    /// Not an address at all.
    InvalidUrl {
        /// The value.
        value: String,
        /// Why it does not parse.
        error: url::ParseError,
    },
    /// An address, but not http(s) with a host.
    NotHttpUrl(String),
    /// A mistake of `url` as a list, or of what a list cannot go with.
    Listing(super::listing::ListingProblem),
    /// A `file:` source that names no file.
    BadFileUrl(String),
    /// A whole number outside its range.
    OutOfRange {
        /// The value.
        value: i64,
        /// The smallest allowed.
        min: u64,
        /// The largest allowed, when the range has a meaningful top.
        max: Option<u64>,
    },
    /// A whole number that must be positive.
    NotPositive(i64),
    /// A duration outside its range (or not finite).
    NotSeconds {
        /// The value.
        value: f64,
        /// The smallest allowed.
        min: f64,
    },
    /// A share outside 0.0 to 1.0.
    NotShare(f64),
    /// A `User-Agent` that cannot be sent.
    BadUserAgent(String),
    /// `[fetch] contact` is neither a web address nor a mail address.
    BadContact(String),
    /// An `on_change` list without a program.
    NoCommand,
    /// An empty list of formats.
    NoFormats,
    /// Not a language tag.
    BadLanguage(String),
    /// Not an IANA time zone.
    BadTimezone(String),
    /// A `date_formats` entry chrono cannot use.
    BadDateFormat(String),
    /// An encoding label `encoding_rs` does not know.
    UnknownEncoding(String),
    /// An id an earlier feed has, perhaps in other case (`ilo` and `ILO` name one file on
    /// macOS and Windows).
    DuplicateId {
        /// The id.
        id: String,
        /// The earlier feed's id.
        first_id: String,
        /// The earlier feed's title.
        first_title: String,
    },
    /// `websub_hub` without `base_url`.
    HubNeedsBaseUrl,
    /// A selector that is blank.
    EmptySelector,
    /// A selector that does not parse.
    BadSelector {
        /// The selector.
        css: String,
        /// scraper's reason, in words (its error borrows the text, so it is described here).
        reason: String,
    },
    /// `attr = ""`.
    EmptyAttr,
    /// A JSONPath that is blank.
    EmptyJsonPath,
    /// A JSONPath that does not parse.
    BadJsonPath {
        /// The path.
        path: String,
        /// serde_json_path's reason.
        reason: String,
    },
    /// A key of HTML fields (`attr`, `before`, `from`) in a JSON feed's field.
    NotForJson(&'static str),
    /// `type` on a field other than `selectors.enclosure`.
    TypeOnlyForEnclosure,
    /// `filter.fields = []`.
    NoFilterFields,
    /// An enclosure's `type` that is no media type (`type/subtype`).
    BadMediaType(String),
    /// `embedded` on a feed that does not read JSON.
    EmbeddedNeedsJson,
    /// A `from` other than `link` or `title`.
    BadFrom(String),
    /// A field with more than one of `selector`, `before` and `from`.
    FieldPlaces,
    /// A `regex` that does not compile.
    BadRegex {
        /// The pattern.
        pattern: String,
        /// Why.
        error: regex::Error,
    },
    /// `[feed.pagination]` with neither `next` nor `pattern`, or both.
    PaginationNeedsOne,
    /// A pattern with `{offset}` and no `step`.
    PaginationNeedsStep,
    /// A pattern that is not an http(s) address with `{page}` or `{offset}`.
    BadPattern(String),
    /// A state file inside the output folder, which is published.
    StateInOutput {
        /// The state file.
        state: std::path::PathBuf,
        /// The output folder.
        dir: std::path::PathBuf,
        /// Whether it is the default place (no `output.state`).
        default: bool,
    },
    /// An `allow_internal` entry that is neither an address, a range nor a host name.
    BadAllowEntry(String),
    /// A `render` other than `none` or `browser`.
    BadRender(String),
    /// `render = "browser"` in a build without the `browser` feature.
    BrowserNotBuilt,
    /// `wait_for` on a feed that is not rendered.
    WaitForNeedsBrowser,
    /// A mistake in `[feed.request]`.
    Request(super::request::RequestProblem),
    /// A `replace` entry that is not a pair of strings, `["pattern", "replacement"]`.
    BadReplacePair,
    /// A `template` that does not compile: an unknown placeholder, a lone brace.
    BadTemplate {
        /// The template.
        template: String,
        /// Why, naming the fields a template can use when it names another.
        reason: String,
    },
    /// `template` on a field other than a title or a summary.
    TemplateNotHere,
}

impl Problem {
    /// The messages of a field selector's mistakes (CSS, JSONPath, `embedded`).
    fn fmt_field(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::EmptySelector => f.write_str("the CSS selector is empty"),
            Problem::BadSelector { css, reason } => {
                write!(f, "\"{css}\" is not a valid CSS selector: {reason}")
            }
            Problem::EmptyAttr => f.write_str("attr must not be empty"),
            Problem::EmptyJsonPath => f.write_str("the JSONPath is empty"),
            Problem::EmbeddedNeedsJson => f.write_str(
                "reads JSON embedded in an HTML page: it needs `format = \"json\"` on the feed",
            ),
            Problem::BadJsonPath { path, reason } => {
                write!(f, "\"{path}\" is not a valid JSONPath: {reason}")
            }
            Problem::NoFilterFields => f.write_str(
                "names no field: list some of \"title\", \"summary\", \"link\", \"category\" (or leave it out for title, summary and category)",
            ),
            Problem::TypeOnlyForEnclosure => f.write_str(
                "`type` is the media type of enclosures: it belongs to `selectors.enclosure`",
            ),
            Problem::BadMediaType(value) => write!(
                f,
                "\"{value}\" is not a media type: write it as type/subtype, such as \"application/pdf\""
            ),
            Problem::NotForJson(key) => write!(
                f,
                "`{key}` is for HTML pages; a JSON feed reads each field by its JSONPath (`selector`) and older pages by `pattern`"
            ),
            Problem::BadFrom(from) => write!(
                f,
                "from = \"{from}\" is not something an item has: write \"link\" or \"title\""
            ),
            Problem::FieldPlaces => f.write_str(
                "a field is read from one place: give `selector`, `before` or `from`, not several",
            ),
            Problem::BadRegex { pattern, error } => {
                write!(f, "regex \"{pattern}\" is not valid: {error}")
            }
            _ => Ok(()),
        }
    }
}

impl Problem {
    /// The messages of `render` and `wait_for` mistakes.
    fn fmt_render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::BadRender(value) => {
                write!(f, "\"{value}\" is not a way to render: write \"none\" or \"browser\"")
            }
            Problem::BrowserNotBuilt => f.write_str(
                "this pressfeed was built without the browser: build it with `cargo install --locked --path . --features browser` (it drives the system's Chromium)",
            ),
            Problem::WaitForNeedsBrowser => f.write_str(
                "is only used with `render = \"browser\"`: a page read as served has nothing to wait for",
            ),
            _ => Ok(()),
        }
    }
}

/// Why a `contact` is refused.
const NOT_A_CONTACT: &str = "is neither a web address (https://example.org/about) nor a mail \
                             address (mailto:you@example.org): site operators reach you through it";

/// Why an empty `on_change` is refused.
const NO_COMMAND: &str = "the command is empty: write the program and its arguments, \
                          [\"program\", \"arg\", …] (no shell: for one, [\"sh\", \"-c\", \"…\"])";

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Empty => f.write_str("must not be empty"),
            Problem::EmptySource => {
                f.write_str("must not be empty (remove the line to fetch `url`)")
            }
            Problem::BadId(id) => write!(
                f,
                "\"{id}\" is not a usable id: use letters, digits, '-', '_' or '.' (it names the feed files)"
            ),
            Problem::InvalidUrl { value, error } => {
                write!(f, "\"{value}\" is not a valid URL: {error}")
            }
            Problem::NotHttpUrl(value) => write!(f, "\"{value}\" is not an http(s) URL"),
            Problem::BadFileUrl(value) => write!(f, "\"{value}\" is not a valid file: URL"),
            Problem::OutOfRange { value, min, max } => {
                write!(f, "{value} is out of range (at least {min}")?;
                if let Some(max) = max {
                    write!(f, ", at most {max}")?;
                }
                f.write_str(")")
            }
            Problem::NotPositive(value) => write!(f, "{value} is not a positive number"),
            Problem::NotSeconds { value, min } => write!(
                f,
                "{value} is not a number of seconds from {min} to {DAY_SECONDS}"
            ),
            Problem::NotShare(value) => write!(f, "{value} is not a share from 0.0 to 1.0"),
            Problem::BadUserAgent(value) => write!(
                f,
                "\"{value}\" is not a usable User-Agent (printable ASCII, not empty)"
            ),
            Problem::BadContact(value) => write!(f, "\"{value}\" {NOT_A_CONTACT}"),
            Problem::NoCommand => f.write_str(NO_COMMAND),
            Problem::NoFormats => {
                f.write_str("must name at least one of \"rss\", \"atom\", \"json\"")
            }
            Problem::BadLanguage(value) => write!(
                f,
                "\"{value}\" is not a language tag such as \"en\" or \"zh-CN\""
            ),
            Problem::BadTimezone(value) => write!(
                f,
                "\"{value}\" is not an IANA time zone name such as \"Asia/Shanghai\" or \"UTC\""
            ),
            Problem::BadDateFormat(value) => write!(
                f,
                "\"{value}\" is not a valid chrono date format (e.g. \"%d %B %Y\")"
            ),
            Problem::UnknownEncoding(value) => write!(
                f,
                "\"{value}\" is not a known character encoding (e.g. \"utf-8\", \"gbk\", \"windows-1252\")"
            ),
            Problem::DuplicateId {
                id,
                first_id,
                first_title,
            } if id == first_id => write!(
                f,
                "\"{id}\" is already the id of an earlier feed (\"{first_title}\"); each feed needs its own"
            ),
            Problem::DuplicateId {
                id,
                first_id,
                first_title,
            } => write!(
                f,
                "\"{id}\" differs only in case from \"{first_id}\", the id of an earlier feed (\"{first_title}\"); their files would be one on macOS and Windows: each feed needs its own"
            ),
            Problem::LongId(len) => write!(
                f,
                "is {len} characters long; an id has at most {MAX_ID_CHARS} (it names the feed files)"
            ),
            Problem::HubNeedsBaseUrl => {
                f.write_str("needs `output.base_url`: the hub is told the feeds' public addresses")
            }
            Problem::EmptySelector
            | Problem::BadSelector { .. }
            | Problem::EmptyAttr
            | Problem::EmptyJsonPath
            | Problem::BadJsonPath { .. }
            | Problem::NotForJson(_)
            | Problem::TypeOnlyForEnclosure
            | Problem::NoFilterFields
            | Problem::BadMediaType(_)
            | Problem::EmbeddedNeedsJson
            | Problem::BadFrom(_)
            | Problem::FieldPlaces
            | Problem::BadRegex { .. } => self.fmt_field(f),
            Problem::PaginationNeedsOne | Problem::PaginationNeedsStep | Problem::BadPattern(_) => {
                self.fmt_pagination(f)
            }
            Problem::StateInOutput { .. } => self.fmt_state(f),
            Problem::BadAllowEntry(entry) => write!(
                f,
                "\"{entry}\" is not a host name, an address or an address range such as \"10.0.0.0/8\""
            ),
            Problem::BadRender(_) | Problem::BrowserNotBuilt | Problem::WaitForNeedsBrowser => {
                self.fmt_render(f)
            }
            Problem::BadReplacePair | Problem::BadTemplate { .. } | Problem::TemplateNotHere => {
                self.fmt_rewrite(f)
            }
            Problem::Listing(problem) => problem.fmt(f),
            Problem::Request(problem) => problem.fmt(f),
        }
    }
}

impl Problem {
    /// A state file inside the published folder.
    fn fmt_state(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::StateInOutput {
                state,
                dir,
                default: false,
            } => write!(
                f,
                "{} is inside output.dir ({}), which is published: keep the state file outside it (it holds the run log and its errors)",
                state.display(),
                dir.display()
            ),
            Problem::StateInOutput {
                state,
                dir,
                default: true,
            } => write!(
                f,
                "the state file's default place, {} (beside the config file), is inside output.dir ({}), which is published: set output.state to a path outside it",
                state.display(),
                dir.display()
            ),
            _ => Ok(()),
        }
    }
}

impl Problem {
    /// The problems of `[feed.pagination]`.
    fn fmt_pagination(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::PaginationNeedsOne => {
                f.write_str("needs one of `next` (a selector) or `pattern` (an address)")
            }
            Problem::PaginationNeedsStep => {
                f.write_str("a pattern with {offset} needs `step` (items per page)")
            }
            Problem::BadPattern(pattern) => write!(
                f,
                "\"{pattern}\" is not an http(s) URL with {{page}} or {{offset}} in it"
            ),
            other => write!(f, "{other:?}"),
        }
    }
}

impl Problem {
    /// The messages of `replace` and `template` mistakes.
    fn fmt_rewrite(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::BadReplacePair => f.write_str(
                "a replace is a pair of strings, [\"pattern\", \"replacement\"] (write [\"pattern\", \"\"] to remove what matches)",
            ),
            Problem::BadTemplate { template, reason } => {
                write!(f, "template \"{template}\" is not valid: {reason}")
            }
            Problem::TemplateNotHere => f.write_str(
                "a template builds titles and summaries only (selectors.title, selectors.summary); other fields take `replace`",
            ),
            other => write!(f, "{other:?}"),
        }
    }
}
