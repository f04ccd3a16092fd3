//! Detecting a steady decline of throughput across repetitions (possible thermal
//! throttling).

use serde::{Deserialize, Serialize};

/// When a decline counts as possible throttling.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThrottleCriteria {
    /// Fewer repetitions than this are never flagged.
    pub min_reps: usize,
    /// The least-squares line must fall by at least this percentage from the first to
    /// the last repetition (of its value at the first).
    pub min_decline_pct: f64,
    /// At least this fraction of consecutive steps must go down ("monotone-ish").
    pub min_down_fraction: f64,
}

impl Default for ThrottleCriteria {
    /// 4 reps, a fitted decline of at least 5 %, at least 60 % of steps going down.
    fn default() -> ThrottleCriteria {
        ThrottleCriteria {
            min_reps: 4,
            min_decline_pct: 5.0,
            min_down_fraction: 0.6,
        }
    }
}

/// The result of [`detect_throttling`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThrottleVerdict {
    /// True when the series looks throttled.
    pub suspected: bool,
    /// Least-squares slope, tok/s per repetition.
    pub slope_tok_s_per_rep: f64,
    /// Fitted change from the first to the last repetition, percent of the fitted first
    /// value (negative = decline).
    pub fitted_change_pct: f64,
    /// Fraction of consecutive steps that went down.
    pub down_fraction: f64,
    /// Repetitions used (non-finite or non-positive values are skipped).
    pub reps: usize,
}

/// Flags a steady decline of tok/s across repetitions (in run order).
///
/// Suspected when, over the finite positive values: there are at least
/// `min_reps`; the least-squares line falls by at least `min_decline_pct` percent of
/// its first value between the first and the last repetition; and at least
/// `min_down_fraction` of consecutive steps go down. Noise around a flat line fails the
/// slope test; a single drop fails the steadiness test.
pub fn detect_throttling(tok_s: &[f64], criteria: &ThrottleCriteria) -> ThrottleVerdict {
    let ys: Vec<f64> = tok_s
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let n = ys.len();
    let empty = ThrottleVerdict {
        suspected: false,
        slope_tok_s_per_rep: 0.0,
        fitted_change_pct: 0.0,
        down_fraction: 0.0,
        reps: n,
    };
    if n < 2 {
        return empty;
    }
    let nf = n as f64;
    let mean_x = (nf - 1.0) / 2.0;
    let mean_y = ys.iter().sum::<f64>() / nf;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, y) in ys.iter().enumerate() {
        let dx = i as f64 - mean_x;
        sxy += dx * (y - mean_y);
        sxx += dx * dx;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let first_fit = mean_y - slope * mean_x;
    let last_fit = mean_y + slope * mean_x;
    let change_pct = if first_fit > 0.0 {
        (last_fit - first_fit) / first_fit * 100.0
    } else {
        0.0
    };
    let downs = ys.windows(2).filter(|w| w[1] < w[0]).count();
    let down_fraction = downs as f64 / (nf - 1.0);
    ThrottleVerdict {
        suspected: n >= criteria.min_reps.max(2)
            && change_pct <= -criteria.min_decline_pct
            && down_fraction >= criteria.min_down_fraction,
        slope_tok_s_per_rep: slope,
        fitted_change_pct: change_pct,
        down_fraction,
        reps: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(xs: &[f64]) -> ThrottleVerdict {
        detect_throttling(xs, &ThrottleCriteria::default())
    }

    #[test]
    fn steady_decline_is_flagged() {
        // 100, 97, 94, 91, 88: slope -3, fitted change -12 %, all steps down.
        let v = verdict(&[100.0, 97.0, 94.0, 91.0, 88.0]);
        assert!(v.suspected);
        assert!((v.slope_tok_s_per_rep + 3.0).abs() < 1e-12);
        assert!((v.fitted_change_pct + 12.0).abs() < 1e-9);
        assert_eq!(v.down_fraction, 1.0);
    }

    #[test]
    fn noisy_decline_is_flagged() {
        // One step up out of five; fitted decline well over 5 %.
        let v = verdict(&[50.0, 48.0, 48.5, 45.0, 44.0, 42.0]);
        assert!(v.suspected, "{v:?}");
        assert!((v.down_fraction - 0.8).abs() < 1e-12);
    }

    #[test]
    fn flat_noise_is_not_flagged() {
        let v = verdict(&[100.0, 99.0, 101.0, 98.5, 100.5, 99.5]);
        assert!(!v.suspected, "{v:?}");
        assert!(v.fitted_change_pct.abs() < 5.0);
    }

    #[test]
    fn small_decline_is_not_flagged() {
        // Monotone but only -2 % overall.
        let v = verdict(&[100.0, 99.5, 99.0, 98.5, 98.0]);
        assert!(!v.suspected);
        assert_eq!(v.down_fraction, 1.0);
    }

    #[test]
    fn single_drop_is_not_steady() {
        // Flat, then one big drop: fitted decline > 5 % but only 1 of 5 steps down.
        let v = verdict(&[100.0, 100.0, 100.0, 100.0, 100.0, 80.0]);
        assert!(v.fitted_change_pct < -5.0);
        assert!(!v.suspected, "{v:?}");
    }

    #[test]
    fn too_few_or_bad_values() {
        assert!(!verdict(&[100.0, 90.0, 80.0]).suspected);
        assert!(!verdict(&[]).suspected);
        assert!(!verdict(&[5.0]).suspected);
        let v = verdict(&[100.0, f64::NAN, 90.0, 0.0, 80.0, -1.0, 70.0, 60.0]);
        assert_eq!(v.reps, 5);
        assert!(v.suspected);
        assert!(!verdict(&[100.0, 110.0, 120.0, 130.0]).suspected);
    }
}
