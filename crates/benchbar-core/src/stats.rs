//! Summary statistics with honest guards, and Welch's t-test.
//!
//! Percentiles use the nearest-rank method (every reported percentile is an observed value)
//! and are only reported when the sample is large enough for them to mean something:
//! p95 needs at least [`MIN_SAMPLES_P95`] samples, p99 at least [`MIN_SAMPLES_P99`].
//! Otherwise they are absent — never extrapolated.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Samples needed before p95 is reported.
pub const MIN_SAMPLES_P95: usize = 20;
/// Samples needed before p99 is reported.
pub const MIN_SAMPLES_P99: usize = 100;

/// The stats object of the JSON report contract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Stats {
    /// Arithmetic mean.
    pub mean: f64,
    /// Median (average of the two middle values for even n).
    pub median: f64,
    /// Sample standard deviation (n − 1); absent for n < 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sd: Option<f64>,
    /// Coefficient of variation, sd / mean; absent for n < 2 or mean 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv: Option<f64>,
    /// 95% confidence interval of the mean (Student's t), `[low, high]`; absent for n < 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci95: Option<[f64; 2]>,
    /// Sample count.
    pub n: usize,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// 50th percentile (nearest rank).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50: Option<f64>,
    /// 95th percentile, only with n ≥ 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95: Option<f64>,
    /// 99th percentile, only with n ≥ 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99: Option<f64>,
}

/// Summarises samples; None for an empty slice. Non-finite values are ignored.
pub fn summarize(samples: &[f64]) -> Option<Stats> {
    let mut xs: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let median = if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    };
    let sd = sample_sd(&xs, mean);
    let ci95 = sd.and_then(|sd| {
        let half = t_critical(0.975, (n - 1) as f64)? * sd / (n as f64).sqrt();
        Some([mean - half, mean + half])
    });
    Some(Stats {
        mean,
        median,
        sd,
        cv: sd.filter(|_| mean != 0.0).map(|sd| sd / mean.abs()),
        ci95,
        n,
        min: xs[0],
        max: xs[n - 1],
        p50: percentile_sorted(&xs, 50.0),
        p95: (n >= MIN_SAMPLES_P95)
            .then(|| percentile_sorted(&xs, 95.0))
            .flatten(),
        p99: (n >= MIN_SAMPLES_P99)
            .then(|| percentile_sorted(&xs, 99.0))
            .flatten(),
    })
}

fn sample_sd(xs: &[f64], mean: f64) -> Option<f64> {
    let n = xs.len();
    (n >= 2).then(|| (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt())
}

/// Nearest-rank percentile of ascending-sorted samples: the value at rank ⌈p/100 · n⌉.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=100.0).contains(&p) {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank - 1).copied()
}

fn t_critical(q: f64, df: f64) -> Option<f64> {
    StudentsT::new(0.0, 1.0, df).ok().map(|t| t.inverse_cdf(q))
}

/// Result of a one-sided Welch test.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct WelchResult {
    /// Welch's t statistic for mean(b) − mean(a).
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// One-sided p-value for the alternative mean(b) > mean(a).
    pub p_greater: f64,
}

/// One-sided Welch's t-test of `mean(b) > mean(a)`. None when either side has fewer than two
/// samples. When both variances are zero the samples are constants: p is 0 when b's constant
/// is larger, 1 otherwise.
pub fn welch_greater(a: &[f64], b: &[f64]) -> Option<WelchResult> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (ma, va) = mean_var(a);
    let (mb, vb) = mean_var(b);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let se2 = va / na + vb / nb;
    if se2 == 0.0 {
        let p = if mb > ma { 0.0 } else { 1.0 };
        let t = if mb > ma { f64::INFINITY } else { 0.0 };
        return Some(WelchResult {
            t,
            df: na + nb - 2.0,
            p_greater: p,
        });
    }
    let t = (mb - ma) / se2.sqrt();
    let df = se2.powi(2) / ((va / na).powi(2) / (na - 1.0) + (vb / nb).powi(2) / (nb - 1.0));
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    Some(WelchResult {
        t,
        df,
        p_greater: 1.0 - dist.cdf(t),
    })
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (
        m,
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn known_sample() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample sd = sqrt(32/7) = 2.13809.
        let s = summarize(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.n, 8);
        assert_eq!(s.mean, 5.0);
        assert_eq!(s.median, 4.5);
        assert!(close(s.sd.unwrap(), 2.138_089_935, 1e-8));
        assert!(close(s.cv.unwrap(), 0.427_617_987, 1e-8));
        // t(0.975, 7) = 2.3646243; half width = 2.3646243 * 2.1380899 / sqrt(8) = 1.7874879
        let [lo, hi] = s.ci95.unwrap();
        assert!(close(lo, 5.0 - 1.787_487_9, 1e-6), "{lo}");
        assert!(close(hi, 5.0 + 1.787_487_9, 1e-6), "{hi}");
        assert_eq!(s.p50, Some(4.0)); // rank ceil(4) = 4th value
        assert_eq!((s.min, s.max), (2.0, 9.0));
    }

    #[test]
    fn percentiles_are_guarded_by_sample_count() {
        let xs: Vec<f64> = (1..=19).map(f64::from).collect();
        let s = summarize(&xs).unwrap();
        assert_eq!(s.p95, None);
        assert_eq!(s.p99, None);
        let xs: Vec<f64> = (1..=20).map(f64::from).collect();
        let s = summarize(&xs).unwrap();
        assert_eq!(s.p95, Some(19.0)); // rank ceil(19.0) = 19
        assert_eq!(s.p99, None, "20 samples cannot give a p99");
        let xs: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = summarize(&xs).unwrap();
        assert_eq!(s.p95, Some(95.0));
        assert_eq!(s.p99, Some(99.0));
    }

    #[test]
    fn single_sample_has_no_spread() {
        let s = summarize(&[3.0]).unwrap();
        assert_eq!((s.mean, s.median, s.n), (3.0, 3.0, 1));
        assert_eq!((s.sd, s.cv, s.ci95), (None, None, None));
        assert!(summarize(&[]).is_none());
        assert!(summarize(&[f64::NAN]).is_none());
    }

    #[test]
    fn welch_hand_computed() {
        // a: mean 10, var 2.5 ; b: mean 12, var 2.5 ; n = 5 each.
        let a = [8.0, 9.0, 10.0, 11.0, 12.0];
        let b = [10.0, 11.0, 12.0, 13.0, 14.0];
        let r = welch_greater(&a, &b).unwrap();
        // se = sqrt(2.5/5 + 2.5/5) = 1, t = 2, df = 8.
        assert!(close(r.t, 2.0, 1e-12));
        assert!(close(r.df, 8.0, 1e-12));
        // P(T_8 > 2) = 0.040250
        assert!(close(r.p_greater, 0.040_250, 1e-5), "{}", r.p_greater);
        let r = welch_greater(&b, &a).unwrap();
        assert!(close(r.p_greater, 1.0 - 0.040_250, 1e-5));
    }

    #[test]
    fn welch_constants_and_small_samples() {
        assert_eq!(welch_greater(&[1.0], &[2.0, 3.0]), None);
        assert_eq!(
            welch_greater(&[5.0, 5.0], &[6.0, 6.0]).unwrap().p_greater,
            0.0
        );
        assert_eq!(
            welch_greater(&[5.0, 5.0], &[5.0, 5.0]).unwrap().p_greater,
            1.0
        );
    }
}
