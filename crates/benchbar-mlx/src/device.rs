//! MLX's side of the machine: safetensors loading, allocator statistics, version and device
//! (one call of the platform backend each, as in [`crate::ops`]).

use crate::backend as b;
use crate::ops::Array;
use crate::Result;

/// Load every tensor of a safetensors file (MLX reads lazily).
pub fn load_safetensors(path: &std::path::Path) -> Result<Vec<(String, Array)>> {
    Ok(b::load_safetensors(path)?
        .into_iter()
        .map(|(n, a)| (n, Array(a)))
        .collect())
}

/// MLX allocator statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct MemoryStats {
    /// Bytes held by live arrays.
    pub active_bytes: u64,
    /// Peak of `active_bytes` since start or the last [`reset_peak_memory`].
    pub peak_bytes: u64,
    /// Bytes in MLX's buffer cache (freed arrays kept for reuse).
    pub cache_bytes: u64,
}

/// Current MLX memory statistics.
pub fn memory() -> MemoryStats {
    MemoryStats {
        active_bytes: b::active_memory() as u64,
        peak_bytes: b::peak_memory() as u64,
        cache_bytes: b::cache_memory() as u64,
    }
}

/// Reset MLX's peak-memory counter.
pub fn reset_peak_memory() {
    b::reset_peak_memory()
}

/// Release MLX's buffer cache.
pub fn clear_cache() {
    b::clear_cache()
}

/// MLX version, e.g. "0.32.4".
pub fn mlx_version() -> String {
    b::mlx_version()
}

/// "gpu" when MLX's default device is a GPU, else "cpu".
pub fn device_name() -> &'static str {
    if b::default_device_is_gpu() {
        "gpu"
    } else {
        "cpu"
    }
}

/// The default device and its name when MLX knows it, e.g. `gpu (NVIDIA H100 80GB HBM3)`.
pub fn device_description() -> String {
    b::device_description()
}

/// The MLX backend in use: `cuda`, `metal` or `cpu` (which `libmlx` was loaded).
pub fn mlx_build() -> String {
    b::mlx_build()
}
