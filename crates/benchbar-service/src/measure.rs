//! The measuring step of a run (see [`crate::run::execute`], its only caller): the plan
//! through the engine, with power sampling, into a report not yet judged or stored.

use benchbar_core::report::{build_report, CellRaw, RunMeta, RunReport, RunStatus};
use benchbar_core::spec::CellPlan;
use benchbar_core::targets::TargetMatrix;
use benchbar_engine::machine::machine_info;
use benchbar_engine::runner::{run_cells, RunnerEvent};
use benchbar_engine::Engine;

use crate::run::{CancelFlag, RunRequest};

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

/// A measured run, not yet judged or stored.
#[derive(Clone, Debug)]
pub(crate) struct Measured {
    /// What is stored with the cells.
    pub meta: RunMeta,
    /// The completed cells (a cell interrupted by cancellation is dropped whole).
    pub cells: Vec<CellRaw>,
    /// The report built from them (no store id, no regressions yet).
    pub report: RunReport,
}

impl Measured {
    /// How the run ended.
    pub fn status(&self) -> RunStatus {
        self.meta.status
    }
}

/// Runs `plan` on `engine` for `req` and builds the report; `observer` sees every runner
/// event (progress, live tokens) and new power samples; `cancel` (seen by the runner between
/// tokens and by the engine while it waits) stops the run, keeping the completed cells.
pub(crate) fn measure(
    engine: &mut dyn Engine,
    plan: &[CellPlan],
    req: &RunRequest,
    cancel: &CancelFlag,
    matrix: &TargetMatrix,
    observer: &mut dyn FnMut(MeasureEvent<'_>),
) -> Measured {
    let power = req.sample_power.then(benchbar_engine::power::start_session);
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
        suite: req.spec.suite.to_string(),
        warnings: outcome.warnings,
        power,
        origin: req.origin,
    };
    let report = build_report(&meta, &outcome.cells, matrix);
    Measured {
        meta,
        cells: outcome.cells,
        report,
    }
}
