//! Shared test helpers: locate (or generate) the fixtures and the mlx_lm oracle outputs.
//!
//! CI runs `scripts/test.sh`: setup-python.sh, then `scripts/fixtures.sh` (tokenizer
//! verification, fixtures, oracle JSON), then the workspace's tests. A plain `cargo test -p benchbar-mlx` after
//! `scripts/setup-python.sh` also works: missing fixtures / oracle JSON are generated here with
//! the venv python (`BENCHBAR_PYTHON` overrides it) under `BENCHBAR_FIXTURES`
//! (default `<repo>/.fixtures`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

static LOCK: Mutex<()> = Mutex::new(());

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn python() -> String {
    std::env::var("BENCHBAR_PYTHON")
        .unwrap_or_else(|_| repo().join(".venv/bin/python").display().to_string())
}

pub fn fixtures() -> PathBuf {
    std::env::var_os("BENCHBAR_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".fixtures"))
}

fn run_py(args: &[&str]) {
    let mut cmd = Command::new(python());
    cmd.args(args).current_dir(repo());
    // Give mlx_lm the same BLAS the Rust binary links, so both sides compute identical matmuls.
    if benchbar_mlx::blas_threads().is_some() {
        let ob = "/usr/lib/x86_64-linux-gnu/libopenblas.so.0";
        if Path::new(ob).exists() {
            cmd.env("LD_PRELOAD", ob);
        }
    }
    let out = cmd.output().expect("run python");
    assert!(
        out.status.success(),
        "{} {:?} failed:\n{}",
        python(),
        args,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The fixtures scripts/quantize_fixtures.py makes (quantized by mlx_lm's converter, or with
/// RoPE scaling in config.json), and the fixture each is made from.
pub const QUANTIZED: &[(&str, &str)] = &[
    ("6bit", "f32"),
    ("5bit-g32", "bf16"),
    ("mxfp4", "f32"),
    ("nvfp4", "f32"),
    ("mxfp8", "f32"),
    ("mixed-3-6", "bf16"),
    ("mixed-2-6", "f32"),
    ("moe-4bit", "moe"),
    ("qwen3_5-4bit", "qwen3_5"),
    ("qwen3_5_moe-4bit", "qwen3_5_moe"),
    ("yarn", "f32"),
    ("rope-linear", "f32"),
    ("rope-llama3", "f32"),
    ("rope-longrope", "f32"),
    ("rope-dynamic", "f32"),
    ("qwen3_5-yarn", "qwen3_5"),
];

/// `<fixtures>/tiny-<variant>`, generated if missing: f32, 4bit and 8bit by benchbar-mlx
/// itself (the builtins), bf16, moe and moe-hf (Qwen3-MoE) by make_fixtures.py, the
/// [`QUANTIZED`] ones by
/// quantize_fixtures.py.
pub fn model_dir(variant: &str) -> PathBuf {
    if let Some((_, base)) = QUANTIZED.iter().find(|(v, _)| *v == variant) {
        model_dir(base);
        let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let dir = fixtures().join(format!("tiny-{variant}"));
        if !dir.join("config.json").exists() {
            let out = fixtures();
            run_py(&[
                "scripts/quantize_fixtures.py",
                "--fixtures",
                out.to_str().unwrap(),
                "--only",
                variant,
            ]);
        }
        return dir;
    }
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = fixtures().join(format!("tiny-{variant}"));
    let builtin = benchbar_mlx::builtin::Builtin::from_name(&format!("tiny-{variant}"));
    if let (false, Some(b)) = (dir.join("config.json").exists(), builtin) {
        return b.ensure(&fixtures()).unwrap();
    }
    if !dir.join("config.json").exists() {
        let out = fixtures();
        let out = out.to_str().unwrap();
        match variant {
            "qwen3_5" | "qwen3_5-hf" | "qwen3_5_moe" | "qwen3_next" => run_py(&[
                "scripts/make_hybrid_fixtures.py",
                "--out",
                out,
                "--only",
                variant,
            ]),
            "hd64-f32" => run_py(&[
                "scripts/make_fixtures.py",
                "--out",
                out,
                "--shape",
                "tiny-hd64",
            ]),
            _ => run_py(&["scripts/make_fixtures.py", "--out", out, "--only", variant]),
        }
    }
    dir
}

/// The oracle JSON for `tiny-<variant>` (chat prompts), generated if missing or older than the model.
pub fn oracle(variant: &str) -> (serde_json::Value, Vec<f32>) {
    oracle_kv(variant, None)
}

/// [`oracle`], the greedy tokens with mlx_lm's KV cache quantized to `kv_bits` (groups of 64)
/// from the first forward call (`tiny-<variant>-kv<bits>.json`).
pub fn oracle_kv(variant: &str, kv_bits: Option<i32>) -> (serde_json::Value, Vec<f32>) {
    let dir = model_dir(variant);
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let name = match kv_bits {
        Some(b) => format!("tiny-{variant}-kv{b}.json"),
        None => format!("tiny-{variant}.json"),
    };
    let path = fixtures().join("oracle").join(name);
    let stale = match (
        std::fs::metadata(&path),
        std::fs::metadata(dir.join("config.json")),
    ) {
        (Ok(o), Ok(m)) => o.modified().unwrap() < m.modified().unwrap(),
        _ => true,
    };
    if stale {
        let bits = kv_bits.map(|b| b.to_string());
        let mut args = vec![
            "scripts/mlx_oracle.py",
            "--model",
            dir.to_str().unwrap(),
            "--out",
            path.to_str().unwrap(),
            "--chat",
        ];
        if let Some(b) = &bits {
            args.extend(["--kv-bits", b]);
        }
        run_py(&args);
    }
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let bin = std::fs::read(path.with_extension("logits.bin")).unwrap();
    let logits = bin
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    (doc, logits)
}

pub fn ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}
