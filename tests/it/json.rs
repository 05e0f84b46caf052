//! JSON sources (issue 17): `format = "json"` feeds read from a JSON endpoint or from JSON
//! embedded in an HTML page, on the scripted server at 127.0.0.1: feeds read back, conditional
//! requests, per-item warnings, and bad bodies that fail the run and keep the previous feed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pressfeed_testkit::server::{Reply, TestServer};
use pressfeed_testkit::{parse_atom, parse_rss, pressfeed, stderr};

/// A JSON feed `api` in a temporary folder: `keys` added to the feed, `selectors` as its
/// `[feed.selectors]`.
struct JsonSite {
    _dir: tempfile::TempDir,
    config: PathBuf,
    out: PathBuf,
}

impl JsonSite {
    fn new(url: &str, keys: &str, selectors: &str) -> JsonSite {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let config = dir.path().join("config.toml");
        let text = format!(
            "[output]\ndir = {out:?}\n\n[fetch]\nhost_delay = 0\nretries = 0\n\n\
             [[feed]]\nid = \"api\"\ntitle = \"API news\"\nurl = {url:?}\nformat = \"json\"\n\
             {keys}\n\n[feed.selectors]\n{selectors}\n",
            out = out.to_str().unwrap(),
        );
        std::fs::write(&config, text).unwrap();
        JsonSite {
            _dir: dir,
            config,
            out,
        }
    }

    fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = pressfeed();
        cmd.arg("--config").arg(&self.config).args(args);
        cmd
    }

    fn run(&self) -> assert_cmd::assert::Assert {
        self.cmd(&["run"]).assert()
    }

    fn rss(&self) -> rss::Channel {
        parse_rss(&self.out.join("api.rss"))
    }

    fn titles(&self) -> Vec<String> {
        self.rss()
            .items
            .iter()
            .map(|i| i.title.clone().unwrap())
            .collect()
    }

    fn files(&self) -> Vec<(Vec<u8>, std::time::SystemTime)> {
        ["api.rss", "api.atom"]
            .iter()
            .map(|name| {
                let path = self.out.join(name);
                (
                    std::fs::read(&path).unwrap(),
                    std::fs::metadata(&path).unwrap().modified().unwrap(),
                )
            })
            .collect()
    }
}

fn json(body: impl Into<Vec<u8>>) -> Reply {
    Reply::html(body).content_type("application/json")
}

const POSTS: &str = r#"{"data": {"posts": [
  {"title": "First   post", "url": "/posts/1", "meta": {"published": "2024-05-01T10:00:00Z"},
   "body_html": "<p>Hello <b>world</b><script>x()</script> <a href=\"/about\">about</a></p>"},
  {"title": "Second", "url": "https://other.example/2", "meta": {"published": 1714600000},
   "body_html": "Plain"},
  {"title": 42, "url": "/posts/3", "meta": {"published": 1714700000000}, "body_html": null}
]}}"#;

const POST_SELECTORS: &str = "item = \"$.data.posts[*]\"\ntitle = \"$.title\"\n\
    link = { selector = \"$.url\" }\ndate = \"$.meta.published\"\nsummary = \"$.body_html\"";

#[test]
fn a_json_api_becomes_rss_and_atom() {
    let server = TestServer::start();
    server.route("/api/posts", vec![json(POSTS)]);
    let site = JsonSite::new(
        &server.url("/api/posts"),
        "summary_format = \"html\"",
        POST_SELECTORS,
    );
    assert_eq!(stderr(&site.run().success()), "");

    let channel = site.rss();
    // Newest first: a Unix time in milliseconds, one in seconds, an RFC 3339 text.
    let titles = site.titles();
    assert_eq!(titles, ["42", "Second", "First post"]);
    let items = &channel.items;
    assert_eq!(
        items[0].link.as_deref(),
        Some(server.url("/posts/3").as_str())
    );
    assert_eq!(items[1].link.as_deref(), Some("https://other.example/2"));
    assert_eq!(
        items[2].link.as_deref(),
        Some(server.url("/posts/1").as_str())
    );
    assert_eq!(
        items[0].pub_date.as_deref(),
        Some("Fri, 3 May 2024 01:33:20 +0000")
    );
    assert_eq!(
        items[1].pub_date.as_deref(),
        Some("Wed, 1 May 2024 21:46:40 +0000")
    );
    assert_eq!(
        items[2].pub_date.as_deref(),
        Some("Wed, 1 May 2024 10:00:00 +0000")
    );
    // The HTML summary is sanitised as a page's is: script gone, links absolute.
    let summary = items[2].description.as_deref().unwrap();
    assert!(summary.contains("Hello <b>world</b>"), "{summary}");
    assert!(
        !summary.contains("script") && !summary.contains("x()"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("href=\"{}\"", server.url("/about"))),
        "{summary}"
    );
    assert_eq!(items[1].description.as_deref(), Some("Plain"));
    assert_eq!(items[0].description, None);

    let feed = parse_atom(&site.out.join("api.atom"));
    let entries = feed.entries();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[2].title().as_str(), "First post");
    assert_eq!(entries[2].links()[0].href(), server.url("/posts/1"));
    assert_eq!(
        entries[0].published().map(|d| d.to_rfc3339()),
        Some("2024-05-03T01:33:20+00:00".to_string())
    );
}

#[test]
fn a_json_api_is_asked_for_conditionally() {
    let server = TestServer::start();
    server.route("/api/posts", vec![json(POSTS).etag("\"j1\"")]);
    let site = JsonSite::new(&server.url("/api/posts"), "", POST_SELECTORS);
    assert_eq!(stderr(&site.run().success()), "");
    assert_eq!(site.titles().len(), 3);
    // Text summaries drop the markup.
    let channel = site.rss();
    assert_eq!(
        channel.items[2].description.as_deref(),
        Some("Hello world about")
    );
    let before = site.files();
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(stderr(&site.run().success()), "");
    assert_eq!(site.files(), before, "a 304 leaves the feeds untouched");
    let requests = server.requests("/api/posts");
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].status, 200);
    assert_eq!(
        requests[1].headers.get("if-none-match").map(String::as_str),
        Some("\"j1\"")
    );
    assert_eq!(requests[1].status, 304);
}

#[test]
fn json_embedded_in_an_html_page_is_read() {
    let page = r#"<!DOCTYPE html><html><head><title>News</title></head><body>
<div id="__next"></div>
<script id="__NEXT_DATA__" type="application/json">{"props": {"pageProps": {"news": [
  {"headline": "Rates held", "slug": "news/rates-held", "at": "2024-03-01T09:00:00+01:00"},
  {"headline": "Budget &amp; tax", "slug": "news/budget", "at": "2024-02-01T09:00:00+01:00"}
]}}}</script></body></html>"#;
    let shell = "<!DOCTYPE html><html><body><div id=\"app\"></div></body></html>";
    let server = TestServer::start();
    server.route("/news/", vec![Reply::html(page), Reply::html(shell)]);
    let site = JsonSite::new(
        &server.url("/news/"),
        "embedded = \"script#__NEXT_DATA__\"",
        "item = \"$.props.pageProps.news[*]\"\ntitle = \"$.headline\"\nlink = \"$.slug\"\n\
         date = \"$.at\"",
    );
    assert_eq!(stderr(&site.run().success()), "");
    let channel = site.rss();
    // A title given as HTML (an API's `title.rendered`) is read as text: `&amp;` is `&`.
    assert_eq!(site.titles(), ["Rates held", "Budget & tax"]);
    assert_eq!(
        channel.items[0].link.as_deref(),
        Some(server.url("/news/news/rates-held").as_str())
    );
    assert_eq!(
        channel.items[0].pub_date.as_deref(),
        Some("Fri, 1 Mar 2024 09:00:00 +0100")
    );

    // The app shell without its data: the error names the feed and `embedded`; files kept.
    let before = site.files();
    let failed = site.run().code(1);
    let err = stderr(&failed);
    assert!(
        err.contains(
            "feed \"api\": field \"embedded\": \"script#__NEXT_DATA__\" matches nothing on the page"
        ),
        "{err}"
    );
    assert_eq!(site.files(), before);
}

#[test]
fn missing_fields_and_wrong_types_warn_per_item() {
    let body = r#"{"items": [
  {"title": "Good", "url": "/a", "date": "2024-01-02T00:00:00Z"},
  {"url": "/b", "date": "2024-01-03T00:00:00Z"},
  {"title": ["not", "text"], "url": "/c"},
  {"title": "Object summary", "url": "/e", "summary": {"a": 1}, "date": [1]},
  {"title": true, "url": "/f", "date": 1704153600},
  {"title": "No link", "date": "2024-01-04T00:00:00Z"}
]}"#;
    let server = TestServer::start();
    server.route("/api", vec![json(body)]);
    let site = JsonSite::new(
        &server.url("/api"),
        "",
        "item = \"$.items[*]\"\ntitle = \"$.title\"\nlink = \"$.url\"\ndate = \"$.date\"\n\
         summary = \"$.summary\"",
    );
    // Item warnings are shown with -v (a run under cron prints nothing for them).
    let err = stderr(&site.cmd(&["run", "-v"]).assert().success());
    for expected in [
        "pressfeed: warning: feed \"api\": item 2 (link /b): field \"title\": \"$.title\" finds no text in the item; the item is skipped",
        "item 3 (link /c): field \"title\": \"$.title\" is an array, not text; the field is left out",
        "item 3 (link /c): field \"title\": \"$.title\" finds no text in the item; the item is skipped",
        "item 4 \"Object summary\": field \"summary\": \"$.summary\" is an object, not text",
        "item 4 \"Object summary\": field \"date\": \"$.date\" is an array, not text",
        "item 6 \"No link\": field \"link\": no link found; the item links to the page",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    let mut titles = site.titles();
    titles.sort();
    assert_eq!(titles, ["Good", "No link", "Object summary", "true"]);
    let channel = site.rss();
    let item = channel
        .items
        .iter()
        .find(|i| i.title.as_deref() == Some("true"))
        .unwrap();
    assert_eq!(
        item.pub_date.as_deref(),
        Some("Tue, 2 Jan 2024 00:00:00 +0000")
    );
    let summaryless = channel
        .items
        .iter()
        .find(|i| i.title.as_deref() == Some("Object summary"))
        .unwrap();
    assert_eq!(summaryless.description, None);
}

#[test]
fn bad_bodies_fail_clearly_and_keep_the_previous_feed() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let not_utf8: &[u8] = b"\x80\x81 not json \xc3\x28 {";
    let server = TestServer::start();
    server.route(
        "/api/posts",
        vec![
            json(POSTS),
            json(deep),
            json(not_utf8),
            json(r#"{"data": {"posts": []}}"#),
        ],
    );
    let site = JsonSite::new(&server.url("/api/posts"), "", POST_SELECTORS);
    site.run().success();
    let before = site.files();
    for expected in [
        "feed \"api\": field \"url\": the page is not JSON: recursion limit exceeded at line 1 column 128",
        "feed \"api\": field \"url\": the page is not JSON: expected value at line 1 column 1",
        "feed \"api\": field \"selectors.item\": \"$.data.posts[*]\" matches nothing on the page",
    ] {
        let err = stderr(&site.run().code(1));
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
        assert!(!err.contains("panic"), "{err}");
        assert_eq!(site.files(), before, "the previous feed is kept");
    }
}

#[test]
fn a_hundred_thousand_items_keep_the_newest() {
    let mut body = String::from("{\"items\": [");
    for i in 0..100_000u64 {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            "{{\"t\": \"Item {i}\", \"u\": \"/i/{i}\", \"d\": {}}}",
            1_600_000_000 + i * 60
        ));
    }
    body.push_str("]}");
    let server = TestServer::start();
    server.route("/api", vec![json(body)]);
    let site = JsonSite::new(
        &server.url("/api"),
        "max_body_bytes = 50_000_000",
        "item = \"$.items[*]\"\ntitle = \"$.t\"\nlink = \"$.u\"\ndate = \"$.d\"",
    );
    let started = Instant::now();
    assert_eq!(stderr(&site.run().success()), "");
    let took = started.elapsed();
    let titles = site.titles();
    assert_eq!(titles.len(), pressfeed::DEFAULT_MAX_ITEMS);
    assert_eq!(titles[0], "Item 99999");
    assert_eq!(titles[49], "Item 99950");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn check_reads_a_json_feed() {
    let server = TestServer::start();
    server.route("/api/posts", vec![json(POSTS)]);
    let site = JsonSite::new(&server.url("/api/posts"), "", POST_SELECTORS);
    let assert = site.cmd(&["check", "api"]).assert().success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(out.starts_with("feed \"api\": 3 items from "), "{out}");
    assert!(out.contains("First post"), "{out}");
    assert!(
        out.contains("\ntitle: 3/3\nlink: 3/3\ndate: 3/3 parsed (3 found)\nsummary: 2/3\n"),
        "{out}"
    );
    assert!(!site.out.exists(), "check must not write feeds");
}

#[test]
fn json_config_mistakes_name_the_place_feed_and_field() {
    for (keys, selectors, expected) in [
        (
            "",
            "item = \"$.data[\"\ntitle = \"$.t\"\nlink = \"$.u\"",
            "field \"selectors.item\": \"$.data[\" is not a valid JSONPath",
        ),
        (
            "",
            "item = \"$[*]\"\ntitle = { selector = \"$.t\", attr = \"x\" }\nlink = \"$.u\"",
            "field \"selectors.title\": `attr` is for HTML pages",
        ),
        (
            "",
            "item = \"$[*]\"\ntitle = \"$.t\"\nlink = { before = \"h3\" }",
            "field \"selectors.link\": `before` is for HTML pages",
        ),
        (
            "embedded = \"script[\"",
            "item = \"$[*]\"\ntitle = \"$.t\"\nlink = \"$.u\"",
            "field \"embedded\": \"script[\" is not a valid CSS selector",
        ),
    ] {
        let site = JsonSite::new("https://example.org/api", keys, selectors);
        let err = stderr(&site.cmd(&["run"]).assert().code(2));
        assert!(err.contains("config.toml:"), "{err}");
        assert!(err.contains(": feed \"api\": "), "{err}");
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    // `embedded` belongs to JSON feeds.
    let site = JsonSite::new(
        "https://example.org/",
        "embedded = \"script#data\"",
        "item = \"li\"\ntitle = \"a\"\nlink = \"a\"",
    );
    let text = std::fs::read_to_string(&site.config)
        .unwrap()
        .replace("format = \"json\"\n", "");
    std::fs::write(&site.config, text).unwrap();
    let err = stderr(&site.cmd(&["run"]).assert().code(2));
    assert!(
        err.contains(
            "field \"embedded\": reads JSON embedded in an HTML page: it needs `format = \"json\"`"
        ),
        "{err}"
    );
}

#[test]
fn suggest_proposes_the_json_an_app_shell_carries_and_the_block_runs() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("shell.html");
    let posts: Vec<String> = (1..=5)
        .map(|n| {
            format!(
                r#"{{"id":{n},"title":"Press release number {n} on decent work","url":"/news/{n}","publishedAt":"2024-05-0{n}T08:00:00Z","excerpt":"The office published release {n}, about decent work, skills and social protection."}}"#
            )
        })
        .collect();
    std::fs::write(
        &page,
        format!(
            r#"<!doctype html><html lang="en"><head><title>Newsroom</title></head><body><div id="__next"></div>
<script id="__NEXT_DATA__" type="application/json">{{"props":{{"pageProps":{{"posts":[{}]}}}}}}</script>
<script src="/_next/app.js"></script></body></html>"#,
            posts.join(",")
        ),
    )
    .unwrap();
    let out = pressfeed()
        .current_dir(dir.path())
        .args([
            "suggest",
            "shell.html",
            "--url",
            "https://example.org/news/",
            "--id",
            "newsroom",
        ])
        .assert()
        .success();
    let block = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for line in [
        "format = \"json\"",
        "embedded = \"script#__NEXT_DATA__\"",
        "selectors.item = \"$.props.pageProps.posts[*]\"",
        "selectors.title = \"$.title\"",
        "selectors.link = \"$.url\"",
        "selectors.date = \"$.publishedAt\"",
        "selectors.summary = \"$.excerpt\"",
    ] {
        assert!(block.contains(&format!("\n{line}\n")), "{line}:\n{block}");
    }
    // The preview read the items through the block.
    assert!(
        block.contains("# feed \"newsroom\": 5 items from"),
        "{block}"
    );
    // Pasted into a config, the block runs.
    let config = dir.path().join("config.toml");
    std::fs::write(&config, format!("[output]\ndir = \"public\"\n\n{block}")).unwrap();
    pressfeed()
        .arg("--config")
        .arg(&config)
        .arg("run")
        .assert()
        .success();
    let channel = pressfeed_testkit::parse_rss(&dir.path().join("public/newsroom.rss"));
    let titles: Vec<&str> = channel
        .items
        .iter()
        .filter_map(|i| i.title.as_deref())
        .collect();
    assert_eq!(titles[0], "Press release number 5 on decent work");
    assert_eq!(titles.len(), 5);
    assert_eq!(
        channel.items[0].link.as_deref(),
        Some("https://example.org/news/5")
    );
}

#[test]
fn suggest_on_a_json_address_proposes_a_json_source() {
    let server = TestServer::start();
    let posts: Vec<String> = (1..=4)
        .map(|n| {
            format!(
                r#"{{"name":"Notice {n} about the office","href":"/notices/{n}","created":{}}}"#,
                1_714_000_000 + n * 86_400
            )
        })
        .collect();
    server.route(
        "/api/notices",
        vec![
            Reply::html(format!(
                r#"{{"ok":true,"data":{{"notices":[{}]}}}}"#,
                posts.join(",")
            ))
            .content_type("application/json"),
        ],
    );
    let out = pressfeed()
        .args(["suggest", &server.url("/api/notices"), "--id", "notices"])
        .assert()
        .success();
    let block = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for line in [
        "format = \"json\"",
        "selectors.item = \"$.data.notices[*]\"",
        "selectors.title = \"$.name\"",
        "selectors.link = \"$.href\"",
        "selectors.date = \"$.created\"",
    ] {
        assert!(block.contains(&format!("\n{line}\n")), "{line}:\n{block}");
    }
    assert!(!block.contains("embedded"), "{block}");
    assert!(
        block.contains("# feed \"notices\": 4 items from"),
        "{block}"
    );
    assert!(block.contains("Notice 4 about the office"), "{block}");
}
