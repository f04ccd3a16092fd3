//! Configuration keys and the regression detector.
//!
//! A metric regresses when it is worse than the baseline by more than the seed's threshold
//! (tokens/s −5%, TTFT +10%, memory +15%) AND a one-sided Welch t-test over the per-trial
//! samples agrees at p < [`SIGNIFICANCE`]. Severity is critical past twice the threshold.
//! Runs are only compared when they measured the same configuration.

use serde::{Deserialize, Serialize};

pub use crate::catalogue::Metric;
use crate::report::{CellReport, EngineInfo, MachineInfo, ModelRef, RunReport};
pub use crate::report::{Regression, Severity};
use crate::stats::welch_greater;
use crate::{Error, Result};

/// p-value below which a change counts as real.
pub const SIGNIFICANCE: f64 = 0.01;

/// The run-level part of the baseline key: model, quantization, engine, engine version
/// (which includes the MLX version) and machine.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub struct RunKey {
    /// Model id.
    pub model: String,
    /// Quantization label.
    pub quantization: String,
    /// Engine name.
    pub engine: String,
    /// Engine version (with the MLX version).
    pub engine_version: String,
    /// Machine: chip or CPU, memory, OS, arch.
    pub machine: String,
}

impl RunKey {
    /// The key of a report.
    pub fn of(r: &RunReport) -> RunKey {
        RunKey::new(&r.model, &r.engine, &r.machine)
    }

    /// The key of a model measured by an engine on a machine.
    pub fn new(model: &ModelRef, engine: &EngineInfo, m: &MachineInfo) -> RunKey {
        RunKey {
            model: model.id.clone(),
            quantization: model.quantization.clone().unwrap_or_default(),
            engine: engine.name.clone(),
            engine_version: engine.version.clone(),
            machine: format!(
                "{} | {} bytes | {} | {}",
                m.chip.as_deref().unwrap_or(&m.cpu),
                m.memory_bytes,
                m.os,
                m.arch
            ),
        }
    }

    /// A stable string form, used as the baseline table's key.
    pub fn canonical(&self) -> String {
        format!(
            "model={}; quantization={}; engine={}; engine_version={}; machine={}",
            self.model, self.quantization, self.engine, self.engine_version, self.machine
        )
    }

    /// Describes how two keys differ; None when equal.
    pub fn difference(&self, other: &RunKey) -> Option<String> {
        let fields = [
            ("model", &self.model, &other.model),
            ("quantization", &self.quantization, &other.quantization),
            ("engine", &self.engine, &other.engine),
            (
                "engine version",
                &self.engine_version,
                &other.engine_version,
            ),
            ("machine", &self.machine, &other.machine),
        ];
        let diffs: Vec<String> = fields
            .iter()
            .filter(|(_, a, b)| a != b)
            .map(|(n, a, b)| format!("{n} '{a}' vs '{b}'"))
            .collect();
        (!diffs.is_empty()).then(|| diffs.join(", "))
    }
}

/// The cell-level part of the key: which measurement within a run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub struct CellKey {
    /// Test name.
    pub test: String,
    /// Batch size.
    pub batch_size: u32,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Generation length.
    pub gen_tokens: u32,
}

impl CellKey {
    /// The key of a cell.
    pub fn of(c: &CellReport) -> CellKey {
        CellKey {
            test: c.test.clone(),
            batch_size: c.batch_size,
            prompt_tokens: c.prompt_tokens,
            gen_tokens: c.gen_tokens,
        }
    }
}

/// The verdict on one metric of one cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Worse past the threshold and significant.
    Regression,
    /// Better past the threshold and significant.
    Improvement,
    /// Within the threshold.
    Unchanged,
    /// Past the threshold but not significant (noise).
    NotSignificant,
    /// Fewer than two samples on a side: no test possible.
    InsufficientSamples,
}

/// One metric of one cell compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct MetricComparison {
    /// Test name.
    pub test: String,
    /// Batch size.
    pub batch_size: u32,
    /// Metric.
    pub metric: Metric,
    /// Baseline mean.
    pub baseline: f64,
    /// Current mean.
    pub current: f64,
    /// (current − baseline) / baseline × 100.
    pub delta_pct: f64,
    /// One-sided p-value in the direction of the change; None when untestable.
    pub p_value: Option<f64>,
    /// Verdict.
    pub verdict: Verdict,
    /// Severity when the verdict is a regression.
    pub severity: Option<Severity>,
}

/// The per-trial samples of a metric in a cell (the inputs of the significance test).
pub fn samples(metric: Metric, c: &CellReport) -> Vec<f64> {
    c.trials
        .iter()
        .filter(|t| t.metrics.error.is_none())
        .filter_map(|t| metric.trial_value(&t.metrics))
        .collect()
}

/// Compares one metric of two matching cells; None when the detector does not watch the
/// metric or either cell lacks it.
pub fn compare_metric(
    metric: Metric,
    base: &CellReport,
    cur: &CellReport,
) -> Option<MetricComparison> {
    let th = metric.threshold()?;
    let b = metric.summary(&base.summary)?.mean;
    let c = metric.summary(&cur.summary)?.mean;
    if b == 0.0 {
        return None;
    }
    let delta = (c - b) / b;
    let worse = if metric.higher_is_better() {
        -delta
    } else {
        delta
    };
    let (bs, cs) = (samples(metric, base), samples(metric, cur));
    // p-value for "current is worse" and "current is better".
    let p_worse = if metric.higher_is_better() {
        welch_greater(&cs, &bs)
    } else {
        welch_greater(&bs, &cs)
    }
    .map(|r| r.p_greater);
    let p_better = if metric.higher_is_better() {
        welch_greater(&bs, &cs)
    } else {
        welch_greater(&cs, &bs)
    }
    .map(|r| r.p_greater);
    let (verdict, p_value) = if worse.abs() <= th {
        (
            Verdict::Unchanged,
            if worse > 0.0 { p_worse } else { p_better },
        )
    } else {
        let p = if worse > 0.0 { p_worse } else { p_better };
        match p {
            None => (Verdict::InsufficientSamples, None),
            Some(p) if p < SIGNIFICANCE && worse > 0.0 => (Verdict::Regression, Some(p)),
            Some(p) if p < SIGNIFICANCE => (Verdict::Improvement, Some(p)),
            Some(p) => (Verdict::NotSignificant, Some(p)),
        }
    };
    Some(MetricComparison {
        test: cur.test.clone(),
        batch_size: cur.batch_size,
        metric,
        baseline: b,
        current: c,
        delta_pct: delta * 100.0,
        p_value,
        verdict,
        severity: (verdict == Verdict::Regression).then_some({
            if worse > 2.0 * th {
                Severity::Critical
            } else {
                Severity::Warning
            }
        }),
    })
}

/// The comparison of two runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Comparison {
    /// Baseline run id.
    pub baseline_run_id: Option<i64>,
    /// Current run id.
    pub current_run_id: Option<i64>,
    /// Every compared metric.
    pub metrics: Vec<MetricComparison>,
    /// Cells present in only one of the runs.
    pub unmatched_cells: Vec<String>,
}

impl Comparison {
    /// The flagged regressions.
    pub fn regressions(&self) -> Vec<Regression> {
        self.metrics
            .iter()
            .filter_map(|m| {
                Some(Regression {
                    test: m.test.clone(),
                    batch_size: m.batch_size,
                    metric: m.metric,
                    baseline_value: m.baseline,
                    current_value: m.current,
                    change_percent: m.delta_pct,
                    threshold_percent: m.metric.threshold().unwrap_or_default() * 100.0,
                    p_value: m.p_value?,
                    severity: m.severity?,
                    baseline_run_id: self.baseline_run_id,
                })
            })
            .collect()
    }
}

/// Compares two runs cell by cell. Refused when their configuration keys differ.
pub fn compare_runs(baseline: &RunReport, current: &RunReport) -> Result<Comparison> {
    if let Some(diff) = RunKey::of(baseline).difference(&RunKey::of(current)) {
        return Err(Error::Incompatible(format!(
            "run {} and run {} measured different configurations: {diff}",
            id_text(baseline.run_id),
            id_text(current.run_id)
        )));
    }
    let mut metrics = Vec::new();
    let mut unmatched = Vec::new();
    for cur in &current.cells {
        let key = CellKey::of(cur);
        match baseline.cells.iter().find(|b| CellKey::of(b) == key) {
            Some(base) => metrics.extend(
                Metric::WATCHED
                    .iter()
                    .filter_map(|m| compare_metric(*m, base, cur)),
            ),
            None => unmatched.push(format!("{}@{} (current only)", cur.test, cur.batch_size)),
        }
    }
    for base in &baseline.cells {
        let key = CellKey::of(base);
        if !current.cells.iter().any(|c| CellKey::of(c) == key) {
            unmatched.push(format!("{}@{} (baseline only)", base.test, base.batch_size));
        }
    }
    if metrics.is_empty() {
        return Err(Error::Incompatible(format!(
            "run {} and run {} have no cell in common (same test, batch size, prompt and generation length)",
            id_text(baseline.run_id),
            id_text(current.run_id)
        )));
    }
    Ok(Comparison {
        baseline_run_id: baseline.run_id,
        current_run_id: current.run_id,
        metrics,
        unmatched_cells: unmatched,
    })
}

fn id_text(id: Option<i64>) -> String {
    id.map_or_else(|| "(unsaved)".to_string(), |i| i.to_string())
}
