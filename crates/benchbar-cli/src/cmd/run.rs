//! `benchbar run`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Result;
use benchbar_core::regression::{compare_runs, RunKey};
use benchbar_core::report::{build_report, RunMeta, RunReport, RunStatus};
use benchbar_core::spec::{CellPlan, RunSpec, SuiteName};
use benchbar_core::suite::Suite;
use benchbar_core::targets::TargetMatrix;
use benchbar_engine::machine::machine_info;
use benchbar_engine::runner::run_cells;
use benchbar_engine::Engine;
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

/// Runs the benchmark on each engine of `--engine` (one run each), compares each with its
/// baseline, stores and prints the report (several engines: one side-by-side table per test).
pub fn run(db: Option<&Path>, args: RunArgs) -> Result<ExitCode> {
    let spec = spec(&args)?;
    let plan = spec.plan(&Suite::seed())?;
    let names = crate::engines::split_engines(&spec.engine);
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            anyhow::bail!("engine '{n}' is listed twice in --engine");
        }
    }
    // Open the store before measuring so that a bad database fails fast.
    let mut store = if args.no_save {
        None
    } else {
        Some(open_store(db)?)
    };
    let http = crate::engines::HttpOptions::from_run_args(&args);
    // Open every engine before measuring so that a bad engine fails before any run.
    let mut engines = names
        .iter()
        .map(|n| crate::engines::open_with(n, &spec.model, &http))
        .collect::<Result<Vec<_>>>()?;

    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    // A second handler cannot be installed in the same process; ignore that case.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));

    let matrix = TargetMatrix::seed();
    let mut reports = Vec::with_capacity(engines.len());
    let mut statuses = Vec::with_capacity(engines.len());
    for engine in &mut engines {
        let (report, status, kept) = measure(
            engine.as_mut(),
            &spec,
            &plan,
            &args,
            &cancel,
            store.as_mut(),
            &matrix,
        )?;
        reports.push(report);
        statuses.push((status, kept));
        if status == RunStatus::Cancelled {
            break;
        }
    }
    let text = if reports.len() == 1 {
        render(&Doc::Run(&reports[0]), args.format)
    } else {
        super::ab::render(&reports, args.format)
    };
    emit(&text, args.output.as_deref())?;
    for report in &reports {
        for r in &report.regressions {
            eprintln!(
                "regression ({:?}): {} {}@{} {} {:+.1}% vs baseline run {} (p = {:.4})",
                r.severity,
                report.engine.name,
                r.test,
                r.batch_size,
                r.metric.name(),
                r.change_percent,
                r.baseline_run_id.unwrap_or_default(),
                r.p_value
            );
        }
    }
    let mut code = ExitCode::SUCCESS;
    for ((status, kept), report) in statuses.iter().zip(&reports) {
        match status {
            RunStatus::Completed => {}
            RunStatus::Cancelled => {
                eprintln!("cancelled: {kept} completed cell(s) kept");
                return Ok(ExitCode::from(EXIT_CANCELLED));
            }
            RunStatus::Failed => {
                eprintln!("failed: every trial failed ({} engine)", report.engine.name);
                code = ExitCode::FAILURE;
            }
        }
    }
    Ok(code)
}

/// One engine's run: measure, report, compare with its baseline, store.
fn measure(
    engine: &mut dyn Engine,
    spec: &RunSpec,
    plan: &[CellPlan],
    args: &RunArgs,
    cancel: &AtomicBool,
    store: Option<&mut Store>,
    matrix: &TargetMatrix,
) -> Result<(RunReport, RunStatus, usize)> {
    let power = (!args.no_power).then(benchbar_engine::power::start_session);
    let started_at = chrono::Utc::now();
    let mut progress = RunProgress::new(plan);
    let mut outcome = run_cells(engine, plan, cancel, power.as_ref(), &mut |e| {
        progress.on_event(&e)
    });
    progress.finish();
    let power = power.map(benchbar_engine::power::finish_session);
    outcome
        .warnings
        .extend(benchbar_engine::power::throttling_warnings(&outcome.cells));
    outcome.warnings.extend(engine.notes());

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
    let mut report = build_report(&meta, &outcome.cells, matrix);
    if let Some(store) = store {
        add_regressions(store, &mut report, matrix)?;
        if outcome.status != RunStatus::Cancelled || !outcome.cells.is_empty() {
            report.run_id = Some(store.save_run(&meta, &outcome.cells, &report.regressions)?);
        }
    }
    Ok((report, outcome.status, outcome.cells.len()))
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
