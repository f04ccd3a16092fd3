//! `benchbar run`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Result;
use benchbar_core::regression::{compare_runs, RunKey};
use benchbar_core::report::{build_report, RunMeta, RunReport, RunStatus};
use benchbar_core::spec::{RunSpec, SuiteName};
use benchbar_core::suite::Suite;
use benchbar_core::targets::TargetMatrix;
use benchbar_engine::machine::machine_info;
use benchbar_engine::runner::run_cells;
use benchbar_store::Store;

use super::{emit, open_store};
use crate::cli::RunArgs;
use crate::export::{render, Doc};
use crate::progress::RunProgress;

/// Exit code of a run stopped with Ctrl-C (after the completed cells were saved).
const EXIT_CANCELLED: u8 = 130;

fn spec(args: &RunArgs) -> Result<RunSpec> {
    let suite: SuiteName = args.suite.parse()?;
    let spec = RunSpec {
        model: args.model.clone(),
        engine: args.engine.clone(),
        suite,
        prompt_tokens: args.prompt_tokens,
        gen_tokens: args.gen_tokens,
        batch_sizes: args.batch.clone(),
        reps: args.reps,
        warmup: args.warmup,
    };
    spec.validate()?;
    Ok(spec)
}

/// Runs the benchmark, compares with the baseline, stores and prints the report.
pub fn run(db: Option<&Path>, args: RunArgs) -> Result<ExitCode> {
    let spec = spec(&args)?;
    let plan = spec.plan(&Suite::seed())?;
    // Open the store before measuring so that a bad database fails fast.
    let mut store = if args.no_save {
        None
    } else {
        Some(open_store(db)?)
    };
    let mut engine = crate::engines::open(&spec.engine, &spec.model)?;

    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    // A second handler cannot be installed in the same process; ignore that case.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));

    let power = (!args.no_power).then(benchbar_engine::power::start_session);
    let started_at = chrono::Utc::now();
    let mut progress = RunProgress::new(&plan);
    let mut outcome = run_cells(engine.as_mut(), &plan, &cancel, power.as_ref(), &mut |e| {
        progress.on_event(&e)
    });
    progress.finish();
    let power = power.map(benchbar_engine::power::finish_session);
    outcome
        .warnings
        .extend(benchbar_engine::power::throttling_warnings(&outcome.cells));

    let meta = RunMeta {
        run_id: None,
        started_at,
        status: outcome.status,
        machine: machine_info(),
        engine: engine.info(),
        model: engine.model(),
        suite: spec.suite.to_string(),
        warnings: outcome.warnings,
        power,
    };
    let matrix = TargetMatrix::seed();
    let mut report = build_report(&meta, &outcome.cells, &matrix);
    if let Some(store) = &store {
        add_regressions(store, &mut report, &matrix)?;
    }
    if let Some(store) = &mut store {
        if outcome.status != RunStatus::Cancelled || !outcome.cells.is_empty() {
            report.run_id = Some(store.save_run(&meta, &outcome.cells, &report.regressions)?);
        }
    }
    emit(
        &render(&Doc::Run(&report), args.format),
        args.output.as_deref(),
    )?;
    for r in &report.regressions {
        eprintln!(
            "regression ({:?}): {}@{} {} {:+.1}% vs baseline run {} (p = {:.4})",
            r.severity,
            r.test,
            r.batch_size,
            r.metric.name(),
            r.change_percent,
            r.baseline_run_id.unwrap_or_default(),
            r.p_value
        );
    }
    Ok(match outcome.status {
        RunStatus::Completed => ExitCode::SUCCESS,
        RunStatus::Cancelled => {
            eprintln!("cancelled: {} completed cell(s) kept", outcome.cells.len());
            ExitCode::from(EXIT_CANCELLED)
        }
        RunStatus::Failed => {
            eprintln!("failed: every trial failed");
            ExitCode::FAILURE
        }
    })
}

/// Compares the run with the baseline of its configuration, if one is set.
fn add_regressions(store: &Store, report: &mut RunReport, matrix: &TargetMatrix) -> Result<()> {
    let key = RunKey::of(report).canonical();
    let Some(baseline_id) = store.baseline_for_key(&key)? else {
        return Ok(());
    };
    let baseline = store.load_run(baseline_id)?.report(matrix);
    match compare_runs(&baseline, report) {
        Ok(cmp) => report.regressions = cmp.regressions(),
        Err(e) => report
            .warnings
            .push(format!("not compared with baseline run {baseline_id}: {e}")),
    }
    Ok(())
}
