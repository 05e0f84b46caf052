//! `url`: the feed's listing page, or several listing pages merged into one feed
//! (`url = ["https://…/press", "https://…/news"]`).

use std::fmt;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::defaults::MAX_LISTINGS;
use super::raw::RawFeed;
use super::{ConfigError, Ctx, Problem};

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

/// The feed's listing pages: the first is its public address (the feed's `link`), the others
/// are read after it and their items merged.
pub(super) struct Listings {
    /// The first page.
    pub(super) first: Url,
    /// The pages after it (empty for a single `url`).
    pub(super) more: Vec<Url>,
}

/// Compiles `url`, and refuses what a list of pages cannot go with: `source` (it stands for
/// one page) and `[feed.pagination]` (older pages are listed in `url` instead).
pub(super) fn compile(ctx: Ctx<'_>, raw: &RawFeed) -> Result<Listings, ConfigError> {
    let entries = match raw.url.get_ref() {
        RawUrls::One(text) => {
            return Ok(Listings {
                first: page_url(ctx, text, raw.url.span())?,
                more: Vec::new(),
            });
        }
        RawUrls::Many(entries) => entries,
    };
    if entries.is_empty() {
        return ctx.invalid(raw.url.span(), "url", Problem::NoUrls);
    }
    if entries.len() > MAX_LISTINGS {
        return ctx.invalid(raw.url.span(), "url", Problem::TooManyUrls(entries.len()));
    }
    let mut urls: Vec<Url> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let position = index + 1;
        let url = page_url(ctx, entry.get_ref(), entry.span()).or_else(|err| match err {
            ConfigError::Invalid { problem, .. } => ctx.invalid(
                entry.span(),
                "url",
                Problem::UrlEntry {
                    position,
                    problem: Box::new(problem),
                },
            ),
            other => Err(other),
        })?;
        if let Some(first) = urls.iter().position(|known| *known == url) {
            return ctx.invalid(
                entry.span(),
                "url",
                Problem::DuplicateUrl {
                    position,
                    first: first + 1,
                    value: url.to_string(),
                },
            );
        }
        urls.push(url);
    }
    if entries.len() > 1 {
        if let Some(source) = &raw.source {
            return ctx.invalid(source.span(), "source", Problem::SourceWithUrls);
        }
        if let Some(pagination) = &raw.pagination {
            return ctx.invalid(pagination.span(), "pagination", Problem::PaginationWithUrls);
        }
    }
    let mut urls = urls.into_iter();
    let Some(first) = urls.next() else {
        return ctx.invalid(raw.url.span(), "url", Problem::NoUrls);
    };
    Ok(Listings {
        first,
        more: urls.collect(),
    })
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
