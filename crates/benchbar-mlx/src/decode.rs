//! The decode loop's parts that are not the model: the stamping thread of
//! [`crate::DecodeOrder::Thread`] ([`Stamper`]) and the per-call trace
//! ([`crate::EngineOptions::trace`]).

use crate::ops::{self, Array, UnaryOp};
use crate::{Error, Result};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Instant;

/// Host time per decode step, for the trace: building the next step's graph (the model's ops)
/// and handing it to MLX (`async_eval`: MLX encodes every kernel of the step), in µs.
#[derive(Debug, Default)]
pub(crate) struct HostTimes {
    pub(crate) build_us: Vec<f64>,
    pub(crate) encode_us: Vec<f64>,
}

/// The median of `v` (0 when empty).
pub(crate) fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    }
}

/// Append one line per generate call to `path`: start and end as Unix seconds (wall clock,
/// comparable across processes), the generated token count, and the median host µs per decode
/// step spent building the graph and encoding it ([`HostTimes`]). Used by scripts/gpu_bench.py
/// to integrate the GPU's NVML energy counter over exactly the timed calls, and to tell a
/// host-bound step from a device-bound one. Write errors are ignored (a trace, not a result).
pub(crate) fn trace_call(
    path: &std::path::Path,
    start: std::time::SystemTime,
    out: &[Vec<u32>],
    host: &HostTimes,
) {
    let unix = |t: std::time::SystemTime| {
        t.duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
    };
    let end = std::time::SystemTime::now();
    let tokens: usize = out.iter().map(Vec::len).sum();
    let line = format!(
        "{:.6} {:.6} {tokens} {:.1} {:.1}\n",
        unix(start),
        unix(end),
        median(&host.build_us),
        median(&host.encode_us)
    );
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(line.as_bytes());
    }
}

/// Timestamps taken on a second thread. [`Stamper::watch`] hands over a *marker* of step i's
/// tokens — `stop_gradient(tokens)`, scheduled in the same `async_eval` as the tokens, so it is
/// signalled by the same event when the step is done, yet is a graph node of its own that the
/// decode thread never touches again. The thread waits on it (`Array::wait`: the event, no data,
/// no new op), records `Instant::now()` the moment it returns, and sends the marker back, so the
/// array is dropped on the decode thread. [`Stamper::stamp`] collects the instants in step order.
pub(crate) struct Stamper {
    tx: Option<mpsc::Sender<(usize, Array)>>,
    rx: mpsc::Receiver<(usize, Result<Instant>, Array)>,
    thread: Option<JoinHandle<()>>,
}

impl Stamper {
    /// Start the waiting thread.
    pub(crate) fn spawn() -> Result<Stamper> {
        let (tx, jobs) = mpsc::channel::<(usize, Array)>();
        let (stamps, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("benchbar-stamp".into())
            .spawn(move || {
                for (step, marker) in jobs {
                    let at = marker.wait().map(|()| Instant::now());
                    if stamps.send((step, at, marker)).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| Error::Mlx(format!("cannot start the timestamp thread: {e}")))?;
        Ok(Stamper {
            tx: Some(tx),
            rx,
            thread: Some(thread),
        })
    }

    /// A marker of `tokens` to schedule with them (see [`Stamper`]).
    pub(crate) fn marker(tokens: &Array) -> Result<Array> {
        ops::unary(UnaryOp::StopGradient, tokens)
    }

    /// Wait for `marker` (step `step`'s tokens, scheduled) on the stamping thread.
    pub(crate) fn watch(&self, step: usize, marker: Array) -> Result<()> {
        self.tx
            .as_ref()
            .and_then(|tx| tx.send((step, marker)).ok())
            .ok_or_else(|| Error::Mlx("the timestamp thread stopped".into()))
    }

    /// The instant step `step`'s tokens were done (blocks until then). Steps are collected in the
    /// order they were watched.
    pub(crate) fn stamp(&self, step: usize) -> Result<Instant> {
        let (got, at, _marker) = self
            .rx
            .recv()
            .map_err(|_| Error::Mlx("the timestamp thread stopped".into()))?;
        let at = at?;
        if got != step {
            return Err(Error::Mlx(format!(
                "timestamp for step {got} arrived when step {step} was expected"
            )));
        }
        Ok(at)
    }
}

impl Drop for Stamper {
    fn drop(&mut self) {
        // Closing the channel ends the thread once the steps still watched are done.
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
