//! pressfeed's integration tests, built as one binary. No test uses the network.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

#[cfg(feature = "browser")]
mod browser;
mod budgets;
mod cli;
mod dates;
mod egress;
mod feeds;
mod fetch;
mod history;
mod hostile;
mod json;
mod listings;
mod operate;
mod properties;
mod readme;
mod regressions;
mod request;
mod rewrites;
mod serve;
mod serve_reload;
mod shape;
mod suggest;
