//! Schema migrations, tracked with SQLite's `user_version`.

use std::path::Path;

use rusqlite::Connection;

use crate::{Error, Result};

/// Migrations in order; the schema version is their count.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/001_init.sql"),
    include_str!("../migrations/002_power.sql"),
    include_str!("../migrations/003_origin.sql"),
    include_str!("../migrations/004_scenarios.sql"),
    include_str!("../migrations/005_import_origin.sql"),
    include_str!("../migrations/006_run_counts.sql"),
    include_str!("../migrations/007_kv_cache.sql"),
    include_str!("../migrations/008_bandwidth.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Checks the file's version first (refusing newer ones before writing anything), then enables
/// WAL and foreign keys and applies the missing migrations, each in its own transaction.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let found = schema_version(conn, path)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(|e| Error::open(path, e))?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| Error::open(path, e))?;
    debug_assert!(mode.eq_ignore_ascii_case("wal") || mode.eq_ignore_ascii_case("memory"));
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// Sets the busy timeout, then reads the file's schema version, refusing a newer one.
fn schema_version(conn: &Connection, path: &Path) -> Result<i64> {
    // Before the first read: another process (the app, a monitor) may be writing.
    conn.busy_timeout(crate::BUSY_TIMEOUT)?;
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| Error::open(path, e))?;
    // Reading the schema forces SQLite to parse the header and the schema table.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| Error::open(path, e))?;
    if found > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(found)
}

/// For a database opened read-only: the schema must be current (it cannot be migrated).
pub(crate) fn check_read_only(conn: &Connection, path: &Path) -> Result<()> {
    let found = schema_version(conn, path)?;
    if found < SCHEMA_VERSION {
        return Err(Error::Open {
            path: path.to_path_buf(),
            reason: format!(
                "the file is read-only and has schema version {found}, older than this BenchBar's ({SCHEMA_VERSION}); make it writable once so that it can be upgraded"
            ),
            code: None,
        });
    }
    Ok(())
}

/// True for an open that failed because the file or its folder cannot be written.
pub(crate) fn is_read_only_failure(e: &Error) -> bool {
    match e {
        Error::Open { code, .. } => matches!(
            code,
            Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen)
        ),
        Error::Sqlite(e) => matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen)
        ),
        _ => false,
    }
}
