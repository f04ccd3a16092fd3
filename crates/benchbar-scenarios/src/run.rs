//! Running a scenario: prompts, batched generation, output checks, statistics, energy, grade.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use benchbar_core::stats::summarize;
use benchbar_engine::Engine;
use serde::{Deserialize, Serialize};

use crate::batch::{generate_all, Generated};
use crate::checks::{code_of, parse_json, parse_label, python_syntax, summary_ok};
use crate::grade::grade_set;
use crate::rag::per_minute;
use crate::result::{keep, OUTPUT_KEEP_CHARS};
use crate::{CheckRate, Corpus, Error, Item, ItemRecord, Result, ScenarioKind, ScenarioResult};

/// Default prompts per batch (capped by the engine's own limit).
const DEFAULT_BATCH: u32 = 8;

/// How to run a scenario.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScenarioOptions {
    /// Run only the first N items (questions for RAG; the knowledge base stays whole).
    pub limit: Option<usize>,
    /// Prompts per batch (default 8, at most the engine's `max_text_batch`). RAG answers one
    /// question at a time (latency per query).
    pub batch_size: Option<u32>,
    /// Token budget per item (default per scenario).
    pub max_tokens: Option<u32>,
    /// Read energy counters over the run.
    pub sample_power: bool,
}

/// Progress of a running scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioProgress {
    /// `generation`, `embedding` or `queries`.
    pub stage: String,
    /// Units done in this stage.
    pub done: usize,
    /// Units in this stage.
    pub total: usize,
    /// Seconds since the stage's start.
    pub elapsed_s: f64,
}

/// Runs scenario `kind` on its generated corpus. See [`run_with_corpus`].
pub fn run_scenario(
    engine: &mut dyn Engine,
    kind: ScenarioKind,
    opts: &ScenarioOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(ScenarioProgress),
) -> Result<ScenarioResult> {
    run_with_corpus(engine, &Corpus::generated(kind), opts, cancel, progress)
}

/// Runs the scenario of `corpus` through `engine`: every output is checked, per-item latency
/// and tokens come from the engine's raw samples, and the set's time is graded against the seed
/// (projected to the full set for a limited run). `cancel` stops between batches or at the next
/// token ([`Error::Cancelled`]).
pub fn run_with_corpus(
    engine: &mut dyn Engine,
    corpus: &Corpus,
    opts: &ScenarioOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(ScenarioProgress),
) -> Result<ScenarioResult> {
    corpus.validate()?;
    let kind = corpus.scenario;
    if opts.limit == Some(0) || opts.batch_size == Some(0) || opts.max_tokens == Some(0) {
        return Err(Error::Invalid(
            "--limit, batch size and max tokens must be at least 1".into(),
        ));
    }
    let n = opts.limit.unwrap_or(usize::MAX).min(corpus.items.len());
    let items = &corpus.items[..n];
    let model = engine.model();
    let batch = opts
        .batch_size
        .unwrap_or(DEFAULT_BATCH)
        .min(engine.max_text_batch().max(1));
    let max_tokens = match kind {
        ScenarioKind::Rag => opts.max_tokens.map_or(crate::rag::MAX_TOKENS_COMPLEX, |m| {
            m.min(crate::rag::MAX_TOKENS_COMPLEX)
        }),
        _ => opts.max_tokens.unwrap_or(default_max_tokens(kind)),
    };
    let power = opts
        .sample_power
        .then(benchbar_engine::power::start_session);
    let start_snap = power.as_ref().map(|p| p.snapshot());
    let started = Instant::now();
    let (generated, rag, batch) = if kind == ScenarioKind::Rag {
        let r = crate::rag::run(
            engine,
            &model.id,
            &corpus.chunks,
            items,
            opts.max_tokens,
            cancel,
            progress,
        )?;
        (r.generated, Some(r.result), 1)
    } else {
        let prompts: Vec<String> = items.iter().map(|i| prompt(corpus, i)).collect();
        let mut after = |done: usize| {
            progress(ScenarioProgress {
                stage: "generation".into(),
                done,
                total: n,
                elapsed_s: started.elapsed().as_secs_f64(),
            })
        };
        let g = generate_all(
            engine,
            &prompts,
            max_tokens,
            batch as usize,
            cancel,
            &mut after,
        )?;
        (g, None, batch)
    };
    let energy_j = match (&power, &start_snap) {
        (Some(p), Some(s)) => p.energy_between(s, &p.snapshot()).map(|e| e.total_j),
        _ => None,
    };
    let power = power.map(benchbar_engine::power::finish_session);
    let (checks, verdicts) = check(corpus, items, &generated, rag.as_ref());
    let mut warnings = Vec::new();
    if generated.generated_tokens.iter().all(|&t| t == 0) {
        warnings.push("the model produced no tokens for any item: every output check fails".into());
    }
    let wall_s = generated.wall_s;
    let full_set_s = wall_s * corpus.items.len() as f64 / n as f64;
    let prompt_tokens: u64 = generated.prompt_tokens.iter().map(|&t| u64::from(t)).sum();
    let generated_tokens: u64 = generated
        .generated_tokens
        .iter()
        .map(|&t| u64::from(t))
        .sum();
    let records = items
        .iter()
        .enumerate()
        .map(|(i, item)| ItemRecord {
            id: item.id.clone(),
            latency_ms: generated.latency_ms[i],
            prompt_tokens: generated.prompt_tokens[i],
            generated_tokens: generated.generated_tokens[i],
            passed: verdicts.get(i).copied().flatten(),
            output: keep(&generated.texts[i], OUTPUT_KEEP_CHARS),
        })
        .collect();
    Ok(ScenarioResult {
        scenario: kind,
        engine: engine.info(),
        items_total: corpus.items.len(),
        items_run: n,
        batch_size: batch,
        max_tokens,
        wall_s,
        items_per_minute: per_minute(n, wall_s),
        full_set_s,
        latency_ms: summarize(&generated.latency_ms),
        prompt_tokens,
        generated_tokens,
        generated_tps: (wall_s > 0.0).then(|| generated_tokens as f64 / wall_s),
        energy_j,
        energy_per_item_j: energy_j.map(|j| j / n as f64),
        checks,
        target: grade_set(kind, &model.id, full_set_s, n, corpus.items.len()),
        rag,
        items: records,
        warnings,
        power,
        model,
    })
}

/// Token budget per item of each scenario.
fn default_max_tokens(kind: ScenarioKind) -> u32 {
    match kind {
        ScenarioKind::Classification => 8,
        ScenarioKind::Summarization => 96,
        ScenarioKind::Extraction | ScenarioKind::Codegen => 192,
        ScenarioKind::Rag => crate::rag::MAX_TOKENS_COMPLEX,
    }
}

/// The prompt of an item.
fn prompt(corpus: &Corpus, item: &Item) -> String {
    match corpus.scenario {
        ScenarioKind::Classification => format!(
            "Classify the document into exactly one of these labels: {}.\nAnswer with the label only.\n\nDocument:\n{}",
            corpus.labels.join(", "),
            item.text
        ),
        ScenarioKind::Summarization => {
            format!("Summarize the following document in 2-3 sentences.\n\n{}", item.text)
        }
        ScenarioKind::Extraction => format!(
            "Extract the document's information as JSON that validates against this JSON schema. Answer with the JSON only.\n\nSchema:\n{}\n\nDocument:\n{}",
            corpus.schema.as_ref().map(|s| s.to_string()).unwrap_or_default(),
            item.text
        ),
        ScenarioKind::Codegen => format!(
            "Write the following Python function. Answer with the code only, in a ```python block.\n\n{}",
            item.text
        ),
        ScenarioKind::Rag => item.text.clone(),
    }
}

/// The validity rates, and each item's verdict on the scenario's main check.
fn check(
    corpus: &Corpus,
    items: &[Item],
    g: &Generated,
    rag: Option<&crate::RagResult>,
) -> (Vec<CheckRate>, Vec<Option<bool>>) {
    let texts = &g.texts;
    let main: Vec<bool>;
    let mut rates = Vec::new();
    match corpus.scenario {
        ScenarioKind::Classification => {
            let labels: Vec<Option<String>> = texts
                .iter()
                .map(|t| parse_label(t, &corpus.labels))
                .collect();
            main = labels.iter().map(Option::is_some).collect();
            rates.push(CheckRate::from_verdicts(
                "valid_label",
                "the answer names exactly one label of the set",
                &main,
            ));
            let correct: Vec<bool> = labels
                .iter()
                .zip(items)
                .map(|(l, i)| l.is_some() && l.as_deref() == i.expected.as_deref())
                .collect();
            rates.push(CheckRate::from_verdicts(
                "accuracy",
                "the label is the document's generated label",
                &correct,
            ));
        }
        ScenarioKind::Summarization => {
            main = texts
                .iter()
                .zip(items)
                .map(|(t, i)| summary_ok(t, &i.text))
                .collect();
            rates.push(CheckRate::from_verdicts(
                "valid_summary",
                "non-empty, under half the document's words, shares 3+ content words with it",
                &main,
            ));
        }
        ScenarioKind::Extraction => {
            let parsed: Vec<Option<serde_json::Value>> =
                texts.iter().map(|t| parse_json(t)).collect();
            let json_ok: Vec<bool> = parsed.iter().map(Option::is_some).collect();
            rates.push(CheckRate::from_verdicts(
                "json_parse",
                "the answer contains a JSON value",
                &json_ok,
            ));
            main = match corpus.parsed_schema() {
                Ok(schema) => parsed
                    .iter()
                    .map(|v| v.as_ref().is_some_and(|v| schema.validate(v).is_empty()))
                    .collect(),
                Err(_) => vec![false; texts.len()],
            };
            rates.push(CheckRate::from_verdicts(
                "schema_valid",
                "the JSON validates against the extraction schema",
                &main,
            ));
            let doc_type: Vec<bool> = parsed
                .iter()
                .zip(items)
                .map(|(v, i)| {
                    let want = i.expected.as_deref().and_then(|e| serde_json::from_str::<serde_json::Value>(e).ok());
                    matches!((v, want), (Some(v), Some(w)) if v.get("doc_type").is_some() && v.get("doc_type") == w.get("doc_type"))
                })
                .collect();
            rates.push(CheckRate::from_verdicts(
                "doc_type_correct",
                "doc_type equals the document's type",
                &doc_type,
            ));
        }
        ScenarioKind::Codegen => {
            let codes: Vec<String> = texts.iter().map(|t| code_of(t)).collect();
            let defines: Vec<bool> = codes
                .iter()
                .zip(items)
                .map(|(c, i)| {
                    i.expected
                        .as_deref()
                        .is_some_and(|f| c.contains(&format!("def {f}(")))
                })
                .collect();
            let defines_rate = CheckRate::from_verdicts(
                "defines_function",
                "the code defines the function by its name",
                &defines,
            );
            let syntax_desc = "the code parses as Python (ast.parse)";
            let valid_desc = "parses as Python and defines the requested function";
            match python_syntax(&codes) {
                Ok(syntax) => {
                    // Syntax alone is lenient: a random model's `_CTRL_CTRL…` is a valid
                    // expression statement. An item passes when it is also the function.
                    main = syntax.iter().zip(&defines).map(|(s, d)| *s && *d).collect();
                    rates.push(CheckRate::from_verdicts(
                        "valid_function",
                        valid_desc,
                        &main,
                    ));
                    rates.push(CheckRate::from_verdicts(
                        "python_syntax",
                        syntax_desc,
                        &syntax,
                    ));
                    rates.push(defines_rate);
                }
                Err(reason) => {
                    rates.push(CheckRate::unavailable(
                        "valid_function",
                        valid_desc,
                        reason.clone(),
                    ));
                    rates.push(CheckRate::unavailable("python_syntax", syntax_desc, reason));
                    rates.push(defines_rate);
                    return (rates, vec![None; texts.len()]);
                }
            }
        }
        ScenarioKind::Rag => {
            main = rag.map_or_else(Vec::new, |r| {
                r.queries.iter().map(|q| q.recall >= 1.0).collect()
            });
            rates.push(CheckRate::from_verdicts(
                "gold_retrieved",
                "every gold chunk of the question is in the retrieved context",
                &main,
            ));
            let answered: Vec<bool> = texts.iter().map(|t| !t.trim().is_empty()).collect();
            rates.push(CheckRate::from_verdicts(
                "answered",
                "the answer is non-empty",
                &answered,
            ));
        }
    }
    (rates, main.into_iter().map(Some).collect())
}
