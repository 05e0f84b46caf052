//! Fault-injection soak: many feeds served from loopback with random faults, refreshed cycle
//! after cycle by `pressfeed run`, some runs killed at a random moment. After every cycle it
//! checks that each published file is valid and is the last good one (or, where the run was
//! allowed to succeed, the new one), that the history opens and is consistent, that
//! `pressfeed serve` serves exactly what is on disk, and that memory and open files stay flat.
//!
//! `cargo test --test soak` runs a smoke of a few cycles. `PRESSFEED_SOAK_SECS=120` runs for
//! that long with 200 feeds (`.ci/run` does); `PRESSFEED_SOAK_FEEDS` and `PRESSFEED_SOAK_SEED`
//! set the feed count and the random seed. A summary goes to stdout, and to the file named by
//! `PRESSFEED_SOAK_REPORT` as JSON.

#![expect(
    clippy::unwrap_used,
    reason = "a soak fails loudly on any unexpected error"
)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use pressfeed_testkit as common;

/// Feeds per loopback host (127.0.0.1, .2, ...): pressfeed asks one host one thing at a time,
/// so few feeds per host keep a hanging host from holding up the cycle.
const FEEDS_PER_HOST: usize = 2;
/// Items on a page at a time; each new version adds one and drops the oldest.
const ITEMS_ON_PAGE: u32 = 8;
/// The feeds' `timeout`, in seconds; a hanging server holds a request this long.
const TIMEOUT_SECS: f64 = 0.5;

/// What a feed's server does in one cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Fault {
    /// Answers the page (or 304 to its ETag).
    None,
    /// 500, 502 or 503.
    ServerError,
    /// Holds the request past the timeout.
    Timeout,
    /// Sends half the body, then drops the connection.
    Reset,
    /// Announces a longer body than it sends.
    Truncated,
    /// A page whose items are marked up differently.
    LayoutChange,
    /// Random bytes.
    Garbage,
    /// An empty 200.
    Empty,
    /// The page, in small pieces with pauses (within the timeout): it must succeed.
    SlowBody,
}

impl Fault {
    const ALL: [Fault; 9] = [
        Fault::None,
        Fault::ServerError,
        Fault::Timeout,
        Fault::Reset,
        Fault::Truncated,
        Fault::LayoutChange,
        Fault::Garbage,
        Fault::Empty,
        Fault::SlowBody,
    ];

    /// Whether a run may publish the page despite this fault.
    fn succeeds(self) -> bool {
        matches!(self, Fault::None | Fault::SlowBody)
    }

    fn name(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::ServerError => "5xx",
            Fault::Timeout => "timeout",
            Fault::Reset => "reset",
            Fault::Truncated => "truncated",
            Fault::LayoutChange => "layout change",
            Fault::Garbage => "garbage",
            Fault::Empty => "empty",
            Fault::SlowBody => "slow body",
        }
    }
}

/// One feed's page as the server has it.
#[derive(Debug, Clone, Copy)]
struct SiteState {
    version: u32,
    fault: Fault,
}

type Sites = Arc<Mutex<Vec<SiteState>>>;

/// The newest item's number on version `version` of a page.
fn newest(version: u32) -> u32 {
    version + ITEMS_ON_PAGE - 1
}

fn title(feed: usize, item: u32) -> String {
    format!("Feed {feed} story {item} <&> \u{202e}rtl\u{202c}")
}

fn page(feed: usize, version: u32, layout_changed: bool) -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>News</title></head><body>\n",
    );
    html.push_str(if layout_changed {
        "<section class=\"stories\">\n"
    } else {
        "<ul class=\"news\">\n"
    });
    for item in (version..=newest(version)).rev() {
        let minutes = item * 37;
        let date = format!(
            "2024-01-{:02} {:02}:{:02}",
            1 + minutes / 1440,
            minutes / 60 % 24,
            minutes % 60
        );
        let text = escape(&title(feed, item));
        if layout_changed {
            html.push_str(&format!(
                "<div class=\"story\"><h2><a href=\"/f/{feed}/{item}\">{text}</a></h2><em>{date}</em></div>\n"
            ));
        } else {
            html.push_str(&format!(
                "<li><a href=\"/f/{feed}/{item}\">{text}</a> <time>{date}</time><p>Summary of story {item}: caf\u{e9} \u{5317}\u{4eac}</p></li>\n"
            ));
        }
    }
    html.push_str(if layout_changed {
        "</section>"
    } else {
        "</ul>"
    });
    html.push_str("\n</body></html>\n");
    html
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn answer(
    State(sites): State<Sites>,
    UrlPath(feed): UrlPath<usize>,
    headers: HeaderMap,
) -> Response {
    let Some(site) = sites.lock().unwrap().get(feed).copied() else {
        return status(404);
    };
    let etag = format!("\"v{}\"", site.version);
    let body = page(feed, site.version, false).into_bytes();
    match site.fault {
        Fault::None | Fault::SlowBody => {
            if headers
                .get(header::IF_NONE_MATCH)
                .is_some_and(|v| v.as_bytes() == etag.as_bytes())
            {
                return Response::builder()
                    .status(StatusCode::NOT_MODIFIED)
                    .header(header::ETAG, etag)
                    .body(Body::empty())
                    .unwrap();
            }
            let body = if site.fault == Fault::SlowBody {
                let pieces: Vec<Vec<u8>> = body
                    .chunks(body.len() / 5 + 1)
                    .map(<[u8]>::to_vec)
                    .collect();
                Body::from_stream(futures::stream::unfold(
                    pieces.into_iter(),
                    |mut rest| async {
                        let piece = rest.next()?;
                        tokio::time::sleep(Duration::from_millis(40)).await;
                        Some((Ok::<_, std::io::Error>(piece), rest))
                    },
                ))
            } else {
                Body::from(body)
            };
            Response::builder()
                .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                .header(header::ETAG, etag)
                .body(body)
                .unwrap()
        }
        Fault::ServerError => status([500, 502, 503][feed % 3]),
        Fault::Timeout => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            status(200)
        }
        Fault::Reset | Fault::Truncated => {
            use futures::StreamExt as _;
            let half = body[..body.len() / 2].to_vec();
            let declared = body.len();
            let first = futures::stream::iter([Ok::<_, std::io::Error>(half)]);
            let builder = Response::builder().header(header::CONTENT_TYPE, "text/html");
            if site.fault == Fault::Reset {
                let fail = futures::stream::once(async {
                    Err(std::io::Error::other("reset by the soak"))
                });
                builder.body(Body::from_stream(first.chain(fail))).unwrap()
            } else {
                builder
                    .header(header::CONTENT_LENGTH, declared)
                    .body(Body::from_stream(first))
                    .unwrap()
            }
        }
        Fault::LayoutChange => Response::builder()
            .header(header::CONTENT_TYPE, "text/html")
            .body(Body::from(page(feed, site.version, true)))
            .unwrap(),
        Fault::Garbage => {
            let len = 1 + (site.version as usize * 7919 + feed * 104_729) % 65_536;
            let mut rng = fastrand::Rng::with_seed((feed as u64) << 32 | u64::from(site.version));
            let bytes: Vec<u8> = std::iter::repeat_with(|| rng.u8(..)).take(len).collect();
            Response::builder()
                .header(header::CONTENT_TYPE, "text/html")
                .body(Body::from(bytes))
                .unwrap()
        }
        Fault::Empty => Response::builder()
            .header(header::CONTENT_TYPE, "text/html")
            .body(Body::empty())
            .unwrap(),
    }
}

fn status(code: u16) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap())
        .body(Body::empty())
        .unwrap()
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// The soak's settings.
struct Settings {
    feeds: usize,
    duration: Option<Duration>,
    min_cycles: usize,
    seed: u64,
}

impl Settings {
    fn from_env() -> Settings {
        let secs = env_number("PRESSFEED_SOAK_SECS");
        Settings {
            feeds: env_number("PRESSFEED_SOAK_FEEDS")
                .map_or(if secs.is_some() { 200 } else { 30 }, |n| {
                    usize::try_from(n).unwrap()
                }),
            duration: secs.map(Duration::from_secs),
            min_cycles: if secs.is_some() { 10 } else { 4 },
            seed: env_number("PRESSFEED_SOAK_SEED").unwrap_or_else(|| fastrand::u64(..)),
        }
    }
}

fn write_config(dir: &Path, hosts: &[String], feeds: usize) -> PathBuf {
    let mut text = format!(
        "[output]\ndir = \"public\"\nbase_url = \"http://feeds.example.org/\"\n\n[fetch]\nconcurrency = 16\nhost_delay = 0\nretries = 1\nretry_time = 2\ntimeout = {TIMEOUT_SECS}\nconnect_timeout = 1\n"
    );
    for feed in 0..feeds {
        let host = &hosts[feed / FEEDS_PER_HOST];
        text.push_str(&format!(
            "\n[[feed]]\nid = \"f{feed}\"\ntitle = \"Feed {feed}\"\nurl = \"{host}/f/{feed}\"\ndate_formats = [\"%Y-%m-%d %H:%M\"]\ntimezone = \"UTC\"\nmax_items = 20\n[feed.selectors]\nitem = \"ul.news > li\"\ntitle = \"a\"\nlink = \"a\"\ndate = \"time\"\nsummary = \"p\"\n"
        ));
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Peak resident memory (VmHWM) and open descriptors of a live process, from /proc.
fn proc_usage(pid: u32) -> Option<(u64, usize)> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    Some((proc_status_bytes(pid, "VmHWM:")?, fds))
}

/// A memory figure (`VmHWM:`, `VmRSS:`, ...) of a live process from /proc, in bytes.
fn proc_status_bytes(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .map(|kib| kib * 1024)
}

/// How one `pressfeed run` went.
struct RunOutcome {
    killed: bool,
    code: Option<i32>,
    stderr: String,
    peak_rss: u64,
    peak_fds: usize,
}

fn run_once(config: &Path, kill_after: Option<Duration>) -> RunOutcome {
    let stderr_path = config.with_file_name("run.stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .arg("--config")
        .arg(config)
        .arg("run")
        .env_remove("PRESSFEED_LOG")
        .env_remove("PRESSFEED_PAUSE_AT")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let (mut peak_rss, mut peak_fds, mut killed) = (0, 0, false);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Some((rss, fds)) = proc_usage(child.id()) {
            peak_rss = peak_rss.max(rss);
            peak_fds = peak_fds.max(fds);
        }
        if kill_after.is_some_and(|after| started.elapsed() >= after) && !killed {
            child.kill().unwrap();
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    RunOutcome {
        killed: killed && status.code().is_none(),
        code: status.code(),
        stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default(),
        peak_rss,
        peak_fds,
    }
}

/// A published file read back: what kind it is and the newest item's title.
fn newest_title(name: &str, bytes: &[u8]) -> Result<Option<String>, String> {
    if name.ends_with(".rss") {
        let channel = rss::Channel::read_from(bytes).map_err(|e| e.to_string())?;
        roxmltree::Document::parse(std::str::from_utf8(bytes).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        Ok(channel.items.first().and_then(|i| i.title.clone()))
    } else if name.ends_with(".atom") {
        let feed = atom_syndication::Feed::read_from(bytes).map_err(|e| e.to_string())?;
        roxmltree::Document::parse(std::str::from_utf8(bytes).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        Ok(feed.entries.first().map(|e| e.title.value.clone()))
    } else {
        let json: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if json["version"] != "https://jsonfeed.org/version/1.1" {
            return Err("not a JSON Feed 1.1".to_string());
        }
        Ok(json["items"][0]["title"].as_str().map(str::to_string))
    }
}

/// Problems found after a cycle, and feeds lost.
#[derive(Default)]
struct Verdict {
    problems: Vec<String>,
    lost: usize,
}

fn check_history(state: &Path, feeds: usize, verdict: &mut Verdict) {
    if !state.exists() {
        return;
    }
    let db =
        rusqlite::Connection::open_with_flags(state, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    if integrity != "ok" {
        verdict
            .problems
            .push(format!("history integrity: {integrity}"));
    }
    let orphans: i64 = db
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    if orphans != 0 {
        verdict
            .problems
            .push(format!("history: {orphans} rows break foreign keys"));
    }
    let known: i64 = db
        .query_row("SELECT count(DISTINCT feed) FROM items", [], |r| r.get(0))
        .unwrap();
    if usize::try_from(known).unwrap() > feeds {
        verdict
            .problems
            .push(format!("history has items of {known} feeds"));
    }
}

/// After a finished run, the history's newest item of each feed read this cycle is the RSS
/// file's newest. (A feed whose files a killed run published but whose history it did not
/// commit catches up at its next successful read, not before.)
fn check_history_matches(
    state: &Path,
    last_good: &HashMap<String, Vec<u8>>,
    faults: &[Fault],
    cycle: usize,
    verdict: &mut Verdict,
) {
    let db =
        rusqlite::Connection::open_with_flags(state, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut query = db
        .prepare("SELECT feed, title FROM items AS i WHERE date_unix = (SELECT max(date_unix) FROM items WHERE feed = i.feed)")
        .unwrap();
    let newest: HashMap<String, String> = query
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (name, bytes) in last_good {
        let Some(feed) = name.strip_suffix(".rss") else {
            continue;
        };
        let number: usize = feed[1..].parse().unwrap();
        if !faults[number].succeeds() {
            continue;
        }
        let published = newest_title(name, bytes).ok().flatten();
        if published.as_ref() != newest.get(feed) {
            verdict.problems.push(format!(
                "cycle {cycle}: history's newest item of {feed} is {:?}, the feed's {published:?}",
                newest.get(feed)
            ));
        }
    }
}

fn main() {
    let settings = Settings::from_env();
    println!(
        "soak: {} feeds, {}, seed {} (PRESSFEED_SOAK_SEED={} to repeat)",
        settings.feeds,
        settings
            .duration
            .map_or("smoke run".to_string(), |d| format!("{} s", d.as_secs())),
        settings.seed,
        settings.seed
    );
    let mut rng = fastrand::Rng::with_seed(settings.seed);
    let sites: Sites = Arc::new(Mutex::new(vec![
        SiteState {
            version: 0,
            fault: Fault::None
        };
        settings.feeds
    ]));
    let app = axum::Router::new()
        .route("/f/{feed}", axum::routing::get(answer))
        .with_state(Arc::clone(&sites));
    let host_count = settings.feeds.div_ceil(FEEDS_PER_HOST);
    let hosts = serve_sites(app, host_count);

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &hosts, settings.feeds);
    let out = dir.path().join("public");
    let state = dir.path().join("pressfeed-state.sqlite");

    // A long-lived `serve` over the output folder: what readers see, and what must not leak.
    std::fs::create_dir_all(&out).unwrap();
    let (mut serve, serve_url) = common::spawn_serve(&config, &[]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();

    let names: Vec<String> = (0..settings.feeds)
        .flat_map(|f| ["rss", "atom", "json"].map(|ext| format!("f{f}.{ext}")))
        .collect();
    let mut last_good: HashMap<String, Vec<u8>> = HashMap::new();
    let mut injected: BTreeMap<Fault, usize> = BTreeMap::new();
    let mut survived = 0usize;
    let (mut cycles, mut killed, mut lost) = (0usize, 0usize, 0usize);
    let mut run_rss = Vec::new();
    let mut run_fds = Vec::new();
    let mut serve_rss = Vec::new();
    let mut serve_fds = Vec::new();
    let started = Instant::now();
    let mut problems: Vec<String> = Vec::new();

    loop {
        let out_of_time = settings.duration.is_none_or(|d| started.elapsed() >= d);
        if cycles >= settings.min_cycles && out_of_time {
            break;
        }
        cycles += 1;
        // The first cycle is clean, so every feed has a good version to lose.
        let faults: Vec<Fault> = (0..settings.feeds)
            .map(|_| {
                if cycles == 1 || rng.f64() < 0.6 {
                    Fault::None
                } else {
                    Fault::ALL[rng.usize(1..Fault::ALL.len())]
                }
            })
            .collect();
        {
            let mut sites = sites.lock().unwrap();
            for (site, &fault) in sites.iter_mut().zip(&faults) {
                if rng.f64() < 0.3 {
                    site.version += 1;
                }
                site.fault = fault;
                if fault != Fault::None {
                    *injected.entry(fault).or_default() += 1;
                }
            }
        }
        let kill_after =
            (cycles > 1 && rng.f64() < 0.5).then(|| Duration::from_millis(rng.u64(0..2500)));
        let run = run_once(&config, kill_after);
        killed += usize::from(run.killed);
        if !run.killed {
            run_rss.push(run.peak_rss);
            run_fds.push(run.peak_fds);
            let expected_code = if faults.iter().all(|f| f.succeeds()) {
                0
            } else {
                1
            };
            if run.code != Some(expected_code) {
                problems.push(format!(
                    "cycle {cycles}: run exited {:?}, expected {expected_code}: {}",
                    run.code,
                    run.stderr.lines().take(3).collect::<Vec<_>>().join(" | ")
                ));
            }
        }
        if run.stderr.contains("panicked") {
            problems.push(format!("cycle {cycles}: panic: {}", run.stderr));
        }

        // Every file: valid, and the last good one unless this run could replace it.
        let versions: Vec<u32> = sites.lock().unwrap().iter().map(|s| s.version).collect();
        let mut verdict = Verdict::default();
        let mut feed_ok = vec![true; settings.feeds];
        let mut had_good = vec![false; settings.feeds];
        for name in &names {
            let feed: usize = name[1..name.find('.').unwrap()].parse().unwrap();
            let path = out.join(name);
            let now = std::fs::read(&path).ok();
            let before = last_good.get(name);
            let may_change = faults[feed].succeeds();
            let expected_title = title(feed, newest(versions[feed]));
            let ok = match (&now, before) {
                (None, None) => !may_change || run.killed,
                (None, Some(_)) => false,
                (Some(bytes), _) => match newest_title(name, bytes) {
                    Err(err) => {
                        verdict
                            .problems
                            .push(format!("cycle {cycles}: {name} is invalid: {err}"));
                        false
                    }
                    Ok(newest) => {
                        let unchanged = before == Some(bytes);
                        let updated = newest.as_deref() == Some(expected_title.as_str());
                        if !may_change {
                            unchanged
                        } else if run.killed {
                            unchanged || updated
                        } else {
                            updated
                        }
                    }
                },
            };
            had_good[feed] |= before.is_some();
            feed_ok[feed] &= ok;
            if !ok {
                verdict.problems.push(format!(
                    "cycle {cycles}: {name} ({}, {}): {}",
                    faults[feed].name(),
                    if run.killed {
                        "run killed"
                    } else {
                        "run finished"
                    },
                    match &now {
                        None => "missing".to_string(),
                        Some(b) => format!(
                            "newest {:?}, expected {expected_title:?} or the last good file",
                            newest_title(name, b).ok().flatten()
                        ),
                    }
                ));
            }
            if ok && let Some(bytes) = now {
                last_good.insert(name.clone(), bytes);
            }
        }
        for feed in 0..settings.feeds {
            if faults[feed] != Fault::None && had_good[feed] && feed_ok[feed] {
                survived += 1;
            }
            if had_good[feed] && !feed_ok[feed] {
                verdict.lost += 1;
            }
        }
        // No temporary files left behind once a run finishes.
        if !run.killed {
            for entry in std::fs::read_dir(&out).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                if !(last_good.contains_key(&name) || name == "index.html" || name == "feeds.opml")
                {
                    verdict
                        .problems
                        .push(format!("cycle {cycles}: stray file {name}"));
                }
            }
        }
        check_history(&state, settings.feeds, &mut verdict);
        if !run.killed {
            check_history_matches(&state, &last_good, &faults, cycles, &mut verdict);
        }
        // What `serve` answers is what is on disk.
        runtime.block_on(async {
            for name in names.iter().step_by(7) {
                let Some(on_disk) = last_good.get(name) else {
                    continue;
                };
                let response = client
                    .get(format!("{serve_url}/{name}"))
                    .send()
                    .await
                    .unwrap();
                let served = response.bytes().await.unwrap();
                if served.as_ref() != on_disk.as_slice() {
                    verdict.problems.push(format!(
                        "cycle {cycles}: serve answers other bytes for {name}"
                    ));
                }
            }
        });
        let (_, fds) = proc_usage(serve.id()).unwrap();
        serve_rss.push(proc_status_bytes(serve.id(), "VmRSS:").unwrap());
        serve_fds.push(fds);
        lost += verdict.lost;
        // Faults a run counted as failures are survived only if nothing was lost.
        problems.extend(verdict.problems);
        if cycles % 5 == 0 || settings.duration.is_none() {
            println!(
                "cycle {cycles}: {:.0} s, {killed} runs killed, {lost} feeds lost, {} problems",
                started.elapsed().as_secs_f64(),
                problems.len()
            );
        }
    }

    let _ = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status();
    let serve_exit = serve.wait().unwrap();

    let quarter = |values: &[u64], last: bool| {
        let n = (values.len() / 4).max(1);
        let part = if last {
            &values[values.len() - n..]
        } else {
            &values[..n]
        };
        part.iter().copied().max().unwrap_or(0)
    };
    let mib = |b: u64| b as f64 / 1024.0 / 1024.0;
    let fds_as_u64 = |v: &[usize]| v.iter().map(|&n| n as u64).collect::<Vec<_>>();
    let (run_rss_first, run_rss_last) = (quarter(&run_rss, false), quarter(&run_rss, true));
    let (serve_rss_first, serve_rss_last) = (quarter(&serve_rss, false), quarter(&serve_rss, true));
    let (run_fds_first, run_fds_last) = (
        quarter(&fds_as_u64(&run_fds), false),
        quarter(&fds_as_u64(&run_fds), true),
    );
    let (serve_fds_first, serve_fds_last) = (
        quarter(&fds_as_u64(&serve_fds), false),
        quarter(&fds_as_u64(&serve_fds), true),
    );
    if run_rss_last > run_rss_first + run_rss_first / 2 + 8 * 1024 * 1024 {
        problems.push(format!(
            "run memory grew: {:.1} MiB, then {:.1} MiB",
            mib(run_rss_first),
            mib(run_rss_last)
        ));
    }
    if serve_rss_last > serve_rss_first + serve_rss_first / 2 + 8 * 1024 * 1024 {
        problems.push(format!(
            "serve memory grew: {:.1} MiB, then {:.1} MiB",
            mib(serve_rss_first),
            mib(serve_rss_last)
        ));
    }
    if run_fds_last > run_fds_first + 8 || serve_fds_last > serve_fds_first + 8 {
        problems.push(format!(
            "open files grew: run {run_fds_first} then {run_fds_last}, serve {serve_fds_first} then {serve_fds_last}"
        ));
    }
    if !serve_exit.success() {
        problems.push(format!("serve exited {serve_exit}"));
    }
    let faults_injected: usize = injected.values().sum();
    let report = serde_json::json!({
        "seed": settings.seed,
        "feeds": settings.feeds,
        "seconds": started.elapsed().as_secs_f64().round(),
        "cycles": cycles,
        "runs_killed": killed,
        "faults_injected": faults_injected,
        "faults_by_kind": injected.iter().map(|(k, v)| (k.name(), *v)).collect::<BTreeMap<_, _>>(),
        "faults_survived": survived,
        "feeds_lost": lost,
        "problems": problems.len(),
        "run_peak_rss_mib": [mib(run_rss_first), mib(run_rss_last)],
        "run_peak_fds": [run_fds_first, run_fds_last],
        "serve_rss_mib": [mib(serve_rss_first), mib(serve_rss_last)],
        "serve_fds": [serve_fds_first, serve_fds_last],
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    if let Ok(path) = std::env::var("PRESSFEED_SOAK_REPORT") {
        std::fs::write(path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    }
    for problem in problems.iter().take(40) {
        eprintln!("soak: {problem}");
    }
    if !problems.is_empty() || lost != 0 {
        eprintln!(
            "soak: FAILED ({} problems, {lost} feeds lost)",
            problems.len()
        );
        std::process::exit(1);
    }
    println!("soak: passed");
}

/// Serves `app` on 127.0.0.1, .2, ... (`count` addresses, free ports) from a runtime of its
/// own; returns their base URLs.
fn serve_sites(app: axum::Router, count: usize) -> Vec<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let mut tasks = Vec::new();
            for i in 0..count {
                let ip = format!("127.0.{}.{}", i / 250, i % 250 + 1);
                let listener = tokio::net::TcpListener::bind((ip.as_str(), 0))
                    .await
                    .unwrap();
                tx.send(format!("http://{}", listener.local_addr().unwrap()))
                    .unwrap();
                tasks.push(tokio::spawn(
                    axum::serve(listener, app.clone()).into_future(),
                ));
            }
            for task in tasks {
                let _ = task.await;
            }
        });
    });
    (0..count).map(|_| rx.recv().unwrap()).collect()
}
