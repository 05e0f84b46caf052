//! `pressfeed run`: refreshes feeds (all, or the ones named) and reports each as it finishes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pressfeed::{Config, FeedResult, FeedStatus, PageOutcome, WriteOutcome, chain};

use super::exit::{self, Outcome};
use super::logging::progress_bar;

/// What `run --report` reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Report {
    /// Every failure, on every run.
    #[default]
    Failures,
    /// A failure once, on the run where it starts (after --fail-after), and the run where the
    /// feed works again.
    Changes,
}

/// When a failing feed is reported (and makes the run exit 1).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Alerts {
    /// Only once it has been failing for longer than this.
    pub(crate) fail_after: Option<Duration>,
    /// Every run, or only when it starts and ends.
    pub(crate) report: Report,
}

impl Alerts {
    /// Whether anything but "report every failure" was asked for.
    fn quiet(self) -> bool {
        self.fail_after.is_some() || self.report == Report::Changes
    }
}

/// What to say about one feed after a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Report its failure (an error, exit 1).
    Report,
    /// A failure not (or no longer) worth a report: a warning.
    Quiet {
        /// Failing since.
        since: DateTime<Utc>,
        /// Whether an earlier run reported it (`--report changes`).
        reported: bool,
    },
    /// It works again after a failure that was reported, failing since then.
    Recovered(DateTime<Utc>),
    /// It works, nothing to say.
    Fine,
}

/// The verdict on a feed that `failed` (or not) at `now`, given its status before the run.
pub(crate) fn judge(
    alerts: Alerts,
    before: Option<&FeedStatus>,
    failed: bool,
    now: DateTime<Utc>,
) -> Verdict {
    let threshold = chrono::Duration::from_std(alerts.fail_after.unwrap_or_default())
        .unwrap_or(chrono::Duration::MAX);
    let time = |text: &Option<String>| {
        text.as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    // Failing before this run: since when, and whether that failure had been reported.
    let earlier = before.filter(|s| s.failing).and_then(|s| {
        let since = time(&s.failing_since)?;
        let last = time(&s.last_failure).unwrap_or(since);
        Some((since, last - since >= threshold))
    });
    match (failed, earlier) {
        (true, earlier) => {
            let since = earlier.map_or(now, |(since, _)| since);
            let reported_before = earlier.is_some_and(|(_, reported)| reported);
            let reported = alerts.report == Report::Changes && reported_before;
            if now - since < threshold || reported {
                Verdict::Quiet { since, reported }
            } else {
                Verdict::Report
            }
        }
        (false, Some((since, true))) if alerts.report == Report::Changes => {
            Verdict::Recovered(since)
        }
        (false, _) => Verdict::Fine,
    }
}

/// Refreshes `only` (every feed when empty) of `config`; `backfill` reads older pages too;
/// `alerts` says which failures to report.
pub(crate) fn run(
    mut config: Config,
    only: &[String],
    backfill: bool,
    alerts: Alerts,
) -> anyhow::Result<Outcome> {
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
    let before: HashMap<String, FeedStatus> = if alerts.quiet() {
        before_run(&config)
    } else {
        HashMap::new()
    };
    let now = Utc::now();
    let reported = Mutex::new(0usize);
    let bar = progress_bar(selected.len());
    let on_done = |done: &FeedResult| {
        let failed = done.result.as_ref().map_or(true, |r| r.cut_short.is_some());
        let verdict = if alerts.quiet() && logged_as_failure_or_success(done) {
            // The time the failure was just logged at, or later: the next run infers from the
            // log whether this one reported it, and must come to what was decided here.
            judge(alerts, before.get(&done.feed), failed, Utc::now())
        } else if failed {
            Verdict::Report
        } else {
            Verdict::Fine
        };
        if verdict == Verdict::Report {
            *reported.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        }
        report(done, verdict);
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let results = super::runtime()?.block_on(pressfeed::run(&config, &selected, now, &on_done));
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
    let feeds_failed = reported.into_inner().unwrap_or_else(|e| e.into_inner());
    let failed = feeds_failed + usize::from(results.site_error.is_some());
    if feeds_failed > 0 && results.feeds.len() > 1 {
        tracing::error!("{feeds_failed} of {} feeds failed", results.feeds.len());
    }
    Ok(if failed > 0 {
        Outcome::FeedFailed
    } else {
        Outcome::Success
    })
}

/// Whether the state file's log says how this feed's run went, as [`judge`] needs: not for a
/// feed a time budget cut short (logged as a success) or never started (not logged), which
/// are reported every time.
fn logged_as_failure_or_success(done: &FeedResult) -> bool {
    match &done.result {
        Ok(report) => report.cut_short.is_none(),
        Err(err) => !err.never_started(),
    }
}

/// Each feed's status before the run (for `--fail-after` and `--report changes`).
fn before_run(config: &Config) -> HashMap<String, FeedStatus> {
    match pressfeed::statuses(config) {
        Ok(statuses) => statuses.into_iter().map(|s| (s.feed.clone(), s)).collect(),
        Err(err) => {
            tracing::warn!(
                "cannot read how feeds stood before this run: {}",
                chain(&err)
            );
            HashMap::new()
        }
    }
}

/// Logs how one feed's refresh went: a failure as an error when `verdict` reports it, else
/// as a warning saying since when it fails.
fn report(done: &FeedResult, verdict: Verdict) {
    let quiet_since = match verdict {
        Verdict::Quiet { since, reported } => Some((since, reported)),
        Verdict::Recovered(since) => {
            // Shown even under cron's default level: it is the news the user waits for.
            tracing::info!(
                target: "pressfeed::report",
                "feed \"{}\" works again (it failed from {})",
                done.feed,
                since.format("%Y-%m-%d %H:%M UTC")
            );
            None
        }
        Verdict::Report | Verdict::Fine => None,
    };
    let failure = |text: String| match quiet_since {
        Some((since, reported)) => tracing::warn!(
            "{text} (failing since {}; {})",
            since.format("%Y-%m-%d %H:%M UTC"),
            if reported {
                "already reported"
            } else {
                "not reported yet"
            }
        ),
        None => tracing::error!("{text}"),
    };
    let report = match &done.result {
        Ok(report) => report,
        Err(err) if err.kept_previous() => {
            failure(format!(
                "{}; its previous feed files and history are kept",
                chain(err)
            ));
            return;
        }
        Err(err) => {
            failure(chain(err).to_string());
            return;
        }
    };
    for warning in &report.warnings {
        tracing::warn!("feed \"{}\": {}", report.feed, chain(warning));
    }
    if let Some(cut_short) = &report.cut_short {
        failure(format!("feed \"{}\": {cut_short}", report.feed));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn failing(since: &str, last: &str) -> FeedStatus {
        FeedStatus {
            feed: "x".into(),
            last_success: None,
            last_failure: Some(last.into()),
            last_error: Some("boom".into()),
            failing: true,
            failing_since: Some(since.into()),
            items_in_history: 0,
            items_on_page: None,
        }
    }

    #[test]
    fn a_failure_is_reported_once_it_has_lasted_and_once_more_when_it_ends() {
        let six_hours = Alerts {
            fail_after: Some(Duration::from_secs(6 * 3600)),
            report: Report::Changes,
        };
        let since = "2026-01-01T00:00:30Z";
        let quiet = |since, reported| Verdict::Quiet { since, reported };
        // First failure: quiet, failing since now.
        let first = at(since);
        assert_eq!(judge(six_hours, None, true, first), quiet(first, false));
        // Under six hours since the first failure, judged when its log entry was written.
        let before = failing(since, "2026-01-01T05:45:30Z");
        assert_eq!(
            judge(six_hours, Some(&before), true, at("2026-01-01T06:00:29Z")),
            quiet(first, false)
        );
        // The run that passes six hours reports; the log then says so to the next one.
        assert_eq!(
            judge(six_hours, Some(&before), true, at("2026-01-01T06:00:31Z")),
            Verdict::Report
        );
        let reported = failing(since, "2026-01-01T06:00:31Z");
        assert_eq!(
            judge(six_hours, Some(&reported), true, at("2026-01-01T06:15:31Z")),
            quiet(first, true)
        );
        assert_eq!(
            judge(
                six_hours,
                Some(&reported),
                false,
                at("2026-01-01T06:30:00Z")
            ),
            Verdict::Recovered(first)
        );
        // A failure that ended before it was reported ends quietly.
        assert_eq!(
            judge(six_hours, Some(&before), false, at("2026-01-01T06:00:00Z")),
            Verdict::Fine
        );
        // Without --report changes, every run past six hours reports.
        let every = Alerts {
            report: Report::Failures,
            ..six_hours
        };
        assert_eq!(
            judge(every, Some(&reported), true, at("2026-01-01T07:00:00Z")),
            Verdict::Report
        );
        assert_eq!(judge(every, Some(&reported), false, first), Verdict::Fine);
    }
}
