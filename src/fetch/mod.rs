//! Loading pages: over HTTP(S) politely, or from a local file (fixtures, mirrors).
//!
//! One [`Fetcher`] per run holds the HTTP clients, the per-host gates (one request in flight
//! per host, a pause between requests) and the `robots.txt` rules read so far. A fetch takes a
//! narrow [`Request`]: what to load, with which settings and validators.
//!
//! Redirects are followed here, not by the HTTP client: every hop is a request of its own,
//! checked by the egress policy ([`egress`]), by the target's `robots.txt`, and through the
//! target host's gate, at most five hops, and never from https down to http.

#[cfg(feature = "browser")]
mod browser;
pub(crate) mod charset;
mod egress;
mod error;
mod headers;
mod retry;
mod robots;

use std::collections::HashMap;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_TYPE, DATE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
    RETRY_AFTER, USER_AGENT,
};
use url::Url;

use egress::{Egress, Route, refusal_of};
pub use egress::{Internal, Refusal};
pub use error::{ClientError, FetchError, Unanswered};
pub use headers::FeedHeaders;
pub use retry::RetryPolicy;
pub(crate) use retry::parse_retry_after;
use robots::RobotsCache;

use crate::spec::{FeedSpec, FetchSettings, Field, RunSettings, Source};

/// Redirects followed at most.
const MAX_REDIRECTS: usize = 5;

/// The HTTP validators of a page, sent back as `If-None-Match` / `If-Modified-Since`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` the server last sent.
    pub etag: Option<String>,
    /// The `Last-Modified` the server last sent.
    pub last_modified: Option<String>,
}

/// Where a page's bytes are.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// At an http(s) address.
    Http(&'a Url),
    /// In a local file, standing for the page at `url`.
    File {
        /// The file.
        path: &'a Path,
        /// The page's public address (its links are relative to it).
        url: &'a Url,
    },
}

/// One page to load: what, for which feed and configuration field, how.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The feed the page is for (log lines name it).
    pub feed: &'a str,
    /// The configuration field that led to the page; errors are reported under it.
    pub field: Field,
    /// Where the page is.
    pub target: Target<'a>,
    /// Timeouts, size cap, user agent, `robots.txt`.
    pub settings: &'a FetchSettings,
    /// Validators for a conditional request (none: an unconditional one).
    pub validators: &'a Validators,
    /// Whether the target is the operator's own word (the listing as configured), fetched as
    /// typed; other targets came from content and pass the egress policy.
    pub typed: bool,
    /// The feed's own hosts, which content may lead to whatever their addresses.
    pub own_hosts: &'a [String],
    /// The feed's `[feed.request]` headers and cookies, and the origins they go to.
    pub headers: Option<FeedHeaders<'a>>,
}

/// No validators: an unconditional request.
static NO_VALIDATORS: Validators = Validators {
    etag: None,
    last_modified: None,
};

impl<'a> Request<'a> {
    /// The listing page of `spec`, conditional on `validators`.
    pub fn listing(spec: &'a FeedSpec, validators: &'a Validators) -> Self {
        let (target, field) = match &spec.source {
            Source::Http(url) if *url == spec.page_url => (Target::Http(url), Field::Url),
            Source::Http(url) => (Target::Http(url), Field::Source),
            Source::File(path) => (
                Target::File {
                    path,
                    url: &spec.page_url,
                },
                Field::Source,
            ),
        };
        Request {
            feed: &spec.id,
            field,
            target,
            settings: &spec.fetch,
            validators,
            typed: true,
            own_hosts: &spec.own_hosts,
            headers: FeedHeaders::of(spec, None),
        }
    }

    /// The listing page at `url`, one of `spec`'s listing pages when `url` lists several (read
    /// as the operator typed it, as the first is), conditional on `validators`.
    pub fn listed(spec: &'a FeedSpec, url: &'a Url, validators: &'a Validators) -> Self {
        Request {
            feed: &spec.id,
            field: Field::Url,
            target: Target::Http(url),
            settings: &spec.fetch,
            validators,
            typed: true,
            own_hosts: &spec.own_hosts,
            // Each listed page's origin gets them, as the first's does.
            headers: FeedHeaders::of(spec, Some(url)),
        }
    }

    /// Another page for `spec` at `url` (an older listing page, an item's own page), read
    /// whole; `field` is the configuration that led to it.
    pub fn page(spec: &'a FeedSpec, url: &'a Url, field: Field) -> Self {
        Request {
            feed: &spec.id,
            field,
            target: Target::Http(url),
            settings: &spec.fetch,
            validators: &NO_VALIDATORS,
            typed: false,
            own_hosts: &spec.own_hosts,
            // An item page's own origin gets them too.
            headers: FeedHeaders::of(spec, (field == Field::Detail).then_some(url)),
        }
    }

    /// The page at `target` for nobody's feed (`suggest`), read whole with `settings`.
    pub fn plain(target: Target<'a>, settings: &'a FetchSettings) -> Self {
        Request {
            feed: "",
            field: match target {
                Target::Http(_) => Field::Url,
                Target::File { .. } => Field::Source,
            },
            target,
            settings,
            validators: &NO_VALIDATORS,
            typed: true,
            own_hosts: &[],
            headers: None,
        }
    }
}

/// A JSON answer to one of a rendered page's own GET XHR/fetch requests.
#[derive(Debug, Clone)]
pub struct PageAnswer {
    /// The address the page's script requested.
    pub url: Url,
    /// The answer's text.
    pub text: String,
}

/// A page's bytes, what the server said of their encoding, and the address its links are
/// relative to.
#[derive(Debug, Clone)]
pub struct Body {
    /// The address the page was read from (after redirects), or its public address for files.
    pub url: Url,
    /// The body, decompressed but not decoded.
    pub bytes: Vec<u8>,
    /// The `charset` of the response's `Content-Type`, if any.
    pub http_charset: Option<String>,
    /// The validators to send next time.
    pub validators: Validators,
    /// When the server says it sent the page (its `Date` header), if it says so.
    pub served_at: Option<DateTime<Utc>>,
}

impl Body {
    /// The page's text: the byte order mark, then `encoding` (the feed's override), then the
    /// HTTP `charset`, then `<meta charset>`, then UTF-8, a plainly wrong declaration losing to
    /// a clean reading; with a note when a declaration was overruled or bytes were replaced.
    pub fn decode(&self, encoding: Option<&'static encoding_rs::Encoding>) -> charset::Decoded {
        charset::decode(&self.bytes, self.http_charset.as_deref(), encoding)
    }
}

/// What fetching a page gave.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// The page.
    Page(Body),
    /// The server says the page has not changed since the validators were stored.
    NotModified,
}

/// The HTTP client of requests to addresses the operator typed (the WebSub hub):
/// `connect_timeout`, at most five redirects, compression as the server offers it.
pub(crate) fn http_client(connect_timeout: Duration) -> Result<reqwest::Client, ClientError> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .build()
        .map_err(|e| ClientError(Arc::new(e)))
}

/// The HTTP client of pages: no redirects of its own (the fetcher follows them, hop by hop),
/// and for guarded routes a resolver that hands the connector only addresses the egress
/// policy lets through.
fn page_client(
    connect_timeout: Duration,
    route: Route,
    egress: &Egress,
) -> Result<reqwest::Client, ClientError> {
    let builder = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none());
    let builder = match route {
        Route::Open => builder,
        Route::Guarded => builder.dns_resolver(Arc::new(egress.resolver())),
    };
    builder.build().map_err(|e| ClientError(Arc::new(e)))
}

/// One host's gate: held while a request to the host is in flight; remembers when the last
/// one ended.
type HostGate = Arc<tokio::sync::Mutex<Option<Instant>>>;

/// Fetches pages for one run.
#[derive(Debug)]
pub struct Fetcher {
    host_delay: Duration,
    retry: RetryPolicy,
    egress: Egress,
    /// Clients by connect timeout (a client-wide setting) and route; usually one or two.
    clients: Mutex<HashMap<(Duration, Route), reqwest::Client>>,
    hosts: Mutex<HashMap<String, HostGate>>,
    /// Hosts that asked (`Retry-After`) not to be sent requests before a time, by host key.
    pauses: Mutex<HashMap<String, DateTime<Utc>>>,
    robots: RobotsCache,
    /// The run's headless Chromium, started by the first rendered page.
    #[cfg(feature = "browser")]
    chromium: browser::Chromium,
}

impl Fetcher {
    /// A fetcher with the run-wide settings of `[fetch]`.
    pub fn new(settings: &RunSettings) -> Self {
        Fetcher {
            host_delay: settings.host_delay,
            retry: RetryPolicy::of_run(settings),
            egress: Egress::new(settings.allow_internal.clone()),
            clients: Mutex::new(HashMap::new()),
            hosts: Mutex::new(HashMap::new()),
            pauses: Mutex::new(HashMap::new()),
            robots: RobotsCache::default(),
            #[cfg(feature = "browser")]
            chromium: browser::Chromium::default(),
        }
    }

    /// The fetcher, told which hosts asked on earlier runs not to be sent requests before a
    /// time (host → time; the history keeps them between runs).
    pub fn with_host_pauses(self, pauses: HashMap<String, DateTime<Utc>>) -> Self {
        *self.pauses.lock().unwrap_or_else(|e| e.into_inner()) = pauses;
        self
    }

    /// The hosts that asked not to be sent requests before a time, as known now: those
    /// passed in and those that asked during this run, for the history to keep.
    pub fn host_pauses(&self) -> HashMap<String, DateTime<Utc>> {
        self.pauses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The time before which `url`'s host is not to be sent requests, if it is still to come.
    /// Fails with [`FetchError::HostPaused`] while `url`'s host asked to be left alone.
    fn refuse_if_paused(&self, url: &Url) -> Result<(), FetchError> {
        match self.paused_until(url) {
            Some(until) => Err(FetchError::HostPaused {
                host: host_key(url),
                url: url.clone(),
                until,
            }),
            None => Ok(()),
        }
    }

    fn paused_until(&self, url: &Url) -> Option<DateTime<Utc>> {
        let pauses = self.pauses.lock().unwrap_or_else(|e| e.into_inner());
        pauses
            .get(&host_key(url))
            .copied()
            .filter(|until| *until > Utc::now())
    }

    /// Remembers that `url`'s host asked to be left alone for `pause` (the longest ask wins).
    fn pause_host(&self, url: &Url, pause: Duration) {
        let Ok(pause) = chrono::TimeDelta::from_std(pause) else {
            return;
        };
        let until = Utc::now() + pause;
        let mut pauses = self.pauses.lock().unwrap_or_else(|e| e.into_inner());
        let kept = pauses.entry(host_key(url)).or_insert(until);
        *kept = (*kept).max(until);
    }

    fn client(
        &self,
        connect_timeout: Duration,
        route: Route,
    ) -> Result<reqwest::Client, FetchError> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(&(connect_timeout, route)) {
            return Ok(client.clone());
        }
        let client = page_client(connect_timeout, route, &self.egress)?;
        clients.insert((connect_timeout, route), client.clone());
        Ok(client)
    }

    /// How hop `url` of `request` may be fetched: as typed (the configured listing itself),
    /// or as the egress policy says.
    fn route(&self, request: &Request<'_>, url: &Url, typed: bool) -> Result<Route, FetchError> {
        if typed {
            return Ok(Route::Open);
        }
        self.egress
            .route(url, request.own_hosts)
            .map_err(|refusal| FetchError::Refused {
                url: url.clone(),
                refusal: Box::new(refusal),
            })
    }

    /// The gate of `url`'s host (whatever the scheme or port: it is one machine to spare).
    fn gate(&self, url: &Url) -> HostGate {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts.entry(host_key(url)).or_default().clone()
    }

    /// Loads the page `request` names; with validators, an unchanged page costs a 304.
    pub async fn get(&self, request: &Request<'_>) -> Result<Fetched, FetchError> {
        match request.target {
            Target::File { path, url } => load_file(path, url, request.settings)
                .await
                .map(Fetched::Page),
            Target::Http(url) => self.get_http(request, url).await,
        }
    }

    /// Loads the page `request` names in headless Chromium (`render = "browser"`), waiting
    /// until `wait_for` matches or the network is idle, and gives its DOM as the page's body.
    /// Fails when pressfeed was built without the `browser` feature or Chromium is missing.
    pub async fn render(
        &self,
        request: &Request<'_>,
        wait_for: Option<&str>,
    ) -> Result<Body, FetchError> {
        self.render_page(request, wait_for, false)
            .await
            .map(|(body, _)| body)
    }

    /// Renders the page as [`Fetcher::render`] does, until the network is idle, and also
    /// gives the JSON answers to the page's own GET XHR/fetch requests (where its scripts
    /// read their list from): `suggest --browser`.
    pub async fn render_watching(
        &self,
        request: &Request<'_>,
    ) -> Result<(Body, Vec<PageAnswer>), FetchError> {
        self.render_page(request, None, true).await
    }

    async fn render_page(
        &self,
        request: &Request<'_>,
        wait_for: Option<&str>,
        watch: bool,
    ) -> Result<(Body, Vec<PageAnswer>), FetchError> {
        let url = match request.target {
            Target::Http(url) => url,
            Target::File { url, .. } => {
                return Err(FetchError::Browser {
                    url: url.clone(),
                    reason: "a rendered page is loaded over http(s), not from a file `source`"
                        .to_string(),
                });
            }
        };
        #[cfg(feature = "browser")]
        {
            self.render_http(request, url, wait_for, watch).await
        }
        #[cfg(not(feature = "browser"))]
        {
            let _ = (wait_for, watch);
            Err(FetchError::BrowserNotBuilt { url: url.clone() })
        }
    }

    /// Closes the run's browser, if a rendered page started one, and waits for it to exit.
    pub async fn close_browser(&self) {
        #[cfg(feature = "browser")]
        self.chromium.close().await;
    }

    /// Loads the page `request` names, unconditionally: a 304 is the server's mistake.
    pub async fn get_body(&self, request: &Request<'_>) -> Result<Body, FetchError> {
        match self.get(request).await? {
            Fetched::Page(body) => Ok(body),
            Fetched::NotModified => Err(FetchError::NotConditional {
                url: match request.target {
                    Target::Http(url) | Target::File { url, .. } => url.clone(),
                },
            }),
        }
    }

    /// GETs `start` and follows its redirects, each hop a request of its own (egress policy,
    /// `robots.txt`, host gate and delay, retries).
    async fn get_http(&self, request: &Request<'_>, start: &Url) -> Result<Fetched, FetchError> {
        let settings = request.settings;
        let mut url = start.clone();
        let mut typed = request.typed;
        for hop in 0..=MAX_REDIRECTS {
            let route = self.route(request, &url, typed)?;
            let client = self.client(settings.connect_timeout, route)?;
            // A host that asked to be left alone is not asked for its robots.txt either.
            self.refuse_if_paused(&url)?;
            if settings.robots_txt {
                self.check_robots(request, &url, route).await?;
            }
            let gate = self.gate(&url);
            let mut last_request = gate.lock().await;
            // Again under the gate: a request just ahead may have been asked to wait.
            self.refuse_if_paused(&url)?;
            let label = format!("feed \"{}\": {url}", request.feed);
            let extra = feed_headers(request, &url, &label);
            let last = self
                .with_retries(
                    &label,
                    settings.max_body_bytes,
                    Overflow::Fail,
                    &mut last_request,
                    || {
                        let mut builder = client
                            .get(url.clone())
                            .timeout(settings.timeout)
                            .header(USER_AGENT, &settings.user_agent);
                        for (name, value) in &extra {
                            builder = builder.header(name, value);
                        }
                        if let Some(etag) = &request.validators.etag {
                            builder = builder.header(IF_NONE_MATCH, etag);
                        }
                        if let Some(date) = &request.validators.last_modified {
                            builder = builder.header(IF_MODIFIED_SINCE, date);
                        }
                        builder
                    },
                )
                .await;
            drop(last_request);
            let (head, body) = match last {
                Final::Response(head, body, attempts) => {
                    if let Some(next) = redirect_of(&url, &head, hop)? {
                        url = next;
                        // Where a redirect leads, the server said: it came from content.
                        typed = false;
                        continue;
                    }
                    let status = head.status;
                    // Given up on while the server asked for a pause: no request to the host
                    // before the pause is over, on this run or a later one.
                    if let Some(pause) = head.retry_after.filter(|_| RetryPolicy::retryable(status))
                    {
                        self.pause_host(&url, pause);
                    }
                    if !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
                        return Err(FetchError::Status {
                            url: url.clone(),
                            status,
                            attempts,
                        });
                    }
                    (head, body)
                }
                Final::Failed(ReadError::TooLarge, _) => {
                    return Err(FetchError::TooLarge {
                        location: url.to_string(),
                        limit: settings.max_body_bytes,
                    });
                }
                Final::Failed(ReadError::Http { error, .. }, attempts) => {
                    return Err(match refusal_of(&error) {
                        Some(refusal) => FetchError::Refused {
                            url,
                            refusal: Box::new(refusal),
                        },
                        None => FetchError::Request {
                            url,
                            source: Unanswered { error, attempts },
                        },
                    });
                }
            };
            if head.status == StatusCode::NOT_MODIFIED {
                return Ok(Fetched::NotModified);
            }
            return Ok(Fetched::Page(Body {
                url: head.url,
                http_charset: head
                    .content_type
                    .as_deref()
                    .and_then(charset::charset_param)
                    .map(str::to_string),
                bytes: body,
                validators: head.validators,
                served_at: head.date,
            }));
        }
        Err(FetchError::TooManyRedirects { url: start.clone() })
    }

    /// Sends the request `build` makes until it gets an answer worth keeping, as the run's
    /// [`RetryPolicy`] says. Returns the last response (whatever its status) or the last
    /// failure, with the attempts made.
    async fn with_retries(
        &self,
        label: &str,
        limit: u64,
        overflow: Overflow,
        last_request: &mut Option<Instant>,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Final {
        let started = Instant::now();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            if let Some(last) = *last_request {
                let pause = self.host_delay.saturating_sub(last.elapsed());
                tokio::time::sleep(pause).await;
            }
            let outcome = read_response(build(), limit, overflow).await;
            *last_request = Some(Instant::now());
            let retry_after = match &outcome {
                Ok((head, _)) if RetryPolicy::retryable(head.status) => head.retry_after,
                Err(ReadError::Http {
                    transient: true, ..
                }) => None,
                _ => break final_of(outcome, attempt),
            };
            let pause = self.retry.pause(attempt, retry_after);
            // The budget covers the whole fetch: attempts and pauses.
            if !self.retry.allows(attempt, started.elapsed(), pause) {
                break final_of(outcome, attempt);
            }
            let why = match &outcome {
                Ok((head, _)) => format!("HTTP {}", head.status),
                Err(ReadError::Http { error, .. }) => Unanswered {
                    error: Arc::clone(error),
                    attempts: 1,
                }
                .to_string(),
                Err(ReadError::TooLarge) => String::new(),
            };
            tracing::debug!(
                "{label}: attempt {attempt} failed ({why}); retrying in {:.1} s",
                pause.as_secs_f64()
            );
            tokio::time::sleep(pause).await;
        }
    }
}

/// The `[feed.request]` headers hop `url` of `request` carries: all of them on their origins,
/// none elsewhere. Only their names are logged (`label` names the feed and the hop).
fn feed_headers(
    request: &Request<'_>,
    url: &Url,
    label: &str,
) -> Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)> {
    let Some(headers) = request.headers else {
        return Vec::new();
    };
    if headers.reach(url) {
        tracing::trace!("{label}: sent with [feed.request] {}", headers.names());
        headers.lines()
    } else {
        tracing::debug!("{label}: another origin, sent without [feed.request] headers");
        Vec::new()
    }
}

/// The key of `url`'s host for its gate and its pause: the host, whatever the scheme or port.
fn host_key(url: &Url) -> String {
    url.host_str().unwrap_or("").to_ascii_lowercase()
}

/// The parts of a response pressfeed keeps.
#[derive(Debug, Clone)]
struct ResponseHead {
    status: StatusCode,
    url: Url,
    content_type: Option<String>,
    validators: Validators,
    retry_after: Option<Duration>,
    /// `Location`, for redirects.
    location: Option<String>,
    /// `Date`: when the server sent the response.
    date: Option<DateTime<Utc>>,
}

/// Where response `head` to hop `hop` of a request for `url` redirects to, if it does: the
/// next hop's address. Fails past the last hop allowed, and on a step down from https.
fn redirect_of(url: &Url, head: &ResponseHead, hop: usize) -> Result<Option<Url>, FetchError> {
    let redirect = matches!(head.status.as_u16(), 301 | 302 | 303 | 307 | 308);
    let Some(location) = head.location.as_deref().filter(|_| redirect) else {
        return Ok(None);
    };
    let Ok(next) = url.join(location.trim()) else {
        return Ok(None);
    };
    if hop == MAX_REDIRECTS {
        return Err(FetchError::TooManyRedirects { url: url.clone() });
    }
    if url.scheme() == "https" && next.scheme() == "http" {
        return Err(FetchError::Downgrade {
            url: url.clone(),
            to: Box::new(next),
        });
    }
    Ok(Some(next))
}

/// How a fetch with retries ended.
enum Final {
    /// A response (any status) and its body, after this many attempts.
    Response(Box<ResponseHead>, Vec<u8>, u32),
    /// No usable response, after this many attempts.
    Failed(ReadError, u32),
}

fn final_of(outcome: Result<(ResponseHead, Vec<u8>), ReadError>, attempts: u32) -> Final {
    match outcome {
        Ok((head, body)) => Final::Response(Box::new(head), body, attempts),
        Err(err) => Final::Failed(err, attempts),
    }
}

/// Why one attempt gave no response to keep.
enum ReadError {
    /// The body passed the limit.
    TooLarge,
    /// The request failed.
    Http {
        error: Arc<reqwest::Error>,
        /// Connect errors, timeouts and cut-off bodies are worth another try; redirect loops
        /// and the like are not.
        transient: bool,
    },
}

impl ReadError {
    fn http(err: reqwest::Error) -> Self {
        // A refused address is refused again however often it is asked for.
        let transient = !(err.is_redirect()
            || err.is_builder()
            || err.is_decode()
            || refusal_of(&err).is_some());
        ReadError::Http {
            error: Arc::new(err),
            transient,
        }
    }
}

/// What to do with a body longer than the limit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// Fail: a page cut short is not the page.
    Fail,
    /// Keep what fits, up to its last line (for `robots.txt`).
    Truncate,
}

/// Sends `request` and reads the body, decompressed, stopping as soon as it passes `limit`.
async fn read_response(
    request: reqwest::RequestBuilder,
    limit: u64,
    overflow: Overflow,
) -> Result<(ResponseHead, Vec<u8>), ReadError> {
    let mut response = request.send().await.map_err(ReadError::http)?;
    let headers = response.headers();
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let head = ResponseHead {
        status: response.status(),
        url: response.url().clone(),
        content_type: text(CONTENT_TYPE),
        validators: Validators {
            etag: text(ETAG),
            last_modified: text(LAST_MODIFIED),
        },
        retry_after: text(RETRY_AFTER).and_then(|v| parse_retry_after(&v)),
        location: text(LOCATION),
        date: text(DATE)
            .and_then(|v| DateTime::parse_from_rfc2822(v.trim()).ok())
            .map(|date| date.with_timezone(&Utc)),
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut body = Vec::new();
    // A body that breaks off (a reset, a stall past the timeout, a cut) is worth another try,
    // whatever reqwest files the error under.
    let broken_body = |err: reqwest::Error| ReadError::Http {
        error: Arc::new(err),
        transient: true,
    };
    while let Some(chunk) = response.chunk().await.map_err(broken_body)? {
        if body.len().saturating_add(chunk.len()) > limit {
            if overflow == Overflow::Fail {
                return Err(ReadError::TooLarge);
            }
            body.extend_from_slice(&chunk[..limit - body.len()]);
            let last_line = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            body.truncate(last_line);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok((head, body))
}

/// Reads a local page (decoded later as a served page would be: BOM, override, `<meta>`),
/// never more than the cap, whatever the file is: in one go on a blocking thread, into a
/// buffer sized by the file's length.
async fn load_file(path: &Path, url: &Url, settings: &FetchSettings) -> Result<Body, FetchError> {
    let read_error = |source| FetchError::Read {
        path: path.to_path_buf(),
        source,
    };
    let limit = settings.max_body_bytes;
    let owned = path.to_path_buf();
    let read = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        use std::io::Read as _;
        let file = std::fs::File::open(&owned)?;
        let size = file.metadata().map_or(0, |meta| meta.len()).min(limit);
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
        file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
        Ok(bytes)
    })
    .await
    .map_err(|join| read_error(std::io::Error::other(join.to_string())))?;
    let bytes = read.map_err(read_error)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
        return Err(FetchError::TooLarge {
            location: path.display().to_string(),
            limit,
        });
    }
    Ok(Body {
        url: url.clone(),
        bytes,
        http_charset: None,
        validators: Validators::default(),
        served_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(status: u16, location: &str) -> ResponseHead {
        ResponseHead {
            status: StatusCode::from_u16(status).unwrap(),
            url: Url::parse("https://news.example.org/a").unwrap(),
            content_type: None,
            validators: Validators::default(),
            retry_after: None,
            location: Some(location.to_string()),
            date: None,
        }
    }

    #[test]
    fn redirects_are_followed_hop_by_hop_and_never_down_to_http() {
        let url = Url::parse("https://news.example.org/a").unwrap();
        let next = redirect_of(&url, &head(301, "/b?x=1"), 0).unwrap();
        assert_eq!(next.unwrap().as_str(), "https://news.example.org/b?x=1");
        assert_eq!(redirect_of(&url, &head(200, "/b"), 0).unwrap(), None);
        assert_eq!(redirect_of(&url, &head(304, "/b"), 0).unwrap(), None);
        assert!(matches!(
            redirect_of(&url, &head(302, "http://news.example.org/b"), 0),
            Err(FetchError::Downgrade { .. })
        ));
        assert!(matches!(
            redirect_of(&url, &head(307, "/b"), MAX_REDIRECTS),
            Err(FetchError::TooManyRedirects { .. })
        ));
        let http = Url::parse("http://news.example.org/a").unwrap();
        let up = redirect_of(&http, &head(308, "https://news.example.org/a"), 1).unwrap();
        assert_eq!(up.unwrap().scheme(), "https");
    }
}
