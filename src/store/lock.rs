//! The run lock: one run at a time per state file.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use chrono::Utc;

use super::{StoreError, timestamp};

/// An advisory lock on the state file, held for a whole run: a second run started while the
/// first still works stops at once. The operating system drops the lock when the process ends,
/// however it ends.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

impl StateLock {
    /// The lock file that goes with the state file at `state`.
    pub fn path_for(state: &Path) -> PathBuf {
        let mut name = state.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock for the state file at `state`, or fails at once naming its holder.
    pub fn acquire(state: &Path) -> Result<Self, StoreError> {
        let path = Self::path_for(state);
        let io = |what, source| StoreError::Io {
            path: path.clone(),
            what,
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io("cannot create its folder", e))?;
        }
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        // A symbolic link planted there could make the run write its note into another file.
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.custom_flags(no_follow());
        }
        let mut file = options.open(&path).map_err(|e| {
            if is_symlink_refusal(&e, &path) {
                io("it is a symbolic link, which is not followed", e)
            } else {
                io("cannot open the lock file", e)
            }
        })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                if holder.trim().is_empty() {
                    // The holder may be writing its note right now.
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    let _ = file
                        .rewind()
                        .and_then(|()| file.read_to_string(&mut holder));
                }
                let holder = holder.trim();
                return Err(StoreError::Locked {
                    path: path.clone(),
                    holder: (!holder.is_empty()).then(|| holder.to_string()),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("cannot lock the lock file", e)),
        }
        // Who holds it, for the message a second run prints. Best effort: the lock is what counts.
        let note = format!("pid {} since {}", std::process::id(), timestamp(Utc::now()));
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(note.as_bytes()));
        Ok(StateLock { _file: file })
    }
}

/// `O_NOFOLLOW`: opening a symbolic link fails.
#[cfg(unix)]
fn no_follow() -> i32 {
    i32::try_from(rustix::fs::OFlags::NOFOLLOW.bits()).unwrap_or(0)
}

/// Whether opening `path` failed because it is a symbolic link.
fn is_symlink_refusal(error: &std::io::Error, path: &Path) -> bool {
    error.kind() != std::io::ErrorKind::NotFound
        && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}
