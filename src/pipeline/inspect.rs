//! The operations beside a run, none of which publishes a feed: what a feed's selectors find
//! (`check`), a proposed feed for an unknown page (`suggest`), each feed's state (`status`),
//! and forgetting a feed's history (`reset`, which writes the state file).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use url::Url;

use super::{blocking, decode};
use crate::checks::check_page;
use crate::config::Problem;
use crate::error::FeedError;
use crate::extract::{ListingPage, TooDeep, parse_html};
use crate::fetch::{Body, FetchError, Fetched, Fetcher, PageAnswer, Request, Target};
use crate::item::{PageItems, build_items};
use crate::spec::{Config, FeedSpec, Field, RunSettings};
use crate::store::{FeedStatus, StateLock, Store, StoreError};
use crate::suggest::{
    EmbeddedList, PageFacts, Suggestion, embedded_block, embedded_list, feed_block, json_list,
    suggest,
};

/// What `check` shows of a page.
#[derive(Debug)]
pub struct Preview {
    /// Every item, with per-item warnings and counts.
    pub items: PageItems,
    /// Why a run would fail on this page alone (no usable item, no date parsed), if it would.
    pub problem: Option<FeedError>,
    /// Fields whose selector matches more than one element in some items, and in how many.
    pub ambiguous: Vec<(&'static str, usize)>,
    /// With `[feed.pagination]`: the second page, and how many items it has.
    pub older: Option<Tried<usize>>,
    /// With several `url`s: the listing pages after the first (whose items are `items`), and
    /// how many usable items each gives, or why a run would fail on it.
    pub more_listings: Vec<Tried<usize>>,
    /// With `[feed.detail]`: the first item's own page, and what each selector found there.
    pub detail: Option<Tried<DetailFound>>,
}

/// Each `[feed.detail]` field's name and what it found on an item page.
pub type DetailFound = Vec<(&'static str, Option<String>)>;

/// A page `check` read besides the listing: its address and what it gave, or why not.
#[derive(Debug)]
pub struct Tried<T> {
    /// The page's address.
    pub url: Url,
    /// What it gave.
    pub outcome: Result<T, FeedError>,
}

/// Loads and reads `spec`'s page without touching history or files (what `check` shows), as
/// of `now`. Fails when the page cannot be loaded or its item selector matches nothing.
pub async fn preview(
    spec: &FeedSpec,
    run: &RunSettings,
    now: DateTime<Utc>,
) -> Result<Preview, FeedError> {
    let fetcher = Fetcher::new(run);
    let validators = crate::fetch::Validators::default();
    let request = Request::listing(spec, &validators);
    let body = fetcher.get_body(&request).await.map_err(|e| {
        // A 304 to this plain request is reported under `url`, as `check` always has.
        let field = match e {
            FetchError::NotConditional { .. } => Field::Url,
            _ => request.field,
        };
        FeedError::new(&spec.id, Some(field), e)
    })?;
    let owned = spec.clone();
    let run_reference = run.reference;
    let (mut preview, next) = blocking(&spec.id.clone(), move || {
        let spec = owned;
        let text = decode(&spec, &body);
        let page = ListingPage::parse(&text, &body.url, &spec)
            .map_err(|e| FeedError::extract(&spec.id, e))?;
        let reference = super::reference_time(run_reference, &body, now);
        let items = build_items(page.extract_all(&spec), &spec, reference);
        let problem = check_page(&spec, &items)
            .err()
            .map(|e| FeedError::check(&spec.id, e));
        let next = match &spec.pagination {
            Some(pagination) => super::read::linked_next_page(&spec, &page, &body.url)
                .or_else(|| pagination.pattern_url(2)),
            None => None,
        };
        Ok((
            Preview {
                ambiguous: page.ambiguous_fields(&spec),
                items,
                problem,
                older: None,
                more_listings: Vec::new(),
                detail: None,
            },
            next,
        ))
    })
    .await?;
    if let Some(url) = next {
        let outcome = try_older_page(&fetcher, spec, &url).await;
        preview.older = Some(Tried { url, outcome });
    }
    for url in &spec.more_listings {
        let outcome = try_more_listing(&fetcher, spec, url, (run.reference, now)).await;
        let url = url.clone();
        preview.more_listings.push(Tried { url, outcome });
    }
    let first_link = preview
        .items
        .items
        .iter()
        .find(|item| item.link != spec.page_url.as_str())
        .and_then(|item| Url::parse(&item.link).ok());
    if let (Some(fields), Some(url)) = (&spec.detail, first_link) {
        let outcome = try_item_page(&fetcher, spec, fields, &url).await;
        preview.detail = Some(Tried { url, outcome });
    }
    Ok(preview)
}

/// Fetches an older listing page of `spec` and counts its items.
async fn try_older_page(fetcher: &Fetcher, spec: &FeedSpec, url: &Url) -> Result<usize, FeedError> {
    let request = Request::page(spec, url, Field::Pagination);
    let body = fetcher
        .get_body(&request)
        .await
        .map_err(|e| FeedError::new(&spec.id, Some(Field::Pagination), e))?;
    let spec = spec.clone();
    blocking(&spec.id.clone(), move || {
        let text = decode(&spec, &body);
        let page = ListingPage::parse_any(&text, &body.url, &spec)
            .map_err(|e| FeedError::extract(&spec.id, e))?;
        Ok(page.len())
    })
    .await
}

/// Fetches a listing page of `spec` after the first (`url` as a list) and counts the usable
/// items it gives; fails as a run would on it alone.
async fn try_more_listing(
    fetcher: &Fetcher,
    spec: &FeedSpec,
    url: &Url,
    (given, now): (Option<DateTime<Utc>>, DateTime<Utc>),
) -> Result<usize, FeedError> {
    let validators = crate::fetch::Validators::default();
    let request = Request::listed(spec, url, &validators);
    let body = fetcher
        .get_body(&request)
        .await
        .map_err(|e| FeedError::new(&spec.id, Some(Field::Url), e))?;
    let page_spec = FeedSpec {
        page_url: url.clone(),
        ..spec.clone()
    };
    let read = blocking(&spec.id, move || {
        let reference = super::reference_time(given, &body, now);
        super::read_page(&page_spec, body, None, reference).map(|read| read.items.items.len())
    })
    .await;
    read.map_err(|err| super::listings::on_page(err, url))
}

/// Fetches the item page at `url` and reads `fields` from it: each field's name and what it
/// found (the content's length, the first date text, the others' text).
async fn try_item_page(
    fetcher: &Fetcher,
    spec: &FeedSpec,
    fields: &crate::spec::DetailSelectors,
    url: &Url,
) -> Result<DetailFound, FeedError> {
    let request = Request::page(spec, url, Field::Detail);
    let body = fetcher
        .get_body(&request)
        .await
        .map_err(|e| FeedError::new(&spec.id, Some(Field::Detail), e))?;
    let text = decode(spec, &body);
    let mut detail = crate::extract::read_detail(&text, &body.url, fields);
    // As a run publishes them (a rewrite that leaves nothing keeps the value, as in a run).
    crate::rewrite::rewrite_detail(&mut detail, fields);
    let mut found = Vec::new();
    if fields.content.is_some() {
        let content = detail.content.map(|html| {
            let fragment = scraper::Html::parse_fragment(&html);
            let text = crate::text::text_of(fragment.root_element());
            format!("{} characters of HTML: {text}", html.len())
        });
        found.push(("content", content));
    }
    if fields.date.is_some() {
        found.push(("date", detail.dates.into_iter().next()));
    }
    for (name, present, value) in [
        ("summary", fields.summary.is_some(), detail.summary),
        ("author", fields.author.is_some(), detail.author),
        ("image", fields.image.is_some(), detail.image),
    ] {
        if present {
            found.push((name, value));
        }
    }
    Ok(found)
}

/// What `suggest` found on a page.
#[derive(Debug)]
pub struct Suggested {
    /// The page's public address, as the block says it.
    pub page_url: String,
    /// Whether the page was fetched (else read from a file).
    pub remote: bool,
    /// The best guess as a `[[feed]]` block, ready to paste.
    pub block: String,
    /// Every suggestion's block, best first (the first is `block`).
    pub blocks: Vec<String>,
    /// What the page says about itself.
    pub facts: PageFacts,
    /// The best guess and the others, best first.
    pub suggestions: Vec<Suggestion>,
    /// The block's feed and what it reads from the page, when the block loads and reads
    /// items.
    pub preview: Option<(FeedSpec, PageItems)>,
    /// The address of the JSON the page's scripts load their list from, when the best block
    /// reads it (`--browser`); the rendered page's blocks then follow it in `blocks`.
    pub page_request: Option<Url>,
}

/// Why `suggest` has nothing to propose.
#[derive(Debug, thiserror::Error)]
pub enum SuggestError {
    /// The page's address (`url`) or the page (`source`) is not an http(s) URL: said as the
    /// feed `suggest` reads the page with would say it (the feed "probe" of "suggest.toml").
    #[error(
        "suggest.toml:{}: feed \"probe\": field \"{field}\": {problem}",
        if *field == "url" { "4:7" } else { "5:10" }
    )]
    BadUrl {
        /// `url` or `source`.
        field: &'static str,
        /// What is wrong with it.
        problem: Problem,
    },
    /// The page could not be loaded.
    #[error(transparent)]
    Fetch(FeedError),
    /// The server answered a plain request with 304.
    #[error("{page} answered 304 Not Modified to a plain request")]
    NotModified {
        /// The page as given.
        page: String,
    },
    /// The page nests too deep to be read.
    #[error("{page}: {error}")]
    TooDeep {
        /// The page as given.
        page: String,
        /// How deep, and where.
        error: TooDeep,
    },
    /// The page is an app shell whose list its scripts build in the browser.
    #[error(
        "{page}: the page's list is built by scripts in the browser, and the HTML as served holds no list of linked items; two ways out: read the page as a browser renders it (`render = \"browser\"` on the feed; `pressfeed suggest --browser` proposes the block, in a build with `--features browser`), or read the JSON the page loads as a JSON source (`format = \"json\"`): `pressfeed suggest --browser` finds its address among the page's own requests, or find it in the browser's network tab and `pressfeed suggest` that address"
    )]
    Scripted {
        /// The page as given.
        page: String,
    },
    /// No repeated list of linked items is on the page.
    #[error(
        "{page}: no repeated list of linked items found; write the selectors by hand (see docs/configuration.md, \"Adding a new site\")"
    )]
    NoList {
        /// The page as given.
        page: String,
    },
}

/// Loads `page` (an http(s) URL or a saved file whose public address is `url`) and proposes
/// a feed `id` for it, as of `now`: the best groups of repeated items, the best as a block,
/// and what that block reads. With `browser`, an http(s) page is rendered in headless
/// Chromium first (as `render = "browser"` reads it), and the blocks say so.
pub async fn suggest_page(
    page: &str,
    url: Option<&Url>,
    id: &str,
    run: &RunSettings,
    defaults: &crate::spec::FetchSettings,
    now: DateTime<Utc>,
    browser: bool,
) -> Result<Suggested, SuggestError> {
    let remote = page.starts_with("http://") || page.starts_with("https://");
    let (page_url, public) = public_url(page, url, remote)?;
    let fetcher = Fetcher::new(run);
    let validators = crate::fetch::Validators::default();
    let file = std::path::absolute(page).unwrap_or_else(|_| PathBuf::from(page));
    let source = if remote {
        let page = page.trim();
        Some(Url::parse(page).map_err(|error| SuggestError::BadUrl {
            field: "source",
            problem: Problem::InvalidUrl {
                value: page.to_string(),
                error,
            },
        })?)
    } else {
        None
    };
    let target = match &source {
        Some(source) => Target::Http(source),
        None => Target::File {
            path: Path::new(&file),
            url: &public,
        },
    };
    // The page typed may redirect within its own host, wherever that is (an intranet).
    let own_hosts: Vec<String> = source
        .iter()
        .filter_map(|url| url.host_str())
        .map(str::to_ascii_lowercase)
        .collect();
    // Log lines and errors name the feed "probe", as `suggest` always has.
    let mut request = Request::plain(target, defaults);
    request.feed = "probe";
    request.validators = &validators;
    request.own_hosts = &own_hosts;
    if source.as_ref().is_some_and(|source| *source != public) {
        request.field = crate::spec::Field::Source;
    }
    let (body, answers) = load_probe(&fetcher, &request, page, browser).await?;
    let lead = requested_list(&fetcher, &request, answers).await;
    let decoded = body.decode(None);
    if let Some(note) = decoded.note {
        tracing::info!("feed \"probe\": {note}");
    }
    let text = decoded.text;
    let now = super::reference_time(run.reference, &body, now);
    let (page, id) = (page.to_string(), id.to_string());
    let file_source = (!remote).then(|| page.clone());
    let read = tokio::task::spawn_blocking(move || {
        let suggestions = suggest(&text, now, 6);
        let facts = PageFacts::read(&text, Some(&public));
        let title = facts.title.clone().unwrap_or_else(|| id.clone());
        let mut blocks: Vec<String> = if suggestions.is_empty() && lead.is_some() {
            Vec::new()
        } else if suggestions.is_empty() {
            // No list in the HTML: an app shell may carry its items as JSON.
            let list = embedded_or_why(&text, &facts, page)?;
            let source = file_source.as_deref();
            vec![embedded_block(
                &list, &id, &title, &page_url, source, &facts, None,
            )]
        } else {
            suggestions
                .iter()
                .map(|s| feed_block(s, &id, &title, &page_url, file_source.as_deref(), &facts))
                .map(|block| {
                    if browser {
                        rendered_block(&block)
                    } else {
                        block
                    }
                })
                .collect()
        };
        // The JSON the page's scripts load comes first: reading it needs no browser.
        let (read_text, read_url) = match &lead {
            Some(lead) => {
                let page = (!page_url.is_empty()).then_some(page_url.as_str());
                let block = embedded_block(
                    &lead.list,
                    &id,
                    &title,
                    lead.url.as_str(),
                    None,
                    &facts,
                    page,
                );
                blocks.insert(0, block);
                (lead.text.as_str(), &lead.url)
            }
            None => (text.as_str(), &body.url),
        };
        // The best suggestion's block: the first, never empty here.
        let block = blocks.first().cloned().unwrap_or_default();
        let preview = Config::parse(&block, Path::new("suggest.toml"))
            .ok()
            .and_then(|config| config.feeds.into_iter().next())
            .and_then(|spec| {
                let listing = ListingPage::parse(read_text, read_url, &spec).ok()?;
                let items = build_items(listing.extract_all(&spec), &spec, now);
                Some((spec, items))
            });
        Ok(Suggested {
            page_url,
            remote,
            block,
            blocks,
            facts,
            suggestions,
            preview,
            page_request: lead.map(|lead| lead.url),
        })
    })
    .await;
    read.unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
}

/// The page's public address (`url`, else the page typed, else a placeholder for a file), as
/// the block says it and parsed.
fn public_url(page: &str, url: Option<&Url>, remote: bool) -> Result<(String, Url), SuggestError> {
    let page_url = match (remote, url) {
        (_, Some(url)) => url.to_string(),
        (true, None) => page.to_string(),
        (false, None) => "https://example.org/news/".to_string(),
    };
    let page_url = page_url.trim().to_string();
    match Url::parse(&page_url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok((page_url, url))
        }
        parsed => Err(SuggestError::BadUrl {
            field: "url",
            problem: match parsed {
                Err(error) => Problem::InvalidUrl {
                    value: page_url,
                    error,
                },
                Ok(_) => Problem::NotHttpUrl(page_url),
            },
        }),
    }
}

/// The list a page with no list in its HTML carries in its embedded JSON, or why `suggest`
/// has nothing to propose.
fn embedded_or_why(
    text: &str,
    facts: &PageFacts,
    page: String,
) -> Result<crate::suggest::EmbeddedList, SuggestError> {
    match parse_html(text) {
        Err(error) => Err(SuggestError::TooDeep { page, error }),
        Ok(_) => match json_list(text).or_else(|| embedded_list(text)) {
            Some(list) => Ok(list),
            None if facts.scripted => Err(SuggestError::Scripted { page }),
            None => Err(SuggestError::NoList { page }),
        },
    }
}

/// The page `suggest` reads: fetched, or rendered in headless Chromium (`--browser`, closed
/// after) with the JSON answers to its own requests.
async fn load_probe(
    fetcher: &Fetcher,
    request: &Request<'_>,
    page: &str,
    browser: bool,
) -> Result<(Body, Vec<PageAnswer>), SuggestError> {
    let fetched = if browser {
        let rendered = fetcher.render_watching(request).await;
        fetcher.close_browser().await;
        rendered.map(|(body, answers)| (Fetched::Page(body), answers))
    } else {
        fetcher
            .get(request)
            .await
            .map(|fetched| (fetched, Vec::new()))
    };
    match fetched {
        Ok((Fetched::Page(body), answers)) => Ok((body, answers)),
        Ok((Fetched::NotModified, _)) => Err(SuggestError::NotModified {
            page: page.to_string(),
        }),
        Err(e) => Err(SuggestError::Fetch(FeedError::new(
            "probe",
            Some(request.field),
            e,
        ))),
    }
}

/// A list of items in the JSON a rendered page's scripts loaded, as a run reads it.
struct RequestedList {
    /// The JSON's address.
    url: Url,
    /// Its text, as a plain request read it.
    text: String,
    /// The list.
    list: EmbeddedList,
}

/// The largest list of linked, titled items among the JSON answers to a page's own requests,
/// read again with a plain GET as a run reads it (within `page`'s policies): proposed only
/// when that reads the same list, not one that needs the page's cookies or headers.
async fn requested_list(
    fetcher: &Fetcher,
    page: &Request<'_>,
    answers: Vec<PageAnswer>,
) -> Option<RequestedList> {
    let mut best: Option<(Url, EmbeddedList)> = None;
    for answer in answers {
        if let Some(list) = json_list(&answer.text)
            && best.as_ref().is_none_or(|(_, b)| list.count > b.count)
        {
            best = Some((answer.url, list));
        }
    }
    let (url, seen) = best?;
    let mut request = Request::plain(Target::Http(&url), page.settings);
    request.feed = page.feed;
    request.validators = page.validators;
    request.own_hosts = page.own_hosts;
    // Found in content: the egress policy applies as to any address a page gives.
    request.typed = false;
    let read = match fetcher.get(&request).await {
        Ok(Fetched::Page(body)) => body.decode(None).text,
        Ok(Fetched::NotModified) => return None,
        Err(error) => {
            tracing::info!(
                "feed \"probe\": the page's scripts load a list from {url}, but a plain request for it failed: {error}"
            );
            return None;
        }
    };
    match json_list(&read) {
        Some(list) if list.item == seen.item => Some(RequestedList {
            url,
            text: read,
            list,
        }),
        _ => {
            tracing::info!(
                "feed \"probe\": the page's scripts load a list from {url}, but a plain request for it reads another answer (it may need the page's cookies or headers)"
            );
            None
        }
    }
}

/// `block` with `render = "browser"` after its `url` line.
fn rendered_block(block: &str) -> String {
    let mut out = String::with_capacity(block.len() + 20);
    let mut added = false;
    for line in block.split_inclusive('\n') {
        out.push_str(line);
        if !added && line.starts_with("url = ") {
            out.push_str("render = \"browser\"\n");
            added = true;
        }
    }
    out
}

/// Each feed's state, from the state file (read only; a feed never run has an empty state).
pub fn statuses(config: &Config) -> Result<Vec<FeedStatus>, StoreError> {
    let store = Store::open_read_only(&config.output.state)?;
    config
        .feeds
        .iter()
        .map(|spec| match &store {
            Some(store) => store.status(&spec.id),
            None => Ok(FeedStatus {
                feed: spec.id.clone(),
                ..FeedStatus::default()
            }),
        })
        .collect()
}

/// Forgets the history of the feeds `ids` of `config` (items and validators; run logs stay),
/// under the run lock. Returns how many items each had.
pub fn forget(config: &Config, ids: &[&str]) -> Result<Vec<usize>, StoreError> {
    let _lock = StateLock::acquire(&config.output.state)?;
    let mut store = Store::open(&config.output.state)?;
    ids.iter().map(|id| store.forget(id)).collect()
}
