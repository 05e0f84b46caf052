//! Publishing files: atomic replacement, and no write at all when the bytes are unchanged.

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

/// Writes `bytes` to `path` atomically (a temporary file in the same folder, synced, then
/// renamed over `path`), unless `path` already holds exactly these bytes.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<WriteOutcome, OutputError> {
    let fail = |source| OutputError {
        path: path.to_path_buf(),
        source,
    };
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(WriteOutcome::Unchanged);
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(fail)?;
    temp.write_all(bytes).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Feeds are public: readable by a web server running as another user.
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(fail)?;
    }
    temp.as_file().sync_all().map_err(fail)?;
    temp.persist(path).map_err(|err| fail(err.error))?;
    // Make the rename itself durable.
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(WriteOutcome::Written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_then_leaves_identical_bytes_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/feed.rss");
        assert_eq!(
            write_if_changed(&path, b"one").unwrap(),
            WriteOutcome::Written
        );
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert_eq!(
            write_if_changed(&path, b"one").unwrap(),
            WriteOutcome::Unchanged
        );
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
        assert_eq!(
            write_if_changed(&path, b"two").unwrap(),
            WriteOutcome::Written
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        // No temporary files are left behind.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("feed.rss")]);
    }
}
