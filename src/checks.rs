//! Never make a feed worse: the checks a page's items must pass before they are published. A
//! page alone can show that nothing usable is on it, or that no date parses; the history adds
//! far fewer items than the last good run, or dates that stopped parsing.

use crate::item::{ItemWarning, PageItems};
use crate::spec::{FeedSpec, Field};
use crate::store::GoodRun;

/// Why a page's items are not published.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Elements matched, but none yields an item (a title, and an http(s) link or none).
    #[error(
        "{matched} elements match \"{selector}\" but none yields an item ({titles} have a title, {links} a usable link)"
    )]
    NoUsableItems {
        /// The item selector.
        selector: String,
        /// How many elements the item selector matched.
        matched: usize,
        /// How many had a title.
        titles: usize,
        /// How many had a usable link.
        links: usize,
    },
    /// A date selector is configured but no item's date parses.
    #[error(
        "no date parses (\"{selector}\" found date text in {found} of {matched} items{}); check the selector and `date_formats` (or cut the date out of longer text with `regex`)",
        example.as_ref().map(|e| format!(", e.g. \"{e}\"")).unwrap_or_default()
    )]
    NoDates {
        /// The date selector.
        selector: String,
        /// Items with date text.
        found: usize,
        /// Items matched.
        matched: usize,
        /// A date text that did not parse.
        example: Option<String>,
    },
    /// Far fewer items than the last good run found.
    #[error(
        "\"{selector}\" matches {found} elements, fewer than {share} of the {last} it matched in the last good run (`min_item_share`); has the layout changed?"
    )]
    TooFewItems {
        /// The item selector.
        selector: String,
        /// Elements matched now.
        found: u64,
        /// Elements matched in the last good run.
        last: u64,
        /// The configured share.
        share: f64,
    },
    /// Dates parsed in the last good run but none parse now.
    #[error("no date parses, where {last} did in the last good run; has the date format changed?")]
    DatesLost {
        /// Dates parsed in the last good run.
        last: u64,
    },
    /// The history has nothing to publish (only a state file emptied behind pressfeed's back
    /// gets here).
    #[error("\"{selector}\" matches nothing on the page (0 bytes; has its layout changed?)")]
    NothingToPublish {
        /// The item selector.
        selector: String,
    },
}

impl CheckError {
    /// The configuration field the failure concerns.
    pub fn field(&self) -> Field {
        match self {
            CheckError::NoUsableItems { .. } => Field::TitleAndLink,
            CheckError::NoDates { .. } | CheckError::DatesLost { .. } => Field::Date,
            CheckError::TooFewItems { .. } | CheckError::NothingToPublish { .. } => Field::Item,
        }
    }
}

/// The failures a page alone shows: no usable item, or dates configured but none parsed.
pub(crate) fn check_page(spec: &FeedSpec, items: &PageItems) -> Result<(), CheckError> {
    check_usable(spec, items)?;
    check_dates(spec, items)
}

/// Fails when no item is usable.
pub(crate) fn check_usable(spec: &FeedSpec, items: &PageItems) -> Result<(), CheckError> {
    if items.items.is_empty() {
        return Err(CheckError::NoUsableItems {
            selector: spec.selectors.item_css.clone(),
            matched: items.counts.matched,
            titles: items.counts.title,
            links: items.counts.link,
        });
    }
    Ok(())
}

/// Fails when the feed reads dates and none parsed.
pub(crate) fn check_dates(spec: &FeedSpec, items: &PageItems) -> Result<(), CheckError> {
    if let Some(date) = &spec.selectors.date
        && items.counts.date_parsed == 0
    {
        return Err(CheckError::NoDates {
            selector: date.css.clone(),
            found: items.counts.date_found,
            matched: items.counts.matched,
            example: items.warnings.iter().find_map(|w| match w {
                ItemWarning::BadDate { source, .. } => Some(source.text.clone()),
                _ => None,
            }),
        });
    }
    Ok(())
}

/// The failures only the history shows: far fewer items than the last good run, or no dates
/// where there were dates.
pub(crate) fn check_against_history(
    spec: &FeedSpec,
    items: &PageItems,
    last: Option<GoodRun>,
) -> Result<(), CheckError> {
    let Some(last) = last else {
        return Ok(());
    };
    let found = u64::try_from(items.counts.matched).unwrap_or(u64::MAX);
    if found < share_of(last.items_found, spec.min_item_share) {
        return Err(CheckError::TooFewItems {
            selector: spec.selectors.item_css.clone(),
            found,
            last: last.items_found,
            share: spec.min_item_share,
        });
    }
    if last.dates_parsed > 0 && items.counts.date_parsed == 0 {
        return Err(CheckError::DatesLost {
            last: last.dates_parsed,
        });
    }
    Ok(())
}

/// `share` of `count`, rounded up.
#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "item counts are far below 2^52, and a share of 0.0 to 1.0 keeps the result within them"
)]
fn share_of(count: u64, share: f64) -> u64 {
    (count as f64 * share).ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::FieldCounts;

    fn spec() -> FeedSpec {
        let text = "[[feed]]\nid = \"t\"\ntitle = \"T\"\nurl = \"https://example.org/\"\n\
                    [feed.selectors]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a\"\ndate = \"time\"\n";
        let config = crate::spec::Config::parse(text, std::path::Path::new("t.toml")).unwrap();
        config.feeds.into_iter().next().unwrap()
    }

    fn items(matched: usize, date_parsed: usize) -> PageItems {
        PageItems {
            counts: FieldCounts {
                matched,
                date_parsed,
                ..FieldCounts::default()
            },
            ..PageItems::default()
        }
    }

    #[test]
    fn a_sharp_drop_or_lost_dates_fail_against_the_last_good_run() {
        let spec = spec();
        let last = Some(GoodRun {
            items_found: 20,
            dates_parsed: 20,
        });
        assert!(check_against_history(&spec, &items(4, 4), last).is_ok());
        let err = check_against_history(&spec, &items(3, 3), last).unwrap_err();
        assert_eq!(err.field(), Field::Item);
        assert_eq!(
            err.to_string(),
            "\"li\" matches 3 elements, fewer than 0.2 of the 20 it matched in the last good run (`min_item_share`); has the layout changed?"
        );
        let err = check_against_history(&spec, &items(20, 0), last).unwrap_err();
        assert_eq!(err.field(), Field::Date);
        assert!(check_against_history(&spec, &items(1, 0), None).is_ok());
    }

    #[test]
    fn a_page_without_usable_items_or_dates_fails() {
        let spec = spec();
        let err = check_page(&spec, &items(5, 0)).unwrap_err();
        assert_eq!(err.field(), Field::TitleAndLink);
        assert_eq!(
            err.to_string(),
            "5 elements match \"li\" but none yields an item (0 have a title, 0 a usable link)"
        );
    }
}
