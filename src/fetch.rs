//! Loading a feed's page: over HTTP(S) politely, or from a local file (fixtures, mirrors).
//!
//! One [`Fetcher`] per run holds the HTTP client, the per-host gates (one request in flight
//! per host, a pause between requests) and the `robots.txt` rules read so far.

pub mod charset;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER, USER_AGENT,
};
use tokio::sync::OnceCell;
use url::Url;

use crate::config::{FeedSpec, RunSettings, Source};
use crate::store::Validators;

/// Largest `robots.txt` read; the rest is ignored (Google reads 500 KiB).
const MAX_ROBOTS_BYTES: u64 = 512 * 1024;
/// First pause before a retry; it doubles each time, with jitter.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// A page's bytes, what the server said of their encoding, and the address its links are
/// relative to.
#[derive(Debug, Clone)]
pub struct Page {
    /// The address the page was read from (after redirects), or its public address for files.
    pub url: Url,
    /// The body, decompressed but not decoded.
    pub bytes: Vec<u8>,
    /// The `charset` of the response's `Content-Type`, if any.
    pub http_charset: Option<String>,
    /// The validators to send next time.
    pub validators: Validators,
}

impl Page {
    /// The page's text, decoded as [`charset::decode`] says; a declaration that was overruled,
    /// or bytes that had to be replaced, are logged.
    pub fn text(&self, spec: &FeedSpec) -> String {
        let decoded = charset::decode(&self.bytes, self.http_charset.as_deref(), spec.encoding);
        if let Some(note) = decoded.note {
            tracing::info!("feed \"{}\": {note}", spec.id);
        }
        decoded.text
    }
}

/// What fetching a page gave.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// The page.
    Page(Page),
    /// The server says the page has not changed since the validators were stored.
    NotModified,
}

/// A page that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// A local source file could not be read.
    #[error("feed \"{feed}\": field \"source\": cannot read {}", path.display())]
    Read {
        /// The feed.
        feed: String,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The page is larger than the feed's `max_body_bytes`.
    #[error(
        "feed \"{feed}\": field \"{field}\": the page at {location} is larger than {limit} bytes (`max_body_bytes`)"
    )]
    TooLarge {
        /// The feed.
        feed: String,
        /// The config field that names the page.
        field: &'static str,
        /// Where the page came from.
        location: String,
        /// The cap.
        limit: u64,
    },
    /// The request failed: connection, TLS, timeout, redirects, a cut-off body.
    #[error("feed \"{feed}\": field \"{field}\": cannot fetch {url}: {reason}")]
    Request {
        /// The feed.
        feed: String,
        /// The config field that names the page.
        field: &'static str,
        /// The address.
        url: String,
        /// What went wrong, with the attempts made.
        reason: String,
    },
    /// The server answered with a status that is not 2xx or 304.
    #[error("feed \"{feed}\": field \"{field}\": {url} answered HTTP {status}{attempts}")]
    Status {
        /// The feed.
        feed: String,
        /// The config field that names the page.
        field: &'static str,
        /// The address.
        url: String,
        /// The status.
        status: StatusCode,
        /// How many attempts were made, when more than one.
        attempts: String,
    },
    /// The host's `robots.txt` does not allow the page.
    #[error(
        "feed \"{feed}\": field \"{field}\": {url} is disallowed for pressfeed by {reason}; set `robots_txt = false` for this feed to fetch it anyway"
    )]
    Robots {
        /// The feed.
        feed: String,
        /// The config field that names the page.
        field: &'static str,
        /// The address.
        url: String,
        /// What forbids it.
        reason: String,
    },
    /// The HTTP client could not be built (a broken TLS setup).
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
}

/// What `robots.txt` says for one host and agent.
enum RobotsRules {
    /// No usable file (4xx): everything is allowed.
    AllowAll,
    /// The server failed to serve it (5xx): nothing is allowed (RFC 9309 §2.3.1.4).
    Unreachable(String),
    /// It could not be fetched at all (connection, timeout): the run cannot go on.
    Failed(String),
    /// The parsed rules.
    Rules(Box<texting_robots::Robot>),
}

/// One host's gate: held while a request to the host is in flight; remembers when the last
/// one ended.
type HostGate = Arc<tokio::sync::Mutex<Option<Instant>>>;

/// `robots.txt` rules are kept per (origin, user-agent token).
type RobotsKey = (String, String);

/// Fetches pages for one run.
pub struct Fetcher {
    settings: RunSettings,
    /// Clients by connect timeout (a client-wide setting); usually just one.
    clients: Mutex<HashMap<Duration, reqwest::Client>>,
    hosts: Mutex<HashMap<String, HostGate>>,
    robots: Mutex<HashMap<RobotsKey, Arc<OnceCell<RobotsRules>>>>,
}

impl Fetcher {
    /// A fetcher with the run-wide settings of `[fetch]`.
    pub fn new(settings: RunSettings) -> Self {
        Fetcher {
            settings,
            clients: Mutex::new(HashMap::new()),
            hosts: Mutex::new(HashMap::new()),
            robots: Mutex::new(HashMap::new()),
        }
    }

    fn client(&self, connect_timeout: Duration) -> Result<reqwest::Client, FetchError> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(&connect_timeout) {
            return Ok(client.clone());
        }
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| FetchError::Client(crate::error::chain(&e)))?;
        clients.insert(connect_timeout, client.clone());
        Ok(client)
    }

    /// The gate of `url`'s host (whatever the scheme or port: it is one machine to spare).
    fn gate(&self, url: &Url) -> HostGate {
        let key = url.host_str().unwrap_or("").to_ascii_lowercase();
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts.entry(key).or_default().clone()
    }

    /// Whether this run reads every page of paginated feeds.
    pub fn backfill(&self) -> bool {
        self.settings.backfill
    }

    /// Loads another page for `spec` (an older listing page, an item's own page),
    /// unconditionally; errors name `field`, the config field that led to it.
    pub async fn fetch_page(
        &self,
        spec: &FeedSpec,
        url: &Url,
        field: &'static str,
    ) -> Result<Page, FetchError> {
        match self.fetch_http(spec, url, &Validators::default()).await? {
            Fetched::Page(page) => Ok(page),
            Fetched::NotModified => Err(FetchError::Status {
                feed: spec.id.clone(),
                field,
                url: url.to_string(),
                status: StatusCode::NOT_MODIFIED,
                attempts: " to a request that was not conditional".to_string(),
            }),
        }
    }

    /// Loads `spec`'s page, sending `validators` so an unchanged page costs a 304.
    pub async fn fetch(
        &self,
        spec: &FeedSpec,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        match &spec.source {
            Source::File(path) => load_file(spec, path).await.map(Fetched::Page),
            Source::Http(url) => self.fetch_http(spec, url, validators).await,
        }
    }

    async fn fetch_http(
        &self,
        spec: &FeedSpec,
        url: &Url,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        let field = if *url == spec.page_url {
            "url"
        } else {
            "source"
        };
        let client = self.client(spec.fetch.connect_timeout)?;
        if spec.fetch.robots_txt {
            self.check_robots(&client, spec, url, field).await?;
        }
        let gate = self.gate(url);
        let mut last_request = gate.lock().await;
        let label = format!("feed \"{}\": {url}", spec.id);
        let last = self
            .with_retries(
                &label,
                spec.fetch.max_body_bytes,
                Overflow::Fail,
                &mut last_request,
                || {
                    let mut request = client
                        .get(url.clone())
                        .timeout(spec.fetch.timeout)
                        .header(USER_AGENT, &spec.fetch.user_agent);
                    if let Some(etag) = &validators.etag {
                        request = request.header(IF_NONE_MATCH, etag);
                    }
                    if let Some(date) = &validators.last_modified {
                        request = request.header(IF_MODIFIED_SINCE, date);
                    }
                    request
                },
            )
            .await;
        drop(last_request);
        let (response, body) = match last {
            Final::Response(head, body, attempts) => {
                let status = head.status;
                if !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
                    return Err(status_error(spec, field, url, status, attempts));
                }
                (head, body)
            }
            Final::Failed(ReadError::TooLarge, _) => {
                return Err(FetchError::TooLarge {
                    feed: spec.id.clone(),
                    field,
                    location: url.to_string(),
                    limit: spec.fetch.max_body_bytes,
                });
            }
            Final::Failed(ReadError::Http { reason, .. }, attempts) => {
                return Err(FetchError::Request {
                    feed: spec.id.clone(),
                    field,
                    url: url.to_string(),
                    reason: attempts_note(reason, attempts),
                });
            }
        };
        if response.status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        Ok(Fetched::Page(Page {
            url: response.url,
            http_charset: response
                .content_type
                .as_deref()
                .and_then(charset::charset_param)
                .map(str::to_string),
            bytes: body,
            validators: response.validators,
        }))
    }

    /// Sends the request `build` makes until it gets an answer worth keeping, retrying connect
    /// errors, timeouts, cut-off bodies, 5xx and 429 with exponential backoff and jitter (or
    /// the server's `Retry-After`), within the run's `retries` and `retry_time`. Returns the
    /// last response (whatever its status) or the last failure, with the attempts made.
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
                let pause = self.settings.host_delay.saturating_sub(last.elapsed());
                tokio::time::sleep(pause).await;
            }
            let outcome = read_response(build(), limit, overflow).await;
            *last_request = Some(Instant::now());
            let (retry_after, why) = match &outcome {
                Ok((head, _)) => {
                    let status = head.status;
                    if !(status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS) {
                        break final_of(outcome, attempt);
                    }
                    (head.retry_after, format!("HTTP {status}"))
                }
                Err(ReadError::Http {
                    reason,
                    transient: true,
                }) => (None, reason.clone()),
                Err(_) => break final_of(outcome, attempt),
            };
            let backoff = FIRST_BACKOFF
                .saturating_mul(1 << (attempt - 1).min(10))
                .mul_f64(0.5 + fastrand::f64());
            let pause = retry_after.map_or(backoff, |after| after.max(backoff));
            // The budget covers the whole fetch: attempts and pauses.
            let out_of_time = started.elapsed().saturating_add(pause) > self.settings.retry_time;
            if attempt > self.settings.retries || out_of_time {
                break final_of(outcome, attempt);
            }
            tracing::debug!(
                "{label}: attempt {attempt} failed ({why}); retrying in {:.1} s",
                pause.as_secs_f64()
            );
            tokio::time::sleep(pause).await;
        }
    }

    async fn check_robots(
        &self,
        client: &reqwest::Client,
        spec: &FeedSpec,
        url: &Url,
        field: &'static str,
    ) -> Result<(), FetchError> {
        let agent = spec
            .fetch
            .user_agent
            .split(['/', ' '])
            .next()
            .unwrap_or("pressfeed")
            .to_string();
        let origin = url.origin().ascii_serialization();
        let cell = {
            let mut robots = self.robots.lock().unwrap_or_else(|e| e.into_inner());
            robots
                .entry((origin.clone(), agent.clone()))
                .or_default()
                .clone()
        };
        let rules = cell
            .get_or_init(|| async {
                let Ok(robots_url) = Url::parse(&origin).and_then(|o| o.join("/robots.txt")) else {
                    return RobotsRules::AllowAll;
                };
                let gate = self.gate(&robots_url);
                let mut last_request = gate.lock().await;

                let label = format!("feed \"{}\": {robots_url}", spec.id);
                let last = self
                    .with_retries(
                        &label,
                        MAX_ROBOTS_BYTES,
                        Overflow::Truncate,
                        &mut last_request,
                        || {
                            client
                                .get(robots_url.clone())
                                .timeout(spec.fetch.timeout)
                                .header(USER_AGENT, &spec.fetch.user_agent)
                        },
                    )
                    .await;
                let outcome = match last {
                    Final::Response(head, body, _) => Ok((head, body)),
                    Final::Failed(ReadError::Http { reason, .. }, attempts) => {
                        Err(ReadError::Http {
                            reason: attempts_note(reason, attempts),
                            transient: false,
                        })
                    }
                    Final::Failed(err, _) => Err(err),
                };
                match outcome {
                    Ok((head, body)) if head.status.is_success() => {
                        match texting_robots::Robot::new(&agent, &body) {
                            Ok(robot) => RobotsRules::Rules(Box::new(robot)),
                            Err(_) => RobotsRules::AllowAll,
                        }
                    }
                    Ok((head, _)) if head.status.is_server_error() => RobotsRules::Unreachable(
                        format!("robots.txt answered HTTP {}", head.status),
                    ),
                    Ok(_) => RobotsRules::AllowAll,
                    // Truncation keeps what fits, so a body never overflows here.
                    Err(ReadError::TooLarge) => RobotsRules::AllowAll,
                    Err(ReadError::Http { reason, .. }) => RobotsRules::Failed(reason),
                }
            })
            .await;
        let refusal = match rules {
            RobotsRules::Failed(reason) => {
                return Err(FetchError::Request {
                    feed: spec.id.clone(),
                    field,
                    url: format!("{origin}/robots.txt"),
                    reason: reason.clone(),
                });
            }
            RobotsRules::AllowAll => None,
            RobotsRules::Unreachable(reason) => Some(format!("{origin}/robots.txt ({reason})")),
            RobotsRules::Rules(robot) => {
                (!robot.allowed(url.as_str())).then(|| format!("{origin}/robots.txt"))
            }
        };
        match refusal {
            None => Ok(()),
            Some(reason) => Err(FetchError::Robots {
                feed: spec.id.clone(),
                field,
                url: url.to_string(),
                reason,
            }),
        }
    }
}

/// The parts of a response pressfeed keeps.
#[derive(Debug, Clone)]
struct ResponseHead {
    status: StatusCode,
    url: Url,
    content_type: Option<String>,
    validators: Validators,
    retry_after: Option<Duration>,
}

/// How a fetch with retries ended.
enum Final {
    /// A response (any status) and its body, after this many attempts.
    Response(ResponseHead, Vec<u8>, u32),
    /// No usable response, after this many attempts.
    Failed(ReadError, u32),
}

fn final_of(outcome: Result<(ResponseHead, Vec<u8>), ReadError>, attempts: u32) -> Final {
    match outcome {
        Ok((head, body)) => Final::Response(head, body, attempts),
        Err(err) => Final::Failed(err, attempts),
    }
}

enum ReadError {
    TooLarge,
    Http {
        reason: String,
        /// Connect errors, timeouts and cut-off bodies are worth another try; redirect loops
        /// and the like are not.
        transient: bool,
    },
}

impl ReadError {
    fn http(err: &reqwest::Error) -> Self {
        ReadError::Http {
            reason: describe(err),
            transient: !(err.is_redirect() || err.is_builder() || err.is_decode()),
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
    let mut response = request.send().await.map_err(|e| ReadError::http(&e))?;
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
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut body = Vec::new();
    // A body that breaks off (a reset, a stall past the timeout, a cut) is worth another try,
    // whatever reqwest files the error under.
    let broken_body = |err: reqwest::Error| ReadError::Http {
        reason: describe(&err),
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

/// `Retry-After`: seconds, or an HTTP date; anything beyond a day is read as a day.
fn parse_retry_after(value: &str) -> Option<Duration> {
    const DAY: u64 = 86_400;
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds.min(DAY)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO)
            .min(Duration::from_secs(DAY)),
    )
}

fn status_error(
    spec: &FeedSpec,
    field: &'static str,
    url: &Url,
    status: StatusCode,
    attempts: u32,
) -> FetchError {
    FetchError::Status {
        feed: spec.id.clone(),
        field,
        url: url.to_string(),
        status,
        attempts: if attempts > 1 {
            format!(" (after {attempts} attempts)")
        } else {
            String::new()
        },
    }
}

fn attempts_note(reason: String, attempts: u32) -> String {
    if attempts > 1 {
        format!("{reason} (after {attempts} attempts)")
    } else {
        reason
    }
}

/// A reqwest error in plain words, with its causes.
fn describe(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_redirect() {
        "too many redirects"
    } else if err.is_connect() {
        "cannot connect"
    } else if err.is_body() || err.is_decode() {
        "the body was cut off or could not be decoded"
    } else {
        "request failed"
    };
    // reqwest's own text repeats the URL; the deepest cause says what happened.
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    format!("{kind} ({cause})")
}

/// Reads a local page (decoded later as a served page would be: BOM, override, `<meta>`),
/// never more than the cap, whatever the file is.
async fn load_file(spec: &FeedSpec, path: &std::path::Path) -> Result<Page, FetchError> {
    use tokio::io::AsyncReadExt as _;
    let read_error = |source| FetchError::Read {
        feed: spec.id.clone(),
        path: path.to_path_buf(),
        source,
    };
    let limit = spec.fetch.max_body_bytes;
    let file = tokio::fs::File::open(path).await.map_err(read_error)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .await
        .map_err(read_error)?;
    if bytes.len() as u64 > limit {
        return Err(FetchError::TooLarge {
            feed: spec.id.clone(),
            field: "source",
            location: path.display().to_string(),
            limit,
        });
    }
    Ok(Page {
        url: spec.page_url.clone(),
        bytes,
        http_charset: None,
        validators: Validators::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_bounded() {
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("18446744073709551615"),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
