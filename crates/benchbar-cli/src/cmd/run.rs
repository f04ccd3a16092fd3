//! `benchbar run`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Result;
use benchbar_core::report::{RunOrigin, RunStatus};
use benchbar_core::spec::{RunSpec, SuiteName};
use benchbar_core::suite::Suite;
use benchbar_core::targets::TargetMatrix;
use benchbar_service::measure::{measure, MeasureEvent, MeasureOptions};
use benchbar_service::open::{open_with_mlx, split_engines};

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
    let names = split_engines(&spec.engine);
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
    let http = crate::engines::http_options(&args);
    let mlx = crate::engines::mlx_options();
    // Open every engine before measuring so that a bad engine fails before any run.
    let mut engines = names
        .iter()
        .map(|n| open_with_mlx(n, &spec.model, &http, &mlx))
        .collect::<std::result::Result<Vec<_>, _>>()?;

    // Never two benchmarks at once (the app, its schedule, another terminal).
    let _running = super::take_run_lock(db)?;
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    // A second handler cannot be installed in the same process; ignore that case.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));

    let matrix = TargetMatrix::seed();
    let mut reports = Vec::with_capacity(engines.len());
    let mut statuses = Vec::with_capacity(engines.len());
    for engine in &mut engines {
        let opts = MeasureOptions {
            suite: spec.suite.to_string(),
            sample_power: !args.no_power,
            origin: RunOrigin::Cli,
        };
        let mut progress = RunProgress::new(&plan);
        let m = measure(
            engine.as_mut(),
            &plan,
            &opts,
            &cancel,
            store.as_mut(),
            &matrix,
            &mut |e| {
                if let MeasureEvent::Runner(e) = e {
                    progress.on_event(&e)
                }
            },
        )?;
        progress.finish();
        let status = m.status;
        reports.push(m.report);
        statuses.push((status, m.kept_cells));
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
