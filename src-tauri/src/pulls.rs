//! Model downloads from the app (issue #10): `benchbar models pull` on a worker thread, one at a
//! time, with progress (bytes, rate, ETA) for the window that started it and for every window
//! watching (`watch_pulls`), and cancel. The hub crate does the transfer, resume and
//! verification; an interrupted or cancelled pull keeps its part for the next try and never
//! shows up as a usable model.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use benchbar_core::sync::lock_unpoisoned;
use benchbar_hub::{HubConfig, PullOptions, PullPhase, PullProgress};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime};

use crate::error::{CmdError, CmdResult};
use crate::state::AppState;

/// What the download progress bar hears.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PullEvent {
    /// Progress (at most every 100 ms).
    Progress {
        /// The repo being pulled.
        repo_id: String,
        /// Resolving, verifying, downloading or done.
        phase: PullPhase,
        /// The file in the repo being handled.
        file: String,
        /// Bytes in place (cached, resumed and downloaded).
        done_bytes: u64,
        /// Bytes of all files (0 until known).
        total_bytes: u64,
        /// Transfer rate over the last seconds, bytes/s (None until measurable).
        rate_bps: Option<f64>,
        /// Seconds left at that rate.
        eta_s: Option<f64>,
    },
    /// The pull ended.
    Finished {
        /// The repo.
        repo_id: String,
        /// `done`, `cancelled` or `failed`.
        status: String,
        /// The snapshot folder when done.
        path: Option<String>,
        /// One line when it failed.
        error: Option<String>,
    },
}

/// Transfer rate over a sliding window (pure; fed with times since the pull started).
#[derive(Debug)]
pub struct RateMeter {
    span: Duration,
    points: VecDeque<(Duration, u64)>,
}

impl RateMeter {
    /// A rate over the last `span`.
    pub fn new(span: Duration) -> RateMeter {
        RateMeter {
            span,
            points: VecDeque::new(),
        }
    }

    /// Records `transferred` bytes at `at`; returns bytes/s over the window once it covers at
    /// least half a second.
    pub fn update(&mut self, at: Duration, transferred: u64) -> Option<f64> {
        self.points.push_back((at, transferred));
        while self
            .points
            .front()
            .is_some_and(|(t, _)| at.saturating_sub(*t) > self.span)
        {
            self.points.pop_front();
        }
        let (t0, b0) = *self.points.front()?;
        let dt = at.saturating_sub(t0).as_secs_f64();
        (dt >= 0.5).then(|| transferred.saturating_sub(b0) as f64 / dt)
    }
}

/// Seconds to move `remaining_bytes` at `rate_bps` (None when the rate is unknown or zero).
pub fn eta_s(remaining_bytes: u64, rate_bps: Option<f64>) -> Option<f64> {
    rate_bps
        .filter(|r| *r > 0.0)
        .map(|r| remaining_bytes as f64 / r)
}

/// The one download slot.
#[derive(Debug, Default)]
pub struct PullSlot {
    current: Mutex<Option<(String, Arc<AtomicBool>)>>,
}

impl PullSlot {
    fn begin(&self, repo_id: &str) -> CmdResult<Arc<AtomicBool>> {
        let mut cur = lock_unpoisoned(&self.current);
        if let Some((repo, _)) = &*cur {
            return Err(CmdError::new(format!(
                "{repo} is downloading; cancel it or wait for it to finish"
            )));
        }
        let cancel = Arc::new(AtomicBool::new(false));
        *cur = Some((repo_id.to_string(), cancel.clone()));
        Ok(cancel)
    }

    fn end(&self) {
        *lock_unpoisoned(&self.current) = None;
    }

    /// Asks the download to stop (its part is kept); false when none runs.
    pub fn cancel(&self) -> bool {
        match &*lock_unpoisoned(&self.current) {
            Some((_, flag)) => {
                flag.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// The repo downloading now.
    pub fn current(&self) -> Option<String> {
        lock_unpoisoned(&self.current)
            .as_ref()
            .map(|(r, _)| r.clone())
    }
}

/// Windows subscribed to every download's events.
#[derive(Default)]
pub struct PullWatchers(Mutex<Vec<Channel<PullEvent>>>);

impl PullWatchers {
    /// Adds a subscriber.
    pub fn add(&self, ch: Channel<PullEvent>) {
        lock_unpoisoned(&self.0).push(ch);
    }

    fn broadcast(&self, e: &PullEvent) {
        lock_unpoisoned(&self.0).retain(|ch| ch.send(e.clone()).is_ok());
    }
}

/// The hub settings: the environment's (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN,
/// HF_HUB_OFFLINE), or the test override.
pub fn hub_config(state: &AppState) -> CmdResult<HubConfig> {
    if let Some(c) = lock_unpoisoned(&state.hub_override).clone() {
        return Ok(c);
    }
    HubConfig::from_env().map_err(|e| CmdError::new(e.to_string()))
}

fn progress_event(
    repo_id: &str,
    p: &PullProgress,
    meter: &mut RateMeter,
    at: Duration,
) -> PullEvent {
    let rate_bps = meter.update(at, p.done_bytes.saturating_sub(p.cached_bytes));
    PullEvent::Progress {
        repo_id: repo_id.to_string(),
        phase: p.phase,
        file: p.file.clone(),
        done_bytes: p.done_bytes,
        total_bytes: p.total_bytes,
        rate_bps,
        eta_s: eta_s(p.total_bytes.saturating_sub(p.done_bytes), rate_bps),
    }
}

/// Starts pulling `repo_id` in the background; `sink` (the caller's channel) and the watchers
/// get its events; `on_change` runs when it ends (the tray rebuilds its model menu). Refused
/// while another download runs.
pub fn spawn<R: Runtime>(
    app: &AppHandle<R>,
    repo_id: String,
    sink: Option<Channel<PullEvent>>,
    on_change: fn(&AppHandle<R>),
) -> CmdResult<()> {
    let state = app.state::<AppState>();
    let options = PullOptions::new(hub_config(&state)?);
    let cancel = state.pulls.begin(&repo_id)?;
    let handle = app.clone();
    let app = app.clone();
    let started = std::thread::Builder::new()
        .name("benchbar-pull".into())
        .spawn(move || {
            let send = |e: PullEvent| {
                if let Some(ch) = &sink {
                    let _ = ch.send(e.clone());
                }
                if let Some(w) = app.try_state::<PullWatchers>() {
                    w.broadcast(&e);
                }
            };
            let t0 = Instant::now();
            let mut meter = RateMeter::new(Duration::from_secs(3));
            let result = benchbar_hub::pull(
                &repo_id,
                None,
                &options,
                &mut |p| send(progress_event(&repo_id, p, &mut meter, t0.elapsed())),
                &cancel,
            );
            app.state::<AppState>().pulls.end();
            let (status, path, error) = match result {
                Ok(p) => ("done", Some(p.display().to_string()), None),
                Err(benchbar_hub::Error::Cancelled) => ("cancelled", None, None),
                Err(e) => ("failed", None, Some(e.to_string())),
            };
            on_change(&app);
            send(PullEvent::Finished {
                repo_id,
                status: status.into(),
                path,
                error,
            });
        });
    if let Err(e) = started {
        handle.state::<AppState>().pulls.end();
        return Err(CmdError::new(format!("cannot start the download: {e}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_over_the_window_and_eta() {
        let mut m = RateMeter::new(Duration::from_secs(3));
        let s = Duration::from_secs_f64;
        assert_eq!(m.update(s(0.0), 0), None);
        assert_eq!(m.update(s(0.25), 250_000), None, "under half a second");
        assert_eq!(m.update(s(1.0), 1_000_000), Some(1_000_000.0));
        // 4 s later the window holds only the last 3 s: 2 MB/s there.
        m.update(s(2.0), 3_000_000);
        m.update(s(3.0), 5_000_000);
        let r = m.update(s(4.0), 7_000_000).unwrap();
        assert!((r - 2_000_000.0).abs() < 1.0, "{r}");
        assert_eq!(eta_s(4_000_000, Some(r)).map(|e| e.round()), Some(2.0));
        assert_eq!(eta_s(1, None), None);
        assert_eq!(eta_s(1, Some(0.0)), None);
    }

    #[test]
    fn one_download_at_a_time_and_cancel() {
        let slot = PullSlot::default();
        assert!(!slot.cancel());
        let flag = slot.begin("a/b").unwrap();
        assert_eq!(slot.current().as_deref(), Some("a/b"));
        let e = slot.begin("c/d").unwrap_err();
        assert_eq!(
            e.message,
            "a/b is downloading; cancel it or wait for it to finish"
        );
        assert!(slot.cancel());
        assert!(flag.load(Ordering::Relaxed));
        slot.end();
        assert!(slot.begin("c/d").is_ok());
    }
}
