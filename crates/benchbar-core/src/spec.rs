//! What to run: suite names, the user's run spec, and the expanded cell plan.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::suite::{Suite, TestDef};
use crate::{Error, Result};

/// The three suites of the seed specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuiteName {
    /// One short prompt, batch 1, 5 reps: under a minute on a real model.
    Quick,
    /// One prompt per category, the batch tests and the latency consistency test.
    Standard,
    /// Everything the seed lists.
    Full,
}

impl SuiteName {
    /// The lowercase name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SuiteName::Quick => "quick",
            SuiteName::Standard => "standard",
            SuiteName::Full => "full",
        }
    }
}

impl fmt::Display for SuiteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SuiteName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "quick" => Ok(SuiteName::Quick),
            "standard" => Ok(SuiteName::Standard),
            "full" => Ok(SuiteName::Full),
            other => Err(Error::UnknownSuite(other.to_string())),
        }
    }
}

/// The seed's test categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Short generation prompts.
    Short,
    /// Medium generation prompts.
    Medium,
    /// Long generation prompts.
    Long,
    /// Code generation prompts.
    Code,
    /// Structured extraction prompts (with their sample documents).
    StructuredExtraction,
    /// The memory stress test (long repeated prompts).
    MemoryStress,
    /// The latency consistency test (one prompt, many iterations).
    LatencyConsistency,
    /// Synthetic prompts of a given token length (`-p N`).
    Synthetic,
}

impl Category {
    /// The snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Short => "short",
            Category::Medium => "medium",
            Category::Long => "long",
            Category::Code => "code",
            Category::StructuredExtraction => "structured_extraction",
            Category::MemoryStress => "memory_stress",
            Category::LatencyConsistency => "latency_consistency",
            Category::Synthetic => "synthetic",
        }
    }
}

/// Where a cell's prompt comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PromptSpec {
    /// A chat prompt given as text (the seed's prompts).
    Text {
        /// The user message.
        text: String,
    },
    /// Random in-vocabulary token ids of exactly this length, fresh per trial.
    Synthetic {
        /// Prompt length in tokens.
        tokens: u32,
    },
}

/// What the user asked for: `benchbar run` flags, or the app's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Model reference (path, repo id, or `builtin:tiny`).
    pub model: String,
    /// Engine name (e.g. `mlx`, `openai`).
    pub engine: String,
    /// Which suite to run.
    pub suite: SuiteName,
    /// `-p N`: replace the seed's text prompts by synthetic prompts of N tokens.
    pub prompt_tokens: Option<u32>,
    /// `-n N`: generate exactly N tokens per request in every test.
    pub gen_tokens: Option<u32>,
    /// `-b 1,4,8`: batch sizes to run each selected prompt at.
    pub batch_sizes: Option<Vec<u32>>,
    /// `-r N`: measured repetitions per cell.
    pub reps: Option<u32>,
    /// `--warmup N`: discarded runs before the measured ones.
    pub warmup: Option<u32>,
}

/// Largest batch size the engines support.
pub const MAX_BATCH_SIZE: u32 = 64;

impl RunSpec {
    /// A spec with the suite's defaults for everything but model, engine and suite.
    pub fn new(model: impl Into<String>, engine: impl Into<String>, suite: SuiteName) -> Self {
        RunSpec {
            model: model.into(),
            engine: engine.into(),
            suite,
            prompt_tokens: None,
            gen_tokens: None,
            batch_sizes: None,
            reps: None,
            warmup: None,
        }
    }

    /// Rejects values that cannot produce a measurement.
    pub fn validate(&self) -> Result<()> {
        if let Some(bs) = &self.batch_sizes {
            if bs.is_empty() {
                return Err(Error::InvalidSpec("batch size list is empty".into()));
            }
            if let Some(b) = bs.iter().find(|b| **b == 0 || **b > MAX_BATCH_SIZE) {
                return Err(Error::InvalidSpec(format!(
                    "batch size {b} is out of range (1..={MAX_BATCH_SIZE})"
                )));
            }
        }
        if self.reps == Some(0) {
            return Err(Error::InvalidSpec("reps must be at least 1".into()));
        }
        if self.gen_tokens == Some(0) {
            return Err(Error::InvalidSpec(
                "generation length must be at least 1 token".into(),
            ));
        }
        if self.prompt_tokens == Some(0) {
            return Err(Error::InvalidSpec(
                "prompt length must be at least 1 token".into(),
            ));
        }
        Ok(())
    }

    /// Expands the suite into the list of cells to run, applying the overrides.
    pub fn plan(&self, suite: &Suite) -> Result<Vec<CellPlan>> {
        self.validate()?;
        let tests = suite.tests_for(self.suite);
        let mut cells = Vec::new();
        for test in tests {
            for batch_size in self.batch_sizes_for(test) {
                cells.push(self.cell(test, batch_size, suite));
            }
        }
        Ok(cells)
    }

    fn batch_sizes_for(&self, test: &TestDef) -> Vec<u32> {
        match &self.batch_sizes {
            Some(bs) => bs.clone(),
            None => test.batch_sizes.clone(),
        }
    }

    fn cell(&self, test: &TestDef, batch_size: u32, suite: &Suite) -> CellPlan {
        let (prompt, category) = match self.prompt_tokens {
            Some(tokens) => (PromptSpec::Synthetic { tokens }, Category::Synthetic),
            None => (
                PromptSpec::Text {
                    text: test.prompt_text(),
                },
                test.category,
            ),
        };
        let name = match self.prompt_tokens {
            Some(tokens) => format!("{}.p{tokens}", test.name),
            None => test.name.clone(),
        };
        CellPlan {
            test: name,
            category,
            prompt,
            batch_size,
            gen_tokens: self.gen_tokens.unwrap_or(test.gen_tokens),
            reps: self.reps.unwrap_or(test.reps),
            warmup: self.warmup.unwrap_or(suite.warmup),
        }
    }
}

/// One cell: a prompt at a batch size, repeated `reps` times after `warmup` discarded runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellPlan {
    /// Test name, unique within a run together with the batch size (e.g. `short.1`).
    pub test: String,
    /// The seed category the prompt belongs to.
    pub category: Category,
    /// The prompt.
    pub prompt: PromptSpec,
    /// Number of concurrent requests per trial.
    pub batch_size: u32,
    /// Tokens to generate per request (EOS suppressed: fixed length).
    pub gen_tokens: u32,
    /// Measured repetitions.
    pub reps: u32,
    /// Discarded warmup repetitions.
    pub warmup: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_names_round_trip_and_reject_unknown() {
        for s in [SuiteName::Quick, SuiteName::Standard, SuiteName::Full] {
            assert_eq!(s.as_str().parse::<SuiteName>().unwrap(), s);
        }
        assert_eq!(
            "fast".parse::<SuiteName>(),
            Err(Error::UnknownSuite("fast".into()))
        );
    }

    #[test]
    fn validate_rejects_zero_batch_and_zero_reps() {
        let mut spec = RunSpec::new("m", "e", SuiteName::Quick);
        spec.batch_sizes = Some(vec![1, 0]);
        assert!(
            matches!(spec.validate(), Err(Error::InvalidSpec(m)) if m.contains("batch size 0"))
        );
        spec.batch_sizes = None;
        spec.reps = Some(0);
        assert!(matches!(spec.validate(), Err(Error::InvalidSpec(m)) if m.contains("reps")));
        spec.reps = Some(5);
        assert!(spec.validate().is_ok());
    }

    #[test]
    fn overrides_apply_to_every_cell() {
        let suite = Suite::seed();
        let mut spec = RunSpec::new("m", "e", SuiteName::Quick);
        spec.prompt_tokens = Some(512);
        spec.gen_tokens = Some(64);
        spec.batch_sizes = Some(vec![1, 4]);
        spec.reps = Some(7);
        spec.warmup = Some(2);
        let cells = spec.plan(&suite).unwrap();
        assert_eq!(cells.len(), 2);
        for (cell, b) in cells.iter().zip([1, 4]) {
            assert_eq!(cell.batch_size, b);
            assert_eq!(cell.gen_tokens, 64);
            assert_eq!(cell.reps, 7);
            assert_eq!(cell.warmup, 2);
            assert_eq!(cell.prompt, PromptSpec::Synthetic { tokens: 512 });
            assert_eq!(cell.category, Category::Synthetic);
        }
    }
}
