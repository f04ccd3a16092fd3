//! Starts a run on a worker thread and tells everyone about it: the caller's channel, the
//! windows watching runs, the tray, and a notification for new regressions.

use std::sync::Mutex;

use benchbar_core::report::RunOrigin;
use benchbar_core::sync::lock_unpoisoned;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime};

use crate::error::{CmdError, CmdResult};
use crate::events::RunEvent;
use crate::runs::{execute, finished_event, run_request, JobOutcome, RunTicket};
use crate::state::AppState;
use crate::{status, tray};

/// Where a run's events go besides the watchers.
pub type EventSink = Box<dyn Fn(RunEvent) + Send>;

/// Windows subscribed to every run's events (`watch_runs`).
#[derive(Default)]
pub struct Watchers(Mutex<Vec<Channel<RunEvent>>>);

impl Watchers {
    /// Adds a subscriber.
    pub fn add(&self, ch: Channel<RunEvent>) {
        lock_unpoisoned(&self.0).push(ch);
    }

    /// Sends to every subscriber, dropping those whose window is gone.
    pub fn broadcast(&self, e: &RunEvent) {
        lock_unpoisoned(&self.0).retain(|ch| ch.send(e.clone()).is_ok());
    }
}

/// A job run holding the run slot: gets the state, its ticket (cancel flag, run lock) and the
/// event sink.
pub type Job = Box<
    dyn FnOnce(&AppState, &RunTicket, &mut dyn FnMut(RunEvent)) -> CmdResult<JobOutcome> + Send,
>;

/// Starts `suite` on `model` in the background; returns the run's number in this app session.
/// Refused while another run is going.
pub fn spawn<R: Runtime>(
    app: &AppHandle<R>,
    suite: String,
    model: String,
    origin: RunOrigin,
    sink: Option<EventSink>,
) -> CmdResult<u64> {
    if model.trim().is_empty() {
        return Err(CmdError::new("no model selected"));
    }
    let settings = app.state::<AppState>().settings();
    let req = run_request(&suite, &model, &settings, origin)?;
    let ticket = app.state::<AppState>().slot.try_begin(origin)?;
    spawn_ticketed(
        app,
        ticket,
        sink,
        Box::new(move |state, ticket, send| {
            execute(&req, &settings, state, ticket, send).map(Into::into)
        }),
    )
}

/// Runs `job` (started by the user) on a worker thread holding the run slot; see
/// [`run_ticketed`]. Refused while another run is going.
pub fn spawn_job<R: Runtime>(
    app: &AppHandle<R>,
    sink: Option<EventSink>,
    job: Job,
) -> CmdResult<u64> {
    let ticket = app.state::<AppState>().slot.try_begin(RunOrigin::App)?;
    spawn_ticketed(app, ticket, sink, job)
}

fn spawn_ticketed<R: Runtime>(
    app: &AppHandle<R>,
    ticket: RunTicket,
    sink: Option<EventSink>,
    job: Job,
) -> CmdResult<u64> {
    let number = ticket.number;
    let app = app.clone();
    std::thread::Builder::new()
        .name("benchbar-run".into())
        .spawn(move || {
            // The outcome reaches the user through the `finished` event.
            let _ = run_ticketed(&app, ticket, sink, job);
        })
        .map_err(|e| CmdError::new(format!("cannot start the run thread: {e}")))?;
    Ok(number)
}

/// Runs `job` on this thread while `ticket` holds the run slot: the tray shows progress, new
/// regressions are announced, and `finished` (then `history_changed`) ends the stream. Returns
/// the job's outcome.
pub fn run_ticketed<R: Runtime>(
    app: &AppHandle<R>,
    ticket: RunTicket,
    sink: Option<EventSink>,
    job: Job,
) -> CmdResult<JobOutcome> {
    tray::set_running(app, Some("BenchBar: starting…"));
    let state = app.state::<AppState>();
    // A run's own channel gets its events; windows watching get the events of runs started
    // elsewhere (tray, schedule), and everyone gets `history_changed`.
    let send = |e: RunEvent| {
        let everyone = matches!(e, RunEvent::HistoryChanged);
        if let Some(s) = &sink {
            s(e.clone());
        }
        if sink.is_none() || everyone {
            if let Some(w) = app.try_state::<Watchers>() {
                w.broadcast(&e);
            }
        }
    };
    let outcome = job(&state, &ticket, &mut |e| {
        match &e {
            RunEvent::CellStarted {
                cell, total, test, ..
            } => tray::set_running(app, Some(&status::progress_title(*cell, *total, test))),
            RunEvent::ScenarioProgress {
                stage, done, total, ..
            } => tray::set_running(app, Some(&format!("BenchBar: {stage} {done}/{total}"))),
            RunEvent::Token { live_tps, .. } => tray::set_live_speed(app, *live_tps),
            _ => {}
        }
        send(e);
    });
    drop(ticket);
    // Cancelled before anything was measured (e.g. while the model loaded): a cancelled run
    // with nothing stored, as a cancel during the first cell ends.
    let outcome = match outcome {
        Err(e) if e.cancelled => Ok(JobOutcome {
            run_id: None,
            status: benchbar_core::report::RunStatus::Cancelled,
            regressions: 0,
            announcement: None,
        }),
        other => other,
    };
    if let Ok(Some(a)) = outcome.as_ref().map(|r| r.announcement.as_ref()) {
        state.notifier.notify(a);
        if let Some(base) = a.baseline_run_id {
            *lock_unpoisoned(&state.last_regression) = Some((base, a.run_id));
            tray::set_regression(app, &format!("Open regression: {}", a.body));
        }
    }
    tray::set_running(app, None);
    tray::refresh_status(app);
    send(finished_event(&outcome));
    if outcome.as_ref().is_ok_and(|r| r.run_id.is_some()) {
        send(RunEvent::HistoryChanged);
    }
    outcome
}
