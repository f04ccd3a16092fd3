//! Reads of the history shared by the CLI and the app: history lines, comparisons, graded
//! targets. Each returns the document the exporters render.

use std::collections::HashMap;
use std::path::Path;

use benchbar_core::bandwidth::{machine_bandwidth, Roofline};
use benchbar_core::machines::{compare_machines, different_machines, MachineComparison};
use benchbar_core::regression::{compare_runs, Comparison, RunKey};
use benchbar_core::report::{apply_grades, CellSummary, RunReport};
use benchbar_core::stats::Stats;
use benchbar_core::targets::TargetMatrix;
use benchbar_store::Store;

use crate::export::{BaselineLine, HistoryLine};
use crate::{Error, Result};

/// Which runs to list.
#[derive(Clone, Debug, Default)]
pub struct HistoryFilter {
    /// Only runs of this model id.
    pub model: Option<String>,
    /// Only runs of this engine name (`mlx`, `openai`, ...).
    pub engine: Option<String>,
    /// Only runs of this suite.
    pub suite: Option<String>,
    /// At most this many lines (newest first).
    pub limit: usize,
}

/// A stored run as a report graded against the seed's matrix.
pub fn report(store: &Store, run_id: i64) -> Result<RunReport> {
    Ok(store.load_run(run_id)?.report(&TargetMatrix::seed()))
}

/// [`report`] with its roofline ([`roofline`]): what the app's run detail and `benchbar
/// export` show.
pub fn report_with_roofline(store: &Store, run_id: i64) -> Result<RunReport> {
    let mut r = report(store, run_id)?;
    r.roofline = roofline(store, &r, &mut HashMap::new())?;
    Ok(r)
}

/// A run's roofline: its single-request decode rate times the bytes a decode step of its model
/// reads (where the model folder is on this machine; `bytes_by_path` keeps what was read for a
/// listing's many runs of one model), against the newest bandwidth measurement of the run's
/// machine (`benchbar bandwidth`), else Apple's published figure for its chip.
fn roofline(
    store: &Store,
    r: &RunReport,
    bytes_by_path: &mut HashMap<String, Option<u64>>,
) -> Result<Option<Roofline>> {
    let Some(path) = r.model.path.as_deref() else {
        return Ok(None);
    };
    let bytes = *bytes_by_path
        .entry(path.to_owned())
        .or_insert_with(|| benchbar_engine::bandwidth::decode_read_bytes(Path::new(path)));
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    let measured = store.latest_bandwidth(&r.machine)?;
    Ok(machine_bandwidth(&r.machine, None, measured.as_ref())
        .and_then(|bw| Roofline::of_run(r, bytes, &bw)))
}

/// The history listing, newest first.
pub fn history(store: &Store, filter: &HistoryFilter) -> Result<Vec<HistoryLine>> {
    if filter.limit == 0 {
        return Err(Error::Invalid("--limit must be at least 1".into()));
    }
    let matrix = TargetMatrix::seed();
    let mut bytes_by_path = HashMap::new();
    let wanted = |row: &benchbar_store::RunRow| {
        filter.engine.as_ref().is_none_or(|e| &row.engine.name == e)
            && filter.suite.as_ref().is_none_or(|s| &row.suite == s)
    };
    // Engine and suite filters are applied after the model query; read enough rows to fill
    // the limit after filtering.
    let fetch = if filter.engine.is_some() || filter.suite.is_some() {
        usize::MAX / 2
    } else {
        filter.limit
    };
    store
        .list_runs(filter.model.as_deref(), fetch)?
        .into_iter()
        .filter(wanted)
        .take(filter.limit)
        .map(|row| {
            let mut r = store.load_run(row.run_id)?.report(&matrix);
            r.roofline = roofline(store, &r, &mut bytes_by_path)?;
            Ok(history_line(row, &r))
        })
        .collect()
}

/// A history line from a stored run's row and report.
pub fn history_line(row: benchbar_store::RunRow, r: &RunReport) -> HistoryLine {
    let first = r.cells.first();
    let mean = |f: fn(&CellSummary) -> &Option<Stats>| {
        first.and_then(|c| f(&c.summary).as_ref().map(|s| s.mean))
    };
    let joules: Vec<f64> = r
        .cells
        .iter()
        .filter_map(|c| c.power.as_ref().and_then(|p| p.joules_per_token))
        .collect();
    HistoryLine {
        decode_tps: mean(|s| &s.decode_tps),
        ttft_ms: mean(|s| &s.ttft_ms),
        peak_memory_bytes: r
            .cells
            .iter()
            .filter_map(|c| c.summary.peak_memory_bytes.as_ref().map(|s| s.max))
            .reduce(f64::max),
        joules_per_token: (!joules.is_empty())
            .then(|| joules.iter().sum::<f64>() / joules.len() as f64),
        regressions: r.regressions.len(),
        roofline: r.roofline.clone(),
        levels: Some(benchbar_core::load::level_lines(&r.cells)).filter(|l| !l.is_empty()),
        depths: Some(benchbar_core::depth::depth_lines(&r.cells)).filter(|l| !l.is_empty()),
        prompt_cache: Some(benchbar_core::depth::prompt_cache_lines(&r.cells))
            .filter(|l| !l.is_empty()),
        row,
    }
}

/// Compares run `current` with run `base` (the same comparison as `benchbar compare`).
pub fn compare(store: &Store, base: i64, current: i64) -> Result<Compared> {
    let (a, b) = (report(store, base)?, report(store, current)?);
    Ok(if different_machines(&a, &b) {
        Compared::CrossMachine(Box::new(compare_machines(&a, &b)?))
    } else {
        Compared::SameMachine(compare_runs(&a, &b)?)
    })
}

/// Two runs compared: on one machine, the later against the earlier with regression verdicts;
/// on different machines, side by side with ratios and no verdict. Serialized as the inner
/// value (the cross-machine one says `"kind": "cross-machine"`).
#[derive(Clone, Debug, serde::Serialize, ts_rs::TS)]
#[serde(untagged)]
pub enum Compared {
    /// Same machine: a baseline and a current run.
    SameMachine(Comparison),
    /// Different machines.
    CrossMachine(Box<MachineComparison>),
}

/// The baseline run of `run_id`'s configuration.
pub fn baseline_of(store: &Store, run_id: i64) -> Result<i64> {
    let current = report(store, run_id)?;
    let key = RunKey::of(&current).canonical();
    store.baseline_for_key(&key)?.ok_or_else(|| {
        Error::Invalid(format!(
            "no baseline is set for run {run_id}'s configuration; set one with `benchbar baseline set RUN_ID`"
        ))
    })
}

/// The baselines, newest first.
pub fn baselines(store: &Store) -> Result<Vec<BaselineLine>> {
    Ok(store
        .baselines()?
        .into_iter()
        .map(|(run_key, run_id, set_at)| BaselineLine {
            run_key,
            run_id,
            set_at,
        })
        .collect())
}

/// A stored run graded against its model's row, or against `row` when given.
pub fn graded_run(store: &Store, run_id: i64, row: Option<&str>) -> Result<RunReport> {
    let matrix = TargetMatrix::seed();
    let mut r = report(store, run_id)?;
    if let Some(name) = row {
        let row = matrix.row(name).ok_or_else(|| {
            let names: Vec<&str> = matrix.models.iter().map(|m| m.name.as_str()).collect();
            Error::Invalid(format!(
                "unknown target row '{name}' (rows: {})",
                names.join(", ")
            ))
        })?;
        apply_grades(&mut r, row);
    }
    Ok(r)
}
