//! The history as a run shares it: one open [`Store`] behind a handle whose async methods do
//! their SQLite work on a blocking thread (the shape of `tokio-rusqlite`), so no SQLite call
//! ever runs on an async thread.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::task::JoinError;

use super::{Store, StoreError};

/// A run's handle on the state file, cheap to clone and shared by the feeds refreshed at once.
#[derive(Debug, Clone)]
pub struct History {
    store: Arc<Mutex<Store>>,
}

impl History {
    /// Opens (creating and migrating it if needed) the state file at `path`, on a blocking
    /// thread.
    pub async fn open(path: &Path) -> Result<History, StoreError> {
        let path = path.to_path_buf();
        let opened = tokio::task::spawn_blocking(move || Store::open(&path)).await;
        // Opening panics only through a bug; resume it where it can be seen.
        let store = opened.unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))?;
        Ok(History {
            store: Arc::new(Mutex::new(store)),
        })
    }

    /// Runs `work` with the store on a blocking thread and returns what it returns; `Err` when
    /// it panicked (a bug: SQLite rolls back whatever transaction it had open).
    pub async fn call<T, F>(&self, work: F) -> Result<T, JoinError>
    where
        F: FnOnce(&mut Store) -> T + Send + 'static,
        T: Send + 'static,
    {
        let history = self.clone();
        tokio::task::spawn_blocking(move || work(&mut history.blocking())).await
    }

    /// The store, for code that already runs on a blocking thread (inside
    /// `spawn_blocking`); never call it from async code.
    pub fn blocking(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock leaves SQLite consistent (its transaction rolls back).
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}
