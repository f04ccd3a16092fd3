//! Every scenario on `builtin:tiny` through the real in-process MLX engine (CPU, tiny
//! random-weight Qwen3 with the real tokenizer): timings, counts and validity rates come from
//! real outputs. One test, one model load, the scenarios in turn.

use std::sync::atomic::AtomicBool;

use benchbar_engine::{Engine, MlxEngine};
use benchbar_scenarios::{run_scenario, ScenarioKind, ScenarioOptions, ScenarioResult};

fn check_common(r: &ScenarioResult, limit: usize) {
    let kind = r.scenario;
    assert_eq!(r.items_run, limit, "{kind}");
    assert_eq!(r.items.len(), limit, "{kind}");
    assert!(r.wall_s > 0.0, "{kind}");
    let lat = r.latency_ms.as_ref().unwrap();
    assert_eq!(lat.n, limit, "{kind}");
    for item in &r.items {
        assert!(item.latency_ms > 0.0, "{kind} {}", item.id);
        assert!(
            item.latency_ms <= r.wall_s * 1e3 + 1.0,
            "{kind}: item slower than the set"
        );
        assert!(
            item.prompt_tokens > 10,
            "{kind}: the real tokenizer counted the prompt"
        );
        assert!(item.generated_tokens <= r.max_tokens, "{kind}");
    }
    let out: u64 = r.items.iter().map(|i| u64::from(i.generated_tokens)).sum();
    assert_eq!(r.generated_tokens, out, "{kind}");
    assert!(
        r.generated_tokens > 0,
        "{kind}: the random model emits tokens"
    );
    assert!((r.items_per_minute - limit as f64 * 60.0 / r.wall_s).abs() < 1e-6);
    assert!((r.full_set_s - r.wall_s * r.items_total as f64 / limit as f64).abs() < 1e-6);
    for c in &r.checks {
        if c.unavailable.is_none() {
            assert_eq!(c.checked, limit, "{kind} {}", c.name);
            assert!(c.passed <= c.checked);
            assert_eq!(c.rate, Some(c.passed as f64 / limit as f64));
        }
    }
    // Verdicts are recomputed from the kept outputs (random weights: expected ~0, not assumed).
    let passed = r.items.iter().filter(|i| i.passed == Some(true)).count();
    if r.checks[0].unavailable.is_none() {
        assert_eq!(passed, r.checks[0].passed, "{kind}");
    }
}

#[test]
fn every_scenario_runs_on_builtin_tiny() {
    let mut engine =
        MlxEngine::load("builtin:tiny").expect("builtin:tiny (run scripts/fixtures.sh)");
    let hidden = engine.runtime_mut().config().hidden_size;
    let never = AtomicBool::new(false);
    for (kind, limit, max_tokens) in [
        (ScenarioKind::Classification, 8, 8),
        (ScenarioKind::Summarization, 3, 24),
        (ScenarioKind::Extraction, 4, 24),
        (ScenarioKind::Codegen, 4, 24),
    ] {
        let opts = ScenarioOptions {
            limit: Some(limit),
            batch_size: Some(4),
            max_tokens: Some(max_tokens),
            sample_power: false,
        };
        let r = run_scenario(&mut engine, kind, &opts, &never, &mut |_| {}).unwrap();
        assert_eq!(r.batch_size, 4);
        assert_eq!(r.engine.name, "mlx");
        check_common(&r, limit);
        // Batched: items of one batch share a start, so the set takes less than the sum.
        let sum_ms: f64 = r.items.iter().map(|i| i.latency_ms).sum();
        assert!(r.wall_s * 1e3 < sum_ms, "{kind}: no batching visible");
    }

    let opts = ScenarioOptions {
        limit: Some(2),
        max_tokens: Some(16),
        ..ScenarioOptions::default()
    };
    let r = run_scenario(&mut engine, ScenarioKind::Rag, &opts, &never, &mut |_| {}).unwrap();
    check_common(&r, 2);
    let rag = r.rag.as_ref().unwrap();
    assert_eq!(rag.chunks, 1000);
    assert_eq!(rag.embedding_dim, hidden);
    assert!(
        rag.embedding_method.contains("mean-pooled"),
        "{}",
        rag.embedding_method
    );
    assert!(rag.embed_kb_s > 0.0 && rag.embedding_tokens > 1000);
    assert_eq!(rag.queries.len(), 2);
    for q in &rag.queries {
        assert!(q.embed_ms > 0.0 && q.generation_ms > 0.0 && q.e2e_ms >= q.generation_ms);
    }
    let e2e = rag
        .stages
        .iter()
        .find(|s| s.stage.starts_with("End-to-End"))
        .unwrap();
    assert_eq!(e2e.max_s, Some(10.0));
    assert!(e2e.mark.is_some());
    assert_eq!(engine.info().name, "mlx");

    // Padding is masked out of attention and the pool: a text embeds the same alone and
    // left-padded in a batch with a longer one.
    let short = "The observatory was founded in 1932.".to_string();
    let long = "A much longer text about a railway company, its staff and its anniversary open day in the harbour district.".to_string();
    let alone = engine.embed(std::slice::from_ref(&short)).unwrap();
    let batched = engine.embed(&[short, long]).unwrap();
    let cos: f32 = alone.vectors[0]
        .iter()
        .zip(&batched.vectors[0])
        .map(|(a, b)| a * b)
        .sum();
    assert!(cos > 0.999, "cosine {cos}");
    let cross: f32 = batched.vectors[0]
        .iter()
        .zip(&batched.vectors[1])
        .map(|(a, b)| a * b)
        .sum();
    assert!(cross < cos, "different texts, different vectors");
}
