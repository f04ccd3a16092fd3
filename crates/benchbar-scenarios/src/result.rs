//! What a scenario run produces (serialised into the history and to the app).

use benchbar_core::report::{EngineInfo, ModelRef, RunPower};
use benchbar_core::stats::Stats;
use serde::{Deserialize, Serialize};

use crate::{RagResult, ScenarioKind, TargetGrade};

/// Longest output text kept per item in a result.
pub const OUTPUT_KEEP_CHARS: usize = 400;

/// A validity rate computed from the outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CheckRate {
    /// Short name, e.g. `valid_label`, `schema_valid`, `python_syntax`.
    pub name: String,
    /// What passing means.
    pub description: String,
    /// Outputs that passed.
    pub passed: usize,
    /// Outputs checked.
    pub checked: usize,
    /// passed / checked; None when nothing could be checked.
    pub rate: Option<f64>,
    /// Why the check could not run (e.g. no Python); None when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

impl CheckRate {
    /// A rate over `verdicts`.
    pub fn from_verdicts(name: &str, description: &str, verdicts: &[bool]) -> CheckRate {
        let passed = verdicts.iter().filter(|v| **v).count();
        CheckRate {
            name: name.into(),
            description: description.into(),
            passed,
            checked: verdicts.len(),
            rate: (!verdicts.is_empty()).then(|| passed as f64 / verdicts.len() as f64),
            unavailable: None,
        }
    }

    /// A check that could not run, with the reason.
    pub fn unavailable(name: &str, description: &str, reason: String) -> CheckRate {
        CheckRate {
            name: name.into(),
            description: description.into(),
            passed: 0,
            checked: 0,
            rate: None,
            unavailable: Some(reason),
        }
    }
}

/// One item as run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ItemRecord {
    /// Item id.
    pub id: String,
    /// From its batch's start to its last token (to the batch's end when it produced none), ms.
    pub latency_ms: f64,
    /// Prompt tokens (the engine's count).
    pub prompt_tokens: u32,
    /// Generated tokens.
    pub generated_tokens: u32,
    /// Whether it passed the scenario's main check.
    pub passed: Option<bool>,
    /// The generated text (first [`OUTPUT_KEEP_CHARS`] characters).
    pub output: String,
}

/// The result of one scenario run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ScenarioResult {
    /// Which scenario.
    pub scenario: ScenarioKind,
    /// The model.
    pub model: ModelRef,
    /// The engine.
    pub engine: EngineInfo,
    /// Items in the full set.
    pub items_total: usize,
    /// Items run (less than `items_total` with `--limit`).
    pub items_run: usize,
    /// Prompts generated together per batch.
    pub batch_size: u32,
    /// Token budget per item.
    pub max_tokens: u32,
    /// Seconds for the items run (generation; for RAG the whole pipeline).
    pub wall_s: f64,
    /// Items per minute over `wall_s`.
    pub items_per_minute: f64,
    /// Seconds the full set takes at the measured rate (= `wall_s` when all items ran).
    pub full_set_s: f64,
    /// Per-item latency statistics, ms.
    pub latency_ms: Option<Stats>,
    /// Prompt tokens, all items.
    pub prompt_tokens: u64,
    /// Generated tokens, all items.
    pub generated_tokens: u64,
    /// Generated tokens per second over `wall_s`.
    pub generated_tps: Option<f64>,
    /// Energy over the run, J (None when no energy source was usable or power was off).
    pub energy_j: Option<f64>,
    /// Energy per item, J.
    pub energy_per_item_j: Option<f64>,
    /// Validity rates.
    pub checks: Vec<CheckRate>,
    /// The seed target and the grade.
    pub target: Option<TargetGrade>,
    /// RAG stages and queries (RAG only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rag: Option<RagResult>,
    /// Per-item records.
    pub items: Vec<ItemRecord>,
    /// Notes for the reader.
    pub warnings: Vec<String>,
    /// Run-level power context (None when power was not sampled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<RunPower>,
}

/// The first `n` characters of `s`.
pub(crate) fn keep(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
