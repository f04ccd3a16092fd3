//! Queries on runs, one function per query.

use benchbar_core::regression::{Regression, RunKey};
use benchbar_core::report::{
    build_report, CellRaw, EngineInfo, ModelRef, RunMeta, RunOrigin, RunReport, RunStatus,
};
use benchbar_core::sample::TrialSample;
use benchbar_core::spec::CellPlan;
use benchbar_core::targets::TargetMatrix;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::{Error, Result, Store};

/// A run as stored: metadata, raw cells, and the regressions found when it was saved.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRun {
    /// Metadata (with `run_id` set).
    pub meta: RunMeta,
    /// Raw cells in run order.
    pub cells: Vec<CellRaw>,
    /// Regressions recorded with the run.
    pub regressions: Vec<Regression>,
}

impl StoredRun {
    /// The full report, derived from the raw samples.
    pub fn report(&self, matrix: &TargetMatrix) -> RunReport {
        let mut r = build_report(&self.meta, &self.cells, matrix);
        r.regressions = self.regressions.clone();
        r
    }
}

/// One line of the history listing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RunRow {
    /// Run id.
    pub run_id: i64,
    /// Start time.
    pub started_at: DateTime<Utc>,
    /// How it ended.
    pub status: RunStatus,
    /// Suite.
    pub suite: String,
    /// Model.
    pub model: ModelRef,
    /// Engine.
    pub engine: EngineInfo,
    /// Who started it.
    #[serde(default)]
    pub origin: RunOrigin,
}

const RUN_COLUMNS: &str = "id, started_at, status, suite, model_id, model_path, quantization, \
                           engine_name, engine_version, machine_json, warnings_json, regressions_json, power_json, origin, \
                           engine_kv_cache_json";

fn meta_from_row(r: &Row<'_>) -> rusqlite::Result<(RunMeta, String)> {
    let json_err = |i: usize, e: serde_json::Error| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    };
    let started: String = r.get(1)?;
    let status: String = r.get(2)?;
    let machine: String = r.get(9)?;
    let warnings: String = r.get(10)?;
    Ok((
        RunMeta {
            run_id: Some(r.get(0)?),
            started_at: DateTime::parse_from_rfc3339(&started)
                .map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        1,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?
                .with_timezone(&Utc),
            status: RunStatus::parse(&status).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    2,
                    rusqlite::types::Type::Text,
                    format!("unknown status {status}").into(),
                )
            })?,
            suite: r.get(3)?,
            model: ModelRef {
                id: r.get(4)?,
                path: r.get(5)?,
                quantization: r.get(6)?,
            },
            engine: EngineInfo {
                name: r.get(7)?,
                version: r.get(8)?,
                kv_cache: r
                    .get::<_, Option<String>>(14)?
                    .map(|k| serde_json::from_str(&k))
                    .transpose()
                    .map_err(|e| json_err(14, e))?,
            },
            machine: serde_json::from_str(&machine).map_err(|e| json_err(9, e))?,
            warnings: serde_json::from_str(&warnings).map_err(|e| json_err(10, e))?,
            power: r
                .get::<_, Option<String>>(12)?
                .map(|p| serde_json::from_str(&p))
                .transpose()
                .map_err(|e| json_err(12, e))?,
            origin: {
                let o: String = r.get(13)?;
                RunOrigin::parse(&o).ok_or_else(|| {
                    rusqlite::Error::FromSqlConversionFailure(
                        13,
                        rusqlite::types::Type::Text,
                        format!("unknown origin {o}").into(),
                    )
                })?
            },
        },
        r.get(11)?,
    ))
}

impl Store {
    /// Stores a whole run in one transaction and returns its id.
    pub fn save_run(
        &mut self,
        meta: &RunMeta,
        cells: &[CellRaw],
        regressions: &[Regression],
    ) -> Result<i64> {
        self.save_run_observed(meta, cells, regressions, &mut |_| {})
    }

    /// [`Store::save_run`], calling `after_cell(i)` inside the transaction after cell `i` is
    /// written. Used to prove that a writer killed mid-transaction leaves nothing behind.
    pub fn save_run_observed(
        &mut self,
        meta: &RunMeta,
        cells: &[CellRaw],
        regressions: &[Regression],
        after_cell: &mut dyn FnMut(usize),
    ) -> Result<i64> {
        // IMMEDIATE: the write lock is taken (waiting up to the busy timeout) before anything
        // is read, so a writer that finishes meanwhile cannot invalidate this transaction.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let run_id = insert_run(&tx, meta, cells, regressions, after_cell)?;
        tx.commit()?;
        Ok(run_id)
    }

    /// Stores several runs (meta, cells, regressions) in one transaction, all or none, and
    /// returns their ids in order.
    pub fn save_runs(
        &mut self,
        runs: &[(RunMeta, Vec<CellRaw>, Vec<Regression>)],
    ) -> Result<Vec<i64>> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let ids = runs
            .iter()
            .map(|(meta, cells, regressions)| {
                insert_run(&tx, meta, cells, regressions, &mut |_| {})
            })
            .collect::<Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(ids)
    }

    /// Loads a run with its raw cells.
    pub fn load_run(&self, run_id: i64) -> Result<StoredRun> {
        let (mut meta, regressions) = self
            .conn
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
                [run_id],
                meta_from_row,
            )
            .optional()?
            .ok_or(Error::UnknownRun(run_id))?;
        meta.run_id = Some(run_id);
        let mut cells_stmt = self.conn.prepare_cached(
            "SELECT id, plan_json, power_json FROM cells WHERE run_id = ?1 ORDER BY position",
        )?;
        let cell_rows: Vec<(i64, String, Option<String>)> = cells_stmt
            .query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut trials_stmt = self.conn.prepare_cached(
            "SELECT sample_json FROM trials WHERE cell_id = ?1 ORDER BY trial_index",
        )?;
        let mut cells = Vec::with_capacity(cell_rows.len());
        for (cell_id, plan, power) in cell_rows {
            let plan: CellPlan = serde_json::from_str(&plan)?;
            let power = power.map(|p| serde_json::from_str(&p)).transpose()?;
            let trials = trials_stmt
                .query_map([cell_id], |r| r.get::<_, String>(0))?
                .map(|s| Ok(serde_json::from_str::<TrialSample>(&s?)?))
                .collect::<Result<Vec<_>>>()?;
            cells.push(CellRaw {
                plan,
                trials,
                power,
            });
        }
        Ok(StoredRun {
            meta,
            cells,
            regressions: serde_json::from_str(&regressions)?,
        })
    }

    /// Lists runs, newest first, optionally for one model.
    pub fn list_runs(&self, model: Option<&str>, limit: usize) -> Result<Vec<RunRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE (?1 IS NULL OR model_id = ?1) \
             ORDER BY started_at DESC, id DESC LIMIT ?2"
        ))?;
        let rows = stmt
            .query_map(params![model, limit as i64], meta_from_row)?
            .map(|r| {
                let (m, _) = r?;
                Ok(RunRow {
                    run_id: m.run_id.unwrap_or_default(),
                    started_at: m.started_at,
                    status: m.status,
                    suite: m.suite,
                    model: m.model,
                    engine: m.engine,
                    origin: m.origin,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Makes a run the baseline for its configuration key (replacing an earlier one). Only a
    /// completed run with at least one successful trial can be one: anything else would make
    /// later comparisons report "no cell in common" and hide why.
    pub fn set_baseline(&mut self, run_id: i64) -> Result<String> {
        let (key, status, origin): (String, String, String) = self
            .conn
            .query_row(
                "SELECT run_key, status, origin FROM runs WHERE id = ?1",
                [run_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or(Error::UnknownRun(run_id))?;
        let refuse = |reason: &str| Error::NotABaseline {
            run_id,
            reason: reason.to_string(),
        };
        match RunStatus::parse(&status) {
            Some(RunStatus::Completed) => {}
            Some(RunStatus::Failed) => return Err(refuse("it failed (every trial failed)")),
            Some(RunStatus::Cancelled) => return Err(refuse("it was cancelled")),
            None => return Err(refuse(&format!("its status '{status}' is unknown"))),
        }
        if !self.has_successful_trial(run_id)? {
            return Err(refuse("it has no successful trial"));
        }
        if origin == RunOrigin::Import.as_str() {
            return Err(refuse(
                "it was imported from a result bundle (another machine's run)",
            ));
        }
        self.conn.execute(
            "INSERT INTO baselines (run_key, run_id, set_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (run_key) DO UPDATE SET run_id = excluded.run_id, set_at = excluded.set_at",
            params![key, run_id, Utc::now().to_rfc3339()],
        )?;
        Ok(key)
    }

    /// The stored run measured at the same moment on the same machine with the same model and
    /// engine as `meta`: the same run stored twice (a bundle or run file imported again).
    pub fn find_same_run(&self, meta: &RunMeta) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM runs WHERE started_at = ?1 AND model_id = ?2 AND engine_name = ?3 \
                 AND engine_version = ?4 AND machine_json = ?5 LIMIT 1",
                params![
                    meta.started_at.to_rfc3339(),
                    meta.model.id,
                    meta.engine.name,
                    meta.engine.version,
                    serde_json::to_string(&meta.machine)?,
                ],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// True when some measured trial of the run completed without an error.
    fn has_successful_trial(&self, run_id: i64) -> Result<bool> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.sample_json FROM trials t JOIN cells c ON t.cell_id = c.id \
             WHERE c.run_id = ?1",
        )?;
        let mut rows = stmt.query([run_id])?;
        while let Some(row) = rows.next()? {
            let sample: TrialSample = serde_json::from_str(&row.get::<_, String>(0)?)?;
            if sample.ok() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The baseline run id for a configuration key.
    pub fn baseline_for_key(&self, run_key: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT run_id FROM baselines WHERE run_key = ?1",
                [run_key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// All baselines: (key, run id, set at).
    pub fn baselines(&self) -> Result<Vec<(String, i64, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT run_key, run_id, set_at FROM baselines ORDER BY set_at DESC")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Records that a notification with this fingerprint was sent; false if it already was.
    pub fn record_notification(&mut self, fingerprint: &str, run_id: i64) -> Result<bool> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO notifications (fingerprint, run_id, sent_at) VALUES (?1, ?2, ?3)",
            params![fingerprint, run_id, Utc::now().to_rfc3339()],
        )?;
        Ok(n == 1)
    }
}

/// Writes a run with its cells and trials inside `tx` (the caller commits).
pub(crate) fn insert_run(
    tx: &rusqlite::Transaction<'_>,
    meta: &RunMeta,
    cells: &[CellRaw],
    regressions: &[Regression],
    after_cell: &mut dyn FnMut(usize),
) -> Result<i64> {
    let key = RunKey::new(&meta.model, &meta.engine, &meta.machine).canonical();
    tx.execute(
        "INSERT INTO runs (started_at, status, suite, model_id, model_path, quantization, engine_name, \
         engine_version, machine_json, run_key, warnings_json, regressions_json, power_json, origin, \
         engine_kv_cache_json) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            meta.started_at.to_rfc3339(),
            meta.status.as_str(),
            meta.suite,
            meta.model.id,
            meta.model.path,
            meta.model.quantization,
            meta.engine.name,
            meta.engine.version,
            serde_json::to_string(&meta.machine)?,
            key,
            serde_json::to_string(&meta.warnings)?,
            serde_json::to_string(regressions)?,
            meta.power.as_ref().map(serde_json::to_string).transpose()?,
            meta.origin.as_str(),
            meta.engine.kv_cache.as_ref().map(serde_json::to_string).transpose()?,
        ],
    )?;
    let run_id = tx.last_insert_rowid();
    for (pos, cell) in cells.iter().enumerate() {
        tx.execute(
            "INSERT INTO cells (run_id, position, test, batch_size, plan_json, power_json) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                run_id,
                pos as i64,
                cell.plan.test,
                cell.plan.batch_size,
                serde_json::to_string(&cell.plan)?,
                cell.power.as_ref().map(serde_json::to_string).transpose()?
            ],
        )?;
        let cell_id = tx.last_insert_rowid();
        let mut stmt = tx.prepare_cached(
            "INSERT INTO trials (cell_id, trial_index, sample_json) VALUES (?1, ?2, ?3)",
        )?;
        for t in &cell.trials {
            stmt.execute(params![cell_id, t.index, serde_json::to_string(t)?])?;
        }
        drop(stmt);
        after_cell(pos);
    }
    Ok(run_id)
}
