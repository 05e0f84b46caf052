//! Publishing files: atomic replacement, and no write at all when the bytes are unchanged.
//! The guarantee is in [`publish`]'s doc.

use std::io::Write;
use std::path::{Path, PathBuf};

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The file was created or replaced.
    Written,
    /// The file already held these bytes and was not touched.
    Unchanged,
}

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}", path.display())]
pub struct OutputError {
    /// The file.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// Publishes files together (a feed's formats, or the discovery files): each file whose bytes
/// differ is written to a temporary file in its folder and synced, and only when all are ready
/// are they renamed into place, so a failure leaves every old file as it was. Files that
/// already hold their bytes are not touched.
pub fn publish(files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<WriteOutcome>, OutputError> {
    let fail = |path: &Path, source| OutputError {
        path: path.to_path_buf(),
        source,
    };
    let mut staged = Vec::new();
    let mut outcomes = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        if std::fs::read(path).is_ok_and(|old| old == *bytes) {
            outcomes.push(WriteOutcome::Unchanged);
            continue;
        }
        outcomes.push(WriteOutcome::Written);
        let temp = stage(path, bytes).map_err(|e| fail(path, e))?;
        staged.push((path, temp));
    }
    for (path, temp) in staged {
        temp.persist(path).map_err(|e| fail(path, e.error))?;
        crate::faults::pause_point("renamed-one");
        // Make the rename itself durable.
        #[cfg(unix)]
        if let Some(dir) = path
            .parent()
            .and_then(|d| std::fs::File::open(folder(d)).ok())
        {
            let _ = dir.sync_all();
        }
    }
    Ok(outcomes)
}

fn folder(dir: &Path) -> &Path {
    if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }
}

/// Removes temporary files a killed run left in `dir` beside the files in `names`
/// (`.<name>.<random>.tmp`); returns how many. Call it only while holding the run lock.
pub fn remove_stale_temps(dir: &Path, names: &[String]) -> usize {
    let Ok(entries) = std::fs::read_dir(folder(dir)) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let stale = file_name.ends_with(".tmp")
            && names.iter().any(|name| {
                file_name
                    .strip_prefix('.')
                    .and_then(|rest| rest.strip_prefix(name.as_str()))
                    .is_some_and(|rest| rest.starts_with('.'))
            });
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// A synced temporary file beside `path` holding `bytes`, readable by all.
fn stage(path: &Path, bytes: &[u8]) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = folder(path.parent().unwrap_or(Path::new(".")));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Feeds are public: readable by a web server running as another user.
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    temp.as_file().sync_all()?;
    Ok(temp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_then_leaves_identical_bytes_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/feed.rss");
        let write = |bytes: &[u8]| publish(&[(path.clone(), bytes.to_vec())]).unwrap()[0];
        assert_eq!(write(b"one"), WriteOutcome::Written);
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert_eq!(write(b"one"), WriteOutcome::Unchanged);
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
        assert_eq!(write(b"two"), WriteOutcome::Written);
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        // No temporary files are left behind.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("feed.rss")]);
    }

    #[test]
    fn stale_temporary_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            ".a.rss.x1Y2z3.tmp",
            ".a.atom.Q9w8e7.tmp",
            ".b.rss.abcdef.tmp",
            "a.rss",
            ".a.rss.keep",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let names = ["a.rss".to_string(), "a.atom".to_string()];
        assert_eq!(remove_stale_temps(dir.path(), &names), 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, [".a.rss.keep", ".b.rss.abcdef.tmp", "a.rss"]);
    }
}
