//! What to run: suite names, the user's run spec, and the expanded cell plan.

use serde::{Deserialize, Serialize};

/// Suite names and categories describe the suite's data; they are named here too, where
/// run specs use them.
pub use crate::suite::{Category, SuiteName};
use crate::suite::{Suite, TestDef};
use crate::{Error, Result};

/// Where a cell's prompt comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
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
    /// `-r auto`: repeat each cell until its decode tok/s is precise enough (the quick suite's
    /// default when neither is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<crate::adaptive::AdaptiveReps>,
    /// `--warmup N`: discarded runs before the measured ones.
    pub warmup: Option<u32>,
    /// `--concurrency 1,2,4`: a server's concurrency levels (each selected prompt becomes one
    /// cell per level, see [`crate::load`]); replaces batch sizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub concurrency: Option<Vec<u32>>,
    /// `--requests N`: requests per trial of every level (default
    /// [`crate::load::default_requests`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub requests_per_level: Option<u32>,
    /// `--slo-ttft-ms` / `--slo-itl-ms`: the SLO goodput is judged against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub slo: Option<crate::load::Slo>,
    /// `--depth 0,4096,16384`: context depths (each selected prompt becomes one cell per
    /// depth, measured after that many tokens of context are in the cache, see
    /// [`crate::depth`]); the `long-context` suite's depths when absent there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub depths: Option<Vec<u32>>,
    /// `--cached-prefix N`: each selected prompt after a fresh prefix of N tokens, timed cold
    /// and with the prefix cached (two cells, see [`crate::depth`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cached_prefix_tokens: Option<u32>,
}

/// Largest batch size the engines support.
pub const MAX_BATCH_SIZE: u32 = 64;

/// Most measured repetitions per cell (the statistics settle long before; more is a typo).
pub const MAX_REPS: u32 = 1000;

/// Most discarded warmup runs per cell.
pub const MAX_WARMUP: u32 = 100;

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
            adaptive: None,
            warmup: None,
            concurrency: None,
            requests_per_level: None,
            slo: None,
            depths: None,
            cached_prefix_tokens: None,
        }
    }

    /// Rejects values that cannot produce a measurement.
    pub fn validate(&self) -> Result<()> {
        crate::load::SweepSpec {
            levels: self.concurrency.as_deref(),
            requests: self.requests_per_level,
            slo: self.slo,
            batch_sizes_given: self.batch_sizes.is_some(),
        }
        .validate()?;
        crate::depth::DepthSpec {
            depths: self.depths.as_deref(),
            cached_prefix_tokens: self.cached_prefix_tokens,
            concurrency_given: self.concurrency.is_some(),
        }
        .validate()?;
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
        if self.reps.is_some() && self.adaptive.is_some() {
            return Err(Error::InvalidSpec(
                "give either a number of repetitions or adaptive ones (-r auto), not both".into(),
            ));
        }
        if let Some(a) = &self.adaptive {
            a.validate()?;
        }
        if self.reps == Some(0) {
            return Err(Error::InvalidSpec("reps must be at least 1".into()));
        }
        if let Some(r) = self.reps.filter(|r| *r > MAX_REPS) {
            return Err(Error::InvalidSpec(format!(
                "reps {r} is out of range (1..={MAX_REPS})"
            )));
        }
        if let Some(w) = self.warmup.filter(|w| *w > MAX_WARMUP) {
            return Err(Error::InvalidSpec(format!(
                "warmup {w} is out of range (0..={MAX_WARMUP})"
            )));
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
                cells.extend(crate::depth::expand(
                    self.cell(test, batch_size, suite),
                    self.depths_planned().as_deref(),
                    self.cached_prefix_tokens,
                ));
            }
        }
        Ok(cells)
    }

    /// The depths to plan: `--depth`, else the `long-context` suite's.
    pub fn depths_planned(&self) -> Option<Vec<u32>> {
        match (&self.depths, self.suite) {
            (Some(d), _) => Some(d.clone()),
            (None, SuiteName::LongContext) => Some(crate::depth::long_context_depths()),
            (None, _) => None,
        }
    }

    /// The batch sizes of a test's cells: `-b`, else each concurrency level once (a test
    /// batched at several sizes in the suite is one prompt), else the suite's.
    fn batch_sizes_for(&self, test: &TestDef) -> Vec<u32> {
        match (&self.batch_sizes, &self.concurrency) {
            (Some(bs), _) => bs.clone(),
            (None, Some(levels)) => levels.clone(),
            (None, None) => test.batch_sizes.clone(),
        }
    }

    fn cell(&self, test: &TestDef, batch_size: u32, suite: &Suite) -> CellPlan {
        let load = self.concurrency.as_ref().map(|_| crate::load::LoadPlan {
            concurrency: batch_size,
            requests: self
                .requests_per_level
                .unwrap_or_else(|| crate::load::default_requests(batch_size)),
            slo: self.slo.filter(|s| !s.is_empty()),
        });
        let (prompt, category) = match self.prompt_tokens {
            Some(tokens) => (PromptSpec::Synthetic { tokens }, Category::Synthetic),
            None => (
                PromptSpec::Text {
                    text: test.prompt_text(),
                },
                test.category,
            ),
        };
        let mut name = match self.prompt_tokens {
            Some(tokens) => format!("{}.p{tokens}", test.name),
            None => test.name.clone(),
        };
        // A concurrency level is not a batch: its own name keeps comparisons apart.
        if load.is_some() {
            name.push_str(".concurrent");
        }
        // `-r auto`, or the quick suite when no count was given: adaptive repetitions.
        let adaptive = match (self.reps, self.adaptive, self.suite) {
            (Some(_), _, _) => None,
            (None, Some(a), _) => Some(a),
            (None, None, SuiteName::Quick) => Some(crate::adaptive::QUICK_DEFAULT),
            (None, None, _) => None,
        };
        CellPlan {
            test: name,
            category,
            prompt,
            batch_size,
            gen_tokens: self.gen_tokens.unwrap_or(match self.suite {
                SuiteName::LongContext => crate::depth::LONG_CONTEXT_GEN_TOKENS,
                _ => test.gen_tokens,
            }),
            reps: match (self.reps, adaptive, self.suite) {
                (Some(r), _, _) => r,
                (None, Some(a), _) => a.max_reps,
                (None, None, SuiteName::LongContext) => crate::depth::LONG_CONTEXT_REPS,
                (None, None, _) => test.reps,
            },
            adaptive,
            warmup: self.warmup.unwrap_or(suite.warmup),
            load,
            depth_tokens: None,
            prefix: None,
        }
    }
}

/// One cell: a prompt at a batch size, repeated `reps` times after `warmup` discarded runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
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
    /// Measured repetitions (with `adaptive`: the most).
    pub reps: u32,
    /// Adaptive repetitions: the cell stops as this rule says (at the latest after `reps`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<crate::adaptive::AdaptiveReps>,
    /// Discarded warmup repetitions.
    pub warmup: u32,
    /// A server's concurrency level: each trial sends `requests` requests keeping
    /// `batch_size` in flight ([`crate::load`]); absent for a batch cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub load: Option<crate::load::LoadPlan>,
    /// Context depth: tokens of context in the cache before the measured prompt
    /// ([`crate::depth`]); absent for a cell without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub depth_tokens: Option<u32>,
    /// A prefix before the prompt, cold or cached ([`crate::depth`]); absent for a cell
    /// without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub prefix: Option<crate::depth::PrefixPlan>,
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
    fn quick_is_one_short_prompt_batch_one_adaptive_from_five_reps() {
        let mut spec = RunSpec::new("m", "e", SuiteName::Quick);
        let plan = spec.plan(&Suite::seed()).unwrap();
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].category, Category::Short);
        assert_eq!(plan[0].batch_size, 1);
        // Adaptive by default: at least 5 repetitions, until decode tok/s is within 2%.
        let a = plan[0].adaptive.expect("adaptive");
        assert_eq!((a.min_reps, a.precision_pct), (5, 2.0));
        assert_eq!(plan[0].reps, a.max_reps);
        // A count given is a fixed count; both at once are refused.
        spec.reps = Some(5);
        let plan = spec.plan(&Suite::seed()).unwrap();
        assert_eq!((plan[0].reps, plan[0].adaptive), (5, None));
        spec.adaptive = Some(crate::adaptive::QUICK_DEFAULT);
        assert!(spec.validate().is_err());
        // The standard suite keeps its fixed counts unless -r auto is given.
        let standard = RunSpec::new("m", "e", SuiteName::Standard);
        let plan = standard.plan(&Suite::seed()).unwrap();
        assert!(plan.iter().all(|c| c.adaptive.is_none()));
    }

    #[test]
    fn the_full_plan_has_every_cell_of_the_seed() {
        let plan = RunSpec::new("m", "e", SuiteName::Full)
            .plan(&Suite::seed())
            .unwrap();
        // 3 short and 3 code prompts at 4 batch sizes (24), 3 prompts of each of the 4 other
        // categories at batch 1 (12), the latency test (1).
        assert_eq!(plan.len(), 15 + 6 * 3 + 3 + 1);
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
        spec.reps = Some(MAX_REPS + 1);
        assert!(matches!(spec.validate(), Err(Error::InvalidSpec(m)) if m.contains("1..=1000")));
        spec.reps = Some(5);
        spec.warmup = Some(MAX_WARMUP + 1);
        assert!(matches!(spec.validate(), Err(Error::InvalidSpec(m)) if m.contains("0..=100")));
        spec.warmup = Some(0);
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
