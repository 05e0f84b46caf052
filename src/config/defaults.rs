//! Every default and every range of the configuration, in one place (the configuration
//! reference in `docs/configuration.md` quotes these).

use std::ops::RangeInclusive;

/// Default number of items a feed lists.
pub const DEFAULT_MAX_ITEMS: usize = 50;
/// Default days an item that left the listing page stays in the feed.
pub const DEFAULT_KEEP_DAYS: u32 = 30;
/// Days an item that left the page may stay at most.
pub(crate) const KEEP_DAYS: RangeInclusive<u32> = 0..=36_500;
/// Default share of the last good run's item count below which a run fails.
pub const DEFAULT_MIN_ITEM_SHARE: f64 = 0.2;
/// Default largest page pressfeed reads (10 MiB).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;
/// The `User-Agent` sent unless a feed or `[fetch]` names another; `[fetch] contact` adds
/// ` (+contact)` to it.
pub const DEFAULT_USER_AGENT: &str = concat!("pressfeed/", env!("CARGO_PKG_VERSION"));
/// The output folder, relative to the config file's folder.
pub(crate) const DEFAULT_OUTPUT_DIR: &str = "public";
/// The state file's name, beside the config file.
pub(crate) const STATE_FILE_NAME: &str = "pressfeed-state.sqlite";
/// Most listing pages one feed reads (`url` as a list).
pub(crate) const MAX_LISTINGS: usize = 20;
/// The longest feed id (it names files; file systems limit names to 255 bytes).
pub(crate) const MAX_ID_CHARS: usize = 100;

/// Feeds refreshed at the same time (`[fetch] concurrency`).
pub(crate) const DEFAULT_CONCURRENCY: usize = 8;
/// Its range.
pub(crate) const CONCURRENCY: RangeInclusive<usize> = 1..=256;
/// Retries of a failed request (`[fetch] retries`).
pub(crate) const DEFAULT_RETRIES: u32 = 3;
/// Their range.
pub(crate) const RETRIES: RangeInclusive<u32> = 0..=10;
/// Seconds between two requests to one host (`[fetch] host_delay`).
pub(crate) const DEFAULT_HOST_DELAY: f64 = 1.0;
/// Seconds a fetch may spend on retries in all (`[fetch] retry_time`).
pub(crate) const DEFAULT_RETRY_TIME: f64 = 60.0;
/// Seconds to wait for a connection.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: f64 = 10.0;
/// Seconds a whole request may take.
pub(crate) const DEFAULT_TIMEOUT: f64 = 30.0;
/// Seconds the fetching of one feed may take in all (`feed_timeout`).
pub(crate) const DEFAULT_FEED_TIMEOUT: f64 = 300.0;
/// Seconds a run may take (`[fetch] run_timeout`).
pub(crate) const DEFAULT_RUN_TIMEOUT: f64 = 1800.0;
/// The shortest timeout (a millisecond).
pub(crate) const MIN_TIMEOUT: f64 = 0.001;
/// The longest duration any setting takes: a day.
pub(crate) const DAY_SECONDS: f64 = 86_400.0;

/// Pages of a listing read at most, the first included (`[feed.pagination] max_pages`).
pub(crate) const DEFAULT_MAX_PAGES: usize = 5;
/// Their range.
pub(crate) const MAX_PAGES: RangeInclusive<usize> = 1..=100;

impl Default for crate::spec::RunSettings {
    /// `[fetch]`'s run-wide settings when the file sets none.
    fn default() -> Self {
        crate::spec::RunSettings {
            concurrency: DEFAULT_CONCURRENCY,
            host_delay: std::time::Duration::from_secs_f64(DEFAULT_HOST_DELAY),
            retries: DEFAULT_RETRIES,
            retry_time: std::time::Duration::from_secs_f64(DEFAULT_RETRY_TIME),
            backfill: false,
            allow_internal: crate::spec::AllowList::default(),
            run_timeout: std::time::Duration::from_secs_f64(DEFAULT_RUN_TIMEOUT),
            reference: None,
        }
    }
}

impl Default for crate::spec::FetchSettings {
    /// The per-feed fetch settings when neither `[fetch]` nor the feed sets any.
    fn default() -> Self {
        crate::spec::FetchSettings {
            user_agent: DEFAULT_USER_AGENT.to_string(),
            connect_timeout: std::time::Duration::from_secs_f64(DEFAULT_CONNECT_TIMEOUT),
            timeout: std::time::Duration::from_secs_f64(DEFAULT_TIMEOUT),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            robots_txt: true,
            feed_timeout: std::time::Duration::from_secs_f64(DEFAULT_FEED_TIMEOUT),
        }
    }
}
