//! What the metrics exporter reads besides the runs themselves: the latest completed run of
//! every configuration, how many runs were ever stored, and when the last one started.

use benchbar_core::report::{RunOrigin, RunStatus};
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

use crate::{Error, Result, Store};

/// A stored value this build cannot read (column `col`).
fn unreadable(col: usize, msg: String) -> Error {
    Error::Sqlite(rusqlite::Error::FromSqlConversionFailure(
        col,
        rusqlite::types::Type::Text,
        msg.into(),
    ))
}

/// Runs ever stored with one status and origin (pruning never lowers it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunCount {
    /// How the runs ended.
    pub status: RunStatus,
    /// Who started them.
    pub origin: RunOrigin,
    /// How many.
    pub count: u64,
}

impl Store {
    /// The id of the latest completed run (by start time) of every configuration (model,
    /// engine and machine: the run key), newest first.
    pub fn latest_completed_per_configuration(&self) -> Result<Vec<i64>> {
        // One index walk per configuration (runs_by_key: run_key, started_at) instead of
        // sorting the whole table.
        let mut keys = self
            .conn
            .prepare_cached("SELECT DISTINCT run_key FROM runs")?;
        let keys = keys
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut latest = self.conn.prepare_cached(
            "SELECT id, started_at FROM runs WHERE run_key = ?1 AND status = 'completed' \
             ORDER BY started_at DESC, id DESC LIMIT 1",
        )?;
        let mut found = Vec::new();
        for key in keys {
            if let Some(row) = latest
                .query_row([&key], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })
                .optional()?
            {
                found.push(row);
            }
        }
        // Newest first (RFC 3339 UTC strings order as times).
        found.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
        Ok(found.into_iter().map(|(id, _)| id).collect())
    }

    /// A value that changes whenever a run is stored or removed (the largest run id and the
    /// number of runs): what is derived from the runs alone can be kept while it holds.
    pub fn runs_version(&self) -> Result<(i64, i64)> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(id), 0), count(*) FROM runs", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
    }

    /// Runs ever stored, by status and origin.
    pub fn run_counts(&self) -> Result<Vec<RunCount>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT status, origin, n FROM run_counts ORDER BY status, origin")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(status, origin, n)| {
                Ok(RunCount {
                    status: RunStatus::parse(&status)
                        .ok_or_else(|| unreadable(0, format!("unknown status {status}")))?,
                    origin: RunOrigin::parse(&origin)
                        .ok_or_else(|| unreadable(1, format!("unknown origin {origin}")))?,
                    count: u64::try_from(n).unwrap_or(0),
                })
            })
            .collect()
    }

    /// When the latest run of `origin` (any origin: None) started.
    pub fn last_started(&self, origin: Option<RunOrigin>) -> Result<Option<DateTime<Utc>>> {
        let text: Option<String> = match origin {
            // runs_by_origin (origin, started_at) answers this one from the index.
            Some(o) => self.conn.query_row(
                "SELECT max(started_at) FROM runs WHERE origin = ?1",
                [o.as_str()],
                |r| r.get(0),
            ),
            None => self
                .conn
                .query_row("SELECT max(started_at) FROM runs", [], |r| r.get(0)),
        }
        .optional()?
        .flatten();
        text.map(|t| {
            DateTime::parse_from_rfc3339(&t)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| unreadable(0, format!("started_at {t}: {e}")))
        })
        .transpose()
    }
}
