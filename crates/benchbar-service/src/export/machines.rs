//! What a cross-machine comparison shows: the two machines (chip, memory, OS, engine version,
//! memory bandwidth), then every metric of every common cell side by side with its ratio, and
//! decode tok/s per GB/s of memory bandwidth. No verdict column: it is not a regression check.

use benchbar_core::document::Document;
use benchbar_core::machines::{MachineComparison, MachineSide};

use super::layout::{doc, section, strings};

fn name(s: &MachineSide) -> String {
    s.machine
        .chip
        .clone()
        .unwrap_or_else(|| s.machine.cpu.clone())
}

fn describe(which: &str, s: &MachineSide) -> String {
    let id = s.run_id.map_or_else(|| "-".into(), |i| i.to_string());
    let bandwidth = match (s.bandwidth_gbps, &s.bandwidth_source) {
        (Some(g), Some(src)) => format!("{g} GB/s ({src})"),
        _ => "bandwidth unknown".into(),
    };
    format!(
        "{which}: run {id} on {} ({}, {}, {}), {}; {bandwidth}",
        name(s),
        benchbar_core::fmt::bytes(s.machine.memory_bytes as f64),
        s.machine.os,
        s.machine.arch,
        s.engine_version
    )
}

/// The comparison as a document.
pub fn layout(c: &MachineComparison) -> Document {
    let fmt = |m: &benchbar_core::machines::SideBySide, v: Option<f64>| match (v, m.per_gbps) {
        (None, _) => "-".to_string(),
        (Some(x), true) => format!("{x:.4}"),
        (Some(x), false) => m.metric.format(x),
    };
    doc(
        vec![
            format!(
                "Cross-machine comparison of {}: {} vs {} (side by side, no regression verdict)",
                c.model,
                name(&c.first),
                name(&c.second)
            ),
            describe("First", &c.first),
            describe("Second", &c.second),
        ],
        vec![section(
            None,
            strings(&["Test", "Batch", "Metric", "First", "Second", "Second/first"]),
            c.metrics
                .iter()
                .map(|m| {
                    let metric = if m.per_gbps {
                        "decode tok/s per GB/s".to_string()
                    } else {
                        m.metric.name().to_string()
                    };
                    vec![
                        m.test.clone(),
                        m.batch_size.to_string(),
                        metric,
                        fmt(m, m.first),
                        fmt(m, m.second),
                        m.ratio.map_or_else(|| "-".into(), |r| format!("{r:.3}x")),
                    ]
                })
                .collect(),
        )],
        c.unmatched_cells
            .iter()
            .map(|u| format!("not compared: {u}"))
            .collect(),
    )
}
