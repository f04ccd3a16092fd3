//! Exporters, one file per format. Every document is first laid out as plain [`tabular`]
//! sections (what is shown), then rendered by the table, Markdown or CSV writer; JSON
//! serialises the documents themselves.

pub mod csv;
pub mod json;
pub mod md;
pub mod table;
pub mod tabular;

use benchbar_core::regression::Comparison;
use benchbar_core::report::RunReport;
use benchbar_core::targets::TargetMatrix;
use serde::{Deserialize, Serialize};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Aligned text table.
    Table,
    /// JSON (the report contract).
    Json,
    /// CSV.
    Csv,
    /// Markdown.
    Md,
}

impl std::str::FromStr for Format {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Format> {
        match s {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "md" | "markdown" => Ok(Format::Md),
            other => Err(crate::Error::Invalid(format!(
                "unknown format '{other}' (expected table, json, csv or md)"
            ))),
        }
    }
}

/// One line of `benchbar history`.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryLine {
    /// The stored run.
    #[serde(flatten)]
    pub row: benchbar_store::RunRow,
    /// Mean decode tokens/s of the run's first cell.
    pub decode_tps: Option<f64>,
    /// Mean TTFT of the run's first cell, ms.
    pub ttft_ms: Option<f64>,
    /// Largest MLX peak memory over the run's cells, bytes.
    pub peak_memory_bytes: Option<f64>,
    /// Mean joules per generated token over the run's cells, when power was measured.
    pub joules_per_token: Option<f64>,
    /// Regressions recorded with the run.
    pub regressions: usize,
}

/// One baseline of `benchbar baseline show`.
#[derive(Clone, Debug, Serialize)]
pub struct BaselineLine {
    /// The configuration key.
    pub run_key: String,
    /// The baseline run.
    pub run_id: i64,
    /// When it was set.
    pub set_at: String,
}

/// A document to export.
pub enum Doc<'a> {
    /// A run report.
    Run(&'a RunReport),
    /// The history listing.
    History(&'a [HistoryLine]),
    /// A comparison of two runs.
    Comparison(&'a Comparison),
    /// The target matrix, optionally with a graded run.
    Targets(&'a TargetMatrix, Option<&'a RunReport>),
    /// The baselines.
    Baselines(&'a [BaselineLine]),
}

/// Renders a document in a format.
pub fn render(doc: &Doc<'_>, format: Format) -> String {
    match format {
        Format::Json => json::render(doc),
        Format::Csv => csv::render(doc),
        Format::Table => table::render(&tabular::layout(doc)),
        Format::Md => md::render(&tabular::layout(doc)),
    }
}

#[cfg(test)]
mod tests;
