//! Live configuration: `serve` reads its config file again on SIGHUP, or when the file's size,
//! modification time or inode changed and then stayed the same for one look (it is looked at
//! every 2 s, so a file being written is not read half-way). A valid configuration replaces
//! the old one for the files answered, `/healthz` and the refresh; an invalid one is logged
//! with its error, and the old one stays in force.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::Utc;
use tokio::sync::watch;

use super::ServeState;
use crate::error::{Error, chain};
use crate::spec::Config;
use crate::store::StoreError;

/// How often the config file is looked at.
const POLL: Duration = Duration::from_secs(2);

/// What tells that a file changed: size, modification time, inode.
type Stamp = (u64, SystemTime, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?, inode(&meta)))
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    meta.ino()
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

/// SIGHUP, when it can be listened for.
#[cfg(unix)]
pub(super) struct Hangup(Option<tokio::signal::unix::Signal>);

#[cfg(unix)]
impl Hangup {
    /// Listens for SIGHUP from now on (its default action, ending the process, is gone).
    pub(super) fn new() -> Hangup {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(signal) => Hangup(Some(signal)),
            Err(err) => {
                tracing::warn!(
                    "cannot listen for SIGHUP ({err}); the config file is still watched"
                );
                Hangup(None)
            }
        }
    }

    async fn recv(&mut self) {
        match &mut self.0 {
            Some(signal) => {
                if signal.recv().await.is_none() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending::<()>().await,
        }
    }
}

/// Elsewhere there is no SIGHUP: the file is watched.
#[cfg(not(unix))]
pub(super) struct Hangup;

#[cfg(not(unix))]
impl Hangup {
    pub(super) fn new() -> Hangup {
        Hangup
    }

    async fn recv(&mut self) {
        std::future::pending::<()>().await;
    }
}

/// Reads the configuration again on SIGHUP and when its file changes, until `stop` turns
/// true. Without a refresh (`refreshing` false), a new configuration's discovery files are
/// written here; with one, the refresh thread writes them with the new feeds' files.
pub(super) async fn watch(
    state: Arc<ServeState>,
    mut stop: watch::Receiver<bool>,
    refreshing: bool,
    mut hangup: Hangup,
) {
    let path = state.config().path.clone();
    let mut loaded = stamp(&path);
    let mut seen = loaded;
    loop {
        let event = tokio::select! {
            () = tokio::time::sleep(POLL) => Some(false),
            () = hangup.recv() => Some(true),
            changed = stop.changed() => changed.ok().map(|()| false),
        };
        let Some(hung_up) = event else {
            return;
        };
        if *stop.borrow() {
            return;
        }
        if hung_up {
            tracing::info!("SIGHUP: reading {} again", path.display());
            loaded = stamp(&path);
            seen = loaded;
            reload(&state, refreshing).await;
            continue;
        }
        let now = stamp(&path);
        // Changed, and the same as one look ago: done being written.
        if now != loaded && now == seen {
            loaded = now;
            reload(&state, refreshing).await;
        }
        seen = now;
    }
}

/// Reads the config file of `state`'s configuration and, when it is valid, puts it in force.
async fn reload(state: &ServeState, refreshing: bool) {
    let old = state.config();
    // Found and placed as the one in force was (its XDG or systemd folders included).
    let current = Arc::clone(&old);
    let loaded = tokio::task::spawn_blocking(move || current.reload()).await;
    let mut config = match loaded {
        Ok(Ok(config)) => config,
        Ok(Err(err)) => {
            tracing::error!(
                "the configuration was not reloaded, the one in force stays: {}",
                chain(&err)
            );
            return;
        }
        Err(_) => {
            tracing::error!(
                "the configuration was not reloaded (a bug while reading it); the one in force stays"
            );
            return;
        }
    };
    // The folder served and the state file are opened once: a change waits for a restart.
    let output = &mut config.output;
    for (key, new, kept) in [
        ("dir", &mut output.dir, &old.output.dir),
        ("state", &mut output.state, &old.output.state),
    ] {
        if new != kept {
            tracing::warn!(
                "{}: [output] {key} changed to {}: serve keeps {} until it is restarted",
                old.path.display(),
                new.display(),
                kept.display()
            );
            new.clone_from(kept);
        }
    }
    let before: HashSet<&str> = old.feeds.iter().map(|f| f.id.as_str()).collect();
    let after: HashSet<&str> = config.feeds.iter().map(|f| f.id.as_str()).collect();
    let listed = |ids: Vec<&str>| {
        if ids.is_empty() {
            "none".to_string()
        } else {
            ids.join(", ")
        }
    };
    let added = listed(
        config
            .feeds
            .iter()
            .map(|f| f.id.as_str())
            .filter(|id| !before.contains(id))
            .collect(),
    );
    let removed = listed(
        old.feeds
            .iter()
            .map(|f| f.id.as_str())
            .filter(|id| !after.contains(id))
            .collect(),
    );
    tracing::info!(
        "reloaded {}: {} feeds; added: {added}; removed: {removed}",
        config.path.display(),
        config.feeds.len()
    );
    let site = (!refreshing).then(|| config.clone());
    state.replace_config(config);
    if let Some(config) = site {
        write_site(config).await;
    }
}

/// Writes `config`'s `index.html` and `feeds.opml` when missing or out of date, on a blocking
/// thread; a failure is logged (feeds are still served).
pub(super) async fn write_site(config: Config) {
    let written =
        tokio::task::spawn_blocking(move || crate::pipeline::write_site(&config, Utc::now())).await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(Error::Store(StoreError::Locked { .. }))) => {
            tracing::info!("a run holds the lock: it writes index.html and feeds.opml");
        }
        Ok(Err(err)) => tracing::warn!("cannot write index.html: {}", chain(&err)),
        Err(_) => tracing::warn!("cannot write index.html (a bug)"),
    }
}
