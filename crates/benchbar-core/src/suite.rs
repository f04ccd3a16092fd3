//! The seed specification's suite, embedded as data (`data/suite.toml`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The three suites of the seed specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum SuiteName {
    /// One short prompt, batch 1, 5 reps: under a minute on a real model.
    Quick,
    /// One prompt per category, the batch tests and the latency consistency test.
    Standard,
    /// Everything the seed lists.
    Full,
    /// The quick suite's prompt at context depths from 0 to the model's context, in steps that
    /// fit the machine's memory ([`crate::depth::long_context_depths`]).
    #[serde(rename = "long-context")]
    LongContext,
}

impl SuiteName {
    /// The lowercase name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SuiteName::Quick => "quick",
            SuiteName::Standard => "standard",
            SuiteName::Full => "full",
            SuiteName::LongContext => "long-context",
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
            "long-context" => Ok(SuiteName::LongContext),
            other => Err(Error::UnknownSuite(other.to_string())),
        }
    }
}

/// The seed's test categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
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

const SUITE_TOML: &str = include_str!("../data/suite.toml");

/// One prompt of the seed with its fixed generation length and repetitions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TestDef {
    /// Unique test name, e.g. `short.1`.
    pub name: String,
    /// The seed category.
    pub category: Category,
    /// The prompt text (repeated `repeat` times, as the seed's memory stress test does).
    pub prompt: String,
    /// How many times `prompt` is repeated to form the request.
    #[serde(default = "one")]
    pub repeat: u32,
    /// Tokens generated per request.
    pub gen_tokens: u32,
    /// Measured repetitions.
    pub reps: u32,
    /// Batch sizes, filled from the suite selection.
    #[serde(default)]
    pub batch_sizes: Vec<u32>,
}

fn one() -> u32 {
    1
}

impl TestDef {
    /// The full prompt text sent to the model.
    pub fn prompt_text(&self) -> String {
        self.prompt.repeat(self.repeat as usize)
    }
}

#[derive(Debug, Deserialize)]
struct Selection {
    test: String,
    batch_sizes: Vec<u32>,
}

#[derive(Debug, Deserialize)]
struct SuiteFile {
    warmup: u32,
    test: Vec<TestDef>,
    suite: Suites,
}

#[derive(Debug, Deserialize)]
struct Suites {
    quick: Vec<Selection>,
    standard: Vec<Selection>,
    full: Vec<Selection>,
}

/// The parsed suite: every test and the three suite selections.
#[derive(Clone, Debug, PartialEq)]
pub struct Suite {
    /// Default discarded warmup runs per cell.
    pub warmup: u32,
    /// All tests known to the suite.
    pub tests: Vec<TestDef>,
    quick: Vec<TestDef>,
    standard: Vec<TestDef>,
    full: Vec<TestDef>,
}

impl Suite {
    /// The embedded seed suite. The data is validated by tests, so this cannot fail in a build
    /// that passed them; the `expect` documents that invariant.
    pub fn seed() -> Suite {
        Suite::parse(SUITE_TOML).expect("embedded suite.toml is validated by tests")
    }

    /// Parses a suite file, checking that every selection names a known test.
    pub fn parse(text: &str) -> Result<Suite> {
        let file: SuiteFile =
            toml::from_str(text).map_err(|e| Error::EmbeddedData(format!("suite: {e}")))?;
        let resolve = |sel: &[Selection]| -> Result<Vec<TestDef>> {
            sel.iter()
                .map(|s| {
                    let mut t = file
                        .test
                        .iter()
                        .find(|t| t.name == s.test)
                        .cloned()
                        .ok_or_else(|| {
                            Error::EmbeddedData(format!("suite selects unknown test {}", s.test))
                        })?;
                    t.batch_sizes = s.batch_sizes.clone();
                    Ok(t)
                })
                .collect()
        };
        Ok(Suite {
            warmup: file.warmup,
            quick: resolve(&file.suite.quick)?,
            standard: resolve(&file.suite.standard)?,
            full: resolve(&file.suite.full)?,
            tests: file.test,
        })
    }

    /// The tests (with batch sizes) a suite runs, in order.
    pub fn tests_for(&self, name: SuiteName) -> &[TestDef] {
        match name {
            SuiteName::Quick | SuiteName::LongContext => &self.quick,
            SuiteName::Standard => &self.standard,
            SuiteName::Full => &self.full,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_suite_parses() {
        Suite::parse(SUITE_TOML).unwrap();
    }

    #[test]
    fn full_has_everything_the_seed_lists() {
        let suite = Suite::seed();
        let full = suite.tests_for(SuiteName::Full);
        let count = |c: Category| full.iter().filter(|t| t.category == c).count();
        for c in [
            Category::Short,
            Category::Medium,
            Category::Long,
            Category::Code,
            Category::StructuredExtraction,
            Category::MemoryStress,
        ] {
            assert_eq!(count(c), 3, "{c:?}");
        }
        assert_eq!(count(Category::LatencyConsistency), 1);
        // Batch tests at 4/8/16 for every short and code prompt, batch 1 only elsewhere.
        for t in full {
            let expected: &[u32] = match t.category {
                Category::Short | Category::Code => &[1, 4, 8, 16],
                _ => &[1],
            };
            assert_eq!(t.batch_sizes, expected, "{}", t.name);
        }
        let latency = full.iter().find(|t| t.name == "latency").unwrap();
        assert_eq!(latency.reps, 20);
    }

    #[test]
    fn memory_stress_prompts_are_repeated_like_the_seed() {
        let suite = Suite::seed();
        let m1 = suite.tests.iter().find(|t| t.name == "memory.1").unwrap();
        assert_eq!(
            m1.prompt_text(),
            "Write a detailed explanation of quantum mechanics ".repeat(100)
        );
    }

    #[test]
    fn extraction_prompts_carry_documents_not_placeholders() {
        for t in Suite::seed().tests {
            assert!(
                !t.prompt.contains("[sample"),
                "{} has a placeholder",
                t.name
            );
        }
    }

    #[test]
    fn unknown_selection_is_an_error() {
        let bad =
            "warmup = 1\n[[test]]\nname='a'\ncategory='short'\nprompt='x'\ngen_tokens=1\nreps=1\n\
                   [suite]\nquick=[{test='b',batch_sizes=[1]}]\nstandard=[]\nfull=[]\n";
        let err = Suite::parse(bad).unwrap_err();
        assert!(err.to_string().contains("unknown test b"), "{err}");
    }
}
