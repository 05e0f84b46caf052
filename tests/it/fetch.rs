//! Live fetching against a scripted server on 127.0.0.1: conditional requests, retries,
//! timeouts, caps, compression, character sets, robots.txt and politeness. Every test counts
//! the requests the server saw.

use std::time::{Duration, Instant};

use pressfeed_testkit::server::{Reply, TestServer};
use pressfeed_testkit::{HttpSite, fixture, parse_rss, stderr};

const UA: &str = "pressfeed/0.1.0";

/// A server whose `/page` answers `replies`, and a site fetching it with `fetch` settings.
fn serve(replies: Vec<Reply>, fetch: &str) -> (TestServer, HttpSite) {
    let server = TestServer::start();
    server.route("/page", replies);
    let site = HttpSite::new(&server.url("/page"), fetch, "");
    (server, site)
}

#[test]
fn a_page_is_fetched_then_asked_for_conditionally() {
    for (reply, header, value) in [
        (Reply::ilo().etag("\"v1\""), "if-none-match", "\"v1\""),
        (
            Reply::ilo().last_modified("Tue, 15 Nov 1994 12:45:26 GMT"),
            "if-modified-since",
            "Tue, 15 Nov 1994 12:45:26 GMT",
        ),
    ] {
        let (server, site) = serve(vec![reply], "");
        assert_eq!(stderr(&site.run().success()), "");
        let titles = site.rss_titles();
        assert_eq!(titles.len(), 20);
        assert_eq!(
            titles[0],
            "A bigger role for labour inspectors in combatting forced labour"
        );
        // Links resolve against the address the page was fetched from.
        let channel = parse_rss(&site.out.join("ilo-china.rss"));
        for item in &channel.items {
            let link = item.link.as_deref().unwrap();
            assert!(link.starts_with(&server.url("/")), "{link}");
        }
        let before = site.files();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(stderr(&site.run().success()), "");
        assert_eq!(site.files(), before, "a 304 leaves the feeds untouched");

        let requests = server.requests("/page");
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].status, 200);
        assert!(!requests[0].headers.contains_key(header));
        assert_eq!(
            requests[1].headers.get(header).map(String::as_str),
            Some(value)
        );
        assert_eq!(requests[1].status, 304);
        assert_eq!(requests[0].headers["user-agent"], UA);
        // robots.txt: once per run.
        assert_eq!(server.count("/robots.txt"), 2);
    }
}

#[test]
fn a_feed_can_send_its_own_user_agent() {
    let (server, site) = serve(vec![Reply::ilo()], "user_agent = \"ExampleBot/2.0\"");
    site.run().success();
    assert_eq!(
        server.requests("/page")[0].headers["user-agent"],
        "ExampleBot/2.0"
    );
}

#[test]
fn not_found_fails_at_once() {
    let (server, site) = serve(vec![Reply::Status(404, vec![])], "");
    let text = stderr(&site.run().code(1));
    assert_eq!(
        text.lines().next().unwrap(),
        format!(
            "pressfeed: error: feed \"ilo-china\": field \"url\": {} answered HTTP 404 Not Found; its previous feed files and history are kept",
            server.url("/page")
        )
    );
    assert_eq!(server.count("/page"), 1, "a 404 is not retried");
    assert!(
        !site.out.join("ilo-china.rss").exists(),
        "no feed is published"
    );
}

#[test]
fn server_errors_are_retried() {
    let (server, site) = serve(
        vec![
            Reply::Status(500, vec![]),
            Reply::Status(503, vec![]),
            Reply::ilo(),
        ],
        "",
    );
    site.run().success();
    assert_eq!(server.count("/page"), 3);
    assert_eq!(site.rss_titles().len(), 20);

    // Retries are bounded: three failures with one retry allowed fail the run.
    let (server, site) = serve(vec![Reply::Status(500, vec![])], "retries = 1");
    let text = stderr(&site.run().code(1));
    assert!(
        text.contains("answered HTTP 500 Internal Server Error (after 2 attempts)"),
        "{text}"
    );
    assert_eq!(server.count("/page"), 2);
}

#[test]
fn too_many_requests_waits_as_told() {
    let (server, site) = serve(
        vec![
            Reply::Status(429, vec![("retry-after", "1".to_string())]),
            Reply::ilo(),
        ],
        "",
    );
    site.run().success();
    let requests = server.requests("/page");
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at - requests[0].at;
    assert!(gap >= Duration::from_millis(950), "{gap:?}");

    // A Retry-After beyond the retry budget is not waited for.
    let (server, site) = serve(
        vec![Reply::Status(429, vec![("retry-after", "120".to_string())])],
        "retry_time = 5",
    );
    let started = Instant::now();
    let text = stderr(&site.run().code(1));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        text.contains("answered HTTP 429 Too Many Requests"),
        "{text}"
    );
    assert_eq!(server.count("/page"), 1);
}

/// Issue 12: a Retry-After longer than can be waited is remembered per host across runs: no
/// feed on that host is fetched again before it is over.
#[test]
fn a_long_retry_after_is_remembered_per_host_across_runs() {
    let (server, site) = serve(
        vec![Reply::Status(
            429,
            vec![("retry-after", "3600".to_string())],
        )],
        "retry_time = 5\nconcurrency = 1",
    );
    server.route("/other", vec![Reply::ilo()]);
    // A second feed on the same host.
    let text = std::fs::read_to_string(&site.config).unwrap();
    let feed = text[text.find("[[feed]]").unwrap()..]
        .replace("id = \"ilo-china\"", "id = \"other\"")
        .replace(&server.url("/page"), &server.url("/other"));
    std::fs::write(&site.config, format!("{text}\n{feed}")).unwrap();
    let paused = |text: &str| {
        text.contains("is not fetched: 127.0.0.1 asked (Retry-After) to be left alone until ")
            && text.contains("; it is asked again after that")
    };
    // The feeds run one after the other: the first gets the 429, the second is not sent.
    let first = stderr(&site.run().code(1));
    assert_eq!(server.count("/page"), 1, "{first}");
    assert_eq!(server.count("/other"), 0, "{first}");
    assert_eq!(server.count("/robots.txt"), 1, "{first}");
    assert!(
        first.contains("answered HTTP 429 Too Many Requests"),
        "{first}"
    );
    assert!(paused(&first), "{first}");
    // The next run sends nothing to the host, not even for its robots.txt, and says why.
    let second = stderr(&site.run().code(1));
    assert_eq!(
        server.count("/page") + server.count("/other") + server.count("/robots.txt"),
        2,
        "{second}"
    );
    assert_eq!(
        second.lines().filter(|line| paused(line)).count(),
        2,
        "{second}"
    );
    let conn = rusqlite::Connection::open(site.state()).unwrap();
    let until: String = conn
        .query_row(
            "SELECT until FROM host_pauses WHERE host = '127.0.0.1'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let until = chrono::DateTime::parse_from_rfc3339(&until).unwrap();
    let left = until.signed_duration_since(chrono::Utc::now());
    assert!(
        left > chrono::TimeDelta::minutes(55) && left <= chrono::TimeDelta::minutes(60),
        "{left}"
    );
    // Once the pause is over, the host is asked again.
    conn.execute("UPDATE host_pauses SET until = '2000-01-01T00:00:00Z'", [])
        .unwrap();
    server.route("/page", vec![Reply::ilo()]);
    site.run().success();
    assert_eq!(server.count("/page") + server.count("/other"), 3);
    let kept: i64 = conn
        .query_row("SELECT count(*) FROM host_pauses", [], |row| row.get(0))
        .unwrap();
    assert_eq!(kept, 0);
}

#[test]
fn a_slow_server_times_out() {
    let (_server, site) = serve(
        vec![Reply::Slow(Duration::from_secs(5), Box::new(Reply::ilo()))],
        "timeout = 0.5\nretries = 1",
    );
    let started = Instant::now();
    let text = stderr(&site.run().code(1));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(text.contains("cannot fetch"), "{text}");
    assert!(text.contains("timed out"), "{text}");
    assert!(text.contains("(after 2 attempts)"), "{text}");
}

#[test]
fn a_redirect_loop_fails() {
    let server = TestServer::start();
    server.route("/loop", vec![Reply::Redirect("/loop".to_string())]);
    let site = HttpSite::new(&server.url("/loop"), "retries = 0", "");
    let text = stderr(&site.run().code(1));
    assert!(text.contains("too many redirects"), "{text}");
    // The first request and five redirects.
    assert_eq!(server.count("/loop"), 6);

    // Redirects within the limit are followed.
    server.route("/old", vec![Reply::Redirect("/page".to_string())]);
    server.route("/page", vec![Reply::ilo()]);
    let site = HttpSite::new(&server.url("/old"), "", "");
    site.run().success();
    assert_eq!(site.rss_titles().len(), 20);
}

#[test]
fn a_body_over_the_cap_fails() {
    let (server, site) = serve(vec![Reply::ilo()], "max_body_bytes = 10000");
    let text = stderr(&site.run().code(1));
    assert_eq!(
        text.lines().next().unwrap(),
        format!(
            "pressfeed: error: feed \"ilo-china\": field \"url\": the page at {} is larger than 10000 bytes (`max_body_bytes`); its previous feed files and history are kept",
            server.url("/page")
        )
    );
    assert_eq!(server.count("/page"), 1, "an oversized page is not retried");

    // The cap applies to the decompressed body: a small gzip body of a big page fails too.
    let (_server, site) = serve(vec![Reply::ilo().gzip()], "max_body_bytes = 10000");
    assert!(stderr(&site.run().code(1)).contains("larger than 10000 bytes"));
}

#[test]
fn gzip_bodies_are_decompressed() {
    let (server, site) = serve(vec![Reply::ilo().gzip()], "");
    site.run().success();
    assert_eq!(site.rss_titles().len(), 20);
    let accept = &server.requests("/page")[0].headers["accept-encoding"];
    for coding in ["gzip", "br", "deflate"] {
        assert!(accept.contains(coding), "{accept}");
    }
}

#[test]
fn a_truncated_body_fails() {
    let page = std::fs::read(fixture("ilo-china-press-releases.html")).unwrap();
    let (server, site) = serve(
        vec![Reply::Truncated {
            declared: page.len(),
            body: page[..page.len() / 2].to_vec(),
        }],
        "retries = 0",
    );
    let text = stderr(&site.run().code(1));
    assert!(text.contains("the body was cut off"), "{text}");
    assert_eq!(server.count("/page"), 1);
    assert!(!site.out.join("ilo-china.rss").exists());
}

#[test]
fn robots_txt_is_honoured_unless_the_feed_opts_out() {
    let server = TestServer::start();
    server.route("/page", vec![Reply::ilo()]);
    server.route(
        "/robots.txt",
        vec![Reply::html("User-agent: *\nDisallow: /page\n").content_type("text/plain")],
    );
    let site = HttpSite::new(&server.url("/page"), "", "");
    let text = stderr(&site.run().code(1));
    assert_eq!(
        text.lines().next().unwrap(),
        format!(
            "pressfeed: error: feed \"ilo-china\": field \"url\": {} is disallowed for pressfeed by {}/robots.txt; set `robots_txt = false` for this feed to fetch it anyway; its previous feed files and history are kept",
            server.url("/page"),
            server.url("").trim_end_matches('/')
        )
    );
    assert_eq!(server.count("/page"), 0);

    let site = HttpSite::new(&server.url("/page"), "", "robots_txt = false");
    site.run().success();
    assert_eq!(server.count("/page"), 1);
    assert_eq!(server.count("/robots.txt"), 1, "not asked when ignored");

    // Rules for other agents do not apply to pressfeed.
    server.route(
        "/robots.txt",
        vec![Reply::html("User-agent: OtherBot\nDisallow: /\n").content_type("text/plain")],
    );
    let site = HttpSite::new(&server.url("/page"), "", "");
    site.run().success();
}

#[test]
fn each_character_set_is_decoded() {
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("charsets/expected.json")).unwrap())
            .unwrap();
    let cases = [
        ("gbk.html", "text/html"),
        ("big5.html", "text/html"),
        ("shift_jis.html", "text/html; charset=Shift_JIS"),
        ("windows-1252.html", "text/html"),
        ("utf8-declared-latin1.html", "text/html"),
        ("gbk-undeclared.html", "text/html"),
    ];
    let server = TestServer::start();
    for (name, content_type) in cases {
        let path = format!("/news/{name}");
        let body = std::fs::read(fixture(&format!("charsets/{name}"))).unwrap();
        server.route(&path, vec![Reply::html(body).content_type(content_type)]);
        let site = HttpSite::new(&server.url(&path), "", "");
        site.run().success();
        let channel = parse_rss(&site.out.join("ilo-china.rss"));
        let want = expected[name].as_array().unwrap();
        assert_eq!(channel.items.len(), want.len(), "{name}");
        for (item, want) in channel.items.iter().zip(want) {
            assert_eq!(item.title.as_deref(), want["title"].as_str(), "{name}");
            let link = item.link.as_deref().unwrap();
            let want_path = want["link"]
                .as_str()
                .unwrap()
                .trim_start_matches("https://example.org");
            assert_eq!(link, server.url(want_path), "{name}");
            assert_eq!(
                item.description.as_deref(),
                want["summary"].as_str(),
                "{name}"
            );
        }
    }
}

#[test]
fn requests_to_one_host_are_one_at_a_time_and_spaced() {
    let server = TestServer::start();
    for path in ["/a", "/b", "/c"] {
        server.route(
            path,
            vec![Reply::Slow(
                Duration::from_millis(100),
                Box::new(Reply::ilo()),
            )],
        );
    }
    server.route("/broken", vec![Reply::Status(404, vec![])]);
    let site = HttpSite::new(&server.url("/a"), "host_delay = 0.3", "");
    // Four feeds on one host: three good ones and a broken one.
    let text = std::fs::read_to_string(&site.config).unwrap();
    let start = text.find("[[feed]]").unwrap();
    let feed = text[start..].to_string();
    let mut more = String::new();
    for (id, path) in [("b", "/b"), ("c", "/c"), ("broken", "/broken")] {
        more.push_str(
            &feed
                .replace("id = \"ilo-china\"", &format!("id = \"{id}\""))
                .replace(&server.url("/a"), &server.url(path)),
        );
    }
    std::fs::write(&site.config, format!("{text}\n{more}")).unwrap();

    let text = stderr(&site.run().code(1));
    assert_eq!(
        text.lines().filter(|l| l.contains("error")).count(),
        2,
        "one error line for the broken feed, one summary: {text}"
    );
    assert!(text.contains("feed \"broken\""), "{text}");
    assert!(text.contains("1 of 4 feeds failed"), "{text}");
    for id in ["ilo-china", "b", "c"] {
        assert!(site.out.join(format!("{id}.rss")).exists(), "{id}");
    }
    assert!(!site.out.join("broken.rss").exists());

    assert_eq!(server.max_in_flight(), 1, "one request at a time per host");
    let mut times: Vec<Instant> = ["/robots.txt", "/a", "/b", "/c", "/broken"]
        .iter()
        .flat_map(|p| server.requests(p))
        .map(|r| r.at)
        .collect();
    times.sort();
    assert_eq!(times.len(), 5, "robots.txt once, each page once");
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= Duration::from_millis(290), "{gap:?}");
    }
}

#[test]
fn a_wrong_declaration_is_overruled_and_said_with_v() {
    let server = TestServer::start();
    let body = std::fs::read(fixture("charsets/utf8-declared-latin1.html")).unwrap();
    server.route("/page", vec![Reply::html(body)]);
    let site = HttpSite::new(&server.url("/page"), "", "");
    let out = site.cmd(&["-v", "run"]).assert().success();
    let text = stderr(&out);
    assert!(
        text.contains("pressfeed: info: feed \"ilo-china\": the page's <meta> charset declares windows-1252, but the page is valid UTF-8; read as UTF-8"),
        "{text}"
    );
    assert_eq!(site.rss_titles()[0], "Café – über naïve ‘quotes’ and 中文");
}

#[test]
fn a_feed_can_override_the_encoding() {
    // A Russian page in windows-1251 that claims windows-1252: both decode without error, so
    // only the feed's `encoding` can put it right.
    let html = "<html><head><meta charset=\"windows-1252\"></head><body><div class=\"press-releases\"><ol class=\"item-list\">\
        <li class=\"item\"><h3 class=\"item-title\"><a href=\"/a\">Новости труда</a></h3><span class=\"date\">01 May 2024</span></li>\
        </ol></div></body></html>";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1251.encode(html);
    assert!(!unmappable);
    let server = TestServer::start();
    server.route("/page", vec![Reply::html(bytes.into_owned())]);
    let site = HttpSite::new(&server.url("/page"), "", "");
    site.run().success();
    assert_ne!(site.rss_titles()[0], "Новости труда", "read as declared");
    let site = HttpSite::new(&server.url("/page"), "", "encoding = \"windows-1251\"");
    site.run().success();
    assert_eq!(site.rss_titles()[0], "Новости труда");
}

#[test]
fn feeds_refresh_at_most_concurrency_at_a_time() {
    // Four hosts, one slow page each, two feeds at a time.
    let servers: Vec<TestServer> = (1..=4)
        .map(|n| {
            let server = TestServer::start_on(&format!("127.0.0.{n}"));
            server.route(
                "/page",
                vec![Reply::Slow(
                    Duration::from_millis(400),
                    Box::new(Reply::ilo()),
                )],
            );
            server
        })
        .collect();
    let site = HttpSite::new(&servers[0].url("/page"), "concurrency = 2", "");
    let text = std::fs::read_to_string(&site.config).unwrap();
    let feed = text[text.find("[[feed]]").unwrap()..].to_string();
    let mut more = String::new();
    for (n, server) in servers.iter().enumerate().skip(1) {
        more.push_str(
            &feed
                .replace("id = \"ilo-china\"", &format!("id = \"feed{n}\""))
                .replace(&servers[0].url("/page"), &server.url("/page")),
        );
    }
    std::fs::write(&site.config, format!("{text}\n{more}")).unwrap();
    site.run().success();
    let mut arrivals: Vec<Instant> = servers
        .iter()
        .map(|s| {
            let requests = s.requests("/page");
            assert_eq!(requests.len(), 1);
            requests[0].at
        })
        .collect();
    arrivals.sort();
    // The third page is asked for only when one of the first two has been answered.
    let wait = arrivals[2] - arrivals[0];
    assert!(wait >= Duration::from_millis(390), "{wait:?}");
}

#[test]
fn a_changed_configuration_reads_the_page_again() {
    let (server, site) = serve(vec![Reply::ilo().etag("\"v1\"")], "");
    site.run().success();
    let channel = parse_rss(&site.out.join("ilo-china.rss"));
    assert_eq!(
        channel
            .items
            .iter()
            .filter(|i| i.description.is_some())
            .count(),
        16
    );
    // The user drops the summary selector: a 304 must not hide the change.
    let text = std::fs::read_to_string(&site.config).unwrap();
    let edited = text.replace("summary = \"p.item-summary\"\n", "");
    assert_ne!(text, edited);
    std::fs::write(&site.config, edited).unwrap();
    site.run().success();
    let requests = server.requests("/page");
    assert_eq!(requests.len(), 2);
    assert!(!requests[1].headers.contains_key("if-none-match"));
    assert_eq!(requests[1].status, 200);
    // Known items keep their ids; their summaries are gone from the history and the feed.
    let channel = parse_rss(&site.out.join("ilo-china.rss"));
    assert_eq!(channel.items.len(), 20);
    assert!(channel.items.iter().all(|i| i.description.is_none()));
    // Unchanged again: conditional once more.
    site.run().success();
    let requests = server.requests("/page");
    assert_eq!(requests[2].headers["if-none-match"], "\"v1\"");
    assert_eq!(requests[2].status, 304);
}

#[test]
fn robots_txt_edge_cases() {
    // Over 512 KiB: the first 512 KiB are read, and they disallow the page.
    let mut robots = String::from("User-agent: *\nDisallow: /page\n");
    while robots.len() < 600 * 1024 {
        robots.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    let server = TestServer::start();
    server.route("/page", vec![Reply::ilo()]);
    server.route(
        "/robots.txt",
        vec![Reply::html(robots).content_type("text/plain")],
    );
    let site = HttpSite::new(&server.url("/page"), "retries = 1", "");
    assert!(stderr(&site.run().code(1)).contains("is disallowed for pressfeed"));
    assert_eq!(server.count("/page"), 0);

    // A robots.txt the server fails to serve (after a retry) allows nothing (RFC 9309).
    server.route("/robots.txt", vec![Reply::Status(503, vec![])]);
    let before = server.count("/robots.txt");
    let text = stderr(&site.run().code(1));
    assert_eq!(server.count("/robots.txt") - before, 2);
    assert!(
        text.contains("/robots.txt (robots.txt answered HTTP 503 Service Unavailable)"),
        "{text}"
    );
    assert_eq!(server.count("/page"), 0);
}
