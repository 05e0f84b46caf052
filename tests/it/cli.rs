//! The `pressfeed` binary: exit codes, idempotent reruns, and bad input that keeps old feeds.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use pressfeed_testkit::{
    config_for, fixture, parse_atom, parse_rss, pressfeed, root, run_config, stderr,
};

struct Site {
    _dir: tempfile::TempDir,
    config: PathBuf,
    out: PathBuf,
}

impl Site {
    fn new(page: &Path) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let config = config_for(dir.path(), page, &out);
        Site {
            _dir: dir,
            config,
            out,
        }
    }

    fn run(&self) -> assert_cmd::assert::Assert {
        run_config(&self.config)
    }

    /// Runs with `-v` and returns the warnings it logged.
    fn run_for_warnings(&self) -> Vec<String> {
        let assert = pressfeed()
            .arg("-v")
            .arg("--config")
            .arg(&self.config)
            .arg("run")
            .assert()
            .success();
        stderr(&assert)
            .lines()
            .filter(|l| l.starts_with("pressfeed: warning: "))
            .map(str::to_string)
            .collect()
    }

    fn files(&self) -> [(Vec<u8>, SystemTime); 2] {
        ["ilo-china.rss", "ilo-china.atom"].map(|name| {
            let path = self.out.join(name);
            (
                std::fs::read(&path).unwrap(),
                std::fs::metadata(&path).unwrap().modified().unwrap(),
            )
        })
    }

    /// Points the config at another page.
    fn switch_page(&self, page: &Path) {
        let text = std::fs::read_to_string(&self.config).unwrap();
        let good = format!(
            "source = {:?}",
            fixture("ilo-china-press-releases.html").to_str().unwrap()
        );
        assert!(text.contains(&good));
        let bad = format!("source = {:?}", page.to_str().unwrap());
        std::fs::write(&self.config, text.replace(&good, &bad)).unwrap();
    }
}

/// Publishes the good ILO feed, then points the config at `page` and runs again: that run must
/// fail with exit 1 and leave both files exactly as they were. Returns its stderr.
fn fails_after_good_run(page: &Path) -> String {
    let site = Site::new(&fixture("ilo-china-press-releases.html"));
    site.run().success();
    let before = site.files();
    site.switch_page(page);
    let text = stderr(&site.run().code(1));
    assert_eq!(
        site.files(),
        before,
        "{}: files must be kept",
        page.display()
    );
    text
}

#[test]
fn shipped_config_runs_quietly_and_reruns_change_nothing() {
    let site = Site::new(&fixture("ilo-china-press-releases.html"));
    let first = site.run().success();
    // Not on a terminal and nothing wrong: nothing is printed.
    assert_eq!(stderr(&first), "");
    assert!(first.get_output().stdout.is_empty());
    assert_eq!(parse_rss(&site.out.join("ilo-china.rss")).items.len(), 20);
    assert_eq!(
        parse_atom(&site.out.join("ilo-china.atom")).entries.len(),
        20
    );
    let before = site.files();
    std::thread::sleep(std::time::Duration::from_millis(20));
    site.run().success();
    assert_eq!(site.files(), before, "a rerun must not touch the files");
    // No temporary files are left in the output folder.
    let mut names: Vec<String> = std::fs::read_dir(&site.out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "feeds.opml",
            "ilo-china.atom",
            "ilo-china.json",
            "ilo-china.rss",
            "index.html"
        ]
    );
}

#[test]
fn verbose_run_reports_each_feed() {
    let site = Site::new(&fixture("ilo-china-press-releases.html"));
    let assert = site.run().success();
    let _ = assert;
    let out = pressfeed()
        .args(["-v", "--config"])
        .arg(&site.config)
        .args(["run", "--feed", "ilo-china"])
        .assert()
        .success();
    let text = stderr(&out);
    assert!(
        text.starts_with("pressfeed: info: feed \"ilo-china\": 20 items (page unchanged); "),
        "{text}"
    );
    assert!(text.contains("ilo-china.rss unchanged"), "{text}");
}

#[test]
fn check_prints_the_items_and_counts_and_writes_nothing() {
    let site = Site::new(&fixture("ilo-china-press-releases.html"));
    let assert = pressfeed()
        .arg("--config")
        .arg(&site.config)
        .args(["check", "ilo-china"])
        .assert()
        .success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        out.starts_with("feed \"ilo-china\": 20 items from "),
        "{out}"
    );
    assert!(
        out.contains("\n  1  2014-04-25  A bigger role for labour inspectors in combatting…  ")
    );
    assert!(
        out.contains("\n 20  2010-10-17  Bachelet says economic growth alone is not enough…  ")
    );
    assert!(
        out.contains(
            "\ntitle: 20/20\nlink: 20/20\ndate: 20/20 parsed (20 found)\nsummary: 16/20\n"
        )
    );
    assert!(!site.out.exists(), "check must not write feeds");
}

#[test]
fn shipped_config_in_its_own_folder_works() {
    // The README's first command, run against the repository itself but writing elsewhere.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let text = std::fs::read_to_string(root().join("config.toml"))
        .unwrap()
        .replace(
            "dir = \"public\"",
            &format!("dir = {:?}", out.to_str().unwrap()),
        );
    let fixtures = format!("{}/", root().join("fixtures").to_str().unwrap());
    let config = dir.path().join("conf").join("shipped.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, text.replace("fixtures/", &fixtures)).unwrap();
    pressfeed().arg("-c").arg(&config).assert().success();
    assert_eq!(parse_rss(&out.join("ilo-china.rss")).items.len(), 20);
    // The history sits beside the config file, never inside the published folder.
    assert!(dir.path().join("conf/pressfeed-state.sqlite").exists());
    assert!(!out.join("pressfeed-state.sqlite").exists());
    assert!(!dir.path().join("pressfeed-state.sqlite").exists());
}

#[test]
fn layout_change_fails_the_feed_and_keeps_the_old_files() {
    for broken in ["layout-changed.html", "malformed.html"] {
        let text = fails_after_good_run(&fixture(&format!("broken/{broken}")));
        assert!(
            text.starts_with(
                "pressfeed: error: feed \"ilo-china\": field \"selectors.item\": \".press-releases ol.item-list > li.item\" matches nothing on the page ("
            ),
            "{broken}: {text}"
        );
        assert!(
            text.contains("its previous feed files and history are kept"),
            "{text}"
        );
    }
}

#[test]
fn no_parseable_date_fails_the_feed() {
    let site = Site::new(&fixture("broken/no-dates.html"));
    let text = stderr(&site.run().code(1));
    assert!(!site.out.join("ilo-china.rss").exists());
    assert_eq!(
        text.lines().last().unwrap(),
        "pressfeed: error: feed \"ilo-china\": field \"selectors.date\": no date parses (\"span.date\" found date text in 3 of 3 items, e.g. \"Summer 2014\"); check the selector and `date_formats` (or cut the date out of longer text with `regex`); its previous feed files and history are kept"
    );
}

#[test]
fn missing_page_fails_the_feed() {
    let text = fails_after_good_run(&fixture("does-not-exist.html"));
    assert!(
        text.starts_with("pressfeed: error: feed \"ilo-china\": field \"source\": cannot read "),
        "{text}"
    );
}

#[test]
fn a_bad_date_is_reported_and_the_item_kept_undated() {
    let site = Site::new(&fixture("broken/bad-date.html"));
    assert_eq!(
        site.run_for_warnings(),
        [
            "pressfeed: warning: feed \"ilo-china\": item 2 \"Social protection is not a luxury\": field \"date\": \"Spring 2014\" matches none of the date formats tried (\"%d %B %Y\", then RFC 3339, RFC 2822 and the common forms); the item is kept undated"
        ]
    );
    // Under cron (not a terminal, no -v) a run with only item warnings prints nothing.
    assert_eq!(stderr(&site.run().success()), "");
    let channel = parse_rss(&site.out.join("ilo-china.rss"));
    let titles: Vec<&str> = channel
        .items
        .iter()
        .map(|i| i.title.as_deref().unwrap())
        .collect();
    // The undated item is dated by the run's start, so it sorts first.
    assert_eq!(
        titles,
        [
            "Social protection is not a luxury",
            "A bigger role for labour inspectors in combatting forced labour",
            "Integrate young people into the labour force",
        ]
    );
    let undated =
        chrono::DateTime::parse_from_rfc2822(channel.items[0].pub_date.as_deref().unwrap())
            .unwrap();
    let age = chrono::Utc::now().signed_duration_since(undated);
    assert!(age.num_seconds().abs() < 600, "{undated}");
    assert_eq!(
        channel.items[1].pub_date.as_deref(),
        Some("Fri, 25 Apr 2014 00:00:00 +0800")
    );
}

#[test]
fn items_without_a_title_are_skipped_and_without_a_link_kept() {
    let site = Site::new(&fixture("broken/missing-fields.html"));
    assert_eq!(
        site.run_for_warnings(),
        [
            "pressfeed: warning: feed \"ilo-china\": item 2 (link /beijing/about-the-office/WCMS_240095/lang--en/index.htm): field \"title\": \"h3.item-title a\" finds no text in the item; the item is skipped",
            "pressfeed: warning: feed \"ilo-china\": item 3 \"Promote social justice and decent work through social dialogue\": field \"link\": no link found; the item links to the page, with an id from its title and date",
        ]
    );
    let titles: Vec<String> = parse_atom(&site.out.join("ilo-china.atom"))
        .entries
        .iter()
        .map(|e| e.title.to_string())
        .collect();
    assert_eq!(
        titles,
        [
            "Elimination of forced labour is our bottom line",
            "Promote social justice and decent work through social dialogue",
            "Second edition of ergonomic checkpoints now also available in Chinese",
        ]
    );
    // The link-less item links to the listing page and has an id of its own.
    let feed = parse_atom(&site.out.join("ilo-china.atom"));
    let entry = &feed.entries[1];
    assert_eq!(entry.links[0].href, feed.links[0].href);
    assert!(entry.id.contains("#pressfeed-"), "{}", entry.id);
}

#[test]
fn bad_configs_exit_2_naming_file_line_feed_and_field() {
    let cases = [
        (
            "unknown-key.toml",
            ":21:1: feed \"ilo-china\": field \"time_zone\": unknown field `time_zone`",
        ),
        (
            "bad-selector.toml",
            ":27:9: feed \"ilo-china\": field \"selectors.title\": \"h3.item-title >> a\" is not a valid CSS selector: dangling combinator",
        ),
        (
            "bad-url.toml",
            ":17:7: feed \"ilo-china\": field \"url\": \"www.ilo.org/beijing/information-resources/public-information/press-releases/lang--en/index.htm\" is not a valid URL",
        ),
        (
            "bad-timezone.toml",
            ":21:12: feed \"ilo-china\": field \"timezone\": \"Asia/Beijing\" is not an IANA time zone name",
        ),
    ];
    for (name, expected) in cases {
        let path = fixture(&format!("broken/configs/{name}"));
        let assert = pressfeed().arg("-c").arg(&path).arg("run").assert().code(2);
        let text = stderr(&assert);
        let want = format!("pressfeed: error: {}{expected}", path.display());
        assert!(text.starts_with(&want), "{name}:\n{text}\nwanted: {want}");
        assert!(!path.parent().unwrap().join("out").exists());
    }
}

#[test]
fn usage_errors_exit_2() {
    let site = Site::new(&fixture("ilo-china-press-releases.html"));
    let text = stderr(
        &pressfeed()
            .arg("-c")
            .arg(&site.config)
            .args(["run", "--feed", "nope"])
            .assert()
            .code(2),
    );
    assert!(
        text.contains("no feed with id \"nope\" (feeds: ilo-china)"),
        "{text}"
    );
    pressfeed()
        .arg("-c")
        .arg(&site.config)
        .args(["check", "nope"])
        .assert()
        .code(2);
    pressfeed().arg("--no-such-flag").assert().code(2);
    let text = stderr(
        &pressfeed()
            .arg("-c")
            .arg(site.config.with_file_name("missing.toml"))
            .assert()
            .code(2),
    );
    assert!(text.contains("cannot read config file"), "{text}");
    assert!(!site.out.exists());
}

#[test]
fn file_urls_and_the_size_cap_apply_to_local_pages() {
    let page = fixture("ilo-china-press-releases.html");
    let site = Site::new(&page);
    let text = std::fs::read_to_string(&site.config).unwrap();
    let as_path = format!("source = {:?}", page.to_str().unwrap());
    let as_url = format!("source = \"file://{}\"", page.to_str().unwrap());
    std::fs::write(&site.config, text.replace(&as_path, &as_url)).unwrap();
    site.run().success();
    assert_eq!(parse_rss(&site.out.join("ilo-china.rss")).items.len(), 20);

    let text = std::fs::read_to_string(&site.config).unwrap();
    std::fs::write(
        &site.config,
        text.replace("max_items = 50", "max_items = 50\nmax_body_bytes = 1000"),
    )
    .unwrap();
    let text = stderr(&site.run().code(1));
    assert_eq!(
        text.lines().next().unwrap(),
        format!(
            "pressfeed: error: feed \"ilo-china\": field \"source\": the page at {} is larger than 1000 bytes (`max_body_bytes`); its previous feed files and history are kept",
            page.display()
        )
    );
}

#[test]
fn check_shows_the_table_even_when_a_run_would_fail() {
    let site = Site::new(&fixture("broken/no-dates.html"));
    let assert = pressfeed()
        .arg("--config")
        .arg(&site.config)
        .args(["check", "ilo-china"])
        .assert()
        .code(1);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        out.starts_with("feed \"ilo-china\": 3 items from "),
        "{out}"
    );
    assert!(out.contains("\ndate: 0/3 parsed (3 found)\n"), "{out}");
    assert!(
        out.ends_with("\na run would fail: feed \"ilo-china\": field \"selectors.date\": no date parses (\"span.date\" found date text in 3 of 3 items, e.g. \"Summer 2014\"); check the selector and `date_formats` (or cut the date out of longer text with `regex`)\n"),
        "{out}"
    );
    assert!(!site.out.exists());
}

/// The state files under `dir`, relative to it, sorted.
fn state_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "sqlite") {
                found.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

/// Runs logged in the state file at `state`.
fn runs_logged(state: &Path) -> i64 {
    rusqlite::Connection::open(state)
        .unwrap()
        .query_row("SELECT count(*) FROM runs", [], |row| row.get(0))
        .unwrap()
}

/// Issue 12: `--config ./x.toml`, an absolute path, a path from another folder and a
/// symbolic link to the config all find the one state file, beside the config file.
#[cfg(unix)]
#[test]
fn one_config_named_in_different_ways_keeps_one_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let sub = site.join("sub");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    let config = config_for(
        &site,
        &fixture("ilo-china-press-releases.html"),
        Path::new("public"),
    );
    std::os::unix::fs::symlink(&config, elsewhere.join("link.toml")).unwrap();
    let ways: [(&Path, &Path); 5] = [
        (&site, Path::new("config.toml")),
        (&site, Path::new("./config.toml")),
        (Path::new("/"), &config),
        (&sub, Path::new("../config.toml")),
        (&elsewhere, Path::new("link.toml")),
    ];
    for (cwd, name) in ways {
        pressfeed()
            .current_dir(cwd)
            .arg("--config")
            .arg(name)
            .arg("run")
            .assert()
            .success();
    }
    assert_eq!(
        state_files(dir.path()),
        [PathBuf::from("site/pressfeed-state.sqlite")]
    );
    assert_eq!(runs_logged(&site.join("pressfeed-state.sqlite")), 5);
    // The feeds went to one folder too, the config file's.
    assert!(site.join("public/ilo-china.rss").is_file());
    assert!(!elsewhere.join("public").exists());
}

/// Issue 12: a state file where earlier versions put it by default (beside the output folder)
/// is still used, with a warning saying where it now belongs.
#[test]
fn a_state_file_in_the_old_default_place_is_used_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let config = config_for(
        &root,
        &fixture("ilo-china-press-releases.html"),
        Path::new("www/feeds"),
    );
    let text = std::fs::read_to_string(&config).unwrap();
    let old_place = root.join("www/pressfeed-state.sqlite");
    std::fs::write(
        &config,
        text.replace(
            "[output]\n",
            "[output]\nstate = \"www/pressfeed-state.sqlite\"\n",
        ),
    )
    .unwrap();
    pressfeed()
        .arg("-c")
        .arg(&config)
        .arg("run")
        .assert()
        .success();
    std::fs::write(&config, text).unwrap();
    let assert = pressfeed()
        .args(["-v", "-c"])
        .arg(&config)
        .arg("run")
        .assert()
        .success();
    let warnings: Vec<String> = stderr(&assert)
        .lines()
        .filter(|l| l.starts_with("pressfeed: warning: "))
        .map(str::to_string)
        .collect();
    assert_eq!(
        warnings,
        [format!(
            "pressfeed: warning: the state file {} is where earlier versions kept it; it now belongs beside the config file: move it to {} while no run is going, or set output.state",
            old_place.display(),
            root.join("pressfeed-state.sqlite").display()
        )]
    );
    assert_eq!(runs_logged(&old_place), 2);
    assert_eq!(
        state_files(&root),
        [PathBuf::from("www/pressfeed-state.sqlite")]
    );
}
