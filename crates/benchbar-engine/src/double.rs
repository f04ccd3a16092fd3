//! `TestDoubleEngine`: a deterministic stand-in for unit and CLI tests. It measures nothing:
//! its timestamps are computed from configured rates with seeded jitter, without sleeping.
//! The CLI reaches it only through the hidden `--engine test-double` value.

use std::ops::ControlFlow;

use benchbar_core::report::{EngineInfo, ModelRef};
use benchbar_core::sample::{EngineCounters, RequestSample, TrialSample};
use benchbar_core::spec::PromptSpec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::engine::{Engine, EngineError, Result, TokenTick, TrialRequest};

/// The test double. Options (from `test-double:key=value,...`): `decode_tps` (default 100),
/// `prefill_tps` (default 1000), `jitter` (fraction, default 0.01), `memory_bytes`
/// (default 1 GiB), `fail_every` (fail every Nth trial, default never), `trial_ms` (really
/// sleep this long per trial, for interruption tests; default 0), `seed`.
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
}

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
        let prompt_tokens = match &req.prompt {
            PromptSpec::Synthetic { tokens } => *tokens,
            PromptSpec::Text { text } => (text.len() as u32).div_ceil(4).max(1),
        };
        let total_prompt = f64::from(prompt_tokens * req.batch_size);
        let prefill_ns = self.jittered(total_prompt / self.prefill_tps * 1e9);
        let gap_ns = self.jittered(1e9 / self.decode_tps * f64::from(req.batch_size).sqrt());
        let offsets: Vec<u64> = (0..req.max_tokens)
            .map(|i| (prefill_ns + f64::from(i) * gap_ns) as u64)
            .collect();
        let pause = std::time::Duration::from_millis(self.trial_ms) / req.max_tokens.max(1);
        for (step, &t) in offsets.iter().enumerate() {
            std::thread::sleep(pause);
            for row in 0..req.batch_size {
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
            requests: (0..req.batch_size)
                .map(|_| RequestSample {
                    prompt_tokens,
                    start_offset_ns: 0,
                    requested_tokens: req.max_tokens,
                    token_offsets_ns: offsets.clone(),
                })
                .collect(),
            counters: EngineCounters {
                mlx_peak_memory_bytes: Some(self.memory_bytes),
                process_peak_memory_bytes: None,
            },
            energy: None,
            error: None,
        })
    }
}
