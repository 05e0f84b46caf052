//! Rendered pages (`render = "browser"`): the page is loaded in the system's headless Chromium
//! over the DevTools protocol and its DOM read once its list is there.
//!
//! One browser per run (per [`Fetcher`]), launched by the first feed that needs it, in a
//! temporary profile removed after; it stays in pressfeed's process group, so killing the run's
//! group kills it too. Each feed has one tab, closed after. Every request the page makes is
//! paused (`Fetch.enable`) and judged here: images, fonts and media are refused; the rest goes
//! through the egress policy (the listing's own hosts pass, as for fetched pages; a name is
//! resolved and refused when it leads only to internal addresses); the page load itself
//! through `robots.txt`; the document and XHR/fetch requests through the host's gate (spaced
//! by `host_delay` from the host's last request, not held while Chromium reads the answer).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::fetch::{
    ContinueRequestParams, EnableParams, EventRequestPaused, FailRequestParams, HeaderEntry,
    RequestPattern, RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::{
    ErrorReason, EventResponseReceived, GetResponseBodyParams, RequestId, ResourceType,
};
use chromiumoxide::cdp::browser_protocol::page::{EventLifecycleEvent, FrameId};
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures::StreamExt as _;
use url::{Host, Url};

use super::egress::{Refusal, Route, classify};
use super::{Body, FetchError, Fetcher, PageAnswer, Request, Validators};

/// Longest Chromium may take to start.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest closing a tab or the browser is waited for before it is killed.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);
/// How often `wait_for` is looked for.
const POLL: Duration = Duration::from_millis(100);
/// Most JSON answers of a page's own requests kept (`suggest --browser`).
const MAX_ANSWERS: usize = 8;

/// The names Chromium is looked for under on `PATH`.
const NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// The run's browser, once a feed needed it.
#[derive(Default)]
pub(super) struct Chromium {
    launched: tokio::sync::Mutex<Option<Launched>>,
}

impl std::fmt::Debug for Chromium {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Chromium")
    }
}

struct Launched {
    browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    /// The temporary profile (`--user-data-dir`), removed when dropped.
    profile: tempfile::TempDir,
}

/// The Chromium to run: `$PRESSFEED_CHROMIUM` (when it names a file), else the first of
/// [`NAMES`] on `PATH`.
fn executable() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PRESSFEED_CHROMIUM").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| NAMES.map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

fn browser_error(url: &Url, what: &str, error: impl std::fmt::Display) -> FetchError {
    FetchError::Browser {
        url: url.clone(),
        reason: format!("{what}: {error}"),
    }
}

async fn launch(url: &Url) -> Result<Launched, FetchError> {
    let exe = executable().ok_or(FetchError::NoChromium)?;
    let profile = tempfile::Builder::new()
        .prefix("pressfeed-chromium-")
        .tempdir()
        .map_err(|e| browser_error(url, "cannot make Chromium's temporary profile", e))?;
    let mut builder = BrowserConfig::builder()
        .chrome_executable(&exe)
        .user_data_dir(profile.path())
        .launch_timeout(LAUNCH_TIMEOUT)
        .args([
            "disable-crash-reporter",
            "disable-gpu",
            "no-default-browser-check",
        ]);
    // Chromium refuses to run as root with its sandbox.
    #[cfg(unix)]
    if rustix::process::geteuid().is_root() {
        builder = builder.no_sandbox();
    }
    let config = builder
        .build()
        .map_err(|e| browser_error(url, "cannot configure Chromium", e))?;
    let (browser, mut handler) = Browser::launch(config)
        .await
        .map_err(|e| browser_error(url, &format!("cannot start {}", exe.display()), e))?;
    let handler = tokio::spawn(async move {
        while let Some(event) = handler.next().await {
            if let Err(error) = event {
                tracing::debug!("Chromium's connection ended: {error}");
                break;
            }
        }
    });
    tracing::debug!(
        "started {} with the profile {}",
        exe.display(),
        profile.path().display()
    );
    Ok(Launched {
        browser,
        handler,
        profile,
    })
}

impl Launched {
    /// Closes the browser and waits for it; kills it when it does not close in time.
    async fn close(mut self) {
        let closed = tokio::time::timeout(CLOSE_TIMEOUT, async {
            let _ = self.browser.close().await;
            self.browser.wait().await
        })
        .await;
        if !matches!(closed, Ok(Ok(_))) {
            let _ = self.browser.kill().await;
        }
        self.handler.abort();
        tracing::debug!(
            "Chromium closed; its profile {} removed",
            self.profile.path().display()
        );
    }
}

impl Chromium {
    /// A new tab on `about:blank`, the browser started when it is not yet.
    async fn tab(&self, url: &Url) -> Result<Page, FetchError> {
        let mut launched = self.launched.lock().await;
        if launched.is_none() {
            *launched = Some(launch(url).await?);
        }
        let Some(running) = launched.as_ref() else {
            return Err(FetchError::NoChromium);
        };
        running
            .browser
            .new_page("about:blank")
            .await
            .map_err(|e| browser_error(url, "cannot open a tab", e))
    }

    /// Closes the browser, if one was started, and waits for it.
    pub(super) async fn close(&self) {
        if let Some(launched) = self.launched.lock().await.take() {
            launched.close().await;
        }
    }
}

/// What was done with a paused request.
enum Answered {
    Continued,
    /// Failed; with the refusal when it was the page load itself.
    Failed(Option<FetchError>),
}

/// The network id of `event` when it is a GET XHR/fetch request (a script reading data).
fn script_get(event: &EventRequestPaused) -> Option<&RequestId> {
    let script = matches!(event.resource_type, ResourceType::Xhr | ResourceType::Fetch);
    (script && event.request.method == "GET")
        .then_some(event.network_id.as_ref())
        .flatten()
}

/// What a paused request gets.
enum Verdict {
    Continue,
    Block(&'static str),
    Refuse(FetchError),
}

impl Fetcher {
    /// Loads `request`'s page in the run's headless Chromium, waits until `wait_for` matches
    /// (else until the network has been idle ~500 ms), within the feed's `timeout`, and gives
    /// its DOM as a UTF-8 body; with `watch`, also the JSON answers to the page's own GET
    /// XHR/fetch requests. The tab is closed whatever happens.
    pub(super) async fn render_http(
        &self,
        request: &Request<'_>,
        url: &Url,
        wait_for: Option<&str>,
        watch: bool,
    ) -> Result<(Body, Vec<PageAnswer>), FetchError> {
        self.refuse_if_paused(url)?;
        let page = self.chromium.tab(url).await?;
        let limit = request.settings.timeout;
        let load = self.load(request, &page, url, wait_for, watch);
        let outcome = tokio::time::timeout(limit, load).await;
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, page.close()).await;
        match outcome {
            Ok(result) => result,
            Err(_) => Err(FetchError::RenderTimeout {
                url: url.clone(),
                limit,
                wait_for: wait_for.map(Box::from),
            }),
        }
    }

    async fn load(
        &self,
        request: &Request<'_>,
        page: &Page,
        url: &Url,
        wait_for: Option<&str>,
        watch: bool,
    ) -> Result<(Body, Vec<PageAnswer>), FetchError> {
        let cdp = |e: chromiumoxide::error::CdpError| browser_error(url, "DevTools", e);
        let mut paused = page
            .event_listener::<EventRequestPaused>()
            .await
            .map_err(cdp)?;
        let lifecycle = page
            .event_listener::<EventLifecycleEvent>()
            .await
            .map_err(cdp)?;
        let mut responses = page
            .event_listener::<EventResponseReceived>()
            .await
            .map_err(cdp)?;
        // The page's own GET XHR/fetch requests let through, and their answers (`watch`).
        let gets: Mutex<HashSet<RequestId>> = Mutex::new(HashSet::new());
        let mut answered = if watch {
            let stream = page.event_listener::<EventResponseReceived>().await;
            Some(stream.map_err(cdp)?)
        } else {
            None
        };
        let pattern = RequestPattern::builder()
            .url_pattern("*")
            .request_stage(RequestStage::Request)
            .build();
        page.execute(EnableParams::builder().pattern(pattern).build())
            .await
            .map_err(cdp)?;
        // A refusal of the page load itself is the feed's error.
        let document_refused: Mutex<Option<FetchError>> = Mutex::new(None);
        let main = page.mainframe().await.ok().flatten();
        let intercept = async {
            while let Some(event) = paused.next().await {
                let answered = self.answer(request, page, url, &event, main.as_ref()).await;
                match answered {
                    Answered::Continued => {
                        if watch && let Some(network) = script_get(&event) {
                            let mut gets = gets.lock().unwrap_or_else(|e| e.into_inner());
                            gets.insert(network.clone());
                        }
                    }
                    Answered::Failed(Some(error)) => {
                        let mut first = document_refused.lock().unwrap_or_else(|e| e.into_inner());
                        first.get_or_insert(error);
                    }
                    Answered::Failed(None) => {}
                }
            }
        };
        let navigate = async {
            let loaded = page.goto(url.as_str()).await;
            // A 404 with an empty body fails the navigation: the status says more.
            document_status(&mut responses, main.as_ref())?;
            loaded.map_err(|e| browser_error(url, "the page did not load", e))?;
            wait_ready(page, lifecycle, wait_for).await.map_err(cdp)?;
            let html: String = page
                .evaluate("document.documentElement.outerHTML")
                .await
                .map_err(cdp)?
                .into_value()
                .map_err(|e| browser_error(url, "DevTools", e))?;
            let final_url = page
                .url()
                .await
                .ok()
                .flatten()
                .and_then(|u| Url::parse(&u).ok())
                .unwrap_or_else(|| url.clone());
            let answers = match answered.as_mut() {
                Some(stream) => {
                    let gets = std::mem::take(&mut *gets.lock().unwrap_or_else(|e| e.into_inner()));
                    let limit = request.settings.max_body_bytes;
                    page_answers(page, stream, &gets, limit).await
                }
                None => Vec::new(),
            };
            Ok::<_, FetchError>((html, final_url, answers))
        };
        let outcome = tokio::select! {
            outcome = navigate => outcome,
            () = intercept => Err(browser_error(url, "the tab closed", "its events ended")),
        };
        if let Some(refused) = document_refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            return Err(refused);
        }
        let (html, final_url, answers) = outcome?;
        let limit = request.settings.max_body_bytes;
        if u64::try_from(html.len()).unwrap_or(u64::MAX) > limit {
            return Err(FetchError::TooLarge {
                location: url.to_string(),
                limit,
            });
        }
        let body = Body {
            url: final_url,
            bytes: html.into_bytes(),
            http_charset: Some("utf-8".to_string()),
            validators: Validators::default(),
            served_at: None,
        };
        Ok((body, answers))
    }

    /// Lets the paused request `event` through or fails it, as [`Fetcher::judge`] decides; a
    /// refusal of the main frame's document is given back (the feed's error).
    async fn answer(
        &self,
        request: &Request<'_>,
        page: &Page,
        page_url: &Url,
        event: &EventRequestPaused,
        main: Option<&FrameId>,
    ) -> Answered {
        let id = event.request_id.clone();
        let (answered, sent) = match self.judge(request, page_url, event).await {
            Verdict::Continue => {
                let params = continued(request, event);
                let sent = page.execute(params).await;
                (Answered::Continued, sent.err())
            }
            Verdict::Block(why) => {
                tracing::debug!(
                    "feed \"{}\": the page's {} is not loaded ({why})",
                    request.feed,
                    event.request.url
                );
                let fail = FailRequestParams::new(id, ErrorReason::BlockedByClient);
                (Answered::Failed(None), page.execute(fail).await.err())
            }
            Verdict::Refuse(error) => {
                tracing::info!(
                    "feed \"{}\": the page's request refused: {error}",
                    request.feed
                );
                let document = event.resource_type == ResourceType::Document
                    && main.is_none_or(|main| *main == event.frame_id);
                let fail = FailRequestParams::new(id, ErrorReason::BlockedByClient);
                let sent = page.execute(fail).await.err();
                (Answered::Failed(document.then_some(error)), sent)
            }
        };
        if let Some(error) = sent {
            tracing::debug!("feed \"{}\": DevTools: {error}", request.feed);
        }
        answered
    }

    /// What a request the page makes gets: images, fonts and media are blocked; the rest
    /// passes the egress policy, `robots.txt` (the page load itself) and the host's gate
    /// (the document and XHR/fetch requests).
    async fn judge(
        &self,
        request: &Request<'_>,
        page_url: &Url,
        event: &EventRequestPaused,
    ) -> Verdict {
        let kind = &event.resource_type;
        if matches!(
            kind,
            ResourceType::Image | ResourceType::Font | ResourceType::Media
        ) {
            return Verdict::Block("images, fonts and media are not loaded");
        }
        let Ok(url) = Url::parse(&event.request.url) else {
            return Verdict::Block("not a URL");
        };
        if matches!(url.scheme(), "data" | "blob" | "about") {
            return Verdict::Continue;
        }
        let refused = |refusal| {
            Verdict::Refuse(FetchError::Refused {
                url: url.clone(),
                refusal: Box::new(refusal),
            })
        };
        let typed = url == *page_url;
        let route = if typed {
            Route::Open
        } else {
            match self.egress.route(&url, request.own_hosts) {
                Ok(route) => route,
                Err(refusal) => return refused(refusal),
            }
        };
        if route == Route::Guarded
            && let Err(refusal) = self.egress.check_resolved(&url).await
        {
            return refused(refusal);
        }
        let is_document = *kind == ResourceType::Document;
        if is_document
            && request.settings.robots_txt
            && let Err(error) = self.check_robots(request, &url, route).await
        {
            return Verdict::Refuse(error);
        }
        if is_document || matches!(kind, ResourceType::Xhr | ResourceType::Fetch) {
            if let Err(error) = self.refuse_if_paused(&url) {
                return Verdict::Refuse(error);
            }
            let gate = self.gate(&url);
            let mut last = gate.lock().await;
            if let Some(at) = *last {
                tokio::time::sleep(self.host_delay.saturating_sub(at.elapsed())).await;
            }
            *last = Some(Instant::now());
        }
        Verdict::Continue
    }
}

/// How the paused request `event` goes on: as the page made it, or, when it goes to one of
/// `request`'s `[feed.request]` origins, with those headers put in (a header the page set is
/// replaced; its cookies come first in `Cookie`).
fn continued(request: &Request<'_>, event: &EventRequestPaused) -> ContinueRequestParams {
    let mut params = ContinueRequestParams::new(event.request_id.clone());
    let Some(feed_headers) = request.headers else {
        return params;
    };
    let Some(url) = Url::parse(&event.request.url).ok() else {
        return params;
    };
    if !feed_headers.reach(&url) {
        tracing::debug!(
            "feed \"{}\": the page's {url}: another origin, sent without [feed.request] headers",
            request.feed
        );
        return params;
    }
    let ours = feed_headers.text_lines();
    let mut entries: Vec<HeaderEntry> = Vec::new();
    let mut page_cookie = None;
    if let Some(page_headers) = event.request.headers.inner().as_object() {
        for (name, value) in page_headers {
            let Some(value) = value.as_str() else {
                continue;
            };
            if name.eq_ignore_ascii_case("cookie") {
                page_cookie = Some(value.to_string());
            } else if !ours.iter().any(|(own, _)| own.eq_ignore_ascii_case(name)) {
                entries.push(HeaderEntry::new(name.clone(), value));
            }
        }
    }
    for (name, value) in ours {
        let value = match (name.eq_ignore_ascii_case("cookie"), page_cookie.take()) {
            (true, Some(page)) => format!("{page}; {value}"),
            (false, page) => {
                page_cookie = page;
                value
            }
            (true, None) => value,
        };
        entries.push(HeaderEntry::new(name, value));
    }
    if let Some(page) = page_cookie {
        entries.push(HeaderEntry::new("Cookie", page));
    }
    tracing::trace!(
        "feed \"{}\": the page's {url}: sent with [feed.request] {}",
        request.feed,
        feed_headers.names()
    );
    params.headers = Some(entries);
    params
}

/// Fails as a fetched page would when the main frame's document answered other than 2xx (the
/// last of its responses seen so far: redirects come before).
fn document_status(
    responses: &mut chromiumoxide::listeners::EventStream<EventResponseReceived>,
    main: Option<&FrameId>,
) -> Result<(), FetchError> {
    use futures::FutureExt as _;
    let mut last = None;
    while let Some(Some(event)) = responses.next().now_or_never() {
        if event.r#type == ResourceType::Document && event.frame_id.as_ref() == main {
            last = Some(event);
        }
    }
    let Some(event) = last else {
        return Ok(());
    };
    let status = u16::try_from(event.response.status)
        .ok()
        .and_then(|code| reqwest::StatusCode::from_u16(code).ok());
    match (status, Url::parse(&event.response.url)) {
        (Some(status), Ok(url)) if !status.is_success() => Err(FetchError::Status {
            url,
            status,
            attempts: 1,
        }),
        _ => Ok(()),
    }
}

/// The JSON answers (2xx, a JSON media type, at most `limit` bytes, text) to the requests
/// `gets` among the responses received so far, one per address, at most [`MAX_ANSWERS`].
async fn page_answers(
    page: &Page,
    responses: &mut chromiumoxide::listeners::EventStream<EventResponseReceived>,
    gets: &HashSet<RequestId>,
    limit: u64,
) -> Vec<PageAnswer> {
    use futures::FutureExt as _;
    let mut answers: Vec<PageAnswer> = Vec::new();
    while let Some(Some(event)) = responses.next().now_or_never() {
        let response = &event.response;
        let mime = response.mime_type.to_ascii_lowercase();
        let json = mime == "application/json" || mime.ends_with("+json");
        if !gets.contains(&event.request_id)
            || !(200..300).contains(&response.status)
            || !json
            || answers.len() >= MAX_ANSWERS
        {
            continue;
        }
        let Ok(url) = Url::parse(&response.url) else {
            continue;
        };
        if answers.iter().any(|answer| answer.url == url) {
            continue;
        }
        let got = page
            .execute(GetResponseBodyParams::new(event.request_id.clone()))
            .await;
        match got {
            Ok(got)
                if !got.result.base64_encoded
                    && u64::try_from(got.result.body.len()).unwrap_or(u64::MAX) <= limit =>
            {
                answers.push(PageAnswer {
                    url,
                    text: got.result.body,
                });
            }
            Ok(_) => {}
            Err(error) => tracing::debug!("the answer of {url} could not be read: {error}"),
        }
    }
    answers
}

/// Waits until `wait_for` matches, or without one until the main frame's network has been
/// idle (Chromium's `networkIdle`: no request for 500 ms) after the navigation began.
async fn wait_ready(
    page: &Page,
    mut lifecycle: chromiumoxide::listeners::EventStream<EventLifecycleEvent>,
    wait_for: Option<&str>,
) -> Result<(), chromiumoxide::error::CdpError> {
    if let Some(css) = wait_for {
        let quoted = serde_json::to_string(css).unwrap_or_default();
        let probe = format!("document.querySelector({quoted}) !== null");
        loop {
            let found: bool = page.evaluate(probe.as_str()).await?.into_value()?;
            if found {
                return Ok(());
            }
            tokio::time::sleep(POLL).await;
        }
    }
    let main = page.mainframe().await?;
    let mut loader = None;
    while let Some(event) = lifecycle.next().await {
        if Some(&event.frame_id) != main.as_ref() {
            continue;
        }
        match event.name.as_str() {
            "init" => loader = Some(event.loader_id.clone()),
            "networkIdle" if loader.as_ref() == Some(&event.loader_id) => return Ok(()),
            _ => {}
        }
    }
    Ok(())
}

impl super::egress::Egress {
    /// Resolves `url`'s host name and refuses it when it leads only to internal addresses
    /// (Chromium then resolves it again: a name that changes its answer in between is not
    /// caught, unlike fetched pages, whose connector is handed only the checked addresses).
    pub(super) async fn check_resolved(&self, url: &Url) -> Result<(), Refusal> {
        let Some(Host::Domain(host)) = url.host() else {
            return Ok(());
        };
        let Ok(found) = tokio::net::lookup_host((host, 0)).await else {
            // Chromium will fail to resolve it too.
            return Ok(());
        };
        let mut first_refused = None;
        let mut any_allowed = false;
        for addr in found {
            match classify(addr.ip()) {
                Some(kind) if !self.allows(addr.ip()) => {
                    first_refused.get_or_insert((addr.ip(), kind));
                }
                _ => any_allowed = true,
            }
        }
        match (any_allowed, first_refused) {
            (false, Some((ip, kind))) => Err(Refusal::Resolved {
                host: host.to_string(),
                ip,
                kind,
            }),
            _ => Ok(()),
        }
    }
}
