//! `[feed.request]` (issue 18): headers and cookies a site wants, as the scripted servers see
//! them. They go to the listing's origin and to item pages' origins, and nowhere else: not to
//! another origin a redirect or an older page leads to (another port is another origin), not
//! with `robots.txt`. Bad or refused headers fail at load, naming the feed and the field; no
//! log line holds a value.

use pressfeed_testkit::server::{Logged, Reply, TestServer};
use pressfeed_testkit::{HttpSite, stderr};

const LANGUAGE: &str = "zh-CN,zh;q=0.9";
const REFERER: &str = "https://referrer.example/from-4c1d";
const TOKEN: &str = "tok-8d2e77a1";
const CONSENT: &str = "consent-5f0b3e";

/// The `[feed.request]` of these tests.
const REQUEST: &str = "[feed.request]\n\
    headers = { \"Accept-Language\" = \"zh-CN,zh;q=0.9\", Referer = \"https://referrer.example/from-4c1d\", \"X-Token\" = \"tok-8d2e77a1\" }\n\
    cookies = { consent = \"consent-5f0b3e\", lang = \"zh\" }\n";

/// A listing of `ul.news > li` items linking to `links`, with a next page when given.
fn listing(links: &[String], next: Option<&str>) -> String {
    let links: Vec<&str> = links.iter().map(String::as_str).collect();
    crate::egress::listing(&links, next)
}

/// The shipped feed reading `url` with `ul.news > li` items and `tables` (`[feed.request]`,
/// `[feed.detail]`, …).
fn site(url: &str, tables: &str) -> HttpSite {
    crate::egress::site(url, "retries = 0", tables)
}

/// Whether `request` carried every header and cookie of [`REQUEST`], exactly.
fn carries_all(request: &Logged) -> bool {
    let header = |name: &str| request.headers.get(name).map(String::as_str);
    header("accept-language") == Some(LANGUAGE)
        && header("referer") == Some(REFERER)
        && header("x-token") == Some(TOKEN)
        && header("cookie") == Some("consent=consent-5f0b3e; lang=zh")
}

/// Whether `request` carried none of them.
fn carries_none(request: &Logged) -> bool {
    ["accept-language", "referer", "x-token", "cookie"]
        .iter()
        .all(|name| !request.headers.contains_key(*name))
}

/// The one request for `path`, asserted to be one.
fn one(server: &TestServer, path: &str) -> Logged {
    let requests = server.requests(path);
    assert_eq!(requests.len(), 1, "{path}: {requests:?}");
    requests.into_iter().next().unwrap()
}

fn article(text: &str) -> Reply {
    Reply::html(format!(
        "<html><body><article>{text}</article></body></html>"
    ))
}

#[test]
fn headers_and_cookies_go_to_the_listing_and_item_page_origins_only() {
    let own = TestServer::start();
    // Another port of the same machine: another origin.
    let other = TestServer::start();
    let links = vec![own.url("/a/1"), other.url("/b/item"), own.url("/a/moved")];
    own.route(
        "/page",
        vec![Reply::html(listing(&links, Some(&other.url("/b/older"))))],
    );
    own.route("/a/1", vec![article("Own item")]);
    own.route(
        "/a/moved",
        vec![Reply::Redirect(other.url("/b/moved-here"))],
    );
    other.route("/b/item", vec![article("Item elsewhere")]);
    other.route("/b/moved-here", vec![article("Moved item")]);
    other.route(
        "/b/older",
        vec![Reply::html(listing(&[own.url("/a/1")], None))],
    );
    let tables = format!(
        "[feed.detail]\ncontent = \"article\"\n\n[feed.pagination]\nnext = \"a.next\"\n\n{REQUEST}"
    );
    let site = site(&own.url("/page"), &tables);
    let run = site
        .cmd(&["-v", "run"])
        .env("PRESSFEED_LOG", "pressfeed=trace")
        .assert()
        .success();
    let log = stderr(&run);

    // The listing's origin: the listing and its item page.
    assert!(
        carries_all(&one(&own, "/page")),
        "{:?}",
        own.requests("/page")
    );
    assert!(carries_all(&one(&own, "/a/1")));
    // An item page on another origin is that item page's origin.
    assert!(
        carries_all(&one(&other, "/b/item")),
        "{:?}",
        other.requests("/b/item")
    );
    // An item page that redirects elsewhere: the first hop has them, the next none.
    assert!(carries_all(&one(&own, "/a/moved")));
    let moved = one(&other, "/b/moved-here");
    assert!(carries_none(&moved), "{moved:?}");
    // An older page on another origin is no item page.
    let older = one(&other, "/b/older");
    assert!(carries_none(&older), "{older:?}");
    // robots.txt, of the listing's origin or another, is read without them.
    for server in [&own, &other] {
        let robots = one(server, "/robots.txt");
        assert!(carries_none(&robots), "{robots:?}");
    }

    // The log names the headers, never their values.
    assert!(
        log.contains("sent with [feed.request] Accept-Language, Referer, X-Token, Cookie"),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "{}: another origin, sent without [feed.request] headers",
            other.url("/b/older")
        )),
        "{log}"
    );
    for value in [LANGUAGE, REFERER, TOKEN, CONSENT, "lang=zh"] {
        assert!(!log.contains(value), "{value} in the log:\n{log}");
    }
}

#[test]
fn a_listing_that_moved_to_another_origin_is_read_there_without_them() {
    let own = TestServer::start();
    let other = TestServer::start();
    own.route("/page", vec![Reply::Redirect(other.url("/page"))]);
    other.route(
        "/page",
        vec![Reply::html(listing(&[other.url("/x")], None))],
    );
    let site = site(&own.url("/page"), REQUEST);
    site.run().success();
    assert!(carries_all(&one(&own, "/page")));
    let moved = one(&other, "/page");
    assert!(carries_none(&moved), "{moved:?}");
    assert!(moved.headers.contains_key("user-agent"), "{moved:?}");
}

#[test]
fn a_file_source_sends_them_to_the_item_pages_of_its_url() {
    let own = TestServer::start();
    own.route("/a/1", vec![article("Own item")]);
    let site = site(
        &own.url("/page"),
        &format!("[feed.detail]\ncontent = \"article\"\n\n{REQUEST}"),
    );
    let page = site.dir.path().join("page.html");
    std::fs::write(&page, listing(&[own.url("/a/1")], None)).unwrap();
    let text = std::fs::read_to_string(&site.config).unwrap();
    let text = text.replace(
        "timezone = ",
        &format!("source = {:?}\ntimezone = ", page.to_str().unwrap()),
    );
    std::fs::write(&site.config, text).unwrap();
    site.run().success();
    assert!(carries_all(&one(&own, "/a/1")));
    assert_eq!(own.count("/page"), 0);
}

#[test]
fn refused_and_malformed_headers_fail_at_load_naming_feed_and_field() {
    let cases = [
        (
            "headers = { Host = \"evil.example\" }",
            "field \"request.headers\": \"Host\" cannot be set here: the HTTP client sets it for each connection (framing and hop-by-hop headers)",
        ),
        (
            "headers = { \"Content-Length\" = \"12\" }",
            "field \"request.headers\": \"Content-Length\" cannot be set here: the HTTP client sets it",
        ),
        (
            "headers = { \"Accept Language\" = \"en\" }",
            "field \"request.headers\": \"Accept Language\" is not a header name",
        ),
        (
            "headers = { Cookie = \"a=b\" }",
            "field \"request.headers\": \"Cookie\" cannot be set here: write cookies as `cookies = { name = \"value\" }`",
        ),
        (
            "headers = { \"User-Agent\" = \"x\" }",
            "field \"request.headers\": \"User-Agent\" cannot be set here: set `user_agent`",
        ),
        (
            "cookies = { consent = \"yes; admin=1\" }",
            "field \"request.cookies\": the value of cookie \"consent\" cannot be sent",
        ),
    ];
    let server = TestServer::start();
    for (request, expected) in cases {
        let site = site(
            &server.url("/page"),
            &format!("[feed.request]\n{request}\n"),
        );
        let text = stderr(&site.run().failure());
        let line = site.config.display().to_string();
        assert!(text.contains(&format!("{line}:")), "{text}");
        assert!(text.contains(": feed \"ilo-china\": "), "{text}");
        assert!(text.contains(expected), "{expected}\n{text}");
        assert!(!text.contains("admin=1"), "{text}");
    }
    assert_eq!(server.count("/page"), 0, "nothing is fetched");
}
