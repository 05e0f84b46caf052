//! `pressfeed status [--json]`: each feed's state, from the state file.

use std::fmt::Write as _;

use anyhow::Context as _;
use pressfeed::Config;

use super::exit::{self, Outcome};
use super::shorten;

/// Prints every feed's last success and failure, history size and items on the page.
pub(crate) fn status(config: &Config, json: bool) -> anyhow::Result<Outcome> {
    let statuses = match pressfeed::statuses(config) {
        Ok(statuses) => statuses,
        Err(err) => return Ok(exit::failed(&err, Outcome::FeedFailed)),
    };
    let mut out = String::new();
    if json {
        out = serde_json::to_string_pretty(&statuses).context("cannot write JSON")?;
        out.push('\n');
    } else {
        let _ = writeln!(
            out,
            "{:<20}  {:<20}  {:<20}  {:>7}  {:>7}  last error",
            "feed", "last success", "last failure", "history", "on page"
        );
        for s in &statuses {
            let _ = writeln!(
                out,
                "{:<20}  {:<20}  {:<20}  {:>7}  {:>7}  {}",
                shorten(&s.feed, 20),
                s.last_success.as_deref().unwrap_or("never"),
                s.last_failure.as_deref().unwrap_or("never"),
                s.items_in_history,
                s.items_on_page.map_or("-".to_string(), |n| n.to_string()),
                match (&s.last_error, s.failing) {
                    (Some(error), true) => error.clone(),
                    (Some(error), false) => format!("(since recovered) {error}"),
                    (None, _) => "-".to_string(),
                }
            );
        }
    }
    if json {
        super::print_exactly(&out)?;
    } else {
        super::print(&out)?;
    }
    Ok(Outcome::Success)
}
