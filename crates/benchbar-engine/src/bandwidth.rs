//! The memory bandwidth of the device the in-process engine runs on, measured through MLX
//! (benchbar-mlx's `bandwidth` module) and labelled for the store and the reports.

use std::path::Path;
use std::time::Duration;

use benchbar_core::bandwidth::MeasuredBandwidth;
use benchbar_mlx::bandwidth::{measure, BandwidthOptions};
use benchbar_mlx::ops::Dtype;

use crate::{EngineError, Result};

/// How much to measure on a machine of `memory_bytes`: on a GPU 4 GiB (an eighth of the memory
/// where that is less), far past the caches and long enough per call (over a millisecond at
/// 3 TB/s) that the wait for the result is a small part of it (1 GiB read 13% slower on an
/// H100, docs/perf-notes.md), 50 timed calls; on MLX's CPU backend 256 MiB of f32 and fewer calls
/// (each takes milliseconds there).
pub fn default_options(memory_bytes: u64) -> BandwidthOptions {
    if benchbar_mlx::device_name() == "gpu" {
        BandwidthOptions {
            array_bytes: (4 << 30).min(memory_bytes / 8).max(64 << 20),
            reps: 50,
            warmup: Duration::from_secs(1),
            dtype: Dtype::BF16,
        }
    } else {
        BandwidthOptions {
            array_bytes: 256 << 20,
            reps: 10,
            warmup: Duration::from_millis(200),
            dtype: Dtype::F32,
        }
    }
}

/// Measures MLX's default device with `options`.
pub fn measure_device(options: &BandwidthOptions) -> Result<MeasuredBandwidth> {
    let b = measure(options)
        .map_err(|e| EngineError::Request(format!("measuring the memory bandwidth: {e}")))?;
    Ok(MeasuredBandwidth {
        read_gbps: b.read_gbps,
        read_reduce_gbps: b.read_reduce_gbps,
        read_gemv_gbps: b.read_gemv_gbps,
        copy_gbps: b.copy_gbps,
        array_bytes: b.array_bytes,
        reps: options.reps,
        device: match benchbar_mlx::device_name() {
            "gpu" => benchbar_mlx::device_description(),
            other => other.to_owned(),
        },
        mlx_version: benchbar_mlx::mlx_version(),
        measured_at: chrono::Utc::now(),
    })
}

/// Bytes one decode step of the model in `dir` reads, the roofline's numerator per token: its
/// weights as benchbar-mlx reads the checkpoint (of a mixture of experts the routed experts'
/// share; a vision tower left out), else the size of its safetensors files; None when neither
/// is known (no such folder here).
pub fn decode_read_bytes(dir: &Path) -> Option<u64> {
    if let Ok(info) = benchbar_mlx::ModelInfo::from_dir(dir) {
        return Some(info.decode_read_bytes);
    }
    let total: u64 = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "safetensors"))
        .filter_map(|e| e.metadata().ok().map(|m| m.len()))
        .sum();
    (total > 0).then_some(total)
}
