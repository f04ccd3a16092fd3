//! Measure a plan through an engine, judge it against its baseline, store it.

use std::sync::atomic::AtomicBool;

use benchbar_core::regression::{compare_runs, RunKey};
use benchbar_core::report::{build_report, RunMeta, RunOrigin, RunReport, RunStatus};
use benchbar_core::spec::CellPlan;
use benchbar_core::targets::TargetMatrix;
use benchbar_engine::machine::machine_info;
use benchbar_engine::runner::{run_cells, RunnerEvent};
use benchbar_engine::Engine;
use benchbar_store::Store;

use crate::Result;

/// How to measure and what to record.
#[derive(Clone, Debug)]
pub struct MeasureOptions {
    /// Suite name recorded with the run (`quick`, `standard`, `full`, ...).
    pub suite: String,
    /// Read energy counters and keep a watts timeline.
    pub sample_power: bool,
    /// Who started the run.
    pub origin: RunOrigin,
}

/// What the observer of a measurement sees.
#[derive(Debug)]
pub enum MeasureEvent<'a> {
    /// Progress from the runner (cells, tokens, trials).
    Runner(RunnerEvent<'a>),
    /// A new sample of the watts timeline (only when power is sampled and a source exists);
    /// delivered between runner events, at most every [`POWER_EVENT_INTERVAL`].
    Power {
        /// Milliseconds since the power session started.
        t_ms: f64,
        /// Total average watts over the sample's interval.
        total_w: f64,
    },
}

/// How often the observer is offered new power samples.
pub const POWER_EVENT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

/// A measured run.
#[derive(Clone, Debug)]
pub struct Measured {
    /// The report (with its store id when it was saved, and its regressions).
    pub report: RunReport,
    /// How the run ended.
    pub status: RunStatus,
    /// Cells that completed (and were kept).
    pub kept_cells: usize,
}

/// Runs `plan` on `engine`, builds the report, compares it with the baseline of its
/// configuration and, with a store, saves it in one transaction. `observer` sees every runner
/// event (progress, live tokens) and new power samples; `cancel` stops between trials
/// (completed cells are kept).
///
/// A cancelled run with no completed cell is not stored.
#[allow(clippy::too_many_arguments)]
pub fn measure(
    engine: &mut dyn Engine,
    plan: &[CellPlan],
    opts: &MeasureOptions,
    cancel: &AtomicBool,
    store: Option<&mut Store>,
    matrix: &TargetMatrix,
    observer: &mut dyn FnMut(MeasureEvent<'_>),
) -> Result<Measured> {
    let power = opts
        .sample_power
        .then(benchbar_engine::power::start_session);
    let started_at = chrono::Utc::now();
    let mut sent_samples = 0usize;
    let mut last_check = std::time::Instant::now();
    let mut outcome = run_cells(engine, plan, cancel, power.as_ref(), &mut |e| {
        observer(MeasureEvent::Runner(e));
        if let Some(session) = power.as_ref().filter(|p| p.is_available()) {
            if last_check.elapsed() >= POWER_EVENT_INTERVAL {
                last_check = std::time::Instant::now();
                let timeline = session.timeline();
                for s in timeline.iter().skip(sent_samples) {
                    observer(MeasureEvent::Power {
                        t_ms: s.t_ms,
                        total_w: s.total_w,
                    });
                }
                sent_samples = timeline.len().max(sent_samples);
            }
        }
    });
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
        suite: opts.suite.clone(),
        warnings: outcome.warnings,
        power,
        origin: opts.origin,
    };
    let mut report = build_report(&meta, &outcome.cells, matrix);
    if let Some(store) = store {
        add_regressions(store, &mut report, matrix)?;
        if outcome.status != RunStatus::Cancelled || !outcome.cells.is_empty() {
            report.run_id = Some(store.save_run(&meta, &outcome.cells, &report.regressions)?);
        }
    }
    Ok(Measured {
        report,
        status: outcome.status,
        kept_cells: outcome.cells.len(),
    })
}

/// Compares the run with the baseline of its configuration, if one is set; an incomparable
/// baseline becomes a warning on the report.
pub fn add_regressions(store: &Store, report: &mut RunReport, matrix: &TargetMatrix) -> Result<()> {
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
