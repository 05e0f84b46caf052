//! `pressfeed prune [--dry-run]`: removes the files and history of feeds no longer in the
//! configuration, one line a feed on standard output.

use std::fmt::Write as _;

use pressfeed::Config;

use super::exit::{self, Outcome};

/// Prunes (or, with `dry_run`, lists) the feeds of the state file that `config` lacks; exit
/// code 1 when a feed's files could not all be removed.
pub(crate) fn prune(config: &Config, dry_run: bool) -> anyhow::Result<Outcome> {
    let pruned = match pressfeed::prune(config, dry_run) {
        Ok(pruned) => pruned,
        Err(err) => return Ok(exit::run_failed(&err)),
    };
    let mut out = String::new();
    let mut outcome = Outcome::Success;
    for feed in &pruned {
        if let Some(why) = &feed.failed {
            tracing::error!(
                "feed \"{}\": {why}; its other files and its history are kept",
                feed.feed
            );
            outcome = Outcome::FeedFailed;
        }
        let names: Vec<String> = feed
            .files
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        let files = match names.len() {
            0 => "no files".to_string(),
            1 => format!("1 file ({})", names.join(", ")),
            n => format!("{n} files ({})", names.join(", ")),
        };
        let _ = match (dry_run, &feed.failed) {
            (true, _) => writeln!(
                out,
                "feed \"{}\": would remove {files}; would drop {} items and its run log",
                feed.feed, feed.items
            ),
            (false, None) => writeln!(
                out,
                "feed \"{}\": removed {files}; dropped {} items and its run log",
                feed.feed, feed.items
            ),
            (false, Some(_)) => writeln!(
                out,
                "feed \"{}\": removed {files}; kept its {} items and its run log",
                feed.feed, feed.items
            ),
        };
    }
    if pruned.is_empty() {
        tracing::info!("every feed in the state file is in the configuration: nothing to prune");
    }
    super::print(&out)?;
    Ok(outcome)
}
