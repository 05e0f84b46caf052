//! `pressfeed init` (a starter config) and `pressfeed paths` (what was found where, and why).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use pressfeed::{Config, ConfigSource, DefaultPlaces, Environment, FoundConfig};

use super::exit::{self, Outcome};

/// The example page the starter config reads, so that its first run works offline.
const EXAMPLE_PAGE: &str = include_str!("../../fixtures/ilo-china-press-releases.html");
/// Its file name, beside the config.
const EXAMPLE_PAGE_NAME: &str = "example-ilo-china-press-releases.html";

/// The starter config: every line a user may want to change, commented. Folders of their own
/// (XDG, systemd's) are written out, so that every later command finds the same ones whatever
/// its environment.
fn starter_config(places: &DefaultPlaces) -> String {
    let folders = match places {
        DefaultPlaces::BesideConfig => {
            "# Where the feed files go (unset: \"public\", beside this file).\n\
             # dir = \"/var/www/feeds\"\n\
             # The state file: item history and run log (unset: beside this file).\n\
             # state = \"/var/lib/pressfeed/pressfeed-state.sqlite\""
                .to_string()
        }
        DefaultPlaces::Folders {
            output,
            state_dir,
            why,
        } => format!(
            "# Where the feed files go, and the state file (item history, run log); from {why}.\n\
             dir = {}\nstate = {}",
            pressfeed::toml_string(&output.display().to_string()),
            pressfeed::toml_string(
                &state_dir
                    .join("pressfeed-state.sqlite")
                    .display()
                    .to_string()
            ),
        ),
    };
    format!(
        r#"# pressfeed configuration, written by `pressfeed init`. Every key is described in the
# configuration reference (docs/configuration.md). `pressfeed paths` shows where things go.
#
# Add a site: `pressfeed suggest https://example.org/news --id example >> this-file`,
# check it with `pressfeed check example`, then `pressfeed run`.

[output]
{folders}
# Public address of that folder, for the feeds' self links and the OPML file.
# base_url = "https://feeds.example.org/"
# A command run in the output folder after a run that changed files (their paths are in
# $PRESSFEED_CHANGED), without a shell.
# on_change = ["rsync", "-a", "--delete", "./", "host:/var/www/feeds/"]

[fetch]
# How the operators of the sites you read can reach you: sent in the User-Agent as
# "pressfeed/<version> (+contact)". Please set it.
# contact = "mailto:you@example.org"

# An example feed. It reads a saved copy of its page so that the first `pressfeed run`
# works offline: delete the `source` line to read the live page.
[[feed]]
id = "ilo-china"
title = "ILO China and Mongolia: news and press releases"
language = "en"
url = "https://www.ilo.org/beijing/information-resources/public-information/press-releases/lang--en/index.htm"
source = "{EXAMPLE_PAGE_NAME}"
timezone = "Asia/Shanghai"
date_formats = ["%d %B %Y"]

[feed.selectors]
item = ".press-releases ol.item-list > li.item"
title = "h3.item-title a"
link = "h3.item-title a"
date = "span.date"
summary = "p.item-summary"
"#
    )
}

/// Writes the starter config (and its example page) where `--config` or `$PRESSFEED_CONFIG`
/// say, else to the user's config; never over an existing config unless `force`.
pub(crate) fn init(environment: &Environment, flag: Option<&Path>, force: bool) -> Outcome {
    let target = match (
        flag,
        &environment.pressfeed_config,
        environment.user_config(),
    ) {
        (Some(path), _, _) => (path.to_path_buf(), ConfigSource::Flag),
        (None, Some(path), _) => (path.clone(), ConfigSource::Variable),
        (None, None, Some(path)) => (path, ConfigSource::UserConfig),
        (None, None, None) => {
            tracing::error!(
                "no place for the config: $HOME and $XDG_CONFIG_HOME are unset; name one with --config"
            );
            return Outcome::Usage;
        }
    };
    let (path, source) = target;
    if path.exists() && !force {
        tracing::error!(
            "{} already exists: edit it, or replace it with `pressfeed init --force`",
            path.display()
        );
        return Outcome::Usage;
    }
    let places = environment.default_places(&path, source);
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let example = folder.join(EXAMPLE_PAGE_NAME);
    let written = std::fs::create_dir_all(folder)
        .and_then(|()| std::fs::write(&example, EXAMPLE_PAGE))
        .and_then(|()| std::fs::write(&path, starter_config(&places)));
    if let Err(err) = written {
        tracing::error!("cannot write {}: {err}", path.display());
        return Outcome::FeedFailed;
    }
    let found = FoundConfig {
        path: path.clone(),
        source,
        places,
    };
    let mut out = format!(
        "wrote {} (and the example page {})\n",
        path.display(),
        example.display()
    );
    if let Ok(config) = Config::load_found(&found) {
        let _ = writeln!(
            out,
            "feeds will go to {}\nthe state file to {}\nnext: `pressfeed run`, then add your own sites with `pressfeed suggest URL`",
            config.output.dir.display(),
            config.output.state.display()
        );
    }
    print_or_fail(&out)
}

/// Prints the config file in use, the output folder and the state file, each with why.
pub(crate) fn paths(environment: &Environment, flag: Option<&Path>) -> Outcome {
    let found = match environment.find_config(flag) {
        Ok(found) => found,
        Err(err) => {
            let mut out = String::from("config  none found; looked at:\n");
            for place in &err.looked {
                let _ = writeln!(out, "        {}", place.display());
            }
            if let Some(user) = environment.user_config() {
                let _ = writeln!(out, "        `pressfeed init` writes {}", user.display());
            }
            let _ = print_or_fail(&out);
            return Outcome::Usage;
        }
    };
    let shown = absolute(&found.path);
    let mut out = format!("config  {}\n        {}\n", shown.display(), found.source);
    let config = match Config::load_found(&found) {
        Ok(config) => config,
        Err(err) => {
            let _ = print_or_fail(&out);
            return exit::failed(&err, Outcome::Usage);
        }
    };
    let default_why = match &config.origin.places {
        DefaultPlaces::BesideConfig => "beside the config file",
        DefaultPlaces::Folders { why, .. } => why,
    };
    let why = |set: bool, key: &str| {
        if set {
            format!("set in the config ([output] {key}, relative to its folder)")
        } else {
            format!("default: {default_why}")
        }
    };
    let _ = write!(
        out,
        "output  {}\n        {}\nstate   {}\n        {}\n",
        absolute(&config.output.dir).display(),
        why(config.origin.output_set, "dir"),
        config.output.state.display(),
        why(config.origin.state_set, "state"),
    );
    print_or_fail(&out)
}

/// `path` made absolute for display (as given when it cannot be).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Prints `text`; a closed standard output is a failure to say so.
fn print_or_fail(text: &str) -> Outcome {
    match super::print(text) {
        Ok(()) => Outcome::Success,
        Err(err) => {
            tracing::error!("{err:#}");
            Outcome::FeedFailed
        }
    }
}
