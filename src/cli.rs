//! Command-line interface: `run` refreshes feeds, `check` previews what a feed's selectors find.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use clap::{Parser, Subcommand};
use tracing::Level;
use tracing_subscriber::EnvFilter;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pressfeed::Error;
use pressfeed::config::{self, Config, FeedSpec};
use pressfeed::fetch::Fetcher;
use pressfeed::output::WriteOutcome;
use pressfeed::pipeline;
use pressfeed::store::{FeedStatus, Store, StoreError};

/// Turn news listing pages that have no feed into RSS 2.0 and Atom 1.0 feeds.
#[derive(Debug, Parser)]
#[command(name = "pressfeed", version, about)]
pub struct Cli {
    /// The configuration file.
    #[arg(
        short,
        long,
        global = true,
        env = "PRESSFEED_CONFIG",
        default_value = "config.toml"
    )]
    pub config: PathBuf,
    /// Say more: -v reports each feed, -vv adds debugging detail.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Say only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// What to do (default: `run`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Refresh feeds and write their files (all feeds unless --feed is given).
    Run {
        /// Only this feed (repeatable).
        #[arg(long = "feed", value_name = "ID")]
        feeds: Vec<String>,
        /// Read every page of feeds with `[feed.pagination]` (up to `max_pages`), not only the
        /// first, to fill their history.
        #[arg(long)]
        backfill: bool,
    },
    /// Show what a feed's selectors extract from its page, as a table; writes nothing.
    Check {
        /// The feed's id.
        id: String,
    },
    /// Show each feed's state: last success, last failure and its error, items in history,
    /// items on the page last time.
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Find the repeated items of a listing page (a URL or a saved file) and print a
    /// ready-to-paste `[[feed]]` block, with a preview of what it reads. Needs no config file.
    Suggest {
        /// The page: an http(s) URL, or a saved HTML file.
        page: String,
        /// The page's public address, for links and the feed (for a file; default: a
        /// placeholder to replace).
        #[arg(long)]
        url: Option<url::Url>,
        /// The id to give the feed.
        #[arg(long, default_value = "news")]
        id: String,
    },
    /// Serve the output folder over HTTP (and, with --refresh, refresh the feeds on a
    /// schedule).
    Serve {
        /// Address to listen on (loopback unless told otherwise).
        #[arg(long, default_value_t = pressfeed::serve::DEFAULT_BIND)]
        bind: std::net::SocketAddr,
        /// Refresh every feed at start and then this often (e.g. 30m, 1h), with ±10 % jitter.
        #[arg(long, value_parser = pressfeed::serve::parse_duration)]
        refresh: Option<std::time::Duration>,
        /// /healthz answers 503 when a feed has been failing for longer than this.
        #[arg(long, default_value = "6h", value_parser = pressfeed::serve::parse_duration)]
        unhealthy_after: std::time::Duration,
    },
    /// Forget feeds' item history and page validators (after fixing a selector that took the
    /// wrong items); their next run starts afresh. Feed files stay until that run.
    Reset {
        /// The feeds' ids.
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
    },
}

/// How a command ended, as the exit code tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything worked (0).
    Success,
    /// Some feed failed; its previous files were kept (1).
    FeedFailed,
    /// Bad usage or configuration (2).
    Usage,
    /// Another run holds the lock; nothing was done (3).
    Locked,
}

impl Outcome {
    /// The process exit code.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::FeedFailed => ExitCode::from(1),
            Outcome::Usage => ExitCode::from(2),
            Outcome::Locked => ExitCode::from(3),
        }
    }
}

/// Logs go to stderr as `pressfeed: LEVEL: message`. Default level: info on a terminal,
/// errors only otherwise (silent under cron unless a feed fails); `-v`, `-q` and
/// `PRESSFEED_LOG` change it.
pub fn init_logging(cli: &Cli) {
    let level = if cli.quiet {
        Level::ERROR
    } else {
        match cli.verbose {
            0 if std::io::stderr().is_terminal() => Level::INFO,
            0 => Level::ERROR,
            1 => Level::INFO,
            _ => Level::DEBUG,
        }
    };
    let filter = EnvFilter::try_from_env("PRESSFEED_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("pressfeed={level}")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| LogLine(Vec::new()))
        .event_format(PlainFormat)
        .init();
}

/// The progress bar over the feeds, when one is shown; log lines are printed around it.
static PROGRESS: std::sync::OnceLock<ProgressBar> = std::sync::OnceLock::new();

/// One log line, written to stderr in one piece when dropped (above the progress bar).
struct LogLine(Vec<u8>);

impl Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        let write = || {
            let _ = std::io::stderr().lock().write_all(&self.0);
        };
        match PROGRESS.get() {
            Some(bar) if !bar.is_finished() => bar.suspend(write),
            _ => write(),
        }
    }
}

/// `pressfeed: warning: message`, for people and cron mail alike.
struct PlainFormat;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for PlainFormat
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        write!(writer, "pressfeed: {level}: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Runs the command line.
pub fn run(cli: &Cli) -> anyhow::Result<Outcome> {
    if let Some(Command::Suggest { page, url, id }) = &cli.command {
        return suggest(page, url.as_ref(), id);
    }
    let config = match config::load(&cli.config) {
        Ok(config) => config,
        Err(err) => {
            tracing::error!("{}", error_chain(&err));
            return Ok(Outcome::Usage);
        }
    };
    if let Some(Command::Serve {
        bind,
        refresh,
        unhealthy_after,
    }) = &cli.command
    {
        let options = pressfeed::serve::ServeOptions {
            refresh: *refresh,
            unhealthy_after: *unhealthy_after,
        };
        return serve(config, *bind, options);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match &cli.command {
        None => runtime.block_on(run_feeds(&config, &[])),
        Some(Command::Run { feeds, backfill }) => {
            let mut config = config.clone();
            config.run.backfill = *backfill;
            runtime.block_on(run_feeds(&config, feeds))
        }
        Some(Command::Check { id }) => match find_feed(&config, id) {
            Some(spec) => runtime.block_on(check(&config, spec)),
            None => Ok(Outcome::Usage),
        },
        Some(Command::Status { json }) => status(&config, *json),
        Some(Command::Reset { ids }) => reset(&config, ids),
        Some(Command::Serve { .. } | Command::Suggest { .. }) => Ok(Outcome::Usage),
    }
}

fn find_feed<'a>(config: &'a Config, id: &str) -> Option<&'a FeedSpec> {
    let found = config.feeds.iter().find(|f| f.id == id);
    if found.is_none() {
        let known: Vec<&str> = config.feeds.iter().map(|f| f.id.as_str()).collect();
        tracing::error!(
            "{}: no feed with id \"{id}\" (feeds: {})",
            config.path.display(),
            known.join(", ")
        );
    }
    found
}

async fn run_feeds(config: &Config, only: &[String]) -> anyhow::Result<Outcome> {
    let mut selected = Vec::new();
    for id in only {
        match find_feed(config, id) {
            Some(spec) => selected.push(spec),
            None => return Ok(Outcome::Usage),
        }
    }
    if selected.is_empty() {
        selected = config.feeds.iter().collect();
    }
    let bar = progress_bar(selected.len());
    let on_done = |done: &pipeline::FeedResult| {
        report(done);
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let results = pipeline::run(config, &selected, Utc::now(), &on_done).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let results = match results {
        Ok(results) => results,
        Err(Error::Store(err @ StoreError::Locked { .. })) => {
            tracing::error!("{}", error_chain(&err));
            return Ok(Outcome::Locked);
        }
        Err(err) => {
            tracing::error!("{}", error_chain(&err));
            return Ok(Outcome::FeedFailed);
        }
    };
    let failed = results.iter().filter(|r| r.result.is_err()).count();
    if failed > 0 && results.len() > 1 {
        tracing::error!("{failed} of {} feeds failed", results.len());
    }
    Ok(if failed > 0 {
        Outcome::FeedFailed
    } else {
        Outcome::Success
    })
}

/// A progress bar over `feeds` on a terminal, unless the user asked for quiet or detail.
fn progress_bar(feeds: usize) -> Option<ProgressBar> {
    let wanted = std::io::stderr().is_terminal()
        && !tracing::enabled!(Level::DEBUG)
        && tracing::enabled!(Level::INFO)
        && feeds > 1;
    if !wanted {
        return None;
    }
    let bar = PROGRESS
        .get_or_init(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()))
        .clone();
    bar.set_length(feeds as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} feeds {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// Logs how one feed's refresh went.
fn report(done: &pipeline::FeedResult) {
    let report = match &done.result {
        Ok(report) => report,
        Err(err) => {
            tracing::error!(
                "{}; its previous feed files and history are kept",
                error_chain(err)
            );
            return;
        }
    };
    for warning in &report.warnings {
        tracing::warn!("feed \"{}\": {}", report.feed, error_chain(warning));
    }
    let files: Vec<String> = report
        .files
        .iter()
        .map(|(path, outcome)| match outcome {
            WriteOutcome::Written => format!("wrote {}", path.display()),
            WriteOutcome::Unchanged => format!("{} unchanged", path.display()),
        })
        .collect();
    let page = if report.page_read {
        format!("{} new", report.new_items)
    } else {
        "page not modified".to_string()
    };
    tracing::info!(
        "feed \"{}\": {} items ({page}); {}",
        report.feed,
        report.items,
        files.join(", ")
    );
}

fn serve(
    config: Config,
    bind: std::net::SocketAddr,
    options: pressfeed::serve::ServeOptions,
) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(bind).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::error!("cannot listen on {bind}: {err}");
                return Ok(Outcome::Usage);
            }
        };
        let address = listener.local_addr().context("no local address")?;
        // The address goes to stdout, for whoever started the server (and tests on port 0).
        let mut stdout = std::io::stdout().lock();
        writeln!(
            stdout,
            "pressfeed: serving {} on http://{address}/",
            config.output.dir.display()
        )
        .and_then(|()| stdout.flush())
        .context("cannot write to standard output")?;
        drop(stdout);
        pressfeed::serve::serve(config, options, listener, shutdown_signal())
            .await
            .context("the server failed")?;
        Ok(Outcome::Success)
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down: finishing what is in progress");
}

fn suggest(page: &str, url: Option<&url::Url>, id: &str) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let remote = page.starts_with("http://") || page.starts_with("https://");
    let page_url = match (remote, url) {
        (_, Some(url)) => url.to_string(),
        (true, None) => page.to_string(),
        (false, None) => "https://example.org/news/".to_string(),
    };
    // A minimal feed to fetch or read the page with; its selectors are not used.
    let source = if remote {
        format!("source = {}\n", toml_quote(page))
    } else {
        let path = std::path::absolute(page).unwrap_or_else(|_| PathBuf::from(page));
        format!("source = {}\n", toml_quote(&path.to_string_lossy()))
    };
    let probe = format!(
        "[[feed]]\nid = \"probe\"\ntitle = \"probe\"\nurl = {}\n{source}[feed.selectors]\nitem = \"body\"\ntitle = \"a\"\nlink = \"a\"\n",
        toml_quote(&page_url)
    );
    let probe = match config::parse(&probe, std::path::Path::new("suggest.toml")) {
        Ok(config) => config,
        Err(err) => {
            tracing::error!("{}", error_chain(&err));
            return Ok(Outcome::Usage);
        }
    };
    let spec = &probe.feeds[0];
    let fetcher = Fetcher::new(probe.run.clone());
    let fetched = runtime.block_on(fetcher.fetch(spec, &pressfeed::store::Validators::default()));
    let loaded = match fetched {
        Ok(pressfeed::fetch::Fetched::Page(loaded)) => loaded,
        Ok(pressfeed::fetch::Fetched::NotModified) => {
            tracing::error!("{page} answered 304 Not Modified to a plain request");
            return Ok(Outcome::FeedFailed);
        }
        Err(err) => {
            tracing::error!("{}", error_chain(&err));
            return Ok(Outcome::FeedFailed);
        }
    };
    let html = loaded.text(spec);
    let now = Utc::now();
    let found = pressfeed::suggest::suggest(&html, now, 3);
    let Some(best) = found.first() else {
        if let Err(err) = pressfeed::extract::parse_html(&html) {
            tracing::error!("{page}: {err}");
            return Ok(Outcome::FeedFailed);
        }
        tracing::error!(
            "{page}: no repeated list of linked items found; write the selectors by hand (see README, \"Adding a new site\")"
        );
        return Ok(Outcome::FeedFailed);
    };
    let title = pressfeed::suggest::page_title(&html).unwrap_or_else(|| id.to_string());
    let file_source = (!remote).then_some(page);
    let block = pressfeed::suggest::feed_block(best, id, &title, &page_url, file_source);
    let mut out = String::new();
    if !remote && url.is_none() {
        out.push_str("# Set `url` to the page's public address (links are resolved against it).\n");
    }
    out.push_str(&block);
    // Other candidates, leaving out parts of the chosen items (their headings, say).
    let chosen = best.item.rsplit("> ").next().unwrap_or(&best.item).trim();
    let others: Vec<_> = found[1..]
        .iter()
        .filter(|other| !other.item.contains(&format!("{chosen} >")))
        .collect();
    if !others.is_empty() {
        out.push_str("\n# Other candidates for `item`:\n");
        for other in others {
            let _ = writeln!(
                out,
                "#   item = {}  ({} items)",
                toml_quote(&other.item),
                other.items
            );
        }
    }
    // The preview: what the block reads, as `check` shows it.
    if let Ok(config) = config::parse(&block, std::path::Path::new("suggest.toml")) {
        let spec = &config.feeds[0];
        if let Ok(parsed) = pressfeed::extract::Page::parse(&html, &loaded.url, spec) {
            let built =
                pressfeed::item::build_items(parsed.extraction(0..parsed.len(), spec), spec, now);
            out.push_str("\n# Preview\n");
            for line in check_report(spec, &built, None).lines() {
                let _ = writeln!(out, "# {line}");
            }
        }
    }
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .context("cannot write to standard output")?;
    Ok(Outcome::Success)
}

/// A TOML basic string.
fn toml_quote(text: &str) -> String {
    pressfeed::suggest::toml_string(text)
}

fn reset(config: &Config, ids: &[String]) -> anyhow::Result<Outcome> {
    if ids.iter().any(|id| find_feed(config, id).is_none()) {
        return Ok(Outcome::Usage);
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    match pipeline::forget(config, &ids) {
        Ok(counts) => {
            let mut out = String::new();
            for (id, count) in ids.iter().zip(counts) {
                let _ = writeln!(
                    out,
                    "feed \"{id}\": forgot {count} items; its next run reads the page afresh"
                );
            }
            std::io::stdout()
                .lock()
                .write_all(out.as_bytes())
                .context("cannot write to standard output")?;
            Ok(Outcome::Success)
        }
        Err(Error::Store(err @ StoreError::Locked { .. })) => {
            tracing::error!("{}", error_chain(&err));
            Ok(Outcome::Locked)
        }
        Err(err) => {
            tracing::error!("{}", error_chain(&err));
            Ok(Outcome::FeedFailed)
        }
    }
}

fn status(config: &Config, json: bool) -> anyhow::Result<Outcome> {
    let store = match Store::open_read_only(&config.output.state) {
        Ok(store) => store,
        Err(err) => {
            tracing::error!("{}", error_chain(&err));
            return Ok(Outcome::FeedFailed);
        }
    };
    let mut statuses = Vec::with_capacity(config.feeds.len());
    for spec in &config.feeds {
        let status = match &store {
            Some(store) => store.status(&spec.id)?,
            None => FeedStatus {
                feed: spec.id.clone(),
                ..FeedStatus::default()
            },
        };
        statuses.push(status);
    }
    let mut out = String::new();
    if json {
        out = serde_json::to_string_pretty(&statuses).context("cannot write JSON")?;
        out.push('\n');
    } else {
        let _ = writeln!(
            out,
            "{:<20}  {:<20}  {:<20}  {:>7}  {:>7}  last error",
            "feed", "last success", "last failure", "history", "on page"
        );
        for s in &statuses {
            let _ = writeln!(
                out,
                "{:<20}  {:<20}  {:<20}  {:>7}  {:>7}  {}",
                shorten(&s.feed, 20),
                s.last_success.as_deref().unwrap_or("never"),
                s.last_failure.as_deref().unwrap_or("never"),
                s.items_in_history,
                s.items_on_page.map_or("-".to_string(), |n| n.to_string()),
                match (&s.last_error, s.failing) {
                    (Some(error), true) => error.clone(),
                    (Some(error), false) => format!("(since recovered) {error}"),
                    (None, _) => "-".to_string(),
                }
            );
        }
    }
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .context("cannot write to standard output")?;
    Ok(Outcome::Success)
}

async fn check(config: &Config, spec: &FeedSpec) -> anyhow::Result<Outcome> {
    let fetcher = Fetcher::new(config.run.clone());
    let pipeline::Scraped {
        built,
        problem,
        ambiguous,
    } = match pipeline::scrape(spec, &fetcher).await {
        Ok(scraped) => scraped,
        Err(err) => {
            tracing::error!("{}", error_chain(&err));
            return Ok(Outcome::FeedFailed);
        }
    };
    let mut out = check_report(spec, &built, problem.as_ref());
    if !ambiguous.is_empty() {
        out.push_str(
            "\nselectors that match more than one element in an item (the first is read):\n",
        );
        for (field, items) in &ambiguous {
            let _ = writeln!(
                out,
                "  {field}: in {items} of {} items; a narrower selector may be meant",
                built.counts.matched
            );
        }
    }
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .context("cannot write to standard output")?;
    Ok(if problem.is_some() {
        Outcome::FeedFailed
    } else {
        Outcome::Success
    })
}

/// What `check` prints: the items as a table, per-field counts, item problems, and why a run
/// would fail, if it would.
fn check_report(
    spec: &FeedSpec,
    built: &pressfeed::item::Built,
    problem: Option<&pressfeed::extract::ExtractError>,
) -> String {
    let mut out = String::new();
    let counts = built.counts;
    let _ = writeln!(
        out,
        "feed \"{}\": {} items from {}\n",
        spec.id,
        built.items.len(),
        spec.source
    );
    let _ = writeln!(
        out,
        "{:>3}  {:<10}  {:<50}  {:<44}  summary",
        "#", "date", "title", "link"
    );
    for item in &built.items {
        let date = item
            .date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "-".to_string());
        let _ = writeln!(
            out,
            "{:>3}  {:<10}  {:<50}  {:<44}  {}",
            item.position,
            date,
            shorten(&item.title, 50),
            shorten(&item.link, 44),
            shorten(item.summary.as_deref().unwrap_or("-"), 40)
        );
    }
    let matched = counts.matched;
    let _ = writeln!(
        out,
        "\nitem: {matched} matched \"{}\"",
        spec.selectors.item_css
    );
    let _ = writeln!(out, "title: {}/{matched}", counts.title);
    let _ = writeln!(out, "link: {}/{matched}", counts.link);
    if spec.selectors.date.is_some() {
        let _ = writeln!(
            out,
            "date: {}/{matched} parsed ({} found)",
            counts.date_parsed, counts.date_found
        );
    } else {
        let _ = writeln!(
            out,
            "date: no selector (items are dated by when they are first seen)"
        );
    }
    if spec.selectors.summary.is_some() {
        let _ = writeln!(out, "summary: {}/{matched}", counts.summary);
    }
    if !built.warnings.is_empty() {
        let _ = writeln!(out, "\nproblems:");
        for warning in &built.warnings {
            let _ = writeln!(out, "  {}", error_chain(warning));
        }
    }
    if let Some(problem) = problem {
        let _ = writeln!(out, "\na run would fail: {}", error_chain(problem));
    }
    out
}

/// Shortens `text` to `width` characters, marking the cut with "…".
fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut short: String = text.chars().take(width.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// An error and its causes, joined by ": ".
fn error_chain(err: &dyn std::error::Error) -> String {
    pressfeed::error::chain(err)
}
