//! Adaptive repetitions (`-r auto`): a cell is repeated until the 95% confidence interval of
//! its decode tok/s is narrow enough, or its time budget is spent, instead of a fixed count.
//!
//! The rule, applied after every measured trial: stop once at least [`AdaptiveReps::min_reps`]
//! trials succeeded and the CI half-width (Student's t, as the report computes it) is at most
//! `precision_pct` % of the mean; else stop when the cell's measured trials have run for
//! `max_time_ms` or `max_reps` trials are done. The report states the precision reached and
//! which of the three ended the cell ([`RepetitionsReport`]), derived from the stored trials
//! and the plan, so nothing new is stored.

use serde::{Deserialize, Serialize};

use crate::report::CellRaw;
use crate::stats::summarize;
use crate::{Error, Result};

/// The quick suite's default budget: 2% at most 20 s per cell.
pub const QUICK_DEFAULT: AdaptiveReps = AdaptiveReps {
    precision_pct: 2.0,
    max_time_ms: 20_000,
    min_reps: 5,
    max_reps: 100,
};

/// How an adaptive cell decides when to stop.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct AdaptiveReps {
    /// Target: 95% CI half-width of decode tok/s as a percentage of its mean (more than 0).
    pub precision_pct: f64,
    /// Time budget of the measured trials of one cell, ms (more than 0).
    pub max_time_ms: u64,
    /// Trials before the precision is judged (at least 2: a CI needs two samples).
    pub min_reps: u32,
    /// Trials at the most.
    pub max_reps: u32,
}

impl AdaptiveReps {
    /// `--precision` / `--max-time` over the defaults; refuses what cannot work.
    pub fn new(precision_pct: Option<f64>, max_time_ms: Option<u64>) -> Result<AdaptiveReps> {
        let a = AdaptiveReps {
            precision_pct: precision_pct.unwrap_or(QUICK_DEFAULT.precision_pct),
            max_time_ms: max_time_ms.unwrap_or(QUICK_DEFAULT.max_time_ms),
            ..QUICK_DEFAULT
        };
        a.validate()?;
        Ok(a)
    }

    /// Checks the bounds (one line naming the bad value).
    pub fn validate(&self) -> Result<()> {
        if !(self.precision_pct.is_finite() && self.precision_pct > 0.0) {
            return Err(Error::InvalidSpec(format!(
                "precision must be more than 0% (got {}%)",
                self.precision_pct
            )));
        }
        if self.max_time_ms == 0 {
            return Err(Error::InvalidSpec(
                "the time budget must be more than 0 s".into(),
            ));
        }
        if self.min_reps < 2 || self.min_reps > self.max_reps {
            return Err(Error::InvalidSpec(format!(
                "adaptive repetitions need 2 <= min ({}) <= max ({})",
                self.min_reps, self.max_reps
            )));
        }
        Ok(())
    }

    /// The relative 95% CI half-width (%) of `decode_tps`, None below two samples.
    pub fn achieved_pct(decode_tps: &[f64]) -> Option<f64> {
        let s = summarize(decode_tps)?;
        let [lo, hi] = s.ci95?;
        (s.mean > 0.0).then(|| (hi - lo) / 2.0 / s.mean * 100.0)
    }

    /// Why a cell with these successful trials' decode tok/s, after `trials` trials (failed
    /// ones included) and `elapsed_ms` of measuring, should stop now; None to go on.
    pub fn stop(&self, decode_tps: &[f64], trials: u32, elapsed_ms: u64) -> Option<StopReason> {
        let reached = decode_tps.len() >= self.min_reps as usize
            && Self::achieved_pct(decode_tps).is_some_and(|p| p <= self.precision_pct);
        if reached {
            Some(StopReason::Precision)
        } else if trials >= self.max_reps {
            Some(StopReason::MaxReps)
        } else if elapsed_ms >= self.max_time_ms {
            Some(StopReason::TimeBudget)
        } else {
            None
        }
    }
}

/// What ended an adaptive cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The target precision was reached.
    Precision,
    /// The time budget was spent first.
    TimeBudget,
    /// The most trials were done first.
    MaxReps,
}

impl StopReason {
    /// In words, for reports.
    pub fn describe(self) -> &'static str {
        match self {
            StopReason::Precision => "reached the target",
            StopReason::TimeBudget => "time budget spent first",
            StopReason::MaxReps => "most repetitions done first",
        }
    }
}

/// An adaptive cell's repetitions as the report states them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RepetitionsReport {
    /// The rule the cell ran under.
    pub rule: AdaptiveReps,
    /// The precision reached: relative 95% CI half-width of decode tok/s, %.
    pub achieved_pct: Option<f64>,
    /// Why it stopped (as the runner judged it; a cancelled run's last cell has none).
    pub stopped: Option<StopReason>,
}

/// The repetitions report of an adaptive cell (None for a fixed count).
pub fn repetitions_report(raw: &CellRaw) -> Option<RepetitionsReport> {
    let rule = raw.plan.adaptive?;
    let decode: Vec<f64> = raw
        .trials
        .iter()
        .filter(|t| t.ok())
        .filter_map(|t| crate::metrics::trial_metrics(t).decode_tps)
        .collect();
    // The elapsed time is not stored; a cell that stopped neither on precision nor on the
    // trial count stopped on time.
    let stopped = rule
        .stop(&decode, raw.trials.len() as u32, u64::MAX)
        .filter(|_| !raw.trials.is_empty());
    Some(RepetitionsReport {
        rule,
        achieved_pct: AdaptiveReps::achieved_pct(&decode),
        stopped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_on_precision_then_count_then_time() {
        let a = AdaptiveReps::new(Some(2.0), Some(10_000)).unwrap();
        let tight = [100.0, 100.5, 99.8, 100.2, 100.1];
        assert_eq!(a.stop(&tight, 5, 1_000), Some(StopReason::Precision));
        // Four are not judged yet (min 5).
        assert_eq!(a.stop(&tight[..4], 4, 1_000), None);
        let loose = [100.0, 140.0, 70.0, 120.0, 90.0];
        assert_eq!(a.stop(&loose, 5, 1_000), None);
        assert_eq!(a.stop(&loose, 5, 10_000), Some(StopReason::TimeBudget));
        assert_eq!(a.stop(&loose, 100, 1_000), Some(StopReason::MaxReps));
        let p = AdaptiveReps::achieved_pct(&tight).unwrap();
        assert!(p > 0.0 && p < 2.0, "{p}");
    }

    #[test]
    fn refuses_a_zero_precision_or_budget() {
        assert!(AdaptiveReps::new(Some(0.0), None)
            .unwrap_err()
            .to_string()
            .contains("precision"));
        assert!(AdaptiveReps::new(Some(-1.0), None).is_err());
        assert!(AdaptiveReps::new(None, Some(0))
            .unwrap_err()
            .to_string()
            .contains("time budget"));
    }
}
