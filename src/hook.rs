//! `on_change`: the user's commands run after a run that changed feed files (push them to
//! object storage, ping a chat, commit a static site). Run without a shell, in the output
//! folder, with what changed in the environment:
//!
//! - `PRESSFEED_CHANGED`: the changed files' paths, one per line (over 64 KiB of them, the
//!   file named by `PRESSFEED_CHANGED_FILE` holds them instead);
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

/// The longest list of changed files passed in `PRESSFEED_CHANGED` itself; a longer one goes
/// to a file named by `PRESSFEED_CHANGED_FILE` (Linux refuses environment strings over
/// 128 KiB).
const CHANGED_IN_ENV: usize = 64 * 1024;

/// How long the rest of a hook's stderr is waited for after it exits (a process it left
/// behind may hold it open).
const STDERR_AFTER_EXIT: Duration = Duration::from_secs(1);

/// Runs `hook` in the output folder with the changed files and feeds in its environment, in a
/// process group of its own, and waits for it (the whole group is killed after
/// [`HOOK_TIMEOUT`]).
pub(crate) async fn run_hook(
    hook: &Hook,
    changed: &[PathBuf],
    feeds: &[&str],
    feed: Option<&str>,
    output_dir: &Path,
) -> Result<(), HookError> {
    use tokio::io::AsyncReadExt as _;

    let program = hook.argv.first().cloned().unwrap_or_default();
    let start = |source| HookError::Start {
        program: program.clone(),
        source,
    };
    let list: Vec<String> = changed.iter().map(|p| p.display().to_string()).collect();
    let list = list.join("\n");
    let mut command = tokio::process::Command::new(&program);
    command
        .args(hook.argv.iter().skip(1))
        .current_dir(output_dir)
        .env("PRESSFEED_FEEDS", feeds.join(" "))
        .env("PRESSFEED_OUTPUT_DIR", output_dir)
        .env_remove("PRESSFEED_CHANGED_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
    // Kept until the hook is done: the file of a long list.
    let mut list_file = None;
    if list.len() <= CHANGED_IN_ENV {
        command.env("PRESSFEED_CHANGED", &list);
    } else {
        let mut file = tempfile::NamedTempFile::new().map_err(start)?;
        std::io::Write::write_all(&mut file, list.as_bytes()).map_err(start)?;
        command
            .env_remove("PRESSFEED_CHANGED")
            .env("PRESSFEED_CHANGED_FILE", file.path());
        list_file = Some(file);
    }
    match feed {
        Some(feed) => command.env("PRESSFEED_FEED", feed),
        None => command.env_remove("PRESSFEED_FEED"),
    };
    let mut child = command.spawn().map_err(start)?;
    tracing::debug!("on_change: running {:?} for {}", hook.argv, feeds.join(" "));
    let mut stderr = child.stderr.take();
    let read_stderr = tokio::spawn(async move {
        let mut text = Vec::new();
        if let Some(stderr) = stderr.as_mut() {
            // Enough to say why it failed; the rest is not waited for.
            let _ = stderr.take(64 * 1024).read_to_end(&mut text).await;
        }
        text
    });
    let status = match tokio::time::timeout(HOOK_TIMEOUT, child.wait()).await {
        Ok(Ok(status)) => status,
        Ok(Err(source)) => return Err(HookError::Start { program, source }),
        Err(_) => {
            kill_group(&child);
            let _ = child.kill().await;
            return Err(HookError::TimedOut { program });
        }
    };
    drop(list_file);
    if status.success() {
        read_stderr.abort();
        return Ok(());
    }
    let output = match tokio::time::timeout(STDERR_AFTER_EXIT, read_stderr).await {
        Ok(Ok(text)) => String::from_utf8_lossy(&text).into_owned(),
        _ => String::new(),
    };
    Err(HookError::Failed {
        program,
        status,
        output,
    })
}

/// Ends what a hook started, its own process group.
#[cfg(unix)]
fn kill_group(child: &tokio::process::Child) {
    use rustix::process::{Pid, Signal, kill_process_group};
    if let Some(pid) = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .and_then(Pid::from_raw)
    {
        let _ = kill_process_group(pid, Signal::KILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_: &tokio::process::Child) {}
