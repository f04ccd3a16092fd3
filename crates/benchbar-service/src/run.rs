//! Starting a benchmark: the one way every run is measured, stored and announced.
//!
//! `benchbar run`, the menu-bar app's runs and the monitoring samples (CLI and app) all build
//! a [`RunRequest`] and call [`execute`] while holding the [`RunLock`]: it measures the plan
//! through the engine, judges the report against its baseline, stores it and composes the
//! announcement of its new regressions ([`crate::notify`]) — the text the app notifies and
//! the CLI prints. The monitor adds scheduling and pruning around it.

mod bounds;
mod lock;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use benchbar_core::regression::{compare_runs, RunKey};
use benchbar_core::report::{CellRaw, RunMeta, RunOrigin, RunReport, RunStatus};
use benchbar_core::spec::{CellPlan, RunSpec};
use benchbar_core::suite::Suite;
use benchbar_core::targets::TargetMatrix;
use benchbar_engine::machine::machine_info;
use benchbar_engine::Engine;
use benchbar_store::Store;

pub use lock::{lock_path_for, Busy, RunGuard, RunLock};

use crate::bundle::Bundle;
use crate::measure::{measure, Measured};
pub use crate::measure::{MeasureEvent, POWER_EVENT_INTERVAL};
use crate::notify::{announce_new, Announcement};
use crate::{Error, Result};

/// The cancel flag of a run: set by whoever may cancel (Ctrl-C or SIGTERM, the app's Cancel
/// and Quit, the monitor's stop), read by the runner between tokens and by the engine while
/// it waits ([`Engine::run_trial_cancellable`]).
pub type CancelFlag = Arc<AtomicBool>;

/// What to run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRequest {
    /// Model, engine, suite and overrides.
    pub spec: RunSpec,
    /// Read energy counters and keep a watts timeline.
    pub sample_power: bool,
    /// Who started the run.
    pub origin: RunOrigin,
    /// Run even when the memory estimate exceeds the machine's memory.
    pub allow_oversize: bool,
}

impl RunRequest {
    /// A request for `spec` started by `origin`, with power sampling on and the memory bound
    /// enforced.
    pub fn new(spec: RunSpec, origin: RunOrigin) -> RunRequest {
        RunRequest {
            spec,
            sample_power: true,
            origin,
            allow_oversize: false,
        }
    }

    /// The cells of the run (the seed suite with the spec's overrides); refuses a spec that
    /// cannot produce a measurement.
    pub fn plan(&self) -> Result<Vec<CellPlan>> {
        Ok(self.spec.plan(&Suite::seed())?)
    }

    /// Refuses, before anything runs, concurrency levels on an engine that cannot keep requests
    /// in flight, and a plan that `engine`'s model cannot hold: a prompt plus
    /// generated tokens past its context, or (unless `allow_oversize`) weights plus KV cache
    /// past the machine's memory. Engines that do not know their model's limits pass.
    pub fn check_bounds(&self, engine: &dyn Engine) -> Result<()> {
        if self.spec.concurrency.is_some() && !engine.supports_concurrency() {
            return Err(Error::Invalid(format!(
                "--concurrency measures a server: the {} engine does not keep requests in flight (use --engine openai --url ...)",
                engine.info().name
            )));
        }
        if self.spec.depths_planned().is_some() && !engine.supports_depth() {
            return Err(Error::Invalid(format!(
                "--depth measures a context held in the engine's KV cache: the {} engine keeps none between requests (use the in-process engine, or --cached-prefix N for a server's prompt cache)",
                engine.info().name
            )));
        }
        match engine.limits() {
            Some(limits) => bounds::check(
                &self.plan_for(engine)?.0,
                &limits,
                machine_info().memory_bytes,
                self.allow_oversize,
            ),
            None => Ok(()),
        }
    }

    /// The cells to run on `engine`: [`RunRequest::plan`], less the `long-context` suite's own
    /// depths that `engine`'s model cannot hold (past its context, or unless `allow_oversize`
    /// past the machine's memory), each named in a note. Depths given with `--depth` are not
    /// dropped: [`RunRequest::check_bounds`] refuses them.
    pub fn plan_for(&self, engine: &dyn Engine) -> Result<(Vec<CellPlan>, Vec<String>)> {
        let plan = self.plan()?;
        match (engine.limits(), &self.spec.depths) {
            (Some(limits), None) if self.spec.depths_planned().is_some() => Ok(bounds::fit(
                plan,
                &limits,
                machine_info().memory_bytes,
                self.allow_oversize,
            )),
            _ => Ok((plan, Vec::new())),
        }
    }
}

/// Where a run is measured and kept.
pub struct RunContext<'a> {
    /// The engine, already opened for the request's model.
    pub engine: &'a mut dyn Engine,
    /// The history database (None: `--no-save`, nothing stored or announced).
    pub store: Option<&'a mut Store>,
    /// The run lock, held for the whole run.
    pub guard: &'a RunGuard,
    /// Set to stop the run (completed cells are kept, the run is recorded as cancelled).
    pub cancel: &'a CancelFlag,
    /// The target matrix reports are graded against.
    pub matrix: &'a TargetMatrix,
    /// Where a run that cannot be stored is written as a run file (the database's folder;
    /// the system's temporary folder when that fails too).
    pub recovery_dir: &'a Path,
}

/// What a run left behind.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The report (with its store id when it was saved, and its regressions).
    pub report: RunReport,
    /// How the run ended.
    pub status: RunStatus,
    /// Cells that completed (and were kept).
    pub kept_cells: usize,
    /// The announcement of the regressions not announced before (None: nothing new).
    pub announcement: Option<Announcement>,
    /// Set when the run could not be stored: why, and the run file that holds it instead.
    pub not_stored: Option<NotStored>,
}

/// A run that could not be stored, kept in a run file (`benchbar import FILE` stores it).
#[derive(Clone, Debug, PartialEq)]
pub struct NotStored {
    /// Why storing failed (one line).
    pub cause: String,
    /// The run file.
    pub run_file: PathBuf,
}

impl NotStored {
    /// What to tell the user, one line: the cause, the file, how to store it later.
    pub fn message(&self) -> String {
        format!(
            "the run could not be stored ({}); it is kept in {} (store it later with `benchbar import {}`)",
            self.cause,
            self.run_file.display(),
            self.run_file.display()
        )
    }
}

/// Runs `req` in `ctx`: measures its plan (`observer` hears every runner event and power
/// sample), compares the report with the baseline of its configuration, stores it in one
/// transaction and records which regressions are new, returning their announcement. A
/// cancelled run with no completed cell is not stored.
pub fn execute(
    req: &RunRequest,
    ctx: &mut RunContext<'_>,
    observer: &mut dyn FnMut(MeasureEvent<'_>),
) -> Result<RunResult> {
    let (plan, skipped) = req.plan_for(&*ctx.engine)?;
    req.check_bounds(&*ctx.engine)?;
    let matrix = ctx.matrix;
    let mut measured = measure(&mut *ctx.engine, &plan, req, ctx.cancel, matrix, observer);
    measured.meta.warnings.extend(skipped.iter().cloned());
    measured.report.warnings.extend(skipped);
    let status = measured.status();
    let Measured {
        meta,
        cells,
        mut report,
    } = measured;
    let kept_cells = cells.len();
    let (mut announcement, mut not_stored) = (None, None);
    match ctx.store.as_deref_mut() {
        // A cancelled run with no completed cell is not stored.
        None => {}
        Some(_) if status == RunStatus::Cancelled && cells.is_empty() => {}
        Some(store) => match store_run(store, &meta, &cells, &mut report, matrix) {
            // The run is stored; failing to record its announcement loses nothing measured.
            Ok(()) => match announce_new(store, &report) {
                Ok(a) => announcement = a,
                Err(e) => report
                    .warnings
                    .push(format!("new regressions not recorded as announced: {e}")),
            },
            Err(e) => {
                let cause = e.to_string();
                let file = Bundle::recovery(meta, cells, report.clone());
                let run_file = file
                    .write_new(ctx.recovery_dir)
                    .or_else(|_| file.write_new(&std::env::temp_dir()))
                    .map_err(|w| {
                        Error::Invalid(format!(
                            "the run could not be stored ({cause}) nor written to a run file in {} ({w})",
                            ctx.recovery_dir.display()
                        ))
                    })?;
                not_stored = Some(NotStored { cause, run_file });
            }
        },
    }
    Ok(RunResult {
        report,
        status,
        kept_cells,
        announcement,
        not_stored,
    })
}

/// Judges the run against its baseline and saves it in one transaction (the report gets its
/// store id and regressions).
fn store_run(
    store: &mut Store,
    meta: &RunMeta,
    cells: &[CellRaw],
    report: &mut RunReport,
    matrix: &TargetMatrix,
) -> Result<()> {
    add_regressions(store, report, matrix)?;
    report.run_id = Some(store.save_run(meta, cells, &report.regressions)?);
    Ok(())
}

/// Compares the run with the baseline of its configuration, if one is set; an incomparable
/// baseline becomes a warning on the report.
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
