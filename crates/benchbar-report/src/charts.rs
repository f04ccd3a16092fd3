//! Charts of a run or a window of runs, as PNG and SVG (plotters): response time and memory
//! over time, response-time and memory distributions, decode tok/s trend per model, and a
//! concurrency sweep's throughput against latency.
//!
//! The data ([`chart_specs`]) serialises, for an app that draws the same charts itself.
//! Over one run, "time" is the trial sequence; over a window, each run is one point at its
//! start time. Text is drawn with the bundled Open Sans (Apache-2.0, `assets/`), so charts
//! render the same on a bare CI machine and on a Mac.

use std::path::Path;
use std::sync::Once;

use benchbar_core::report::RunReport;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Serialize;

use crate::analysis::{e2e_samples_ms, is_single_request};
use crate::{Error, Result};
use benchbar_core::document::ChartRef;

/// Chart size in pixels.
pub const CHART_SIZE_PX: (u32, u32) = (900, 450);
const FONT: &str = "sans-serif";
const COLORS: [RGBColor; 5] = [
    RGBColor(0, 113, 227),
    RGBColor(215, 58, 73),
    RGBColor(40, 167, 69),
    RGBColor(255, 149, 0),
    RGBColor(111, 66, 193),
];

/// A named line of points.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// (x, y) points in x order.
    pub points: Vec<(f64, f64)>,
}

/// One histogram bar: values in `[lo, hi)` (the last bar includes `hi`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct Bin {
    /// Lower edge.
    pub lo: f64,
    /// Upper edge.
    pub hi: f64,
    /// Values in the bin.
    pub count: usize,
}

/// What a chart draws.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub enum ChartKind {
    /// Lines with markers.
    Lines(Vec<Series>),
    /// A histogram.
    Histogram(Vec<Bin>),
}

/// A chart to draw.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct ChartSpec {
    /// File name without extension (`chart-decode-trend`).
    pub file_stem: &'static str,
    /// Caption.
    pub title: String,
    /// X axis label.
    pub x_desc: String,
    /// Y axis label.
    pub y_desc: String,
    /// The data.
    pub kind: ChartKind,
}

/// Equal-width bins over the values (Sturges' rule: ⌈log2 n⌉ + 1 bins, at most 20).
pub fn histogram(values: &[f64]) -> Vec<Bin> {
    let xs: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let (Some(lo), Some(hi)) = (
        xs.iter().copied().reduce(f64::min),
        xs.iter().copied().reduce(f64::max),
    ) else {
        return Vec::new();
    };
    let n_bins = ((xs.len() as f64).log2().ceil() as usize + 1).clamp(1, 20);
    let (lo, hi) = if hi > lo { (lo, hi) } else { padded(lo, hi) };
    let width = (hi - lo) / n_bins as f64;
    let mut bins: Vec<Bin> = (0..n_bins)
        .map(|i| Bin {
            lo: lo + width * i as f64,
            hi: lo + width * (i + 1) as f64,
            count: 0,
        })
        .collect();
    for x in xs {
        let i = (((x - lo) / width) as usize).min(n_bins - 1);
        bins[i].count += 1;
    }
    bins
}

/// A range around `[lo, hi]` with some room (a flat range gets ±5%, or ±1 around zero).
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo {
        let pad = (hi - lo) * 0.08;
        (lo - pad, hi + pad)
    } else {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.05 };
        (lo - pad, hi + pad)
    }
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// Per-trial values of the batch-1 generation cells of a run, in run order.
fn trial_values(
    r: &RunReport,
    f: fn(&benchbar_core::metrics::TrialMetrics) -> Option<f64>,
) -> Vec<f64> {
    r.cells
        .iter()
        .filter(|c| is_single_request(c))
        .flat_map(|c| c.trials.iter())
        .filter(|t| t.metrics.error.is_none())
        .filter_map(|t| f(&t.metrics))
        .collect()
}

/// One series per model: per trial over one run, per run (mean) over a window.
fn over_time(
    runs: &[RunReport],
    f: fn(&benchbar_core::metrics::TrialMetrics) -> Option<f64>,
) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    let start = runs.first().map(|r| r.started_at);
    for r in runs {
        let values = trial_values(r, f);
        let points: Vec<(f64, f64)> = if runs.len() == 1 {
            values
                .iter()
                .enumerate()
                .map(|(i, v)| ((i + 1) as f64, *v))
                .collect()
        } else {
            let minutes = start.map_or(0.0, |s| (r.started_at - s).num_seconds() as f64 / 60.0);
            mean(&values).map(|m| (minutes, m)).into_iter().collect()
        };
        match out.iter_mut().find(|s| s.label == r.model.id) {
            Some(s) => s.points.extend(points),
            None => out.push(Series {
                label: r.model.id.clone(),
                points,
            }),
        }
    }
    out.retain(|s| !s.points.is_empty());
    out
}

/// The charts of a run (one element) or a window of runs (oldest first); charts without data
/// are left out.
pub fn chart_specs(runs: &[RunReport]) -> Vec<ChartSpec> {
    let x_desc = match runs {
        [_] => "trial (batch-1 cells, run order)".to_string(),
        [first, ..] => format!(
            "minutes since {}",
            first.started_at.format("%Y-%m-%d %H:%M UTC")
        ),
        [] => return Vec::new(),
    };
    let lines = |file_stem, title: &str, y_desc: &str, series: Vec<Series>| ChartSpec {
        file_stem,
        title: title.into(),
        x_desc: x_desc.clone(),
        y_desc: y_desc.into(),
        kind: ChartKind::Lines(series),
    };
    let e2e: Vec<f64> = runs
        .iter()
        .flat_map(|r| r.cells.iter().filter(|c| is_single_request(c)))
        .flat_map(e2e_samples_ms)
        .collect();
    let mem_mb: Vec<f64> = runs
        .iter()
        .flat_map(|r| r.cells.iter().flat_map(|c| c.trials.iter()))
        .filter_map(|t| t.metrics.peak_memory_bytes.map(|b| b as f64 / 1e6))
        .collect();
    let hist = |file_stem, title: &str, x: &str, values: &[f64]| ChartSpec {
        file_stem,
        title: title.into(),
        x_desc: x.into(),
        y_desc: "count".into(),
        kind: ChartKind::Histogram(histogram(values)),
    };
    let specs = vec![
        lines(
            "chart-response-time",
            "Response time over time",
            "end-to-end ms",
            over_time(runs, |m| m.e2e_ms),
        ),
        lines(
            "chart-memory",
            "Memory over time",
            "peak memory (MLX), MB",
            over_time(runs, |m| m.peak_memory_bytes.map(|b| b as f64 / 1e6)),
        ),
        hist(
            "chart-response-time-distribution",
            "Response time distribution",
            "end-to-end ms per request (batch-1 cells)",
            &e2e,
        ),
        hist(
            "chart-memory-distribution",
            "Memory distribution",
            "peak memory (MLX) per trial, MB",
            &mem_mb,
        ),
        lines(
            "chart-decode-trend",
            "Decode tokens/s per model",
            "decode tok/s",
            over_time(runs, |m| m.decode_tps),
        ),
    ];
    specs
        .into_iter()
        .chain(sweep_chart(runs))
        .chain(crate::depth::depth_charts(runs))
        .filter(|s| match &s.kind {
            ChartKind::Lines(series) => !series.is_empty(),
            ChartKind::Histogram(bins) => !bins.is_empty(),
        })
        .collect()
}

/// Throughput against latency of the newest run with a concurrency sweep: per test, output
/// tok/s (x) against TTFT p50 and E2E p50 (y), one point per level.
fn sweep_chart(runs: &[RunReport]) -> Option<ChartSpec> {
    let r = runs
        .iter()
        .rev()
        .find(|r| r.cells.iter().any(|c| c.load.is_some()))?;
    let mut series: Vec<Series> = Vec::new();
    for c in &r.cells {
        let Some(l) = &c.load else { continue };
        let Some(x) = l.output_tps else { continue };
        for (what, stats) in [
            ("TTFT p50", &c.summary.ttft_ms),
            ("E2E p50", &c.summary.e2e_ms),
        ] {
            let Some(y) = stats.as_ref().and_then(|s| s.p50) else {
                continue;
            };
            let label = format!("{} {what}", c.test);
            match series.iter_mut().find(|s| s.label == label) {
                Some(s) => s.points.push((x, y)),
                None => series.push(Series {
                    label,
                    points: vec![(x, y)],
                }),
            }
        }
    }
    Some(ChartSpec {
        file_stem: "chart-concurrency",
        title: format!(
            "Throughput against latency (run {}, one point per concurrency level)",
            r.run_id.unwrap_or_default()
        ),
        x_desc: "output tok/s".into(),
        y_desc: "latency ms (p50)".into(),
        kind: ChartKind::Lines(series),
    })
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../assets/OpenSans-Regular.ttf");
        // The bundled file is a valid TrueType font; a failure would only lose the text.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, bytes);
    });
}

fn bounds(xs: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let lo = xs.clone().reduce(f64::min).unwrap_or(0.0);
    let hi = xs.reduce(f64::max).unwrap_or(1.0);
    padded(lo, hi)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &ChartSpec,
) -> std::result::Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (x_range, y_range) = match &spec.kind {
        ChartKind::Lines(series) => {
            let pts = series.iter().flat_map(|s| s.points.iter());
            (bounds(pts.clone().map(|p| p.0)), bounds(pts.map(|p| p.1)))
        }
        ChartKind::Histogram(bins) => {
            let top = bins.iter().map(|b| b.count).max().unwrap_or(1) as f64;
            let lo = bins.first().map_or(0.0, |b| b.lo);
            let hi = bins.last().map_or(1.0, |b| b.hi);
            ((lo, hi), (0.0, top * 1.1))
        }
    };
    let mut chart = ChartBuilder::on(root)
        .caption(&spec.title, (FONT, 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(spec.x_desc.as_str())
        .y_desc(spec.y_desc.as_str())
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .light_line_style(RGBColor(244, 244, 247))
        .draw()
        .map_err(e)?;
    match &spec.kind {
        ChartKind::Lines(series) => {
            for (i, s) in series.iter().enumerate() {
                let color = COLORS[i % COLORS.len()];
                chart
                    .draw_series(LineSeries::new(
                        s.points.iter().copied(),
                        color.stroke_width(2),
                    ))
                    .map_err(e)?
                    .label(s.label.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                    });
                chart
                    .draw_series(s.points.iter().map(|p| Circle::new(*p, 3, color.filled())))
                    .map_err(e)?;
            }
            chart
                .configure_series_labels()
                .label_font((FONT, 14))
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(200, 200, 205))
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(e)?;
        }
        ChartKind::Histogram(bins) => {
            chart
                .draw_series(bins.iter().map(|b| {
                    // A small gap between bars so each bin reads as one.
                    let gap = (b.hi - b.lo) * 0.04;
                    Rectangle::new(
                        [(b.lo + gap, 0.0), (b.hi - gap, b.count as f64)],
                        COLORS[0].filled(),
                    )
                }))
                .map_err(e)?;
        }
    }
    root.present().map_err(e)
}

/// Draws each chart as `<stem>.png` and `<stem>.svg` in `dir` and returns them for the report.
pub fn write_charts(specs: &[ChartSpec], dir: &Path) -> Result<Vec<ChartRef>> {
    register_font();
    let mut out = Vec::with_capacity(specs.len());
    for spec in specs {
        let png = dir.join(format!("{}.png", spec.file_stem));
        {
            let root = BitMapBackend::new(&png, CHART_SIZE_PX).into_drawing_area();
            draw(&root, spec).map_err(|m| Error::Chart(format!("{}: {m}", png.display())))?;
        }
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, CHART_SIZE_PX).into_drawing_area();
            draw(&root, spec).map_err(|m| Error::Chart(format!("{}.svg: {m}", spec.file_stem)))?;
        }
        let svg_path = dir.join(format!("{}.svg", spec.file_stem));
        std::fs::write(&svg_path, &svg).map_err(|e| Error::Write {
            path: svg_path,
            source: e,
        })?;
        out.push(ChartRef {
            title: spec.title.clone(),
            png_file: format!("{}.png", spec.file_stem),
            svg,
        });
    }
    Ok(out)
}
