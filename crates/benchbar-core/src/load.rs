//! Concurrency sweeps for servers (`--concurrency 1,2,4,8,16`): how a server holds up as more
//! requests are in flight at once.
//!
//! A level N is a cell whose every trial is a closed loop: `requests` requests (default
//! [`default_requests`]: 4 × N, at least 8), at most N in flight, the next one sent as soon as
//! one finishes, each with a prompt of its own (a per-request nonce or seed, so that no
//! request rides another's cached prefix). The cell's `batch_size` is N.
//!
//! Per level the report gives (in [`LoadReport`], beside the cell's usual summary, whose TTFT,
//! ITL and E2E statistics pool every request of every successful trial and carry p95 only from
//! 20 samples and p99 only from 100, as [`crate::stats`] rules): the output tok/s and
//! requests/s over the trials' wall time, the most requests seen in flight at once, and, under
//! a stated SLO (`--slo-ttft-ms`, `--slo-itl-ms`), the requests that met all of it and the
//! goodput: those requests (and their generated tokens) per second of wall time. A request
//! meets the TTFT SLO when its time to first token is at most the bound, and the ITL SLO when
//! its mean inter-token latency ((last − first token) / (n − 1), vLLM's TPOT) is; a request
//! without the measurement (one token: no ITL) does not meet it.

use serde::{Deserialize, Serialize};

use crate::metrics::request_metrics;
use crate::report::{CellRaw, CellReport};
use crate::sample::RequestSample;
use crate::{Error, Result};

/// Highest concurrency level.
pub const MAX_CONCURRENCY: u32 = 256;

/// Most requests per trial of a level.
pub const MAX_REQUESTS: u32 = 10_000;

/// Requests per trial of level `n` when `--requests` is not given: 4 × n, at least 8.
pub fn default_requests(n: u32) -> u32 {
    n.saturating_mul(4).max(8)
}

/// A service-level objective: per-request bounds; a request meets it when it meets every
/// bound given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Slo {
    /// Time to first token at most this, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ttft_ms: Option<f64>,
    /// Mean inter-token latency of the request at most this, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub itl_ms: Option<f64>,
}

impl Slo {
    /// True when no bound is given.
    pub fn is_empty(&self) -> bool {
        self.ttft_ms.is_none() && self.itl_ms.is_none()
    }

    /// Refuses a bound that is not a number above 0.
    pub fn validate(&self) -> Result<()> {
        for (flag, v) in [
            ("--slo-ttft-ms", self.ttft_ms),
            ("--slo-itl-ms", self.itl_ms),
        ] {
            if let Some(x) = v.filter(|x| !(x.is_finite() && *x > 0.0)) {
                return Err(Error::InvalidSpec(format!(
                    "{flag} must be a number of milliseconds above 0 (got {x})"
                )));
            }
        }
        Ok(())
    }

    /// Whether a request meets every bound.
    pub fn met(&self, r: &RequestSample) -> bool {
        let m = request_metrics(r);
        let ttft_ok = self
            .ttft_ms
            .is_none_or(|bound| m.ttft_ms.is_some_and(|t| t <= bound));
        let itl_ok = self.itl_ms.is_none_or(|bound| {
            let n = m.itl_ms.len();
            n > 0 && m.itl_ms.iter().sum::<f64>() / n as f64 <= bound
        });
        ttft_ok && itl_ok
    }

    /// The SLO in words (`TTFT ≤ 500 ms, ITL ≤ 50 ms`).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = self.ttft_ms {
            parts.push(format!("TTFT ≤ {t} ms"));
        }
        if let Some(i) = self.itl_ms {
            parts.push(format!("mean ITL ≤ {i} ms"));
        }
        parts.join(", ")
    }
}

/// What a run spec asks of a sweep: the levels, requests per trial, the SLO.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepSpec<'a> {
    /// `--concurrency`.
    pub levels: Option<&'a [u32]>,
    /// `--requests`.
    pub requests: Option<u32>,
    /// `--slo-ttft-ms` / `--slo-itl-ms`.
    pub slo: Option<Slo>,
    /// `-b` was given too.
    pub batch_sizes_given: bool,
}

impl SweepSpec<'_> {
    /// Refuses nonsense before anything runs: an SLO or `--requests` without levels, an empty
    /// list, a level of 0 or above [`MAX_CONCURRENCY`], a level listed twice, batch sizes
    /// beside levels, an SLO bound of 0 or less, fewer requests than a level.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidSpec(m));
        let Some(levels) = self.levels else {
            if self.slo.is_some_and(|s| !s.is_empty()) {
                return bad("an SLO (--slo-ttft-ms, --slo-itl-ms) needs concurrency levels (--concurrency 1,2,4)".into());
            }
            if self.requests.is_some() {
                return bad("--requests needs concurrency levels (--concurrency 1,2,4)".into());
            }
            return Ok(());
        };
        if levels.is_empty() {
            return bad("the concurrency list is empty".into());
        }
        if let Some(n) = levels.iter().find(|n| **n == 0 || **n > MAX_CONCURRENCY) {
            return bad(format!(
                "concurrency level {n} is out of range (1..={MAX_CONCURRENCY})"
            ));
        }
        if let Some((_, n)) = levels
            .iter()
            .enumerate()
            .find(|(i, n)| levels[..*i].contains(n))
        {
            return bad(format!("concurrency level {n} is listed twice"));
        }
        if self.batch_sizes_given {
            return bad(
                "give either batch sizes (-b) or concurrency levels (--concurrency), not both"
                    .into(),
            );
        }
        if let Some(slo) = &self.slo {
            slo.validate()?;
        }
        if let Some(r) = self.requests {
            let top = levels.iter().copied().max().unwrap_or(1);
            if r < top || r > MAX_REQUESTS {
                return bad(format!(
                    "--requests {r} is out of range: at least the highest concurrency level ({top}), at most {MAX_REQUESTS}"
                ));
            }
        }
        Ok(())
    }
}

/// A cell's concurrency level, as planned.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct LoadPlan {
    /// Requests in flight at most (the level).
    pub concurrency: u32,
    /// Requests per trial.
    pub requests: u32,
    /// The SLO goodput is judged against, when one was stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub slo: Option<Slo>,
}

/// A concurrency level as the report states it (derived from the stored plan and trials).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct LoadReport {
    /// Requests in flight at most (the level).
    pub concurrency: u32,
    /// Requests per trial.
    pub requests_per_trial: u32,
    /// Requests of the successful trials.
    pub completed_requests: u32,
    /// Wall time of the successful trials, s.
    pub wall_s: f64,
    /// Completed requests per second of wall time.
    pub request_rate_rps: Option<f64>,
    /// Generated tokens of the successful trials per second of wall time.
    pub output_tps: Option<f64>,
    /// The most requests seen in flight at once (sent, last token not yet received).
    pub max_in_flight: u32,
    /// The SLO, when one was stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub slo: Option<Slo>,
    /// Completed requests that met every bound of the SLO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub slo_met_requests: Option<u32>,
    /// Requests meeting the SLO per second of wall time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub goodput_rps: Option<f64>,
    /// Generated tokens of the requests meeting the SLO per second of wall time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub goodput_tps: Option<f64>,
}

/// The most requests in flight at once: a request is in flight from its send time to its last
/// token.
pub fn max_in_flight(requests: &[RequestSample]) -> u32 {
    let mut events: Vec<(u64, i32)> = requests
        .iter()
        .filter_map(|r| {
            let end = r.trial_times_ns().last()?;
            Some([(r.start_offset_ns, 1), (end, -1)])
        })
        .flatten()
        .collect();
    // Ends before starts at the same instant: a request sent as another ends is not overlap.
    events.sort_by_key(|&(t, d)| (t, d));
    let (mut now, mut most) = (0i32, 0i32);
    for (_, d) in events {
        now += d;
        most = most.max(now);
    }
    most as u32
}

/// The load report of a concurrency cell (None for another cell).
pub fn load_report(raw: &CellRaw) -> Option<LoadReport> {
    let plan = raw.plan.load?;
    let ok: Vec<_> = raw.trials.iter().filter(|t| t.ok()).collect();
    let wall_s = ok.iter().map(|t| t.wall_ns as f64 / 1e9).sum::<f64>();
    let requests = || ok.iter().flat_map(|t| t.requests.iter());
    let completed = requests().count() as u32;
    let per_s = |x: f64| (wall_s > 0.0).then(|| x / wall_s);
    let tokens = |rs: &mut dyn Iterator<Item = &RequestSample>| {
        rs.map(|r| f64::from(r.generated_tokens())).sum::<f64>()
    };
    let slo = plan.slo.filter(|s| !s.is_empty());
    let met = slo.map(|s| requests().filter(|r| s.met(r)).collect::<Vec<_>>());
    Some(LoadReport {
        concurrency: plan.concurrency,
        requests_per_trial: plan.requests,
        completed_requests: completed,
        wall_s,
        request_rate_rps: per_s(f64::from(completed)).filter(|_| completed > 0),
        output_tps: per_s(tokens(&mut requests())).filter(|_| completed > 0),
        max_in_flight: ok
            .iter()
            .map(|t| max_in_flight(&t.requests))
            .max()
            .unwrap_or(0),
        slo,
        slo_met_requests: met.as_ref().map(|m| m.len() as u32),
        goodput_rps: met
            .as_ref()
            .and_then(|m| per_s(m.len() as f64))
            .filter(|_| completed > 0),
        goodput_tps: met
            .as_ref()
            .and_then(|m| per_s(tokens(&mut m.iter().copied())))
            .filter(|_| completed > 0),
    })
}

/// The sweep's table (one row per concurrency cell, run order), None when the run has no
/// concurrency cell: latencies as `p50 / p95` (p95 `-` below 20 samples), output tok/s,
/// requests/s, and with an SLO the requests that met it and the goodput.
pub fn sweep_table(cells: &[CellReport]) -> Option<crate::document::Table> {
    use crate::fmt::{num, opt};
    let rows: Vec<Vec<String>> = cells
        .iter()
        .filter_map(|c| {
            let l = c.load.as_ref()?;
            let pct = |s: &Option<crate::stats::Stats>| match s {
                Some(s) => format!("{} / {}", opt(s.p50, num), opt(s.p95, num)),
                None => "-".into(),
            };
            let slo = match (l.slo_met_requests, l.goodput_rps) {
                (Some(met), g) => format!("{met}/{} · {} req/s", l.completed_requests, opt(g, num)),
                (None, _) => "-".into(),
            };
            Some(vec![
                c.test.clone(),
                l.concurrency.to_string(),
                l.completed_requests.to_string(),
                l.max_in_flight.to_string(),
                pct(&c.summary.ttft_ms),
                pct(&c.summary.itl_ms),
                pct(&c.summary.e2e_ms),
                opt(l.output_tps, num),
                opt(l.request_rate_rps, num),
                slo,
            ])
        })
        .collect();
    (!rows.is_empty()).then(|| crate::document::Table {
        headers: [
            "Test",
            "Concurrency",
            "Requests",
            "Max in flight",
            "TTFT ms p50 / p95",
            "ITL ms p50 / p95",
            "E2E ms p50 / p95",
            "Output tok/s",
            "Req/s",
            "SLO met · goodput",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    })
}

/// One concurrency level of a run in a line: what the app's history shows per level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct LevelLine {
    /// Test name.
    pub test: String,
    /// The level.
    pub concurrency: u32,
    /// Output tok/s over the wall time.
    pub output_tps: Option<f64>,
    /// Median time to first token, ms.
    pub ttft_p50_ms: Option<f64>,
    /// Median end-to-end latency, ms.
    pub e2e_p50_ms: Option<f64>,
    /// Requests meeting the SLO per second, when one was stated.
    pub goodput_rps: Option<f64>,
}

/// The levels of a run's concurrency cells, in run order (empty for a run without).
pub fn level_lines(cells: &[CellReport]) -> Vec<LevelLine> {
    let p50 = |s: &Option<crate::stats::Stats>| s.as_ref().and_then(|s| s.p50);
    cells
        .iter()
        .filter_map(|c| {
            let l = c.load.as_ref()?;
            Some(LevelLine {
                test: c.test.clone(),
                concurrency: l.concurrency,
                output_tps: l.output_tps,
                ttft_p50_ms: p50(&c.summary.ttft_ms),
                e2e_p50_ms: p50(&c.summary.e2e_ms),
                goodput_rps: l.goodput_rps,
            })
        })
        .collect()
}

/// Notes on a run's sweep for every document: how a level is measured and the SLO.
pub fn sweep_notes(cells: &[CellReport]) -> Vec<String> {
    let Some(first) = cells.iter().find_map(|c| c.load.as_ref()) else {
        return Vec::new();
    };
    let mut notes = vec![
        "concurrency sweep: each trial of a level keeps that many requests in flight (the next sent as one finishes), every request with a prompt of its own; latencies pool every request (p95 from 20 samples, p99 from 100); output tok/s and req/s over the trials' wall time".to_string(),
    ];
    if let Some(slo) = &first.slo {
        notes.push(format!(
            "goodput: requests meeting the SLO ({}) per second of wall time",
            slo.describe()
        ));
    }
    notes
}

#[cfg(test)]
mod tests;
