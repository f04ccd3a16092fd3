//! Which regressions of a run to announce, and the words of the announcement.
//!
//! A regression is "the same" as one already announced when it is the same configuration
//! (run key), the same baseline run, the same cell and metric and the same severity: a
//! monitoring schedule that keeps measuring the same drop announces it once, an escalation from
//! warning to critical is announced again, and so is a drop against a new baseline.

use benchbar_core::regression::{Metric, Regression, RunKey, Severity};
use benchbar_core::report::RunReport;
use benchbar_store::Store;
use serde::{Deserialize, Serialize};

use crate::Result;

/// One notification about a run's new regressions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Announcement {
    /// The regressed run.
    pub run_id: i64,
    /// The baseline it was compared with (what clicking the notification compares against).
    pub baseline_run_id: Option<i64>,
    /// The worst severity among the new regressions.
    pub severity: Severity,
    /// Notification title, e.g. `Regression (critical): Qwen3-1.7B-4bit`.
    pub title: String,
    /// Notification body naming the metric and the change, e.g.
    /// `decode tok/s -23.4% (tg128@1) and 2 more vs run 12`.
    pub body: String,
    /// Fingerprints of the regressions announced.
    pub fingerprints: Vec<String>,
}

/// The announcement as one line for a terminal: what the app shows as a notification's title
/// and body (`Regression (critical): Qwen3-1.7B-4bit: decode tok/s -23.4% (tg128@1)...`).
pub fn announcement_line(a: &Announcement) -> String {
    format!("{}: {}", a.title, a.body)
}

/// The identity of a regression for de-duplication.
pub fn fingerprint(run_key: &str, r: &Regression) -> String {
    format!(
        "{run_key}|baseline={}|{}@{}|{}|{:?}",
        r.baseline_run_id.unwrap_or_default(),
        r.test,
        r.batch_size,
        r.metric.name(),
        r.severity
    )
}

/// A person's name for a metric.
pub fn metric_label(m: Metric) -> &'static str {
    m.label()
}

/// Builds the announcement of `regressions` (already filtered to the new ones) of run `run_id`
/// of `model`; None when there is nothing to announce. The worst regression (critical first,
/// then the largest change) is named; the others are counted.
pub fn compose(
    run_id: i64,
    model: &str,
    regressions: &[&Regression],
    fingerprints: Vec<String>,
) -> Option<Announcement> {
    let worst = regressions.iter().copied().max_by(|a, b| {
        (a.severity == Severity::Critical)
            .cmp(&(b.severity == Severity::Critical))
            .then(a.change_percent.abs().total_cmp(&b.change_percent.abs()))
    })?;
    let severity = worst.severity;
    let word = match severity {
        Severity::Critical => "critical",
        Severity::Warning => "warning",
    };
    let more = match regressions.len() - 1 {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let vs = worst
        .baseline_run_id
        .map(|b| format!(" vs baseline run {b}"))
        .unwrap_or_default();
    Some(Announcement {
        run_id,
        baseline_run_id: worst.baseline_run_id,
        severity,
        title: format!("Regression ({word}): {model}"),
        body: format!(
            "{} {:+.1}% ({}@{}){more}{vs}",
            metric_label(worst.metric),
            worst.change_percent,
            worst.test,
            worst.batch_size
        ),
        fingerprints,
    })
}

/// Records the stored run's regressions as announced and returns the announcement of those
/// that were not announced before (None when every one was, or there are none).
pub fn announce_new(store: &mut Store, report: &RunReport) -> Result<Option<Announcement>> {
    let Some(run_id) = report.run_id else {
        return Ok(None);
    };
    let key = RunKey::of(report).canonical();
    let mut fresh = Vec::new();
    let mut prints = Vec::new();
    for r in &report.regressions {
        let fp = fingerprint(&key, r);
        if store.record_notification(&fp, run_id)? {
            fresh.push(r);
            prints.push(fp);
        }
    }
    Ok(compose(run_id, &report.model.id, &fresh, prints))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regression(metric: Metric, change: f64, severity: Severity) -> Regression {
        Regression {
            test: "tg128".into(),
            batch_size: 1,
            metric,
            baseline_value: 100.0,
            current_value: 100.0 + change,
            change_percent: change,
            threshold_percent: 5.0,
            p_value: 0.001,
            severity,
            baseline_run_id: Some(7),
        }
    }

    #[test]
    fn names_the_worst_metric_change_and_severity() {
        let a = regression(Metric::DecodeTps, -6.0, Severity::Warning);
        let b = regression(Metric::TtftMs, 25.0, Severity::Critical);
        let c = regression(Metric::PrefillTps, -8.0, Severity::Warning);
        let n = compose(9, "Qwen3-1.7B-4bit", &[&a, &b, &c], vec![]).unwrap();
        assert_eq!(n.severity, Severity::Critical);
        assert_eq!(n.title, "Regression (critical): Qwen3-1.7B-4bit");
        assert_eq!(n.body, "TTFT +25.0% (tg128@1) and 2 more vs baseline run 7");
        assert_eq!(n.baseline_run_id, Some(7));
        assert!(compose(9, "m", &[], vec![]).is_none());
    }

    #[test]
    fn fingerprint_separates_severity_and_baseline() {
        let w = regression(Metric::DecodeTps, -6.0, Severity::Warning);
        let mut c = w.clone();
        c.severity = Severity::Critical;
        let mut other_base = w.clone();
        other_base.baseline_run_id = Some(8);
        let mut other_value = w.clone();
        other_value.change_percent = -7.0;
        let f = |r: &Regression| fingerprint("k", r);
        assert_ne!(f(&w), f(&c));
        assert_ne!(f(&w), f(&other_base));
        // The same drop measured again (a slightly different value) is the same regression.
        assert_eq!(f(&w), f(&other_value));
    }
}
