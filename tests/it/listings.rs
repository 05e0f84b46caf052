//! Several listings, one feed (issue 18): `url` as a list of listing pages on the scripted
//! server at 127.0.0.1, merged into one feed: order, links, an item on two pages, a failing
//! page that keeps the last good feed, unchanged pages that leave the files alone, `check`,
//! `status`, and the configuration mistakes a list can hold.

use std::path::PathBuf;
use std::time::Duration;

use pressfeed_testkit::server::{Reply, TestServer};
use pressfeed_testkit::{parse_atom, parse_rss, pressfeed, stderr};

/// A feed `office` of the listing pages `urls` in a temporary folder, `keys` added to it.
struct Office {
    _dir: tempfile::TempDir,
    config: PathBuf,
    out: PathBuf,
}

impl Office {
    fn new(urls: &[String], keys: &str) -> Office {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let config = dir.path().join("config.toml");
        let text = format!(
            "[output]\ndir = {out:?}\n\n[fetch]\nhost_delay = 0\nretries = 0\n\n\
             [[feed]]\nid = \"office\"\ntitle = \"Office news\"\nurl = {urls:?}\n{keys}\n\n\
             [feed.selectors]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a\"\ndate = \"time\"\n",
            out = out.to_str().unwrap(),
        );
        std::fs::write(&config, text).unwrap();
        Office {
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

    /// The RSS items' titles and links, in feed order.
    fn rss_items(&self) -> Vec<(String, String)> {
        parse_rss(&self.out.join("office.rss"))
            .items
            .iter()
            .map(|i| (i.title.clone().unwrap(), i.link.clone().unwrap()))
            .collect()
    }

    /// The feed's files: bytes and modification time.
    fn files(&self) -> Vec<(Vec<u8>, std::time::SystemTime)> {
        ["office.rss", "office.atom", "office.json"]
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

/// A listing page: `base` as its `<base href>`, and items of (href, title, date).
fn listing(base: Option<&str>, items: &[(&str, &str, &str)]) -> String {
    let mut html = String::from("<!doctype html><html><head>");
    if let Some(base) = base {
        html.push_str(&format!("<base href=\"{base}\">"));
    }
    html.push_str("</head><body><ul>\n");
    for (href, title, date) in items {
        html.push_str(&format!(
            "<li><a href=\"{href}\">{title}</a> <time>{date}</time></li>\n"
        ));
    }
    html.push_str("</ul></body></html>\n");
    html
}

/// The press releases: two items, links relative to the page.
fn press() -> String {
    listing(
        None,
        &[
            ("a.html", "Press A", "2024-05-03"),
            ("b.html", "Press B", "2024-05-01"),
        ],
    )
}

/// The news: two items of its own under its `<base href>`, and press release B again (under
/// another title).
fn news() -> String {
    listing(
        Some("/news/archive/"),
        &[
            ("c.html", "News C", "2024-05-04"),
            (
                "/press/b.html",
                "Press B, as the news page lists it",
                "2024-05-01",
            ),
            ("d.html", "News D", "2024-05-02"),
        ],
    )
}

/// A server with the press releases at `/press/` and the news at `/news/`.
fn office_server(press: Vec<Reply>, news: Vec<Reply>) -> (TestServer, [String; 2]) {
    let server = TestServer::start();
    server.route("/press/", press);
    server.route("/news/", news);
    let urls = [server.url("/press/"), server.url("/news/")];
    (server, urls)
}

#[test]
fn two_listings_are_merged_into_one_feed() {
    let (server, urls) = office_server(vec![Reply::html(press())], vec![Reply::html(news())]);
    let site = Office::new(&urls, "");
    assert_eq!(stderr(&site.run().success()), "");
    let at = |path: &str| server.url(path);
    // Newest first; each page's links resolve against its own address (or `<base href>`);
    // press release B once, as the first page that lists it gives it.
    let expected = vec![
        ("News C".to_string(), at("/news/archive/c.html")),
        ("Press A".to_string(), at("/press/a.html")),
        ("News D".to_string(), at("/news/archive/d.html")),
        ("Press B".to_string(), at("/press/b.html")),
    ];
    assert_eq!(site.rss_items(), expected);
    let channel = parse_rss(&site.out.join("office.rss"));
    assert_eq!(channel.link, urls[0], "the first page is the feed's link");

    let atom = parse_atom(&site.out.join("office.atom"));
    let entries: Vec<(String, String)> = atom
        .entries()
        .iter()
        .map(|e| (e.title().to_string(), e.links()[0].href().to_string()))
        .collect();
    assert_eq!(entries, expected);
    assert_eq!(atom.links()[0].href(), urls[0]);

    assert_eq!(server.count("/press/"), 1);
    assert_eq!(server.count("/news/"), 1);

    // `status` counts the items of both pages (5 matched, 4 distinct in the history).
    let out = site.cmd(&["status", "--json"]).assert().success();
    let status: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(status[0]["feed"], "office");
    assert_eq!(status[0]["failing"], false);
    assert_eq!(status[0]["items_in_history"], 4);
    assert_eq!(status[0]["items_on_page"], 5);

    // `check` shows each page.
    let out = site.cmd(&["check", "office"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("listing pages: 2 (their items are merged, each once)\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!("  1. {}: 2 items (the table above)\n", urls[0])),
        "{text}"
    );
    assert!(
        text.contains(&format!("  2. {}: 3 items\n", urls[1])),
        "{text}"
    );
}

#[test]
fn a_failing_listing_page_fails_the_run_and_keeps_the_feed() {
    let (server, urls) = office_server(
        vec![Reply::html(press())],
        vec![
            Reply::html(news()),
            Reply::Status(500, vec![]),
            Reply::html("<html><body><p>Moved</p></body></html>"),
        ],
    );
    let site = Office::new(&urls, "");
    site.run().success();
    let before = site.files();
    std::thread::sleep(Duration::from_millis(20));

    let text = stderr(&site.run().code(1));
    assert_eq!(
        text.lines().next().unwrap(),
        format!(
            "pressfeed: error: feed \"office\": field \"url\": {} answered HTTP 500 Internal Server Error; its previous feed files and history are kept",
            urls[1]
        )
    );
    assert_eq!(
        site.files(),
        before,
        "the previous feed is kept, byte for byte"
    );

    let text = stderr(&site.run().code(1));
    assert_eq!(
        text.lines().next().unwrap(),
        format!(
            "pressfeed: error: feed \"office\": field \"selectors.item\": listing page {}: \"li\" matches nothing on the page (38 bytes; has its layout changed?); its previous feed files and history are kept",
            urls[1]
        )
    );
    assert_eq!(site.files(), before);
    assert_eq!(server.count("/news/"), 3);

    // `check` says which page a run would fail on.
    let out = site.cmd(&["check", "office"]).assert().code(1);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains(&format!(
            "  2. {}: a run would fail: feed \"office\": field \"selectors.item\": listing page {}: \"li\" matches nothing",
            urls[1], urls[1]
        )),
        "{text}"
    );
}

#[test]
fn unchanged_listings_leave_the_feed_untouched() {
    let updated = listing(
        Some("/news/archive/"),
        &[
            ("e.html", "News E", "2024-05-05"),
            ("c.html", "News C", "2024-05-04"),
        ],
    );
    let (server, urls) = office_server(
        vec![Reply::html(press()).etag("\"p1\"")],
        vec![
            Reply::html(news()).etag("\"n1\""),
            Reply::html(news()).etag("\"n1\""),
            Reply::html(updated).etag("\"n2\""),
        ],
    );
    let site = Office::new(&urls, "");
    site.run().success();
    let before = site.files();
    std::thread::sleep(Duration::from_millis(20));

    // Each page is asked with its own validators; both 304: nothing is rewritten.
    assert_eq!(stderr(&site.run().success()), "");
    assert_eq!(site.files(), before, "two 304s leave the feed untouched");
    let press_asked = server.requests("/press/");
    let news_asked = server.requests("/news/");
    assert_eq!(press_asked[1].headers["if-none-match"], "\"p1\"");
    assert_eq!(press_asked[1].status, 304);
    assert_eq!(news_asked[1].headers["if-none-match"], "\"n1\"");
    assert_eq!(news_asked[1].status, 304);

    // The news changed, the press releases did not: those are read whole again (the feed
    // needs their items), and the feed gains the news.
    site.run().success();
    let press_asked = server.requests("/press/");
    assert_eq!(press_asked.len(), 4);
    assert_eq!(press_asked[2].status, 304);
    assert!(!press_asked[3].headers.contains_key("if-none-match"));
    assert_eq!(press_asked[3].status, 200);
    let titles: Vec<String> = site.rss_items().into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        titles,
        ["News E", "News C", "Press A", "News D", "Press B"],
        "News D left the page but stays for keep_days"
    );

    // Pages without validators, the same bytes again: the feed is left alone too.
    let (server, urls) = office_server(vec![Reply::html(press())], vec![Reply::html(news())]);
    let site = Office::new(&urls, "");
    site.run().success();
    let before = site.files();
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(stderr(&site.run().success()), "");
    assert_eq!(
        site.files(),
        before,
        "the same bytes leave the feed untouched"
    );
    assert_eq!(server.count("/press/"), 2);
    assert_eq!(server.count("/news/"), 2);
}

#[test]
fn url_list_mistakes_name_the_feed_field_and_entry() {
    let a = "https://example.org/press/";
    let b = "https://example.org/news/";
    for (urls, keys, expected) in [
        (
            vec![],
            "",
            "field \"url\": is an empty list: give the listing page's address, or a list of listing pages",
        ),
        (
            vec![a, b, a],
            "",
            "field \"url\": entry 3 (\"https://example.org/press/\") is entry 1 again: list each page once",
        ),
        (
            vec![a, "ftp://example.org/news/"],
            "",
            "field \"url\": entry 2: \"ftp://example.org/news/\" is not an http(s) URL",
        ),
        (
            vec![a, b],
            "source = \"saved.html\"",
            "field \"source\": stands for one page, and `url` lists several",
        ),
        (
            vec![a, b],
            "[feed.pagination]\npattern = \"https://example.org/press/{page}\"",
            "field \"pagination\": follows the older pages of one listing, and `url` lists several: list the older pages in `url` instead",
        ),
    ] {
        let urls: Vec<String> = urls.into_iter().map(String::from).collect();
        let site = Office::new(&urls, keys);
        let err = stderr(&site.run().code(2));
        assert!(err.contains("config.toml:"), "{err}");
        assert!(err.contains(": feed \"office\": "), "{err}");
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}
