//! Feeds gone from the configuration (removed, or renamed: the old id is gone). A run removes
//! their files once their `keep_days` have passed since they were last in it, and keeps their
//! history; `pressfeed prune` removes the files and drops the history at once. Only the files
//! a feed of that id writes (`<id>.rss`, `<id>.atom`, `<id>.json`) are ever removed.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, Utc};

use crate::config::defaults::DEFAULT_KEEP_DAYS;
use crate::error::{Result, chain};
use crate::spec::{Config, Format};
use crate::store::{History, Orphan, StateLock, Store, StoreError};

/// A feed of the state file that the configuration no longer has, and what was (or, on a dry
/// run, would be) removed of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pruned {
    /// The feed's id.
    pub feed: String,
    /// Its files in the output folder.
    pub files: Vec<PathBuf>,
    /// Items in its history.
    pub items: u64,
    /// Why it was not all removed, when it was not: the file that could not be removed and
    /// why (that file and those after it, and its history, are kept).
    pub failed: Option<String>,
}

/// Whether `id` is one a configuration accepts (so a name read from the state file never
/// names a file outside the output folder).
fn plain_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The files of the feed `id` that are in `dir`: its file of each format, regular files only.
fn feed_files(dir: &Path, id: &str) -> Vec<PathBuf> {
    Format::ALL
        .iter()
        .map(|format| dir.join(format!("{id}.{}", format.extension())))
        .filter(|path| std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file()))
        .collect()
}

/// The feeds of `store` that are not among `configured` and whose files may be touched: those
/// with a plain id that is not a configured one in another case (on a file system blind to
/// case, its files are the configured feed's).
fn orphans(store: &Store, configured: &[&str]) -> Result<Vec<Orphan>, StoreError> {
    Ok(store
        .orphans(configured)?
        .into_iter()
        .filter(|orphan| {
            plain_id(&orphan.feed)
                && !configured
                    .iter()
                    .any(|id| id.eq_ignore_ascii_case(&orphan.feed))
        })
        .collect())
}

/// Removes the files and drops the history (items, validators, run log) of every feed the
/// state file knows that `config` does not have, under the run lock; with `dry_run`, changes
/// nothing and says what it would do. A feed whose files cannot all be removed keeps its
/// history, and says why ([`Pruned::failed`]); the others are pruned all the same.
pub fn prune(config: &Config, dry_run: bool) -> Result<Vec<Pruned>> {
    let _lock = StateLock::acquire(&config.output.state)?;
    let mut store = Store::open(&config.output.state)?;
    let configured: Vec<&str> = config.feeds.iter().map(|f| f.id.as_str()).collect();
    let mut pruned = Vec::new();
    for orphan in orphans(&store, &configured)? {
        let mut files = feed_files(&config.output.dir, &orphan.feed);
        let mut failed = None;
        if !dry_run {
            let mut removed = Vec::with_capacity(files.len());
            for path in files {
                if let Err(err) = std::fs::remove_file(&path) {
                    failed = Some(format!("cannot remove {}: {err}", path.display()));
                    break;
                }
                removed.push(path);
            }
            files = removed;
            if failed.is_none() {
                store.drop_feed(&orphan.feed)?;
            }
        }
        pruned.push(Pruned {
            feed: orphan.feed,
            files,
            items: orphan.items,
            failed,
        });
    }
    Ok(pruned)
}

/// [`remove_expired`] for a run of `config`, on a blocking thread; a failure is logged (the
/// run goes on).
pub(super) async fn remove_expired_in_run(config: &Config, history: &History, now: DateTime<Utc>) {
    let configured: Vec<(String, u32)> = config
        .feeds
        .iter()
        .map(|spec| (spec.id.clone(), spec.keep_days))
        .collect();
    let dir = config.output.dir.clone();
    let expired = history
        .call(move |store| remove_expired(store, &dir, &configured, now))
        .await;
    if let Ok(Err(err)) = expired {
        tracing::warn!(
            "cannot look for feeds gone from the configuration: {}",
            chain(&err)
        );
    }
}

/// For a run, under its lock: notes that the feeds `configured` (id and `keep_days`) are in
/// the configuration at `now`, and removes from `dir` the files of the feeds gone from it for
/// longer than their `keep_days` then (30 days when unknown; a feed whose last time is unknown
/// starts counting now). Their history stays, for `pressfeed prune`: a feed put back keeps its
/// items' ids. Returns the files removed.
fn remove_expired(
    store: &mut Store,
    dir: &Path,
    configured: &[(String, u32)],
    now: DateTime<Utc>,
) -> Result<Vec<PathBuf>, StoreError> {
    let seen: Vec<(&str, u32)> = configured
        .iter()
        .map(|(id, keep)| (id.as_str(), *keep))
        .collect();
    store.keep_configured(&seen, now)?;
    let ids: Vec<&str> = seen.iter().map(|(id, _)| *id).collect();
    let mut removed = Vec::new();
    for orphan in orphans(store, &ids)? {
        let keep_days = orphan.keep_days.unwrap_or(DEFAULT_KEEP_DAYS);
        let last_seen = orphan
            .last_seen
            .as_deref()
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok());
        let Some(last_seen) = last_seen else {
            store.start_orphan_clock(&orphan.feed, keep_days, now)?;
            continue;
        };
        if last_seen.with_timezone(&Utc) + TimeDelta::days(i64::from(keep_days)) > now {
            continue;
        }
        for path in feed_files(dir, &orphan.feed) {
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    tracing::info!(
                        "feed \"{}\": removed {} (not in the configuration since {last_seen}, over {keep_days} days)",
                        orphan.feed,
                        path.display()
                    );
                    removed.push(path);
                }
                Err(err) => tracing::warn!(
                    "feed \"{}\" is no longer configured: cannot remove {}: {err}",
                    orphan.feed,
                    path.display()
                ),
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_and_their_feed_files_are_touched() {
        assert!(plain_id("ilo-china"));
        for bad in ["", ".hidden", "../x", "a/b", "a b", "a\\b"] {
            assert!(!plain_id(bad), "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        for name in ["x.rss", "x.json", "x.rss.bak", "x.html", "xy.atom"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("x.atom")).unwrap();
        assert_eq!(
            feed_files(dir.path(), "x"),
            [dir.path().join("x.rss"), dir.path().join("x.json")]
        );
    }
}
