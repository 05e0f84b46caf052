//! `[feed.request]`: headers and cookies the feed's requests carry, checked at load. Headers
//! the HTTP client or pressfeed sets itself are refused; messages quote names, never values.

use std::collections::BTreeMap;
use std::fmt;

use toml::Spanned;

use super::raw::RawRequest;
use super::{ConfigError, Ctx, Problem};
use crate::spec::RequestHeaders;
use RequestProblem as P;

/// Why `name` cannot be set in `[feed.request] headers`, if it cannot.
fn refusal(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "host"
        | "content-length"
        | "transfer-encoding"
        | "connection"
        | "keep-alive"
        | "proxy-connection"
        | "proxy-authorization"
        | "te"
        | "trailer"
        | "upgrade"
        | "expect" => {
            "the HTTP client sets it for each connection (framing and hop-by-hop headers)"
        }
        "cookie" => "write cookies as `cookies = { name = \"value\" }` (sent as one Cookie header)",
        "user-agent" => "set `user_agent` on the feed or in [fetch]",
        "if-none-match"
        | "if-modified-since"
        | "if-match"
        | "if-unmodified-since"
        | "if-range"
        | "range" => {
            "pressfeed asks conditionally itself, with the validators the server last sent, and reads pages whole"
        }
        "accept-encoding" => "pressfeed asks for the compressions it can undo",
        _ => return None,
    })
}

/// An RFC 9110 token character: what header and cookie names are made of.
fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// A header value that can be sent: printable ASCII, spaces and tabs.
fn header_value_char(c: char) -> bool {
    c == '\t' || (' '..='~').contains(&c)
}

/// A cookie value (RFC 6265): printable ASCII but space, `"`, `,`, `;` and `\`, optionally in
/// double quotes.
fn cookie_value(value: &str) -> bool {
    let inner = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    inner
        .chars()
        .all(|c| ('!'..='~').contains(&c) && !matches!(c, '"' | ',' | ';' | '\\'))
}

/// The entries of a table in file order (a `BTreeMap` orders them by name).
fn in_file_order(
    table: &BTreeMap<Spanned<String>, Spanned<String>>,
) -> Vec<(&Spanned<String>, &Spanned<String>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(name, _)| name.span().start);
    entries
}

/// Compiles `[feed.request]`; nothing to send when it is absent.
pub(super) fn compile(
    ctx: Ctx<'_>,
    raw: Option<&RawRequest>,
) -> Result<RequestHeaders, ConfigError> {
    let Some(raw) = raw else {
        return Ok(RequestHeaders::default());
    };
    let wrong = |span, field, problem| ctx.invalid(span, field, Problem::Request(problem));
    let field = "request.headers";
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in in_file_order(&raw.headers) {
        let text = name.get_ref().trim();
        let named = text.to_string();
        if text.is_empty() || !text.chars().all(token_char) {
            return wrong(name.span(), field, P::BadHeaderName(named));
        }
        if let Some(why) = refusal(text) {
            return wrong(name.span(), field, P::RefusedHeader { name: named, why });
        }
        if headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(text)) {
            return wrong(name.span(), field, P::HeaderTwice(named));
        }
        let sent = value.get_ref().trim();
        if !sent.chars().all(header_value_char) {
            return wrong(value.span(), field, P::BadHeaderValue(named));
        }
        headers.push((named, sent.to_string()));
    }
    let field = "request.cookies";
    let mut cookies: Vec<(String, String)> = Vec::new();
    for (name, value) in in_file_order(&raw.cookies) {
        let named = name.get_ref().clone();
        if named.is_empty() || !named.chars().all(token_char) {
            return wrong(name.span(), field, P::BadCookieName(named));
        }
        if !cookie_value(value.get_ref()) {
            return wrong(value.span(), field, P::BadCookieValue(named));
        }
        cookies.push((named, value.get_ref().clone()));
    }
    Ok(RequestHeaders::new(headers, cookies))
}

/// What is wrong in `[feed.request]`. Names are quoted, values never (a cookie may be a
/// secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestProblem {
    /// A header name that is not a token.
    BadHeaderName(String),
    /// A header pressfeed or its HTTP client sets (its name, and why it cannot be set).
    RefusedHeader {
        /// The name as written.
        name: String,
        /// Why it cannot be set, and what to write instead.
        why: &'static str,
    },
    /// A header set twice (names differ only in case).
    HeaderTwice(String),
    /// A header value that cannot be sent (the header's name).
    BadHeaderValue(String),
    /// A cookie name that is not a token.
    BadCookieName(String),
    /// A cookie value that cannot be sent (the cookie's name).
    BadCookieValue(String),
}

impl fmt::Display for RequestProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestProblem::BadHeaderName(name) => write!(
                f,
                "\"{name}\" is not a header name (letters, digits and !#$%&'*+-.^_`|~)"
            ),
            RequestProblem::RefusedHeader { name, why } => {
                write!(f, "\"{name}\" cannot be set here: {why}")
            }
            RequestProblem::HeaderTwice(name) => write!(
                f,
                "\"{name}\" is set twice (header names are the same whatever their case)"
            ),
            RequestProblem::BadHeaderValue(name) => write!(
                f,
                "the value of \"{name}\" cannot be sent: printable ASCII only, no line breaks (percent-encode the rest)"
            ),
            RequestProblem::BadCookieName(name) => write!(
                f,
                "\"{name}\" is not a cookie name (letters, digits and !#$%&'*+-.^_`|~)"
            ),
            RequestProblem::BadCookieValue(name) => write!(
                f,
                "the value of cookie \"{name}\" cannot be sent: printable ASCII without spaces, '\"', ',', ';' or '\\' (percent-encode them)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::spec::Config;

    fn load(request: &str) -> Result<Config, crate::config::ConfigError> {
        let text = format!(
            "[[feed]]\nid = \"t\"\ntitle = \"T\"\nurl = \"https://example.org/\"\n\
             [feed.selectors]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a\"\n\
             [feed.request]\n{request}\n"
        );
        Config::parse(&text, Path::new("t.toml"))
    }

    fn error(request: &str) -> String {
        load(request).unwrap_err().to_string()
    }

    #[test]
    fn headers_and_cookies_keep_file_order_and_hide_their_values() {
        let config = load(
            "headers = { \"X-B\" = \" two \", \"Accept-Language\" = \"zh-CN,zh;q=0.9\" }\n\
             cookies = { consent = \"yes\", a = \"\\\"q\\\"\" }",
        )
        .unwrap();
        let request = &config.feeds[0].request;
        let lines = request.lines();
        assert_eq!(
            lines,
            vec![
                ("X-B", "two".to_string()),
                ("Accept-Language", "zh-CN,zh;q=0.9".to_string()),
                ("Cookie", "consent=yes; a=\"q\"".to_string()),
            ]
        );
        let shown = format!("{:?}", config.feeds[0]);
        assert!(
            shown.contains("\"Accept-Language\", <redacted, 14 bytes>"),
            "{shown}"
        );
        assert!(
            !shown.contains("zh-CN,zh") && !shown.contains("yes"),
            "{shown}"
        );
    }

    #[test]
    fn headers_the_client_or_pressfeed_sets_are_refused_with_the_field_named() {
        for (name, why) in [
            ("Host", "HTTP client"),
            ("content-length", "HTTP client"),
            ("Transfer-Encoding", "HTTP client"),
            ("Proxy-Authorization", "HTTP client"),
            ("TE", "HTTP client"),
            ("Cookie", "cookies = {"),
            ("User-Agent", "user_agent"),
            ("If-None-Match", "conditionally"),
            ("If-Modified-Since", "conditionally"),
            ("Accept-Encoding", "compressions"),
        ] {
            let message = error(&format!("headers = {{ \"{name}\" = \"secret-1\" }}"));
            assert!(
                message.starts_with("t.toml:10:13: feed \"t\": field \"request.headers\": \""),
                "{message}"
            );
            assert!(
                message.contains(&format!("\"{name}\" cannot be set here")),
                "{message}"
            );
            assert!(message.contains(why), "{message}");
            assert!(!message.contains("secret-1"), "{message}");
        }
    }

    #[test]
    fn names_and_values_that_cannot_be_sent_are_refused_without_quoting_values() {
        let message = error("headers = { \"Bad Name\" = \"v\" }");
        assert_eq!(
            message,
            "t.toml:10:13: feed \"t\": field \"request.headers\": \"Bad Name\" is not a header name (letters, digits and !#$%&'*+-.^_`|~)"
        );
        let message = error("headers = { \"X-A\" = \"line\\nbreak-secret\" }");
        assert!(message.starts_with("t.toml:10:21: "), "{message}");
        assert!(
            message.contains("the value of \"X-A\" cannot be sent"),
            "{message}"
        );
        assert!(!message.contains("secret"), "{message}");
        let message = error("headers = { \"X-A\" = \"1\", \"x-a\" = \"2\" }");
        assert!(message.contains("\"x-a\" is set twice"), "{message}");
        let message = error("cookies = { \"a b\" = \"1\" }");
        assert!(message.contains("field \"request.cookies\": \"a b\" is not a cookie name"));
        let message = error("cookies = { sid = \"se cret\" }");
        assert!(
            message.contains("the value of cookie \"sid\" cannot be sent"),
            "{message}"
        );
        assert!(!message.contains("se cret"), "{message}");
        let message = error("header = { \"X-A\" = \"1\" }");
        assert!(message.contains("unknown field `header`"), "{message}");
    }
}
