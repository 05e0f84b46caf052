//! `pressfeed run`: refreshes feeds (all, or the ones named) and reports each as it finishes.

use chrono::Utc;
use pressfeed::{Config, FeedResult, PageOutcome, WriteOutcome, chain};

use super::exit::{self, Outcome};
use super::logging::progress_bar;

/// Refreshes `only` (every feed when empty) of `config`; `backfill` reads older pages too.
pub(crate) fn run(mut config: Config, only: &[String], backfill: bool) -> anyhow::Result<Outcome> {
    config.run.backfill = backfill;
    let mut selected = Vec::new();
    for id in only {
        match super::find_feed(&config, id) {
            Some(spec) => selected.push(spec),
            None => return Ok(Outcome::Usage),
        }
    }
    if selected.is_empty() {
        selected = config.feeds.iter().collect();
    }
    let bar = progress_bar(selected.len());
    let on_done = |done: &FeedResult| {
        report(done);
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let results =
        super::runtime()?.block_on(pressfeed::run(&config, &selected, Utc::now(), &on_done));
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let results = match results {
        Ok(results) => results,
        Err(err) => return Ok(exit::run_failed(&err)),
    };
    if let Some(err) = &results.site_error {
        tracing::error!("{}; the feeds' own files were written", chain(err));
    }
    // A feed a time budget cut short published what it read, but did not finish.
    let failed = results.failures();
    let feeds_failed = failed - usize::from(results.site_error.is_some());
    if feeds_failed > 0 && results.feeds.len() > 1 {
        tracing::error!("{feeds_failed} of {} feeds failed", results.feeds.len());
    }
    Ok(if failed > 0 {
        Outcome::FeedFailed
    } else {
        Outcome::Success
    })
}

/// Logs how one feed's refresh went.
fn report(done: &FeedResult) {
    let report = match &done.result {
        Ok(report) => report,
        Err(err) if err.kept_previous() => {
            tracing::error!(
                "{}; its previous feed files and history are kept",
                chain(err)
            );
            return;
        }
        Err(err) => {
            tracing::error!("{}", chain(err));
            return;
        }
    };
    for warning in &report.warnings {
        tracing::warn!("feed \"{}\": {}", report.feed, chain(warning));
    }
    if let Some(cut_short) = &report.cut_short {
        tracing::error!("feed \"{}\": {cut_short}", report.feed);
    }
    let files: Vec<String> = report
        .files
        .iter()
        .map(|(path, outcome)| match outcome {
            WriteOutcome::Written => format!("wrote {}", path.display()),
            WriteOutcome::Unchanged => format!("{} unchanged", path.display()),
        })
        .collect();
    let page = match report.page {
        PageOutcome::Read => format!("{} new", report.new_items),
        PageOutcome::NotModified => "page not modified".to_string(),
        PageOutcome::Unchanged => "page unchanged".to_string(),
    };
    tracing::info!(
        "feed \"{}\": {} items ({page}); {}",
        report.feed,
        report.items,
        files.join(", ")
    );
}
