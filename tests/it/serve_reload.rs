//! Issue 16: a configuration that changes under a running `serve` (file watched, SIGHUP), feeds
//! removed or renamed (`prune`, and runs removing their files after `keep_days`), and the
//! index page before the first run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::header;

use pressfeed_testkit::{config_for, fixture, parse_rss, pressfeed, spawn_serve_to, stderr};

use super::serve::{Reaper, client, runtime, terminate};

/// The ILO feed's config (`ilo-china`, reading the fixture) and a copy of its feed under the
/// id `ilo-copy`, in `dir`, publishing into `dir/public`.
struct Feeds {
    dir: tempfile::TempDir,
    config: PathBuf,
    out: PathBuf,
    /// `[output]` and anything before the first `[[feed]]`.
    head: String,
    /// The `ilo-china` feed's block.
    china: String,
    /// The same feed as `ilo-copy`.
    copy: String,
}

impl Feeds {
    fn new() -> Feeds {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let config = config_for(dir.path(), &fixture("ilo-china-press-releases.html"), &out);
        let text = std::fs::read_to_string(&config).unwrap();
        let at = text.find("[[feed]]").unwrap();
        let china = text[at..].to_string();
        let copy = china.replace("id = \"ilo-china\"", "id = \"ilo-copy\"");
        assert_ne!(copy, china);
        Feeds {
            head: text[..at].to_string(),
            china,
            copy,
            config,
            out,
            dir,
        }
    }

    /// Writes the config with `feeds` (blocks) after the head.
    fn write(&self, feeds: &[&str]) -> String {
        let text = format!("{}{}", self.head, feeds.join("\n"));
        std::fs::write(&self.config, &text).unwrap();
        text
    }

    fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = pressfeed();
        cmd.arg("--config").arg(&self.config).args(args);
        cmd
    }

    fn state(&self) -> rusqlite::Connection {
        let path = self.dir.path().join("pressfeed-state.sqlite");
        assert!(path.is_file(), "no state file at {}", path.display());
        rusqlite::Connection::open(path).unwrap()
    }

    /// Rows of `table` whose `column` is `feed`.
    fn rows(&self, table: &str, column: &str, feed: &str) -> i64 {
        self.state()
            .query_row(
                &format!("SELECT count(*) FROM {table} WHERE {column} = ?1"),
                [feed],
                |row| row.get(0),
            )
            .unwrap()
    }

    fn files(&self, id: &str) -> Vec<PathBuf> {
        ["rss", "atom", "json"]
            .iter()
            .map(|ext| self.out.join(format!("{id}.{ext}")))
            .collect()
    }
}

/// `pressfeed serve` on 127.0.0.1 (a free port) with `args`, its stderr going to `log`;
/// returns it and its address.
fn spawn_logged(config: &Path, args: &[&str], log: &Path) -> (Reaper, String) {
    let log = std::fs::File::create(log).unwrap();
    let (child, address) = spawn_serve_to(config, args, log.into());
    (Reaper(child), address)
}

/// Waits (up to 20 s) until `ready` says yes; fails with `what` otherwise.
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "waited 20 s for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What a running server answers: status and body.
struct Client {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    address: String,
}

impl Client {
    fn new(address: String) -> Client {
        Client {
            rt: runtime(),
            client: client(),
            address,
        }
    }

    fn get(&self, path: &str) -> (u16, Vec<u8>) {
        let response = self
            .rt
            .block_on(self.client.get(format!("{}{path}", self.address)).send())
            .unwrap();
        let status = response.status().as_u16();
        (status, self.rt.block_on(response.bytes()).unwrap().to_vec())
    }

    /// The feeds `/healthz` lists.
    fn health_feeds(&self) -> Vec<String> {
        let (status, body) = self.get("/healthz");
        assert_eq!(status, 200);
        let health: serde_json::Value = serde_json::from_slice(&body).unwrap();
        health["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["feed"].as_str().unwrap().to_string())
            .collect()
    }

    /// The feeds the index page lists (its articles' ids), and whether each is published.
    fn index_feeds(&self) -> Vec<(String, bool)> {
        let (status, body) = self.get("/");
        assert_eq!(status, 200);
        index_feeds(&String::from_utf8(body).unwrap())
    }
}

fn index_feeds(html: &str) -> Vec<(String, bool)> {
    let page = scraper::Html::parse_document(html);
    let articles = scraper::Selector::parse("main article").unwrap();
    let subscribe = scraper::Selector::parse("ul.subscribe a").unwrap();
    page.select(&articles)
        .map(|a| {
            (
                a.value().attr("id").unwrap().to_string(),
                a.select(&subscribe).next().is_some(),
            )
        })
        .collect()
}

fn titles(bytes: &[u8]) -> Vec<String> {
    rss::Channel::read_from(bytes)
        .unwrap()
        .items
        .iter()
        .map(|i| i.title.clone().unwrap())
        .collect()
}

#[test]
fn serve_takes_a_new_config_and_keeps_the_old_one_when_the_new_one_is_broken() {
    let feeds = Feeds::new();
    feeds.write(&[&feeds.china]);
    let log = feeds.dir.path().join("serve.log");
    let (mut child, address) = spawn_logged(&feeds.config, &["-v", "--refresh", "1h"], &log);
    let server = Client::new(address);
    let logged = || std::fs::read_to_string(&log).unwrap();

    // Feed A is refreshed at start and served.
    wait_for("ilo-china.rss", || server.get("/ilo-china.rss").0 == 200);
    let (_, china) = server.get("/ilo-china.rss");
    let china_titles = titles(&china);
    assert_eq!(china_titles.len(), 20);
    assert_eq!(server.get("/ilo-china.atom").0, 200);
    assert_eq!(server.get("/ilo-copy.rss").0, 404);
    assert_eq!(server.health_feeds(), ["ilo-china"]);

    // B added, A removed: B is refreshed at once (not in an hour), A is no longer answered.
    let good = feeds.write(&[&feeds.copy]);
    wait_for("ilo-copy.rss after the config changed", || {
        server.get("/ilo-copy.rss").0 == 200
    });
    let (_, copy) = server.get("/ilo-copy.rss");
    assert_eq!(titles(&copy), china_titles);
    assert_eq!(server.get("/ilo-china.rss").0, 404);
    assert!(
        feeds.out.join("ilo-china.rss").is_file(),
        "kept for keep_days"
    );
    assert_eq!(server.health_feeds(), ["ilo-copy"]);
    wait_for("the index to list ilo-copy", || {
        server.index_feeds() == [("ilo-copy".to_string(), true)]
    });
    let text = logged();
    assert!(
        text.contains("feeds; added: ilo-copy; removed: ilo-china"),
        "{text}"
    );

    // A broken config, with the same size and time (the watch cannot tell), then SIGHUP: the
    // error is logged with its place, and everything is answered as before.
    let broken = good.replace("max_items = 50", "max_items = -5");
    assert_eq!(broken.len(), good.len());
    let modified = std::fs::metadata(&feeds.config)
        .unwrap()
        .modified()
        .unwrap();
    std::fs::write(&feeds.config, &broken).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&feeds.config)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let line = broken
        .lines()
        .position(|l| l.starts_with("max_items"))
        .unwrap()
        + 1;
    let index_before = server.get("/");
    std::process::Command::new("kill")
        .args(["-HUP", &child.0.id().to_string()])
        .status()
        .unwrap();
    wait_for("the config error in the log", || {
        logged().contains("the configuration was not reloaded")
    });
    let text = logged();
    let want = format!(
        "{}:{line}:13: feed \"ilo-copy\": field \"max_items\": -5 is not a positive number",
        feeds.config.display()
    );
    assert!(text.contains("SIGHUP: reading"), "{text}");
    assert!(text.contains(&want), "{want}\n{text}");
    assert_eq!(server.get("/ilo-copy.rss"), (200, copy));
    assert_eq!(server.get("/ilo-china.rss").0, 404);
    assert_eq!(server.get("/"), index_before);
    assert_eq!(server.health_feeds(), ["ilo-copy"]);

    assert_eq!(terminate(&mut child.0).code(), Some(0));
}

#[test]
fn serve_without_refresh_rewrites_the_index_when_the_config_changes() {
    let feeds = Feeds::new();
    feeds.write(&[&feeds.china, &feeds.copy]);
    feeds.cmd(&["run"]).assert().success();
    let log = feeds.dir.path().join("serve.log");
    let (mut child, address) = spawn_logged(&feeds.config, &[], &log);
    let server = Client::new(address);
    assert_eq!(
        server.index_feeds(),
        [
            ("ilo-china".to_string(), true),
            ("ilo-copy".to_string(), true)
        ]
    );
    feeds.write(&[&feeds.copy]);
    wait_for("the index to drop ilo-china", || {
        server.index_feeds() == [("ilo-copy".to_string(), true)]
    });
    assert_eq!(server.get("/ilo-china.rss").0, 404);
    assert_eq!(server.get("/ilo-copy.rss").0, 200);
    assert_eq!(server.health_feeds(), ["ilo-copy"]);
    assert_eq!(terminate(&mut child.0).code(), Some(0));
}

#[test]
fn prune_removes_the_files_and_history_of_feeds_gone_from_the_config() {
    let feeds = Feeds::new();
    feeds.write(&[&feeds.china, &feeds.copy]);
    feeds.cmd(&["run"]).assert().success();
    let china: Vec<Vec<u8>> = feeds
        .files("ilo-china")
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    // Files that are not a gone feed's own are never touched.
    for stray in ["ilo-copy.rss.bak", "notes.json", "ilo-copy.xml"] {
        std::fs::write(feeds.out.join(stray), "mine").unwrap();
    }
    feeds.write(&[&feeds.china]);
    let files = feeds.files("ilo-copy");
    let listed: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();

    let dry = feeds.cmd(&["prune", "--dry-run"]).assert().success();
    assert_eq!(
        String::from_utf8(dry.get_output().stdout.clone()).unwrap(),
        format!(
            "feed \"ilo-copy\": would remove 3 files ({}); would drop 20 items and its run log\n",
            listed.join(", ")
        )
    );
    assert!(files.iter().all(|p| p.is_file()));
    assert_eq!(feeds.rows("items", "feed", "ilo-copy"), 20);

    let done = feeds.cmd(&["prune"]).assert().success();
    assert_eq!(
        String::from_utf8(done.get_output().stdout.clone()).unwrap(),
        format!(
            "feed \"ilo-copy\": removed 3 files ({}); dropped 20 items and its run log\n",
            listed.join(", ")
        )
    );
    assert!(files.iter().all(|p| !p.exists()));
    for (table, column) in [
        ("items", "feed"),
        ("runs", "feed"),
        ("feeds", "id"),
        ("configured", "feed"),
    ] {
        assert_eq!(feeds.rows(table, column, "ilo-copy"), 0, "{table}");
    }
    // The feed still configured is untouched.
    assert_eq!(feeds.rows("items", "feed", "ilo-china"), 20);
    for (path, bytes) in feeds.files("ilo-china").iter().zip(&china) {
        assert_eq!(&std::fs::read(path).unwrap(), bytes);
    }
    for stray in ["ilo-copy.rss.bak", "notes.json", "ilo-copy.xml"] {
        assert_eq!(std::fs::read(feeds.out.join(stray)).unwrap(), b"mine");
    }
    // Nothing left to prune.
    let again = feeds.cmd(&["prune"]).assert().success();
    assert!(again.get_output().stdout.is_empty());
    assert_eq!(parse_rss(&feeds.out.join("ilo-china.rss")).items.len(), 20);
}

#[test]
fn a_run_removes_a_gone_feeds_files_only_after_its_keep_days() {
    let feeds = Feeds::new();
    feeds.write(&[&feeds.china, &feeds.copy]);
    feeds.cmd(&["run"]).assert().success();
    std::fs::write(feeds.out.join("ilo-copy.rss.bak"), "mine").unwrap();
    feeds.write(&[&feeds.china]);
    let files = feeds.files("ilo-copy");
    let backdate = |days: i64| {
        let when = chrono::Utc::now() - chrono::TimeDelta::days(days);
        let changed = feeds
            .state()
            .execute(
                "UPDATE configured SET last_seen = ?1 WHERE feed = 'ilo-copy'",
                [when.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)],
            )
            .unwrap();
        assert_eq!(changed, 1);
    };

    // Just removed, then 29 days ago: kept (keep_days is 30).
    let out = feeds.cmd(&["-v", "run"]).assert().success();
    assert!(files.iter().all(|p| p.is_file()), "{}", stderr(&out));
    let keep_days: i64 = feeds
        .state()
        .query_row(
            "SELECT keep_days FROM configured WHERE feed = 'ilo-copy'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(keep_days, 30);
    backdate(29);
    feeds.cmd(&["run"]).assert().success();
    assert!(files.iter().all(|p| p.is_file()));

    // 31 days ago: its files go; its history stays (for `prune`), the other feed's files too.
    backdate(31);
    let out = feeds.cmd(&["-v", "run"]).assert().success();
    let text = stderr(&out);
    assert!(files.iter().all(|p| !p.exists()), "{text}");
    assert!(
        text.contains(&format!(
            "feed \"ilo-copy\": removed {}",
            files[0].display()
        )),
        "{text}"
    );
    assert_eq!(feeds.rows("items", "feed", "ilo-copy"), 20);
    assert_eq!(
        std::fs::read(feeds.out.join("ilo-copy.rss.bak")).unwrap(),
        b"mine"
    );
    assert!(feeds.files("ilo-china").iter().all(|p| p.is_file()));
    // The index lists only the configured feed.
    let index = std::fs::read_to_string(feeds.out.join("index.html")).unwrap();
    assert_eq!(index_feeds(&index), [("ilo-china".to_string(), true)]);
}

#[test]
fn serve_writes_the_index_before_the_first_run() {
    let feeds = Feeds::new();
    feeds.write(&[&feeds.china]);
    assert!(!feeds.out.exists());
    let log = feeds.dir.path().join("serve.log");
    let (mut child, address) = spawn_logged(&feeds.config, &[], &log);
    let server = Client::new(address);
    let response = server
        .rt
        .block_on(server.client.get(format!("{}/", server.address)).send())
        .unwrap();
    // `/` answers the index page itself (not a redirect).
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let body = server.rt.block_on(response.bytes()).unwrap();
    assert_eq!(
        body,
        std::fs::read(feeds.out.join("index.html")).unwrap(),
        "index.html is on disk"
    );
    let html = String::from_utf8(body.to_vec()).unwrap();
    assert_eq!(index_feeds(&html), [("ilo-china".to_string(), false)]);
    assert!(html.contains("Not published yet."), "{html}");
    let (status, opml) = server.get("/feeds.opml");
    assert_eq!(status, 200);
    let opml = String::from_utf8(opml).unwrap();
    let doc = roxmltree::Document::parse(&opml).unwrap();
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("outline"))
            .count(),
        0
    );
    assert_eq!(server.get("/ilo-china.rss").0, 404);
    assert_eq!(terminate(&mut child.0).code(), Some(0));

    // The first run then lists the feed as published.
    feeds.cmd(&["run"]).assert().success();
    let index = std::fs::read_to_string(feeds.out.join("index.html")).unwrap();
    assert_eq!(index_feeds(&index), [("ilo-china".to_string(), true)]);
}
