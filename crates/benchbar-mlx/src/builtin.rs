//! The built-in models (`builtin:tiny`, `-4bit`, `-8bit`): a tiny Qwen3 with random weights,
//! made by the binary itself on first use, so a new machine benchmarks without Python or a
//! download.
//!
//! The shape is Qwen3's with tiny sizes (hidden 64, 2 layers, 4 heads of 16, 2 KV heads, MLP
//! 128) and Qwen3's real vocabulary and tokenizer: `tokenizer.json` and `tokenizer_config.json`
//! are embedded (gzip, `assets/`; built by scripts/make_fixtures.py and verified there against
//! tiktoken). Weights are drawn from a ChaCha8 generator with a fixed seed, initialised as
//! mlx_lm's layers initialise themselves (embedding normal with scale 1/sqrt(dims), linear
//! uniform ±1/sqrt(in), norms 1), and written as safetensors in HF layout; the quantized
//! variants go through MLX's own affine quantization (group 64) as `mlx_lm.convert` would.
//! mlx_lm loads the result (the oracle in scripts/fixtures.sh compares it token for token).

use std::io::Read;
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use safetensors::tensor::{Dtype as StDtype, TensorView};
use serde_json::json;

use crate::ops::{self, Array, QuantParams};
use crate::{Error, Result};

const TOKENIZER_GZ: &[u8] = include_bytes!("../assets/qwen3-tokenizer.json.gz");
const TOKENIZER_CONFIG_GZ: &[u8] = include_bytes!("../assets/qwen3-tokenizer_config.json.gz");

/// Qwen3's vocabulary size (the embedding's rows).
const VOCAB: usize = 151_936;
const HIDDEN: usize = 64;
const LAYERS: usize = 2;
const HEADS: usize = 4;
const KV_HEADS: usize = 2;
const HEAD_DIM: usize = 16;
const MLP: usize = 128;
/// The generator's seed: the same weights on every machine. A tiny random model's greedy
/// output mostly repeats one token; of seeds 0 to 23 this one changed token most often over
/// four test prompts (tests of EOS handling need a row that moves on).
const SEED: u64 = 3;
const GROUP_SIZE: i32 = 64;

/// A built-in model: float32, or MLX affine 4-bit or 8-bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `builtin:tiny`: float32.
    TinyF32,
    /// `builtin:tiny-4bit`.
    Tiny4Bit,
    /// `builtin:tiny-8bit`.
    Tiny8Bit,
}

impl Builtin {
    /// The builtin named `name` (after `builtin:`).
    pub fn from_name(name: &str) -> Option<Builtin> {
        match name {
            "tiny" | "tiny-f32" => Some(Builtin::TinyF32),
            "tiny-4bit" => Some(Builtin::Tiny4Bit),
            "tiny-8bit" => Some(Builtin::Tiny8Bit),
            _ => None,
        }
    }

    /// Its folder's name in the models folder (`tiny-f32`, `tiny-4bit`, `tiny-8bit`).
    pub fn dir_name(self) -> &'static str {
        match self {
            Builtin::TinyF32 => "tiny-f32",
            Builtin::Tiny4Bit => "tiny-4bit",
            Builtin::Tiny8Bit => "tiny-8bit",
        }
    }

    fn bits(self) -> Option<i32> {
        match self {
            Builtin::TinyF32 => None,
            Builtin::Tiny4Bit => Some(4),
            Builtin::Tiny8Bit => Some(8),
        }
    }

    /// `models_dir/<dir_name>`, created if it is not there yet. It is written in a hidden
    /// folder beside it and renamed into place when complete, so a run killed half-way leaves
    /// no half-written model (only a hidden folder, removed by the next creation).
    pub fn ensure(self, models_dir: &Path) -> Result<PathBuf> {
        let dir = models_dir.join(self.dir_name());
        if dir.join("config.json").exists() {
            return Ok(dir);
        }
        std::fs::create_dir_all(models_dir).map_err(|e| Error::io(models_dir, e))?;
        remove_partials(models_dir, self.dir_name());
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{}.partial-", self.dir_name()))
            .tempdir_in(models_dir)
            .map_err(|e| Error::io(models_dir, e))?;
        self.write(tmp.path())?;
        if dir.exists() {
            // A folder without config.json: an earlier, incomplete copy.
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        let tmp = tmp.keep();
        std::fs::rename(&tmp, &dir).map_err(|e| Error::io(&dir, e))?;
        Ok(dir)
    }

    /// Writes the model's files into `dir` (which must exist).
    pub fn write(self, dir: &Path) -> Result<()> {
        self.write_seeded(dir, SEED)
    }

    /// [`Builtin::write`] with another seed (how [`SEED`] was chosen; not a builtin).
    pub fn write_seeded(self, dir: &Path, seed: u64) -> Result<()> {
        for (name, gz) in [
            ("tokenizer.json", TOKENIZER_GZ),
            ("tokenizer_config.json", TOKENIZER_CONFIG_GZ),
        ] {
            write_file(&dir.join(name), &gunzip(gz)?)?;
        }
        write_file(
            &dir.join("generation_config.json"),
            &pretty(&json!({
                "bos_token_id": 151643,
                "eos_token_id": [151645, 151643],
                "do_sample": false,
            })),
        )?;
        self.write_weights(&dir.join("model.safetensors"), seed)?;
        // Last: a folder with config.json is taken for a model.
        write_file(&dir.join("config.json"), &pretty(&self.config()))
    }

    fn config(self) -> serde_json::Value {
        let mut c = json!({
            "architectures": ["Qwen3ForCausalLM"],
            "attention_bias": false,
            "bos_token_id": 151643,
            "eos_token_id": 151645,
            "head_dim": HEAD_DIM,
            "hidden_act": "silu",
            "hidden_size": HIDDEN,
            "intermediate_size": MLP,
            "max_position_embeddings": 40960,
            "model_type": "qwen3",
            "num_attention_heads": HEADS,
            "num_hidden_layers": LAYERS,
            "num_key_value_heads": KV_HEADS,
            "rms_norm_eps": 1e-6,
            "rope_scaling": null,
            "rope_theta": 1_000_000,
            "tie_word_embeddings": true,
            "torch_dtype": "float32",
            "vocab_size": VOCAB,
        });
        if let Some(bits) = self.bits() {
            let q = json!({"group_size": GROUP_SIZE, "bits": bits, "mode": "affine"});
            c["quantization"] = q.clone();
            c["quantization_config"] = q;
        }
        c
    }

    /// Every tensor, drawn in a fixed order from one seeded generator: (name, shape, values,
    /// quantizable).
    fn float_tensors(seed: u64) -> Vec<(String, Vec<usize>, Vec<f32>, bool)> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = Vec::new();
        let linear = |rng: &mut ChaCha8Rng, out_f: usize, in_f: usize| {
            let k = 1.0 / (in_f as f32).sqrt();
            (0..out_f * in_f)
                .map(|_| rng.gen_range(-k..k))
                .collect::<Vec<f32>>()
        };
        // Embedding: normal with scale sqrt(1/dims) (Box-Muller on the same generator).
        let scale = (1.0 / HIDDEN as f32).sqrt();
        let embed: Vec<f32> = (0..VOCAB * HIDDEN)
            .map(|_| {
                let (u1, u2): (f32, f32) = (rng.gen_range(f32::EPSILON..1.0), rng.gen());
                (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos() * scale
            })
            .collect();
        out.push((
            "model.embed_tokens.weight".into(),
            vec![VOCAB, HIDDEN],
            embed,
            true,
        ));
        let ones = |n: usize| vec![1.0f32; n];
        for l in 0..LAYERS {
            let p = format!("model.layers.{l}");
            for (name, o, i) in [
                ("self_attn.q_proj", HEADS * HEAD_DIM, HIDDEN),
                ("self_attn.k_proj", KV_HEADS * HEAD_DIM, HIDDEN),
                ("self_attn.v_proj", KV_HEADS * HEAD_DIM, HIDDEN),
                ("self_attn.o_proj", HIDDEN, HEADS * HEAD_DIM),
                ("mlp.gate_proj", MLP, HIDDEN),
                ("mlp.up_proj", MLP, HIDDEN),
                ("mlp.down_proj", HIDDEN, MLP),
            ] {
                let w = linear(&mut rng, o, i);
                out.push((format!("{p}.{name}.weight"), vec![o, i], w, true));
            }
            for (name, n) in [
                ("input_layernorm", HIDDEN),
                ("post_attention_layernorm", HIDDEN),
                ("self_attn.q_norm", HEAD_DIM),
                ("self_attn.k_norm", HEAD_DIM),
            ] {
                out.push((format!("{p}.{name}.weight"), vec![n], ones(n), false));
            }
        }
        out.push((
            "model.norm.weight".into(),
            vec![HIDDEN],
            ones(HIDDEN),
            false,
        ));
        out
    }

    fn write_weights(self, path: &Path, seed: u64) -> Result<()> {
        // (name, dtype, shape, little-endian bytes)
        let mut tensors: Vec<(String, StDtype, Vec<usize>, Vec<u8>)> = Vec::new();
        for (name, shape, values, quantizable) in Builtin::float_tensors(seed) {
            match self.bits() {
                Some(bits) if quantizable => {
                    let dims: Vec<i32> = shape.iter().map(|&d| d as i32).collect();
                    let w = Array::from_f32(&values, &dims)?;
                    let params = QuantParams::affine(GROUP_SIZE, bits);
                    let (q, scales, biases) = ops::quantize(&w, params)?;
                    ops::eval(&[&q, &scales, &biases])?;
                    let stem = name.trim_end_matches(".weight");
                    let qshape = shape_of(&q);
                    tensors.push((name.clone(), StDtype::U32, qshape, le_u32(&q.read_u32()?)));
                    for (suffix, a) in [("scales", &scales), ("biases", &biases)] {
                        tensors.push((
                            format!("{stem}.{suffix}"),
                            StDtype::F32,
                            shape_of(a),
                            le_f32(&a.to_f32_vec()?),
                        ));
                    }
                }
                _ => tensors.push((name, StDtype::F32, shape, le_f32(&values))),
            }
        }
        tensors.sort_by(|a, b| a.0.cmp(&b.0));
        let views = tensors
            .iter()
            .map(|(name, dtype, shape, bytes)| {
                TensorView::new(*dtype, shape.clone(), bytes)
                    .map(|v| (name.clone(), v))
                    .map_err(|e| Error::file(path, format!("tensor {name}: {e:?}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let metadata = Some(
            [("format".to_string(), "mlx".to_string())]
                .into_iter()
                .collect(),
        );
        safetensors::serialize_to_file(views, &metadata, path)
            .map_err(|e| Error::file(path, format!("cannot write: {e:?}")))?;
        // The index mlx_lm's save_model writes beside even a single file.
        let total_size: usize = tensors.iter().map(|t| t.3.len()).sum();
        let weight_map: serde_json::Map<String, serde_json::Value> = tensors
            .iter()
            .map(|t| (t.0.clone(), json!("model.safetensors")))
            .collect();
        let index = json!({"metadata": {"total_size": total_size}, "weight_map": weight_map});
        let index_path = path.with_file_name("model.safetensors.index.json");
        write_file(&index_path, &pretty(&index))
    }
}

fn shape_of(a: &Array) -> Vec<usize> {
    a.shape().iter().map(|&d| d as usize).collect()
}

fn le_f32(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn le_u32(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn pretty(v: &serde_json::Value) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(v).expect("JSON values serialize");
    s.push('\n');
    s.into_bytes()
}

fn gunzip(gz: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut out)
        .map_err(|e| Error::Invalid(format!("embedded tokenizer: {e}")))?;
    Ok(out)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
}

/// Removes hidden partial folders of `name` left by a creation that was killed.
fn remove_partials(models_dir: &Path, name: &str) {
    let prefix = format!(".{name}.partial-");
    let Ok(entries) = std::fs::read_dir(models_dir) else {
        return;
    };
    for e in entries.flatten() {
        let stale = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(600));
        if e.file_name().to_string_lossy().starts_with(&prefix) && stale {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The embedded `tokenizer.json` (for checks against the one scripts/make_fixtures.py builds).
pub fn embedded_tokenizer_json() -> Result<Vec<u8>> {
    gunzip(TOKENIZER_GZ)
}
