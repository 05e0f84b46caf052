//! `pressfeed suggest PAGE`: a ready-to-paste `[[feed]]` block for a listing page, other
//! candidates, and a preview of what the block reads. Needs no configuration.

use std::fmt::Write as _;

use chrono::Utc;
use pressfeed::{FetchSettings, RunSettings, SuggestError};

use super::exit::{self, Outcome};

/// Proposes a feed `id` for `page` (a URL, or a file whose public address is `url`).
pub(crate) fn suggest(
    page: &str,
    url: Option<&url::Url>,
    id: &str,
    now: Option<chrono::DateTime<Utc>>,
) -> anyhow::Result<Outcome> {
    // No configuration is read: the built-in `[fetch]` defaults apply.
    let run = RunSettings {
        reference: now,
        ..RunSettings::default()
    };
    let found = super::runtime()?.block_on(pressfeed::suggest_page(
        page,
        url,
        id,
        &run,
        &FetchSettings::default(),
        Utc::now(),
    ));
    let found = match found {
        Ok(found) => found,
        Err(err @ SuggestError::BadUrl { .. }) => return Ok(exit::failed(&err, Outcome::Usage)),
        Err(err) => return Ok(exit::failed(&err, Outcome::FeedFailed)),
    };
    let mut out = String::new();
    if !found.remote && url.is_none() {
        out.push_str("# Set `url` to the page's public address (links are resolved against it).\n");
    }
    out.push_str(&found.block);
    // Other candidates, leaving out parts of the chosen items (their headings, say).
    if let Some((best, rest)) = found.suggestions.split_first() {
        let chosen = best.item.rsplit("> ").next().unwrap_or(&best.item).trim();
        let others: Vec<_> = rest
            .iter()
            .filter(|other| !other.item.contains(&format!("{chosen} >")))
            .collect();
        if !others.is_empty() {
            out.push_str("\n# Other candidates for `item`:\n");
            for other in others {
                let _ = writeln!(
                    out,
                    "#   item = {}  ({} items)",
                    pressfeed::toml_string(&other.item),
                    other.items
                );
            }
        }
    }
    // The preview: what the block reads, as `check` shows it.
    if let Some((spec, items)) = &found.preview {
        out.push_str("\n# Preview\n");
        let report = super::check::report(spec, items, None);
        for line in pressfeed::for_terminal(&report).lines() {
            let _ = writeln!(out, "# {line}");
        }
    }
    // TOML: its strings escape control characters themselves.
    super::print_exactly(&out)?;
    Ok(Outcome::Success)
}
