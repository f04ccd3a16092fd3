//! Context depth and cold/cached prompts in the performance report: the newest run's depth
//! sweep and prompt-cache pairs as sections, and charts of decode tok/s, TTFT and memory
//! against depth.

use benchbar_core::depth::{
    depth_lines, depth_notes, depth_table, prompt_cache_notes, prompt_cache_table, DepthLine,
};
use benchbar_core::document::Section;
use benchbar_core::report::RunReport;

use crate::charts::{ChartKind, ChartSpec, Series};
use crate::report::{section, time};

/// The depth sweep and the cold/cached prompts of the newest of these runs (newest first)
/// that has them.
pub(crate) fn depth_sections(runs: &[&RunReport]) -> Vec<Section> {
    let mut out = Vec::new();
    if let Some((r, table)) = runs
        .iter()
        .find_map(|r| depth_table(&r.cells).map(|t| (*r, t)))
    {
        let mut bullets = vec![format!(
            "Run {} ({}): decode tok/s, TTFT and memory against context depth; the charts against depth draw them",
            r.run_id.unwrap_or_default(),
            time(r.started_at)
        )];
        bullets.extend(depth_notes(&r.cells));
        out.push(section("Context depth".into(), 3, bullets, Some(table)));
    }
    if let Some((r, table)) = runs
        .iter()
        .find_map(|r| prompt_cache_table(&r.cells).map(|t| (*r, t)))
    {
        let mut bullets = vec![format!(
            "Run {} ({}): time to first token of the same prompt, cold and with its prefix cached",
            r.run_id.unwrap_or_default(),
            time(r.started_at)
        )];
        bullets.extend(prompt_cache_notes(&r.cells));
        out.push(section(
            "Cold and cached prompt".into(),
            3,
            bullets,
            Some(table),
        ));
    }
    out
}

/// Decode tok/s, TTFT and memory against depth of the newest run with depth cells: one
/// series per test and batch size (memory: MLX peak and KV cache).
pub(crate) fn depth_charts(runs: &[RunReport]) -> Vec<ChartSpec> {
    let Some(r) = runs
        .iter()
        .rev()
        .find(|r| r.cells.iter().any(|c| c.depth_tokens.is_some()))
    else {
        return Vec::new();
    };
    let lines = depth_lines(&r.cells);
    let series = |what: &str, f: &dyn Fn(&DepthLine) -> Option<f64>| -> Vec<Series> {
        let mut out: Vec<Series> = Vec::new();
        for l in &lines {
            let Some(y) = f(l) else { continue };
            let label = format!("{}@{}{what}", l.test, l.batch_size);
            let point = (f64::from(l.depth_tokens), y);
            match out.iter_mut().find(|s| s.label == label) {
                Some(s) => s.points.push(point),
                None => out.push(Series {
                    label,
                    points: vec![point],
                }),
            }
        }
        out
    };
    let run = r.run_id.unwrap_or_default();
    let chart = |file_stem, title: &str, y_desc: &str, s: Vec<Series>| ChartSpec {
        file_stem,
        title: format!("{title} (run {run})"),
        x_desc: "context depth, tokens".into(),
        y_desc: y_desc.into(),
        kind: ChartKind::Lines(s),
    };
    let mb = |b: f64| b / 1e6;
    let memory = series(" peak (MLX)", &|l| l.peak_memory_bytes.map(mb))
        .into_iter()
        .chain(series(" KV cache", &|l| {
            l.kv_cache_bytes.map(|b| mb(b as f64))
        }))
        .collect();
    vec![
        chart(
            "chart-depth-decode",
            "Decode tokens/s against context depth",
            "decode tok/s",
            series("", &|l| l.decode_tps),
        ),
        chart(
            "chart-depth-ttft",
            "Time to first token against context depth",
            "TTFT ms (p50)",
            series("", &|l| l.ttft_p50_ms),
        ),
        chart(
            "chart-depth-memory",
            "Memory against context depth",
            "MB",
            memory,
        ),
    ]
}
