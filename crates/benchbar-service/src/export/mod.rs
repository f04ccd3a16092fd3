//! The documents of the CLI and the app: [`layout`] and [`targets`] say what each shows
//! (in `benchbar_core::document`'s model), [`data`] adds what JSON and CSV write (the report
//! contract; a run's long table of raw numbers), and `benchbar_core::document` renders every
//! format.

pub mod data;
pub mod layout;
mod machines;
pub mod targets;

use benchbar_core::document::{self, Document};
use benchbar_core::regression::Comparison;
use benchbar_core::report::RunReport;
use benchbar_core::targets::TargetMatrix;
use serde::{Deserialize, Serialize};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
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
    /// A self-contained HTML page.
    Html,
}

impl Format {
    /// Renders a document in this format.
    pub fn render(self, d: &Document) -> String {
        match self {
            Format::Table => document::text::render(d),
            Format::Json => document::json::render(d),
            Format::Csv => document::csv::render(d),
            Format::Md => document::markdown::render(d),
            Format::Html => document::html::render(d),
        }
    }
}

impl std::str::FromStr for Format {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Format> {
        match s {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "md" | "markdown" => Ok(Format::Md),
            "html" => Ok(Format::Html),
            other => Err(crate::Error::Invalid(format!(
                "unknown format '{other}' (expected table, json, csv, md or html)"
            ))),
        }
    }
}

/// One line of `benchbar history`.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
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
    /// How close its single-request decode came to the memory-bandwidth roofline, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub roofline: Option<benchbar_core::bandwidth::Roofline>,
    /// A concurrency sweep's levels (`--concurrency`), absent for a run without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub levels: Option<Vec<benchbar_core::load::LevelLine>>,
    /// A depth sweep's depths (`--depth`, the `long-context` suite), absent for a run without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub depths: Option<Vec<benchbar_core::depth::DepthLine>>,
    /// Cold against cached prompts (`--cached-prefix`), absent for a run without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub prompt_cache: Option<Vec<benchbar_core::depth::PromptCacheLine>>,
}

/// One baseline of `benchbar baseline show`.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
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
    /// A comparison of two runs of one machine.
    Comparison(&'a Comparison),
    /// Two runs of one model on different machines side by side.
    MachineComparison(&'a benchbar_core::machines::MachineComparison),
    /// The target matrix, optionally with a graded run.
    Targets(&'a TargetMatrix, Option<&'a RunReport>),
    /// The baselines.
    Baselines(&'a [BaselineLine]),
}

/// A document with its data: what it shows, what JSON writes, what CSV writes.
pub fn document(doc: &Doc<'_>) -> Document {
    let mut d = layout::layout(doc);
    d.data = Some(data::json(doc));
    d.data_table = data::csv_table(doc);
    d
}

/// Renders a document in a format.
pub fn render(doc: &Doc<'_>, format: Format) -> String {
    format.render(&document(doc))
}

#[cfg(test)]
mod tests;
