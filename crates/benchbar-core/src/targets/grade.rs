//! Grading measured values against the matrix: ✅ inside or better than the range,
//! ⚠️ within 10% on the worse side, ❌ otherwise, `n/a` when not measured.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ModelTargets, Range};

/// How far past the range (as a fraction of the near bound) still earns a warning.
pub const WARN_MARGIN: f64 = 0.10;

/// A grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub enum Mark {
    /// ✅ inside or better than the range.
    #[serde(rename = "pass")]
    Pass,
    /// ⚠️ worse than the range by at most 10%.
    #[serde(rename = "warn")]
    Warn,
    /// ❌ worse than the range by more than 10%.
    #[serde(rename = "fail")]
    Fail,
    /// Not measured.
    #[serde(rename = "n/a")]
    NotMeasured,
}

impl Mark {
    /// The symbol shown to people.
    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Pass => "✅",
            Mark::Warn => "⚠️",
            Mark::Fail => "❌",
            Mark::NotMeasured => "n/a",
        }
    }
}

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// Which side of a range is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Throughput: above the range is better.
    HigherIsBetter,
    /// Latency, memory, power: below the range is better.
    LowerIsBetter,
}

/// Grades one value against a range.
pub fn grade_value(range: Range, direction: Direction, measured: Option<f64>) -> Mark {
    let Some(m) = measured.filter(|m| m.is_finite()) else {
        return Mark::NotMeasured;
    };
    let [lo, hi] = range;
    match direction {
        Direction::HigherIsBetter if m >= lo => Mark::Pass,
        Direction::HigherIsBetter if m >= lo * (1.0 - WARN_MARGIN) => Mark::Warn,
        Direction::LowerIsBetter if m <= hi => Mark::Pass,
        Direction::LowerIsBetter if m <= hi * (1.0 + WARN_MARGIN) => Mark::Warn,
        _ => Mark::Fail,
    }
}

/// The values of a run that the matrix grades (each None when not measured).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Measured {
    /// Mean decode tokens/s at batch 1.
    pub single_batch_tps: Option<f64>,
    /// Best mean decode throughput over the cells with batch size > 1.
    pub optimal_batch_tps: Option<f64>,
    /// Mean time to first token at batch 1, ms.
    pub first_token_ms: Option<f64>,
    /// Largest peak memory, GB (10^9 bytes).
    pub memory_gb: Option<f64>,
    /// Mean power, W.
    pub power_w: Option<f64>,
    /// Mean throughput per batch size.
    pub batch_tps: BTreeMap<u32, f64>,
}

/// One graded metric of the JSON report contract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Grade {
    /// Metric name, e.g. `single_batch_tps` or `batch_tps[4]`.
    pub metric: String,
    /// The seed's range.
    pub target: Range,
    /// The measured value.
    pub measured: Option<f64>,
    /// The grade.
    pub grade: Mark,
}

/// Grades every metric of a row.
pub fn grade_row(row: &ModelTargets, m: &Measured) -> Vec<Grade> {
    use Direction::*;
    let mut out = Vec::new();
    let mut push = |metric: String, target: Range, dir: Direction, measured: Option<f64>| {
        out.push(Grade {
            metric,
            target,
            measured,
            grade: grade_value(target, dir, measured),
        });
    };
    push(
        "single_batch_tps".into(),
        row.single_batch_tps,
        HigherIsBetter,
        m.single_batch_tps,
    );
    if let Some(r) = row.optimal_batch_tps {
        push(
            "optimal_batch_tps".into(),
            r,
            HigherIsBetter,
            m.optimal_batch_tps,
        );
    }
    push(
        "first_token_ms".into(),
        row.first_token_ms,
        LowerIsBetter,
        m.first_token_ms,
    );
    push(
        "memory_gb".into(),
        row.memory_gb,
        LowerIsBetter,
        m.memory_gb,
    );
    push("power_w".into(), row.power_w, LowerIsBetter, m.power_w);
    for (b, r) in &row.batch_tps {
        push(
            format!("batch_tps[{b}]"),
            *r,
            HigherIsBetter,
            m.batch_tps.get(b).copied(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::TargetMatrix;

    #[test]
    fn higher_is_better_edges() {
        let r = [80.0, 120.0];
        let g = |v| grade_value(r, Direction::HigherIsBetter, Some(v));
        assert_eq!(g(100.0), Mark::Pass); // inside
        assert_eq!(g(80.0), Mark::Pass); // edge
        assert_eq!(g(500.0), Mark::Pass); // better than the range
        assert_eq!(g(72.0), Mark::Warn); // exactly 10% below
        assert_eq!(g(79.9), Mark::Warn);
        assert_eq!(g(71.9), Mark::Fail);
        assert_eq!(
            grade_value(r, Direction::HigherIsBetter, None),
            Mark::NotMeasured
        );
        assert_eq!(
            grade_value(r, Direction::HigherIsBetter, Some(f64::NAN)),
            Mark::NotMeasured
        );
    }

    #[test]
    fn lower_is_better_edges() {
        let r = [80.0, 150.0];
        let g = |v| grade_value(r, Direction::LowerIsBetter, Some(v));
        assert_eq!(g(100.0), Mark::Pass);
        assert_eq!(g(150.0), Mark::Pass);
        assert_eq!(g(10.0), Mark::Pass); // faster than the range
        assert_eq!(g(165.0), Mark::Warn);
        assert_eq!(g(165.1), Mark::Fail);
    }

    type Pick = dyn Fn(Range, Direction) -> f64;

    /// Every row: a value inside each range passes, the edge passes, 5% worse warns,
    /// 20% worse fails, and an unmeasured metric is n/a.
    #[test]
    fn every_row_inside_edge_outside_na() {
        let matrix = TargetMatrix::seed();
        for row in &matrix.models {
            let all = |pick: &Pick| -> Measured {
                let p = |r: Range, d| Some(pick(r, d));
                Measured {
                    single_batch_tps: p(row.single_batch_tps, Direction::HigherIsBetter),
                    optimal_batch_tps: row
                        .optimal_batch_tps
                        .map(|r| pick(r, Direction::HigherIsBetter)),
                    first_token_ms: p(row.first_token_ms, Direction::LowerIsBetter),
                    memory_gb: p(row.memory_gb, Direction::LowerIsBetter),
                    power_w: p(row.power_w, Direction::LowerIsBetter),
                    batch_tps: row
                        .batch_tps
                        .iter()
                        .map(|(b, r)| (*b, pick(*r, Direction::HigherIsBetter)))
                        .collect(),
                }
            };
            let cases: [(&Pick, Mark); 3] = [
                (&|r: Range, _| (r[0] + r[1]) / 2.0, Mark::Pass),
                (
                    &|r: Range, d| match d {
                        Direction::HigherIsBetter => r[0],
                        Direction::LowerIsBetter => r[1],
                    },
                    Mark::Pass,
                ),
                (
                    &|r: Range, d| match d {
                        Direction::HigherIsBetter => r[0] * 0.95,
                        Direction::LowerIsBetter => r[1] * 1.05,
                    },
                    Mark::Warn,
                ),
            ];
            for (pick, expected) in cases {
                for g in grade_row(row, &all(pick)) {
                    assert_eq!(g.grade, expected, "{} {}", row.name, g.metric);
                }
            }
            let worse = all(&|r: Range, d| match d {
                Direction::HigherIsBetter => r[0] * 0.8,
                Direction::LowerIsBetter => r[1] * 1.2,
            });
            assert!(grade_row(row, &worse).iter().all(|g| g.grade == Mark::Fail));
            let none = grade_row(row, &Measured::default());
            assert!(
                none.iter().all(|g| g.grade == Mark::NotMeasured),
                "{}",
                row.name
            );
            let expected_len =
                4 + usize::from(row.optimal_batch_tps.is_some()) + row.batch_tps.len();
            assert_eq!(none.len(), expected_len);
        }
    }
}
