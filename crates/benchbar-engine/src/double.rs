//! `TestDoubleEngine`: a deterministic stand-in for unit and CLI tests. It measures nothing:
//! its timestamps are computed from configured rates with seeded jitter, without sleeping.
//! The CLI reaches it only through the hidden `--engine test-double` value.

use std::ops::ControlFlow;

use benchbar_core::report::{EngineInfo, ModelRef};
use benchbar_core::sample::{EngineCounters, RequestSample, TrialSample};
use benchbar_core::spec::PromptSpec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::engine::{
    Embeddings, Engine, EngineError, Result, TextBatch, TextRequest, TokenTick, TrialRequest,
};

/// The test double. Options (from `test-double:key=value,...`): `decode_tps` (default 100),
/// `prefill_tps` (default 1000), `jitter` (fraction, default 0.01), `memory_bytes`
/// (default 1 GiB), `fail_every` (fail every Nth trial, default never), `trial_ms` (really
/// sleep this long per trial, for interruption tests; default 0), `seed`, and `reply` — the text
/// [`Engine::generate_text`] returns: `filler` (default: `max_tokens` filler words), `empty`
/// (nothing) or `echo` (the prompt's last non-empty line). Its embeddings are hashed bags of
/// words, not a model's.
#[derive(Clone, Debug, PartialEq)]
pub struct TestDoubleEngine {
    model: String,
    decode_tps: f64,
    prefill_tps: f64,
    jitter: f64,
    memory_bytes: u64,
    fail_every: Option<u64>,
    trial_ms: u64,
    trials: u64,
    rng: ChaCha8Rng,
    reply: Reply,
}

/// What the double "generates" for [`Engine::generate_text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reply {
    Filler,
    Empty,
    Echo,
}

/// Words of the filler reply (one "token" each).
const FILLER: [&str; 8] = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
];
/// Dimension of the double's hashed bag-of-words embeddings.
const DOUBLE_EMBED_DIM: usize = 1024;

impl TestDoubleEngine {
    /// A double with default rates.
    pub fn new(model: impl Into<String>) -> Self {
        TestDoubleEngine {
            model: model.into(),
            decode_tps: 100.0,
            prefill_tps: 1000.0,
            jitter: 0.01,
            memory_bytes: 1 << 30,
            fail_every: None,
            trial_ms: 0,
            trials: 0,
            rng: ChaCha8Rng::seed_from_u64(7),
            reply: Reply::Filler,
        }
    }

    /// Parses `key=value,...` options.
    pub fn with_options(model: impl Into<String>, options: &str) -> Result<Self> {
        let mut e = TestDoubleEngine::new(model);
        for kv in options.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').ok_or_else(|| {
                EngineError::Config(format!("test-double option '{kv}' is not key=value"))
            })?;
            let num = || {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| {
                        EngineError::Config(format!(
                            "test-double option {k}: '{v}' is not a number"
                        ))
                    })
            };
            match k {
                "decode_tps" => e.decode_tps = num()?,
                "prefill_tps" => e.prefill_tps = num()?,
                "jitter" => e.jitter = num()?,
                "memory_bytes" => e.memory_bytes = num()? as u64,
                "fail_every" => e.fail_every = Some(num()? as u64).filter(|n| *n > 0),
                "trial_ms" => e.trial_ms = num()? as u64,
                "seed" => e.rng = ChaCha8Rng::seed_from_u64(num()? as u64),
                "reply" => {
                    e.reply = match v {
                        "filler" => Reply::Filler,
                        "empty" => Reply::Empty,
                        "echo" => Reply::Echo,
                        _ => {
                            return Err(EngineError::Config(format!(
                                "test-double option reply: '{v}' is not filler, empty or echo"
                            )))
                        }
                    }
                }
                _ => {
                    return Err(EngineError::Config(format!(
                        "unknown test-double option '{k}'"
                    )))
                }
            }
        }
        if e.decode_tps == 0.0 || e.prefill_tps == 0.0 {
            return Err(EngineError::Config(
                "test-double rates must be positive".into(),
            ));
        }
        Ok(e)
    }

    fn jittered(&mut self, x: f64) -> f64 {
        if self.jitter == 0.0 {
            return x;
        }
        x * (1.0 + self.rng.gen_range(-self.jitter..=self.jitter))
    }
}

impl Engine for TestDoubleEngine {
    fn info(&self) -> EngineInfo {
        EngineInfo {
            name: "test-double".into(),
            version: "test-double 1 (synthetic timings, not a measurement)".into(),
            kv_cache: None,
        }
    }

    fn model(&self) -> ModelRef {
        ModelRef {
            id: self.model.clone(),
            path: None,
            quantization: None,
        }
    }

    fn run_trial(
        &mut self,
        req: &TrialRequest,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
    ) -> Result<TrialSample> {
        let prompt_tokens = match &req.prompt {
            PromptSpec::Synthetic { tokens } => *tokens,
            PromptSpec::Text { text } => text_tokens(text),
        };
        let rows = req.batch_size as usize;
        self.timed(
            &vec![prompt_tokens; rows],
            &vec![req.max_tokens; rows],
            req.max_tokens,
            on_token,
        )
    }

    fn generate_text(
        &mut self,
        req: &TextRequest,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
    ) -> Result<TextBatch> {
        let texts: Vec<String> = req
            .prompts
            .iter()
            .map(|p| self.reply_to(p, req.max_tokens as usize))
            .collect();
        let prompt_tokens: Vec<u32> = req.prompts.iter().map(|p| text_tokens(p)).collect();
        let generated: Vec<u32> = texts
            .iter()
            .map(|t| t.split_whitespace().count() as u32)
            .collect();
        let sample = self.timed(&prompt_tokens, &generated, req.max_tokens, on_token)?;
        Ok(TextBatch { sample, texts })
    }

    fn max_text_batch(&self) -> u32 {
        16
    }

    fn embed(&mut self, texts: &[String]) -> Result<Embeddings> {
        let vectors = texts.iter().map(|t| hashed_bag_of_words(t)).collect();
        Ok(Embeddings {
            vectors,
            tokens: texts.iter().map(|t| u64::from(text_tokens(t))).sum(),
            method: "hashed bag of words (test double, not a model)".into(),
        })
    }
}

impl TestDoubleEngine {
    /// Synthetic timings of one batch: row `r` has `prompt_tokens[r]` prompt tokens and
    /// generates `generated[r]` tokens (requested: `max_tokens`), all rows in lockstep.
    fn timed(
        &mut self,
        prompt_tokens: &[u32],
        generated: &[u32],
        max_tokens: u32,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
    ) -> Result<TrialSample> {
        self.trials += 1;
        if self
            .fail_every
            .is_some_and(|n| self.trials.is_multiple_of(n))
        {
            return Err(EngineError::Request(format!(
                "test-double: trial {} fails by configuration",
                self.trials
            )));
        }
        let rows = prompt_tokens.len() as u32;
        let total_prompt = f64::from(prompt_tokens.iter().sum::<u32>());
        let prefill_ns = self.jittered(total_prompt / self.prefill_tps * 1e9);
        let gap_ns = self.jittered(1e9 / self.decode_tps * f64::from(rows).sqrt());
        let steps = generated.iter().copied().max().unwrap_or(0);
        let offsets: Vec<u64> = (0..steps)
            .map(|i| (prefill_ns + f64::from(i) * gap_ns) as u64)
            .collect();
        let pause = std::time::Duration::from_millis(self.trial_ms) / max_tokens.max(1);
        for (step, &t) in offsets.iter().enumerate() {
            std::thread::sleep(pause);
            for row in (0..rows).filter(|&r| generated[r as usize] > step as u32) {
                let tick = TokenTick {
                    row,
                    step: step as u32,
                    elapsed_ns: t,
                };
                if on_token(tick).is_break() {
                    return Err(EngineError::Cancelled);
                }
            }
        }
        Ok(TrialSample {
            index: 0,
            wall_ns: offsets.last().copied().unwrap_or(prefill_ns as u64),
            requests: prompt_tokens
                .iter()
                .zip(generated)
                .map(|(&p, &g)| RequestSample {
                    prompt_tokens: p,
                    start_offset_ns: 0,
                    requested_tokens: max_tokens,
                    token_offsets_ns: offsets[..g as usize].to_vec(),
                })
                .collect(),
            counters: EngineCounters {
                mlx_peak_memory_bytes: Some(self.memory_bytes),
                process_peak_memory_bytes: None,
                kv_cache_bytes: None,
            },
            energy: None,
            error: None,
        })
    }

    /// The configured reply to `prompt`, at most `max_tokens` words.
    fn reply_to(&self, prompt: &str, max_tokens: usize) -> String {
        let words: Vec<&str> = match self.reply {
            Reply::Empty => Vec::new(),
            Reply::Filler => FILLER.iter().copied().cycle().take(max_tokens).collect(),
            Reply::Echo => prompt
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .split_whitespace()
                .take(max_tokens)
                .collect(),
        };
        words.join(" ")
    }
}

/// The double's token count of a text: one per 4 bytes, at least 1.
fn text_tokens(text: &str) -> u32 {
    (text.len() as u32).div_ceil(4).max(1)
}

/// A unit vector from the text's lowercase alphanumeric words, each hashed (FNV-1a) to one of
/// [`DOUBLE_EMBED_DIM`] buckets: texts sharing words point the same way.
fn hashed_bag_of_words(text: &str) -> Vec<f32> {
    let mut v = vec![0f32; DOUBLE_EMBED_DIM];
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let h = w
            .to_lowercase()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
        v[(h % DOUBLE_EMBED_DIM as u64) as usize] += 1.0;
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}
