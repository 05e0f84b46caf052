//! End-to-end refresh of 1,000 feeds over HTTP: wall time, requests per second and peak memory
//! of the release binary, cold and then with every page answered 304 Not Modified.
//!
//! Run it with `cargo bench --bench refresh_many` (Linux only: it listens on 127.0.0.1 …
//! 127.0.0.100, which Linux routes to the loopback interface, and reads the child's peak RSS
//! with `wait4`).
//!
//! What it does:
//!
//! - Generates 300 listing pages of the ILO shape from `fixtures/ilo-china-press-releases.html`
//!   (the content of `div.press-releases` replaced by 20 `li.item` blocks per page, with unique
//!   WCMS ids and titles and distinct "%d %B %Y" dates).
//! - Serves them in-process (axum, on its own thread and multi-thread runtime) from 100
//!   listeners, 127.0.0.1 to 127.0.0.100, each on a port of its own: `GET /page/<n>` answers
//!   page n with a strong `ETag` and a `Last-Modified`, or 304 when `If-None-Match` matches;
//!   `GET /robots.txt` answers 404.
//! - Writes a config of 1,000 feeds into a temporary folder: feed i reads page `i % 300` from
//!   host `127.0.0.<1 + i % 100>`, with the shipped ILO selectors and `host_delay = 0`.
//! - Runs `pressfeed --config <tmp>/config.toml run` twice, cold (empty state, no files) and
//!   then warm (every page unchanged), timing each with a wall clock and reading the child's
//!   own peak RSS (`ru_maxrss`). Then the same pair again with `[fetch] concurrency = 32`, for
//!   comparison with the default of 8.
//!
//! It checks that every run exits 0, that the cold run writes the 3,002 files
//! (`f<i>.rss`, `f<i>.atom`, `f<i>.json`, `index.html`, `feeds.opml`), that every page request of the warm run is answered 304, and that
//! the warm run leaves every file's mtime as it was. It prints a table (also written to
//! `target/refresh_many.txt`) with the goals of the issue: cold run under 5 s, all-304 run under
//! 1 s, peak memory under 100 MiB. A failed check is reported after the table, and then makes
//! the bench panic.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH, LAST_MODIFIED};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Days, NaiveDate};
use wait4::Wait4 as _;

use pressfeed_testkit::pages::{NewItem, PageTemplate, read_fixture};

/// Feeds in the generated config.
const FEEDS: usize = 1000;
/// Distinct listing pages served.
const PAGES: usize = 300;
/// Loopback addresses served: 127.0.0.1 to 127.0.0.<HOSTS>.
const HOSTS: usize = 100;
/// Items on each generated page.
const ITEMS_PER_PAGE: usize = 20;
/// First WCMS id of the generated items (the fixture's ids are all below 250000).
const FIRST_GENERATED_ID: usize = 500_000;
/// `Last-Modified` of every page (a fixed date: the pages never change).
const PAGES_LAST_MODIFIED: &str = "Mon, 03 Jun 2024 08:00:00 GMT";
/// Goal for a cold run's wall time, on the 2-core machine.
const COLD_GOAL: Duration = Duration::from_secs(5);
/// Goal for an all-304 run's wall time, on the 2-core machine.
const WARM_GOAL: Duration = Duration::from_secs(1);
/// Goal for the peak RSS of any run.
const MEMORY_GOAL_MIB: f64 = 100.0;
/// The shipped ILO feed's selectors (`config.toml`).
const SELECTORS: &str = r#"[feed.selectors]
item = ".press-releases ol.item-list > li.item"
title = "h3.item-title a"
link = "h3.item-title a"
date = "span.date"
summary = "p.item-summary"
"#;

fn main() {
    let pages = generate_pages(&read_fixture());
    let server = Server::start(pages);
    let tmp = tempfile::tempdir().expect("a temporary folder can be created");
    let mut rows = Vec::new();
    let mut findings = Findings::default();
    for concurrency in [None, Some(32)] {
        let dir = tmp.path().join(match concurrency {
            None => "default".to_string(),
            Some(n) => format!("concurrency-{n}"),
        });
        std::fs::create_dir(&dir).expect("the scenario folder can be created");
        rows.extend(cold_then_warm(&server, &dir, concurrency, &mut findings));
    }
    let report = format_report(&rows, &findings);
    print!("{report}");
    let out = target_dir().join("refresh_many.txt");
    std::fs::write(&out, &report).expect("target/refresh_many.txt can be written");
    println!("(written to {})", out.display());
    assert!(
        findings.problems.is_empty(),
        "refresh_many: {} check(s) failed",
        findings.problems.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Pages

/// Page `n`: the fixture's 20 items with ids, titles and dates of their own (one day apart,
/// every page older than the one before).
fn listing_page(template: &PageTemplate<'_>, n: usize) -> String {
    let newest = NaiveDate::from_ymd_opt(2024, 6, 1).expect("valid date");
    template.page((0..ITEMS_PER_PAGE).map(|k| {
        let serial = n * ITEMS_PER_PAGE + k;
        NewItem {
            template: k,
            id: FIRST_GENERATED_ID + serial,
            label: format!("(page {n}, item {k})"),
            date: newest
                .checked_sub_days(Days::new(serial as u64))
                .expect("date in range"),
        }
    }))
}

fn generate_pages(fixture: &str) -> Vec<Bytes> {
    let template = PageTemplate::new(fixture);
    (0..PAGES)
        .map(|n| Bytes::from(listing_page(&template, n)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Server

/// Requests served, counted as they arrive.
#[derive(Default)]
struct Counters {
    pages: AtomicU64,
    not_modified: AtomicU64,
    robots: AtomicU64,
    other: AtomicU64,
}

/// A reading of the [`Counters`].
#[derive(Clone, Copy, Default)]
struct Counts {
    pages: u64,
    not_modified: u64,
    robots: u64,
    other: u64,
}

impl Counters {
    fn read(&self) -> Counts {
        Counts {
            pages: self.pages.load(Ordering::SeqCst),
            not_modified: self.not_modified.load(Ordering::SeqCst),
            robots: self.robots.load(Ordering::SeqCst),
            other: self.other.load(Ordering::SeqCst),
        }
    }
}

impl Counts {
    fn since(self, before: Counts) -> Counts {
        Counts {
            pages: self.pages - before.pages,
            not_modified: self.not_modified - before.not_modified,
            robots: self.robots - before.robots,
            other: self.other - before.other,
        }
    }

    fn total(self) -> u64 {
        self.pages + self.robots + self.other
    }
}

struct Site {
    pages: Vec<Bytes>,
    counters: Arc<Counters>,
}

/// The in-process server: its listeners' addresses, and what it has served.
struct Server {
    addrs: Vec<SocketAddr>,
    counters: Arc<Counters>,
}

impl Server {
    /// Binds 127.0.0.1 … 127.0.0.<HOSTS> (port 0 each) and serves `pages` from them on a
    /// thread of its own, for the rest of the process.
    fn start(pages: Vec<Bytes>) -> Self {
        let listeners: Vec<TcpListener> = (1..=HOSTS)
            .map(|host| {
                let ip = Ipv4Addr::new(127, 0, 0, u8::try_from(host).expect("host below 256"));
                let listener = TcpListener::bind((ip, 0))
                    .expect("127.0.0.0/8 is routed to loopback (Linux) and can be bound");
                listener
                    .set_nonblocking(true)
                    .expect("the listener can be made non-blocking");
                listener
            })
            .collect();
        let addrs = listeners
            .iter()
            .map(|l| l.local_addr().expect("a bound listener has an address"))
            .collect();
        let counters = Arc::new(Counters::default());
        let site = Arc::new(Site {
            pages,
            counters: Arc::clone(&counters),
        });
        std::thread::Builder::new()
            .name("server".into())
            .spawn(move || serve(listeners, site))
            .expect("the server thread starts");
        Server { addrs, counters }
    }

    /// Address of the listener serving feed `i`.
    fn addr_for_feed(&self, i: usize) -> SocketAddr {
        self.addrs[i % HOSTS]
    }
}

fn serve(listeners: Vec<TcpListener>, site: Arc<Site>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the server runtime starts");
    let app = Router::new()
        .route("/page/{n}", get(page))
        .route("/robots.txt", get(robots))
        .fallback(not_found)
        .with_state(site);
    runtime.block_on(async move {
        for listener in listeners {
            let listener = tokio::net::TcpListener::from_std(listener)
                .expect("the listener joins the runtime");
            let app = app.clone();
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .await
                    .expect("the server runs until the bench ends");
            });
        }
        std::future::pending::<()>().await;
    });
}

fn page_etag(n: usize) -> String {
    format!("\"p{n}-v1\"")
}

/// Whether an `If-None-Match` value names `etag` (or is `*`).
fn etag_matches(if_none_match: &HeaderValue, etag: &str) -> bool {
    if_none_match.to_str().is_ok_and(|list| {
        list.split(',')
            .map(str::trim)
            .any(|tag| tag == etag || tag == "*")
    })
}

async fn page(
    State(site): State<Arc<Site>>,
    UrlPath(n): UrlPath<usize>,
    headers: HeaderMap,
) -> Response {
    site.counters.pages.fetch_add(1, Ordering::SeqCst);
    let Some(body) = site.pages.get(n) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = page_etag(n);
    if headers
        .get(IF_NONE_MATCH)
        .is_some_and(|value| etag_matches(value, &etag))
    {
        site.counters.not_modified.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::NOT_MODIFIED, [(ETAG, etag)]).into_response();
    }
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (ETAG, etag),
            (LAST_MODIFIED, PAGES_LAST_MODIFIED.to_string()),
        ],
        body.clone(),
    )
        .into_response()
}

async fn robots(State(site): State<Arc<Site>>) -> StatusCode {
    site.counters.robots.fetch_add(1, Ordering::SeqCst);
    StatusCode::NOT_FOUND
}

async fn not_found(State(site): State<Arc<Site>>) -> StatusCode {
    site.counters.other.fetch_add(1, Ordering::SeqCst);
    StatusCode::NOT_FOUND
}

// ---------------------------------------------------------------------------------------------
// Config

/// A TOML basic string holding `text`.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// Writes `<dir>/config.toml`: output and state in `dir`, `host_delay = 0`, the run's
/// `concurrency` if given, and the 1,000 feeds.
fn write_config(dir: &Path, server: &Server, concurrency: Option<usize>) -> PathBuf {
    let path_text = |name: &str| {
        let path = dir.join(name);
        toml_string(path.to_str().expect("the temporary folder's path is UTF-8"))
    };
    let mut text = String::with_capacity(FEEDS * 400);
    let _ = writeln!(text, "[output]");
    let _ = writeln!(text, "dir = {}", path_text("public"));
    let _ = writeln!(text, "state = {}", path_text("state.sqlite"));
    let _ = writeln!(text, "\n[fetch]\nhost_delay = 0");
    if let Some(n) = concurrency {
        let _ = writeln!(text, "concurrency = {n}");
    }
    for i in 0..FEEDS {
        let addr = server.addr_for_feed(i);
        let _ = write!(
            text,
            "\n[[feed]]\nid = \"f{i}\"\ntitle = \"Generated feed {i}\"\n\
             url = \"http://{addr}/page/{page}\"\ntimezone = \"Asia/Shanghai\"\n\
             date_formats = [\"%d %B %Y\"]\n\n{SELECTORS}",
            page = i % PAGES,
        );
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("the config can be written");
    path
}

// ---------------------------------------------------------------------------------------------
// Runs

/// What one run of the binary cost.
struct Measure {
    wall: Duration,
    /// The child's peak resident set size, in bytes.
    peak_rss: u64,
    /// Requests the server saw during the run.
    served: Counts,
}

/// A row of the report.
struct Run {
    label: String,
    goal: Duration,
    measure: Measure,
}

impl Run {
    #[expect(
        clippy::cast_precision_loss,
        reason = "request counts are far below 2^52"
    )]
    fn requests_per_second(&self) -> f64 {
        self.measure.served.total() as f64 / self.measure.wall.as_secs_f64()
    }

    fn peak_rss_mib(&self) -> f64 {
        self.measure.peak_rss as f64 / (1024.0 * 1024.0)
    }
}

/// How a child ended: its exit status and standard error.
struct Exit {
    success: bool,
    status: String,
    stderr: String,
}

/// Failed checks (the bench panics after the report) and other things worth reading.
#[derive(Default)]
struct Findings {
    problems: Vec<String>,
    notes: Vec<String>,
}

/// Runs `pressfeed --config <config> run`, timing it and reading its peak RSS.
fn run_pressfeed(config: &Path, stderr_path: &Path, server: &Server) -> (Exit, Measure) {
    let stderr = File::create(stderr_path).expect("the stderr file can be created");
    let before = server.counters.read();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .arg("--config")
        .arg(config)
        .arg("run")
        // Loopback traffic must not go through a proxy, nor be logged more than by default.
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("PRESSFEED_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("the pressfeed binary starts");
    let usage = child.wait4().expect("wait4 reaps the child");
    let wall = started.elapsed();
    let served = server.counters.read().since(before);
    let exit = Exit {
        success: usage.status.success(),
        status: usage.status.to_string(),
        stderr: std::fs::read_to_string(stderr_path).unwrap_or_default(),
    };
    let measure = Measure {
        wall,
        peak_rss: usage.rusage.maxrss,
        served,
    };
    (exit, measure)
}

/// Each file of `dir` and its mtime.
fn mtimes(dir: &Path) -> BTreeMap<String, SystemTime> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|entry| {
            let entry = entry.expect("the output folder can be listed");
            let mtime = entry
                .metadata()
                .and_then(|m| m.modified())
                .expect("files have an mtime");
            (entry.file_name().to_string_lossy().into_owned(), mtime)
        })
        .collect()
}

fn expected_files() -> Vec<String> {
    let mut files: Vec<String> = (0..FEEDS)
        .flat_map(|i| {
            [
                format!("f{i}.atom"),
                format!("f{i}.json"),
                format!("f{i}.rss"),
            ]
        })
        .collect();
    files.extend(["feeds.opml".to_string(), "index.html".to_string()]);
    files
}

/// Notes a failed exit as a problem, and what the child wrote to stderr (a problem when it
/// failed, a note otherwise).
fn check_exit(label: &str, exit: &Exit, findings: &mut Findings) {
    if !exit.success {
        findings
            .problems
            .push(format!("{label}: pressfeed exited with {}", exit.status));
    }
    let lines: Vec<&str> = exit.stderr.lines().collect();
    if lines.is_empty() {
        return;
    }
    let shown = &lines[..lines.len().min(20)];
    let text = format!(
        "{label}: pressfeed wrote {} line(s) to stderr{}:\n    {}",
        lines.len(),
        if shown.len() < lines.len() {
            " (first 20 shown)"
        } else {
            ""
        },
        shown.join("\n    ")
    );
    if exit.success {
        findings.notes.push(text);
    } else {
        findings.problems.push(text);
    }
}

/// Checks a cold run: every feed's page requested, exactly the 3,002 files written, and what
/// two of them publish.
fn check_cold(
    label: &str,
    measure: &Measure,
    public: &Path,
    files: &BTreeMap<String, SystemTime>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut expected = expected_files();
    expected.sort();
    if files.keys().ne(expected.iter()) {
        problems.push(format!(
            "{label}: {} files in the output folder, {} expected (3 formats a feed, index, OPML)",
            files.len(),
            expected.len()
        ));
    }
    if measure.served.pages != FEEDS as u64 {
        problems.push(format!(
            "{label}: {} page requests for {FEEDS} feeds",
            measure.served.pages
        ));
    }
    problems.extend(check_published(label, public));
    problems
}

/// Checks that the first and the last feed each publish their page's 20 items, in page order
/// (newest first).
fn check_published(label: &str, public: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for i in [0, FEEDS - 1] {
        let path = public.join(format!("f{i}.rss"));
        let rss = std::fs::read_to_string(&path).unwrap_or_default();
        let page = i % PAGES;
        let titles: Vec<usize> = rss
            .match_indices(&format!("(page {page}, item "))
            .filter_map(|(at, pattern)| {
                let rest = &rss[at + pattern.len()..];
                rest[..rest.find(')')?].parse().ok()
            })
            .collect();
        let expected: Vec<usize> = (0..ITEMS_PER_PAGE).collect();
        if rss.matches("<item>").count() != ITEMS_PER_PAGE || titles != expected {
            problems.push(format!(
                "{label}: {} does not list the {ITEMS_PER_PAGE} items of page {page} newest \
                 first (items seen: {titles:?})",
                path.display()
            ));
        }
    }
    problems
}

/// Checks an all-304 run: every page request answered 304, and no file written.
fn check_warm(
    label: &str,
    measure: &Measure,
    before: &BTreeMap<String, SystemTime>,
    after: &BTreeMap<String, SystemTime>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let served = measure.served;
    if served.pages != FEEDS as u64 || served.not_modified != served.pages {
        problems.push(format!(
            "{label}: {} page requests, {} answered 304 ({FEEDS} of each expected)",
            served.pages, served.not_modified
        ));
    }
    let touched = after
        .iter()
        .filter(|(name, mtime)| before.get(*name) != Some(*mtime))
        .count();
    if touched > 0 || after.len() != before.len() {
        problems.push(format!(
            "{label}: {touched} file(s) new or with a new mtime; {} files before, {} after",
            before.len(),
            after.len()
        ));
    }
    problems
}

/// A cold run then an all-304 one on a fresh folder `dir`: their rows, and what was found.
fn cold_then_warm(
    server: &Server,
    dir: &Path,
    concurrency: Option<usize>,
    findings: &mut Findings,
) -> [Run; 2] {
    let config = write_config(dir, server, concurrency);
    let public = dir.join("public");
    let suffix = concurrency.map_or(String::new(), |n| format!(", concurrency {n}"));

    let label = format!("cold{suffix}");
    let (exit, measure) = run_pressfeed(&config, &dir.join("cold.stderr"), server);
    check_exit(&label, &exit, findings);
    let after_cold = mtimes(&public);
    findings
        .problems
        .extend(check_cold(&label, &measure, &public, &after_cold));
    let cold = Run {
        label,
        goal: COLD_GOAL,
        measure,
    };

    let label = format!("all-304{suffix}");
    let (exit, measure) = run_pressfeed(&config, &dir.join("warm.stderr"), server);
    check_exit(&label, &exit, findings);
    let after_warm = mtimes(&public);
    findings
        .problems
        .extend(check_warm(&label, &measure, &after_cold, &after_warm));
    let warm = Run {
        label,
        goal: WARM_GOAL,
        measure,
    };
    [cold, warm]
}

// ---------------------------------------------------------------------------------------------
// Report

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn format_report(rows: &[Run], findings: &Findings) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "refresh_many: {FEEDS} feeds, {PAGES} pages of {ITEMS_PER_PAGE} items, {HOSTS} hosts \
         (127.0.0.1-127.0.0.{HOSTS}), host_delay 0, {} cores",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let _ = writeln!(
        out,
        "{:<24} {:>9} {:>9} {:>8} {:>9} {:>8}  {:<16} {:<16}",
        "run", "wall (s)", "requests", "304s", "req/s", "RSS MiB", "time goal", "memory goal"
    );
    for run in rows {
        let time_goal = format!(
            "< {} s: {}",
            run.goal.as_secs(),
            verdict(run.measure.wall < run.goal)
        );
        let memory_goal = format!(
            "< {MEMORY_GOAL_MIB} MiB: {}",
            verdict(run.peak_rss_mib() < MEMORY_GOAL_MIB)
        );
        let _ = writeln!(
            out,
            "{:<24} {:>9.3} {:>9} {:>8} {:>9.0} {:>8.1}  {:<16} {:<16}",
            run.label,
            run.measure.wall.as_secs_f64(),
            run.measure.served.total(),
            run.measure.served.not_modified,
            run.requests_per_second(),
            run.peak_rss_mib(),
            time_goal,
            memory_goal
        );
    }
    let _ = writeln!(
        out,
        "requests: page requests plus robots.txt requests (404) seen by the server; wall time \
         and peak RSS are the child process's, from spawn to exit"
    );
    if findings.problems.is_empty() {
        let _ = writeln!(
            out,
            "checks: all runs exited 0; cold runs wrote {} files; all-304 runs got 304 for \
             every page and left every mtime unchanged",
            expected_files().len()
        );
    } else {
        let _ = writeln!(out, "FAILED CHECKS:");
        for problem in &findings.problems {
            let _ = writeln!(out, "  - {problem}");
        }
    }
    for note in &findings.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

/// The target folder: the one the binary under test was built into.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_pressfeed"))
        .parent()
        .and_then(Path::parent)
        .expect("the binary lives in target/<profile>/")
        .to_path_buf()
}
