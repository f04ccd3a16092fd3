//! `MlxEngine`: Qwen3 in-process on MLX (benchbar-mlx). Timestamps are taken after each
//! token is evaluated; MLX's peak memory is reset before each trial.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use benchbar_core::report::{EngineInfo, KvCacheQuant, ModelRef};
use benchbar_core::sample::{EngineCounters, RequestSample, TrialSample};
use benchbar_core::spec::PromptSpec;
use benchbar_mlx::{Context, GenerateOptions, Qwen3Runtime, TokenEvent};

/// How the in-process engine builds and runs its model (kernels, fusion, decode order, trace).
pub use benchbar_mlx::EngineOptions as MlxOptions;
pub use benchbar_mlx::KvQuant;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::engine::{
    Embeddings, Engine, EngineError, ModelLimits, Result, TextBatch, TextRequest, TokenTick,
    TrialRequest,
};

/// Token ids below this are ordinary BPE tokens in Qwen3's vocabulary (151,643 ranks); the
/// added/special tokens start here. Synthetic prompts draw from the ordinary ones.
const QWEN3_ORDINARY_TOKENS: u32 = 151_643;

/// Mixed into a trial's seed for its depth's context and its prefix, so that neither repeats
/// the synthetic prompt drawn from the seed itself.
const DEPTH_SALT: u64 = 0xD3F7_0000_0000_0001;
const PREFIX_SALT: u64 = 0x9F1C_0000_0000_0002;

/// An MLX error as an engine error (a cancel stays a cancel).
fn mlx_error(e: benchbar_mlx::Error) -> EngineError {
    match e {
        benchbar_mlx::Error::Cancelled => EngineError::Cancelled,
        e => EngineError::Request(e.to_string()),
    }
}

/// The in-process MLX engine.
pub struct MlxEngine {
    runtime: Qwen3Runtime,
    model: ModelRef,
}

impl std::fmt::Debug for MlxEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MlxEngine")
            .field("model", &self.model)
            .finish()
    }
}

impl MlxEngine {
    /// Resolves `spec` (a path, a repo id in the HF cache, or `builtin:tiny`) and loads it with
    /// the default options.
    pub fn load(spec: &str) -> Result<MlxEngine> {
        MlxEngine::load_with(spec, &MlxOptions::default())
    }

    /// [`MlxEngine::load`] with `options`.
    pub fn load_with(spec: &str, options: &MlxOptions) -> Result<MlxEngine> {
        MlxEngine::load_cancellable(spec, options, &AtomicBool::new(false))
    }

    /// [`MlxEngine::load_with`] that ends with [`EngineError::Cancelled`] once `cancel` is set
    /// while the weights are read.
    pub fn load_cancellable(
        spec: &str,
        options: &MlxOptions,
        cancel: &AtomicBool,
    ) -> Result<MlxEngine> {
        let dir =
            benchbar_mlx::resolve_model(spec).map_err(|e| EngineError::Load(e.to_string()))?;
        let runtime =
            Qwen3Runtime::load_cancellable(&dir, options, cancel).map_err(|e| match e {
                benchbar_mlx::Error::Cancelled => EngineError::Cancelled,
                e => EngineError::Load(e.to_string()),
            })?;
        let info = runtime.info();
        let id = if Path::new(spec).exists() {
            info.id.clone()
        } else {
            spec.to_string()
        };
        let model = ModelRef {
            id,
            path: Some(info.path.display().to_string()),
            quantization: info.quantization.clone(),
        };
        Ok(MlxEngine { runtime, model })
    }

    /// The loaded runtime (for `benchbar generate`).
    pub fn runtime_mut(&mut self) -> &mut Qwen3Runtime {
        &mut self.runtime
    }

    fn prompt_ids(&self, prompt: &PromptSpec, seed: u64) -> Result<Vec<u32>> {
        match prompt {
            PromptSpec::Text { text } => self
                .runtime
                .encode(text, true)
                .map_err(|e| EngineError::Request(e.to_string())),
            PromptSpec::Synthetic { tokens } => Ok(self.synthetic_ids(*tokens, seed)),
        }
    }

    /// `n` random ordinary token ids drawn from `seed`.
    fn synthetic_ids(&self, n: u32, seed: u64) -> Vec<u32> {
        let vocab = (self.runtime.config().vocab_size as u32).min(QWEN3_ORDINARY_TOKENS);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| rng.gen_range(0..vocab)).collect()
    }

    /// A trial with a context depth or a prefix: the context (the depth's tokens, or a cached
    /// prefix) is prefilled into fresh caches and evaluated before the clock starts; a cold
    /// prefix is part of the timed prompt. The trial's KV cache is measured at its end.
    fn context_trial(
        &mut self,
        req: &TrialRequest,
        prompt: Vec<u32>,
        opts: &GenerateOptions,
        cancel: &AtomicBool,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
    ) -> Result<TrialSample> {
        let prefix = req.prefix.map(|p| {
            (
                p,
                self.synthetic_ids(p.prefix_tokens, req.seed ^ PREFIX_SALT),
            )
        });
        let (context, timed, cached_tokens) = match (req.depth_tokens, prefix) {
            (_, Some((p, ids))) if p.cached => (ids, prompt, p.prefix_tokens),
            (_, Some((_, ids))) => (Vec::new(), [ids, prompt].concat(), 0),
            (Some(d), None) => (self.synthetic_ids(d, req.seed ^ DEPTH_SALT), prompt, 0),
            (None, None) => (Vec::new(), prompt, 0),
        };
        let rows = req.batch_size as usize;
        let reserve = timed.len() + opts.max_tokens;
        let mut ctx = self
            .runtime
            .prefill_context(&context, rows, reserve, opts, cancel)
            .map_err(mlx_error)?;
        let prompts = vec![timed; rows];
        let (mut sample, _) =
            self.generate_timed(&prompts, opts, cancel, on_token, Some(&mut ctx))?;
        for r in &mut sample.requests {
            r.prompt_tokens += cached_tokens;
        }
        sample.counters.kv_cache_bytes = Some(ctx.cache_bytes());
        Ok(sample)
    }
}

/// The engine version: BenchBar's MLX engine, the MLX version and build, and the device it runs
/// on, e.g. `benchbar-mlx 0.1.0 · MLX 0.32.4 (cuda) · gpu (NVIDIA H100 80GB HBM3)`; on CPU the
/// build and device read `MLX 0.32.4 · cpu`, as before (unchanged baseline keys).
/// On Linux CPU the BLAS library decides f32 matmul speed, so it is part of the version (and
/// so of the baseline key). Asking OpenBLAS for its thread count also keeps it linked into every
/// binary: without a reference the linker drops it (`--as-needed`) and MLX falls back to the
/// wheel's reference BLAS, ~10x slower prefill (measured: 0.6B f32, 60-token prompt, 51 s vs 5 s).
pub fn mlx_engine_version() -> String {
    let blas = benchbar_mlx::blas_threads()
        .map(|n| format!(" · OpenBLAS ({n} threads)"))
        .unwrap_or_default();
    let build = benchbar_mlx::mlx_build();
    let build = if build == "cpu" {
        String::new()
    } else {
        format!(" ({build})")
    };
    let device = match benchbar_mlx::device_name() {
        "gpu" => benchbar_mlx::device_description(),
        other => other.to_string(),
    };
    format!(
        "benchbar-mlx {} · MLX {}{build} · {device}{blas}",
        env!("CARGO_PKG_VERSION"),
        benchbar_mlx::mlx_version(),
    )
}

impl Engine for MlxEngine {
    fn info(&self) -> EngineInfo {
        let kv = self.runtime.options().kv_quant;
        let version = match kv {
            Some(k) => format!(
                "{} · KV cache {}-bit (groups of {}, from {} tokens)",
                mlx_engine_version(),
                k.bits,
                k.group_size,
                k.start_tokens
            ),
            None => mlx_engine_version(),
        };
        EngineInfo {
            name: "mlx".into(),
            version,
            kv_cache: kv.map(|k| KvCacheQuant {
                bits: k.bits as u32,
                group_size: k.group_size as u32,
                start_tokens: u32::try_from(k.start_tokens).unwrap_or(u32::MAX),
            }),
        }
    }

    fn model(&self) -> ModelRef {
        self.model.clone()
    }

    fn limits(&self) -> Option<ModelLimits> {
        let cfg = self.runtime.config();
        // The KV cache holds activations: 4 bytes an element for f32 checkpoints, 2 otherwise.
        let elem_bytes = if self.model.quantization.as_deref() == Some("f32") {
            4
        } else {
            2
        };
        Some(ModelLimits {
            context_tokens: u32::try_from(cfg.context_tokens()).unwrap_or(u32::MAX),
            kv_bytes_per_token: match self.runtime.options().kv_quant {
                // per element: the packed bits, plus a scale and a bias per group
                Some(k) => {
                    let elements = cfg.kv_bytes_per_token(1);
                    let (bits, group) = (k.bits as u64, k.group_size as u64);
                    elements * bits / 8 + elements / group * 2 * elem_bytes
                }
                None => cfg.kv_bytes_per_token(elem_bytes),
            },
            state_bytes_per_sequence: cfg.state_bytes_per_sequence(elem_bytes),
            weights_bytes: self.runtime.info().size_bytes,
        })
    }

    fn run_trial(
        &mut self,
        req: &TrialRequest,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
    ) -> Result<TrialSample> {
        self.run_trial_cancellable(req, on_token, &AtomicBool::new(false))
    }

    /// The flag is read before each prefill chunk and each decode step (a long prompt is given
    /// up within one chunk's evaluation, not after the whole prefill).
    fn run_trial_cancellable(
        &mut self,
        req: &TrialRequest,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
        cancel: &AtomicBool,
    ) -> Result<TrialSample> {
        let ids = self.prompt_ids(&req.prompt, req.seed)?;
        let opts = GenerateOptions {
            max_tokens: req.max_tokens as usize,
            suppress_eos: req.fixed_length,
            kv_quant: self.runtime.options().kv_quant,
            ..GenerateOptions::default()
        };
        if req.depth_tokens.is_some() || req.prefix.is_some() {
            return self.context_trial(req, ids, &opts, cancel, on_token);
        }
        let prompts = vec![ids; req.batch_size as usize];
        self.generate_timed(&prompts, &opts, cancel, on_token, None)
            .map(|(sample, _)| sample)
    }

    fn generate_text(
        &mut self,
        req: &TextRequest,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
    ) -> Result<TextBatch> {
        let prompts = req
            .prompts
            .iter()
            .map(|p| self.runtime.encode(p, true))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| EngineError::Request(e.to_string()))?;
        let opts = GenerateOptions {
            max_tokens: req.max_tokens as usize,
            suppress_eos: false,
            kv_quant: self.runtime.options().kv_quant,
            ..GenerateOptions::default()
        };
        let (sample, ids) =
            self.generate_timed(&prompts, &opts, &AtomicBool::new(false), on_token, None)?;
        let texts = ids
            .iter()
            .map(|row| self.runtime.decode(row))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| EngineError::Request(e.to_string()))?;
        Ok(TextBatch { sample, texts })
    }

    fn max_text_batch(&self) -> u32 {
        MAX_TEXT_BATCH
    }

    fn supports_depth(&self) -> bool {
        true
    }

    fn embed(&mut self, texts: &[String]) -> Result<Embeddings> {
        crate::embed::embed(&self.runtime, &self.model.id, texts)
    }
}

/// Largest batch [`Engine::generate_text`] runs at once on MLX (left-padded batched decode).
const MAX_TEXT_BATCH: u32 = 16;

impl MlxEngine {
    /// Generates for `prompts` (one row each, batched), timestamping every token after it is
    /// evaluated (after `context`, when given: its caches hold the context already); returns
    /// the raw sample and the generated ids per row. Ends with
    /// [`EngineError::Cancelled`] once `cancel` is set or `on_token` breaks.
    fn generate_timed(
        &mut self,
        prompts: &[Vec<u32>],
        opts: &GenerateOptions,
        cancel: &AtomicBool,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
        context: Option<&mut Context>,
    ) -> Result<(TrialSample, Vec<Vec<u32>>)> {
        let mut offsets: Vec<Vec<u64>> = vec![Vec::with_capacity(opts.max_tokens); prompts.len()];
        let mut cancelled = false;
        benchbar_mlx::reset_peak_memory();
        let start = Instant::now();
        let mut on_event = |ev: TokenEvent| {
            let elapsed_ns = ev.at.saturating_duration_since(start).as_nanos() as u64;
            offsets[ev.row].push(elapsed_ns);
            if !cancelled {
                let tick = TokenTick {
                    row: ev.row as u32,
                    step: ev.step as u32,
                    elapsed_ns,
                };
                cancelled = on_token(tick).is_break();
            }
        };
        let ids = match context {
            Some(ctx) => self
                .runtime
                .generate_after(ctx, prompts, opts, cancel, &mut on_event),
            None => self
                .runtime
                .generate_cancellable(prompts, opts, cancel, &mut on_event),
        }
        .map_err(mlx_error)?;
        if cancelled {
            return Err(EngineError::Cancelled);
        }
        let wall_ns = offsets
            .iter()
            .filter_map(|o| o.last())
            .copied()
            .max()
            .unwrap_or(0);
        let sample = TrialSample {
            index: 0,
            wall_ns,
            requests: offsets
                .into_iter()
                .zip(prompts)
                .map(|(token_offsets_ns, p)| RequestSample {
                    prompt_tokens: p.len() as u32,
                    start_offset_ns: 0,
                    requested_tokens: opts.max_tokens as u32,
                    token_offsets_ns,
                })
                .collect(),
            counters: EngineCounters {
                mlx_peak_memory_bytes: Some(benchbar_mlx::memory().peak_bytes),
                process_peak_memory_bytes: benchbar_power::process_peak().map(|p| p.peak_bytes),
                kv_cache_bytes: None,
            },
            energy: None,
            error: None,
        };
        Ok((sample, ids))
    }
}
