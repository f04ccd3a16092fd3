//! `benchbar run`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Result;
use benchbar_core::adaptive::AdaptiveReps;
use benchbar_core::report::{RunOrigin, RunStatus};
use benchbar_core::spec::{RunSpec, SuiteName};
use benchbar_core::targets::TargetMatrix;
use benchbar_service::notify::announcement_line;
use benchbar_service::open::{open_cancellable, split_engines};
use benchbar_service::run::{execute, MeasureEvent, RunContext, RunRequest};

use super::{emit, open_store};
use crate::cli::{Reps, RunArgs};
use crate::export::{render, Doc};
use crate::progress::RunProgress;

fn request(args: &RunArgs) -> Result<RunRequest> {
    let suite: SuiteName = args.suite.parse()?;
    let tuned = args.precision.is_some() || args.max_time.is_some();
    let (reps, adaptive) = match args.reps {
        Some(Reps::Count(_)) if tuned => {
            anyhow::bail!("--precision and --max-time go with -r auto, not a number of repetitions")
        }
        Some(Reps::Count(n)) => (Some(n), None),
        Some(Reps::Auto) => (
            None,
            Some(AdaptiveReps::new(args.precision, args.max_time)?),
        ),
        // The quick suite is adaptive by default; tuning it needs no -r auto.
        None if tuned => (
            None,
            Some(AdaptiveReps::new(args.precision, args.max_time)?),
        ),
        None => (None, None),
    };
    let spec = RunSpec {
        model: args.model.clone(),
        engine: args.engine.clone(),
        suite,
        prompt_tokens: args.prompt_tokens,
        gen_tokens: args.gen_tokens,
        batch_sizes: args.batch.clone(),
        reps,
        adaptive,
        warmup: args.warmup,
        concurrency: args.concurrency.clone(),
        requests_per_level: args.requests,
        slo: (args.slo_ttft_ms.is_some() || args.slo_itl_ms.is_some()).then_some(
            benchbar_core::load::Slo {
                ttft_ms: args.slo_ttft_ms,
                itl_ms: args.slo_itl_ms,
            },
        ),
        depths: args.depths.clone(),
        cached_prefix_tokens: args.cached_prefix,
    };
    let req = RunRequest {
        spec,
        sample_power: !args.no_power,
        origin: RunOrigin::Cli,
        allow_oversize: args.allow_oversize,
    };
    req.plan()?;
    Ok(req)
}

/// `--kv-bits`: the mlx engine beside one `mlx:kv-bits=B,...` per bits value (see
/// [`benchbar_service::open::kv_quant`]). Without it, `names` as they are; its options without
/// it, or beside another engine, are one error.
fn with_kv_variants(names: Vec<String>, args: &RunArgs) -> Result<Vec<String>> {
    let Some(bits) = &args.kv_bits else {
        if args.kv_group_size.is_some() || args.kv_start.is_some() {
            anyhow::bail!("--kv-group-size and --kv-start go with --kv-bits");
        }
        return Ok(names);
    };
    if names != ["mlx"] {
        anyhow::bail!(
            "--kv-bits quantizes the in-process engine's KV cache: use it with --engine mlx alone"
        );
    }
    let mut out = names;
    for (i, b) in bits.iter().enumerate() {
        if bits[..i].contains(b) {
            anyhow::bail!("--kv-bits lists {b} twice");
        }
        let spec = format!(
            "mlx:kv-bits={b},kv-group-size={},kv-start={}",
            args.kv_group_size.unwrap_or(64),
            args.kv_start.unwrap_or(0)
        );
        // the values are checked here, before any model loads
        benchbar_service::open::kv_quant(&spec, spec.split_once(':').map_or("", |p| p.1))?;
        out.push(spec);
    }
    Ok(out)
}

/// Runs the benchmark on each engine of `--engine` (one run each), compares each with its
/// baseline, stores and prints the report (several engines: one side-by-side table per test).
pub fn run(db: Option<&Path>, args: RunArgs) -> Result<ExitCode> {
    let req = request(&args)?;
    let names = with_kv_variants(split_engines(&req.spec.engine), &args)?;
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
    // SIGINT/SIGTERM from here on cancel: a model load (seconds for a large model), then the
    // run.
    let cancel = Arc::new(AtomicBool::new(false));
    let stopped = crate::signals::on_stop_signals(&cancel)?;
    // Open every engine before measuring so that a bad engine fails before any run.
    let mut engines = Vec::with_capacity(names.len());
    for n in &names {
        match open_cancellable(n, &req.spec.model, &http, &mlx, &cancel) {
            Ok(e) => engines.push(e),
            Err(benchbar_service::Error::Engine(benchbar_engine::EngineError::Cancelled)) => {
                eprintln!("cancelled while loading the model; nothing was measured");
                return Ok(ExitCode::from(stopped.exit_code()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    // Bound the inputs against every engine's model before any run.
    for engine in &engines {
        req.check_bounds(engine.as_ref())?;
    }

    // Never two benchmarks at once (the app, its schedule, another terminal).
    let running = super::take_run_lock(db)?;

    let matrix = TargetMatrix::seed();
    let recovery_dir = super::recovery_dir(db)?;
    let mut not_stored = Vec::new();
    let mut reports = Vec::with_capacity(engines.len());
    let mut statuses = Vec::with_capacity(engines.len());
    let mut announcements = Vec::new();
    for engine in &mut engines {
        // The long-context suite drops the depths this engine's model cannot hold.
        let mut progress = RunProgress::new(&req.plan_for(engine.as_ref())?.0);
        let mut ctx = RunContext {
            engine: engine.as_mut(),
            store: store.as_mut(),
            guard: &running,
            cancel: &cancel,
            matrix: &matrix,
            recovery_dir: &recovery_dir,
        };
        let m = execute(&req, &mut ctx, &mut |e| {
            if let MeasureEvent::Runner(e) = e {
                progress.on_event(&e)
            }
        })?;
        progress.finish();
        let status = m.status;
        reports.push(m.report);
        statuses.push((status, m.kept_cells));
        announcements.extend(m.announcement);
        not_stored.extend(m.not_stored);
        if status == RunStatus::Cancelled {
            break;
        }
    }
    let text = if reports.len() == 1 {
        render(&Doc::Run(&reports[0]), args.format)
    } else {
        super::ab::render(&reports, args.format)
    };
    if let Err(e) = emit(&text, args.output.as_deref()) {
        let saved: Vec<String> = reports
            .iter()
            .filter_map(|r| r.run_id.map(|id| id.to_string()))
            .collect();
        match saved.as_slice() {
            [] => return Err(e),
            [id] => anyhow::bail!(
                "{e:#}; the run was saved as run {id} (`benchbar export {id}` prints it again)"
            ),
            ids => anyhow::bail!("{e:#}; the runs were saved as runs {}", ids.join(", ")),
        }
    }
    if let Some(url) = &args.push {
        push(url, &reports);
    }
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
    // What the app would notify (new regressions only, each announced once).
    for a in &announcements {
        eprintln!("{}", announcement_line(a));
    }
    // Nothing measured is lost: a run the database refused is in its run file.
    for n in &not_stored {
        eprintln!("error: {}", n.message());
    }
    let mut code = ExitCode::SUCCESS;
    for ((status, kept), report) in statuses.iter().zip(&reports) {
        match status {
            RunStatus::Completed => {}
            RunStatus::Cancelled => {
                eprintln!("cancelled: {kept} completed cell(s) kept");
                // 130 for Ctrl-C, 143 for SIGTERM.
                code = ExitCode::from(stopped.exit_code());
                break;
            }
            RunStatus::Failed => {
                eprintln!("failed: every trial failed ({} engine)", report.engine.name);
                code = ExitCode::FAILURE;
            }
        }
    }
    if !not_stored.is_empty() {
        code = ExitCode::from(crate::EXIT_ERROR);
    }
    Ok(code)
}

/// Sends each completed run to the Pushgateway at `url`; a failure is one warning line (the
/// run is stored regardless).
fn push(url: &str, reports: &[benchbar_core::report::RunReport]) {
    let instance = host_name();
    for r in reports {
        if r.status != RunStatus::Completed {
            eprintln!("warning: not pushed: the run did not complete");
            continue;
        }
        match benchbar_service::metrics::push(url, &instance, r) {
            Ok(()) => eprintln!("pushed the run's metrics to {url}"),
            Err(e) => eprintln!("warning: {e}"),
        }
    }
}

/// This machine's host name: the Pushgateway group's `instance`.
fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: gethostname writes at most `buf.len()` bytes into the buffer it is given,
        // which lives for the call.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            if let Ok(name) = std::str::from_utf8(&buf[..end]) {
                if !name.is_empty() {
                    return name.to_string();
                }
            }
        }
    }
    std::env::var("COMPUTERNAME").unwrap_or_else(|_| "unknown".into())
}
