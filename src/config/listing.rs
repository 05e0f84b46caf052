//! `url`: the feed's listing page, or several listing pages merged into one feed
//! (`url = ["https://…/press", "https://…/news"]`).

use std::fmt;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::defaults::MAX_LISTINGS;
use super::raw::RawFeed;
use super::{ConfigError, Ctx, Problem};

/// What can be wrong with `url` as a list, or with what it cannot go with.
#[derive(Debug, Clone)]
pub enum ListingProblem {
    /// `url = []`.
    NoUrls,
    /// A list longer than the most allowed (its length).
    TooManyUrls(usize),
    /// An entry that is not a usable address.
    UrlEntry {
        /// Its 1-based position in the list.
        position: usize,
        /// What is wrong with it.
        problem: Box<Problem>,
    },
    /// An entry that an earlier one already names.
    DuplicateUrl {
        /// Its 1-based position in the list.
        position: usize,
        /// The earlier entry's position.
        first: usize,
        /// The address.
        value: String,
    },
    /// `source` on a feed with several `url`s.
    SourceWithUrls,
    /// `[feed.pagination]` on a feed with several `url`s.
    PaginationWithUrls,
}

impl fmt::Display for ListingProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListingProblem::NoUrls => f.write_str(
                "is an empty list: give the listing page's address, or a list of listing pages",
            ),
            ListingProblem::TooManyUrls(count) => write!(
                f,
                "lists {count} pages; a feed reads at most {MAX_LISTINGS}"
            ),
            ListingProblem::UrlEntry { position, problem } => {
                write!(f, "entry {position}: {problem}")
            }
            ListingProblem::DuplicateUrl {
                position,
                first,
                value,
            } => write!(
                f,
                "entry {position} (\"{value}\") is entry {first} again: list each page once"
            ),
            ListingProblem::SourceWithUrls => f.write_str(
                "stands for one page, and `url` lists several: remove `source` (each listing page is fetched from its own address)",
            ),
            ListingProblem::PaginationWithUrls => f.write_str(
                "follows the older pages of one listing, and `url` lists several: list the older pages in `url` instead",
            ),
        }
    }
}

/// `url` as written: one address, or a list of them.
pub(super) enum RawUrls {
    /// `url = "https://…"`.
    One(String),
    /// `url = ["https://…", …]`, each entry with its span.
    Many(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for RawUrls {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UrlsVisitor;
        impl<'de> serde::de::Visitor<'de> for UrlsVisitor {
            type Value = RawUrls;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an address, or a list of addresses [\"https://…\", …]")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawUrls, E> {
                Ok(RawUrls::One(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawUrls, A::Error> {
                let mut urls = Vec::new();
                while let Some(url) = seq.next_element::<Spanned<String>>()? {
                    urls.push(url);
                }
                Ok(RawUrls::Many(urls))
            }
        }
        deserializer.deserialize_any(UrlsVisitor)
    }
}

/// Compiles `url` into the feed's listing pages: the first, its public address (the feed's
/// `link`), and those read after it, their items merged (none for a single `url`). And refuses what a list of pages cannot go with: `source` (it stands for
/// one page) and `[feed.pagination]` (older pages are listed in `url` instead).
pub(super) fn compile(ctx: Ctx<'_>, raw: &RawFeed) -> Result<(Url, Vec<Url>), ConfigError> {
    let entries = match raw.url.get_ref() {
        RawUrls::One(text) => {
            return Ok((page_url(ctx, text, raw.url.span())?, Vec::new()));
        }
        RawUrls::Many(entries) => entries,
    };
    if entries.is_empty() {
        return ctx.invalid(
            raw.url.span(),
            "url",
            Problem::Listing(ListingProblem::NoUrls),
        );
    }
    if entries.len() > MAX_LISTINGS {
        return ctx.invalid(
            raw.url.span(),
            "url",
            Problem::Listing(ListingProblem::TooManyUrls(entries.len())),
        );
    }
    let mut urls: Vec<Url> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let position = index + 1;
        let url = page_url(ctx, entry.get_ref(), entry.span()).or_else(|err| match err {
            ConfigError::Invalid { problem, .. } => ctx.invalid(
                entry.span(),
                "url",
                Problem::Listing(ListingProblem::UrlEntry {
                    position,
                    problem: Box::new(problem),
                }),
            ),
            other => Err(other),
        })?;
        if let Some(first) = urls.iter().position(|known| *known == url) {
            return ctx.invalid(
                entry.span(),
                "url",
                Problem::Listing(ListingProblem::DuplicateUrl {
                    position,
                    first: first + 1,
                    value: url.to_string(),
                }),
            );
        }
        urls.push(url);
    }
    if entries.len() > 1 {
        if let Some(source) = &raw.source {
            return ctx.invalid(
                source.span(),
                "source",
                Problem::Listing(ListingProblem::SourceWithUrls),
            );
        }
        if let Some(pagination) = &raw.pagination {
            return ctx.invalid(
                pagination.span(),
                "pagination",
                Problem::Listing(ListingProblem::PaginationWithUrls),
            );
        }
    }
    let mut urls = urls.into_iter();
    let Some(first) = urls.next() else {
        return ctx.invalid(
            raw.url.span(),
            "url",
            Problem::Listing(ListingProblem::NoUrls),
        );
    };
    Ok((first, urls.collect()))
}

/// One listing address: http(s), with a host.
fn page_url(ctx: Ctx<'_>, text: &str, span: std::ops::Range<usize>) -> Result<Url, ConfigError> {
    let text = text.trim();
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        Ok(_) => ctx.invalid(span, "url", Problem::NotHttpUrl(text.to_string())),
        Err(error) => ctx.invalid(
            span,
            "url",
            Problem::InvalidUrl {
                value: text.to_string(),
                error,
            },
        ),
    }
}
