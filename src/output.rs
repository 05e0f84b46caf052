//! Publishing files: atomic replacement, and no write at all when the bytes are unchanged.
//! The guarantee is in [`publish`]'s doc.

use std::io::Write;
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::Xxh3;

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
    let staged = files
        .iter()
        .map(|(path, bytes)| Staged::new(path, bytes))
        .collect::<Result<Vec<_>, _>>()?;
    put_in_place(staged)
}

/// A file ready to take its place: its bytes in a synced temporary file beside it, or nothing
/// to do when it already holds them. Dropped without [`put_in_place`], the temporary file is
/// removed.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    temp: Option<tempfile::NamedTempFile>,
}

impl Staged {
    /// Stages `bytes` for `path` (the first half of [`publish`], which can run for several
    /// files at once): [`Staged::streamed`], given the bytes whole.
    pub fn new(path: &Path, bytes: &[u8]) -> Result<Staged, OutputError> {
        Staged::streamed(path, |out| out.write_all(bytes))?.map_err(|source| OutputError {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Stages for `path` what `write` writes, without holding it in memory: it goes to a
    /// temporary file beside `path` as it comes, which is synced and kept only when it differs
    /// from the file's bytes (compared by length, then by digest). `Ok(Err(_))` is `write`'s
    /// own failure.
    pub fn streamed<E>(
        path: &Path,
        write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    ) -> Result<Result<Staged, E>, OutputError> {
        let fail = |source| OutputError {
            path: path.to_path_buf(),
            source,
        };
        let temp = temp_beside(path).map_err(fail)?;
        // Buffered before the digest: renderers write in small pieces.
        let mut out = std::io::BufWriter::with_capacity(
            1 << 16,
            Digesting {
                out: temp,
                digest: Xxh3::new(),
                len: 0,
            },
        );
        if let Err(error) = write(&mut out) {
            return Ok(Err(error));
        }
        let Digesting {
            out: temp,
            digest,
            len,
        } = out.into_inner().map_err(|e| fail(e.into_error()))?;
        let digest = digest.digest128();
        let same = std::fs::metadata(path).is_ok_and(|old| old.len() == len)
            && digest_of(path).is_ok_and(|old| old == digest);
        let temp = if same {
            None
        } else {
            temp.as_file().sync_all().map_err(fail)?;
            Some(temp)
        };
        Ok(Ok(Staged {
            path: path.to_path_buf(),
            temp,
        }))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Renames staged files into place, in order (the second half of [`publish`]), then makes the
/// renames durable with one sync of each folder.
pub fn put_in_place(staged: Vec<Staged>) -> Result<Vec<WriteOutcome>, OutputError> {
    let mut outcomes = Vec::with_capacity(staged.len());
    let mut folders: Vec<PathBuf> = Vec::new();
    for Staged { path, temp } in staged {
        let Some(temp) = temp else {
            outcomes.push(WriteOutcome::Unchanged);
            continue;
        };
        temp.persist(&path).map_err(|e| OutputError {
            path: path.clone(),
            source: e.error,
        })?;
        crate::faults::pause_point("renamed-one");
        outcomes.push(WriteOutcome::Written);
        let dir = folder(path.parent().unwrap_or(Path::new("."))).to_path_buf();
        if !folders.contains(&dir) {
            folders.push(dir);
        }
    }
    // Make the renames themselves durable.
    #[cfg(unix)]
    for dir in folders {
        if let Ok(dir) = std::fs::File::open(dir) {
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

/// A writer that digests what goes through it.
struct Digesting<W> {
    out: W,
    digest: Xxh3,
    len: u64,
}

impl<W: Write> Write for Digesting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.out.write(buf)?;
        let done = buf.get(..written).unwrap_or(buf);
        self.digest.update(done);
        self.len += done.len() as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The digest of the file at `path`, read in pieces.
fn digest_of(path: &Path) -> std::io::Result<u128> {
    let mut file = std::fs::File::open(path)?;
    let mut digest = Xxh3::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let read = std::io::Read::read(&mut file, &mut buf)?;
        if read == 0 {
            return Ok(digest.digest128());
        }
        digest.update(buf.get(..read).unwrap_or(&buf));
    }
}

/// An empty temporary file beside `path` (`.<name>.<random>.tmp`), readable by all.
fn temp_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = folder(path.parent().unwrap_or(Path::new(".")));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Feeds are public: readable by a web server running as another user.
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
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
