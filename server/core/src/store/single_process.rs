//! One process per SQLite database. Everything that makes Confab one service
//! (each channel's turn, delivery, presence, the limits) lives in the
//! process that serves the database, so a second process on the same file
//! would hand out the same `seq`s' events to only half the people and race
//! the first on every limit. SQLite itself would not stop it (it locks per
//! transaction), so the first process takes an exclusive lock on a file
//! beside the database (`<database>.lock`, holding its process id) for as
//! long as it runs, and a second one refuses to start, saying which process
//! holds it. The lock goes with the process however it ends (the kernel lets
//! go of a dead process's locks), so a crash never leaves it behind.
//!
//! Several processes serve one service on PostgreSQL instead.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::{StoreError, StoreResult};

/// The lock on an SQLite database, held until [`DatabaseLock::release`] or
/// until dropped.
#[derive(Debug)]
pub(super) struct DatabaseLock {
    file: File,
}

impl DatabaseLock {
    /// Takes the lock of the database `url` names, or says which process
    /// holds it. `None` for a database in memory (nobody else can open it).
    pub(super) fn take(url: &str) -> StoreResult<Option<DatabaseLock>> {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).map_err(StoreError::from)?;
        let database = options.get_filename();
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Ok(None);
        }
        let path = lock_path(database);
        let failed = |source| StoreError::Lock { path: path.display().to_string(), source };
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(failed)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(StoreError::InUse {
                    database: database.display().to_string(),
                    holder: holder.trim().parse().ok(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(failed(e)),
        }
        // Ours now: say who holds it, for the next one to tell.
        file.set_len(0).and_then(|()| file.seek(SeekFrom::Start(0))).map_err(failed)?;
        write!(file, "{}", std::process::id()).and_then(|()| file.flush()).map_err(failed)?;
        Ok(Some(DatabaseLock { file }))
    }

    /// Lets go of the lock (the database is closed): another process may
    /// serve it from now on.
    pub(super) fn release(&self) {
        // Only fails for a file that is not locked, which is what we want.
        let _ = self.file.unlock();
    }
}

fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(dir: &Path) -> String {
        format!("sqlite://{}?mode=rwc", dir.join("confab.db").display())
    }

    #[test]
    fn a_second_taker_is_told_who_holds_it_until_it_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = DatabaseLock::take(&url(dir.path())).unwrap().expect("a file database is locked");
        // A second open of the file is refused as another process would be.
        let Err(StoreError::InUse { database, holder }) = DatabaseLock::take(&url(dir.path())) else {
            panic!("the second taker must be refused");
        };
        assert_eq!(holder, Some(std::process::id()));
        assert!(database.ends_with("confab.db"), "{database}");
        first.release();
        let again = DatabaseLock::take(&url(dir.path())).unwrap().expect("free again once released");
        drop(again);
        DatabaseLock::take(&url(dir.path())).unwrap().expect("and once dropped");
    }

    #[test]
    fn a_database_in_memory_needs_no_lock() {
        assert!(DatabaseLock::take("sqlite::memory:").unwrap().is_none());
    }
}
