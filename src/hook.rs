//! `on_change`: the user's commands run after a run that changed feed files (push them to
//! object storage, ping a chat, commit a static site). Run without a shell, with what changed
//! in the environment:
//!
//! - `PRESSFEED_CHANGED`: the changed files' paths, one per line;
//! - `PRESSFEED_FEEDS`: the ids of the feeds whose files changed, space-separated;
//! - `PRESSFEED_FEED`: for a feed's own `on_change`, its id;
//! - `PRESSFEED_OUTPUT_DIR`: the output folder.
//!
//! A hook that cannot start, fails or outlasts [`HOOK_TIMEOUT`] is a warning: the feeds are
//! already published, and the run's outcome does not change.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::spec::{Config, Hook};

/// Longest a hook may run before it is killed.
pub(crate) const HOOK_TIMEOUT: Duration = Duration::from_secs(300);

/// How a hook ended, when it did not end well.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HookError {
    /// The program could not be started.
    #[error("cannot start {program:?}: {source}")]
    Start {
        /// The program.
        program: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// It exited with a failure.
    #[error("{program:?} failed ({status}){}", tail(output))]
    Failed {
        /// The program.
        program: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The end of what it wrote to stderr.
        output: String,
    },
    /// It ran longer than [`HOOK_TIMEOUT`] and was killed.
    #[error("{program:?} ran longer than {}s and was stopped", HOOK_TIMEOUT.as_secs())]
    TimedOut {
        /// The program.
        program: String,
    },
}

fn tail(output: &str) -> String {
    let output = output.trim();
    if output.is_empty() {
        return String::new();
    }
    let start = output
        .char_indices()
        .rev()
        .nth(499)
        .map_or(0, |(index, _)| index);
    format!(": {}", &output[start..])
}

/// Runs the hooks of `config` for the files each feed of `changed` rewrote (feeds without a
/// rewritten file left out): each feed's own hook once per feed, then `[output] on_change`
/// once if any feed changed. Failures are logged as warnings.
pub(crate) async fn run_hooks(config: &Config, changed: &[(&str, Vec<PathBuf>)]) {
    let mut all_changed: Vec<PathBuf> = Vec::new();
    let mut feeds: Vec<&str> = Vec::new();
    for (id, files) in changed.iter().filter(|(_, files)| !files.is_empty()) {
        if let Some(hook) = config.feed(id).and_then(|s| s.on_change.as_ref()) {
            let run = run_hook(hook, files, &[id], Some(id), &config.output.dir).await;
            if let Err(err) = run {
                tracing::warn!("feed \"{id}\": on_change: {err}");
            }
        }
        feeds.push(id);
        all_changed.extend(files.iter().cloned());
    }
    if let (Some(hook), false) = (&config.output.on_change, all_changed.is_empty())
        && let Err(err) = run_hook(hook, &all_changed, &feeds, None, &config.output.dir).await
    {
        tracing::warn!("output.on_change: {err}");
    }
}

/// Runs `hook` with the changed files and feeds in its environment, and waits for it.
pub(crate) async fn run_hook(
    hook: &Hook,
    changed: &[PathBuf],
    feeds: &[&str],
    feed: Option<&str>,
    output_dir: &Path,
) -> Result<(), HookError> {
    let program = hook.argv.first().cloned().unwrap_or_default();
    let changed: Vec<String> = changed.iter().map(|p| p.display().to_string()).collect();
    let mut command = tokio::process::Command::new(&program);
    command
        .args(hook.argv.iter().skip(1))
        .current_dir(&hook.dir)
        .env("PRESSFEED_CHANGED", changed.join("\n"))
        .env("PRESSFEED_FEEDS", feeds.join(" "))
        .env("PRESSFEED_OUTPUT_DIR", output_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    match feed {
        Some(feed) => command.env("PRESSFEED_FEED", feed),
        None => command.env_remove("PRESSFEED_FEED"),
    };
    let child = command.spawn().map_err(|source| HookError::Start {
        program: program.clone(),
        source,
    })?;
    tracing::debug!("on_change: running {:?} for {}", hook.argv, feeds.join(" "));
    let output = match tokio::time::timeout(HOOK_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(source)) => return Err(HookError::Start { program, source }),
        Err(_) => return Err(HookError::TimedOut { program }),
    };
    if output.status.success() {
        return Ok(());
    }
    Err(HookError::Failed {
        program,
        status: output.status,
        output: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}
