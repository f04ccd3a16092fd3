//! The RAG pipeline: embed the knowledge base, then per question embed the query, search,
//! assemble the context and generate the answer, timing each stage.
//!
//! Vector search is exact cosine similarity (dot products of L2-normalised vectors, partial
//! sort for the top k). For 1000 chunks it is a few hundred thousand multiply-adds per query,
//! well under a millisecond, with perfect recall; an approximate index (HNSW and the like)
//! would add build time and approximation error for no gain at this size.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use benchbar_core::stats::{summarize, Stats};
use benchbar_core::targets::{grade_value, Direction, Mark, TargetMatrix};
use benchbar_engine::Engine;
use serde::{Deserialize, Serialize};

use crate::batch::{generate_all, Generated};
use crate::corpus::{Chunk, Item, RAG_CHUNKS};
use crate::{parse_max_seconds, Error, Result, ScenarioProgress};

/// Chunks per embedding call (progress and cancellation between calls).
const EMBED_CALL: usize = 64;
/// Chunks retrieved for a simple / complex question.
const TOP_K_SIMPLE: usize = 3;
const TOP_K_COMPLEX: usize = 6;
/// Answer budgets, tokens (a smaller `--max-tokens` caps both).
pub(crate) const MAX_TOKENS_SIMPLE: u32 = 64;
pub(crate) const MAX_TOKENS_COMPLEX: u32 = 160;

/// One question through the pipeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RagQuery {
    /// Question id.
    pub id: String,
    /// `simple` or `complex`.
    pub kind: String,
    /// Query embedding, ms.
    pub embed_ms: f64,
    /// Vector search, ms.
    pub search_ms: f64,
    /// Context assembly, ms.
    pub assembly_ms: f64,
    /// Answer generation (request to last token), ms.
    pub generation_ms: f64,
    /// Answer's first token, ms after the generation request.
    pub ttft_ms: Option<f64>,
    /// End to end: embedding + search + assembly + generation, ms.
    pub e2e_ms: f64,
    /// Retrieved chunk ids, best first.
    pub retrieved: Vec<String>,
    /// Gold chunks among the retrieved, as a fraction of the gold chunks.
    pub recall: f64,
}

/// A pipeline stage against the seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RagStage {
    /// The seed's stage name.
    pub stage: String,
    /// The seed's target text.
    pub target: String,
    /// The bound used for grading, seconds (None when the seed gives none for this model).
    pub max_s: Option<f64>,
    /// Measured seconds (per query mean, or the knowledge base for embedding).
    pub measured_s: f64,
    /// How `measured_s` was obtained.
    pub how: String,
    /// The grade (None without a bound).
    pub mark: Option<Mark>,
}

/// RAG-specific results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RagResult {
    /// How embeddings were made.
    pub embedding_method: String,
    /// Embedding dimension.
    pub embedding_dim: usize,
    /// Knowledge-base chunks embedded.
    pub chunks: usize,
    /// Tokens read to embed them.
    pub embedding_tokens: u64,
    /// Seconds to embed the knowledge base.
    pub embed_kb_s: f64,
    /// Chunks embedded per minute.
    pub chunks_per_minute: f64,
    /// Seed stages with measured values and grades.
    pub stages: Vec<RagStage>,
    /// End-to-end latency of simple questions, ms.
    pub e2e_simple_ms: Option<Stats>,
    /// End-to-end latency of complex questions, ms.
    pub e2e_complex_ms: Option<Stats>,
    /// Mean retrieval recall of the gold chunks.
    pub retrieval_recall: Option<f64>,
    /// Every question.
    pub queries: Vec<RagQuery>,
}

/// What [`run`] hands back to the scenario runner.
pub(crate) struct RagRun {
    pub result: RagResult,
    pub generated: Generated,
}

/// Runs the pipeline over `chunks` and `questions`.
pub(crate) fn run(
    engine: &mut dyn Engine,
    model_id: &str,
    chunks: &[Chunk],
    questions: &[Item],
    max_tokens: Option<u32>,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(ScenarioProgress),
) -> Result<RagRun> {
    let started = Instant::now();
    let mut report = |stage: &str, done: usize, total: usize| {
        progress(ScenarioProgress {
            stage: stage.into(),
            done,
            total,
            elapsed_s: started.elapsed().as_secs_f64(),
        })
    };
    let t0 = Instant::now();
    let mut index: Vec<Vec<f32>> = Vec::with_capacity(chunks.len());
    let (mut tokens, mut method) = (0u64, String::new());
    for part in chunks.chunks(EMBED_CALL) {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        let texts: Vec<String> = part.iter().map(|c| c.text.clone()).collect();
        let e = engine.embed(&texts)?;
        tokens += e.tokens;
        method = e.method;
        index.extend(e.vectors);
        report("embedding", index.len(), chunks.len());
    }
    let embed_kb_s = t0.elapsed().as_secs_f64();

    let mut queries = Vec::with_capacity(questions.len());
    let mut generated = Generated::default();
    for (n, q) in questions.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        let complex = q.kind.as_deref() == Some("complex");
        let t = Instant::now();
        let qv = engine.embed(std::slice::from_ref(&q.text))?;
        let embed_ms = ms(t);
        let t = Instant::now();
        let qvec = qv.vectors.first().map(Vec::as_slice).unwrap_or_default();
        let top = top_k(
            &index,
            qvec,
            if complex { TOP_K_COMPLEX } else { TOP_K_SIMPLE },
        );
        let search_ms = ms(t);
        let t = Instant::now();
        let prompt = assemble(chunks, &top, &q.text);
        let assembly_ms = ms(t);
        let default = if complex {
            MAX_TOKENS_COMPLEX
        } else {
            MAX_TOKENS_SIMPLE
        };
        let budget = max_tokens.map_or(default, |m| m.min(default));
        let t = Instant::now();
        let g = generate_all(engine, &[prompt], budget, 1, cancel, &mut |_| {})?;
        let generation_ms = ms(t);
        let retrieved: Vec<String> = top.iter().map(|&i| chunks[i].id.clone()).collect();
        queries.push(RagQuery {
            id: q.id.clone(),
            kind: if complex { "complex" } else { "simple" }.into(),
            embed_ms,
            search_ms,
            assembly_ms,
            generation_ms,
            ttft_ms: g.ttft_ms.first().copied().flatten(),
            e2e_ms: embed_ms + search_ms + assembly_ms + generation_ms,
            recall: recall(q.expected.as_deref(), &retrieved),
            retrieved,
        });
        generated.texts.extend(g.texts);
        generated
            .latency_ms
            .push(embed_ms + search_ms + assembly_ms + generation_ms);
        generated.ttft_ms.extend(g.ttft_ms);
        generated.prompt_tokens.extend(g.prompt_tokens);
        generated.generated_tokens.extend(g.generated_tokens);
        report("queries", n + 1, questions.len());
    }
    generated.wall_s = started.elapsed().as_secs_f64();
    let e2e = |kind: &str| -> Option<Stats> {
        let xs: Vec<f64> = queries
            .iter()
            .filter(|q| q.kind == kind)
            .map(|q| q.e2e_ms)
            .collect();
        summarize(&xs)
    };
    let recalls: Vec<f64> = queries.iter().map(|q| q.recall).collect();
    let result = RagResult {
        embedding_method: method,
        embedding_dim: index.first().map_or(0, Vec::len),
        chunks: chunks.len(),
        embedding_tokens: tokens,
        embed_kb_s,
        chunks_per_minute: per_minute(chunks.len(), embed_kb_s),
        stages: stages(model_id, embed_kb_s, chunks.len(), &queries),
        e2e_simple_ms: e2e("simple"),
        e2e_complex_ms: e2e("complex"),
        retrieval_recall: summarize(&recalls).map(|s| s.mean),
        queries,
    };
    Ok(RagRun { result, generated })
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// Items per minute over `secs` (0 when no time passed).
pub(crate) fn per_minute(items: usize, secs: f64) -> f64 {
    if secs > 0.0 {
        items as f64 * 60.0 / secs
    } else {
        0.0
    }
}

/// Indices of the `k` vectors with the highest dot product with `q`, best first (ties by
/// index). Vectors of another dimension than `q` score nothing.
pub(crate) fn top_k(index: &[Vec<f32>], q: &[f32], k: usize) -> Vec<usize> {
    let mut scored: Vec<(f32, usize)> = index
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let s = if v.len() == q.len() {
                v.iter().zip(q).map(|(a, b)| a * b).sum()
            } else {
                f32::NEG_INFINITY
            };
            (if s.is_nan() { f32::NEG_INFINITY } else { s }, i)
        })
        .collect();
    let k = k.min(scored.len());
    let by_score = |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    if k > 0 && k < scored.len() {
        scored.select_nth_unstable_by(k - 1, by_score);
    }
    scored.truncate(k);
    scored.sort_by(by_score);
    scored.into_iter().map(|(_, i)| i).collect()
}

/// The answer prompt: numbered context chunks, then the question.
pub(crate) fn assemble(chunks: &[Chunk], top: &[usize], question: &str) -> String {
    let mut p =
        String::from("Answer the question using only the context below. Be brief.\n\nContext:\n");
    for (n, &i) in top.iter().enumerate() {
        p.push_str(&format!("[{}] {}\n", n + 1, chunks[i].text));
    }
    p.push_str(&format!("\nQuestion: {question}"));
    p
}

/// Fraction of the gold chunk ids (comma-separated) found in `retrieved`; 0 without gold ids.
fn recall(gold: Option<&str>, retrieved: &[String]) -> f64 {
    let gold: Vec<&str> = gold
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .collect();
    if gold.is_empty() {
        return 0.0;
    }
    let hit = gold
        .iter()
        .filter(|g| retrieved.iter().any(|r| r == *g))
        .count();
    hit as f64 / gold.len() as f64
}

/// The seed's RAG stages with the measured values.
fn stages(model_id: &str, embed_kb_s: f64, n_chunks: usize, queries: &[RagQuery]) -> Vec<RagStage> {
    let matrix = TargetMatrix::seed();
    let row = matrix.row_for_model(model_id).map(|r| r.name.clone());
    let mean_s = |f: fn(&RagQuery) -> f64| {
        let xs: Vec<f64> = queries.iter().map(|q| f(q) / 1e3).collect();
        summarize(&xs).map_or(0.0, |s| s.mean)
    };
    let nq = queries.len();
    matrix
        .rag
        .iter()
        .map(|s| {
            let (measured_s, how) = match s.stage.as_str() {
                st if st.starts_with("Embedding") => (
                    embed_kb_s * RAG_CHUNKS as f64 / n_chunks.max(1) as f64,
                    if n_chunks == RAG_CHUNKS {
                        format!("all {RAG_CHUNKS} chunks")
                    } else {
                        format!("{n_chunks} chunks, projected to {RAG_CHUNKS}")
                    },
                ),
                "Vector Search" => (
                    mean_s(|q| q.search_ms),
                    format!("mean of {nq} queries (exact cosine)"),
                ),
                "Context Assembly" => (mean_s(|q| q.assembly_ms), format!("mean of {nq} queries")),
                "Response Generation" => {
                    (mean_s(|q| q.generation_ms), format!("mean of {nq} queries"))
                }
                _ => (
                    mean_s(|q| q.e2e_ms),
                    format!("mean end-to-end of {nq} queries"),
                ),
            };
            let max_s = parse_max_seconds(&s.target)
                .or_else(|| row.as_deref().and_then(|r| model_bound_s(&s.target, r)));
            RagStage {
                stage: s.stage.clone(),
                target: s.target.clone(),
                max_s,
                measured_s,
                how,
                mark: max_s
                    .map(|m| grade_value([0.0, m], Direction::LowerIsBetter, Some(measured_s))),
            }
        })
        .collect()
}

/// The upper bound for `row` in a target like `Qwen3-7B-8bit: 2-4 seconds; ...`, seconds.
fn model_bound_s(target: &str, row: &str) -> Option<f64> {
    let part = target
        .split(';')
        .find_map(|p| p.trim().strip_prefix(row)?.strip_prefix(':'))?;
    let range = part.trim().strip_suffix("seconds")?.trim();
    range.split('-').nth(1)?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_search_returns_the_best_k_in_order() {
        let index = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.6, 0.8], vec![1.0]];
        assert_eq!(top_k(&index, &[0.0, 1.0], 2), vec![1, 2]);
        assert_eq!(top_k(&index, &[1.0, 0.0], 10), vec![0, 2, 1, 3]);
        assert!(top_k(&[], &[1.0], 3).is_empty());
    }

    #[test]
    fn recall_and_model_bounds() {
        let r = vec!["a".to_string(), "b".to_string()];
        assert_eq!(recall(Some("a,c"), &r), 0.5);
        assert_eq!(recall(None, &r), 0.0);
        let t = "Qwen3-7B-8bit: 2-4 seconds; Qwen3-14B-8bit: 4-8 seconds";
        assert_eq!(model_bound_s(t, "Qwen3-14B-8bit"), Some(8.0));
        assert_eq!(model_bound_s(t, "Qwen3-1.7B-4bit"), None);
    }
}
