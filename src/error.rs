//! The crate-wide error type: one variant per step of the data flow.

use crate::config::ConfigError;
use crate::extract::ExtractError;
use crate::fetch::FetchError;
use crate::output::OutputError;
use crate::render::RenderError;

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
}

/// `Result` with pressfeed's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
