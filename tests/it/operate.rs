//! Living with pressfeed: the config found without flags (`init`, `paths`, the XDG folders),
//! quiet failures under cron (`--fail-after`, `--report changes`), `on_change` hooks, the
//! contact in the User-Agent, durations, completions and the manual page.

use std::path::{Path, PathBuf};

use pressfeed_testkit::server::{Reply, TestServer};
use pressfeed_testkit::{HttpSite, compact_config, compact_page, parse_rss, pressfeed, stderr};

/// `pressfeed` in `work`, with `home` as `$HOME` and no XDG variable set.
fn at_home(home: &Path, work: &Path) -> assert_cmd::Command {
    let mut cmd = pressfeed();
    cmd.current_dir(work)
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_STATE_HOME");
    cmd
}

#[test]
fn init_then_run_without_flags_writes_under_the_xdg_folders() {
    let dir = tempfile::tempdir().unwrap();
    let (home, work) = (dir.path().join("home"), dir.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();

    // No config anywhere: `run` says where it looked and what to do; exit 2.
    let out = at_home(&home, &work).arg("run").assert().code(2);
    let text = stderr(&out);
    assert!(
        text.contains(&format!("{}", work.join("config.toml").display())),
        "{text}"
    );
    assert!(text.contains("pressfeed init"), "{text}");

    let out = at_home(&home, &work).arg("init").assert().success();
    let config = home.join(".config/pressfeed/config.toml");
    let printed = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        printed.starts_with(&format!("wrote {}", config.display())),
        "{printed}"
    );
    assert!(config.is_file());
    // Never over an existing config.
    let again = at_home(&home, &work).arg("init").assert().code(2);
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    let out = at_home(&home, &work).arg("run").assert().success();
    assert_eq!(stderr(&out), "");
    let public = home.join(".local/share/pressfeed/public");
    let channel = parse_rss(&public.join("ilo-china.rss"));
    assert_eq!(channel.items.len(), 20);
    assert_eq!(
        channel.items[0].title.as_deref(),
        Some("A bigger role for labour inspectors in combatting forced labour")
    );
    assert!(
        home.join(".local/state/pressfeed/pressfeed-state.sqlite")
            .is_file()
    );
    assert!(!work.join("public").exists() && !home.join(".config/pressfeed/public").exists());

    let out = at_home(&home, &work).arg("paths").assert().success();
    let paths = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let lines: Vec<&str> = paths.lines().collect();
    assert_eq!(lines[0], format!("config  {}", config.display()), "{paths}");
    assert_eq!(lines[2], format!("output  {}", public.display()), "{paths}");
    assert_eq!(
        lines[4],
        format!(
            "state   {}",
            home.join(".local/state/pressfeed/pressfeed-state.sqlite")
                .display()
        ),
        "{paths}"
    );

    // init wrote the folders out, so any later command finds the same ones.
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains(&format!("dir = \"{}\"", public.display())),
        "{text}"
    );
    // ./config.toml comes before the user's config.
    std::fs::copy(&config, work.join("config.toml")).unwrap();
    let out = at_home(&home, &work).arg("paths").assert().success();
    let paths = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        paths.starts_with(&format!(
            "config  {}\n        ./config.toml, in the current folder\n",
            work.join("config.toml").display()
        )),
        "{paths}"
    );
    // $PRESSFEED_CONFIG comes before ./config.toml.
    let out = at_home(&home, &work)
        .env("PRESSFEED_CONFIG", &config)
        .arg("paths")
        .assert()
        .success();
    let paths = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(paths.contains("given by $PRESSFEED_CONFIG"), "{paths}");
    assert!(paths.contains(&public.display().to_string()), "{paths}");
}

/// Moves every run in the state file `hours` into the past: the clock, as the next run sees
/// it, has moved on that much.
fn age_runs(state: &Path, hours: u32) {
    let conn = rusqlite::Connection::open(state).unwrap();
    let shift = format!("-{hours} hours");
    conn.execute(
        "UPDATE runs SET started = strftime('%Y-%m-%dT%H:%M:%SZ', started, ?1),
                         finished = strftime('%Y-%m-%dT%H:%M:%SZ', finished, ?1)",
        [&shift],
    )
    .unwrap();
}

struct Failing {
    _dir: tempfile::TempDir,
    config: PathBuf,
    page: PathBuf,
    state: PathBuf,
}

impl Failing {
    fn new() -> Failing {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("page.html");
        std::fs::write(&page, compact_page(5)).unwrap();
        let config = compact_config(dir.path(), &page, "li");
        let state = dir.path().join("pressfeed-state.sqlite");
        Failing {
            _dir: dir,
            config,
            page,
            state,
        }
    }

    /// Breaks the page (its items gone) or mends it.
    fn page(&self, good: bool) {
        let html = if good {
            compact_page(5)
        } else {
            "<html><body><p>Maintenance</p></body></html>".to_string()
        };
        std::fs::write(&self.page, html).unwrap();
    }

    /// `run` with `args`: its exit code and stderr.
    fn run(&self, args: &[&str]) -> (i32, String) {
        let out = pressfeed()
            .arg("--config")
            .arg(&self.config)
            .arg("run")
            .args(args)
            .assert();
        let code = out.get_output().status.code().unwrap();
        (code, stderr(&out))
    }
}

#[test]
fn fail_after_reports_a_failure_only_once_it_has_lasted() {
    let site = Failing::new();
    let alerts = ["--fail-after", "6h"];
    assert_eq!(site.run(&alerts), (0, String::new()));
    site.page(false);
    // Failing for a moment: quiet under cron (exit 0, nothing printed).
    assert_eq!(site.run(&alerts), (0, String::new()));
    // With -v the failure is a warning saying since when.
    let (code, text) = site.run(&["--fail-after", "6h", "-v"]);
    assert_eq!(code, 0);
    assert!(text.contains("warning: feed \"x\""), "{text}");
    assert!(text.contains("failing since"), "{text}");
    // Seven hours on, it is reported: exit 1, an error.
    age_runs(&site.state, 7);
    let (code, text) = site.run(&alerts);
    assert_eq!(code, 1, "{text}");
    assert!(text.starts_with("pressfeed: error: feed \"x\""), "{text}");
    // Every run, as long as it fails (without --report changes).
    assert_eq!(site.run(&alerts).0, 1);
    // `status` says since when.
    let out = pressfeed()
        .arg("--config")
        .arg(&site.config)
        .args(["status", "--json"])
        .assert()
        .success();
    let status: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let since = status[0]["failing_since"].as_str().unwrap();
    let since = chrono::DateTime::parse_from_rfc3339(since).unwrap();
    let lasted = chrono::Utc::now().signed_duration_since(since);
    assert!(lasted > chrono::Duration::hours(6), "{lasted}");
}

#[test]
fn report_changes_says_when_a_failure_starts_and_when_it_ends() {
    let site = Failing::new();
    let changes = ["--report", "changes", "--fail-after", "1h"];
    assert_eq!(site.run(&changes), (0, String::new()));
    site.page(false);
    assert_eq!(
        site.run(&changes),
        (0, String::new()),
        "under an hour: quiet"
    );
    age_runs(&site.state, 2);
    let (code, text) = site.run(&changes);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("error: feed \"x\""), "{text}");
    // Reported once: the next failing runs are quiet.
    assert_eq!(site.run(&changes), (0, String::new()));
    age_runs(&site.state, 5);
    assert_eq!(site.run(&changes), (0, String::new()));
    // It works again: said once, at the default level, exit 0.
    site.page(true);
    let (code, text) = site.run(&changes);
    assert_eq!(code, 0);
    assert!(
        text.starts_with("pressfeed: info: feed \"x\" works again (it failed from "),
        "{text}"
    );
    assert_eq!(site.run(&changes), (0, String::new()));

    // Without --fail-after, the first failing run is the one reported.
    site.page(false);
    assert_eq!(site.run(&["--report", "changes"]).0, 1);
    assert_eq!(site.run(&["--report", "changes"]), (0, String::new()));
}

#[test]
fn on_change_hooks_run_once_per_changing_run_with_the_changed_paths() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, compact_page(3)).unwrap();
    let config = compact_config(dir.path(), &page, "li");
    let log = dir.path().join("hook.log");
    let feed_log = dir.path().join("feed-hook.log");
    let text = std::fs::read_to_string(&config).unwrap();
    let record = |file: &Path| {
        format!(
            "[\"sh\", \"-c\", \"printf '%s|%s|%s|%s\\\\n' \\\"$PRESSFEED_FEEDS\\\" \\\"$PRESSFEED_FEED\\\" \\\"$(echo $PRESSFEED_CHANGED)\\\" \\\"$(pwd)\\\" >> {}\"]",
            file.display()
        )
    };
    let text = text
        .replace(
            "[output]\n",
            &format!("[output]\non_change = {}\n", record(&log)),
        )
        .replace(
            "[feed.selectors]",
            &format!("on_change = {}\n\n[feed.selectors]", record(&feed_log)),
        );
    std::fs::write(&config, text).unwrap();
    let run = || {
        let out = pressfeed()
            .arg("--config")
            .arg(&config)
            .args(["run", "-v"])
            .assert()
            .success();
        stderr(&out)
    };
    let public = dir.path().join("public");
    let changed = format!(
        "{} {} {}",
        public.join("x.rss").display(),
        public.join("x.atom").display(),
        public.join("x.json").display()
    );
    run();
    let lines = std::fs::read_to_string(&log).unwrap();
    // Run in the output folder.
    let folder = public.canonicalize().unwrap();
    let folder = folder.display();
    assert_eq!(lines, format!("x||{changed}|{folder}\n"));
    assert_eq!(
        std::fs::read_to_string(&feed_log).unwrap(),
        format!("x|x|{changed}|{folder}\n")
    );
    // Nothing changed: no hook.
    run();
    assert_eq!(std::fs::read_to_string(&log).unwrap(), lines);
    // A new item: once more.
    std::fs::write(&page, compact_page(4)).unwrap();
    run();
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 2);

    // A failing hook is a warning; the run succeeds.
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replacen(
        &record(&log),
        "[\"sh\", \"-c\", \"echo nope >&2; exit 3\"]",
        1,
    );
    std::fs::write(&config, text).unwrap();
    std::fs::write(&page, compact_page(5)).unwrap();
    let text = run();
    assert!(
        text.contains("warning: output.on_change: \"sh\" failed (exit status: 3): nope"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(&feed_log).unwrap().lines().count(),
        3
    );
}

#[test]
fn the_contact_goes_into_the_user_agent_and_durations_read_alike() {
    let server = TestServer::start();
    server.route("/page", vec![Reply::ilo()]);
    let site = HttpSite::new(
        &server.url("/page"),
        "contact = \"mailto:feeds@example.org\"\ntimeout = \"1m30s\"",
        "",
    );
    site.run().success();
    let requests = server.requests("/page");
    assert_eq!(
        requests[0].headers["user-agent"],
        "pressfeed/0.1.0 (+mailto:feeds@example.org)"
    );
    // A contact that cannot reach anyone is a config error naming the field.
    let text = std::fs::read_to_string(&site.config).unwrap();
    std::fs::write(
        &site.config,
        text.replace("mailto:feeds@example.org", "the webmaster"),
    )
    .unwrap();
    let out = site.cmd(&["run"]).assert().code(2);
    let text = stderr(&out);
    assert!(
        text.contains("field \"fetch.contact\": \"the webmaster\" is neither"),
        "{text}"
    );
    let text = std::fs::read_to_string(&site.config).unwrap();
    std::fs::write(
        &site.config,
        text.replace("contact = \"the webmaster\"\n", "")
            .replace("timeout = \"1m30s\"", "timeout = \"soon\""),
    )
    .unwrap();
    let out = site.cmd(&["run"]).assert().code(2);
    let text = stderr(&out);
    assert!(text.contains("\"soon\" is not a duration"), "{text}");
}

#[test]
fn completions_and_the_manual_page_come_from_the_command_line() {
    let out = pressfeed().args(["completions", "bash"]).assert().success();
    let script = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(script.contains("_pressfeed()"), "{script}");
    for word in ["init", "paths", "--fail-after", "suggest"] {
        assert!(script.contains(word), "{word}");
    }
    if Path::new("/bin/bash").exists() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pressfeed.bash");
        std::fs::write(&file, &script).unwrap();
        let status = std::process::Command::new("/bin/bash")
            .arg("-n")
            .arg(&file)
            .status()
            .unwrap();
        assert!(status.success());
    }
    for shell in ["zsh", "fish"] {
        let out = pressfeed().args(["completions", shell]).assert().success();
        assert!(out.get_output().stdout.len() > 1000, "{shell}");
    }
    let out = pressfeed().arg("man").assert().success();
    let page = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{}", &page[..200]);
    assert!(page.contains(".TH pressfeed 1"), "{page}");
    assert!(page.contains("RSS, Atom and JSON Feed"), "{page}");
}
