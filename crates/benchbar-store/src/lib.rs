//! BenchBar history in SQLite: runs, cells, raw per-trial samples, baselines.
//!
//! * WAL, foreign keys, migrations applied in order (`migrations/NNN_*.sql`).
//! * Every write of a run happens in one transaction: a run is stored whole or not at all.
//! * A database written by a newer BenchBar is refused before anything is written to it.

mod error;
mod migrate;
pub mod retention;
mod runs;
pub mod scenarios;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use error::{Error, Result};
pub use migrate::SCHEMA_VERSION;
pub use runs::{RunRow, StoredRun};

/// Environment variable that overrides the database path.
pub const DB_ENV: &str = "BENCHBAR_DB";

/// The default database path: `$BENCHBAR_DB`, else `<platform data dir>/benchbar/history.db`.
pub fn default_db_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(DB_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    dirs::data_dir()
        .map(|d| d.join("benchbar").join("history.db"))
        .ok_or(Error::NoDataDir)
}

/// An open history database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::Io {
                path: parent.to_path_buf(),
                source: e,
            })?;
        }
        let conn = Connection::open(path).map_err(|e| Error::open(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        migrate::migrate(&mut store.conn, path)?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
