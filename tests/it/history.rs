//! The item history in the state file: dates of undated items, items leaving and coming back,
//! changed items, the publish window, the failure rules that need the last good run, the
//! schema version, the lock, and runs killed at every step.

use std::io::BufRead as _;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use pressfeed::{Config, FeedReport, PageOutcome, StateLock, WriteOutcome};
use rusqlite::Connection;

use pressfeed_testkit::server::{Reply, TestServer};
use pressfeed_testkit::{HttpSite, fixture, parse_atom, parse_rss, stderr};

/// One `li` item: title, link and an optional date.
type Entry<'a> = (&'a str, &'a str, Option<&'a str>);

/// A listing page of `entries`.
fn page(entries: &[Entry<'_>]) -> String {
    let mut html = String::from("<html><body><h1>News</h1><ul>\n");
    for (title, href, date) in entries {
        html.push_str(&format!("<li><a href=\"{href}\">{title}</a>"));
        if let Some(date) = date {
            html.push_str(&format!(" <span>{date}</span>"));
        }
        html.push_str("</li>\n");
    }
    html.push_str("</ul></body></html>\n");
    html
}

/// A feed "demo" read from `page.html` in a temporary folder, with its history beside it.
struct Scenario {
    dir: tempfile::TempDir,
    config: Config,
}

impl Scenario {
    /// `dated`: whether the feed has a date selector; `extra`: more feed keys.
    fn new(dated: bool, extra: &str) -> Scenario {
        let dir = tempfile::tempdir().unwrap();
        let date = if dated { "date = \"span\"" } else { "" };
        let text = format!(
            "[output]\ndir = \"public\"\n\n[[feed]]\nid = \"demo\"\ntitle = \"Demo\"\n\
             url = \"https://example.org/news/\"\nsource = \"page.html\"\n{extra}\n\
             [feed.selectors]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a\"\n{date}\n"
        );
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        let config = Config::load(&path).unwrap();
        Scenario { dir, config }
    }

    fn show(&self, entries: &[Entry<'_>]) {
        std::fs::write(self.dir.path().join("page.html"), page(entries)).unwrap();
    }

    fn run(&self, now: DateTime<Utc>) -> FeedReport {
        let feeds: Vec<_> = self.config.feeds.iter().collect();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut results = runtime
            .block_on(pressfeed::run(&self.config, &feeds, now, &|_| {}))
            .unwrap();
        assert!(results.site_error.is_none(), "{:?}", results.site_error);
        results.feeds.pop().unwrap().result.unwrap()
    }

    fn atom(&self) -> atom_syndication::Feed {
        parse_atom(&self.dir.path().join("public/demo.atom"))
    }

    /// (title, published, updated) of each Atom entry, in order.
    fn entries(&self) -> Vec<(String, String, String)> {
        self.atom()
            .entries
            .iter()
            .map(|e| {
                (
                    e.title.to_string(),
                    e.published.unwrap().to_rfc3339(),
                    e.updated.to_rfc3339(),
                )
            })
            .collect()
    }
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, day, hour, 0, 0).unwrap()
}

#[test]
fn undated_items_are_dated_when_first_seen() {
    let s = Scenario::new(false, "");
    s.show(&[("A", "/a", None), ("B", "/b", None)]);
    assert_eq!(s.run(at(1, 10)).new_items, 2);
    s.show(&[("C", "/c", None), ("A", "/a", None), ("B", "/b", None)]);
    let report = s.run(at(1, 11));
    assert_eq!(report.new_items, 1);
    let first = "2026-01-01T10:00:00+00:00".to_string();
    let second = "2026-01-01T11:00:00+00:00".to_string();
    assert_eq!(
        s.entries(),
        [
            ("C".into(), second.clone(), second.clone()),
            ("A".into(), first.clone(), first.clone()),
            ("B".into(), first.clone(), first.clone()),
        ]
    );
    // Nothing new: the files are not touched, whatever the clock says.
    let report = s.run(at(2, 9));
    assert_eq!(report.new_items, 0);
    assert!(
        report
            .files
            .iter()
            .all(|(_, o)| *o == WriteOutcome::Unchanged)
    );
}

#[test]
fn items_that_leave_the_page_stay_for_keep_days() {
    let s = Scenario::new(true, "");
    s.show(&[
        ("A", "/a", Some("3 Jan 2026")),
        ("B", "/b", Some("2 Jan 2026")),
        ("C", "/c", Some("1 Jan 2026")),
    ]);
    s.run(at(5, 0));
    s.show(&[
        ("D", "/d", Some("4 Jan 2026")),
        ("A", "/a", Some("3 Jan 2026")),
        ("B", "/b", Some("2 Jan 2026")),
    ]);
    let report = s.run(at(6, 0));
    assert_eq!((report.new_items, report.items), (1, 4));
    let titles = |s: &Scenario| -> Vec<String> { s.entries().into_iter().map(|e| e.0).collect() };
    assert_eq!(titles(&s), ["D", "A", "B", "C"]);
    // C was last seen on the 5th: it stays for 30 days, then it is gone; the page's items stay.
    s.run(at(31, 0));
    assert_eq!(titles(&s), ["D", "A", "B", "C"]);
    s.run(Utc.with_ymd_and_hms(2026, 2, 5, 0, 0, 1).unwrap());
    assert_eq!(titles(&s), ["D", "A", "B"]);
}

#[test]
fn a_changed_item_keeps_its_id_and_gets_a_new_updated() {
    let s = Scenario::new(true, "");
    s.show(&[("Old title", "/a", Some("3 Jan 2026"))]);
    s.run(at(5, 0));
    let id = s.atom().entries[0].id.clone();
    s.show(&[("New title", "/a", Some("3 Jan 2026"))]);
    let report = s.run(at(6, 12));
    assert_eq!(report.new_items, 0);
    let feed = s.atom();
    assert_eq!(feed.entries.len(), 1);
    let entry = &feed.entries[0];
    assert_eq!(entry.id, id);
    assert_eq!(entry.title.as_str(), "New title");
    assert_eq!(
        entry.published.unwrap().to_rfc3339(),
        "2026-01-03T00:00:00+00:00"
    );
    assert_eq!(entry.updated.to_rfc3339(), "2026-01-06T12:00:00+00:00");
    assert_eq!(feed.updated.to_rfc3339(), "2026-01-06T12:00:00+00:00");
    // The change is remembered: the next run keeps that `updated`.
    s.run(at(7, 0));
    assert_eq!(
        s.atom().entries[0].updated.to_rfc3339(),
        "2026-01-06T12:00:00+00:00"
    );
}

#[test]
fn an_item_that_comes_back_is_not_new() {
    let s = Scenario::new(false, "");
    s.show(&[("A", "/a", None), ("B", "/b", None)]);
    assert_eq!(s.run(at(1, 0)).new_items, 2);
    s.show(&[("B", "/b", None)]);
    assert_eq!(s.run(at(2, 0)).new_items, 0);
    s.show(&[("A", "/a", None), ("B", "/b", None)]);
    assert_eq!(s.run(at(3, 0)).new_items, 0);
    // A is still dated by when it was first seen.
    let entries = s.entries();
    assert!(
        entries
            .iter()
            .all(|(_, published, _)| published == "2026-01-01T00:00:00+00:00"),
        "{entries:?}"
    );
}

#[test]
fn the_feed_lists_the_newest_max_items_of_the_history() {
    let s = Scenario::new(true, "max_items = 2");
    s.show(&[
        ("A", "/a", Some("3 Jan 2026")),
        ("B", "/b", Some("2 Jan 2026")),
    ]);
    s.run(at(5, 0));
    s.show(&[("C", "/c", Some("4 Jan 2026"))]);
    s.run(at(6, 0));
    let titles: Vec<String> = s.entries().into_iter().map(|e| e.0).collect();
    assert_eq!(titles, ["C", "A"]);
}

/// Every row of the history and the feeds table, to compare before and after a run.
fn history_rows(state: &Path) -> Vec<String> {
    let conn = Connection::open(state).unwrap();
    let mut rows = Vec::new();
    for table in ["items", "feeds"] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .unwrap();
        let columns = stmt.column_count();
        let mut query = stmt.query([]).unwrap();
        while let Some(row) = query.next().unwrap() {
            let values: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            rows.push(format!("{table}: {}", values.join(" | ")));
        }
    }
    rows
}

/// The ILO page with three of its items.
fn ilo_page_with_three_items() -> Vec<u8> {
    let html = std::fs::read_to_string(fixture("ilo-china-press-releases.html")).unwrap();
    let start = html.find("<div class=\"press-releases\">").unwrap();
    let mut cut = html.clone();
    // Drop every item after the third inside the listing.
    let items: Vec<usize> = html[start..]
        .match_indices("<li class=\"item\">")
        .map(|(i, _)| start + i)
        .collect();
    let listing_end = html[start..].find("<div class=\"pager\"").unwrap() + start;
    cut.replace_range(items[3]..listing_end, "</ol></div>");
    cut.into_bytes()
}

#[test]
fn a_sharp_drop_in_items_fails_and_keeps_files_and_history() {
    let server = TestServer::start();
    server.route(
        "/page",
        vec![Reply::ilo(), Reply::html(ilo_page_with_three_items())],
    );
    let site = HttpSite::new(&server.url("/page"), "", "");
    site.run().success();
    let files = site.files();
    let rows = history_rows(&site.state());
    let text = stderr(&site.run().code(1));
    assert_eq!(
        text.lines().next().unwrap(),
        "pressfeed: error: feed \"ilo-china\": field \"selectors.item\": \".press-releases ol.item-list > li.item\" matches 3 elements, fewer than 0.2 of the 20 it matched in the last good run (`min_item_share`); has the layout changed?; its previous feed files and history are kept"
    );
    assert_eq!(site.files(), files);
    assert_eq!(history_rows(&site.state()), rows);

    // `status` tells the story.
    let out = site.cmd(&["status", "--json"]).assert().success();
    let status: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let feed = &status[0];
    assert_eq!(feed["feed"], "ilo-china");
    assert_eq!(feed["failing"], true);
    assert_eq!(feed["items_in_history"], 20);
    assert_eq!(feed["items_on_page"], 20);
    assert!(feed["last_success"].is_string());
    assert!(
        feed["last_error"]
            .as_str()
            .unwrap()
            .contains("matches 3 elements")
    );

    let out = site.cmd(&["status"]).assert().success();
    let table = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(lines[0].starts_with("feed "), "{table}");
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(row[0], "ilo-china");
    // Last success and failing since, to the minute, then history and items on the page.
    assert_eq!(row[1].len(), "2026-01-01".len(), "{table}");
    assert_eq!(row[3], row[1], "{table}");
    assert_eq!(&row[5..8], ["20", "20", "feed"], "{table}");

    // A feed's history can be forgotten; its next run starts afresh.
    let out = site.cmd(&["reset", "ilo-china"]).assert().success();
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stdout),
        "feed \"ilo-china\": forgot 20 items; its next run reads the page afresh\n"
    );
    let conn = Connection::open(site.state()).unwrap();
    let items: i64 = conn
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(items, 0);
    site.cmd(&["reset", "nope"]).assert().code(2);

    // With a lower share the same page is accepted.
    let site_low = HttpSite::new(&server.url("/page"), "", "min_item_share = 0.1");
    server.route(
        "/page",
        vec![Reply::ilo(), Reply::html(ilo_page_with_three_items())],
    );
    site_low.run().success();
    site_low.run().success();
    assert_eq!(
        site_low.rss_titles().len(),
        20,
        "items that left stay in the feed"
    );
}

#[test]
fn dates_that_stop_parsing_fail_the_feed() {
    let html = std::fs::read_to_string(fixture("ilo-china-press-releases.html")).unwrap();
    let mut undated = String::new();
    let mut rest = html.as_str();
    while let Some(at) = rest.find("<span class=\"date\">") {
        let open = at + "<span class=\"date\">".len();
        let close = open + rest[open..].find("</span>").unwrap();
        undated.push_str(&rest[..open]);
        undated.push_str("Spring 2014");
        rest = &rest[close..];
    }
    undated.push_str(rest);
    let server = TestServer::start();
    server.route("/page", vec![Reply::ilo(), Reply::html(undated)]);
    let site = HttpSite::new(&server.url("/page"), "", "");
    site.run().success();
    let files = site.files();
    let text = stderr(&site.run().code(1));
    assert_eq!(
        text.lines().next().unwrap(),
        "pressfeed: error: feed \"ilo-china\": field \"selectors.date\": no date parses, where 20 did in the last good run; has the date format changed?; its previous feed files and history are kept"
    );
    assert_eq!(site.files(), files);
}

#[test]
fn a_layout_change_after_a_good_run_keeps_everything() {
    let server = TestServer::start();
    let changed = std::fs::read(fixture("broken/layout-changed.html")).unwrap();
    server.route("/page", vec![Reply::ilo(), Reply::html(changed)]);
    let site = HttpSite::new(&server.url("/page"), "", "");
    site.run().success();
    let files = site.files();
    let rows = history_rows(&site.state());
    let text = stderr(&site.run().code(1));
    assert!(text.contains("matches nothing on the page"), "{text}");
    assert_eq!(site.files(), files);
    assert_eq!(history_rows(&site.state()), rows);
    assert_eq!(server.count("/page"), 2);
}

#[test]
fn a_state_file_from_a_newer_pressfeed_is_refused() {
    let server = TestServer::start();
    server.route("/page", vec![Reply::ilo()]);
    let site = HttpSite::new(&server.url("/page"), "", "");
    Connection::open(site.state())
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let text = stderr(&site.run().code(1));
    assert_eq!(
        text,
        format!(
            "pressfeed: error: state file {}: schema version 99 is newer than this pressfeed knows ({}); run a newer pressfeed, or set `[output] state` to another file\n",
            site.state().display(),
            pressfeed::SCHEMA_VERSION
        )
    );
    assert!(!site.out.exists());
    assert_eq!(server.count("/page"), 0);
    let version: i64 = Connection::open(site.state())
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 99, "the file is left alone");
}

#[test]
fn an_empty_state_file_is_migrated() {
    let server = TestServer::start();
    server.route("/page", vec![Reply::ilo()]);
    let site = HttpSite::new(&server.url("/page"), "", "");
    Connection::open(site.state()).unwrap();
    site.run().success();
    let conn = Connection::open(site.state()).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, pressfeed::SCHEMA_VERSION);
    let items: i64 = conn
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(items, 20);
}

#[test]
fn a_second_run_while_one_holds_the_lock_exits_3() {
    let server = TestServer::start();
    server.route("/page", vec![Reply::ilo()]);
    let site = HttpSite::new(&server.url("/page"), "", "");
    let lock = StateLock::acquire(&site.state()).unwrap();
    let text = stderr(&site.run().code(3));
    let lock_path = StateLock::path_for(&site.state());
    assert!(
        text.starts_with(&format!(
            "pressfeed: error: another pressfeed run (pid {} since ",
            std::process::id()
        )),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            ") holds the lock {}; this run does nothing\n",
            lock_path.display()
        )),
        "{text}"
    );
    assert_eq!(server.count("/page"), 0);
    drop(lock);
    site.run().success();
}

/// Issue 12: a symbolic link planted where the lock file goes is not followed: the run
/// stops, naming it, and the file it points at is untouched.
#[cfg(unix)]
#[test]
fn a_lock_file_that_is_a_symbolic_link_is_not_followed() {
    let server = TestServer::start();
    server.route("/page", vec![Reply::ilo()]);
    let site = HttpSite::new(&server.url("/page"), "", "");
    let victim = site.dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let lock_path = StateLock::path_for(&site.state());
    std::os::unix::fs::symlink(&victim, &lock_path).unwrap();
    let text = stderr(&site.run().code(1));
    assert!(
        text.starts_with(&format!(
            "pressfeed: error: state file {}: it is a symbolic link, which is not followed: ",
            lock_path.display()
        )),
        "{text}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert_eq!(server.count("/page"), 0);
    std::fs::remove_file(&lock_path).unwrap();
    site.run().success();
}

/// The ILO page with one more item on top, dated a day after the newest.
fn ilo_page_with_a_new_item() -> Vec<u8> {
    let html = std::fs::read_to_string(fixture("ilo-china-press-releases.html")).unwrap();
    let start = html.find("<div class=\"press-releases\">").unwrap();
    let first = start + html[start..].find("<li class=\"item\">").unwrap();
    let new_item = "<li class=\"item\"><h3 class=\"item-title\"><a href=\"/beijing/new/WCMS_999999/lang--en/index.htm\">A brand new release</a></h3><span class=\"date\">26 April 2014</span></li>\n";
    let mut out = html.clone();
    out.insert_str(first, new_item);
    out.into_bytes()
}

/// Both feed files parse and hold one of `allowed` title lists.
fn assert_valid_feeds(site: &HttpSite, allowed: &[&[String]]) {
    let rss: Vec<String> = site.rss_titles();
    let atom: Vec<String> = parse_atom(&site.out.join("ilo-china.atom"))
        .entries
        .iter()
        .map(|e| e.title.to_string())
        .collect();
    assert!(allowed.contains(&rss.as_slice()), "RSS: {rss:?}");
    assert!(allowed.contains(&atom.as_slice()), "Atom: {atom:?}");
}

fn assert_consistent_database(state: &Path) {
    let conn = Connection::open(state).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

/// Starts `pressfeed run` stopped at `pause` and kills it (SIGKILL) there; with no pause,
/// kills it after `after`.
fn kill_run(site: &HttpSite, pause: Option<&str>, after: Duration) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .arg("--config")
        .arg(&site.config)
        .arg("run")
        .env_remove("PRESSFEED_LOG")
        .env("PRESSFEED_PAUSE_AT", pause.unwrap_or(""))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    match pause {
        Some(pause) => {
            let stderr = child.stderr.take().unwrap();
            let mut lines = std::io::BufReader::new(stderr).lines();
            let want = format!("pressfeed: debug: paused at {pause}");
            loop {
                let line = lines.next().unwrap_or_else(|| {
                    panic!("the run ended before reaching {pause}: {:?}", child.wait())
                });
                if line.unwrap() == want {
                    break;
                }
            }
        }
        None => std::thread::sleep(after),
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the run was killed");
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the pause points of `--features fault-injection`"
)]
fn runs_killed_at_any_step_leave_valid_feeds_and_converge() {
    let before: Vec<String>;
    let after: Vec<String>;
    {
        // The two possible feeds, from runs that are not interrupted.
        let server = TestServer::start();
        server.route("/page", vec![Reply::ilo()]);
        let site = HttpSite::new(&server.url("/page"), "", "");
        site.run().success();
        before = site.rss_titles();
        server.route("/page", vec![Reply::html(ilo_page_with_a_new_item())]);
        site.run().success();
        after = site.rss_titles();
        assert_eq!(after.len(), 21);
        assert_eq!(after[0], "A brand new release");
    }
    let points = [
        None,
        Some("merged"),
        Some("rendered"),
        Some("renamed-one"),
        Some("published"),
    ];
    for point in points {
        let server = TestServer::start();
        server.route("/page", vec![Reply::ilo().etag("\"a\"")]);
        let site = HttpSite::new(&server.url("/page"), "", "");
        site.run().success();
        let new_page = Reply::html(ilo_page_with_a_new_item()).etag("\"b\"");
        // Without a pause point, the kill lands while the slow server is still answering.
        let reply = match point {
            None => Reply::Slow(Duration::from_secs(3), Box::new(new_page)),
            Some(_) => new_page,
        };
        server.route("/page", vec![reply]);
        kill_run(&site, point, Duration::from_millis(700));
        assert_valid_feeds(&site, &[&before, &after]);
        assert_consistent_database(&site.state());
        if point.is_none() {
            assert_eq!(site.rss_titles(), before, "killed before anything changed");
        }

        // The next run converges on the new feed, whatever the server now says.
        server.route(
            "/page",
            vec![Reply::html(ilo_page_with_a_new_item()).etag("\"b\"")],
        );
        site.run().success();
        assert_eq!(site.rss_titles(), after, "after a kill at {point:?}");
        let atom = parse_atom(&site.out.join("ilo-china.atom"));
        assert_eq!(atom.entries.len(), 21);
        assert_consistent_database(&site.state());
        let conn = Connection::open(site.state()).unwrap();
        let items: i64 = conn
            .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(items, 21, "after a kill at {point:?}");
        let leftovers: Vec<String> = std::fs::read_dir(&site.out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

#[test]
fn a_feed_that_cannot_be_written_keeps_its_history() {
    let server = TestServer::start();
    server.route("/page", vec![Reply::ilo()]);
    let site = HttpSite::new(&server.url("/page"), "", "");
    site.run().success();
    let atom = std::fs::read(site.out.join("ilo-china.atom")).unwrap();
    let rows = history_rows(&site.state());
    server.route("/page", vec![Reply::html(ilo_page_with_a_new_item())]);
    // The RSS file's place is taken by a folder: the publish fails.
    let rss = site.out.join("ilo-china.rss");
    std::fs::remove_file(&rss).unwrap();
    std::fs::create_dir_all(rss.join("in-the-way")).unwrap();
    let text = stderr(&site.run().code(1));
    assert!(
        text.starts_with(&format!(
            "pressfeed: error: feed \"ilo-china\": cannot write {}",
            rss.display()
        )),
        "{text}"
    );
    assert_eq!(
        history_rows(&site.state()),
        rows,
        "the new item is still new"
    );
    assert_eq!(
        std::fs::read(site.out.join("ilo-china.atom")).unwrap(),
        atom
    );
    std::fs::remove_dir_all(&rss).unwrap();
    site.run().success();
    assert_eq!(site.rss_titles()[0], "A brand new release");
}

/// Issue 12: the discovery files failing is a failure of the run, named by the file.
#[test]
fn an_index_page_that_cannot_be_written_fails_the_run_naming_the_file() {
    let server = TestServer::start();
    server.route("/page", vec![Reply::ilo()]);
    let site = HttpSite::new(&server.url("/page"), "", "");
    site.run().success();
    let index = site.out.join("index.html");
    let opml = std::fs::read(site.out.join("feeds.opml")).unwrap();
    std::fs::remove_file(&index).unwrap();
    std::fs::create_dir_all(index.join("in-the-way")).unwrap();
    server.route("/page", vec![Reply::html(ilo_page_with_a_new_item())]);
    let text = stderr(&site.run().code(1));
    let first_line = text.lines().next().unwrap();
    assert!(
        first_line.starts_with(&format!(
            "pressfeed: error: cannot write {}: ",
            index.display()
        )) && first_line.ends_with("; the feeds' own files were written"),
        "{text}"
    );
    assert!(!text.contains("feed \"index\""), "{text}");
    // The feed itself was published and recorded; the OPML list, published with the index
    // page, was left as it was.
    assert_eq!(site.rss_titles()[0], "A brand new release");
    assert_eq!(std::fs::read(site.out.join("feeds.opml")).unwrap(), opml);
    std::fs::remove_dir_all(&index).unwrap();
    site.run().success();
    assert!(index.is_file());
}

/// Issue 12: files published, then the history commit fails (a full disk): the message says
/// exactly that, and the next run catches the history up.
#[test]
fn a_commit_that_fails_after_the_publish_says_the_files_were_published() {
    let server = TestServer::start();
    server.route("/page", vec![Reply::ilo()]);
    let site = HttpSite::new(&server.url("/page"), "", "");
    let text = stderr(
        &site
            .cmd(&["run"])
            .env("PRESSFEED_FAIL_AT", "commit")
            .assert()
            .code(1),
    );
    assert!(
        text.starts_with(
            "pressfeed: error: feed \"ilo-china\": its new files were published, but the history could not record the run; the next run brings the history up to date: "
        ) && text.contains("full"),
        "{text}"
    );
    assert!(!text.contains("previous feed files"), "{text}");
    let published = site.rss_titles();
    assert_eq!(published.len(), 20);
    let items: i64 = Connection::open(site.state())
        .unwrap()
        .query_row("SELECT count(*) FROM items", [], |row| row.get(0))
        .unwrap();
    assert_eq!(items, 0);
    site.run().success();
    assert_eq!(site.rss_titles(), published);
    let items: i64 = Connection::open(site.state())
        .unwrap()
        .query_row("SELECT count(*) FROM items", [], |row| row.get(0))
        .unwrap();
    assert_eq!(items, 20);
}

/// Issue 12: an item dated far ahead (a typo, a placeholder) is warned about and dated when
/// first seen, so it does not stay above every newer item; a date within a day is kept.
#[test]
fn an_item_dated_far_ahead_is_warned_about_and_dated_when_first_seen() {
    let s = Scenario::new(true, "");
    s.show(&[
        ("Typo", "/typo", Some("31 Dec 9999")),
        ("Event", "/event", Some("20 Jan 2026")),
        ("Tomorrow", "/tomorrow", Some("4 Jan 2026")),
        ("Old", "/old", Some("1 Jan 2026")),
    ]);
    let report = s.run(at(3, 12));
    let warnings: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "item 1 \"Typo\": field \"date\": 9999-12-31T00:00:00+00:00 is more than a day after the page was read; the item is dated when first seen",
            "item 2 \"Event\": field \"date\": 2026-01-20T00:00:00+00:00 is more than a day after the page was read; the item is dated when first seen",
        ]
    );
    let seen = "2026-01-03T12:00:00+00:00".to_string();
    let published: Vec<(String, String)> =
        s.entries().into_iter().map(|(t, p, _)| (t, p)).collect();
    assert_eq!(
        published,
        [
            ("Tomorrow".into(), "2026-01-04T00:00:00+00:00".into()),
            ("Typo".into(), seen.clone()),
            ("Event".into(), seen.clone()),
            ("Old".into(), "2026-01-01T00:00:00+00:00".into()),
        ]
    );
    // A newer item goes above them.
    s.show(&[
        ("New", "/new", Some("5 Jan 2026")),
        ("Typo", "/typo", Some("31 Dec 9999")),
        ("Event", "/event", Some("20 Jan 2026")),
        ("Tomorrow", "/tomorrow", Some("4 Jan 2026")),
        ("Old", "/old", Some("1 Jan 2026")),
    ]);
    s.run(at(5, 9));
    let titles: Vec<String> = s.entries().into_iter().map(|e| e.0).collect();
    assert_eq!(titles, ["New", "Tomorrow", "Typo", "Event", "Old"]);
}

/// Issue 12: a run whose clock was years ahead (`faketime`) leaves no lasting wrong dates:
/// the next run with the right clock brings every time back, and an item that left the page
/// goes `keep_days` after the right time, not after the wrong one.
#[test]
fn a_clock_that_jumped_ahead_leaves_no_lasting_wrong_dates() {
    let s = Scenario::new(false, "");
    s.show(&[("A", "/a", None)]);
    s.run(at(1, 10));
    s.show(&[("B", "/b", None), ("A", "/a", None)]);
    s.run(Utc.with_ymd_and_hms(2029, 6, 1, 10, 0, 0).unwrap());
    // The clock is right again.
    s.show(&[("C", "/c", None), ("B", "/b", None), ("A", "/a", None)]);
    s.run(at(2, 10));
    let first = "2026-01-01T10:00:00+00:00".to_string();
    let now = "2026-01-02T10:00:00+00:00".to_string();
    assert_eq!(
        s.entries(),
        [
            ("C".into(), now.clone(), now.clone()),
            ("B".into(), now.clone(), now.clone()),
            ("A".into(), first.clone(), first.clone()),
        ]
    );
    let latest: String = Connection::open(s.dir.path().join("pressfeed-state.sqlite"))
        .unwrap()
        .query_row(
            "SELECT max(max(first_seen, last_seen, date, coalesce(updated, ''))) FROM items",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(latest, "2026-01-02T10:00:00Z");
    // B leaves the page: it stays for keep_days (30) from the right time, then goes.
    s.show(&[("C", "/c", None), ("A", "/a", None)]);
    s.run(at(3, 10));
    let titles = |s: &Scenario| -> Vec<String> { s.entries().into_iter().map(|e| e.0).collect() };
    assert_eq!(titles(&s), ["C", "B", "A"]);
    s.run(Utc.with_ymd_and_hms(2026, 2, 1, 10, 0, 1).unwrap());
    assert_eq!(titles(&s), ["C", "A"]);
}

#[test]
fn rss_guids_stay_the_same_across_runs() {
    let s = Scenario::new(true, "");
    s.show(&[("A", "/a", Some("3 Jan 2026"))]);
    s.run(at(5, 0));
    let first = parse_rss(&s.dir.path().join("public/demo.rss")).items[0]
        .guid
        .clone();
    s.show(&[("A, renamed", "/a", Some("3 Jan 2026"))]);
    s.run(at(6, 0));
    let second = parse_rss(&s.dir.path().join("public/demo.rss")).items[0]
        .guid
        .clone();
    assert_eq!(first, second);
}

#[test]
fn relative_dates_are_frozen_at_first_sight() {
    let s = Scenario::new(true, "");
    s.show(&[("A", "/a", Some("3 hours ago"))]);
    s.run(at(5, 12));
    let first = s.entries();
    assert_eq!(first[0].1, "2026-01-05T09:00:00+00:00");
    // A day later the page still says "3 hours ago" (it never updates); the item keeps its date.
    s.show(&[
        ("B", "/b", Some("2 hours ago")),
        ("A", "/a", Some("3 hours ago")),
    ]);
    s.run(at(6, 12));
    let entries = s.entries();
    assert_eq!(entries[0].0, "B");
    assert_eq!(entries[0].1, "2026-01-06T10:00:00+00:00");
    assert_eq!(entries[1], first[0]);
}

#[test]
fn a_format_switched_off_is_removed() {
    let s = Scenario::new(true, "");
    s.show(&[("A", "/a", Some("3 Jan 2026"))]);
    s.run(at(5, 0));
    let json = s.dir.path().join("public/demo.json");
    assert!(json.exists());
    let path = s.dir.path().join("config.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace(
            "[feed.selectors]",
            "formats = [\"rss\", \"atom\"]\n[feed.selectors]",
        ),
    )
    .unwrap();
    let s = Scenario {
        config: Config::load(&path).unwrap(),
        dir: s.dir,
    };
    s.run(at(6, 0));
    assert!(!json.exists());
    assert!(s.dir.path().join("public/demo.atom").exists());
}

/// Page `n` of a three-page listing on `server`: three items, and a link to page `n + 1`.
fn listing_page(n: usize) -> String {
    let mut html = String::from("<html><body><ul>\n");
    for k in 0..3 {
        let day = 28 - (n - 1) * 3 - k;
        html.push_str(&format!(
            "<li><a href=\"/story/{n}-{k}\">Story {k} of page {n}</a> <span>{day} Feb 2026</span></li>\n"
        ));
    }
    html.push_str("</ul>");
    if n < 3 {
        html.push_str(&format!(
            "<a class=\"next\" href=\"/news/{}\">Older</a>",
            n + 1
        ));
    }
    html.push_str("</body></html>");
    html
}

fn paginated_site(server: &TestServer, pagination: &str) -> HttpSite {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[output]\ndir = \"public\"\n[fetch]\nhost_delay = 0\n\n[[feed]]\nid = \"ilo-china\"\ntitle = \"Paged\"\n\
         url = {:?}\n\n[feed.pagination]\n{pagination}\n\n[feed.selectors]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a\"\ndate = \"span\"\n",
        server.url("/news/1")
    );
    let config = dir.path().join("config.toml");
    std::fs::write(&config, text).unwrap();
    HttpSite {
        out: dir.path().join("public"),
        config,
        dir,
    }
}

#[test]
fn older_pages_fill_the_history_on_the_first_run_and_on_backfill() {
    let server = TestServer::start();
    for n in 1..=3 {
        server.route(&format!("/news/{n}"), vec![Reply::html(listing_page(n))]);
    }
    let site = paginated_site(&server, "next = \"a.next\"");
    site.run().success();
    let counts = || {
        (1..=3)
            .map(|n| server.count(&format!("/news/{n}")))
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(), [1, 1, 1]);
    let titles = site.rss_titles();
    assert_eq!(titles.len(), 9);
    assert_eq!(titles[0], "Story 0 of page 1");
    assert_eq!(titles[8], "Story 2 of page 3");
    // Later runs read the first page only.
    site.run().success();
    assert_eq!(counts(), [2, 1, 1]);
    assert_eq!(
        site.rss_titles().len(),
        9,
        "older items stay in the history"
    );
    // On demand, every page again.
    site.cmd(&["run", "--backfill"]).assert().success();
    assert_eq!(counts(), [3, 2, 2]);

    // A pattern with a page number, and a page limit.
    let server = TestServer::start();
    for n in 1..=3 {
        server.route(&format!("/news/{n}"), vec![Reply::html(listing_page(n))]);
    }
    let site = paginated_site(
        &server,
        &format!("pattern = {:?}\nmax_pages = 2", server.url("/news/{page}")),
    );
    site.run().success();
    assert_eq!(
        (1..=3)
            .map(|n| server.count(&format!("/news/{n}")))
            .collect::<Vec<_>>(),
        [1, 1, 0]
    );
    assert_eq!(site.rss_titles().len(), 6);
}

/// A listing of items `numbers`, each linking to `/item/<n>`.
fn detail_listing(numbers: &[usize]) -> String {
    let items: String = numbers
        .iter()
        .map(|n| {
            format!("<li><a href=\"/item/{n}\">Story number {n}</a> <span>{n} Feb 2026</span></li>")
        })
        .collect();
    format!("<html><body><ul>{items}</ul></body></html>")
}

/// Item `n`'s own page: full text with a relative link, a script, an author and an image.
fn item_page(n: usize) -> String {
    format!(
        "<html><body><article><h1>Story number {n}</h1><p class=\"lead\">The lead of story {n}.</p>\
         <img class=\"lead\" src=\"/img/{n}.jpg\"><div class=\"body\"><p>Full text of story {n}, \
         with <a href=\"/more/{n}\">a link</a>.</p><script>alert(1)</script></div>\
         <span class=\"author\">Ann Author</span></article></body></html>"
    )
}

#[test]
fn item_pages_are_read_once_and_their_full_text_published() {
    let server = TestServer::start();
    server.route("/news", vec![Reply::html(detail_listing(&[2, 1]))]);
    for n in 1..=3 {
        server.route(&format!("/item/{n}"), vec![Reply::html(item_page(n))]);
    }
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[output]\ndir = \"public\"\n[fetch]\nhost_delay = 0\nretries = 0\n\n[[feed]]\nid = \"ilo-china\"\n\
         title = \"Detailed\"\nurl = {:?}\n\n[feed.detail]\ncontent = \"div.body\"\nsummary = \"p.lead\"\n\
         author = \"span.author\"\nimage = \"img.lead\"\n\n[feed.selectors]\nitem = \"li\"\ntitle = \"a\"\n\
         link = \"a\"\ndate = \"span\"\n",
        server.url("/news")
    );
    let config = dir.path().join("config.toml");
    std::fs::write(&config, text).unwrap();
    let site = HttpSite {
        out: dir.path().join("public"),
        config,
        dir,
    };
    let counts = || {
        (1..=3)
            .map(|n| server.count(&format!("/item/{n}")))
            .collect::<Vec<_>>()
    };
    site.run().success();
    assert_eq!(counts(), [1, 1, 0]);
    let feed = parse_atom(&site.out.join("ilo-china.atom"));
    let entry = &feed.entries[0];
    assert_eq!(entry.title.as_str(), "Story number 2");
    let content = entry.content.as_ref().unwrap().value.clone().unwrap();
    assert_eq!(
        content,
        format!(
            "<p>Full text of story 2, with <a href=\"{}\" rel=\"noopener noreferrer\">a link</a>.</p>",
            server.url("/more/2")
        )
    );
    assert_eq!(
        entry.summary.as_ref().unwrap().as_str(),
        "The lead of story 2."
    );
    assert_eq!(entry.authors[0].name, "Ann Author");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.out.join("ilo-china.json")).unwrap()).unwrap();
    assert_eq!(json["items"][0]["image"], server.url("/img/2.jpg"));

    // A new item: only its page is read; the others keep their full text.
    server.route("/news", vec![Reply::html(detail_listing(&[3, 2, 1]))]);
    server.route(
        "/item/3",
        vec![Reply::Status(500, vec![]), Reply::html(item_page(3))],
    );
    site.run().success();
    assert_eq!(counts(), [1, 1, 1]);
    let feed = parse_atom(&site.out.join("ilo-china.atom"));
    // Its page failed: it is published as the listing gives it...
    assert_eq!(feed.entries[0].title.as_str(), "Story number 3");
    assert!(feed.entries[0].content.is_none());
    assert!(
        feed.entries[1].content.is_some(),
        "kept from the first read"
    );
    assert_eq!(
        feed.entries[1].summary.as_ref().unwrap().as_str(),
        "The lead of story 2."
    );
    // ...and not tried again on the next run (issue 12), but once its pause is over.
    site.run().success();
    assert_eq!(
        counts(),
        [1, 1, 1],
        "a failed item page waits out its pause"
    );
    let retry_at: String = Connection::open(site.state())
        .unwrap()
        .query_row(
            "SELECT detail_retry_at FROM items WHERE detail_failures = 1",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let retry_at = DateTime::parse_from_rfc3339(&retry_at).unwrap();
    let wait = retry_at.with_timezone(&Utc) - Utc::now();
    assert!(
        wait > chrono::TimeDelta::minutes(55) && wait <= chrono::TimeDelta::hours(1),
        "the first pause is an hour: {wait}"
    );
    Connection::open(site.state())
        .unwrap()
        .execute(
            "UPDATE items SET detail_retry_at = '2000-01-01T00:00:00Z' WHERE detail_failures = 1",
            [],
        )
        .unwrap();
    site.run().success();
    assert_eq!(counts(), [1, 1, 2]);
    let feed = parse_atom(&site.out.join("ilo-china.atom"));
    assert!(feed.entries[0].content.is_some());
    site.run().success();
    assert_eq!(counts(), [1, 1, 2], "no item page is read twice once read");
}

/// Issue 15: a page that comes with the same bytes as last time, under the same settings, is
/// not parsed, and its files are neither rendered nor read back (a hand-edited file stays as
/// it is); a missing file, a changed setting or an item ageing out of the window brings the
/// render back, and the index page is rewritten only when what it shows changes.
#[test]
fn an_unchanged_page_is_not_parsed_rendered_or_read_back() {
    let mut s = Scenario::new(true, "keep_days = 2");
    s.show(&[
        ("A", "/a", Some("3 Jan 2026")),
        ("B", "/b", Some("2 Jan 2026")),
    ]);
    assert_eq!(s.run(at(5, 0)).page, PageOutcome::Read);
    let public = s.dir.path().join("public");
    let (atom, rss, index) = (
        public.join("demo.atom"),
        public.join("demo.rss"),
        public.join("index.html"),
    );
    let mut edited = std::fs::read(&atom).unwrap();
    edited.extend_from_slice(b"<!-- edited by hand -->\n");
    std::fs::write(&atom, &edited).unwrap();
    let index_written = std::fs::metadata(&index).unwrap().modified().unwrap();

    let unchanged = s.run(at(5, 1));
    assert_eq!(unchanged.page, PageOutcome::Unchanged);
    assert_eq!((unchanged.items, unchanged.new_items), (2, 0));
    assert!(
        unchanged
            .files
            .iter()
            .all(|(_, outcome)| *outcome == WriteOutcome::Unchanged),
        "{:?}",
        unchanged.files
    );
    assert_eq!(std::fs::read(&atom).unwrap(), edited, "not read back");
    assert_eq!(
        std::fs::metadata(&index).unwrap().modified().unwrap(),
        index_written
    );
    let outcome: String = Connection::open(s.dir.path().join("pressfeed-state.sqlite"))
        .unwrap()
        .query_row(
            "SELECT outcome FROM runs ORDER BY id DESC LIMIT 1",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(outcome, "not_modified");

    // A missing file: the feed is rendered again from the history (the page stays unparsed).
    std::fs::remove_file(&rss).unwrap();
    let restored = s.run(at(5, 2));
    assert_eq!(restored.page, PageOutcome::Unchanged);
    assert_eq!(parse_rss(&rss).items.len(), 2);
    assert_eq!(
        s.atom().entries.len(),
        2,
        "the edited file is rendered again"
    );
    assert_ne!(std::fs::read(&atom).unwrap(), edited);

    // B leaves the page; two days (keep_days) after it was last seen it leaves the feed,
    // although the page has not changed since.
    s.show(&[("A", "/a", Some("3 Jan 2026"))]);
    assert_eq!(s.run(at(5, 3)).page, PageOutcome::Read);
    let titles = |s: &Scenario| -> Vec<String> { s.entries().into_iter().map(|e| e.0).collect() };
    assert_eq!(titles(&s), ["A", "B"]);
    assert_eq!(s.run(at(6, 0)).page, PageOutcome::Unchanged);
    assert_eq!(titles(&s), ["A", "B"]);
    let aged = s.run(at(7, 3));
    assert_eq!(aged.page, PageOutcome::Unchanged);
    assert_eq!(titles(&s), ["A"]);
    assert_eq!(aged.items, 1);

    // A changed setting reads the page again and renders it; the index page follows.
    s.config.feeds[0].title = "Demo, renamed".to_string();
    assert_eq!(s.run(at(7, 4)).page, PageOutcome::Read);
    assert_eq!(s.atom().title.to_string(), "Demo, renamed");
    let index_text = std::fs::read_to_string(&index).unwrap();
    assert!(
        index_text.contains("<h2>Demo, renamed</h2>"),
        "{index_text}"
    );
}

/// Issue 15: a feed whose dates lie ahead (`future_dates`) keeps them when it is rendered from
/// the history alone (they are the page's word, not times a fast clock wrote).
#[test]
fn future_dates_survive_a_render_from_the_history() {
    let s = Scenario::new(true, "future_dates = true");
    s.show(&[("Event", "/e", Some("1 Mar 2026"))]);
    s.run(at(5, 0));
    std::fs::remove_file(s.dir.path().join("public/demo.atom")).unwrap();
    assert_eq!(s.run(at(5, 1)).page, PageOutcome::Unchanged);
    assert_eq!(
        s.entries(),
        [(
            "Event".to_string(),
            "2026-03-01T00:00:00+00:00".to_string(),
            "2026-03-01T00:00:00+00:00".to_string()
        )]
    );
}

/// Issue 15: a feed of 500 items or more renders its first format on the refresh's thread and
/// the others on a second one; the files are the same as one thread would write, in order.
#[test]
fn a_large_feed_renders_on_two_threads_into_whole_files() {
    let s = Scenario::new(true, "max_items = 600");
    let names: Vec<(String, String, String)> = (0..600)
        .map(|n| {
            let day = 1 + n % 28;
            (
                format!("Item {n}"),
                format!("/i/{n}"),
                format!("{day} {} 2025", if n < 300 { "Feb" } else { "Jan" }),
            )
        })
        .collect();
    let entries: Vec<Entry<'_>> = names
        .iter()
        .map(|(title, link, date)| (title.as_str(), link.as_str(), Some(date.as_str())))
        .collect();
    s.show(&entries);
    let report = s.run(at(5, 0));
    assert_eq!(report.items, 600);
    assert_eq!(
        report
            .files
            .iter()
            .map(|(path, outcome)| (
                path.file_name().unwrap().to_str().unwrap().to_string(),
                *outcome
            ))
            .collect::<Vec<_>>(),
        [
            ("demo.rss".to_string(), WriteOutcome::Written),
            ("demo.atom".to_string(), WriteOutcome::Written),
            ("demo.json".to_string(), WriteOutcome::Written),
        ]
    );
    let public = s.dir.path().join("public");
    let rss: Vec<String> = parse_rss(&public.join("demo.rss"))
        .items
        .iter()
        .map(|item| item.title.clone().unwrap())
        .collect();
    let atom: Vec<String> = s
        .atom()
        .entries
        .iter()
        .map(|e| e.title.to_string())
        .collect();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(public.join("demo.json")).unwrap()).unwrap();
    let json: Vec<String> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rss.len(), 600);
    assert_eq!(atom, rss);
    assert_eq!(json, rss);
    // Newest first: 28 February 2025 is items 27, 55, … (page order among equal dates).
    assert_eq!(rss[..2], ["Item 27", "Item 55"]);
    // One file gone: all three are rendered again, the two whose bytes are the same (told by
    // length and digest) are left as they are, without a temporary file.
    std::fs::remove_file(public.join("demo.json")).unwrap();
    let again = s.run(at(5, 1));
    let outcomes: Vec<WriteOutcome> = again.files.iter().map(|(_, o)| *o).collect();
    assert_eq!(
        outcomes,
        [
            WriteOutcome::Unchanged,
            WriteOutcome::Unchanged,
            WriteOutcome::Written
        ]
    );
    let temps = std::fs::read_dir(&public)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(temps, 0);
}
