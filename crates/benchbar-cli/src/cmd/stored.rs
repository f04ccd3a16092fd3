//! Commands over stored runs: history, compare, baseline, targets, export.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};
use benchbar_core::regression::{compare_runs, RunKey};
use benchbar_core::report::{apply_grades, RunReport};
use benchbar_core::targets::TargetMatrix;
use benchbar_store::Store;

use super::{emit, open_store};
use crate::cli::{BaselineAction, CompareArgs, ExportArgs, Format, HistoryArgs, TargetsArgs};
use crate::export::{render, BaselineLine, Doc, HistoryLine};

fn report(store: &Store, run_id: i64) -> Result<RunReport> {
    Ok(store.load_run(run_id)?.report(&TargetMatrix::seed()))
}

/// `benchbar history`.
pub fn history(store: &Store, args: HistoryArgs) -> Result<ExitCode> {
    if args.limit == 0 {
        bail!("--limit must be at least 1");
    }
    let matrix = TargetMatrix::seed();
    let lines = store
        .list_runs(args.model.as_deref(), args.limit)?
        .into_iter()
        .map(|row| {
            let r = store.load_run(row.run_id)?.report(&matrix);
            let first = r.cells.first();
            let mean = |f: fn(
                &benchbar_core::report::CellSummary,
            ) -> &Option<benchbar_core::stats::Stats>| {
                first.and_then(|c| f(&c.summary).as_ref().map(|s| s.mean))
            };
            Ok(HistoryLine {
                decode_tps: mean(|s| &s.decode_tps),
                ttft_ms: mean(|s| &s.ttft_ms),
                peak_memory_bytes: r
                    .cells
                    .iter()
                    .filter_map(|c| c.summary.peak_memory_bytes.as_ref().map(|s| s.max))
                    .reduce(f64::max),
                joules_per_token: {
                    let j: Vec<f64> = r
                        .cells
                        .iter()
                        .filter_map(|c| c.power.as_ref().and_then(|p| p.joules_per_token))
                        .collect();
                    (!j.is_empty()).then(|| j.iter().sum::<f64>() / j.len() as f64)
                },
                regressions: r.regressions.len(),
                row,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    emit(&render(&Doc::History(&lines), args.format), None)?;
    Ok(ExitCode::SUCCESS)
}

/// `benchbar compare BASE NEW` or `benchbar compare RUN --baseline`.
pub fn compare(store: &Store, args: CompareArgs) -> Result<ExitCode> {
    let (base_id, cur_id) = match args.other {
        Some(other) => (args.run_id, other),
        None => {
            let current = report(store, args.run_id)?;
            let key = RunKey::of(&current).canonical();
            let base = store.baseline_for_key(&key)?.ok_or_else(|| {
                anyhow!(
                    "no baseline is set for run {}'s configuration; set one with `benchbar baseline set RUN_ID`",
                    args.run_id
                )
            })?;
            (base, args.run_id)
        }
    };
    let cmp = compare_runs(&report(store, base_id)?, &report(store, cur_id)?)?;
    emit(&render(&Doc::Comparison(&cmp), args.format), None)?;
    Ok(ExitCode::SUCCESS)
}

/// `benchbar baseline set|show`.
pub fn baseline(store: &mut Store, action: BaselineAction) -> Result<ExitCode> {
    match action {
        BaselineAction::Set { run_id } => {
            let key = store.set_baseline(run_id)?;
            println!("run {run_id} is now the baseline for {key}");
        }
        BaselineAction::Show { format } => {
            let lines: Vec<BaselineLine> = store
                .baselines()?
                .into_iter()
                .map(|(run_key, run_id, set_at)| BaselineLine {
                    run_key,
                    run_id,
                    set_at,
                })
                .collect();
            emit(&render(&Doc::Baselines(&lines), format), None)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `benchbar targets [--run ID [--row NAME]]`.
pub fn targets(db: Option<&Path>, args: TargetsArgs) -> Result<ExitCode> {
    if args.format == Format::Csv {
        bail!("targets supports --format table, json or md");
    }
    let matrix = TargetMatrix::seed();
    let graded = match args.run_id {
        None => None,
        Some(id) => {
            let mut r = report(&open_store(db)?, id)?;
            if let Some(name) = &args.row {
                let row = matrix.row(name).ok_or_else(|| {
                    let names: Vec<&str> = matrix.models.iter().map(|m| m.name.as_str()).collect();
                    anyhow!("unknown target row '{name}' (rows: {})", names.join(", "))
                })?;
                apply_grades(&mut r, row);
            }
            Some(r)
        }
    };
    emit(
        &render(&Doc::Targets(&matrix, graded.as_ref()), args.format),
        None,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `benchbar export RUN_ID`.
pub fn export(store: &Store, args: ExportArgs) -> Result<ExitCode> {
    if args.format == Format::Table {
        bail!("export supports --format json, csv or md");
    }
    let r = report(store, args.run_id)?;
    emit(&render(&Doc::Run(&r), args.format), args.output.as_deref())?;
    Ok(ExitCode::SUCCESS)
}
