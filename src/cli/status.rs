//! `pressfeed status [--json]`: each feed's state, from the state file.

use anyhow::Context as _;
use pressfeed::Config;

use super::exit::{self, Outcome};
use super::table::{self, Column};

/// The status table's columns: times keep their width, the feed and the error give way.
const STATUS_COLUMNS: [Column; 6] = [
    Column::left("feed", 8, 30),
    Column::left("last success", 16, 16),
    Column::left("failing since", 16, 16),
    Column::right("history", 7),
    Column::right("on page", 7),
    Column::left("last error", 10, 400),
];

/// An RFC 3339 time from the state file, to the minute (`never` for none).
fn minutes(time: Option<&str>) -> String {
    match time.map(chrono::DateTime::parse_from_rfc3339) {
        None => "never".to_string(),
        Some(Ok(time)) => time
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        Some(Err(_)) => time.unwrap_or_default().to_string(),
    }
}

/// Prints every feed's last success, since when it fails (if it does), history size, items on
/// the page and last error.
pub(crate) fn status(config: &Config, json: bool) -> anyhow::Result<Outcome> {
    let statuses = match pressfeed::statuses(config) {
        Ok(statuses) => statuses,
        Err(err) => return Ok(exit::failed(&err, Outcome::FeedFailed)),
    };
    let out = if json {
        let mut out = serde_json::to_string_pretty(&statuses).context("cannot write JSON")?;
        out.push('\n');
        out
    } else {
        let rows: Vec<Vec<String>> = statuses
            .iter()
            .map(|s| {
                let error = match (&s.last_error, s.failing) {
                    (Some(error), true) => error.clone(),
                    (Some(error), false) => format!(
                        "(recovered; failed {}) {error}",
                        minutes(s.last_failure.as_deref())
                    ),
                    (None, _) => "-".to_string(),
                };
                vec![
                    s.feed.clone(),
                    minutes(s.last_success.as_deref()),
                    if s.failing {
                        minutes(s.failing_since.as_deref())
                    } else {
                        "-".to_string()
                    },
                    s.items_in_history.to_string(),
                    s.items_on_page.map_or("-".to_string(), |n| n.to_string()),
                    error.split_whitespace().collect::<Vec<_>>().join(" "),
                ]
            })
            .collect();
        table::render(&STATUS_COLUMNS, &rows, table::terminal_width())
    };
    if json {
        super::print_exactly(&out)?;
    } else {
        super::print(&out)?;
    }
    Ok(Outcome::Success)
}
