//! The command line: arguments, one file per subcommand, logging, and exit codes. The library
//! does the work and returns data; this prints it and says how the command ended.

mod check;
pub(crate) mod exit;
pub(crate) mod logging;
mod manual;
mod prune;
mod reset;
mod run;
mod serve;
mod setup;
mod status;
mod suggest;
mod table;

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use pressfeed::{Config, Environment, FeedSpec};

use exit::Outcome;

/// Turn news listing pages that have no feed into RSS, Atom and JSON Feed feeds.
#[derive(Debug, Parser)]
#[command(
    name = "pressfeed",
    version,
    about,
    after_help = "The config file: --config, else $PRESSFEED_CONFIG, else ./config.toml, else \
                  $XDG_CONFIG_HOME/pressfeed/config.toml (see `pressfeed paths`)."
)]
pub(crate) struct Cli {
    /// The configuration file (default: $PRESSFEED_CONFIG, ./config.toml, then
    /// $XDG_CONFIG_HOME/pressfeed/config.toml).
    #[arg(short, long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Say more: -v reports each feed, -vv adds debugging detail.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Say only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// What to do (default: `run`).
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Refresh feeds and write their files (all feeds unless --feed is given).
    Run {
        /// Only this feed (repeatable).
        #[arg(long = "feed", value_name = "ID")]
        feeds: Vec<String>,
        /// Read every page of feeds with `[feed.pagination]` (up to `max_pages`), not only the
        /// first, to fill their history.
        #[arg(long)]
        backfill: bool,
        /// Read year-less and relative dates ("5 May", "3 hours ago") as of TIME (RFC 3339,
        /// or a date: 2016-03-19), for saved pages; by default as of when the server sent the
        /// page, or now.
        #[arg(long, value_name = "TIME", value_parser = parse_now)]
        now: Option<chrono::DateTime<chrono::Utc>>,
        /// Report a failing feed (and exit 1) only once it has been failing for longer than
        /// this (e.g. 6h); shorter failures are logged as warnings. For cron.
        #[arg(long, value_name = "DURATION", value_parser = serve::parse_duration)]
        fail_after: Option<std::time::Duration>,
        /// What to report: every failure on every run (`failures`), or only the run where a
        /// feed starts failing (after --fail-after) and the run where it works again
        /// (`changes`).
        #[arg(long, value_enum, default_value_t = run::Report::Failures)]
        report: run::Report,
    },
    /// Show what a feed's selectors extract from its page, as a table; writes nothing.
    Check {
        /// The feed's id.
        id: String,
        /// Read year-less and relative dates ("5 May", "3 hours ago") as of TIME (RFC 3339,
        /// or a date: 2016-03-19), for saved pages; by default as of when the server sent the
        /// page, or now.
        #[arg(long, value_name = "TIME", value_parser = parse_now)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Show each feed's state: last success, since when it fails (if it does), its last
    /// error, items in history, items on the page last time.
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
        /// Read year-less and relative dates ("5 May", "3 hours ago") as of TIME (RFC 3339,
        /// or a date: 2016-03-19), for saved pages; by default as of when the server sent the
        /// page, or now.
        #[arg(long, value_name = "TIME", value_parser = parse_now)]
        now: Option<chrono::DateTime<chrono::Utc>>,
        /// Print every candidate as a complete block, best first (not only the best).
        #[arg(long)]
        all: bool,
        /// Print the candidates, the page's facts and the preview as JSON, for tools.
        #[arg(long)]
        json: bool,
        /// Render the page in headless Chromium first, for pages whose list is built by
        /// scripts: the block reads the JSON the page's own requests load when a plain
        /// request reads it too, else `render = "browser"` (needs a build with
        /// `--features browser`).
        #[arg(long)]
        browser: bool,
    },
    /// Serve the output folder over HTTP (and, with --refresh, refresh the feeds on a
    /// schedule).
    Serve {
        /// Address to listen on (loopback unless told otherwise).
        #[arg(long, default_value_t = pressfeed::DEFAULT_BIND)]
        bind: std::net::SocketAddr,
        /// Refresh every feed at start and then this often (e.g. 30m, 1h), with ±10 % jitter.
        #[arg(long, value_parser = serve::parse_duration)]
        refresh: Option<std::time::Duration>,
        /// /healthz answers 503 when a feed has been failing for longer than this.
        #[arg(long, default_value = "6h", value_parser = serve::parse_duration)]
        unhealthy_after: std::time::Duration,
        /// Close a connection whose next request's headers have not arrived after this long
        /// (idle keep-alive connections included).
        #[arg(long, default_value = "20s", value_parser = serve::parse_duration)]
        header_timeout: std::time::Duration,
        /// Close a connection whose client takes longer than this to receive a response.
        #[arg(long, default_value = "60s", value_parser = serve::parse_duration)]
        send_timeout: std::time::Duration,
        /// Most connections open at once (at most the file limit leaves room for).
        #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
        max_connections: u32,
        /// On SIGTERM or Ctrl-C, how long open connections may finish before they are closed.
        #[arg(long, default_value = "10s", value_parser = serve::parse_duration)]
        shutdown_grace: std::time::Duration,
    },
    /// Remove the files and history (items, run log, validators) of feeds no longer in the
    /// configuration, at once (runs remove their files after `keep_days`).
    Prune {
        /// Only say what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
    /// Forget feeds' item history and page validators (after fixing a selector that took the
    /// wrong items); their next run starts afresh. Feed files stay until that run.
    Reset {
        /// The feeds' ids.
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
    },
    /// Write a commented starter config (with an example feed that runs offline) to
    /// $XDG_CONFIG_HOME/pressfeed/config.toml, or where --config or $PRESSFEED_CONFIG say.
    Init {
        /// Replace a config that is already there.
        #[arg(long)]
        force: bool,
    },
    /// Print the config file, output folder and state file in use, and why.
    Paths,
    /// Print a shell completion script, e.g. for bash into
    /// ~/.local/share/bash-completion/completions/pressfeed.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `pressfeed man | man -l -`.
    Man,
}

/// Runs the command line.
pub(crate) fn run(cli: &Cli) -> anyhow::Result<Outcome> {
    let environment = Environment::from_process();
    // Every command but `suggest`, `init` and the generated texts reads the configuration
    // first; a missing or bad one ends with 2.
    let config = || {
        let found = environment
            .find_config(cli.config.as_deref())
            .map_err(|err| exit::failed(&err, Outcome::Usage))?;
        Config::load_found(&found).map_err(|err| exit::failed(&err, Outcome::Usage))
    };
    let outcome = match &cli.command {
        None => config().map(|config| run::run(config, &[], false, run::Alerts::default())),
        Some(Command::Run {
            feeds,
            backfill,
            now,
            fail_after,
            report,
        }) => config().map(|mut config| {
            config.run.reference = *now;
            let alerts = run::Alerts {
                fail_after: *fail_after,
                report: *report,
            };
            run::run(config, feeds, *backfill, alerts)
        }),
        Some(Command::Init { force }) => {
            Ok(Ok(setup::init(&environment, cli.config.as_deref(), *force)))
        }
        Some(Command::Paths) => Ok(Ok(setup::paths(&environment, cli.config.as_deref()))),
        Some(Command::Completions { shell }) => Ok(Ok(manual::completions(*shell))),
        Some(Command::Man) => Ok(Ok(manual::man())),
        Some(Command::Check { id, now }) => config().map(|mut config| {
            config.run.reference = *now;
            check::check(&config, id)
        }),
        Some(Command::Status { json }) => config().map(|config| status::status(&config, *json)),
        Some(Command::Reset { ids }) => config().map(|config| reset::reset(&config, ids)),
        Some(Command::Prune { dry_run }) => config().map(|config| prune::prune(&config, *dry_run)),
        Some(Command::Serve {
            bind,
            refresh,
            unhealthy_after,
            header_timeout,
            send_timeout,
            max_connections,
            shutdown_grace,
        }) => {
            let options = pressfeed::ServeOptions {
                refresh: *refresh,
                unhealthy_after: *unhealthy_after,
                header_timeout: *header_timeout,
                send_timeout: *send_timeout,
                max_connections: usize::try_from(*max_connections).unwrap_or(usize::MAX),
                shutdown_grace: *shutdown_grace,
            };
            config().map(|config| serve::serve(config, *bind, options))
        }
        Some(Command::Suggest {
            page,
            url,
            id,
            now,
            all,
            json,
            browser,
        }) => Ok(suggest::suggest(
            page,
            url.as_ref(),
            id,
            *now,
            suggest::Shown {
                all: *all,
                json: *json,
                browser: *browser,
            },
        )),
    };
    outcome.unwrap_or_else(Ok)
}

/// `--now`: an RFC 3339 time, a date and time without a zone (UTC), or a date (its midnight,
/// UTC).
fn parse_now(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    use chrono::{NaiveDate, NaiveDateTime, Utc};
    let text = text.trim();
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .or_else(|_| {
            [
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M",
            ]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .or_else(|| {
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .ok()
                    .map(|day| day.and_time(chrono::NaiveTime::MIN))
            })
            .map(|time| time.and_utc())
            .ok_or(())
        })
        .map_err(|()| {
            format!("{text:?} is not a time: write it as 2016-03-19 or 2016-03-19T08:00:00Z")
        })
}

/// The feed `id` of `config`; when there is none, says so with the feeds there are.
fn find_feed<'a>(config: &'a Config, id: &str) -> Option<&'a FeedSpec> {
    let found = config.feed(id);
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

/// Writes `text` to standard output.
fn print(text: &str) -> anyhow::Result<()> {
    // Page text (titles, links, errors quoting it) must not drive the terminal.
    print_exactly(&pressfeed::for_terminal(text))
}

/// Writes `text` to standard output as it is: machine output (JSON, TOML) whose own escaping
/// already keeps control characters out.
fn print_exactly(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("cannot write to standard output")
}

/// A runtime on this thread, for the commands that fetch.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
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
