//! Finding models: explicit paths, the Hugging Face cache, and BenchBar's own models folder
//! (where `builtin:tiny` is generated on first use).

use crate::builtin::Builtin;
use crate::info::ModelInfo;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// BenchBar's models folder: `$BENCHBAR_MODELS_DIR`, else `<data dir>/benchbar/models`.
pub fn models_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("BENCHBAR_MODELS_DIR") {
        return PathBuf::from(d);
    }
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("benchbar")
        .join("models")
}

/// The Hugging Face hub cache: `$HF_HUB_CACHE`, `$HF_HOME/hub`, or `~/.cache/huggingface/hub`.
pub fn hf_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("HF_HUB_CACHE") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("HF_HOME") {
        return Some(PathBuf::from(d).join("hub"));
    }
    dirs::home_dir().map(|h| h.join(".cache").join("huggingface").join("hub"))
}

/// Resolve a model spec to a checkpoint directory:
/// - `builtin:tiny` / `builtin:tiny-4bit` / `builtin:tiny-8bit`: the tiny random-weight Qwen3
///   in [`models_dir`], made by the binary on first use ([`Builtin`]);
/// - an existing directory path;
/// - a repo id (`org/name`) present in the Hugging Face cache (newest snapshot).
pub fn resolve_model(spec: &str) -> Result<PathBuf> {
    if let Some(name) = spec.strip_prefix("builtin:") {
        let builtin = Builtin::from_name(name).ok_or_else(|| {
            Error::NotFound(format!(
                "{spec} (builtins: builtin:tiny, builtin:tiny-4bit, builtin:tiny-8bit)"
            ))
        })?;
        return builtin.ensure(&models_dir());
    }
    let p = Path::new(spec);
    if p.is_dir() {
        // Messages name the folder as it is, not as typed relative to some working directory.
        let dir = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        if !dir.join("config.json").exists() {
            return Err(Error::file(
                dir.join("config.json"),
                "missing (not a model directory?)",
            ));
        }
        return Ok(dir);
    }
    if let Some((org, name)) = spec.split_once('/') {
        if !org.is_empty() && !name.is_empty() && !name.contains('/') {
            if let Some(snap) = hf_snapshot(org, name) {
                return Ok(snap);
            }
        }
    }
    let cache = hf_cache_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|| "(no HF cache dir)".into());
    Err(Error::NotFound(format!(
        "\"{spec}\" is not a model directory, a repo id in the Hugging Face cache ({cache}), or builtin:tiny"
    )))
}

fn hf_snapshot(org: &str, name: &str) -> Option<PathBuf> {
    let snaps = hf_cache_dir()?
        .join(format!("models--{org}--{name}"))
        .join("snapshots");
    let mut best: Option<(std::time::SystemTime, PathBuf)> = None;
    for e in std::fs::read_dir(&snaps).ok()?.flatten() {
        let p = e.path();
        if !snapshot_is_complete(&p) {
            continue;
        }
        let t = e
            .metadata()
            .and_then(|m| m.modified())
            .unwrap_or(std::time::UNIX_EPOCH);
        let newer = match &best {
            Some((bt, _)) => t > *bt,
            None => true,
        };
        if newer {
            best = Some((t, p));
        }
    }
    best.map(|(_, p)| p)
}

/// A cache snapshot is usable only when complete: config.json, tokenizer.json and every weight
/// file present (a link into `blobs/` whose download is partial or missing dangles, and
/// `exists` follows links), and no `.incomplete` file in it. An interrupted download never
/// resolves as a model.
fn snapshot_is_complete(dir: &Path) -> bool {
    let partial = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".incomplete")),
        Err(_) => true,
    };
    !partial
        && dir.join("config.json").exists()
        && dir.join("tokenizer.json").exists()
        && crate::weights::weight_files(dir).is_ok_and(|files| files.iter().all(|f| f.exists()))
}

/// Every Qwen3 checkpoint in the Hugging Face cache and in [`models_dir`] (unreadable or
/// non-Qwen3 entries are skipped).
pub fn list_models() -> Vec<ModelInfo> {
    let mut dirs = Vec::new();
    if let Some(hub) = hf_cache_dir() {
        if let Ok(rd) = std::fs::read_dir(&hub) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if let Some(rest) = n.strip_prefix("models--") {
                    if let Some((org, name)) = rest.split_once("--") {
                        if let Some(s) = hf_snapshot(org, name) {
                            dirs.push(s);
                        }
                    }
                }
            }
        }
    }
    if let Ok(rd) = std::fs::read_dir(models_dir()) {
        for e in rd.flatten() {
            // Hidden folders are builtins being created.
            let hidden = e.file_name().to_string_lossy().starts_with('.');
            if !hidden && e.path().join("config.json").exists() {
                dirs.push(e.path());
            }
        }
    }
    let mut out: Vec<ModelInfo> = dirs
        .iter()
        .filter_map(|d| ModelInfo::from_dir(d).ok())
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}
