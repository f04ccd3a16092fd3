//! Prometheus / OpenMetrics text exposition of the history, for `benchbar serve`, the app's
//! exporter and `benchbar run --push`.
//!
//! Values come from stored runs and are never measured on a scrape. Per configuration (model ×
//! engine × machine: the run key) the latest completed run gives one sample per cell (test and
//! batch size) of each catalogue metric worth a time series, its energy per token, its grades
//! and its regression count; counters of runs ever stored (by status and origin, monitoring
//! samples included) and the time of the last run and the last monitoring sample complete it.
//! Names follow the Prometheus conventions (base units: seconds, bytes, joules; `_total` for
//! counters); labels are bounded (no run ids, no free text).

mod push;
pub mod server;
mod text;

use benchbar_core::catalogue::{Metric, Unit};
use benchbar_core::report::{CellReport, RunReport};
use benchbar_core::targets::{Mark, TargetMatrix};
use benchbar_store::Store;

pub use push::push;
use text::Exposition;

use crate::Result;

/// The metrics of the whole history (what a scrape of `/metrics` returns).
pub fn history_exposition(store: &Store) -> Result<String> {
    let matrix = TargetMatrix::seed();
    let reports = store
        .latest_completed_per_configuration()?
        .into_iter()
        .map(|id| Ok(store.load_run(id)?.report(&matrix)))
        .collect::<Result<Vec<_>>>()?;
    let mut out = Exposition::default();
    write_runs(&mut out, &reports);
    out.family(
        "benchbar_runs_total",
        "counter",
        "Runs ever stored in the history, by how they ended and who started them (origin \
         monitor: monitoring samples).",
    );
    for c in store.run_counts()? {
        out.sample(
            "benchbar_runs_total",
            &[("status", c.status.as_str()), ("origin", c.origin.as_str())],
            c.count as f64,
        );
    }
    out.family(
        "benchbar_last_run_timestamp_seconds",
        "gauge",
        "Start of the latest stored run, Unix time.",
    );
    if let Some(t) = store.last_started(None)? {
        out.sample("benchbar_last_run_timestamp_seconds", &[], unix_s(t));
    }
    out.family(
        "benchbar_last_sample_timestamp_seconds",
        "gauge",
        "Start of the latest monitoring sample, Unix time.",
    );
    if let Some(t) = store.last_started(Some(benchbar_core::report::RunOrigin::Monitor))? {
        out.sample("benchbar_last_sample_timestamp_seconds", &[], unix_s(t));
    }
    Ok(out.finish())
}

/// The metrics of one run (what `--push` sends to a Pushgateway).
pub fn run_exposition(report: &RunReport) -> String {
    let mut out = Exposition::default();
    write_runs(&mut out, std::slice::from_ref(report));
    out.finish()
}

/// The metric name and the factor from the catalogue's unit to the base unit, for the
/// catalogue metrics that are exported (process memory is the same thing seen by the OS).
fn exported(m: Metric) -> Option<(&'static str, f64, &'static str)> {
    let (name, help) = match m {
        Metric::DecodeTps => ("benchbar_decode_tokens_per_second", "Decode tokens/s"),
        Metric::PrefillTps => ("benchbar_prefill_tokens_per_second", "Prefill tokens/s"),
        Metric::TtftMs => (
            "benchbar_time_to_first_token_seconds",
            "Time to first token",
        ),
        Metric::ItlMs => (
            "benchbar_inter_token_latency_seconds",
            "Inter-token latency",
        ),
        Metric::E2eMs => (
            "benchbar_request_latency_seconds",
            "End-to-end request latency",
        ),
        Metric::ThroughputTps => (
            "benchbar_throughput_tokens_per_second",
            "Generated tokens/s",
        ),
        Metric::PeakMemoryBytes => ("benchbar_peak_memory_bytes", "MLX peak memory"),
        Metric::ProcessPeakMemoryBytes => return None,
    };
    let factor = match m.unit() {
        Unit::Milliseconds => 1e-3,
        Unit::TokensPerSecond | Unit::Bytes => 1.0,
    };
    Some((name, factor, help))
}

/// The labels of a configuration: model, quantization, engine, machine, suite.
fn run_labels(r: &RunReport) -> Vec<(&'static str, String)> {
    vec![
        ("model", r.model.id.clone()),
        (
            "quantization",
            r.model.quantization.clone().unwrap_or_default(),
        ),
        ("engine", r.engine.name.clone()),
        (
            "machine",
            r.machine
                .chip
                .clone()
                .unwrap_or_else(|| r.machine.cpu.clone()),
        ),
        ("suite", r.suite.clone()),
    ]
}

/// One sample per cell of every report that has a value for it (`value` of the report and
/// cell), labelled with the configuration, test and batch size.
fn per_cell(
    out: &mut Exposition,
    name: &str,
    reports: &[RunReport],
    value: &dyn Fn(&CellReport) -> Option<f64>,
) {
    for r in reports {
        for c in &r.cells {
            if let Some(v) = value(c) {
                let mut labels = run_labels(r);
                labels.push(("test", c.test.clone()));
                labels.push(("batch_size", c.batch_size.to_string()));
                out.sample_owned(name, &labels, v);
            }
        }
    }
}

fn write_runs(out: &mut Exposition, reports: &[RunReport]) {
    for m in Metric::ALL {
        let Some((name, factor, help)) = exported(m) else {
            continue;
        };
        out.family(
            name,
            "gauge",
            &format!("{help} of the latest completed run per configuration and cell (mean)."),
        );
        per_cell(out, name, reports, &|c| {
            m.summary(&c.summary).map(|s| s.mean * factor)
        });
    }
    let name = "benchbar_energy_per_token_joules";
    out.family(
        name,
        "gauge",
        "Energy per generated token of the latest completed run per configuration and cell.",
    );
    per_cell(out, name, reports, &|c| {
        c.power.as_ref().and_then(|p| p.joules_per_token)
    });
    let name = "benchbar_target_grade";
    out.family(
        name,
        "gauge",
        "Grade against the seed's target matrix (1 pass, 0.5 warn, 0 fail) per metric of the \
         latest completed run per configuration.",
    );
    for r in reports {
        for g in &r.grades {
            let value = match g.grade {
                Mark::Pass => 1.0,
                Mark::Warn => 0.5,
                Mark::Fail => 0.0,
                Mark::NotMeasured => continue,
            };
            let mut labels = run_labels(r);
            labels.push(("metric", g.metric.clone()));
            out.sample_owned(name, &labels, value);
        }
    }
    let name = "benchbar_regressions";
    out.family(
        name,
        "gauge",
        "Regressions against the baseline found in the latest completed run per configuration.",
    );
    for r in reports {
        out.sample_owned(name, &run_labels(r), r.regressions.len() as f64);
    }
    let name = "benchbar_run_timestamp_seconds";
    out.family(
        name,
        "gauge",
        "Start of the latest completed run per configuration, Unix time.",
    );
    for r in reports {
        out.sample_owned(name, &run_labels(r), unix_s(r.started_at));
    }
}

fn unix_s(t: chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1e3
}
