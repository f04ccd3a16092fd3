//! Grading a scenario's time for the set against the seed's targets.
//!
//! A limited run (`--limit N` of M items) is graded by projection: the full set's seconds at
//! the measured rate, `wall_s × M / N`, against the seed's target for the full set. The grade
//! says so; it assumes the rate holds for the whole set (the items are alike by construction).

use benchbar_core::targets::{grade_value, parse_model_name, Direction, Mark, TargetMatrix};
use serde::{Deserialize, Serialize};

use crate::ScenarioKind;

/// A scenario graded against the seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TargetGrade {
    /// The seed's target for the full set, as text.
    pub target: String,
    /// Upper bound, seconds (full set).
    pub max_seconds: f64,
    /// Measured (all items) or projected (limited run) seconds for the full set.
    pub full_set_s: f64,
    /// Whether `full_set_s` is projected from a limited run.
    pub projected: bool,
    /// ✅ / ⚠️ (within 10%) / ❌.
    pub mark: Mark,
    /// How the target was chosen and what was measured.
    pub note: String,
}

/// Grades `full_set_s` for `kind` on `model_id`: the target of the model's size when the seed
/// has one, else its `any` target, else the smallest size's (said in the note). RAG is graded by
/// stage in [`crate::RagResult`]; None here.
pub fn grade_set(
    kind: ScenarioKind,
    model_id: &str,
    full_set_s: f64,
    items_run: usize,
    items_total: usize,
) -> Option<TargetGrade> {
    let matrix = TargetMatrix::seed();
    let scenario = matrix
        .scenarios
        .iter()
        .find(|s| s.name == kind.seed_name())?;
    let size = parse_model_name(model_id).map(|(size, _)| size);
    let by_size = size
        .as_deref()
        .and_then(|sz| scenario.target.iter().find(|t| t.size == sz));
    let any = scenario.target.iter().find(|t| t.size == "any");
    let (t, how) = match (by_size, any) {
        (Some(t), _) => (t, format!("target for {} models", t.size)),
        (None, Some(t)) => (t, "target for any model".to_string()),
        (None, None) => {
            let t = scenario.target.first()?;
            let why = match &size {
                Some(sz) => format!("the seed has no {sz} target"),
                None => format!("model size of '{model_id}' unknown"),
            };
            (t, format!("{why}: graded against the {} target", t.size))
        }
    };
    let projected = items_run < items_total;
    let measured = if projected {
        format!("projected from {items_run} of {items_total} items at the measured rate")
    } else {
        format!("measured on all {items_total} items")
    };
    Some(TargetGrade {
        target: format!(
            "{} ({}): < {} s",
            scenario.name, scenario.items, t.max_seconds
        ),
        max_seconds: t.max_seconds,
        full_set_s,
        projected,
        mark: grade_value(
            [0.0, t.max_seconds],
            Direction::LowerIsBetter,
            Some(full_set_s),
        ),
        note: format!("{how}; {measured}"),
    })
}

/// The bound of a seed target text such as `<2 seconds`, `<500ms` or `... Target: <10 seconds
/// average`, in seconds (the last `<` bound in the text).
pub fn parse_max_seconds(text: &str) -> Option<f64> {
    let at = text.rfind('<')?;
    let rest = text[at + 1..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let value: f64 = rest[..end].parse().ok()?;
    let unit = rest[end..].trim_start();
    if unit.starts_with("ms") {
        Some(value / 1000.0)
    } else if unit.starts_with('s') {
        Some(value)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_rag_bounds_parse() {
        assert_eq!(parse_max_seconds("<2 seconds"), Some(2.0));
        assert_eq!(parse_max_seconds("<500ms"), Some(0.5));
        assert_eq!(
            parse_max_seconds("Simple Query: 3-6 seconds; Complex Query: 8-15 seconds; Target: <10 seconds average"),
            Some(10.0)
        );
        assert_eq!(parse_max_seconds("1-3 seconds"), None);
    }

    #[test]
    fn targets_follow_the_model_size_and_limited_runs_are_projected() {
        let g = grade_set(
            ScenarioKind::Summarization,
            "mlx-community/Qwen3-14B-8bit",
            500.0,
            100,
            100,
        )
        .unwrap();
        assert_eq!(g.max_seconds, 600.0);
        assert_eq!(g.mark, Mark::Pass);
        assert!(!g.projected);
        let g = grade_set(
            ScenarioKind::Classification,
            "builtin:tiny",
            130.0,
            10,
            1000,
        )
        .unwrap();
        assert_eq!(g.max_seconds, 120.0);
        assert_eq!(g.mark, Mark::Warn);
        assert!(g.projected && g.note.contains("10 of 1000"), "{}", g.note);
        let g = grade_set(ScenarioKind::Codegen, "builtin:tiny", 2000.0, 5, 50).unwrap();
        assert_eq!((g.max_seconds, g.mark), (600.0, Mark::Fail));
        assert!(g.note.contains("unknown"), "{}", g.note);
        assert_eq!(grade_set(ScenarioKind::Rag, "x", 1.0, 1, 1), None);
    }
}
