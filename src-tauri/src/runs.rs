//! Running a benchmark from the app: one run at a time, measured and stored by the service
//! exactly as `benchbar run` does, with live events and the regression decision.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use benchbar_core::report::{RunOrigin, RunReport, RunStatus};
use benchbar_core::spec::{RunSpec, SuiteName};
use benchbar_core::suite::Suite;
use benchbar_core::targets::TargetMatrix;
use benchbar_service::measure::{measure, MeasureOptions};
use benchbar_service::monitor::{RunGuard, RunLock};
use benchbar_service::notify::{announce_new, Announcement};
use benchbar_service::open::{open_with, HttpOptions};
use benchbar_store::Store;

use crate::error::{CmdError, CmdResult};
use crate::events::{EventMapper, RunEvent};
use crate::settings::{EngineSetting, Settings};

/// What to run.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// Suite name.
    pub suite: String,
    /// Model.
    pub model: String,
    /// Engine, reps and power sampling come from here.
    pub settings: Settings,
    /// Who asked (the app, or the monitoring schedule).
    pub origin: RunOrigin,
}

/// What a run left behind.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// How it ended.
    pub status: RunStatus,
    /// The report (with its store id when stored).
    pub report: RunReport,
    /// The announcement of its new regressions, if any.
    pub announcement: Option<Announcement>,
}

/// The one run slot: a second run is refused while one is going. It is the service's
/// [`RunLock`], which the monitoring schedule takes too, so a scheduled sample and a run you
/// started never overlap; the slot adds the cancel flag of the run in progress.
#[derive(Debug)]
pub struct RunSlot {
    lock: RunLock,
    current: Mutex<Option<Arc<AtomicBool>>>,
    tickets: AtomicU64,
}

/// Holding the slot; dropping it frees the slot.
#[derive(Debug)]
pub struct RunTicket {
    slot: Arc<RunSlot>,
    /// The run lock, held until the ticket is dropped.
    pub guard: RunGuard,
    /// Set to cancel the run.
    pub cancel: Arc<AtomicBool>,
    /// Sequence number of the run in this app session (1, 2, ...).
    pub number: u64,
}

impl RunSlot {
    /// A slot over `lock` (the app's: across processes, next to the history database).
    pub fn new(lock: RunLock) -> RunSlot {
        RunSlot {
            lock,
            current: Mutex::default(),
            tickets: AtomicU64::default(),
        }
    }

    /// The run lock (the monitoring schedule takes it through [`Monitor::tick`]).
    ///
    /// [`Monitor::tick`]: benchbar_service::monitor::Monitor::tick
    pub fn lock(&self) -> &RunLock {
        &self.lock
    }

    /// Takes the slot for a run started by `origin`, or says a run is already going.
    pub fn try_begin(self: &Arc<Self>, origin: RunOrigin) -> CmdResult<RunTicket> {
        let guard = self
            .lock
            .try_acquire(origin)
            .map_err(|busy| CmdError::new(format!("{busy}; cancel it or wait for it to finish")))?;
        Ok(self.ticket(guard))
    }

    /// The ticket of a run whose lock was taken elsewhere (a scheduled sample).
    pub fn ticket(self: &Arc<Self>, guard: RunGuard) -> RunTicket {
        let cancel = Arc::new(AtomicBool::new(false));
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(cancel.clone());
        RunTicket {
            slot: self.clone(),
            guard,
            cancel,
            number: self.tickets.fetch_add(1, Ordering::Relaxed) + 1,
        }
    }

    /// Asks the running benchmark to stop; false when none is running.
    pub fn cancel(&self) -> bool {
        match &*self.current.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(flag) => {
                flag.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Whether a run is going.
    pub fn is_running(&self) -> bool {
        self.lock.holder().is_some()
    }
}

impl Drop for RunTicket {
    fn drop(&mut self) {
        // The guard (a field) is released after this: the flag is gone before the lock is free.
        *self.slot.current.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// The engine of the settings for `model` (`engine_override`: a test engine spec, e.g.
/// `test-double:decode_tps=80`, used by tests instead of the settings' engine).
pub fn open_engine(
    settings: &Settings,
    model: &str,
    engine_override: Option<&str>,
) -> CmdResult<Box<dyn benchbar_engine::Engine>> {
    let (name, http) = match (&settings.engine, engine_override) {
        (_, Some(spec)) => (spec.to_string(), HttpOptions::default()),
        (EngineSetting::Mlx, None) => ("mlx".to_string(), HttpOptions::default()),
        (
            EngineSetting::Openai {
                url,
                served_model,
                api_key_env,
            },
            None,
        ) => {
            let mut http = HttpOptions::for_url(url);
            http.served_model = served_model.clone();
            http.api_key_env = api_key_env.clone();
            ("openai".to_string(), http)
        }
    };
    Ok(open_with(&name, model, &http)?)
}

/// Runs `req` to the end (or until `cancel`), storing it in the database at `db`; `sink`
/// receives the live events (not `Finished`: the caller sends it once the result is handled).
pub fn execute(
    req: &RunRequest,
    db: &Path,
    engine_override: Option<&str>,
    cancel: &AtomicBool,
    sink: &mut dyn FnMut(RunEvent),
) -> CmdResult<RunResult> {
    let suite: SuiteName = req.suite.parse()?;
    let mut spec = RunSpec::new(req.model.clone(), req.settings.engine_name(), suite);
    spec.reps = req.settings.reps;
    spec.validate()?;
    let plan = spec.plan(&Suite::seed())?;
    // Open the store first: a bad database fails before anything is measured.
    let mut store = Store::open(db)?;
    let mut engine = open_engine(&req.settings, &req.model, engine_override)?;
    let opts = MeasureOptions {
        suite: suite.to_string(),
        sample_power: req.settings.sample_power,
        origin: req.origin,
    };
    let mut mapper = EventMapper::default();
    let measured = measure(
        engine.as_mut(),
        &plan,
        &opts,
        cancel,
        Some(&mut store),
        &TargetMatrix::seed(),
        &mut |e| {
            if let Some(ev) = mapper.map(&e) {
                sink(ev);
            }
        },
    )?;
    let announcement = announce_new(&mut store, &measured.report)?;
    Ok(RunResult {
        status: measured.status,
        report: measured.report,
        announcement,
    })
}

/// What a finished job (a suite run or a scenario) reports.
#[derive(Clone, Debug)]
pub struct JobOutcome {
    /// Store id (None when nothing was stored).
    pub run_id: Option<i64>,
    /// How it ended.
    pub status: RunStatus,
    /// Regressions against the baseline.
    pub regressions: usize,
    /// New regressions to announce.
    pub announcement: Option<Announcement>,
}

impl From<RunResult> for JobOutcome {
    fn from(r: RunResult) -> JobOutcome {
        JobOutcome {
            run_id: r.report.run_id,
            status: r.status,
            regressions: r.report.regressions.len(),
            announcement: r.announcement,
        }
    }
}

/// The `Finished` event of a job's outcome.
pub fn finished_event(outcome: &CmdResult<JobOutcome>) -> RunEvent {
    match outcome {
        Ok(r) => RunEvent::Finished {
            run_id: r.run_id,
            status: r.status.as_str().into(),
            regressions: r.regressions,
            error: None,
        },
        Err(e) => RunEvent::Finished {
            run_id: None,
            status: RunStatus::Failed.as_str().into(),
            regressions: 0,
            error: Some(e.message.clone()),
        },
    }
}
