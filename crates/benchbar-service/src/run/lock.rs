//! One benchmark at a time: a run lock that runs you start (app or CLI) and the monitoring
//! schedule all take, so a monitoring sample never overlaps another run — in this process and,
//! through an exclusive lock on a file next to the history database, across processes (the
//! menu-bar app and `benchbar run` in a terminal).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use benchbar_core::report::RunOrigin;
use benchbar_core::sync::lock_unpoisoned;

/// A shared lock over "a benchmark is running". Clones share the same lock; hand one clone to
/// the monitor and keep another for user-started runs.
#[derive(Clone, Debug, Default)]
pub struct RunLock {
    holder: Arc<Mutex<Option<RunOrigin>>>,
    file: Option<Arc<PathBuf>>,
}

/// Held while a run is in progress; dropping it releases the lock.
#[derive(Debug)]
pub struct RunGuard {
    lock: RunLock,
    origin: RunOrigin,
    /// The locked file (closing it releases the lock for other processes).
    _file: Option<File>,
}

/// The lock file of the history database at `db`: `<db>.run-lock` beside the database's real
/// file, so that every name of one database (a symlink, a relative path, `..`) locks the
/// same file.
pub fn lock_path_for(db: &Path) -> PathBuf {
    let db = canonical(db);
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".run-lock");
    db.with_file_name(name)
}

/// `db` with every symlink and relative part resolved: the file's own path when it exists,
/// else its folder's resolved path and its name (a database not created yet), else `db` as
/// given (a folder that does not exist yet either).
fn canonical(db: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(db) {
        return real;
    }
    let dir = match db.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(dir), db.file_name()) {
        (Ok(real_dir), Some(name)) => real_dir.join(name),
        _ => db.to_path_buf(),
    }
}

/// Takes the exclusive lock on `path` and writes `origin` into it, or says who holds it. A
/// file system without locks (or a file that cannot be opened) degrades to the in-process lock.
fn lock_file(path: &Path, origin: RunOrigin) -> Result<Option<File>, Busy> {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let Ok(mut f) = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
    else {
        return Ok(None);
    };
    match f.try_lock() {
        Ok(()) => {
            let _ = f.set_len(0);
            let _ = f.write_all(origin.as_str().as_bytes());
            let _ = f.flush();
            Ok(Some(f))
        }
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = f.seek(SeekFrom::Start(0));
            let _ = f.read_to_string(&mut text);
            Err(Busy {
                held_by: RunOrigin::parse(text.trim()).unwrap_or(RunOrigin::Cli),
            })
        }
        Err(TryLockError::Error(_)) => Ok(None),
    }
}

/// The lock was taken: who holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy {
    /// Who started the run in progress.
    pub held_by: RunOrigin,
}

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a benchmark is already running ({})",
            self.held_by.as_str()
        )
    }
}

impl std::error::Error for Busy {}

impl RunLock {
    /// A free lock for this process only.
    pub fn new() -> RunLock {
        RunLock::default()
    }

    /// A lock held across processes too, through an exclusive lock on `path` (see
    /// [`lock_path_for`]); the holder's origin is written into the file.
    pub fn across_processes(path: impl Into<PathBuf>) -> RunLock {
        RunLock {
            holder: Arc::default(),
            file: Some(Arc::new(path.into())),
        }
    }

    fn slot(&self) -> MutexGuard<'_, Option<RunOrigin>> {
        // A panic while the mutex was held cannot leave the Option half-written.
        lock_unpoisoned(&self.holder)
    }

    /// Takes the lock for a run started by `origin`, or says who holds it. Never blocks.
    pub fn try_acquire(&self, origin: RunOrigin) -> Result<RunGuard, Busy> {
        let mut slot = self.slot();
        if let Some(held_by) = *slot {
            return Err(Busy { held_by });
        }
        let file = match &self.file {
            Some(path) => lock_file(path, origin)?,
            None => None,
        };
        *slot = Some(origin);
        Ok(RunGuard {
            lock: self.clone(),
            origin,
            _file: file,
        })
    }

    /// Who holds the lock now, if anyone.
    pub fn holder(&self) -> Option<RunOrigin> {
        *self.slot()
    }
}

impl RunGuard {
    /// Who took this guard.
    pub fn origin(&self) -> RunOrigin {
        self.origin
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        *self.lock.slot() = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_across_clones_and_threads() {
        let lock = RunLock::new();
        let app_side = lock.clone();
        let guard = app_side.try_acquire(RunOrigin::App).unwrap();
        assert_eq!(guard.origin(), RunOrigin::App);
        let monitor_side = lock.clone();
        let refused = std::thread::spawn(move || monitor_side.try_acquire(RunOrigin::Monitor))
            .join()
            .unwrap();
        assert_eq!(
            refused.unwrap_err(),
            Busy {
                held_by: RunOrigin::App
            }
        );
        drop(guard);
        assert_eq!(lock.holder(), None);
        let g = lock.try_acquire(RunOrigin::Monitor).unwrap();
        assert_eq!(lock.holder(), Some(RunOrigin::Monitor));
        drop(g);
    }

    #[test]
    fn the_file_lock_is_exclusive_across_independent_locks_and_names_the_holder() {
        // Two locks on the same file stand for two processes (the app and a terminal):
        // file locks are per open file description, so they exclude each other here too.
        let dir = tempfile::tempdir().unwrap();
        let path = lock_path_for(&dir.path().join("sub/history.db"));
        assert!(
            path.ends_with("sub/history.db.run-lock"),
            "{}",
            path.display()
        );
        let app = RunLock::across_processes(&path);
        let terminal = RunLock::across_processes(&path);
        let g = app.try_acquire(RunOrigin::Monitor).unwrap();
        assert_eq!(
            terminal.try_acquire(RunOrigin::Cli).unwrap_err(),
            Busy {
                held_by: RunOrigin::Monitor
            }
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "monitor");
        drop(g);
        let g = terminal.try_acquire(RunOrigin::Cli).unwrap();
        assert_eq!(
            app.try_acquire(RunOrigin::App).unwrap_err(),
            Busy {
                held_by: RunOrigin::Cli
            }
        );
        drop(g);
        assert!(app.try_acquire(RunOrigin::App).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_database_path_takes_the_same_lock() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("b.db");
        std::fs::write(&real, b"").unwrap();
        let link = dir.path().join("a.db");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(lock_path_for(&link), lock_path_for(&real));
        let through_link = RunLock::across_processes(lock_path_for(&link));
        let direct = RunLock::across_processes(lock_path_for(&real));
        let _g = through_link.try_acquire(RunOrigin::Cli).unwrap();
        assert_eq!(
            direct.try_acquire(RunOrigin::Cli).unwrap_err(),
            Busy {
                held_by: RunOrigin::Cli
            }
        );
        // A database not created yet, named through a symlinked folder.
        let folder_link = dir.path().join("data");
        std::os::unix::fs::symlink(dir.path(), &folder_link).unwrap();
        assert_eq!(
            lock_path_for(&folder_link.join("new.db")),
            lock_path_for(&dir.path().join("new.db"))
        );
    }
}
