//! The five scenarios, their seed names and their targets.

use std::fmt;
use std::str::FromStr;

use benchbar_core::targets::TargetMatrix;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A use-case scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ScenarioKind {
    /// Document classification into a fixed label set (1000 short docs).
    Classification,
    /// Document summarization (100 longer docs).
    Summarization,
    /// Structured extraction into a JSON schema (500 semi-structured docs).
    Extraction,
    /// Python code generation from function specifications (50 specs).
    Codegen,
    /// Retrieval-augmented generation over a 1000-chunk knowledge base.
    Rag,
}

impl ScenarioKind {
    /// All five, in the seed's order.
    pub const ALL: [ScenarioKind; 5] = [
        ScenarioKind::Classification,
        ScenarioKind::Summarization,
        ScenarioKind::Extraction,
        ScenarioKind::Codegen,
        ScenarioKind::Rag,
    ];

    /// The command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioKind::Classification => "classification",
            ScenarioKind::Summarization => "summarization",
            ScenarioKind::Extraction => "extraction",
            ScenarioKind::Codegen => "codegen",
            ScenarioKind::Rag => "rag",
        }
    }

    /// The seed's name of the scenario (as in `targets.toml`).
    pub fn seed_name(self) -> &'static str {
        match self {
            ScenarioKind::Classification => "Document Classification",
            ScenarioKind::Summarization => "Document Summarization",
            ScenarioKind::Extraction => "Structured Data Extraction",
            ScenarioKind::Codegen => "Code Generation",
            ScenarioKind::Rag => "RAG Pipeline",
        }
    }

    /// Suite name of its runs in the history (`scenario:<name>`).
    pub fn suite(self) -> String {
        format!(
            "{}{}",
            benchbar_store::scenarios::SCENARIO_SUITE_PREFIX,
            self.as_str()
        )
    }
}

impl fmt::Display for ScenarioKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ScenarioKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        ScenarioKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::UnknownScenario(s.to_string()))
    }
}

/// What `benchbar scenario --list` and the app show for a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ScenarioInfo {
    /// Command-line name.
    pub name: ScenarioKind,
    /// The seed's name.
    pub title: String,
    /// What runs and how outputs are checked.
    pub description: String,
    /// Items in the generated set (questions for RAG).
    pub items: usize,
    /// What an item is ("docs", "functions", "queries").
    pub item_unit: String,
    /// The seed's targets, verbatim with their model size, e.g. "7B: < 300 s for 100 docs".
    pub seed_targets: Vec<String>,
    /// The seed's expected times per model, e.g. "Qwen3-7B-8bit: 180-240 s".
    pub seed_expected: Vec<String>,
}

/// The five scenarios with their seed targets.
pub fn list() -> Vec<ScenarioInfo> {
    let matrix = TargetMatrix::seed();
    ScenarioKind::ALL
        .into_iter()
        .map(|kind| {
            let corpus = crate::Corpus::generated(kind);
            let (seed_targets, seed_expected) = match kind {
                ScenarioKind::Rag => (
                    matrix
                        .rag
                        .iter()
                        .map(|s| format!("{}: {}", s.stage, s.target))
                        .collect(),
                    Vec::new(),
                ),
                _ => match matrix.scenarios.iter().find(|s| s.name == kind.seed_name()) {
                    Some(s) => (
                        s.target
                            .iter()
                            .map(|t| format!("{}: < {} s for {}", t.size, t.max_seconds, s.items))
                            .collect(),
                        s.expected
                            .iter()
                            .map(|e| format!("{}: {}-{} s", e.model, e.seconds[0], e.seconds[1]))
                            .collect(),
                    ),
                    None => (Vec::new(), Vec::new()),
                },
            };
            ScenarioInfo {
                name: kind,
                title: kind.seed_name().into(),
                description: description(kind).into(),
                items: corpus.items.len(),
                item_unit: item_unit(kind).into(),
                seed_targets,
                seed_expected,
            }
        })
        .collect()
}

/// What the scenario does and checks.
fn description(kind: ScenarioKind) -> &'static str {
    match kind {
        ScenarioKind::Classification => {
            "short documents into one of 8 topic labels; the answer must parse to exactly one label (accuracy vs the generated label beside it)"
        }
        ScenarioKind::Summarization => {
            "multi-paragraph reports summarised in 2-3 sentences; the summary must be non-empty, under half the document's length and share 3+ content words with it"
        }
        ScenarioKind::Extraction => {
            "specifications, contracts and financial reports into a JSON schema; the output must parse as JSON and validate against the schema"
        }
        ScenarioKind::Codegen => {
            "Python functions from specifications; the output must parse as Python (ast.parse in a python3 subprocess) and define the requested function"
        }
        ScenarioKind::Rag => {
            "1000-chunk knowledge base embedded (Qwen3 hidden-state mean pooling), exact cosine search, context assembly, answer generation; per-stage timings and end-to-end latency per simple/complex query"
        }
    }
}

/// The unit of one item.
pub(crate) fn item_unit(kind: ScenarioKind) -> &'static str {
    match kind {
        ScenarioKind::Codegen => "functions",
        ScenarioKind::Rag => "queries",
        _ => "docs",
    }
}
