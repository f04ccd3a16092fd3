//! The metric catalogue: every metric a cell summary holds, with its name (the report field),
//! unit, direction (higher or lower is better), heading, value format and how to read it from
//! a summary and from a trial. Regression detection, every exporter, the A/B table and the
//! app's bindings read metrics from here, so a metric is added in one place.

use serde::{Deserialize, Serialize};

use crate::fmt;
use crate::metrics::TrialMetrics;
use crate::stats::Stats;

/// Which way a metric improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More is better (throughputs).
    HigherIsBetter,
    /// Less is better (latencies, memory).
    LowerIsBetter,
}

/// A metric's unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Tokens per second.
    TokensPerSecond,
    /// Milliseconds.
    Milliseconds,
    /// Bytes.
    Bytes,
}

impl Unit {
    /// The unit as written after a number (`tok/s`, `ms`, `bytes`).
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::TokensPerSecond => "tok/s",
            Unit::Milliseconds => "ms",
            Unit::Bytes => "bytes",
        }
    }

    /// A value for people: bytes as MB/GB, other numbers with a precision suited to their size.
    pub fn format(self, x: f64) -> String {
        match self {
            Unit::Bytes => fmt::bytes(x),
            _ => fmt::num(x),
        }
    }
}

/// Per-metric summaries of a cell, one field per [`Metric`]; each absent when the metric
/// could not be measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CellSummary {
    /// Decode tokens/s per trial (aggregate over the batch).
    pub decode_tps: Option<Stats>,
    /// Prefill tokens/s per trial.
    pub prefill_tps: Option<Stats>,
    /// Time to first token per request, ms.
    pub ttft_ms: Option<Stats>,
    /// Inter-token latency per gap, ms.
    pub itl_ms: Option<Stats>,
    /// End-to-end latency per request, ms.
    pub e2e_ms: Option<Stats>,
    /// Generated tokens / wall time per trial.
    pub throughput_tps: Option<Stats>,
    /// MLX peak memory per trial, bytes.
    pub peak_memory_bytes: Option<Stats>,
    /// Process peak footprint per trial, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_peak_memory_bytes: Option<Stats>,
}

/// A metric of a cell summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Decode tokens/s (higher is better).
    DecodeTps,
    /// Prefill tokens/s (higher is better).
    PrefillTps,
    /// Time to first token, ms (lower is better).
    TtftMs,
    /// Inter-token latency, ms (lower is better).
    ItlMs,
    /// End-to-end latency per request, ms (lower is better).
    E2eMs,
    /// Batch throughput tokens/s (higher is better).
    ThroughputTps,
    /// MLX peak memory, bytes (lower is better).
    PeakMemoryBytes,
    /// Process peak physical footprint, bytes (lower is better).
    ProcessPeakMemoryBytes,
}

impl Metric {
    /// Every metric, in the order the exporters list them.
    pub const ALL: [Metric; 8] = [
        Metric::DecodeTps,
        Metric::PrefillTps,
        Metric::TtftMs,
        Metric::ItlMs,
        Metric::E2eMs,
        Metric::ThroughputTps,
        Metric::PeakMemoryBytes,
        Metric::ProcessPeakMemoryBytes,
    ];

    /// The metrics the regression detector watches (those with a [`Metric::threshold`]), in
    /// the order comparisons list them.
    pub const WATCHED: [Metric; 5] = [
        Metric::DecodeTps,
        Metric::PrefillTps,
        Metric::ThroughputTps,
        Metric::TtftMs,
        Metric::PeakMemoryBytes,
    ];

    /// The report field name (`decode_tps`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Metric::DecodeTps => "decode_tps",
            Metric::PrefillTps => "prefill_tps",
            Metric::TtftMs => "ttft_ms",
            Metric::ItlMs => "itl_ms",
            Metric::E2eMs => "e2e_ms",
            Metric::ThroughputTps => "throughput_tps",
            Metric::PeakMemoryBytes => "peak_memory_bytes",
            Metric::ProcessPeakMemoryBytes => "process_peak_memory_bytes",
        }
    }

    /// The column heading in tables (`Decode tok/s`, `TTFT ms`, `Peak mem`).
    pub fn heading(self) -> &'static str {
        match self {
            Metric::DecodeTps => "Decode tok/s",
            Metric::PrefillTps => "Prefill tok/s",
            Metric::TtftMs => "TTFT ms",
            Metric::ItlMs => "ITL ms",
            Metric::E2eMs => "E2E ms",
            Metric::ThroughputTps => "Throughput tok/s",
            Metric::PeakMemoryBytes => "Peak mem",
            Metric::ProcessPeakMemoryBytes => "Process peak mem",
        }
    }

    /// A person's name for the metric, as notifications say it (`decode tok/s`, `TTFT`).
    pub fn label(self) -> &'static str {
        match self {
            Metric::DecodeTps => "decode tok/s",
            Metric::PrefillTps => "prefill tok/s",
            Metric::TtftMs => "TTFT",
            Metric::ItlMs => "inter-token latency",
            Metric::E2eMs => "end-to-end latency",
            Metric::ThroughputTps => "throughput tok/s",
            Metric::PeakMemoryBytes => "peak memory",
            Metric::ProcessPeakMemoryBytes => "process peak memory",
        }
    }

    /// The unit.
    pub fn unit(self) -> Unit {
        match self {
            Metric::DecodeTps | Metric::PrefillTps | Metric::ThroughputTps => Unit::TokensPerSecond,
            Metric::TtftMs | Metric::ItlMs | Metric::E2eMs => Unit::Milliseconds,
            Metric::PeakMemoryBytes | Metric::ProcessPeakMemoryBytes => Unit::Bytes,
        }
    }

    /// Which way is better.
    pub fn direction(self) -> Direction {
        match self.unit() {
            Unit::TokensPerSecond => Direction::HigherIsBetter,
            Unit::Milliseconds | Unit::Bytes => Direction::LowerIsBetter,
        }
    }

    /// True for throughput metrics.
    pub fn higher_is_better(self) -> bool {
        self.direction() == Direction::HigherIsBetter
    }

    /// The seed's regression threshold as a fraction (tokens/s −5%, TTFT +10%, memory +15%);
    /// None for the metrics the detector does not watch.
    pub fn threshold(self) -> Option<f64> {
        match self {
            Metric::DecodeTps | Metric::PrefillTps | Metric::ThroughputTps => Some(0.05),
            Metric::TtftMs => Some(0.10),
            Metric::PeakMemoryBytes => Some(0.15),
            Metric::ItlMs | Metric::E2eMs | Metric::ProcessPeakMemoryBytes => None,
        }
    }

    /// A value of this metric for people (bytes as MB/GB).
    pub fn format(self, x: f64) -> String {
        self.unit().format(x)
    }

    /// The metric's statistics in a cell summary.
    pub fn summary(self, s: &CellSummary) -> Option<&Stats> {
        match self {
            Metric::DecodeTps => s.decode_tps.as_ref(),
            Metric::PrefillTps => s.prefill_tps.as_ref(),
            Metric::TtftMs => s.ttft_ms.as_ref(),
            Metric::ItlMs => s.itl_ms.as_ref(),
            Metric::E2eMs => s.e2e_ms.as_ref(),
            Metric::ThroughputTps => s.throughput_tps.as_ref(),
            Metric::PeakMemoryBytes => s.peak_memory_bytes.as_ref(),
            Metric::ProcessPeakMemoryBytes => s.process_peak_memory_bytes.as_ref(),
        }
    }

    /// The metric's value for one trial (the samples of the significance test); None for
    /// inter-token latency, which is summarised per gap rather than per trial.
    pub fn trial_value(self, t: &TrialMetrics) -> Option<f64> {
        match self {
            Metric::DecodeTps => t.decode_tps,
            Metric::PrefillTps => t.prefill_tps,
            Metric::TtftMs => t.ttft_ms,
            Metric::ItlMs => None,
            Metric::E2eMs => t.e2e_ms,
            Metric::ThroughputTps => t.throughput_tps,
            Metric::PeakMemoryBytes => t.peak_memory_bytes.map(|b| b as f64),
            Metric::ProcessPeakMemoryBytes => t.process_peak_memory_bytes.map(|b| b as f64),
        }
    }
}

/// A metric as the app's UI reads the catalogue (`ui/src/bindings/catalogue.ts`, generated
/// from [`entries`]): so the UI labels, formats and judges metrics as the CLI does.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct MetricEntry {
    /// The metric (its report field name).
    pub metric: Metric,
    /// Column heading (`Decode tok/s`).
    pub heading: &'static str,
    /// A person's name for it (`decode tok/s`).
    pub label: &'static str,
    /// Unit.
    pub unit: Unit,
    /// The unit as written after a number (`tok/s`, `ms`, `bytes`).
    pub unit_symbol: &'static str,
    /// Which way it improves.
    pub direction: Direction,
    /// The regression threshold as a fraction; None for metrics the detector does not watch.
    pub regression_threshold: Option<f64>,
}

/// Every metric of the catalogue, in catalogue order, as the UI reads them.
pub fn entries() -> Vec<MetricEntry> {
    Metric::ALL
        .into_iter()
        .map(|m| MetricEntry {
            metric: m,
            heading: m.heading(),
            label: m.label(),
            unit: m.unit(),
            unit_symbol: m.unit().symbol(),
            direction: m.direction(),
            regression_threshold: m.threshold(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_summary_fields() {
        // The serialized summary's keys are the catalogue's names, in the catalogue's order.
        let stats = crate::stats::summarize(&[1.0, 2.0]).unwrap();
        let full = CellSummary {
            decode_tps: Some(stats.clone()),
            prefill_tps: Some(stats.clone()),
            ttft_ms: Some(stats.clone()),
            itl_ms: Some(stats.clone()),
            e2e_ms: Some(stats.clone()),
            throughput_tps: Some(stats.clone()),
            peak_memory_bytes: Some(stats.clone()),
            process_peak_memory_bytes: Some(stats),
        };
        let v = serde_json::to_value(&full).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        let mut names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        names.sort_unstable();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort_unstable();
        assert_eq!(keys_sorted, names);
        for m in Metric::ALL {
            assert!(m.summary(&full).is_some(), "{m:?}");
            assert_eq!(serde_json::to_value(m).unwrap(), m.name());
        }
        for m in Metric::WATCHED {
            assert!(m.threshold().is_some(), "{m:?}");
        }
    }

    #[test]
    fn direction_and_format_follow_the_unit() {
        assert!(Metric::DecodeTps.higher_is_better());
        assert!(!Metric::TtftMs.higher_is_better());
        assert_eq!(Metric::PeakMemoryBytes.format(3e9), "3.00 GB");
        assert_eq!(Metric::TtftMs.format(12.345), "12.35");
    }
}
