//! Test support for pressfeed, in one place: its fixtures and configs pointed at them, the
//! binary under test, feeds read back with real parsers, the scripted HTTP server, generated
//! listing pages, and the fuzz targets' checks (which the regression tests replay).
//!
//! Used by `tests/`, `benches/` and `fuzz/`; never published. Without its default `harness`
//! feature (as the fuzz targets build it) it leaves out what needs a process or a server.

#![expect(
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    reason = "test support fails loudly on any unexpected error"
)]

pub mod checks;
#[cfg(feature = "harness")]
pub mod cmd;
pub mod feeds;
pub mod fixtures;
pub mod pages;
#[cfg(feature = "harness")]
pub mod server;

#[cfg(feature = "harness")]
pub use cmd::{HttpSite, pressfeed, run_config, spawn_serve, spawn_serve_to, stderr};
pub use feeds::{arrange, parse_atom, parse_rss};
pub use fixtures::{compact_config, compact_page, config_for, file_config, fixture, root};
