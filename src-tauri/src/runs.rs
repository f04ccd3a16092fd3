//! Running a benchmark from the app: one run at a time, measured and stored by the service
//! exactly as `benchbar run` does, with live events and the regression decision.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use benchbar_core::report::{RunOrigin, RunStatus};
use benchbar_core::spec::{RunSpec, SuiteName};
use benchbar_core::sync::lock_unpoisoned;
use benchbar_core::targets::TargetMatrix;
use benchbar_engine::Engine;
use benchbar_service::notify::Announcement;
use benchbar_service::open::HttpOptions;
use benchbar_service::run::{
    execute as execute_run, MeasureEvent, RunContext, RunGuard, RunLock, RunRequest, RunResult,
};
use benchbar_store::Store;

use crate::error::{CmdError, CmdResult};
use crate::events::{EventMapper, RunEvent};
use crate::settings::{EngineSetting, Settings};
use crate::state::AppState;

/// The run of `suite` on `model` with the engine, reps and power sampling of `settings`,
/// started by `origin` (the app, or the monitoring schedule).
pub fn run_request(
    suite: &str,
    model: &str,
    settings: &Settings,
    origin: RunOrigin,
) -> CmdResult<RunRequest> {
    let suite: SuiteName = suite.parse()?;
    let mut spec = RunSpec::new(model, settings.engine_name(), suite);
    spec.reps = settings.reps;
    let req = RunRequest {
        spec,
        sample_power: settings.sample_power,
        origin,
        allow_oversize: false,
    };
    req.plan()?;
    Ok(req)
}

/// How long Quit waits for a cancelled run to be stored before the app exits anyway (a run
/// ends within a second of its cancel; storing a large run takes a little longer).
pub const QUIT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

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
        *lock_unpoisoned(&self.current) = Some(cancel.clone());
        RunTicket {
            slot: self.clone(),
            guard,
            cancel,
            number: self.tickets.fetch_add(1, Ordering::Relaxed) + 1,
        }
    }

    /// Asks the running benchmark to stop; false when none is running.
    pub fn cancel(&self) -> bool {
        match &*lock_unpoisoned(&self.current) {
            Some(flag) => {
                flag.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Cancels the running benchmark and waits until it has ended (its completed cells
    /// stored as a cancelled run), at most `limit`; true when no run is going any more.
    pub fn cancel_and_wait(&self, limit: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        self.cancel();
        while self.is_running() {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        true
    }

    /// Whether a run is going.
    pub fn is_running(&self) -> bool {
        self.lock.holder().is_some()
    }
}

impl Drop for RunTicket {
    fn drop(&mut self) {
        // The guard (a field) is released after this: the flag is gone before the lock is free.
        *lock_unpoisoned(&self.slot.current) = None;
    }
}

/// The engine of the settings for `model` (`engine_override`: a test engine spec, e.g.
/// `test-double:decode_tps=80`, used by tests instead of the settings' engine).
pub fn open_engine(
    settings: &Settings,
    model: &str,
    engine_override: Option<&str>,
    cancel: &std::sync::atomic::AtomicBool,
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
    let mlx = benchbar_engine::MlxOptions::default();
    Ok(benchbar_service::open::open_cancellable(
        &name, model, &http, &mlx, cancel,
    )?)
}

/// Runs `req` to the end (or until the ticket's cancel flag is set) through the service's
/// one run path, with the engine of `settings` (or the state's test override), storing it in
/// the app's history database; `sink` receives the live events (not `Finished`: the caller
/// sends it once the result is handled).
pub fn execute(
    req: &RunRequest,
    settings: &Settings,
    state: &AppState,
    ticket: &RunTicket,
    sink: &mut dyn FnMut(RunEvent),
) -> CmdResult<RunResult> {
    with_run_context(req, settings, state, ticket, &mut |ctx| {
        let mut mapper = EventMapper::default();
        let result = execute_run(req, ctx, &mut live(&mut mapper, sink))?;
        // Nothing measured is lost: the `finished` event names the run file.
        match &result.not_stored {
            Some(n) => Err(CmdError::new(n.message())),
            None => Ok(result),
        }
    })
}

/// Opens the history database and the engine for `req` (the database first: a bad one fails
/// before anything is measured) and calls `f` with the run's context under `ticket`.
pub fn with_run_context<T>(
    req: &RunRequest,
    settings: &Settings,
    state: &AppState,
    ticket: &RunTicket,
    f: &mut dyn FnMut(&mut RunContext<'_>) -> CmdResult<T>,
) -> CmdResult<T> {
    let mut store = Store::open(&state.config.db_path)?;
    // The run's Cancel (and Quit) also stops a model load that is under way.
    let mut engine: Box<dyn Engine> = open_engine(
        settings,
        &req.spec.model,
        state.engine_override().as_deref(),
        &ticket.cancel,
    )?;
    let matrix = TargetMatrix::seed();
    let db = &state.config.db_path;
    let recovery_dir = db.parent().unwrap_or(db);
    f(&mut RunContext {
        engine: engine.as_mut(),
        store: Some(&mut store),
        guard: &ticket.guard,
        cancel: &ticket.cancel,
        matrix: &matrix,
        recovery_dir,
    })
}

/// The observer of a measurement that sends its live events (mapped and throttled) to `sink`.
pub fn live<'a>(
    mapper: &'a mut EventMapper,
    sink: &'a mut dyn FnMut(RunEvent),
) -> impl FnMut(MeasureEvent<'_>) + 'a {
    move |e| {
        if let Some(ev) = mapper.map(&e) {
            sink(ev);
        }
    }
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
