//! BenchBar performance reports and charts (issue #8).
//!
//! * [`report`]: the report's content from one run or a window of runs — hardware,
//!   single-inference summary, batch performance (best throughput, optimal batch size),
//!   latency consistency (mean, SD, p95/p99 only where the sample count allows), memory
//!   stress, target grades, regressions, energy per token and the memory-bandwidth roofline;
//! * the content is a `benchbar_core::document::Document`, rendered as Markdown and as a
//!   self-contained HTML page by that module's renderers (shared with every other output);
//! * [`charts`]: response time and memory over time, their distributions and the decode
//!   tok/s trend per model, as PNG and SVG;
//!
//! [`write_report`] does all of it into a folder; the CLI's `benchbar report` and the app call it.

pub mod analysis;
pub mod charts;
mod depth;
pub mod fmt;
pub mod report;

use std::path::{Path, PathBuf};

use benchbar_core::document::{html, markdown};

pub use report::{build, ReportInput, Scope};

/// Errors of report writing; each renders as one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad option value.
    #[error("{0}")]
    Invalid(String),
    /// The output folder or a file in it could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A chart could not be drawn.
    #[error("chart {0}")]
    Chart(String),
}

/// Result alias for the report crate.
pub type Result<T> = std::result::Result<T, Error>;

/// The files written by [`write_report`].
#[derive(Clone, Debug, PartialEq)]
pub struct Written {
    /// `report.md`.
    pub markdown: PathBuf,
    /// `report.html` (self-contained: charts inline as SVG).
    pub html: PathBuf,
    /// Each chart's PNG and SVG.
    pub charts: Vec<PathBuf>,
}

/// Creates `dir` if needed and checks that a file can be written in it.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    let write_err = |path: &Path, source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
    let probe = dir.join(".benchbar-write-check");
    std::fs::write(&probe, b"").map_err(|e| write_err(dir, e))?;
    std::fs::remove_file(&probe).map_err(|e| write_err(&probe, e))
}

/// Writes `report.md`, `report.html` and the charts (`chart-*.png`, `chart-*.svg`) into
/// `dir`, creating it if needed.
pub fn write_report(input: &ReportInput<'_>, dir: &Path) -> Result<Written> {
    prepare_dir(dir)?;
    let specs = charts::chart_specs(input.runs);
    let mut doc = report::build(input);
    doc.charts = charts::write_charts(&specs, dir)?;
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| Error::Write {
            path: path.clone(),
            source: e,
        })?;
        Ok::<PathBuf, Error>(path)
    };
    let markdown = write("report.md", markdown::render(&doc))?;
    let html = write("report.html", html::render(&doc))?;
    let charts = specs
        .iter()
        .flat_map(|s| ["png", "svg"].map(|x| dir.join(format!("{}.{x}", s.file_stem))))
        .collect();
    Ok(Written {
        markdown,
        html,
        charts,
    })
}
