//! BenchBar history in SQLite: runs, cells, raw per-trial samples, baselines.
//!
//! * WAL, foreign keys, migrations applied in order (`migrations/NNN_*.sql`).
//! * Every write of a run happens in one transaction: a run is stored whole or not at all.
//! * A database written by a newer BenchBar is refused before anything is written to it.

mod bandwidth;
mod counts;
mod error;
mod migrate;
pub mod retention;
mod runs;
pub mod scenarios;
#[cfg(feature = "testing")]
pub mod testkit;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, DatabaseName, OpenFlags};

pub use counts::RunCount;
pub use error::{Error, Result};
pub use migrate::SCHEMA_VERSION;
pub use runs::{RunRow, StoredRun};

/// Environment variable that overrides the database path.
pub const DB_ENV: &str = "BENCHBAR_DB";

/// The default database path: `$BENCHBAR_DB` (an empty value counts as unset), else
/// `<platform data dir>/benchbar/history.db`, whose folder is created here (an explicit path's
/// folder is never created: [`Store::open`] refuses a path whose folder does not exist).
pub fn default_db_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(DB_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let dir = dirs::data_dir().ok_or(Error::NoDataDir)?.join("benchbar");
    std::fs::create_dir_all(&dir).map_err(|error| Error::Io {
        path: dir.clone(),
        error,
    })?;
    Ok(dir.join("history.db"))
}

/// Longest wait for a database locked by another writer (the app, a monitor, another
/// `benchbar`) before an operation fails with "database is locked".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An open history database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    read_only: bool,
}

impl Store {
    /// Opens (creating the file if needed) the database at `path` and brings its schema up to
    /// date. The folder must exist. A database this process may not write (read-only file or
    /// folder) is opened read-only when its schema is current, so that it can still be listed
    /// and exported; writes then fail with SQLite's "readonly database" error.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.is_dir() {
                return Err(Error::Open {
                    path: path.to_path_buf(),
                    reason: format!("the folder {} does not exist", parent.display()),
                    code: None,
                });
            }
        }
        let conn = Connection::open(path).map_err(|e| Error::open(path, e))?;
        // SQLite silently opens a file it may not write read-only.
        let read_only = conn
            .is_readonly(DatabaseName::Main)
            .map_err(|e| Error::open(path, e))?;
        if read_only {
            return Store::open_read_only(path);
        }
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            read_only: false,
        };
        match migrate::migrate(&mut store.conn, path) {
            // A writable file in a folder where the WAL's files cannot be created.
            Err(e) if migrate::is_read_only_failure(&e) => Store::open_read_only(path),
            Err(e) => Err(e),
            Ok(()) => Ok(store),
        }
    }

    /// Opens an existing database for reading only (nothing is created or migrated). Its
    /// schema must be this build's: an older one needs one writable open to be upgraded.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| Error::open(path, e))?;
        let conn = match migrate::check_read_only(&conn, path) {
            Ok(()) => conn,
            // No WAL index can be created next to the file: read it as immutable.
            Err(e) if migrate::is_read_only_failure(&e) => {
                let uri = format!("file:{}?immutable=1", uri_path(path));
                let conn = Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
                    .map_err(|e| Error::open(path, e))?;
                migrate::check_read_only(&conn, path)?;
                conn
            }
            Err(e) => return Err(e),
        };
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            read_only: true,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the database was opened read-only (writes will fail).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Changes the longest wait for a locked database (default [`BUSY_TIMEOUT`]).
    pub fn set_busy_timeout(&mut self, timeout: Duration) -> Result<()> {
        Ok(self.conn.busy_timeout(timeout)?)
    }
}

/// `path` escaped for a `file:` URI.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}
