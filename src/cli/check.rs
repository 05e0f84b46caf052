//! `pressfeed check ID`: what a feed's selectors find on its page, as a table; writes nothing.

use std::fmt::Write as _;

use chrono::Utc;
use pressfeed::{Config, FeedError, FeedSpec, PageItems, Preview, chain};

use super::exit::{self, Outcome};
use super::shorten;

/// Shows the items feed `id` of `config` reads, and why a run would fail, if it would.
pub(crate) fn check(config: &Config, id: &str) -> anyhow::Result<Outcome> {
    let Some(spec) = super::find_feed(config, id) else {
        return Ok(Outcome::Usage);
    };
    let read = super::runtime()?.block_on(pressfeed::preview(spec, &config.run, Utc::now()));
    let Preview {
        items,
        problem,
        ambiguous,
        older,
        detail,
    } = match read {
        Ok(preview) => preview,
        Err(err) => return Ok(exit::failed(&err, Outcome::FeedFailed)),
    };
    let mut out = report(spec, &items, problem.as_ref());
    if !ambiguous.is_empty() {
        out.push_str(
            "\nselectors that match more than one element in an item (the first is read):\n",
        );
        for (field, count) in &ambiguous {
            let _ = writeln!(
                out,
                "  {field}: in {count} of {} items; a narrower selector may be meant",
                items.counts.matched
            );
        }
    }
    if let Some(older) = &older {
        let _ = match &older.outcome {
            Ok(count) => writeln!(
                out,
                "\nolder pages: the next is {}: the item selector matches {count} there",
                older.url
            ),
            Err(err) => writeln!(
                out,
                "\nolder pages: the next is {}: {}",
                older.url,
                chain(err)
            ),
        };
    }
    if let Some(detail) = &detail {
        let _ = writeln!(out, "\nitem pages: the first item's is {}", detail.url);
        match &detail.outcome {
            Ok(found) => {
                for (field, value) in found {
                    let value = value
                        .as_deref()
                        .map_or("nothing found".to_string(), |v| shorten(v, 100));
                    let _ = writeln!(out, "  detail.{field}: {value}");
                }
            }
            Err(err) => {
                let _ = writeln!(out, "  {}", chain(err));
            }
        }
    }
    super::print(&out)?;
    Ok(if problem.is_some() {
        Outcome::FeedFailed
    } else {
        Outcome::Success
    })
}

/// What `check` prints (and `suggest` previews): the items as a table, per-field counts, item
/// problems, and why a run would fail, if it would.
pub(crate) fn report(spec: &FeedSpec, items: &PageItems, problem: Option<&FeedError>) -> String {
    let mut out = String::new();
    let counts = items.counts;
    let _ = writeln!(
        out,
        "feed \"{}\": {} items from {}\n",
        spec.id,
        items.items.len(),
        spec.source
    );
    let _ = writeln!(
        out,
        "{:>3}  {:<11} {:<50}  {:<44}  summary",
        "#", "date", "title", "link"
    );
    for item in &items.items {
        // `*`: worked out from the page's time (a relative date, or one without a year).
        let date = item
            .date
            .map(|d| {
                let mark = if item.date_inferred { "*" } else { "" };
                format!("{}{mark}", d.format("%Y-%m-%d"))
            })
            .unwrap_or_else(|| "-".to_string());
        let _ = writeln!(
            out,
            "{:>3}  {:<11} {:<50}  {:<44}  {}",
            item.position,
            date,
            shorten(&item.title, 50),
            shorten(&item.link, 44),
            shorten(item.summary.as_deref().unwrap_or("-"), 40)
        );
    }
    let matched = counts.matched;
    let _ = writeln!(
        out,
        "\nitem: {matched} matched \"{}\"",
        spec.selectors.item_css
    );
    let _ = writeln!(out, "title: {}/{matched}", counts.title);
    let _ = writeln!(out, "link: {}/{matched}", counts.link);
    if spec.selectors.date.is_some() {
        let _ = writeln!(
            out,
            "date: {}/{matched} parsed ({} found)",
            counts.date_parsed, counts.date_found
        );
        let inferred = items.items.iter().filter(|i| i.date_inferred).count();
        if inferred > 0 {
            let _ = writeln!(
                out,
                "  * {inferred} worked out from the page's time (relative, or without a year; see --now)"
            );
        }
    } else {
        let _ = writeln!(
            out,
            "date: no selector (items are dated by when they are first seen)"
        );
    }
    if spec.selectors.summary.is_some() {
        let _ = writeln!(out, "summary: {}/{matched}", counts.summary);
    }
    if !items.warnings.is_empty() {
        let _ = writeln!(out, "\nproblems:");
        for warning in &items.warnings {
            let _ = writeln!(out, "  {}", chain(warning));
        }
    }
    if let Some(problem) = problem {
        let _ = writeln!(out, "\na run would fail: {}", chain(problem));
    }
    out
}
