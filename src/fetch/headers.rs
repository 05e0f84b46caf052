//! `[feed.request]` on the wire: which hops carry a feed's headers and cookies.
//!
//! They go to the listing's own origins (of `url` and of an http(s) `source`) and, for an item
//! page read by `[feed.detail]`, to that page's origin: scheme, host and port, an http origin
//! on its default port also standing for its https form. A hop elsewhere (a redirect to
//! another origin, an older page on another site, `robots.txt`, the WebSub hub) goes without
//! them, and so does any plain-http hop of a listing read over https. Values are marked
//! sensitive and never logged.

use reqwest::header::{HeaderName, HeaderValue};
use url::Url;

use crate::spec::{FeedSpec, RequestHeaders, Source};

/// A feed's `[feed.request]` for one request, and the origins it may go to.
#[derive(Debug, Clone, Copy)]
pub struct FeedHeaders<'a> {
    headers: &'a RequestHeaders,
    /// The listing's public address (`url`).
    page_url: &'a Url,
    /// An http(s) `source`.
    source: Option<&'a Url>,
    /// The item page the request is for (`[feed.detail]`).
    item: Option<&'a Url>,
}

impl<'a> FeedHeaders<'a> {
    /// `spec`'s headers, for a request of its listing or of another page of its own, or for
    /// the item page at `item`; `None` when the feed sets none.
    pub(super) fn of(spec: &'a FeedSpec, item: Option<&'a Url>) -> Option<Self> {
        if spec.request.is_empty() {
            return None;
        }
        Some(FeedHeaders {
            headers: &spec.request,
            page_url: &spec.page_url,
            source: match &spec.source {
                Source::Http(url) => Some(url),
                Source::File(_) => None,
            },
            item,
        })
    }

    /// Whether a request to `url` carries the headers: it is on one of their origins.
    pub(super) fn reach(&self, url: &Url) -> bool {
        // Never in clear text when the listing is read over https.
        if url.scheme() == "http" && self.page_url.scheme() == "https" {
            return false;
        }
        [Some(self.page_url), self.source, self.item]
            .into_iter()
            .flatten()
            .any(|origin| same_origin(origin, url))
    }

    /// The headers to send, `Cookie` last; values marked sensitive (HTTP/2 keeps them out of
    /// its compression tables, and their `Debug` hides them).
    pub(super) fn lines(&self) -> Vec<(HeaderName, HeaderValue)> {
        self.headers
            .lines()
            .into_iter()
            .filter_map(|(name, value)| {
                // Both were checked when the configuration was loaded.
                let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
                let mut value = HeaderValue::from_str(&value).ok()?;
                value.set_sensitive(true);
                Some((name, value))
            })
            .collect()
    }

    /// The headers as written and their values (for the browser, which takes text).
    #[cfg(feature = "browser")]
    pub(super) fn text_lines(&self) -> Vec<(&'a str, String)> {
        self.headers.lines()
    }

    /// The names of the headers, `Cookie` included, for log lines.
    pub(super) fn names(&self) -> String {
        self.headers.names()
    }
}

/// Whether `hop` is on `own`'s origin (scheme, host, port), or is the https form of an http
/// `own` on default ports (a site that moved to https).
fn same_origin(own: &Url, hop: &Url) -> bool {
    if own.origin() == hop.origin() {
        return true;
    }
    own.scheme() == "http"
        && hop.scheme() == "https"
        && own.port().is_none()
        && hop.port().is_none()
        && own.host().is_some()
        && own.host() == hop.host()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn an_origin_is_scheme_host_and_port_and_http_moves_up_to_https() {
        let own = url("http://news.example.org/list");
        assert!(same_origin(&own, &url("http://NEWS.example.org:80/a?b")));
        assert!(same_origin(&own, &url("https://news.example.org/a")));
        assert!(!same_origin(&own, &url("https://news.example.org:8443/a")));
        assert!(!same_origin(&own, &url("http://news.example.org:8080/a")));
        assert!(!same_origin(&own, &url("http://www.news.example.org/a")));
        assert!(!same_origin(&own, &url("http://example.org/a")));
        let secure = url("https://news.example.org/list");
        assert!(!same_origin(&secure, &url("http://news.example.org/a")));
        let port = url("http://127.0.0.1:8080/list");
        assert!(same_origin(&port, &url("http://127.0.0.1:8080/x")));
        assert!(!same_origin(&port, &url("http://127.0.0.1:8081/x")));
        assert!(!same_origin(&port, &url("https://127.0.0.1:8080/x")));
    }
}
