//! The crate-wide error type: one variant per step of the data flow.

use crate::config::ConfigError;
use crate::extract::ExtractError;
use crate::fetch::FetchError;
use crate::output::OutputError;
use crate::render::RenderError;
use crate::store::StoreError;

/// Any error pressfeed's library can return.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file could not be read or is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A feed's page could not be loaded.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// A page did not yield usable items.
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// A feed could not be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A feed file could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The state file could not be used, or another run holds its lock.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The state file failed while a feed was refreshed.
    #[error("feed \"{feed}\": {source}")]
    FeedState {
        /// The feed.
        feed: String,
        /// The state file's error.
        #[source]
        source: StoreError,
    },
    /// A bug: the refresh of a feed panicked.
    #[error(
        "feed \"{feed}\": internal error (a bug: please report it); files and history are kept"
    )]
    Panicked {
        /// The feed.
        feed: String,
    },
}

/// An error and its causes, joined by ": ", leaving out causes its text already quotes.
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

/// `Result` with pressfeed's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
