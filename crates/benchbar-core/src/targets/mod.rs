//! The seed's target matrix, embedded as data (`data/targets.toml`), and model-row lookup.

mod grade;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};
pub use grade::{grade_row, grade_value, Direction, Grade, Mark, Measured};

const TARGETS_TOML: &str = include_str!("../../data/targets.toml");

/// A `[low, high]` range from the seed.
pub type Range = [f64; 2];

/// The seed's reference hardware.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Hardware {
    /// Chip name.
    pub name: String,
    /// CPU description.
    pub cpu: String,
    /// GPU description.
    pub gpu: String,
    /// Neural Engine description.
    pub neural_engine: String,
    /// Memory description.
    pub memory: String,
    /// Memory bandwidth, GB/s.
    pub memory_bandwidth_gbps: f64,
    /// Peak GPU FP16 throughput, TFLOPS.
    pub peak_gpu_tflops_fp16: f64,
}

/// A use-case target of a model row (e.g. "Document Classification: >1000 docs/minute").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "TargetUseCase")]
pub struct UseCase {
    /// Use case name.
    pub name: String,
    /// The seed's target, verbatim.
    pub target: String,
}

/// One model/quantization row of the matrix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ModelTargets {
    /// Row name, e.g. `Qwen3-1.7B-4bit`.
    pub name: String,
    /// Parameter size label, e.g. `1.7B`.
    pub size: String,
    /// Quantization label: `4bit`, `8bit` or `16bit`.
    pub quantization: String,
    /// Free-form note (e.g. "Fine-tuning").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Single-batch decode tokens/s.
    pub single_batch_tps: Range,
    /// Best-batch throughput tokens/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimal_batch_tps: Option<Range>,
    /// First-token latency, ms.
    pub first_token_ms: Range,
    /// Memory use, GB.
    pub memory_gb: Range,
    /// Power draw, W.
    pub power_w: Range,
    /// Throughput per batch size, tokens/s.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "batch_keys"
    )]
    pub batch_tps: BTreeMap<u32, Range>,
    /// Use-case targets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub use_cases: Vec<UseCase>,
}

/// TOML table keys are strings: parse `{ 1 = [..], 4 = [..] }` into batch sizes.
fn batch_keys<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<BTreeMap<u32, Range>, D::Error> {
    let raw = BTreeMap::<String, Range>::deserialize(d)?;
    raw.into_iter()
        .map(|(k, v)| {
            k.parse::<u32>()
                .map(|b| (b, v))
                .map_err(|_| serde::de::Error::custom(format!("batch size '{k}' is not a number")))
        })
        .collect()
}

/// Expected seconds for a scenario on one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ScenarioExpectation {
    /// Model row name.
    pub model: String,
    /// Expected seconds for the whole set.
    pub seconds: Range,
}

/// A scenario target by model size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ScenarioTarget {
    /// Size label (`7B`, `14B`) or `any`.
    pub size: String,
    /// Upper bound in seconds for the whole set.
    pub max_seconds: f64,
}

/// A real-world scenario of the seed (document classification, summarization, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Scenario {
    /// Scenario name.
    pub name: String,
    /// The item set, e.g. "1000 docs".
    pub items: String,
    /// Expected times per model.
    pub expected: Vec<ScenarioExpectation>,
    /// Targets per model size.
    pub target: Vec<ScenarioTarget>,
}

/// A RAG pipeline stage target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "TargetRagStage")]
pub struct RagStage {
    /// Stage name.
    pub stage: String,
    /// The seed's target, verbatim.
    pub target: String,
}

/// One entry of the 'Expected Performance Achievements' matrix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct AchievementEntry {
    /// Model (or model family) name.
    pub model: String,
    /// The seed's verdict.
    pub mark: Mark,
    /// The seed's comment.
    pub text: String,
}

/// One category of the 'Expected Performance Achievements' matrix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Achievement {
    /// Category, e.g. "Memory Constrained (< 16GB)".
    pub category: String,
    /// Entries per model.
    pub entries: Vec<AchievementEntry>,
}

/// The whole matrix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TargetMatrix {
    /// Reference hardware.
    pub hardware: Hardware,
    /// Model rows.
    #[serde(rename = "model")]
    pub models: Vec<ModelTargets>,
    /// Real-world scenarios.
    #[serde(rename = "scenario")]
    pub scenarios: Vec<Scenario>,
    /// RAG pipeline targets.
    pub rag: Vec<RagStage>,
    /// Expected performance achievements.
    #[serde(rename = "achievement")]
    pub achievements: Vec<Achievement>,
}

impl TargetMatrix {
    /// The embedded seed matrix (validated by tests).
    pub fn seed() -> TargetMatrix {
        TargetMatrix::parse(TARGETS_TOML).expect("embedded targets.toml is validated by tests")
    }

    /// Parses a matrix file.
    pub fn parse(text: &str) -> Result<TargetMatrix> {
        toml::from_str(text).map_err(|e| Error::EmbeddedData(format!("targets: {e}")))
    }

    /// Finds a row by exact name (case-insensitive).
    pub fn row(&self, name: &str) -> Option<&ModelTargets> {
        self.models
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(name))
    }

    /// Finds the row for a model id or path such as `mlx-community/Qwen3-1.7B-4bit`.
    /// Qwen3-8B maps to the seed's 7B rows (the seed names a 7B model; Qwen3 ships 8B);
    /// bf16/fp16 map to `16bit`. Returns None for models the seed has no row for.
    pub fn row_for_model(&self, model_id: &str) -> Option<&ModelTargets> {
        let (size, quant) = parse_model_name(model_id)?;
        self.models
            .iter()
            .find(|m| m.size == size && m.quantization == quant)
    }
}

/// Extracts (size label, quantization label) from a Qwen3 model id or path.
pub fn parse_model_name(model_id: &str) -> Option<(String, String)> {
    let last = model_id.rsplit(['/', '\\']).find(|s| !s.is_empty())?;
    let lower = last.to_ascii_lowercase();
    if !lower.contains("qwen3") {
        return None;
    }
    let parts: Vec<&str> = lower.split(['-', '_']).collect();
    let size = parts.iter().find_map(|p| match *p {
        "1.7b" => Some("1.7B"),
        "7b" | "8b" => Some("7B"),
        "14b" => Some("14B"),
        _ => None,
    })?;
    let quant = parts.iter().find_map(|p| match *p {
        "4bit" | "q4" => Some("4bit"),
        "8bit" | "q8" => Some("8bit"),
        "bf16" | "fp16" | "f16" | "16bit" => Some("16bit"),
        _ => None,
    })?;
    Some((size.to_string(), quant.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_matrix_has_every_seed_row() {
        let m = TargetMatrix::parse(TARGETS_TOML).unwrap();
        let names: Vec<&str> = m.models.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Qwen3-1.7B-4bit",
                "Qwen3-1.7B-8bit",
                "Qwen3-7B-4bit",
                "Qwen3-7B-8bit",
                "Qwen3-14B-8bit",
                "Qwen3-14B-16bit"
            ]
        );
        let r = m.row("Qwen3-1.7B-4bit").unwrap();
        assert_eq!(r.single_batch_tps, [80.0, 120.0]);
        assert_eq!(r.batch_tps[&16], [400.0, 500.0]);
        assert_eq!(m.row("Qwen3-14B-8bit").unwrap().batch_tps.len(), 3);
        assert_eq!(m.row("Qwen3-14B-16bit").unwrap().optimal_batch_tps, None);
        assert_eq!(m.scenarios.len(), 4);
        assert_eq!(m.rag.len(), 5);
        assert_eq!(m.achievements.len(), 4);
        assert_eq!(m.hardware.memory_bandwidth_gbps, 400.0);
    }

    #[test]
    fn model_ids_map_to_rows() {
        let m = TargetMatrix::seed();
        let name = |id: &str| m.row_for_model(id).map(|r| r.name.clone());
        assert_eq!(
            name("mlx-community/Qwen3-1.7B-4bit").as_deref(),
            Some("Qwen3-1.7B-4bit")
        );
        assert_eq!(
            name("/models/Qwen3-8B-8bit/").as_deref(),
            Some("Qwen3-7B-8bit")
        );
        assert_eq!(name("Qwen3-14B-bf16").as_deref(), Some("Qwen3-14B-16bit"));
        assert_eq!(name("mlx-community/Qwen3-0.6B-4bit"), None);
        assert_eq!(name("builtin:tiny"), None);
        assert_eq!(name("Llama-3-8B-4bit"), None);
    }
}
