//! Comparing the same model on two machines (`benchbar compare A B` when A and B ran on
//! different machines, e.g. one imported from a result bundle): both values of every cell and
//! metric side by side with their ratio, and decode tok/s per GB/s of memory bandwidth, which
//! puts machines of different bandwidth on one scale (decode is memory-bound). There is no
//! regression verdict: another machine is not a baseline.

use serde::Serialize;

use crate::bandwidth::{machine_bandwidth, Bandwidth};
use crate::catalogue::Metric;
use crate::regression::{CellKey, RunKey};
use crate::report::{MachineInfo, RunReport};
use crate::{Error, Result};

/// One run of a cross-machine comparison.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct MachineSide {
    /// The stored run.
    pub run_id: Option<i64>,
    /// Its machine.
    pub machine: MachineInfo,
    /// Its engine version (MLX versions may differ between machines).
    pub engine_version: String,
    /// The machine's memory bandwidth, GB/s, where known.
    pub bandwidth_gbps: Option<f64>,
    /// Where the bandwidth came from (the built-in table's chip, or `override`).
    pub bandwidth_source: Option<String>,
}

/// A metric of one cell on both machines.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct SideBySide {
    /// Test name.
    pub test: String,
    /// Batch size.
    pub batch_size: u32,
    /// The metric; `decode_tps_per_gbps` rows have `decode_tps` here and `per_gbps` set.
    pub metric: Metric,
    /// Decode tok/s divided by the machine's memory bandwidth (GB/s) instead of the raw value.
    pub per_gbps: bool,
    /// The first run's mean.
    pub first: Option<f64>,
    /// The second run's mean.
    pub second: Option<f64>,
    /// second ÷ first.
    pub ratio: Option<f64>,
}

/// Two runs of one model on different machines.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct MachineComparison {
    /// Always `cross-machine`: says what this is (no regression verdict).
    pub kind: String,
    /// The model.
    pub model: String,
    /// The first run.
    pub first: MachineSide,
    /// The second run.
    pub second: MachineSide,
    /// Every catalogue metric of every common cell, then decode per GB/s.
    pub metrics: Vec<SideBySide>,
    /// Cells present in only one of the runs.
    pub unmatched_cells: Vec<String>,
}

/// True when `a` and `b` ran on different machines.
pub fn different_machines(a: &RunReport, b: &RunReport) -> bool {
    RunKey::of(a).machine != RunKey::of(b).machine
}

/// Compares two runs of the same model, quantization and engine on different machines, each
/// machine's bandwidth from the built-in table of Apple chips (unknown elsewhere: no per-GB/s
/// value then).
pub fn compare_machines(first: &RunReport, second: &RunReport) -> Result<MachineComparison> {
    let (ka, kb) = (RunKey::of(first), RunKey::of(second));
    for (what, a, b) in [
        ("model", &ka.model, &kb.model),
        ("quantization", &ka.quantization, &kb.quantization),
        ("engine", &ka.engine, &kb.engine),
    ] {
        if a != b {
            return Err(Error::Incompatible(format!(
                "runs of different machines compare only for one model and engine: {what} '{a}' vs '{b}'"
            )));
        }
    }
    let side = |r: &RunReport| {
        let bw: Option<Bandwidth> = machine_bandwidth(&r.machine, None, None);
        MachineSide {
            run_id: r.run_id,
            machine: r.machine.clone(),
            engine_version: r.engine.version.clone(),
            bandwidth_gbps: bw.as_ref().map(|b| b.gbps),
            bandwidth_source: bw.map(|b| b.source),
        }
    };
    let (sa, sb) = (side(first), side(second));
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if a != 0.0 => Some(b / a),
        _ => None,
    };
    let mut metrics = Vec::new();
    let mut per_gbps = Vec::new();
    let mut unmatched = Vec::new();
    for a in &first.cells {
        let Some(b) = second
            .cells
            .iter()
            .find(|b| CellKey::of(b) == CellKey::of(a))
        else {
            unmatched.push(format!("{}@{} (first only)", a.test, a.batch_size));
            continue;
        };
        for m in Metric::ALL {
            let (x, y) = (
                m.summary(&a.summary).map(|s| s.mean),
                m.summary(&b.summary).map(|s| s.mean),
            );
            if x.is_none() && y.is_none() {
                continue;
            }
            metrics.push(SideBySide {
                test: a.test.clone(),
                batch_size: a.batch_size,
                metric: m,
                per_gbps: false,
                first: x,
                second: y,
                ratio: ratio(x, y),
            });
            if m == Metric::DecodeTps {
                let x = x.zip(sa.bandwidth_gbps).map(|(t, g)| t / g);
                let y = y.zip(sb.bandwidth_gbps).map(|(t, g)| t / g);
                per_gbps.push(SideBySide {
                    per_gbps: true,
                    first: x,
                    second: y,
                    ratio: ratio(x, y),
                    ..metrics.last().expect("just pushed").clone()
                });
            }
        }
    }
    for b in &second.cells {
        if !first.cells.iter().any(|a| CellKey::of(a) == CellKey::of(b)) {
            unmatched.push(format!("{}@{} (second only)", b.test, b.batch_size));
        }
    }
    if metrics.is_empty() {
        return Err(Error::Incompatible(
            "the runs have no cell in common (same test, batch size, prompt and generation length)"
                .into(),
        ));
    }
    metrics.extend(per_gbps);
    Ok(MachineComparison {
        kind: "cross-machine".into(),
        model: ka.model,
        first: sa,
        second: sb,
        metrics,
        unmatched_cells: unmatched,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::TargetMatrix;
    use crate::testkit::{synthetic_cell, synthetic_meta};

    fn run(chip: &str, tps: f64) -> RunReport {
        let mut meta = synthetic_meta(Some(1), "Qwen3-8B-4bit", "v");
        meta.machine.chip = Some(chip.into());
        let cells = vec![synthetic_cell(&[tps, tps], &[100.0, 100.0], 4 << 30)];
        crate::report::build_report(&meta, &cells, &TargetMatrix::seed())
    }

    #[test]
    fn side_by_side_with_ratios_and_decode_per_gbps() {
        let (m3, m4) = (run("Apple M3 Max", 40.0), run("Apple M4 Pro", 30.0));
        assert!(different_machines(&m3, &m4));
        let c = compare_machines(&m3, &m4).unwrap();
        assert_eq!(c.kind, "cross-machine");
        assert_eq!(c.first.bandwidth_gbps, Some(400.0));
        assert_eq!(c.second.bandwidth_gbps, Some(273.0));
        let decode = c
            .metrics
            .iter()
            .find(|m| m.metric == Metric::DecodeTps && !m.per_gbps)
            .unwrap();
        assert!((decode.ratio.unwrap() - 0.75).abs() < 1e-6);
        let norm = c.metrics.iter().find(|m| m.per_gbps).unwrap();
        assert!((norm.first.unwrap() - 40.0 / 400.0).abs() < 1e-6);
        assert!((norm.second.unwrap() - 30.0 / 273.0).abs() < 1e-6);
        // Per GB/s the M4 Pro does better than the M3 Max here.
        assert!(norm.ratio.unwrap() > 1.0);
    }

    #[test]
    fn another_model_is_refused() {
        let a = run("Apple M3 Max", 40.0);
        let mut b = run("Apple M4 Pro", 30.0);
        b.model.id = "Qwen3-1.7B-4bit".into();
        let err = compare_machines(&a, &b).unwrap_err().to_string();
        assert!(err.contains("model"), "{err}");
    }
}
