//! pressfeed turns news listing pages that have no feed into RSS 2.0, Atom 1.0 and JSON Feed
//! 1.1 feeds.
//!
//! The data flows one way, one module per step, and only [`pipeline`](crate::run) knows the
//! order:
//!
//! ```text
//! config.toml ─config─▶ Config/FeedSpec (spec) ─fetch─▶ Body ─decode (fetch::charset)─▶ text
//!   ─extract─▶ RawItem ─item (dates)─▶ PageItem ─checks─▶ ─store (History)─▶ FeedItem
//!   ─render─▶ bytes ─output─▶ <dir>/<id>.{rss,atom,json}, index.html, feeds.opml (site) ─serve─▶ readers
//! ```
//!
//! The modules are private; what the binary, the tests, the benchmarks and the fuzz targets use
//! is re-exported here.

// The pedantic lints worth having, for the shipped code: lossy casts, `format!` appended to a
// String, and functions too long to read (over 120 lines, clippy.toml).
#![warn(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    clippy::format_push_string,
    clippy::too_many_lines
)]

mod checks;
mod config;
mod dates;
mod digest;
mod error;
mod extract;
mod faults;
mod fetch;
mod hook;
mod item;
mod notify;
mod output;
mod pipeline;
mod render;
mod rewrite;
mod serve;
mod site;
mod spec;
mod store;
mod suggest;
mod text;

pub use checks::CheckError;
pub use config::defaults::{
    DEFAULT_KEEP_DAYS, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_ITEMS, DEFAULT_MIN_ITEM_SHARE,
    DEFAULT_USER_AGENT,
};
pub use config::{
    ConfigError, ConfigSource, DefaultPlaces, Environment, FoundConfig, ListingProblem, Location,
    NoConfig, Problem, RequestProblem, parse_duration,
};
pub use dates::{
    DateError, DateFormat, PLAUSIBLE_YEARS, PageDate, Unparsed, matches_format, parse_date_as_of,
    parse_date_at, parse_relative,
};
pub use digest::{content_hash, hex16};
pub use error::{Budget, Error, FeedError, FeedErrorKind, Result, chain};
pub use extract::{
    Detail, ExtractError, Extraction, ListingPage, MAX_DEPTH, RawItem, TooDeep, WrongType, extract,
    parse_html, read_detail,
};
pub use fetch::charset::Decoded;
pub use fetch::{
    Body, ClientError, FeedHeaders, FetchError, Fetched, Fetcher, Internal, PageAnswer, Refusal,
    Request, RetryPolicy, Target, Unanswered, Validators,
};
pub use item::{
    Enclosure, FeedItem, FieldCounts, ItemField, ItemWarning, PageItem, PageItems, SkipReason,
    apply_detail, build_items, parse_dates,
};
pub use output::{OutputError, Staged, WriteOutcome, publish, put_in_place, remove_stale_temps};
pub use pipeline::{
    CutShort, DetailFound, FeedReport, FeedResult, ListingRead, PageOutcome, Preview, Pruned,
    RunReport, SuggestError, Suggested, Tried, forget, preview, prune, read_items, read_page, run,
    run_until, statuses, suggest_page, write_site,
};
pub use render::{FeedMeta, RenderError, render, render_to};
pub use serve::{DEFAULT_BIND, ServeOptions, router, serve};
pub use site::{FeedEntry, INDEX, OPML, index_html, opml};
pub use spec::{
    AllowList, Config, DetailSelectors, Embedded, FeedSpec, FetchSettings, Field, FieldSelector,
    Format, Hook, ItemSelector, JsonFormat, NextPage, Origin, OutputSettings, PageFormat,
    Pagination, Render, RequestHeaders, RunSettings, Scope, Selectors, Source, SummaryFormat,
    Window,
};
pub use spec::{Replace, Template, TemplatePart};
pub use store::{
    FeedStatus, GoodRun, History, Merge, Orphan, Outcome, PageRead, Plan, Publication, RunRecord,
    SCHEMA_VERSION, StateLock, Store, StoreError,
};
pub use suggest::{
    DateField, DatePlace, EmbeddedList, PageFacts, Suggestion, embedded_block, embedded_list,
    feed_block, json_list, suggest, toml_string,
};
pub use text::{
    LinkError, clean_text, escape_attribute, escape_html, for_terminal, resolve_link,
    sanitise_html, strip_forbidden_chars, text_of,
};
