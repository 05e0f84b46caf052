//! `[[feed]]`: one listing page and how to read it.

use std::path::Path;

use chrono_tz::Tz;
use encoding_rs::Encoding;
use toml::Spanned;
use url::Url;

use super::defaults::{
    DEFAULT_KEEP_DAYS, DEFAULT_MAX_ITEMS, DEFAULT_MIN_ITEM_SHARE, KEEP_DAYS, MAX_ID_CHARS,
};
use super::location::Document;
use super::raw::{RawFeed, RawPageFormat};
use super::{
    Bounds, ConfigError, Ctx, Problem, fetch, filter, listing, pagination, request, selectors,
};
use crate::dates::DateFormat;
use crate::spec::{
    Embedded, FeedSpec, FetchSettings, Format, JsonFormat, PageFormat, Render, Source,
};
use crate::text::clean_text;

/// What a feed takes from the rest of the file when it does not say.
pub(super) struct Defaults<'a> {
    /// The config file's folder: relative `source` paths are taken from it.
    pub(super) base_dir: &'a Path,
    /// `[fetch]`'s per-feed settings.
    pub(super) fetch: &'a FetchSettings,
    /// `[output] formats`.
    pub(super) formats: &'a [Format],
}

/// Compiles one `[[feed]]`.
pub(super) fn compile(
    doc: Document<'_>,
    raw: RawFeed,
    defaults: &Defaults<'_>,
) -> Result<FeedSpec, ConfigError> {
    let id = raw.id.get_ref().trim().to_string();
    let ctx = Ctx {
        doc,
        feed: Some(&id),
    };
    let valid_id = !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid_id {
        return ctx.invalid(raw.id.span(), "id", Problem::BadId(id.clone()));
    }
    if id.len() > MAX_ID_CHARS {
        return ctx.invalid(raw.id.span(), "id", Problem::LongId(id.len()));
    }
    let title = clean_text(raw.title.get_ref());
    if title.is_empty() {
        return ctx.invalid(raw.title.span(), "title", Problem::Empty);
    }
    let (page_url, more_listings) = listing::compile(ctx, &raw)?;
    let source = match &raw.source {
        None => Source::Http(page_url.clone()),
        Some(spanned) => source(ctx, spanned, defaults.base_dir)?,
    };
    let language = language(ctx, raw.language.as_ref())?;
    let timezone = timezone(ctx, raw.timezone.as_ref())?;
    let date_formats = date_formats(ctx, &raw.date_formats)?;
    let max_items = max_items(ctx, raw.max_items.as_ref())?;
    let format = page_format(ctx, &raw)?;
    let selectors = selectors::compile(ctx, &raw.selectors, raw.format == RawPageFormat::Json)?;
    let fetch = fetch::for_feed(ctx, &raw, defaults.fetch)?;
    let encoding = match &raw.encoding {
        Some(label) => Some(encoding(ctx, label)?),
        None => None,
    };
    let keep_days = ctx.count(
        &raw.keep_days,
        "keep_days",
        Bounds::Within(KEEP_DAYS),
        DEFAULT_KEEP_DAYS,
    )?;
    let formats = match &raw.formats {
        Some(formats) => ctx.formats(formats, "formats")?,
        None => defaults.formats.to_vec(),
    };
    let pagination = raw
        .pagination
        .as_ref()
        .map(|raw| pagination::compile(ctx, raw))
        .transpose()?;
    let detail = raw
        .detail
        .as_ref()
        .map(|detail| selectors::detail(ctx, detail))
        .transpose()?;
    let min_item_share = min_item_share(ctx, raw.min_item_share.as_ref())?;
    let author = raw
        .author
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .or_else(|| page_url.host_str().map(str::to_string))
        .unwrap_or_else(|| title.clone());
    let description = raw
        .description
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| title.clone());
    let on_change = ctx.hook(raw.on_change.as_ref(), "on_change")?;
    let render = render(ctx, raw.render.as_ref(), raw.wait_for.as_ref())?;
    let filter = raw
        .filter
        .as_ref()
        .map(|f| filter::compile(ctx, f))
        .transpose()?;
    let request = request::compile(ctx, raw.request.as_ref())?;
    Ok(FeedSpec {
        description,
        id,
        title,
        language,
        own_hosts: own_hosts(&page_url, &more_listings, &source),
        page_url,
        more_listings,
        source,
        format,
        author,
        timezone,
        date_formats,
        max_items,
        summary_format: raw.summary_format,
        selectors,
        fetch,
        encoding,
        keep_days,
        min_item_share,
        future_dates: raw.future_dates.unwrap_or(false),
        formats,
        pagination,
        detail,
        on_change,
        render,
        filter,
        request,
    })
}

/// `timezone`: an IANA zone (default UTC).
fn timezone(ctx: Ctx<'_>, raw: Option<&Spanned<String>>) -> Result<Tz, ConfigError> {
    match raw {
        Some(tz) => tz.get_ref().trim().parse::<Tz>().or_else(|_| {
            ctx.invalid(
                tz.span(),
                "timezone",
                Problem::BadTimezone(tz.get_ref().clone()),
            )
        }),
        None => Ok(Tz::UTC),
    }
}

/// `max_items`: a positive count (default [`DEFAULT_MAX_ITEMS`]).
fn max_items(ctx: Ctx<'_>, raw: Option<&Spanned<i64>>) -> Result<usize, ConfigError> {
    match raw {
        Some(n) => match usize::try_from(*n.get_ref()) {
            Ok(v) if v > 0 => Ok(v),
            _ => ctx.invalid(n.span(), "max_items", Problem::NotPositive(*n.get_ref())),
        },
        None => Ok(DEFAULT_MAX_ITEMS),
    }
}

/// `min_item_share`: a share from 0.0 to 1.0.
fn min_item_share(ctx: Ctx<'_>, raw: Option<&Spanned<f64>>) -> Result<f64, ConfigError> {
    match raw {
        Some(share) if (0.0..=1.0).contains(share.get_ref()) => Ok(*share.get_ref()),
        Some(share) => ctx.invalid(
            share.span(),
            "min_item_share",
            Problem::NotShare(*share.get_ref()),
        ),
        None => Ok(DEFAULT_MIN_ITEM_SHARE),
    }
}

/// `render` and `wait_for`: the page as served, or as headless Chromium renders it (only in a
/// build with the `browser` feature).
fn render(
    ctx: Ctx<'_>,
    render: Option<&Spanned<String>>,
    wait_for: Option<&Spanned<String>>,
) -> Result<Render, ConfigError> {
    let browser = match render {
        None => false,
        Some(value) => match value.get_ref().trim() {
            "none" => false,
            "browser" if cfg!(feature = "browser") => true,
            "browser" => return ctx.invalid(value.span(), "render", Problem::BrowserNotBuilt),
            other => {
                return ctx.invalid(
                    value.span(),
                    "render",
                    Problem::BadRender(other.to_string()),
                );
            }
        },
    };
    let wait_for = match wait_for {
        None => None,
        Some(css) if !browser => {
            return ctx.invalid(css.span(), "wait_for", Problem::WaitForNeedsBrowser);
        }
        Some(css) => {
            let text = css.get_ref().trim();
            ctx.css(text, css.span(), "wait_for")?;
            Some(text.to_string())
        }
    };
    Ok(if browser {
        Render::Browser { wait_for }
    } else {
        Render::None
    })
}

/// `format` and `embedded`: what the page is. A JSON feed's pagination follows a `pattern`
/// (`next` is a CSS selector).
fn page_format(ctx: Ctx<'_>, raw: &RawFeed) -> Result<PageFormat, ConfigError> {
    if raw.format == RawPageFormat::Html {
        return match &raw.embedded {
            Some(embedded) => ctx.invalid(embedded.span(), "embedded", Problem::EmbeddedNeedsJson),
            None => Ok(PageFormat::Html),
        };
    }
    if let Some(pagination) = &raw.pagination
        && pagination.get_ref().next.is_some()
    {
        return ctx.invalid(
            pagination.span(),
            "pagination.next",
            Problem::NotForJson("next"),
        );
    }
    let embedded = match &raw.embedded {
        Some(css) => {
            let text = css.get_ref().trim();
            Some(Embedded {
                selector: ctx.css(text, css.span(), "embedded")?,
                css: text.to_string(),
            })
        }
        None => None,
    };
    Ok(PageFormat::Json(JsonFormat { embedded }))
}

/// The hosts of the listing as typed: of each `url`, and of an http(s) `source`.
fn own_hosts(page_url: &Url, more_listings: &[Url], source: &Source) -> Vec<String> {
    let source = match source {
        Source::Http(url) => Some(url),
        Source::File(_) => None,
    };
    let mut hosts: Vec<String> = Vec::new();
    let typed = std::iter::once(page_url).chain(more_listings).chain(source);
    for host in typed.filter_map(|url| url.host_str().map(str::to_ascii_lowercase)) {
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    hosts
}

/// `source`: an http(s) address, a `file:` URL, or a path from the config file's folder.
fn source(ctx: Ctx<'_>, raw: &Spanned<String>, base_dir: &Path) -> Result<Source, ConfigError> {
    let text = raw.get_ref().trim();
    if text.is_empty() {
        return ctx.invalid(raw.span(), "source", Problem::EmptySource);
    }
    if text.starts_with("http://") || text.starts_with("https://") {
        return match Url::parse(text) {
            Ok(url) => Ok(Source::Http(url)),
            Err(error) => ctx.invalid(
                raw.span(),
                "source",
                Problem::InvalidUrl {
                    value: text.to_string(),
                    error,
                },
            ),
        };
    }
    if text.starts_with("file:") {
        return match Url::parse(text).ok().and_then(|u| u.to_file_path().ok()) {
            Some(path) => Ok(Source::File(path)),
            None => ctx.invalid(raw.span(), "source", Problem::BadFileUrl(text.to_string())),
        };
    }
    Ok(Source::File(base_dir.join(text)))
}

/// A language tag: letters and digits in parts of 1 to 8, joined by `-`.
fn language(ctx: Ctx<'_>, raw: Option<&Spanned<String>>) -> Result<Option<String>, ConfigError> {
    let Some(lang) = raw else {
        return Ok(None);
    };
    let value = lang.get_ref().trim();
    let valid = !value.is_empty()
        && value.split('-').all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        });
    if !valid {
        return ctx.invalid(
            lang.span(),
            "language",
            Problem::BadLanguage(value.to_string()),
        );
    }
    Ok(Some(value.to_string()))
}

fn date_formats(ctx: Ctx<'_>, raw: &[Spanned<String>]) -> Result<Vec<DateFormat>, ConfigError> {
    raw.iter()
        .map(|format| {
            let text = format.get_ref();
            DateFormat::new(text).map_or_else(
                || {
                    ctx.invalid(
                        format.span(),
                        "date_formats",
                        Problem::BadDateFormat(text.clone()),
                    )
                },
                Ok,
            )
        })
        .collect()
}

fn encoding(ctx: Ctx<'_>, label: &Spanned<String>) -> Result<&'static Encoding, ConfigError> {
    Encoding::for_label(label.get_ref().trim().as_bytes()).map_or_else(
        || {
            ctx.invalid(
                label.span(),
                "encoding",
                Problem::UnknownEncoding(label.get_ref().clone()),
            )
        },
        Ok,
    )
}
