//! Errors: each step has its own error type that says what went wrong ([`FetchError`],
//! [`ExtractError`], [`CheckError`], [`StoreError`], [`RenderError`], [`OutputError`]); a
//! failed feed wraps its step's error once in a [`FeedError`], which adds the feed and the
//! configuration field, so every message reads `feed "x": field "y": what went wrong`.
//!
//! An error's own text never repeats its cause: the cause is its `source()`, and [`chain`]
//! joins them.

use std::fmt;

use crate::checks::CheckError;
use crate::config::ConfigError;
use crate::extract::ExtractError;
use crate::fetch::FetchError;
use crate::output::OutputError;
use crate::render::RenderError;
use crate::spec::Field;
use crate::store::StoreError;

/// An error of a run as a whole (a feed's own failure is a [`FeedError`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file could not be read or is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The state file could not be used, or another run holds its lock.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A feed failed.
    #[error(transparent)]
    Feed(#[from] FeedError),
    /// `index.html` or `feeds.opml` could not be written (the error names the file).
    #[error(transparent)]
    Site(#[from] OutputError),
    /// A bug: a step panicked.
    #[error("internal error {0} (a bug: please report it)")]
    Panicked(&'static str),
}

/// `Result` with pressfeed's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A feed that failed: which feed, which field of its configuration, and what went wrong.
#[derive(Debug, thiserror::Error)]
pub struct FeedError {
    /// The feed.
    pub feed: String,
    /// The configuration field the failure concerns, when one does.
    pub field: Option<Field>,
    /// What went wrong.
    #[source]
    pub kind: Box<FeedErrorKind>,
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "feed \"{}\"", self.feed)?;
        if let Some(field) = self.field {
            write!(f, ": {field}")?;
        }
        Ok(())
    }
}

/// What went wrong with a feed, by step.
#[derive(Debug, thiserror::Error)]
pub enum FeedErrorKind {
    /// Its page could not be loaded.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// Its page could not be read for items.
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// Its items would make the feed worse.
    #[error(transparent)]
    Check(#[from] CheckError),
    /// The state file failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// It could not be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Its files could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// Its new files were published, but the history could not keep the page (a full disk):
    /// the files are ahead of the history until a run commits again.
    #[error(
        "its new files were published, but the history could not record the run; the next run brings the history up to date"
    )]
    NotRecorded(#[source] StoreError),
    /// One of its listing pages (`url` as a list) could not be read for items, or failed a
    /// check: which page, and why.
    #[error("listing page {url}")]
    Listing {
        /// The page.
        url: url::Url,
        /// What went wrong on it.
        #[source]
        source: Box<FeedErrorKind>,
    },
    /// A bug: its refresh panicked.
    #[error("internal error (a bug: please report it); files and history are kept")]
    Panicked,
    /// A time budget ran out before the feed's page was read.
    #[error("{budget} ran out {stage}")]
    OutOfTime {
        /// Which budget.
        budget: Budget,
        /// What the feed was doing: "while loading its page", "before it was started".
        stage: &'static str,
    },
}

/// A time budget of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// One feed's fetching (`feed_timeout`).
    Feed(std::time::Duration),
    /// The whole run (`run_timeout`).
    Run(std::time::Duration),
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Budget::Feed(limit) => write!(
                f,
                "the feed's time budget (`feed_timeout`, {} s)",
                limit.as_secs_f64()
            ),
            Budget::Run(limit) => write!(
                f,
                "the run's time budget (`run_timeout`, {} s)",
                limit.as_secs_f64()
            ),
        }
    }
}

/// The stage of a feed the run's budget left no time to start.
pub(crate) const NOT_STARTED: &str = "before it was started";

impl FeedError {
    /// Whether the run's budget ran out before this feed was started: such a run of the feed
    /// is in no log.
    pub fn never_started(&self) -> bool {
        matches!(
            *self.kind,
            FeedErrorKind::OutOfTime {
                stage: NOT_STARTED,
                ..
            }
        )
    }

    /// `kind` for `feed`, under `field`.
    pub fn new(feed: &str, field: Option<Field>, kind: impl Into<FeedErrorKind>) -> Self {
        FeedError {
            feed: feed.to_string(),
            field,
            kind: Box::new(kind.into()),
        }
    }

    /// A page of `feed` that could not be read for items, under the field it concerns.
    pub fn extract(feed: &str, error: ExtractError) -> Self {
        FeedError::new(feed, Some(error.field()), error)
    }

    /// Items of `feed` that failed a check, under the field it concerns.
    pub fn check(feed: &str, error: CheckError) -> Self {
        FeedError::new(feed, Some(error.field()), error)
    }

    /// A bug in `feed`'s refresh.
    pub fn panicked(feed: &str) -> Self {
        FeedError::new(feed, None, FeedErrorKind::Panicked)
    }

    /// Whether the feed's previous files and history are as they were before the refresh
    /// (true of every failure but [`FeedErrorKind::NotRecorded`]).
    pub fn kept_previous(&self) -> bool {
        !matches!(*self.kind, FeedErrorKind::NotRecorded(_))
    }
}

/// An error and its causes, joined by ": ". A cause whose text the message already holds is
/// left out: some libraries' errors (SQLite's, for one) repeat their own cause in their text.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_errors_name_feed_field_and_cause() {
        let err = FeedError::extract(
            "ilo-china",
            ExtractError::NoItems {
                selector: "li.item".into(),
                bytes: 10,
            },
        );
        assert_eq!(
            chain(&err),
            "feed \"ilo-china\": field \"selectors.item\": \"li.item\" matches nothing on the page (10 bytes; has its layout changed?)"
        );
        let err = FeedError::check(
            "x",
            CheckError::NoUsableItems {
                selector: "li".into(),
                matched: 2,
                titles: 0,
                links: 1,
            },
        );
        assert!(chain(&err).starts_with(
            "feed \"x\": fields \"selectors.title\" and \"selectors.link\": 2 elements match"
        ));
        assert_eq!(
            chain(&FeedError::panicked("x")),
            "feed \"x\": internal error (a bug: please report it); files and history are kept"
        );
    }
}
