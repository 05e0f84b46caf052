//! Resource ceilings: the peak memory of `pressfeed` (the debug build `cargo test` makes) on
//! the heaviest inputs it is meant to take. Each ceiling is asserted here and listed in the
//! `docs/reliability.md`, with the release build's figures from the benchmarks.
//!
//! Peak memory is the child's `ru_maxrss` (`wait4`). Linux counts into it the peak memory of
//! the process that started the child (the child begins as its copy), so a figure here is an
//! upper bound, and these tests live in a binary of their own that stays small.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use wait4::Wait4 as _;

use pressfeed_testkit as common;
use pressfeed_testkit::pages;
use pressfeed_testkit::server::{Reply, TestServer};

const MIB: u64 = 1024 * 1024;

/// What a run of the binary did, and its peak memory.
struct Measured {
    code: Option<i32>,
    stderr: String,
    peak_rss: u64,
}

fn pressfeed(config: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pressfeed"));
    command
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("PRESSFEED_LOG")
        .env_remove("PRESSFEED_PAUSE_AT")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Runs `pressfeed --config <config> run` and measures its peak resident memory.
fn run_measured(config: &Path) -> Measured {
    let mut child = pressfeed(config, &["run"]).spawn().unwrap();
    let mut text = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let usage = child.wait4().unwrap();
    println!("peak RSS {:.1} MiB", mib(usage.rusage.maxrss));
    Measured {
        code: usage.status.code(),
        stderr: text,
        peak_rss: usage.rusage.maxrss,
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / MIB as f64
}

#[test]
fn a_10000_item_page_of_the_ilo_shape() {
    let fixture = pages::read_fixture();
    let template = pages::PageTemplate::new(&fixture);
    let first = chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
    let page = template.page((0..10_000).map(|n| {
        pages::NewItem {
            template: n % template.items.len(),
            id: 900_000 + n,
            label: format!("#{n}"),
            date: first
                .checked_sub_days(chrono::Days::new(n as u64 / 3))
                .unwrap(),
        }
    }));
    assert!(page.len() > 6_000_000 && page.len() < 10 * MIB as usize);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("page.html");
    std::fs::write(&path, &page).unwrap();
    drop(page);
    let config = common::config_for(dir.path(), &path, &dir.path().join("public"));
    let run = run_measured(&config);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let channel = common::parse_rss(&dir.path().join("public/ilo-china.rss"));
    assert_eq!(channel.items.len(), 50);
    assert!(channel.items[0].title().unwrap().ends_with("#0"));
    assert!(
        run.peak_rss < 192 * MIB,
        "{:.1} MiB for a 6 MB page",
        mib(run.peak_rss)
    );
}

#[test]
fn a_page_of_100000_items_costs_little_beyond_parsing_it() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, common::compact_page(100_000)).unwrap();
    assert!(std::fs::metadata(&page).unwrap().len() < 10 * MIB);

    // The same page with an item selector that matches nothing: what parsing alone costs.
    let parse_only = tempfile::tempdir().unwrap();
    let config = common::compact_config(parse_only.path(), &page, "ul > li.none");
    let baseline = run_measured(&config);
    assert_eq!(baseline.code, Some(1), "{}", baseline.stderr);

    let config = common::compact_config(dir.path(), &page, "ul > li");
    let run = run_measured(&config);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let channel = common::parse_rss(&dir.path().join("public/x.rss"));
    let titles: Vec<_> = channel.items.iter().map(|i| i.title().unwrap()).collect();
    let expected: Vec<String> = (0..50).map(|i| format!("T{i}")).collect();
    assert_eq!(titles, expected);
    let db = rusqlite::Connection::open(dir.path().join("pressfeed-state.sqlite")).unwrap();
    let stored: i64 = db
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 50, "the history keeps what the feed shows");
    assert!(
        run.peak_rss < baseline.peak_rss + 24 * MIB,
        "{:.1} MiB against {:.1} MiB for parsing alone",
        mib(run.peak_rss),
        mib(baseline.peak_rss)
    );
    assert!(run.peak_rss < 256 * MIB, "{:.1} MiB", mib(run.peak_rss));
}

#[test]
fn oversized_bodies_stop_at_the_cap() {
    let server = TestServer::start();
    let chunk = b"<li><a href=\"/x\">padding</a></li>\n".repeat(2000);
    server.route(
        "/huge",
        vec![Reply::Endless {
            chunk,
            total: 100 * 1000 * 1000,
            sent: Arc::new(AtomicU64::new(0)),
        }],
    );
    let bomb = std::fs::read(common::fixture("hostile/bomb.html.gz")).unwrap();
    server.route(
        "/bomb",
        vec![Reply::Raw(
            vec![
                ("content-type", "text/html".to_string()),
                ("content-encoding", "gzip".to_string()),
            ],
            bomb,
        )],
    );
    for path in ["/huge", "/bomb"] {
        let site = common::HttpSite::new(&server.url(path), "retries = 0", "");
        let run = run_measured(&site.config);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(
            run.stderr.contains("larger than 10485760 bytes"),
            "{}",
            run.stderr
        );
        // The cap is 10 MiB; a body read whole would show as 100 or 256 MiB.
        assert!(
            run.peak_rss < 64 * MIB,
            "{path}: {:.1} MiB",
            mib(run.peak_rss)
        );
    }
}

#[test]
fn serve_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let config = common::config_for(
        dir.path(),
        &common::fixture("ilo-china-press-releases.html"),
        &out,
    );
    let run = run_measured(&config);
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    let (mut child, base) = common::spawn_serve(&config, &[]);

    // 64 clients, 250 requests each: plain, gzip, and conditional, over every file.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let answered = runtime.block_on(async {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let etag = client
            .get(format!("{base}/ilo-china.atom"))
            .send()
            .await
            .unwrap()
            .headers()["etag"]
            .to_str()
            .unwrap()
            .to_string();
        let tasks: Vec<_> = (0..64)
            .map(|task| {
                let (client, base, etag) = (client.clone(), base.clone(), etag.clone());
                tokio::spawn(async move {
                    let mut ok = 0u32;
                    for n in 0..250 {
                        let file = [
                            "ilo-china.rss",
                            "ilo-china.atom",
                            "ilo-china.json",
                            "index.html",
                            "feeds.opml",
                        ][(task + n) % 5];
                        let mut request = client.get(format!("{base}/{file}"));
                        match n % 3 {
                            1 => request = request.header("accept-encoding", "gzip, br"),
                            2 => request = request.header("if-none-match", etag.as_str()),
                            _ => {}
                        }
                        let response = request.send().await.unwrap();
                        let status = response.status().as_u16();
                        let _ = response.bytes().await.unwrap();
                        ok += u32::from(status == 200 || status == 304);
                    }
                    ok
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.unwrap();
        }
        total
    });
    let took = started.elapsed();
    assert_eq!(answered, 64 * 250);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let usage = child.wait4().unwrap();
    assert!(usage.status.success(), "{}", usage.status);
    println!(
        "serve: {answered} requests in {:.1} s, peak RSS {:.1} MiB",
        took.as_secs_f64(),
        mib(usage.rusage.maxrss)
    );
    assert!(
        usage.rusage.maxrss < 64 * MIB,
        "{:.1} MiB",
        mib(usage.rusage.maxrss)
    );
    assert!(took < Duration::from_secs(120));
}

#[test]
fn a_refresh_of_1000_feeds() {
    // 1,000 feeds of the ILO page over 10 loopback hosts (100 each).
    let servers: Vec<TestServer> = (1..=10)
        .map(|host| {
            let server = TestServer::start_on(&format!("127.0.0.{host}"));
            for feed in 0..100 {
                server.route(&format!("/f/{feed}"), vec![Reply::ilo()]);
            }
            server
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(common::root().join("config.toml")).unwrap();
    let block_start = shipped.find("[[feed]]").unwrap();
    let feed_block = &shipped[block_start..];
    let mut text =
        String::from("[output]\ndir = \"public\"\n\n[fetch]\nhost_delay = 0\nconcurrency = 16\n\n");
    for (host, server) in servers.iter().enumerate() {
        for feed in 0..100 {
            let block = feed_block
                .replace("id = \"ilo-china\"", &format!("id = \"f{host}-{feed}\""))
                .replace(
                    "source = \"fixtures/ilo-china-press-releases.html\"\n",
                    "",
                )
                .replace(
                    "url = \"https://www.ilo.org/beijing/information-resources/public-information/press-releases/lang--en/index.htm\"",
                    &format!("url = {:?}", server.url(&format!("/f/{feed}"))),
                );
            text.push_str(&block);
            text.push('\n');
        }
    }
    let config = dir.path().join("config.toml");
    std::fs::write(&config, text).unwrap();
    let started = Instant::now();
    let run = run_measured(&config);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    println!("1,000 feeds in {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(
        std::fs::read_dir(dir.path().join("public"))
            .unwrap()
            .count(),
        3002
    );
    assert!(run.peak_rss < 128 * MIB, "{:.1} MiB", mib(run.peak_rss));
}

/// Issue 12: a feed without a date selector keeps a bounded history. A page of 200,000
/// undated items whose links all change between runs, read four times, leaves the newest
/// `max_items` of each run (the window of `keep_days` keeps the runs before), not 800,000 rows;
/// with `keep_days = 0`, only the page's newest `max_items`.
#[test]
fn issue_12_an_undated_page_of_200000_items_keeps_a_bounded_history() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    let config = dir.path().join("config.toml");
    let write_config = |keep_days: u32| {
        std::fs::write(
            &config,
            format!(
                "[output]\ndir = \"public\"\n\n[[feed]]\nid = \"x\"\ntitle = \"X\"\nurl = \"https://example.org/news/\"\nsource = {:?}\nmax_body_bytes = 100000000\nkeep_days = {keep_days}\n\n[feed.selectors]\nitem = \"ul > li\"\ntitle = \"a\"\nlink = \"a\"\n",
                page.to_str().unwrap()
            ),
        )
        .unwrap();
    };
    let rows = || -> i64 {
        let db = rusqlite::Connection::open(dir.path().join("pressfeed-state.sqlite")).unwrap();
        db.query_row("SELECT count(*) FROM items", [], |r| r.get(0))
            .unwrap()
    };
    write_config(30);
    for run in 0..4 {
        let mut html = String::from("<!DOCTYPE html><html><body><ul>\n");
        for i in 0..200_000 {
            html.push_str(&format!("<li><a href=/r{run}/n/{i}>T{i}</a>\n"));
        }
        html.push_str("</ul></body></html>\n");
        std::fs::write(&page, html).unwrap();
        let measured = run_measured(&config);
        assert_eq!(measured.code, Some(0), "{}", measured.stderr);
    }
    assert_eq!(
        rows(),
        4 * 50,
        "the newest 50 of each run, within keep_days"
    );
    let size: u64 = ["pressfeed-state.sqlite", "pressfeed-state.sqlite-wal"]
        .iter()
        .filter_map(|name| std::fs::metadata(dir.path().join(name)).ok())
        .map(|meta| meta.len())
        .sum();
    assert!(size < MIB, "the state file holds {size} bytes");
    write_config(0);
    assert_eq!(run_measured(&config).code, Some(0));
    assert_eq!(rows(), 50, "keep_days = 0: the page's newest 50 only");
}
