//! The egress policy (issue 12): pages cannot lead pressfeed to internal addresses, and every
//! redirect hop is checked like a request of its own. The listing is on `127.0.0.1`; `127.0.0.2`,
//! `127.0.0.3` and `[::1]` stand for internal hosts.

use std::time::Duration;

use pressfeed_testkit::server::{Reply, TestServer};
use pressfeed_testkit::{HttpSite, parse_rss, stderr};

/// A listing of `ul.news > li` items, each a link to one of `links`, with a date.
pub(crate) fn listing(links: &[&str], next: Option<&str>) -> String {
    let mut html = String::from("<html><body><ul class=\"news\">");
    for (i, link) in links.iter().enumerate() {
        html.push_str(&format!(
            "<li><h3 class=\"item-title\"><a href=\"{link}\">Story {i}</a></h3><span class=\"date\">0{} April 2014</span></li>",
            i % 9 + 1
        ));
    }
    html.push_str("</ul>");
    if let Some(next) = next {
        html.push_str(&format!("<a class=\"next\" href=\"{next}\">Older</a>"));
    }
    html.push_str("</body></html>");
    html
}

/// The shipped feed reading `url`, with `ul.news > li` items, `fetch` in `[fetch]` and
/// `tables` (say `[feed.detail]`) before the selectors.
pub(crate) fn site(url: &str, fetch: &str, tables: &str) -> HttpSite {
    let site = HttpSite::new(url, fetch, "");
    let text = std::fs::read_to_string(&site.config).unwrap();
    let text = text
        .replace(".press-releases ol.item-list > li.item", "ul.news > li")
        .replace("[feed.selectors]", &format!("{tables}[feed.selectors]"));
    std::fs::write(&site.config, text).unwrap();
    site
}

/// Every file the run published, as one text.
fn published(site: &HttpSite) -> String {
    let mut all = String::new();
    for name in [
        "ilo-china.rss",
        "ilo-china.atom",
        "ilo-china.json",
        "index.html",
    ] {
        all.push_str(&std::fs::read_to_string(site.out.join(name)).unwrap_or_default());
    }
    all
}

const SECRET: &str = "<html><body><article>TOKEN-4f1c internal metadata</article></body></html>";

#[test]
fn item_pages_on_internal_hosts_are_refused_however_they_are_spelled() {
    let listing_server = TestServer::start();
    let internal = TestServer::start_on("127.0.0.2");
    let internal_v6 = TestServer::start_on("::1");
    let port = |server: &TestServer| {
        server
            .url("/")
            .rsplit(':')
            .next()
            .unwrap()
            .trim_end_matches('/')
            .to_string()
    };
    let (v4, v6, own) = (port(&internal), port(&internal_v6), port(&listing_server));
    // Each spelling has a path of its own, so that no two items share a link.
    let links = [
        format!("http://127.0.0.2:{v4}/s/0"),
        format!("http://[::1]:{v6}/s/1"),
        format!("http://2130706434:{v4}/s/2"),
        format!("http://0x7f.0.0.2:{v4}/s/3"),
        format!("http://0177.0.0.2:{v4}/s/4"),
        format!("http://[::ffff:127.0.0.2]:{v4}/s/5"),
        format!("http://localhost:{own}/s/6"),
        format!("http://127.0.0.1:{own}/own"),
    ];
    for n in 0..7 {
        for server in [&internal, &internal_v6, &listing_server] {
            server.route(&format!("/s/{n}"), vec![Reply::html(SECRET)]);
        }
    }
    listing_server.route(
        "/own",
        vec![Reply::html(
            "<html><body><article>Own text</article></body></html>",
        )],
    );
    let link_refs: Vec<&str> = links.iter().map(String::as_str).collect();
    listing_server.route("/page", vec![Reply::html(listing(&link_refs, None))]);
    let detail = "[feed.detail]\ncontent = \"article\"\n\n";
    let site = site(&listing_server.url("/page"), "retries = 0", detail);
    let secrets = || -> usize {
        (0..7)
            .map(|n| {
                let path = format!("/s/{n}");
                internal.count(&path) + internal_v6.count(&path) + listing_server.count(&path)
            })
            .sum()
    };

    let text = stderr(&site.cmd(&["-v", "run"]).assert().success());
    assert_eq!(secrets(), 0, "{text}");
    assert_eq!(
        listing_server.count("/own"),
        1,
        "the listing's own host is read"
    );
    let files = published(&site);
    assert!(!files.contains("TOKEN-4f1c"), "{files}");
    assert!(files.contains("Own text"));
    // Every refused item is still published as the listing gives it.
    assert_eq!(
        parse_rss(&site.out.join("ilo-china.rss")).items.len(),
        links.len()
    );
    let refused: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("field \"detail\"") && l.contains("is not fetched"))
        .collect();
    assert_eq!(refused.len(), 7, "{text}");
    for (n, rule) in [
        (0, "127.0.0.2 is a loopback address".to_string()),
        (1, "::1 is a loopback address".to_string()),
        (2, "127.0.0.2 is a loopback address".to_string()),
        (5, "::ffff:127.0.0.2 is a loopback address".to_string()),
        (
            6,
            "localhost resolves to 127.0.0.1, a loopback address".to_string(),
        ),
    ] {
        assert!(
            refused
                .iter()
                .any(|l| l.contains(&format!("/s/{n} is not fetched: {rule}"))),
            "/s/{n}: {rule}\n{text}"
        );
    }

    // The allow-list lets them through.
    let config = std::fs::read_to_string(&site.config).unwrap();
    std::fs::write(
        &site.config,
        config.replace(
            "retries = 0",
            "retries = 0\nallow_internal = [\"127.0.0.0/8\", \"::1\", \"localhost\"]",
        ),
    )
    .unwrap();
    site.cmd(&["reset", "ilo-china"]).assert().success();
    let text = stderr(&site.cmd(&["-v", "run"]).assert().success());
    assert_eq!(secrets(), 7, "{text}");
    assert!(published(&site).contains("TOKEN-4f1c"));
}

#[test]
fn pagination_and_redirects_to_internal_hosts_are_refused() {
    let listing_server = TestServer::start();
    let internal = TestServer::start_on("127.0.0.3");
    internal.route(
        "/older",
        vec![Reply::html(listing(&["/i/1", "/i/2"], None))],
    );
    internal.route("/page", vec![Reply::html(listing(&["/i/3"], None))]);
    listing_server.route(
        "/page",
        vec![Reply::html(listing(
            &["/a/1", "/a/2"],
            Some(&internal.url("/older")),
        ))],
    );
    let pagination = "[feed.pagination]\nnext = \"a.next\"\n\n";
    let site = site(&listing_server.url("/page"), "retries = 0", pagination);
    let text = stderr(&site.cmd(&["-v", "run"]).assert().success());
    assert_eq!(internal.count("/older"), 0, "{text}");
    assert!(
        text.contains(&format!(
            "feed \"ilo-china\": field \"pagination\": {} is not fetched: 127.0.0.3 is a loopback address",
            internal.url("/older")
        )),
        "{text}"
    );
    assert_eq!(parse_rss(&site.out.join("ilo-china.rss")).items.len(), 2);

    // A redirect of the listing itself leads where the server says: content, checked.
    listing_server.route("/moved", vec![Reply::Redirect(internal.url("/page"))]);
    let site = site_for(&listing_server.url("/moved"));
    let text = stderr(&site.run().code(1));
    assert_eq!(internal.count("/page"), 0, "{text}");
    assert!(
        text.contains(&format!(
            "feed \"ilo-china\": field \"url\": {} is not fetched: 127.0.0.3 is a loopback address",
            internal.url("/page")
        )),
        "{text}"
    );
}

fn site_for(url: &str) -> HttpSite {
    site(url, "retries = 0", "")
}

#[test]
fn a_redirect_to_a_path_robots_txt_disallows_is_not_followed() {
    let server = TestServer::start();
    server.route(
        "/robots.txt",
        vec![Reply::html("User-agent: *\nDisallow: /private\n").content_type("text/plain")],
    );
    server.route("/start", vec![Reply::Redirect("/private/page".to_string())]);
    server.route("/private/page", vec![Reply::html(listing(&["/a"], None))]);
    let site = site(&server.url("/start"), "retries = 0", "");
    let text = stderr(&site.run().code(1));
    assert_eq!(server.count("/private/page"), 0, "{text}");
    assert!(text.contains("is disallowed for pressfeed by"), "{text}");
}

#[test]
fn eight_feeds_redirecting_to_one_host_send_it_one_request_at_a_time() {
    let target = TestServer::start_on("127.0.0.20");
    target.route(
        "/page",
        vec![Reply::Slow(
            Duration::from_millis(200),
            Box::new(Reply::html(listing(&["/a"], None))),
        )],
    );
    let sources: Vec<TestServer> = (11..=18)
        .map(|n| TestServer::start_on(&format!("127.0.0.{n}")))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut config = String::from(
        "[output]\ndir = \"public\"\n\n[fetch]\nhost_delay = 0.1\nretries = 0\nrobots_txt = false\nallow_internal = [\"127.0.0.20\"]\n",
    );
    for (i, source) in sources.iter().enumerate() {
        source.route("/start", vec![Reply::Redirect(target.url("/page"))]);
        config.push_str(&format!(
            "\n[[feed]]\nid = \"f{i}\"\ntitle = \"F{i}\"\nurl = \"{}\"\n[feed.selectors]\nitem = \"ul.news > li\"\ntitle = \"a\"\nlink = \"a\"\n",
            source.url("/start")
        ));
    }
    let path = dir.path().join("config.toml");
    std::fs::write(&path, config).unwrap();
    pressfeed_testkit::run_config(&path).success();
    assert_eq!(target.count("/page"), 8);
    assert_eq!(
        target.max_in_flight(),
        1,
        "one request at a time on the target"
    );
    let mut times: Vec<_> = target.requests("/page").iter().map(|r| r.at).collect();
    times.sort();
    for pair in times.windows(2) {
        // 200 ms answering, then the 100 ms host delay.
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(290),
            "{:?}",
            pair[1] - pair[0]
        );
    }
}

/// `suggest` on an internal address typed by the user follows the page's redirects within its
/// own host (`/news` to `/news/`), and refuses those that lead to another internal host.
#[test]
fn suggest_follows_redirects_on_the_typed_host_only() {
    let server = TestServer::start();
    let internal = TestServer::start_on("127.0.0.3");
    server.route("/news", vec![Reply::Redirect("/news/".to_string())]);
    server.route("/news/", vec![Reply::ilo()]);
    internal.route("/page", vec![Reply::ilo()]);
    server.route("/away", vec![Reply::Redirect(internal.url("/page"))]);

    let assert = pressfeed_testkit::pressfeed()
        .arg("suggest")
        .arg(server.url("/news"))
        .assert()
        .success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(out.contains("selectors.item = \"main li.item\""), "{out}");
    assert_eq!(server.count("/news/"), 1);

    let text = stderr(
        &pressfeed_testkit::pressfeed()
            .arg("suggest")
            .arg(server.url("/away"))
            .assert()
            .failure(),
    );
    assert_eq!(internal.count("/page"), 0, "{text}");
    assert!(
        text.contains(&format!(
            "{} is not fetched: 127.0.0.3 is a loopback address",
            internal.url("/page")
        )),
        "{text}"
    );
}
