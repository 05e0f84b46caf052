//! Time budgets (issue 12): a feed's fetching stops at `feed_timeout`, a run at `run_timeout`,
//! and item pages that failed wait out a growing pause before they are tried again.

use std::time::{Duration, Instant};

use pressfeed_testkit::server::{Reply, TestServer};
use pressfeed_testkit::{HttpSite, parse_rss, stderr};

/// A site in a temporary folder with `config` as its config file.
fn site_with(config: String) -> HttpSite {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, config).unwrap();
    HttpSite {
        out: dir.path().join("public"),
        config: path,
        dir,
    }
}

/// A listing of stories `numbers`, linking to `/item/<n>`, dated.
fn listing(numbers: &[usize]) -> String {
    let items: String = numbers
        .iter()
        .map(|n| format!("<li><a href=\"/item/{n}\">Story {n}</a> <span>{n} Feb 2026</span></li>"))
        .collect();
    format!("<html><body><ul>{items}</ul></body></html>")
}

#[test]
fn item_pages_that_never_finish_end_within_the_feed_budget_and_wait_out_a_pause() {
    let server = TestServer::start();
    server.route("/news", vec![Reply::html(listing(&[3, 2, 1]))]);
    for n in 1..=3 {
        server.route(
            &format!("/item/{n}"),
            vec![Reply::Stall {
                body: b"<html><body><article>Begun".to_vec(),
            }],
        );
    }
    let site = site_with(format!(
        "[output]\ndir = \"public\"\n[fetch]\nhost_delay = 0\nretries = 0\n\n[[feed]]\nid = \"slow\"\n\
         title = \"Slow\"\nurl = {:?}\nfeed_timeout = 2\n\n[feed.detail]\ncontent = \"article\"\n\n\
         [feed.selectors]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a\"\ndate = \"span\"\n",
        server.url("/news")
    ));
    let started = Instant::now();
    let text = stderr(&site.run().code(1));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(6), "{took:?}\n{text}");
    assert!(
        text.contains(
            "feed \"slow\": the feed's time budget (`feed_timeout`, 2 s) ran out while reading item pages; the rest is read on a later run"
        ),
        "{text}"
    );
    // What the listing gave is published.
    assert_eq!(parse_rss(&site.out.join("slow.rss")).items.len(), 3);
    let tried = |n: usize| server.count(&format!("/item/{n}"));
    assert_eq!(
        tried(3),
        1,
        "the newest page was being read when time ran out"
    );

    // The page that ran out of time waits out its pause; the next run goes on with the others.
    site.run().code(1);
    assert_eq!(tried(3), 1, "not fetched again before its pause ends");
    assert_eq!(tried(2), 1);
}

#[test]
fn a_run_stops_starting_feeds_when_its_budget_runs_out() {
    let server = TestServer::start();
    for n in 0..3 {
        server.route(
            &format!("/news/{n}"),
            vec![Reply::Slow(
                Duration::from_millis(1500),
                Box::new(Reply::html(listing(&[1]))),
            )],
        );
    }
    let mut config = String::from(
        "[output]\ndir = \"public\"\n[fetch]\nhost_delay = 0\nretries = 0\nconcurrency = 1\nrun_timeout = 2\n",
    );
    for n in 0..3 {
        config.push_str(&format!(
            "\n[[feed]]\nid = \"f{n}\"\ntitle = \"F{n}\"\nurl = {:?}\n[feed.selectors]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a\"\n",
            server.url(&format!("/news/{n}"))
        ));
    }
    let site = site_with(config);
    let started = Instant::now();
    let text = stderr(&site.run().code(1));
    assert!(started.elapsed() < Duration::from_secs(4), "{text}");
    assert!(site.out.join("f0.rss").exists(), "{text}");
    assert!(
        text.contains(
            "feed \"f1\": the run's time budget (`run_timeout`, 2 s) ran out while loading its page"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "feed \"f2\": the run's time budget (`run_timeout`, 2 s) ran out before it was started"
        ),
        "{text}"
    );
    assert_eq!(server.count("/news/2"), 0);
}
