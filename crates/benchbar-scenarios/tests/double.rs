//! Scenario logic on the TestDoubleEngine (synthetic timings, scripted answers): rates are
//! computed from the outputs, batches are real batches, bad input is refused cleanly.

use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;

use benchbar_core::report::{EngineInfo, ModelRef, RunOrigin};
use benchbar_core::sample::TrialSample;
use benchbar_engine::{Engine, TestDoubleEngine, TextBatch, TextRequest, TokenTick, TrialRequest};
use benchbar_scenarios::{
    run_scenario, run_with_corpus, Corpus, Error, ScenarioKind, ScenarioOptions,
};

type Tick<'a> = &'a mut dyn FnMut(TokenTick) -> ControlFlow<()>;
/// Scripted answer: (answer index, prompt) -> text.
type Answer = Box<dyn Fn(usize, &str) -> String + Send>;

/// The test double's timings with scripted answers; records the batch sizes it was given.
struct ScriptedDouble {
    inner: TestDoubleEngine,
    answer: Answer,
    batches: Vec<usize>,
    answered: usize,
}

impl ScriptedDouble {
    fn new(answer: impl Fn(usize, &str) -> String + Send + 'static) -> Self {
        ScriptedDouble {
            inner: TestDoubleEngine::new("double-model"),
            answer: Box::new(answer),
            batches: Vec::new(),
            answered: 0,
        }
    }
}

impl Engine for ScriptedDouble {
    fn info(&self) -> EngineInfo {
        self.inner.info()
    }
    fn model(&self) -> ModelRef {
        self.inner.model()
    }
    fn run_trial(&mut self, r: &TrialRequest, t: Tick<'_>) -> benchbar_engine::Result<TrialSample> {
        self.inner.run_trial(r, t)
    }
    fn generate_text(
        &mut self,
        r: &TextRequest,
        t: Tick<'_>,
    ) -> benchbar_engine::Result<TextBatch> {
        self.batches.push(r.prompts.len());
        let mut b = self.inner.generate_text(r, t)?;
        for (text, prompt) in b.texts.iter_mut().zip(&r.prompts) {
            *text = (self.answer)(self.answered, prompt);
            self.answered += 1;
        }
        Ok(b)
    }
    fn max_text_batch(&self) -> u32 {
        self.inner.max_text_batch()
    }
    fn embed(&mut self, texts: &[String]) -> benchbar_engine::Result<benchbar_engine::Embeddings> {
        self.inner.embed(texts)
    }
}

fn opts(limit: usize, batch: u32) -> ScenarioOptions {
    ScenarioOptions {
        limit: Some(limit),
        batch_size: Some(batch),
        ..ScenarioOptions::default()
    }
}

fn rate(r: &benchbar_scenarios::ScenarioResult, name: &str) -> (usize, usize) {
    let c = r.checks.iter().find(|c| c.name == name).unwrap();
    assert_eq!(c.rate, Some(c.passed as f64 / c.checked as f64));
    (c.passed, c.checked)
}

#[test]
fn classification_rates_come_from_the_answers_and_batches_are_real() {
    let mut e = ScriptedDouble::new(|_, _| " Sports.".to_string());
    let r = run_scenario(
        &mut e,
        ScenarioKind::Classification,
        &opts(20, 6),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(e.batches, vec![6, 6, 6, 2]);
    assert_eq!((r.items_run, r.items_total, r.batch_size), (20, 1000, 6));
    assert_eq!(rate(&r, "valid_label"), (20, 20));
    let sports = Corpus::generated(ScenarioKind::Classification).items[..20]
        .iter()
        .filter(|i| i.expected.as_deref() == Some("sports"))
        .count();
    assert_eq!(rate(&r, "accuracy"), (sports, 20));
    assert_eq!(r.latency_ms.as_ref().unwrap().n, 20);
    assert_eq!(
        r.generated_tokens,
        r.items
            .iter()
            .map(|i| u64::from(i.generated_tokens))
            .sum::<u64>()
    );
    let t = r.target.as_ref().unwrap();
    assert!(t.projected && t.max_seconds == 120.0, "{t:?}");
    assert!((t.full_set_s - r.wall_s * 50.0).abs() < 1e-9);

    // The double's own filler text names no label.
    let mut plain = TestDoubleEngine::new("m");
    let r = run_scenario(
        &mut plain,
        ScenarioKind::Classification,
        &opts(5, 8),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(rate(&r, "valid_label"), (0, 5));
}

#[test]
fn extraction_validity_is_the_share_of_answers_that_validate() {
    let corpus = Corpus::generated(ScenarioKind::Extraction);
    let truths: Vec<(String, String)> = corpus
        .items
        .iter()
        .map(|i| (i.text.clone(), i.expected.clone().unwrap()))
        .collect();
    let mut e = ScriptedDouble::new(move |n, prompt| {
        let truth = &truths
            .iter()
            .find(|(text, _)| prompt.contains(text.as_str()))
            .unwrap()
            .1;
        match n % 3 {
            0 => format!("```json\n{truth}\n```"),
            1 => "{\"doc_type\": \"contract\"}".into(), // JSON, but misses required fields
            _ => "not json at all".into(),
        }
    });
    let r = run_with_corpus(
        &mut e,
        &corpus,
        &opts(9, 4),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(rate(&r, "json_parse"), (6, 9));
    assert_eq!(rate(&r, "schema_valid"), (3, 9));
    let passed: Vec<bool> = r.items.iter().map(|i| i.passed.unwrap()).collect();
    assert_eq!(passed.iter().filter(|p| **p).count(), 3);
}

#[test]
fn codegen_syntax_is_checked_by_python() {
    let mut e = ScriptedDouble::new(|n, prompt| {
        let name = prompt
            .split("def ")
            .nth(1)
            .unwrap()
            .split('(')
            .next()
            .unwrap()
            .to_string();
        if n % 2 == 0 {
            format!("```python\ndef {name}(x):\n    return x\n```")
        } else {
            format!("def {name}(x:\n  return")
        }
    });
    let r = run_scenario(
        &mut e,
        ScenarioKind::Codegen,
        &opts(6, 8),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    let c = &r.checks[0];
    assert_eq!(rate(&r, "defines_function"), (6, 6));
    match &c.unavailable {
        None => {
            assert_eq!(rate(&r, "python_syntax"), (3, 6));
            assert_eq!(rate(&r, "valid_function"), (3, 6));
        }
        Some(why) => assert!(why.contains("cannot run"), "{why}"),
    }
}

#[test]
fn a_model_that_produces_nothing_records_zero_validity_without_failing() {
    for kind in [
        ScenarioKind::Classification,
        ScenarioKind::Summarization,
        ScenarioKind::Extraction,
        ScenarioKind::Codegen,
    ] {
        let mut e = TestDoubleEngine::with_options("m", "reply=empty").unwrap();
        let r = run_scenario(
            &mut e,
            kind,
            &opts(3, 2),
            &AtomicBool::new(false),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(r.generated_tokens, 0, "{kind}");
        assert!(r.warnings.iter().any(|w| w.contains("no tokens")), "{kind}");
        for c in r.checks.iter().filter(|c| c.unavailable.is_none()) {
            assert_eq!((c.passed, c.checked), (0, 3), "{kind} {}", c.name);
        }
        assert_eq!(r.latency_ms.as_ref().unwrap().n, 3);
    }
}

#[test]
fn rag_retrieves_with_the_doubles_word_embeddings_and_times_every_stage() {
    let mut e = TestDoubleEngine::with_options("m", "reply=echo").unwrap();
    let mut stages = Vec::new();
    let r = run_scenario(
        &mut e,
        ScenarioKind::Rag,
        &opts(6, 8),
        &AtomicBool::new(false),
        &mut |p| stages.push(p.stage),
    )
    .unwrap();
    let rag = r.rag.as_ref().unwrap();
    assert_eq!(
        (rag.chunks, rag.queries.len(), rag.embedding_dim),
        (1000, 6, 1024)
    );
    assert!(stages.contains(&"embedding".to_string()) && stages.contains(&"queries".to_string()));
    assert_eq!(rag.stages.len(), 5);
    assert_eq!(
        rag.e2e_simple_ms.as_ref().unwrap().n + rag.e2e_complex_ms.as_ref().unwrap().n,
        6
    );
    for q in &rag.queries {
        assert!(
            (q.e2e_ms - (q.embed_ms + q.search_ms + q.assembly_ms + q.generation_ms)).abs() < 1e-9
        );
        assert_eq!(q.retrieved.len(), if q.kind == "simple" { 3 } else { 6 });
    }
    // Questions name their institution, so bag-of-words retrieval finds some gold chunks.
    let (passed, checked) = rate(&r, "gold_retrieved");
    assert_eq!(checked, 6);
    assert!(rag.retrieval_recall.unwrap() > 0.0, "{passed}");
}

#[test]
fn bad_input_is_an_error_not_a_crash() {
    let never = AtomicBool::new(false);
    let mut e = TestDoubleEngine::new("m");
    let err = run_scenario(
        &mut e,
        ScenarioKind::Codegen,
        &opts(0, 1),
        &never,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");

    let mut empty = Corpus::generated(ScenarioKind::Summarization);
    empty.items.clear();
    let err = run_with_corpus(&mut e, &empty, &opts(1, 1), &never, &mut |_| {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the summarization corpus is empty: it has no items"
    );

    let mut bad = Corpus::generated(ScenarioKind::Extraction);
    bad.schema = Some(serde_json::json!({"type": "object", "oneOf": []}));
    let err = run_with_corpus(&mut e, &bad, &opts(1, 1), &never, &mut |_| {}).unwrap_err();
    assert!(
        err.to_string().contains("'oneOf' is not supported"),
        "{err}"
    );

    let cancelled = AtomicBool::new(true);
    let err = run_scenario(
        &mut e,
        ScenarioKind::Classification,
        &opts(4, 2),
        &cancelled,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, Error::Cancelled));
}

/// An engine that only benchmarks (like a third-party one): scenarios say it returns no text.
struct TrialsOnly(TestDoubleEngine);

impl Engine for TrialsOnly {
    fn info(&self) -> EngineInfo {
        EngineInfo {
            name: "trials-only".into(),
            version: "0".into(),
            kv_cache: None,
        }
    }
    fn model(&self) -> ModelRef {
        self.0.model()
    }
    fn run_trial(&mut self, r: &TrialRequest, t: Tick<'_>) -> benchbar_engine::Result<TrialSample> {
        self.0.run_trial(r, t)
    }
}

#[test]
fn engines_without_text_or_embeddings_are_named_in_the_error() {
    let never = AtomicBool::new(false);
    let mut e = TrialsOnly(TestDoubleEngine::new("m"));
    let err = run_scenario(
        &mut e,
        ScenarioKind::Summarization,
        &opts(1, 1),
        &never,
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the trials-only engine does not return generated text"
    );
    let err =
        run_scenario(&mut e, ScenarioKind::Rag, &opts(1, 1), &never, &mut |_| {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the trials-only engine cannot compute embeddings"
    );
}

#[test]
fn a_result_round_trips_through_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = benchbar_store::Store::open(&dir.path().join("h.db")).unwrap();
    let mut e = TestDoubleEngine::new("m");
    let r = run_scenario(
        &mut e,
        ScenarioKind::Summarization,
        &opts(2, 2),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    let id = benchbar_scenarios::save(&mut store, &r, chrono::Utc::now(), RunOrigin::App).unwrap();
    let loaded = benchbar_scenarios::load(&store, id).unwrap().unwrap();
    // Stored as JSON: equal to the result after one JSON round trip (serde_json's default
    // float parsing may move the last bit).
    let via_json: benchbar_scenarios::ScenarioResult =
        serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(loaded.result, via_json);
    let row = &store.list_runs(None, 5).unwrap()[0];
    assert_eq!(
        (row.run_id, row.suite.as_str(), row.origin),
        (id, "scenario:summarization", RunOrigin::App)
    );
}
