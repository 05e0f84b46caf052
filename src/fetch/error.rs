//! What goes wrong loading a page, in words that name the address and the cause.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use reqwest::StatusCode;
use url::Url;

use super::Refusal;

/// Why a request got no answer worth reading, in plain words: what kind of failure, its
/// deepest cause, and how many attempts were made.
#[derive(Debug, Clone)]
pub struct Unanswered {
    pub(super) error: Arc<reqwest::Error>,
    pub(super) attempts: u32,
}

impl Unanswered {
    /// `error`, after `attempts` attempts.
    pub fn new(error: reqwest::Error, attempts: u32) -> Self {
        Unanswered {
            error: Arc::new(error),
            attempts,
        }
    }
}

impl fmt::Display for Unanswered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let err = &*self.error;
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
        write!(f, "{kind} ({cause})")?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

// Its text holds the deepest cause already: it is the end of the chain.
impl std::error::Error for Unanswered {}

/// A page that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// A local file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The page is larger than the feed's `max_body_bytes`.
    #[error("the page at {location} is larger than {limit} bytes (`max_body_bytes`)")]
    TooLarge {
        /// Where the page came from.
        location: String,
        /// The cap.
        limit: u64,
    },
    /// The request failed: connection, TLS, timeout, redirects, a cut-off body.
    #[error("cannot fetch {url}")]
    Request {
        /// The address.
        url: Url,
        /// What went wrong, with the attempts made.
        #[source]
        source: Unanswered,
    },
    /// The server answered with a status that is not 2xx or 304.
    #[error("{url} answered HTTP {status}{}", Attempts(*attempts))]
    Status {
        /// The address.
        url: Url,
        /// The status.
        status: StatusCode,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The server answered 304 to a request without validators.
    #[error("{url} answered HTTP 304 Not Modified to a request that was not conditional")]
    NotConditional {
        /// The address.
        url: Url,
    },
    /// The host's `robots.txt` does not allow the page.
    #[error(
        "{url} is disallowed for pressfeed by {}/robots.txt{}; set `robots_txt = false` for this feed to fetch it anyway",
        url.origin().ascii_serialization(),
        unreachable.map(|status| format!(" (robots.txt answered HTTP {status})")).unwrap_or_default()
    )]
    Robots {
        /// The address (its origin's `robots.txt` forbids it).
        url: Url,
        /// The server error that answered for `robots.txt`, which forbids everything
        /// (RFC 9309 §2.3.1.4), when that is why.
        unreachable: Option<StatusCode>,
    },
    /// The HTTP client could not be built (a broken TLS setup).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Content led to an address the egress policy refuses.
    #[error(
        "{url} is not fetched: {refusal}; pages may lead only to the listing's own host and to public addresses (`[fetch] allow_internal` lists exceptions)"
    )]
    Refused {
        /// The address.
        url: Url,
        /// Why.
        refusal: Box<Refusal>,
    },
    /// More redirects than are followed.
    #[error("cannot fetch {url}: too many redirects (more than 5)")]
    TooManyRedirects {
        /// The address asked for.
        url: Url,
    },
    /// The host asked (`Retry-After`, on this run or an earlier one) not to be sent requests
    /// before a time still to come.
    #[error(
        "{url} is not fetched: {host} asked (Retry-After) to be left alone until {}; it is asked again after that",
        until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )]
    HostPaused {
        /// The address.
        url: Url,
        /// Its host.
        host: String,
        /// Until when.
        until: chrono::DateTime<chrono::Utc>,
    },
    /// `render = "browser"` in a build without the `browser` feature.
    #[error(
        "{url} is to be rendered in a browser (`render = \"browser\"`), and this pressfeed was built without it: build it with `cargo install --locked --path . --features browser`"
    )]
    BrowserNotBuilt {
        /// The address.
        url: Url,
    },
    /// No Chromium to render the page with.
    #[error(
        "`render = \"browser\"` needs Chromium, and none was found (PRESSFEED_CHROMIUM names no file, or it is unset and none of chromium, chromium-browser and google-chrome is on PATH): install it (`apt-get install chromium`) or set PRESSFEED_CHROMIUM to its path"
    )]
    NoChromium,
    /// The browser failed while rendering the page.
    #[error("cannot render {url} in Chromium: {reason}")]
    Browser {
        /// The address.
        url: Url,
        /// What went wrong, in Chromium's or the DevTools protocol's words.
        reason: String,
    },
    /// The rendered page was not ready within the feed's `timeout`.
    #[error(
        "{url} was not ready in Chromium within {} s (`timeout`): {}",
        limit.as_secs_f64(),
        match wait_for {
            Some(css) => format!("nothing matched `wait_for = \"{css}\"`"),
            None => "the page kept the network busy (no 500 ms without a request); set `wait_for` to a selector of the list".to_string(),
        }
    )]
    RenderTimeout {
        /// The address.
        url: Url,
        /// The feed's `timeout`.
        limit: std::time::Duration,
        /// The selector waited for, if any.
        wait_for: Option<Box<str>>,
    },
    /// A redirect from https to http.
    #[error("{url} redirects to {to}, from https down to http; such a redirect is not followed")]
    Downgrade {
        /// The https address.
        url: Url,
        /// Where it redirects.
        to: Box<Url>,
    },
}

/// The HTTP client could not be built (a broken TLS setup).
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot start the HTTP client")]
pub struct ClientError(#[source] pub(super) Arc<reqwest::Error>);

/// ` (after N attempts)` when there was more than one.
struct Attempts(u32);

impl fmt::Display for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 > 1 {
            write!(f, " (after {} attempts)", self.0)?;
        }
        Ok(())
    }
}
