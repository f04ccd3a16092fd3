//! The Qwen3 variants users pull (the seed's rows first, then the rest of the family BenchBar
//! runs in-process), marked present or absent in the cache, with size on disk and whether they
//! fit this machine's memory.

use std::path::PathBuf;

use serde::Serialize;

use crate::cache::{dir_bytes, RepoCache};
use crate::HubConfig;

/// One published checkpoint the seed benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// Hub repo id.
    pub repo_id: &'static str,
    /// Model name without the quantization ("Qwen3-8B").
    pub model: &'static str,
    /// Parameter count from the model card.
    pub param_count: u64,
    /// Parameters one token runs through (a mixture of experts: its active experts; else all).
    pub active_param_count: u64,
    /// Bits per weight: 4, 6 or 8 (MLX affine quantization, group size 64) or 16 (bf16).
    pub bits: u32,
    /// One of the seed specification's rows (graded against its target matrix).
    pub seed: bool,
}

/// A seed row (dense).
const fn v(repo_id: &'static str, model: &'static str, param_count: u64, bits: u32) -> Variant {
    Variant {
        repo_id,
        model,
        param_count,
        active_param_count: param_count,
        bits,
        seed: true,
    }
}

/// A family row outside the seed (dense).
const fn f(repo_id: &'static str, model: &'static str, param_count: u64, bits: u32) -> Variant {
    Variant {
        seed: false,
        ..v(repo_id, model, param_count, bits)
    }
}

/// A mixture-of-experts row outside the seed: `active` parameters per token.
const fn moe(repo_id: &'static str, model: &'static str, params: (u64, u64), bits: u32) -> Variant {
    Variant {
        active_param_count: params.1,
        ..f(repo_id, model, params.0, bits)
    }
}

/// The seed's variants (its "7B" rows are Qwen3-8B, the size Qwen3 ships), then the rest of the
/// Qwen3 family as mlx-community publishes it: 0.6B, 4B-2507 (4/6/8-bit), 14B 4-bit, 32B, the
/// 30B-A3B mixtures of experts (30.5B parameters, 3.3B active), and the Qwen3.5/3.6 hybrids
/// (Gated DeltaNet + gated attention; vision-language checkpoints whose text model BenchBar
/// runs): 0.8B, 2B, 4B, 9B, 3.6-27B, and the 35B-A3B and 122B-A10B mixtures of experts.
pub const VARIANTS: [Variant; 30] = [
    v(
        "mlx-community/Qwen3-1.7B-4bit",
        "Qwen3-1.7B",
        1_700_000_000,
        4,
    ),
    v(
        "mlx-community/Qwen3-1.7B-8bit",
        "Qwen3-1.7B",
        1_700_000_000,
        8,
    ),
    v(
        "mlx-community/Qwen3-1.7B-bf16",
        "Qwen3-1.7B",
        1_700_000_000,
        16,
    ),
    v("mlx-community/Qwen3-8B-4bit", "Qwen3-8B", 8_200_000_000, 4),
    v("mlx-community/Qwen3-8B-8bit", "Qwen3-8B", 8_200_000_000, 8),
    v("mlx-community/Qwen3-8B-bf16", "Qwen3-8B", 8_200_000_000, 16),
    v(
        "mlx-community/Qwen3-14B-8bit",
        "Qwen3-14B",
        14_800_000_000,
        8,
    ),
    v(
        "mlx-community/Qwen3-14B-bf16",
        "Qwen3-14B",
        14_800_000_000,
        16,
    ),
    f(
        "mlx-community/Qwen3-0.6B-4bit",
        "Qwen3-0.6B",
        600_000_000,
        4,
    ),
    f(
        "mlx-community/Qwen3-0.6B-8bit",
        "Qwen3-0.6B",
        600_000_000,
        8,
    ),
    f(
        "mlx-community/Qwen3-0.6B-bf16",
        "Qwen3-0.6B",
        600_000_000,
        16,
    ),
    f(
        "mlx-community/Qwen3-4B-Instruct-2507-4bit",
        "Qwen3-4B-Instruct-2507",
        4_000_000_000,
        4,
    ),
    f(
        "mlx-community/Qwen3-4B-Instruct-2507-6bit",
        "Qwen3-4B-Instruct-2507",
        4_000_000_000,
        6,
    ),
    f(
        "mlx-community/Qwen3-4B-Instruct-2507-8bit",
        "Qwen3-4B-Instruct-2507",
        4_000_000_000,
        8,
    ),
    f(
        "mlx-community/Qwen3-14B-4bit",
        "Qwen3-14B",
        14_800_000_000,
        4,
    ),
    f(
        "mlx-community/Qwen3-32B-4bit",
        "Qwen3-32B",
        32_800_000_000,
        4,
    ),
    f(
        "mlx-community/Qwen3-32B-8bit",
        "Qwen3-32B",
        32_800_000_000,
        8,
    ),
    moe(
        "mlx-community/Qwen3-30B-A3B-4bit",
        "Qwen3-30B-A3B",
        (30_500_000_000, 3_300_000_000),
        4,
    ),
    moe(
        "mlx-community/Qwen3-30B-A3B-8bit",
        "Qwen3-30B-A3B",
        (30_500_000_000, 3_300_000_000),
        8,
    ),
    moe(
        "mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit",
        "Qwen3-Coder-30B-A3B-Instruct",
        (30_500_000_000, 3_300_000_000),
        4,
    ),
    moe(
        "mlx-community/Qwen3-Coder-30B-A3B-Instruct-8bit",
        "Qwen3-Coder-30B-A3B-Instruct",
        (30_500_000_000, 3_300_000_000),
        8,
    ),
    f(
        "mlx-community/Qwen3.5-0.8B-MLX-4bit",
        "Qwen3.5-0.8B",
        800_000_000,
        4,
    ),
    f(
        "mlx-community/Qwen3.5-2B-MLX-4bit",
        "Qwen3.5-2B",
        2_000_000_000,
        4,
    ),
    f(
        "mlx-community/Qwen3.5-4B-4bit",
        "Qwen3.5-4B",
        4_000_000_000,
        4,
    ),
    f(
        "mlx-community/Qwen3.5-9B-4bit",
        "Qwen3.5-9B",
        9_000_000_000,
        4,
    ),
    f(
        "mlx-community/Qwen3.5-9B-8bit",
        "Qwen3.5-9B",
        9_000_000_000,
        8,
    ),
    f(
        "mlx-community/Qwen3.6-27B-4bit",
        "Qwen3.6-27B",
        27_000_000_000,
        4,
    ),
    moe(
        "mlx-community/Qwen3.5-35B-A3B-4bit",
        "Qwen3.5-35B-A3B",
        (35_000_000_000, 3_000_000_000),
        4,
    ),
    moe(
        "mlx-community/Qwen3.6-35B-A3B-4bit",
        "Qwen3.6-35B-A3B",
        (35_000_000_000, 3_000_000_000),
        4,
    ),
    moe(
        "mlx-community/Qwen3.5-122B-A10B-4bit",
        "Qwen3.5-122B-A10B",
        (122_000_000_000, 10_000_000_000),
        4,
    ),
];

/// Share of unified memory MLX may use by default (Metal's recommended working set).
pub const USABLE_MEMORY_FRACTION: f64 = 0.75;
/// Weights plus KV cache, activations and MLX's buffers, as a multiple of the weights.
pub const MEMORY_OVERHEAD_FACTOR: f64 = 1.2;

/// A catalogue line.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct CatalogueEntry {
    /// Hub repo id (`benchbar models pull` takes it; `--model` too once present).
    pub repo_id: String,
    /// "Qwen3-8B".
    pub model: String,
    /// "4bit", "8bit" or "bf16".
    pub quantization: String,
    /// Parameter count from the model card.
    pub param_count: u64,
    /// Parameters one token runs through (a mixture of experts: its active experts; else all):
    /// what a decode step reads, where memory must hold all of [`CatalogueEntry::param_count`].
    pub active_param_count: u64,
    /// One of the seed specification's rows (graded against its target matrix; the others are
    /// graded against no row).
    pub seed: bool,
    /// A complete, loadable snapshot is in the cache.
    pub present: bool,
    /// Its snapshot folder, when present.
    pub path: Option<PathBuf>,
    /// Bytes the repo's cache folder takes (0 when absent): what `models rm` frees.
    pub size_on_disk_bytes: u64,
    /// Weights at `bits` per parameter (+0.5 for the quantization scales and biases).
    pub estimated_download_bytes: u64,
    /// Memory to run it: [`MEMORY_OVERHEAD_FACTOR`] × weights (on disk, else estimated).
    pub estimated_memory_bytes: u64,
    /// `estimated_memory_bytes` ≤ [`USABLE_MEMORY_FRACTION`] × `total_memory_bytes`.
    pub fits_memory: bool,
}

/// The catalogue for a machine with `total_memory_bytes` of (unified) memory, against the
/// cache in `config`.
pub fn catalogue(config: &HubConfig, total_memory_bytes: u64) -> Vec<CatalogueEntry> {
    VARIANTS
        .iter()
        .map(|v| {
            let rc = RepoCache::new(&config.cache_dir, v.repo_id, "main");
            let path = rc.newest_complete_snapshot();
            let size_on_disk_bytes = if rc.dir.is_dir() {
                dir_bytes(&rc.dir)
            } else {
                0
            };
            entry(v, path, size_on_disk_bytes, total_memory_bytes)
        })
        .collect()
}

/// The download to offer a machine with no model yet: the smallest of the seed's models not on
/// disk that fits its memory (None when none does).
pub fn first_download(entries: &[CatalogueEntry]) -> Option<&CatalogueEntry> {
    entries
        .iter()
        .filter(|e| e.seed && !e.present && e.fits_memory)
        .min_by_key(|e| e.estimated_download_bytes)
}

fn entry(
    v: &Variant,
    path: Option<PathBuf>,
    size_on_disk_bytes: u64,
    total_memory_bytes: u64,
) -> CatalogueEntry {
    let bits_per_weight = if v.bits < 16 {
        v.bits as f64 + 0.5
    } else {
        16.0
    };
    let estimated_download_bytes = (v.param_count as f64 * bits_per_weight / 8.0) as u64;
    let weights_bytes = path
        .as_deref()
        .and_then(|p| benchbar_mlx::ModelInfo::from_dir(p).ok())
        .map_or(estimated_download_bytes, |m| m.size_bytes);
    let estimated_memory_bytes = (weights_bytes as f64 * MEMORY_OVERHEAD_FACTOR) as u64;
    CatalogueEntry {
        repo_id: v.repo_id.to_string(),
        model: v.model.to_string(),
        quantization: if v.bits < 16 {
            format!("{}bit", v.bits)
        } else {
            "bf16".into()
        },
        param_count: v.param_count,
        active_param_count: v.active_param_count,
        seed: v.seed,
        present: path.is_some(),
        path,
        size_on_disk_bytes,
        estimated_download_bytes,
        estimated_memory_bytes,
        fits_memory: estimated_memory_bytes as f64
            <= total_memory_bytes as f64 * USABLE_MEMORY_FRACTION,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_follow_bits_per_weight_and_memory_decides_fit() {
        let gib = 1u64 << 30;
        let v4 = v("o/a-4bit", "a", 1_000_000_000, 4);
        let v16 = v("o/a-bf16", "a", 1_000_000_000, 16);
        let e4 = entry(&v4, None, 0, 8 * gib);
        let e16 = entry(&v16, None, 0, 8 * gib);
        assert_eq!(e4.estimated_download_bytes, 562_500_000);
        assert_eq!(e16.estimated_download_bytes, 2_000_000_000);
        assert_eq!(e16.estimated_memory_bytes, 2_400_000_000);
        assert_eq!(
            (e4.quantization.as_str(), e16.quantization.as_str()),
            ("4bit", "bf16")
        );
        assert!(!e4.present && e4.path.is_none());
        // 2.4 GB needs 3.2 GB of memory at 75 %.
        assert!(entry(&v16, None, 0, 3_200_000_000).fits_memory);
        assert!(!entry(&v16, None, 0, 3_199_999_999).fits_memory);
    }

    #[test]
    fn the_first_download_is_the_smallest_that_fits_and_is_not_there() {
        let gib = 1u64 << 30;
        let small = entry(&v("o/s-4bit", "s", 1_000_000_000, 4), None, 0, 16 * gib);
        let big = entry(&v("o/b-4bit", "b", 8_000_000_000, 4), None, 0, 16 * gib);
        let huge = entry(&v("o/h-bf16", "h", 30_000_000_000, 16), None, 0, 16 * gib);
        assert!(small.fits_memory && big.fits_memory);
        assert!(!huge.fits_memory);
        let all = vec![big.clone(), huge.clone(), small.clone()];
        assert_eq!(
            first_download(&all).map(|e| e.repo_id.as_str()),
            Some("o/s-4bit")
        );
        // Already there: the next smallest; nothing fits: no offer.
        let mut present = small.clone();
        present.present = true;
        let all = vec![big.clone(), present];
        assert_eq!(
            first_download(&all).map(|e| e.repo_id.as_str()),
            Some("o/b-4bit")
        );
        assert!(first_download(&[huge]).is_none());
        // Only the seed's rows are offered first, however small the others.
        let tiny = entry(&f("o/t-4bit", "t", 100_000_000, 4), None, 0, 16 * gib);
        let all = vec![tiny.clone(), big.clone()];
        assert_eq!(
            first_download(&all).map(|e| e.repo_id.as_str()),
            Some("o/b-4bit")
        );
    }

    #[test]
    fn the_family_rows_name_their_quantization_and_active_parameters() {
        let names: Vec<&str> = VARIANTS.iter().map(|v| v.repo_id).collect();
        for repo in [
            "mlx-community/Qwen3-0.6B-4bit",
            "mlx-community/Qwen3-4B-Instruct-2507-6bit",
            "mlx-community/Qwen3-32B-4bit",
            "mlx-community/Qwen3-30B-A3B-4bit",
            "mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit",
            "mlx-community/Qwen3.5-9B-4bit",
            "mlx-community/Qwen3.6-27B-4bit",
            "mlx-community/Qwen3.5-35B-A3B-4bit",
        ] {
            assert!(names.contains(&repo), "{repo}");
        }
        // the hybrids' mixtures of experts name their active parameters; none is a seed row
        let a3b35 = VARIANTS
            .iter()
            .find(|v| v.repo_id == "mlx-community/Qwen3.5-35B-A3B-4bit")
            .unwrap();
        assert_eq!(a3b35.active_param_count, 3_000_000_000);
        assert!(VARIANTS
            .iter()
            .filter(|v| v.model.starts_with("Qwen3.5") || v.model.starts_with("Qwen3.6"))
            .all(|v| !v.seed));
        let gib = 1u64 << 30;
        let six = VARIANTS.iter().find(|v| v.bits == 6).unwrap();
        assert_eq!(entry(six, None, 0, 64 * gib).quantization, "6bit");
        let a3b = VARIANTS
            .iter()
            .find(|v| v.repo_id == "mlx-community/Qwen3-30B-A3B-4bit")
            .unwrap();
        let e = entry(a3b, None, 0, 64 * gib);
        assert_eq!(
            (e.param_count, e.active_param_count),
            (30_500_000_000, 3_300_000_000)
        );
        assert!(!e.seed);
        // Memory holds every expert: 30.5B at 4.5 bits, 1.2 x.
        assert_eq!(e.estimated_memory_bytes, 20_587_500_000);
        assert!(VARIANTS.iter().take(8).all(|v| v.seed));
    }

    #[test]
    fn absent_everywhere_in_an_empty_cache() {
        let tmp = tempfile::tempdir().unwrap();
        let config = HubConfig::new(tmp.path().into(), "http://127.0.0.1:9", None, true);
        let all = catalogue(&config, 32 << 30);
        assert_eq!(all.len(), VARIANTS.len());
        assert!(all.iter().all(|e| !e.present && e.size_on_disk_bytes == 0));
        let big = all
            .iter()
            .find(|e| e.repo_id.ends_with("14B-bf16"))
            .unwrap();
        // 29.6 GB of weights × 1.2 = 35.5 GB > 75 % of 32 GiB.
        assert!(!big.fits_memory);
        assert!(all[0].fits_memory);
    }
}
