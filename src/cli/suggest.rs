//! `pressfeed suggest PAGE`: a ready-to-paste `[[feed]]` block for a listing page, other
//! candidates, and a preview of what the block reads. Needs no configuration.

use std::fmt::Write as _;

use chrono::Utc;
use pressfeed::{FetchSettings, RunSettings, SuggestError, Suggested};

use super::exit::{self, Outcome};

/// What `suggest` prints besides the best block.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Shown {
    /// Every candidate as a complete block.
    pub(crate) all: bool,
    /// JSON instead of TOML and comments.
    pub(crate) json: bool,
    /// The page rendered in headless Chromium first (`--browser`).
    pub(crate) browser: bool,
}

/// Proposes a feed `id` for `page` (a URL, or a file whose public address is `url`).
pub(crate) fn suggest(
    page: &str,
    url: Option<&url::Url>,
    id: &str,
    now: Option<chrono::DateTime<Utc>>,
    shown: Shown,
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
        shown.browser,
    ));
    let found = match found {
        Ok(found) => found,
        Err(err @ SuggestError::BadUrl { .. }) => return Ok(exit::failed(&err, Outcome::Usage)),
        Err(err) => return Ok(exit::failed(&err, Outcome::FeedFailed)),
    };
    let out = if shown.json {
        let mut text = serde_json::to_string_pretty(&as_json(&found))?;
        text.push('\n');
        text
    } else {
        as_text(&found, url.is_some(), shown.all)
    };
    // TOML: its strings escape control characters themselves; JSON escapes them too.
    super::print_exactly(&out)?;
    Ok(Outcome::Success)
}

/// The block, the other candidates (as item selectors, or whole with `all`) and the preview.
fn as_text(found: &Suggested, url_given: bool, all: bool) -> String {
    let mut out = String::new();
    if !found.remote && !url_given {
        out.push_str("# Set `url` to the page's public address (links are resolved against it).\n");
    }
    out.push_str(&found.block);
    if all {
        for (rank, block) in found.blocks.iter().enumerate().skip(1) {
            let _ = write!(out, "\n# Candidate {}:\n{block}", rank + 1);
        }
    } else if found.page_request.is_some() {
        if found.blocks.len() > 1 {
            out.push_str(
                "\n# The rendered page can be read too (slower, in Chromium): `--all` prints its block.\n",
            );
        }
    } else if let Some((best, rest)) = found.suggestions.split_first() {
        // Other candidates, leaving out parts of the chosen items (their headings, say).
        let chosen = best.item.rsplit("> ").next().unwrap_or(&best.item).trim();
        let others: Vec<_> = rest
            .iter()
            .filter(|other| !other.item.contains(&format!("{chosen} >")))
            .collect();
        if !others.is_empty() {
            out.push_str(
                "\n# Other candidates for `selectors.item` (`--all` prints their blocks):\n",
            );
            for other in others {
                let _ = writeln!(
                    out,
                    "#   selectors.item = {}  ({} items)",
                    pressfeed::toml_string(&other.item),
                    other.items
                );
            }
        }
    }
    // The preview: what the block reads, as `check` shows it.
    if let Some((spec, items)) = &found.preview {
        out.push_str("\n# Preview\n");
        // Fitted to the terminal less the "# " each line starts with.
        let width = super::table::terminal_width().map(|w| w.saturating_sub(2));
        let report = super::check::report(spec, items, None, width);
        for line in pressfeed::for_terminal(&report).lines() {
            let _ = writeln!(out, "# {line}");
        }
    }
    out
}

/// Everything `suggest` found, for tools and editors.
fn as_json(found: &Suggested) -> serde_json::Value {
    // The block of the JSON the page's scripts load, when first, has no suggestion.
    let skip = usize::from(found.page_request.is_some());
    let candidates: Vec<serde_json::Value> = found
        .suggestions
        .iter()
        .zip(found.blocks.iter().skip(skip))
        .map(|(suggestion, block)| {
            let mut value = serde_json::to_value(suggestion).unwrap_or_default();
            if let Some(object) = value.as_object_mut() {
                object.insert("block".into(), block.clone().into());
            }
            value
        })
        .collect();
    let preview = found.preview.as_ref().map(|(_, items)| {
        items
            .items
            .iter()
            .map(|item| {
                serde_json::json!({
                    "title": item.title,
                    "link": item.link,
                    "date": item.date.map(|d| d.to_rfc3339()),
                    "date_inferred": item.date_inferred,
                    "summary": item.summary,
                })
            })
            .collect::<Vec<_>>()
    });
    serde_json::json!({
        "page_url": found.page_url,
        "page": found.facts,
        "candidates": candidates,
        "page_request": found.page_request.as_ref().map(|url| serde_json::json!({
            "url": url.as_str(),
            "block": found.block,
        })),
        "preview": preview,
    })
}
