//! `[feed.pagination]`: how older pages of a listing are reached.

use toml::Spanned;
use url::Url;

use super::defaults::{DEFAULT_MAX_PAGES, MAX_PAGES};
use super::raw::RawPagination;
use super::{ConfigError, Ctx, Problem};
use crate::spec::{NextPage, Pagination};

/// A next-link selector or an address pattern, and how many pages to read.
pub(super) fn compile(
    ctx: Ctx<'_>,
    raw: &Spanned<RawPagination>,
) -> Result<Pagination, ConfigError> {
    let value = raw.get_ref();
    let span = raw.span();
    let max_pages = match value.max_pages {
        None => DEFAULT_MAX_PAGES,
        Some(n) => match usize::try_from(n) {
            Ok(pages) if MAX_PAGES.contains(&pages) => pages,
            _ => {
                return ctx.invalid(
                    span,
                    "pagination.max_pages",
                    Problem::OutOfRange {
                        value: n,
                        min: u64::try_from(*MAX_PAGES.start()).unwrap_or(u64::MAX),
                        max: u64::try_from(*MAX_PAGES.end()).ok(),
                    },
                );
            }
        },
    };
    let next = match (&value.next, &value.pattern) {
        (Some(css), None) => {
            NextPage::Selector(ctx.css(css.trim(), span.clone(), "pagination.next")?)
        }
        (None, Some(pattern)) => {
            let step = match value.step {
                None if pattern.contains("{offset}") => {
                    return ctx.invalid(span, "pagination.step", Problem::PaginationNeedsStep);
                }
                None => 0,
                Some(n) => match usize::try_from(n) {
                    Ok(step) if step > 0 => step,
                    _ => return ctx.invalid(span, "pagination.step", Problem::NotPositive(n)),
                },
            };
            let sample = pattern.replace("{page}", "2").replace("{offset}", "20");
            let usable = (pattern.contains("{page}") || pattern.contains("{offset}"))
                && Url::parse(&sample).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !usable {
                return ctx.invalid(
                    span,
                    "pagination.pattern",
                    Problem::BadPattern(pattern.clone()),
                );
            }
            NextPage::Pattern {
                pattern: pattern.clone(),
                step,
            }
        }
        _ => return ctx.invalid(span, "pagination", Problem::PaginationNeedsOne),
    };
    Ok(Pagination { next, max_pages })
}
