//! Scheduled monitoring in the app: the service's [`Monitor`] (the schedule of
//! `benchbar monitor`) driven from the settings, each sample run through the same path as a run
//! you start (tray progress, regression notification once, history events) while holding the
//! same run lock, so a sample never overlaps another run: a sample due while you run a
//! benchmark is skipped to the next slot, and your run is refused while a sample runs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use benchbar_core::report::RunStatus;
use benchbar_core::sync::lock_unpoisoned;
use benchbar_service::monitor::sample::{sample_request, take_sample};
use benchbar_service::monitor::{Clock, Decision, Monitor, PowerConditions, SkipReason};
use benchbar_service::run::{RunGuard, RunLock};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};

use crate::error::CmdResult;
use crate::events::EventMapper;
use crate::runner::{run_ticketed, Job};
use crate::runs::{live, with_run_context, JobOutcome};
use crate::settings::{MonitorSettings, Settings};
use crate::state::AppState;

/// How often the schedule looks at the settings and the clock while idle.
pub const POLL: Duration = Duration::from_secs(1);

/// The schedule as the settings say it should be.
#[derive(Debug, Default)]
pub struct Schedule {
    current: Option<(MonitorSettings, Monitor)>,
}

/// What the schedule says to do now.
#[derive(Debug)]
pub enum Step {
    /// Monitoring is off (or its settings are invalid).
    Off,
    /// The next sample is due at this time.
    Wait(DateTime<Utc>),
    /// A due sample was skipped.
    Skipped(SkipReason),
    /// Take a sample now, holding the run lock.
    Run(RunGuard),
}

impl Schedule {
    /// Decides at `now` for `settings`. Turning monitoring on or changing its settings starts
    /// a new schedule whose first sample is one interval later (not at once: the app may have
    /// just started with the machine).
    pub fn step(
        &mut self,
        settings: &MonitorSettings,
        now: DateTime<Utc>,
        lock: &RunLock,
        power: impl FnOnce() -> PowerConditions,
    ) -> Step {
        let config = match settings.config() {
            Ok(c) if settings.enabled => c,
            _ => {
                self.current = None;
                return Step::Off;
            }
        };
        let (_, monitor) = match &mut self.current {
            Some(cur) if cur.0 == *settings => cur,
            current => current.insert((settings.clone(), {
                let mut m = Monitor::new(config, now);
                m.finished(now);
                m
            })),
        };
        match monitor.tick(now, lock, power) {
            Decision::Wait(_) => Step::Wait(monitor.next_due()),
            Decision::Skip(r) => Step::Skipped(r),
            Decision::Run(g) => Step::Run(g),
        }
    }

    /// Tells the schedule the sample ended at `now`.
    pub fn finished(&mut self, now: DateTime<Utc>) {
        if let Some((_, m)) = self.current.as_mut() {
            m.finished(now);
        }
    }
}

/// What Settings shows about the schedule (`monitor_status`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct MonitorStatus {
    /// Whether the schedule runs.
    pub enabled: bool,
    /// When the next sample is due (RFC 3339).
    pub next_due: Option<String>,
    /// The last thing the schedule did, in words (a sample, a skip and why).
    pub last: Option<String>,
    /// When it did it (RFC 3339).
    pub last_at: Option<String>,
}

/// The schedule's status, shared with the `monitor_status` command.
pub type SharedStatus = Arc<Mutex<MonitorStatus>>;

fn set_status(status: &SharedStatus, f: impl FnOnce(&mut MonitorStatus)) {
    f(&mut lock_unpoisoned(status));
}

/// One monitoring sample of the default model, as a run-slot job.
fn sample_job(settings: Settings, clock: Arc<dyn Clock>) -> Job {
    Box::new(
        move |state: &AppState, ticket, send| -> CmdResult<JobOutcome> {
            // The sample needs a variance: fewer than 2 reps in Settings means the quick default.
            let reps = settings.reps.filter(|r| *r >= 2);
            let req = sample_request(
                &settings.default_model,
                settings.engine_name(),
                reps,
                settings.sample_power,
            )?;
            let retention = settings.monitor.config()?.retention;
            let out = with_run_context(&req, &settings, state, ticket, &mut |ctx| {
                let mut mapper = EventMapper::default();
                // Live events as for any run: the tray's progress, a watching dashboard.
                let mut observer = live(&mut mapper, send);
                let sample = take_sample(&req, ctx, retention, clock.now(), &mut observer)?;
                Ok(sample)
            })?;
            Ok(JobOutcome {
                run_id: out.report.run_id,
                status: out.status,
                regressions: out.report.regressions.len(),
                announcement: out.announcement,
            })
        },
    )
}

/// The status line of a finished sample: taken (with its regressions), or how it ended.
fn sample_line(outcome: &CmdResult<JobOutcome>) -> String {
    match outcome {
        Ok(o) if o.status == RunStatus::Completed => match o.regressions {
            0 => "sample taken".into(),
            1 => "sample taken (1 regression)".into(),
            n => format!("sample taken ({n} regressions)"),
        },
        Ok(o) => format!("sample {}", o.status.as_str()),
        Err(e) => format!("sample failed: {}", e.message),
    }
}

/// Starts the schedule's thread: it follows the settings (off by default) on `clock`.
pub fn spawn<R: Runtime>(app: &AppHandle<R>, clock: Arc<dyn Clock>, status: SharedStatus) {
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("benchbar-monitor".into())
        .spawn(move || {
            let mut schedule = Schedule::default();
            loop {
                let state = app.state::<AppState>();
                let settings = state.settings();
                let now = clock.now();
                let slot = state.slot.clone();
                match schedule.step(&settings.monitor, now, slot.lock(), PowerConditions::read) {
                    Step::Off => {
                        set_status(&status, |s| {
                            s.enabled = false;
                            s.next_due = None;
                        });
                        clock.sleep(POLL);
                    }
                    Step::Wait(due) => {
                        set_status(&status, |s| {
                            s.enabled = true;
                            s.next_due = Some(due.to_rfc3339());
                        });
                        let left = (due - now).to_std().unwrap_or_default();
                        clock.sleep(left.min(POLL));
                    }
                    Step::Skipped(reason) => set_status(&status, |s| {
                        s.last = Some(format!("sample skipped ({reason})"));
                        s.last_at = Some(now.to_rfc3339());
                    }),
                    Step::Run(guard) => {
                        let ticket = slot.ticket(guard);
                        let outcome =
                            run_ticketed(&app, ticket, None, sample_job(settings, clock.clone()));
                        schedule.finished(clock.now());
                        set_status(&status, |s| {
                            s.last = Some(sample_line(&outcome));
                            s.last_at = Some(now.to_rfc3339());
                        });
                    }
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("benchbar-app: cannot start the monitoring schedule: {e}");
    }
}

#[cfg(test)]
mod tests {
    use benchbar_core::report::RunOrigin;
    use benchbar_service::monitor::ManualClock;

    use super::*;
    use crate::error::CmdError;

    #[test]
    fn the_status_line_says_how_a_sample_ended() {
        let done = |status, regressions| {
            Ok(JobOutcome {
                run_id: Some(1),
                status,
                regressions,
                announcement: None,
            })
        };
        assert_eq!(sample_line(&done(RunStatus::Completed, 0)), "sample taken");
        assert_eq!(
            sample_line(&done(RunStatus::Completed, 2)),
            "sample taken (2 regressions)"
        );
        assert_eq!(sample_line(&done(RunStatus::Failed, 0)), "sample failed");
        assert_eq!(
            sample_line(&done(RunStatus::Cancelled, 0)),
            "sample cancelled"
        );
        assert_eq!(
            sample_line(&Err(CmdError::new("no model at /x"))),
            "sample failed: no model at /x"
        );
    }

    fn on(interval_min: u32) -> MonitorSettings {
        MonitorSettings {
            enabled: true,
            interval_min,
            ..MonitorSettings::default()
        }
    }

    fn mains() -> PowerConditions {
        PowerConditions {
            on_battery: Some(false),
            low_power_mode: Some(false),
        }
    }

    #[test]
    fn off_by_default_first_sample_one_interval_after_turning_it_on() {
        let clock = ManualClock::new("2026-11-26T12:00:00Z".parse().unwrap());
        let lock = RunLock::new();
        let mut s = Schedule::default();
        assert!(matches!(
            s.step(&MonitorSettings::default(), clock.now(), &lock, mains),
            Step::Off
        ));
        let Step::Wait(due) = s.step(&on(30), clock.now(), &lock, mains) else {
            panic!("waits after turning on")
        };
        assert_eq!(due.to_rfc3339(), "2026-11-26T12:30:00+00:00");
        clock.advance(Duration::from_secs(29 * 60));
        assert!(matches!(
            s.step(&on(30), clock.now(), &lock, mains),
            Step::Wait(_)
        ));
        clock.advance(Duration::from_secs(60));
        let Step::Run(guard) = s.step(&on(30), clock.now(), &lock, mains) else {
            panic!("due at 12:30")
        };
        assert_eq!(lock.holder(), Some(RunOrigin::Monitor));
        drop(guard);
        s.finished(clock.now());
        let Step::Wait(due) = s.step(&on(30), clock.now(), &lock, mains) else {
            panic!("next slot")
        };
        assert_eq!(due.to_rfc3339(), "2026-11-26T13:00:00+00:00");
        // A new interval restarts the schedule from now.
        let Step::Wait(due) = s.step(&on(10), clock.now(), &lock, mains) else {
            panic!("restarted")
        };
        assert_eq!(due.to_rfc3339(), "2026-11-26T12:40:00+00:00");
        // Turning it off forgets the schedule.
        assert!(matches!(
            s.step(&MonitorSettings::default(), clock.now(), &lock, mains),
            Step::Off
        ));
    }

    #[test]
    fn a_due_sample_skips_while_you_run_and_on_battery() {
        let clock = ManualClock::new("2026-11-26T12:00:00Z".parse().unwrap());
        let lock = RunLock::new();
        let mut s = Schedule::default();
        s.step(&on(1), clock.now(), &lock, mains);
        clock.advance(Duration::from_secs(60));
        let yours = lock.try_acquire(RunOrigin::App).unwrap();
        assert!(matches!(
            s.step(&on(1), clock.now(), &lock, mains),
            Step::Skipped(SkipReason::Busy(RunOrigin::App))
        ));
        drop(yours);
        // Skipped to the next slot, not retried at once.
        assert!(matches!(
            s.step(&on(1), clock.now(), &lock, mains),
            Step::Wait(_)
        ));
        clock.advance(Duration::from_secs(60));
        let battery = || PowerConditions {
            on_battery: Some(true),
            low_power_mode: Some(false),
        };
        assert!(matches!(
            s.step(&on(1), clock.now(), &lock, battery),
            Step::Skipped(SkipReason::OnBattery)
        ));
        assert_eq!(lock.holder(), None);
        // Allowed on battery when the setting says so.
        clock.advance(Duration::from_secs(60));
        let anywhere = MonitorSettings {
            skip_on_battery: false,
            ..on(1)
        };
        s.step(&anywhere, clock.now(), &lock, battery);
        clock.advance(Duration::from_secs(60));
        assert!(matches!(
            s.step(&anywhere, clock.now(), &lock, battery),
            Step::Run(_)
        ));
    }

    #[test]
    fn invalid_settings_are_off() {
        let lock = RunLock::new();
        let mut s = Schedule::default();
        let bad = MonitorSettings {
            interval_min: 0,
            ..on(1)
        };
        assert!(matches!(s.step(&bad, Utc::now(), &lock, mains), Step::Off));
    }
}
