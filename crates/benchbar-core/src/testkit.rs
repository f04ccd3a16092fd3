//! Synthetic samples for tests (test data, not measurements): builders shared by the test
//! suites of the core, the store, the CLI and the app.

use crate::report::{CellRaw, EngineInfo, MachineInfo, ModelRef, RunMeta, RunOrigin, RunStatus};
use crate::sample::{EngineCounters, RequestSample, TrialSample};
use crate::spec::{Category, CellPlan, PromptSpec};

/// A batch-1 trial decoding `n` tokens at exactly `tps` after a `ttft_ms` prefill of
/// `prompt_tokens`, with an MLX peak of `mem_bytes`.
pub fn synthetic_trial(index: u32, tps: f64, ttft_ms: f64, n: u32, mem_bytes: u64) -> TrialSample {
    let first = (ttft_ms * 1e6) as u64;
    let gap_ns = 1e9 / tps;
    let offsets: Vec<u64> = (0..n)
        .map(|i| first + (f64::from(i) * gap_ns) as u64)
        .collect();
    TrialSample {
        index,
        wall_ns: offsets.last().copied().unwrap_or(first),
        requests: vec![RequestSample {
            prompt_tokens: 16,
            requested_tokens: n,
            token_offsets_ns: offsets,
            ..Default::default()
        }],
        counters: EngineCounters {
            mlx_peak_memory_bytes: Some(mem_bytes),
            process_peak_memory_bytes: None,
            kv_cache_bytes: None,
        },
        energy: None,
        error: None,
    }
}

/// Metadata of a run of `model` on a fixed Apple M3 Max, engine `mlx` at `engine_version`.
pub fn synthetic_meta(run_id: Option<i64>, model: &str, engine_version: &str) -> RunMeta {
    RunMeta {
        run_id,
        started_at: "2026-11-26T10:00:00Z".parse().expect("valid RFC 3339"),
        status: RunStatus::Completed,
        machine: MachineInfo {
            os: "macOS 15.1".into(),
            arch: "aarch64".into(),
            cpu: "Apple M3 Max".into(),
            memory_bytes: 128 << 30,
            chip: Some("Apple M3 Max".into()),
        },
        engine: EngineInfo {
            name: "mlx".into(),
            version: engine_version.into(),
            kv_cache: None,
        },
        model: ModelRef {
            id: model.into(),
            path: None,
            quantization: Some("4bit".into()),
        },
        suite: "quick".into(),
        warnings: vec![],
        power: None,
        origin: RunOrigin::Cli,
    }
}

/// A `short.1` batch-1 cell with one trial per `(tps, ttft_ms)` pair, 64 tokens each.
pub fn synthetic_cell(tps: &[f64], ttft_ms: &[f64], mem_bytes: u64) -> CellRaw {
    CellRaw {
        plan: CellPlan {
            test: "short.1".into(),
            category: Category::Short,
            prompt: PromptSpec::Text { text: "x".into() },
            batch_size: 1,
            gen_tokens: 64,
            reps: tps.len() as u32,
            adaptive: None,
            warmup: 1,
            load: None,
            depth_tokens: None,
            prefix: None,
        },
        trials: tps
            .iter()
            .zip(ttft_ms)
            .enumerate()
            .map(|(i, (t, f))| synthetic_trial(i as u32, *t, *f, 64, mem_bytes))
            .collect(),
        power: None,
    }
}
